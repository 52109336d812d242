//! Node lifecycle: a kubelet that stops posting status, the node lifecycle controller that
//! notices, and the taint-eviction controller that moves the node's pods away.
//!
//! - A node whose kubelet has been silent for `--node-monitor-grace-period` (50 s since 1.32)
//!   gets its conditions set to `Unknown` ("Kubelet stopped posting node status."), the
//!   `node.kubernetes.io/unreachable` taints (NoSchedule, and NoExecute with `timeAdded`), a
//!   `NodeNotReady` event, and its pods' Ready condition turns False (endpoints drop them).
//! - Pods that do not tolerate the NoExecute taint are deleted at once; those that tolerate it
//!   for `tolerationSeconds` (300 s, added to every pod by the DefaultTolerationSeconds
//!   admission) are deleted when it runs out (`TaintManagerEviction`). With the kubelet gone
//!   nothing confirms the deletion, so they stay Terminating while their controllers replace
//!   them elsewhere.
//! - When the kubelet comes back it posts Ready, the taints are removed, and it finishes what
//!   was asked of it meanwhile (the Terminating pods go).

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, PodCondition, Taint};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::scheduler::plugins::tolerates;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "node-controller";
const EVICTION_SOURCE: &str = "taint-eviction-controller";
/// `--node-monitor-grace-period`.
pub const GRACE_SECONDS: f64 = 50.0;
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Which kubelets are stopped, and since when (their last status post).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub stopped: BTreeMap<String, Timestamp>,
    /// Deleted nodes that still have pods bound to them, and since when they are gone.
    #[serde(default)]
    pub gone: BTreeMap<String, Timestamp>,
}

/// The pod garbage collector's quarantine before it deletes the pods of a vanished node.
const ORPHAN_QUARANTINE_SECONDS: f64 = 40.0;

fn node_key(name: &str) -> Key {
    Key {
        kind: "Node",
        namespace: Default::default(),
        name: name.into(),
    }
}

fn get_node(cluster: &Cluster, name: &str) -> Option<Node> {
    match cluster.store().get(&node_key(name)).map(|o| o.as_ref()) {
        Some(Object::Node(n)) => Some((**n).clone()),
        _ => None,
    }
}

fn ready_status(n: &Node) -> Option<&str> {
    n.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.as_str())
}

fn pods_on(cluster: &Cluster, node: &str) -> Vec<Pod> {
    cluster
        .runtime
        .index
        .by_node
        .get(node)
        .into_iter()
        .flatten()
        .filter_map(|k| cluster.store().get(k)?.as_pod().cloned())
        .collect()
}

impl Cluster {
    /// Stops the kubelet of `node` (the node's machine is switched off or cut from the
    /// network): it posts no more status and runs nothing more until [`Cluster::start_kubelet`].
    pub fn stop_kubelet(&mut self, node: &str) -> Result<(), String> {
        let mut n = get_node(self, node).ok_or_else(|| format!("node \"{node}\" not found"))?;
        if self.runtime.node_lifecycle.stopped.contains_key(node) {
            return Ok(());
        }
        let now = self.now();
        // The last status the kubelet posted is now's.
        for c in n
            .status
            .iter_mut()
            .flat_map(|s| s.conditions.iter_mut().flatten())
        {
            c.last_heartbeat_time = Some(clock::api_time(now));
        }
        self.store_mut().put(Object::from(n));
        self.runtime
            .node_lifecycle
            .stopped
            .insert(node.to_string(), now);
        self.wake_at(clock::after(now, GRACE_SECONDS), node_key(node));
        self.settle();
        Ok(())
    }

    /// Starts the kubelet of `node` again: it posts Ready and resumes its pods.
    pub fn start_kubelet(&mut self, node: &str) -> Result<(), String> {
        let mut n = get_node(self, node).ok_or_else(|| format!("node \"{node}\" not found"))?;
        if self.runtime.node_lifecycle.stopped.remove(node).is_none() {
            return Ok(());
        }
        let now = self.now();
        let was_ready = ready_status(&n) == Some("True");
        let fresh = |type_: &str, reason: &str, message: &str| NodeCondition {
            type_: type_.into(),
            status: if type_ == "Ready" { "True" } else { "False" }.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_heartbeat_time: Some(clock::api_time(now)),
            last_transition_time: Some(clock::api_time(now)),
        };
        if let Some(status) = n.status.as_mut() {
            let old = status.conditions.take().unwrap_or_default();
            let keep = |c: NodeCondition| match old.iter().find(|o| o.type_ == c.type_) {
                Some(o) if o.status == c.status => NodeCondition {
                    last_transition_time: o.last_transition_time.clone(),
                    ..c
                },
                _ => c,
            };
            status.conditions = Some(
                [
                    fresh(
                        "MemoryPressure",
                        "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    fresh(
                        "DiskPressure",
                        "KubeletHasNoDiskPressure",
                        "kubelet has no disk pressure",
                    ),
                    fresh(
                        "PIDPressure",
                        "KubeletHasSufficientPID",
                        "kubelet has sufficient PID available",
                    ),
                    fresh("Ready", "KubeletReady", "kubelet is posting ready status"),
                ]
                .into_iter()
                .map(keep)
                .collect(),
            );
        }
        let obj = Object::from(n.clone());
        self.store_mut().put(Object::from(n));
        if !was_ready {
            self.record_event(
                &obj,
                None,
                Source::Kubelet { node },
                EventKind::Normal,
                "NodeReady",
                &format!("Node {node} status is now: NodeReady"),
            );
        }
        sync(self, &node_key(node));
        // The kubelet resyncs every pod bound to it.
        for p in pods_on(self, node) {
            self.runtime.queued.insert((
                crate::runtime::Component::Kubelet,
                Key::of(&Object::from(p)),
            ));
        }
        self.settle();
        Ok(())
    }

    /// Whether the kubelet of `node` is stopped.
    pub fn kubelet_stopped(&self, node: &str) -> bool {
        self.runtime.node_lifecycle.stopped.contains_key(node)
    }
}

/// The node lifecycle and taint-eviction controllers' pass over one node.
pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(node) = get_node(cluster, &key.name) else {
        gc_orphaned(cluster, key);
        return;
    };
    cluster
        .runtime
        .node_lifecycle
        .gone
        .remove(key.name.as_str());
    let node = mirror_unschedulable(cluster, node);
    let now = cluster.now();
    let name = key.name.clone();
    match cluster
        .runtime
        .node_lifecycle
        .stopped
        .get(name.as_str())
        .copied()
    {
        Some(since) => {
            let due = clock::after(since, GRACE_SECONDS);
            if now < due {
                cluster.wake_at(due, key.clone());
                return;
            }
            if ready_status(&node) != Some("Unknown") {
                mark_unreachable(cluster, node.clone(), &name, now);
            }
            evict(cluster, &name, now);
        }
        None => {
            let tainted = node
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .is_some_and(|t| t.iter().any(|t| t.key == UNREACHABLE));
            if tainted && ready_status(&node) == Some("True") {
                let mut n = node.clone();
                if let Some(spec) = n.spec.as_mut() {
                    let taints: Vec<Taint> = spec
                        .taints
                        .take()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|t| t.key != UNREACHABLE)
                        .collect();
                    spec.taints = (!taints.is_empty()).then_some(taints);
                }
                cluster.store_mut().put(Object::from(n));
            }
        }
    }
}

/// The pod garbage collector's `gcOrphaned`: the pods still bound to a deleted node are
/// force-deleted (grace period 0) once the node has been gone for the quarantine; controllers
/// then replace them elsewhere.
fn gc_orphaned(cluster: &mut Cluster, key: &Key) {
    let now = cluster.now();
    let pods = pods_on(cluster, &key.name);
    if pods.is_empty() {
        cluster
            .runtime
            .node_lifecycle
            .gone
            .remove(key.name.as_str());
        return;
    }
    let since = *cluster
        .runtime
        .node_lifecycle
        .gone
        .entry(key.name.to_string())
        .or_insert(now);
    let due = clock::after(since, ORPHAN_QUARANTINE_SECONDS);
    if now < due {
        cluster.wake_at(due, key.clone());
        return;
    }
    let rt = crate::resources::by_kind("v1", "Pod").expect("pods are served");
    for pod in pods {
        let _ = cluster.delete_object(
            rt,
            pod.metadata.namespace.as_deref(),
            pod.metadata.name.as_deref().unwrap_or_default(),
            &crate::api::DeleteOptions {
                grace_period_seconds: Some(0),
                ..Default::default()
            },
        );
    }
    cluster
        .runtime
        .node_lifecycle
        .gone
        .remove(key.name.as_str());
}

/// `doNoScheduleTaintingPass` for `spec.unschedulable` (kubectl cordon): the node carries the
/// `node.kubernetes.io/unschedulable:NoSchedule` taint exactly while it is cordoned.
fn mirror_unschedulable(cluster: &mut Cluster, node: Node) -> Node {
    const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
    let spec = node.spec.clone().unwrap_or_default();
    let cordoned = spec.unschedulable == Some(true);
    let mut taints = spec.taints.clone().unwrap_or_default();
    let tainted = taints
        .iter()
        .any(|t| t.key == UNSCHEDULABLE && t.effect == "NoSchedule");
    if cordoned == tainted {
        return node;
    }
    if cordoned {
        taints.push(Taint {
            key: UNSCHEDULABLE.into(),
            effect: "NoSchedule".into(),
            ..Taint::default()
        });
    } else {
        taints.retain(|t| !(t.key == UNSCHEDULABLE && t.effect == "NoSchedule"));
    }
    let mut n = node;
    n.spec.get_or_insert_with(Default::default).taints = (!taints.is_empty()).then_some(taints);
    cluster.store_mut().put(Object::from(n.clone()));
    n
}

/// `tryUpdateNodeHealth` for a silent node, the NoSchedule/NoExecute tainting passes and
/// `MarkPodsNotReady`.
fn mark_unreachable(cluster: &mut Cluster, mut node: Node, name: &str, now: Timestamp) {
    if let Some(status) = node.status.as_mut() {
        for c in status.conditions.iter_mut().flatten() {
            if c.status != "Unknown" {
                c.last_transition_time = Some(clock::api_time(now));
            }
            c.status = "Unknown".into();
            c.reason = Some("NodeStatusUnknown".into());
            c.message = Some("Kubelet stopped posting node status.".into());
        }
    }
    let spec = node.spec.get_or_insert_with(Default::default);
    let taints = spec.taints.get_or_insert_with(Vec::new);
    for (effect, added) in [
        ("NoSchedule", None),
        ("NoExecute", Some(clock::api_time(now))),
    ] {
        if !taints
            .iter()
            .any(|t| t.key == UNREACHABLE && t.effect == effect)
        {
            taints.push(Taint {
                key: UNREACHABLE.into(),
                effect: effect.into(),
                time_added: added,
                value: None,
            });
        }
    }
    let obj = Object::from(node.clone());
    cluster.store_mut().put(Object::from(node));
    cluster.record_event(
        &obj,
        None,
        Source::Controller(SOURCE),
        EventKind::Normal,
        "NodeNotReady",
        &format!("Node {name} status is now: NodeNotReady"),
    );
    for pod in pods_on(cluster, name) {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .map(|c| c.status.clone());
        if ready.as_deref() != Some("True") {
            continue;
        }
        let mut p = pod.clone();
        for c in p
            .status
            .iter_mut()
            .flat_map(|s| s.conditions.iter_mut().flatten())
        {
            if c.type_ == "Ready" {
                c.status = "False".into();
                c.last_transition_time = Some(clock::api_time(now));
            }
        }
        let obj = Object::from(p.clone());
        cluster.store_mut().put(Object::from(p));
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Warning,
            "NodeNotReady",
            "Node is not ready",
        );
    }
}

/// The taint-eviction controller: deletes the pods that do not (or no longer) tolerate the
/// node's NoExecute taints, and wakes the node again when the next toleration runs out.
fn evict(cluster: &mut Cluster, name: &str, now: Timestamp) {
    let Some(node) = get_node(cluster, name) else {
        return;
    };
    let taints: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.effect == "NoExecute")
        .collect();
    if taints.is_empty() {
        return;
    }
    let mut next: Option<Timestamp> = None;
    for pod in pods_on(cluster, name) {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let tolerations = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.clone())
            .unwrap_or_default();
        // The pod may stay until the shortest of its matching tolerations runs out; an
        // untolerated taint evicts at once.
        let mut until: Option<Option<Timestamp>> = Some(None);
        for taint in &taints {
            let since = taint.time_added.as_ref().map_or(now, |t| t.0);
            let matching: Vec<_> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
            if matching.is_empty() {
                until = None;
                break;
            }
            let limit = matching
                .iter()
                .filter_map(|t| t.toleration_seconds)
                .min()
                .map(|s| clock::after(since, s.max(0) as f64));
            if let Some(limit) = limit {
                let current = until.flatten();
                until = Some(Some(current.map_or(limit, |c| c.min(limit))));
            }
        }
        match until {
            Some(Some(t)) if t > now => {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
            Some(None) => {}
            _ => mark_for_deletion(cluster, &pod, now),
        }
    }
    if let Some(t) = next {
        cluster.wake_at(t, node_key(name));
    }
}

fn mark_for_deletion(cluster: &mut Cluster, pod: &Pod, now: Timestamp) {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let obj = Object::from(pod.clone());
    cluster.record_event(
        &obj,
        None,
        Source::Controller(EVICTION_SOURCE),
        EventKind::Normal,
        "TaintManagerEviction",
        &format!("Marking for deletion Pod {ns}/{name}"),
    );
    let mut p = pod.clone();
    let status = p.status.get_or_insert_with(Default::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    conditions.retain(|c| c.type_ != "DisruptionTarget");
    conditions.push(PodCondition {
        type_: "DisruptionTarget".into(),
        status: "True".into(),
        reason: Some("DeletionByTaintManager".into()),
        message: Some("Taint manager: deleting due to NoExecute taint".into()),
        last_transition_time: Some(clock::api_time(now)),
        ..PodCondition::default()
    });
    cluster.store_mut().put(Object::from(p));
    super::delete_pod(
        cluster,
        &Key {
            kind: "Pod",
            namespace: ns.into(),
            name: name.into(),
        },
    );
}
