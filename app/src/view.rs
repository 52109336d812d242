//! The cluster picture the server pushes to the page: just what the cluster view draws, computed on
//! the server from the session's objects (see `server/src/routes/events.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    /// The simulated clock, RFC 3339.
    pub now: String,
    pub resource_version: u64,
    pub nodes: Vec<NodeView>,
    pub pods: Vec<PodView>,
    pub deployments: Vec<DeploymentView>,
    pub replicasets: Vec<ReplicaSetView>,
    pub services: Vec<ServiceView>,
    /// Newest last.
    pub events: Vec<EventView>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    pub name: String,
    /// `Ready`, `NotReady`, with `,SchedulingDisabled` as kubectl prints it.
    pub status: String,
    pub roles: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    /// kubectl's STATUS column.
    pub status: String,
    /// kubectl's READY column (`1/1`).
    pub ready: String,
    pub restarts: i32,
    /// The owning ReplicaSet (or other controller), by name.
    pub owner: Option<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub namespace: String,
    pub name: String,
    pub replicas: i32,
    pub ready: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaSetView {
    pub namespace: String,
    pub name: String,
    pub deployment: Option<String>,
    pub replicas: i32,
    pub ready: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceView {
    pub namespace: String,
    pub name: String,
    pub type_: String,
    pub cluster_ip: String,
    pub ports: String,
    /// The pods the selector matches (same namespace), by name.
    pub pods: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub time: String,
    pub type_: String,
    pub reason: String,
    /// `pod/web-1`.
    pub object: String,
    pub message: String,
}

/// How the view colours a pod STATUS: the categories a learner should tell apart at a glance.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "Running" => "ok",
        "Completed" | "Succeeded" => "done",
        "Pending" | "ContainerCreating" | "PodInitializing" => "pending",
        "Terminating" => "terminating",
        s if s.starts_with("Init:") && !s.contains("Err") && !s.contains("BackOff") => "pending",
        _ => "failing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_stand_out() {
        assert_eq!(status_class("Running"), "ok");
        assert_eq!(status_class("ContainerCreating"), "pending");
        assert_eq!(status_class("Init:0/1"), "pending");
        for s in [
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "Error",
            "OOMKilled",
            "Init:CrashLoopBackOff",
        ] {
            assert_eq!(status_class(s), "failing", "{s}");
        }
        assert_eq!(status_class("Completed"), "done");
    }
}
