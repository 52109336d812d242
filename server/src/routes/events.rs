//! `GET /api/sessions/{id}/cluster/stream`: the cluster view's picture of the session, pushed as
//! Server-Sent Events.
//!
//! One `data:` message carries a whole [`ClusterView`] (a few kilobytes for a lesson-sized
//! cluster); a new one is sent whenever the session's resourceVersion or simulated clock moves.
//! The stream wakes when the session signals a change (`Session::changed`) and once a second,
//! when it also runs the session's clock up to its simulated now (`Session::catch_up`, as the
//! API routes do on every request), so that pods start, back off and restart while the learner
//! watches.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use app::view::{
    ClusterView, DeploymentView, EventView, NodeView, PodView, ReplicaSetView, ServiceView,
};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use cluster::Cluster;
use serde_json::Value;

use crate::routes::api::{authorize, ApiError};
use crate::AppState;

/// How often a stream moves the clock on when nothing else happens.
const TICK: Duration = Duration::from_secs(1);
/// Events shown in the timeline (the newest).
const TIMELINE: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/cluster/stream", get(stream))
}

async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(4);
    tokio::spawn(async move {
        let mut last = None;
        loop {
            // Registered before the state is read, so a change made meanwhile still wakes us.
            let changed = session.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let view = {
                let mut guard = session.lock();
                session.catch_up(&mut guard);
                let st = &*guard;
                let mark = (st.cluster.store().resource_version(), st.cluster.now());
                (last != Some(mark)).then(|| {
                    last = Some(mark);
                    cluster_view(&st.cluster)
                })
            };
            if let Some(view) = view {
                let data = serde_json::to_string(&view).unwrap_or_default();
                if tx.send(Ok(Event::default().data(data))).await.is_err() {
                    return; // the page went away
                }
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(TICK) => {}
                _ = tx.closed() => return,
            }
        }
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (event, rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// The objects of one kind, as JSON.
fn values(cluster: &Cluster, kind: &'static str) -> Vec<Value> {
    cluster
        .store()
        .list(kind, None)
        .map(|o| o.to_value())
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_default()
}

fn int_at(v: &Value, path: &[&str]) -> i32 {
    path.iter().fold(v, |v, k| &v[*k]).as_i64().unwrap_or(0) as i32
}

fn labels(v: &Value, path: &[&str]) -> BTreeMap<String, String> {
    serde_json::from_value(path.iter().fold(v, |v, k| &v[*k]).clone()).unwrap_or_default()
}

/// The controller that owns an object, by name.
fn owner(v: &Value) -> Option<String> {
    v["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"].as_bool() == Some(true))
        .or_else(|| v["metadata"]["ownerReferences"].get(0))
        .and_then(|r| r["name"].as_str())
        .map(str::to_string)
}

/// Builds the picture the cluster view draws.
pub fn cluster_view(cluster: &Cluster) -> ClusterView {
    let pods = values(cluster, "Pod");
    let nodes = values(cluster, "Node")
        .iter()
        .map(|n| NodeView {
            name: str_at(n, &["metadata", "name"]).to_string(),
            status: node_status(n),
            roles: node_roles(n),
        })
        .collect();
    let pod_views: Vec<PodView> = pods
        .iter()
        .map(|p| {
            let statuses = p["status"]["containerStatuses"].as_array();
            let ready = statuses.map_or(0, |s| {
                s.iter()
                    .filter(|c| c["ready"].as_bool() == Some(true))
                    .count()
            });
            let containers = p["spec"]["containers"].as_array().map_or(0, Vec::len);
            PodView {
                namespace: str_at(p, &["metadata", "namespace"]).to_string(),
                name: str_at(p, &["metadata", "name"]).to_string(),
                node: Some(str_at(p, &["spec", "nodeName"]))
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
                status: pod_status(p),
                ready: format!("{ready}/{containers}"),
                restarts: statuses.map_or(0, |s| {
                    s.iter()
                        .map(|c| c["restartCount"].as_i64().unwrap_or(0) as i32)
                        .sum()
                }),
                owner: owner(p),
                labels: labels(p, &["metadata", "labels"]),
            }
        })
        .collect();
    let deployments = values(cluster, "Deployment")
        .iter()
        .map(|d| DeploymentView {
            namespace: str_at(d, &["metadata", "namespace"]).to_string(),
            name: str_at(d, &["metadata", "name"]).to_string(),
            replicas: d["spec"]["replicas"].as_i64().map_or(1, |r| r as i32),
            ready: int_at(d, &["status", "readyReplicas"]),
        })
        .collect();
    let replicasets = values(cluster, "ReplicaSet")
        .iter()
        .map(|rs| ReplicaSetView {
            namespace: str_at(rs, &["metadata", "namespace"]).to_string(),
            name: str_at(rs, &["metadata", "name"]).to_string(),
            deployment: owner(rs),
            replicas: rs["spec"]["replicas"].as_i64().map_or(1, |r| r as i32),
            ready: int_at(rs, &["status", "readyReplicas"]),
        })
        .collect();
    let services = values(cluster, "Service")
        .iter()
        .map(|s| {
            let namespace = str_at(s, &["metadata", "namespace"]).to_string();
            let selector = labels(s, &["spec", "selector"]);
            let selected = pod_views
                .iter()
                .filter(|p| {
                    !selector.is_empty()
                        && p.namespace == namespace
                        && selector.iter().all(|(k, v)| p.labels.get(k) == Some(v))
                })
                .map(|p| p.name.clone())
                .collect();
            ServiceView {
                name: str_at(s, &["metadata", "name"]).to_string(),
                namespace,
                type_: str_at(s, &["spec", "type"]).to_string(),
                cluster_ip: str_at(s, &["spec", "clusterIP"]).to_string(),
                ports: service_ports(s),
                pods: selected,
            }
        })
        .collect();
    let mut events: Vec<EventView> = values(cluster, "Event")
        .iter()
        .map(|e| {
            let time = [
                &e["lastTimestamp"],
                &e["eventTime"],
                &e["firstTimestamp"],
                &e["metadata"]["creationTimestamp"],
            ]
            .into_iter()
            .find_map(Value::as_str)
            .unwrap_or_default()
            .to_string();
            EventView {
                time,
                type_: str_at(e, &["type"]).to_string(),
                reason: str_at(e, &["reason"]).to_string(),
                object: format!(
                    "{}/{}",
                    str_at(e, &["involvedObject", "kind"]).to_lowercase(),
                    str_at(e, &["involvedObject", "name"])
                ),
                message: str_at(e, &["message"]).to_string(),
            }
        })
        .collect();
    events.sort_by(|a, b| a.time.cmp(&b.time));
    let skip = events.len().saturating_sub(TIMELINE);
    ClusterView {
        now: cluster.now().to_string(),
        resource_version: cluster.store().resource_version(),
        nodes,
        pods: pod_views,
        deployments,
        replicasets,
        services,
        events: events.split_off(skip),
    }
}

/// One cell of kubectl's table for `obj`, by column name (`"Status"`, `"Roles"`, `"Port(s)"`), from
/// the same printers the API server's Table responses and the terminal use, so the picture
/// always says what `kubectl get` says.
fn printed(kind: &str, obj: &Value, column: &str) -> String {
    let index = kubectl::printers::table::columns(kind)
        .iter()
        .position(|c| c.name == column);
    let cells = kubectl::printers::table::cells(kind, obj, jiff::Timestamp::UNIX_EPOCH);
    match index.and_then(|i| cells.get(i)) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// kubectl's pod STATUS column (`printPod`).
pub fn pod_status(p: &Value) -> String {
    printed("Pod", p, "Status")
}

fn node_status(n: &Value) -> String {
    printed("Node", n, "Status")
}

fn node_roles(n: &Value) -> String {
    printed("Node", n, "Roles")
}

fn service_ports(s: &Value) -> String {
    printed("Service", s, "Port(s)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}, "status": status})
    }

    #[test]
    fn pod_status_follows_kubectl() {
        assert_eq!(pod_status(&pod(json!({"phase": "Pending"}))), "Pending");
        assert_eq!(
            pod_status(&pod(json!({"phase": "Pending", "containerStatuses": [
                {"name": "a", "ready": false, "state": {"waiting": {"reason": "ContainerCreating"}}}]}))),
            "ContainerCreating"
        );
        assert_eq!(
            pod_status(&pod(json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": false, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}))),
            "CrashLoopBackOff"
        );
        assert_eq!(
            pod_status(&pod(json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                {"name": "a", "ready": true, "state": {"running": {}}},
                {"name": "b", "ready": false, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}))),
            "Running",
            "a completed container beside a running one shows Running when the pod is Ready"
        );
        assert_eq!(
            pod_status(&pod(json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": true, "state": {"running": {}}},
                {"name": "b", "ready": false, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}))),
            "NotReady",
            "... and NotReady when it is not (kubectl 1.33 printPod)"
        );
        assert_eq!(
            pod_status(&json!({"metadata": {"name": "p"},
                "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]},
                "status": {"phase": "Pending", "initContainerStatuses": [
                    {"name": "i", "ready": false, "state": {"running": {}}}]}})),
            "Init:0/1"
        );
        let mut p = pod(json!({"phase": "Running"}));
        p["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:00Z");
        assert_eq!(pod_status(&p), "Terminating");
    }

    #[test]
    fn the_default_cluster_shows_its_node() {
        let c = Cluster::new(&cluster::ClusterConfig {
            start: "2025-01-01T00:00:00Z".parse().unwrap(),
            seed: 1,
        });
        let view = cluster_view(&c);
        assert_eq!(view.nodes.len(), 1);
        assert_eq!(view.nodes[0].name, "minikube");
        assert_eq!(view.nodes[0].status, "Ready");
        assert_eq!(view.nodes[0].roles, "control-plane");
    }

    #[test]
    fn service_ports_print_like_kubectl() {
        let s = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}});
        assert_eq!(service_ports(&s), "80:30080/TCP");
    }
}
