//! The resource metrics API (`metrics.k8s.io/v1beta1`), as metrics-server serves it, so that
//! `kubectl top pod` and `kubectl top node` answer from the simulation.
//!
//! Usage is simulated by [`cluster::usage`]: a running container uses the steady-state memory of
//! its image in the image catalogue, a small idle CPU share, and the CPU its HTTP traffic costs
//! (a load generator's requests spread over a Service's ready pods); a node uses what its
//! running pods use plus the system's own overhead.

use cluster::usage::Traffic;
use cluster::{resources, Cluster, Object, Status};
use k8s_openapi::api::core::v1::Pod;
use kubectl::rest::{Request, Response};
use serde_json::{json, Value};

/// Memory of the node's system daemons (kubelet, container runtime), in MiB.
const NODE_OVERHEAD_MIB: u64 = 600;
/// CPU of the node's system daemons, in millicores.
const NODE_OVERHEAD_MILLI: u64 = 95;

fn now_str(cluster: &Cluster) -> String {
    cluster.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn pod_metrics(cluster: &Cluster, pod: &Pod, traffic: &Traffic) -> Option<Value> {
    let containers = cluster.pod_usage(pod, traffic);
    if containers.is_empty() {
        return None;
    }
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| {
            let (cpu, mib) = (c.cpu_millis, c.memory_mib);
            json!({"name": c.name, "usage": {"cpu": format!("{}n", cpu * 1_000_000), "memory": format!("{}Ki", mib * 1024)}})
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

fn node_metrics(cluster: &Cluster, node: &str, traffic: &Traffic) -> Value {
    let pods = resources::by_plural("", "pods").expect("pods are served");
    let (mut cpu, mut mib) = (NODE_OVERHEAD_MILLI, NODE_OVERHEAD_MIB);
    for o in cluster.list(pods, None) {
        let Some(p) = o.as_pod() else { continue };
        if p.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node) {
            continue;
        }
        for c in cluster.pod_usage(p, traffic) {
            cpu += c.cpu_millis;
            mib += c.memory_mib;
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
    let traffic = cluster.traffic();
    let body = match rest {
        ["nodes"] => list(
            "NodeMetricsList",
            cluster
                .list(nodes, None)
                .iter()
                .filter(|n| matches_labels(n, &selector))
                .map(|n| node_metrics(cluster, n.name(), &traffic))
                .collect(),
        ),
        ["nodes", name] => {
            cluster
                .get(nodes, None, name)
                .map_err(|_| not_found("nodes", name))?;
            node_metrics(cluster, name, &traffic)
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
                    .filter_map(|o| pod_metrics(cluster, o.as_pod()?, &traffic))
                    .collect(),
            )
        }
        ["namespaces", ns, "pods", name] => {
            let o = cluster
                .get(pods, Some(ns), name)
                .map_err(|_| not_found("pods", name))?;
            o.as_pod()
                .and_then(|p| pod_metrics(cluster, p, &traffic))
                .ok_or_else(|| not_found("pods", name))?
        }
        _ => return Err(crate::not_found_path()),
    };
    Ok(Response::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cluster::ClusterConfig;
    use serde_json::json;

    fn pod_cpu(cluster: &mut Cluster, name: &str) -> String {
        let request = Request::get(&format!(
            "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/{name}"
        ));
        let response = handle(cluster, &request, &["namespaces", "default", "pods", name]).unwrap();
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        body["containers"][0]["usage"]["cpu"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_load_generator_makes_its_service_busy() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let create = |c: &mut Cluster, v: Value| {
            let rt = resources::by_kind(
                v["apiVersion"].as_str().unwrap(),
                v["kind"].as_str().unwrap(),
            )
            .unwrap();
            c.create(rt, Some("default"), v).unwrap();
        };
        create(
            &mut c,
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "php", "labels": {"run": "php"}},
            "spec": {"containers": [{"name": "php", "image": "registry.k8s.io/hpa-example",
                "ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": "500m"}}}]}}),
        );
        create(
            &mut c,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "php"},
            "spec": {"selector": {"run": "php"}, "ports": [{"port": 80}]}}),
        );
        c.advance(jiff::SignedDuration::from_secs(30));
        // Idle: 1m plus a share of its memory.
        assert_eq!(pod_cpu(&mut c, "php"), "1000000n");
        create(
            &mut c,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "load"},
            "spec": {"containers": [{"name": "load", "image": "busybox",
                "command": ["sh", "-c", "while sleep 0.01; do wget -q -O- http://php; done"]}]}}),
        );
        c.advance(jiff::SignedDuration::from_secs(30));
        // 50 requests a second at 12 ms each want 600m: throttled at the 500m limit.
        assert_eq!(pod_cpu(&mut c, "php"), "500000000n");
    }
}
