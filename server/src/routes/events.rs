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
    cluster.store().list(kind, None).map(|o| o.to_value()).collect()
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
                s.iter().filter(|c| c["ready"].as_bool() == Some(true)).count()
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
                    s.iter().map(|c| c["restartCount"].as_i64().unwrap_or(0) as i32).sum()
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

/// kubectl's node STATUS: the Ready condition, plus `SchedulingDisabled` when cordoned.
fn node_status(n: &Value) -> String {
    let ready = n["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .map(|c| c["status"] == "True");
    let mut status = match ready {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "Unknown",
    }
    .to_string();
    if n["spec"]["unschedulable"].as_bool() == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    status
}

/// kubectl's node ROLES: the `node-role.kubernetes.io/<role>` labels.
fn node_roles(n: &Value) -> String {
    let roles: Vec<&str> = n["metadata"]["labels"]
        .as_object()
        .map(|l| {
            l.keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .collect()
        })
        .unwrap_or_default();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

/// kubectl's pod STATUS column, after `printPod` in kubectl's printers: the pod's reason or
/// phase, overridden by init containers still at work, then by the containers' waiting or
/// terminated reasons (the last container in the list first, so the first one wins), and
/// `Terminating` once deletion has begun.
pub fn pod_status(p: &Value) -> String {
    let status = &p["status"];
    let mut reason = status["reason"]
        .as_str()
        .or(status["phase"].as_str())
        .unwrap_or("Pending")
        .to_string();
    let empty = Vec::new();
    let init_specs = p["spec"]["initContainers"].as_array().map_or(0, Vec::len);
    let mut initializing = false;
    for (i, c) in status["initContainerStatuses"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let terminated = &c["state"]["terminated"];
        let waiting = &c["state"]["waiting"];
        if terminated.is_object() && terminated["exitCode"].as_i64() == Some(0) {
            continue;
        }
        reason = if terminated.is_object() {
            match terminated["reason"].as_str() {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => match terminated["signal"].as_i64() {
                    Some(s) if s != 0 => format!("Init:Signal:{s}"),
                    _ => format!("Init:ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
                },
            }
        } else if waiting["reason"].as_str().is_some_and(|r| !r.is_empty() && r != "PodInitializing") {
            format!("Init:{}", waiting["reason"].as_str().unwrap_or_default())
        } else {
            format!("Init:{i}/{init_specs}")
        };
        initializing = true;
        break;
    }
    if !initializing {
        let mut has_running = false;
        for c in status["containerStatuses"].as_array().unwrap_or(&empty).iter().rev() {
            let waiting = &c["state"]["waiting"];
            let terminated = &c["state"]["terminated"];
            if let Some(r) = waiting["reason"].as_str().filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if terminated.is_object() {
                reason = match terminated["reason"].as_str() {
                    Some(r) if !r.is_empty() => r.to_string(),
                    _ => match terminated["signal"].as_i64() {
                        Some(s) if s != 0 => format!("Signal:{s}"),
                        _ => format!("ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
                    },
                };
            } else if c["ready"].as_bool() == Some(true) && c["state"]["running"].is_object() {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = "Running".into();
        }
    }
    if p["metadata"]["deletionTimestamp"].is_string() && status["reason"] != "NodeLost" {
        reason = "Terminating".into();
    }
    reason
}

/// kubectl's service PORT(S): `80/TCP`, `80:30080/TCP`.
fn service_ports(s: &Value) -> String {
    let ports: Vec<String> = s["spec"]["ports"]
        .as_array()
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    let port = p["port"].as_i64().unwrap_or(0);
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64() {
                        Some(n) => format!("{port}:{n}/{proto}"),
                        None => format!("{port}/{proto}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if ports.is_empty() {
        "<none>".into()
    } else {
        ports.join(",")
    }
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
            pod_status(&pod(json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": true, "state": {"running": {}}},
                {"name": "b", "ready": false, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}))),
            "Running",
            "a completed sidecar beside a running container shows Running"
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
