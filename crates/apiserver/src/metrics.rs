//! The resource metrics API (`metrics.k8s.io/v1beta1`), as metrics-server serves it, so that
//! `kubectl top pod` and `kubectl top node` answer from the simulation.
//!
//! Usage is simulated: a running container uses the steady-state memory of its image in the
//! image catalogue and a small idle CPU share; a node uses what its running pods use plus the
//! system's own overhead. Nothing else in the simulation consumes resources yet.

use cluster::images::{self, ImageRef};
use cluster::{resources, Cluster, Object, Status};
use k8s_openapi::api::core::v1::Pod;
use kubectl::rest::{Request, Response};
use serde_json::{json, Value};

/// Memory of the node's system daemons (kubelet, container runtime), in MiB.
const NODE_OVERHEAD_MIB: u64 = 600;
/// CPU of the node's system daemons, in millicores.
const NODE_OVERHEAD_MILLI: u64 = 95;

/// (millicores, MiB) of one container.
fn container_usage(image: &str) -> (u64, u64) {
    let mib = images::lookup(&ImageRef::parse(image)).map_or(4, |s| s.memory_mib.max(1));
    (1 + mib / 16, mib)
}

fn running(pod: &Pod) -> Vec<(String, String)> {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    statuses
        .into_iter()
        .filter(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
        .map(|c| (c.name, c.image))
        .collect()
}

fn now_str(cluster: &Cluster) -> String {
    cluster.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn pod_metrics(cluster: &Cluster, pod: &Pod) -> Option<Value> {
    let containers = running(pod);
    if containers.is_empty() {
        return None;
    }
    let containers: Vec<Value> = containers
        .iter()
        .map(|(name, image)| {
            let (cpu, mib) = container_usage(image);
            json!({"name": name, "usage": {"cpu": format!("{}n", cpu * 1_000_000), "memory": format!("{}Ki", mib * 1024)}})
        })
        .collect();
    let m = &pod.metadata;
    Some(json!({
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": m.name, "namespace": m.namespace, "labels": m.labels,
                     "creationTimestamp": now_str(cluster)},
        "timestamp": now_str(cluster),
        "window": "15.002s",
        "containers": containers,
    }))
}

fn node_metrics(cluster: &Cluster, node: &str) -> Value {
    let pods = resources::by_plural("", "pods").expect("pods are served");
    let (mut cpu, mut mib) = (NODE_OVERHEAD_MILLI, NODE_OVERHEAD_MIB);
    for o in cluster.list(pods, None) {
        let Some(p) = o.as_pod() else { continue };
        if p.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node) {
            continue;
        }
        for (_, image) in running(p) {
            let (c, m) = container_usage(&image);
            cpu += c;
            mib += m;
        }
    }
    json!({
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": node, "creationTimestamp": now_str(cluster)},
        "timestamp": now_str(cluster),
        "window": "20.033s",
        "usage": {"cpu": format!("{}n", cpu * 1_000_000), "memory": format!("{}Ki", mib * 1024)},
    })
}

fn matches_labels(o: &Object, selector: &str) -> bool {
    let labels = o.labels().cloned().unwrap_or_default();
    selector
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .all(|r| {
            if let Some((k, v)) = r.split_once("!=") {
                labels.get(k.trim()).map(String::as_str) != Some(v.trim())
            } else if let Some((k, v)) = r.split_once("==").or_else(|| r.split_once('=')) {
                labels.get(k.trim()).map(String::as_str) == Some(v.trim())
            } else {
                labels.contains_key(r.trim())
            }
        })
}

/// `GET /apis/metrics.k8s.io/v1beta1/...`.
pub fn handle(cluster: &Cluster, request: &Request, rest: &[&str]) -> Result<Response, Status> {
    let not_found = |what: &str, name: &str| {
        Status::new(
            404,
            "NotFound",
            format!("{what}.metrics.k8s.io \"{name}\" not found"),
        )
    };
    let list = |kind: &str, items: Vec<Value>| {
        json!({"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1",
               "metadata": {}, "items": items})
    };
    let selector = request.query_value("labelSelector").unwrap_or_default();
    let pods = resources::by_plural("", "pods").expect("pods are served");
    let nodes = resources::by_plural("", "nodes").expect("nodes are served");
    let body = match rest {
        ["nodes"] => list(
            "NodeMetricsList",
            cluster
                .list(nodes, None)
                .iter()
                .filter(|n| matches_labels(n, &selector))
                .map(|n| node_metrics(cluster, n.name()))
                .collect(),
        ),
        ["nodes", name] => {
            cluster
                .get(nodes, None, name)
                .map_err(|_| not_found("nodes", name))?;
            node_metrics(cluster, name)
        }
        ["pods"] | ["namespaces", _, "pods"] => {
            let ns = match rest {
                ["namespaces", ns, _] => Some(*ns),
                _ => None,
            };
            list(
                "PodMetricsList",
                cluster
                    .list(pods, ns)
                    .iter()
                    .filter(|o| matches_labels(o, &selector))
                    .filter_map(|o| pod_metrics(cluster, o.as_pod()?))
                    .collect(),
            )
        }
        ["namespaces", ns, "pods", name] => {
            let o = cluster
                .get(pods, Some(ns), name)
                .map_err(|_| not_found("pods", name))?;
            o.as_pod()
                .and_then(|p| pod_metrics(cluster, p))
                .ok_or_else(|| not_found("pods", name))?
        }
        _ => return Err(crate::not_found_path()),
    };
    Ok(Response::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_comes_from_the_image_catalogue() {
        assert_eq!(container_usage("nginx:1.27").1, 8);
        assert_eq!(container_usage("registry.example/unknown:1").1, 4);
    }
}
