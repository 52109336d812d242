//! Simulated resource usage, what metrics-server would report and the HorizontalPodAutoscaler
//! reads: a running container uses its image's steady memory and a small idle CPU share, plus
//! the CPU its HTTP traffic costs.
//!
//! Traffic is real in the simulation: a container whose loop keeps fetching a URL (the course's
//! `while sleep 0.01; do wget -q -O- http://php-apache; done` load generator) sends a steady
//! stream of requests, which kube-proxy spreads evenly over the Service's ready endpoints. Each
//! request costs the serving container CPU time according to what it runs, capped by its CPU
//! limit (the kernel throttles past it). When the generator stops, so does the load.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use crate::images::{self, ImageRef};
use crate::kubelet::Stage;
use crate::network::Origin;
use crate::quantity;
use crate::Cluster;

/// What one running container uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub cpu_millis: u64,
    pub memory_mib: u64,
}

/// Requests per second arriving at each (namespace, pod, container).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic(BTreeMap<(String, String, String), f64>);

impl Traffic {
    /// Requests per second reaching one container.
    pub fn rate(&self, namespace: &str, pod: &str, container: &str) -> f64 {
        self.0
            .get(&(
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            ))
            .copied()
            .unwrap_or(0.0)
    }
}

/// Idle usage of a container of `image`: (millicores, MiB).
pub fn idle(image: &str) -> (u64, u64) {
    let mib = images::lookup(&ImageRef::parse(image)).map_or(4, |s| s.memory_mib.max(1));
    (1 + mib / 16, mib)
}

/// CPU seconds one HTTP request costs a container of `image`. php-apache's page computes a
/// million square roots; static servers answer almost for free.
pub fn cpu_seconds_per_request(image: &str) -> f64 {
    match ImageRef::parse(image).repository.as_str() {
        "registry.k8s.io/hpa-example" => 0.012,
        "nginx" | "mon-user/devops-frontend" => 0.0002,
        "httpd" => 0.0004,
        "node-app" | "node-demo" | "mon-user/devops-backend" => 0.001,
        _ => 0.0005,
    }
}

impl Cluster {
    /// Where every load generator's requests land right now.
    pub fn traffic(&self) -> Traffic {
        let mut traffic = Traffic::default();
        let generators: Vec<(String, String, crate::kubelet::process::Load)> = self
            .runtime
            .kubelet
            .pods
            .iter()
            .flat_map(|(key, pod)| {
                pod.containers.iter().filter_map(move |c| {
                    let load = c.current.as_ref()?.plan.load.clone()?;
                    (c.stage == Stage::Running)
                        .then(|| (key.namespace.to_string(), key.name.to_string(), load))
                })
            })
            .collect();
        for (ns, name, load) in generators {
            let from = Origin::Pod {
                namespace: &ns,
                name: &name,
            };
            let targets = self.request_targets(from, &load.url);
            let share = load.per_second / targets.len().max(1) as f64;
            for (pod, port) in targets {
                let tns = pod.metadata.namespace.clone().unwrap_or_default();
                let tname = pod.metadata.name.clone().unwrap_or_default();
                let Some(runtime) = self
                    .runtime
                    .kubelet
                    .pods
                    .get(&crate::kubelet::PodName::new(&tns, &tname))
                else {
                    continue;
                };
                // The container listening on the port takes the request.
                let listener = runtime.containers.iter().find(|c| {
                    c.stage == Stage::Running
                        && c.current
                            .as_ref()
                            .is_some_and(|i| i.plan.ports.contains(&port))
                });
                if let Some(c) = listener {
                    *traffic.0.entry((tns, tname, c.name.clone())).or_default() += share;
                }
            }
        }
        traffic
    }

    /// What each running container of `pod` uses, given the current `traffic`.
    pub fn pod_usage(&self, pod: &Pod, traffic: &Traffic) -> Vec<ContainerUsage> {
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref());
        statuses
            .into_iter()
            .flatten()
            .filter(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
            .map(|c| {
                let (idle_cpu, mib) = idle(&c.image);
                let busy = traffic.rate(ns, name, &c.name) * cpu_seconds_per_request(&c.image);
                let mut cpu = idle_cpu + (busy * 1000.0).round() as u64;
                let limit = pod
                    .spec
                    .iter()
                    .flat_map(|s| s.containers.iter())
                    .find(|s| s.name == c.name)
                    .and_then(|s| s.resources.as_ref())
                    .and_then(|r| quantity::get(r.limits.as_ref(), "cpu"))
                    .map(quantity::millicores);
                if let Some(limit) = limit.filter(|l| *l > 0) {
                    cpu = cpu.min(limit as u64);
                }
                ContainerUsage {
                    name: c.name.clone(),
                    cpu_millis: cpu,
                    memory_mib: mib,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_usage_comes_from_the_image_catalogue() {
        assert_eq!(idle("nginx:1.27"), (1, 8));
        assert_eq!(idle("registry.example/unknown:1"), (1, 4));
    }

    #[test]
    fn php_apache_is_expensive_and_nginx_is_cheap() {
        // The walkthrough's single load generator (about 50 requests a second) keeps more than
        // half a core busy on php-apache, and a few millicores on nginx.
        assert!(50.0 * cpu_seconds_per_request("registry.k8s.io/hpa-example") > 0.5);
        assert!(50.0 * cpu_seconds_per_request("nginx:1.27") < 0.02);
    }
}
