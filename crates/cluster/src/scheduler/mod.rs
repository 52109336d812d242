//! The default scheduler: filter the nodes, score the ones left, bind to the best, or report why
//! none fits with the real `FailedScheduling` message:
//!
//! `0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
//! 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
//! scheduling, 2 No preemption victims found for incoming pod.`
//!
//! Unschedulable pods are retried when the cluster changes in a way that could help (a node
//! appears or changes, a bound pod goes away, a claim binds) and at least every five minutes.

pub mod affinity;
pub mod plugins;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

use plugins::Rejection;

/// How long an unschedulable pod waits before a retry with no cluster change.
const UNSCHEDULABLE_RETRY_SECONDS: f64 = 300.0;

/// `N reason` histogram, sorted as the scheduler sorts it.
fn histogram(reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    parts.join(", ")
}

/// The `FailedScheduling` message for per-node rejections.
pub fn fit_error(total: usize, rejections: &[Rejection]) -> String {
    let mut reasons = BTreeMap::new();
    let mut preemption = BTreeMap::new();
    for r in rejections {
        for reason in &r.reasons {
            *reasons.entry(reason.clone()).or_insert(0) += 1;
        }
        let p = if r.unresolvable {
            "Preemption is not helpful for scheduling"
        } else {
            "No preemption victims found for incoming pod"
        };
        *preemption.entry(p.to_string()).or_insert(0) += 1;
    }
    format!(
        "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {}.",
        histogram(&reasons),
        histogram(&preemption)
    )
}

/// Checks the pod's PersistentVolumeClaims (the VolumeBinding plugin's PreFilter).
fn volume_prefilter(cluster: &Cluster, pod: &Pod) -> Option<String> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        let Some(claim) = &v.persistent_volume_claim else {
            continue;
        };
        let key = Key {
            kind: "PersistentVolumeClaim",
            namespace: ns.into(),
            name: claim.claim_name.as_str().into(),
        };
        match cluster.store().get(&key).map(|o| o.as_ref()) {
            Some(Object::PersistentVolumeClaim(pvc)) => {
                let bound = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
                if !bound {
                    return Some("pod has unbound immediate PersistentVolumeClaims".into());
                }
            }
            _ => {
                return Some(format!(
                    "persistentvolumeclaim \"{}\" not found",
                    claim.claim_name
                ))
            }
        }
    }
    None
}

/// Schedules one pending pod.
pub fn schedule(cluster: &mut Cluster, key: &Key) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::Pod(pod) = obj.as_ref() else {
        return;
    };
    let spec = pod.spec.as_ref();
    if spec
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
        || pod.metadata.deletion_timestamp.is_some()
    {
        return;
    }
    if spec
        .and_then(|s| s.scheduler_name.as_deref())
        .is_some_and(|s| s != "default-scheduler")
    {
        return;
    }
    // The nodes as the scheduler's snapshot sees them: shared with the store, not copied.
    let node_objects: Vec<Arc<Object>> = cluster.store().list("Node", None).cloned().collect();
    let nodes: Vec<&Node> = node_objects
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Node(n) => Some(&**n),
            _ => None,
        })
        .collect();
    let total = nodes.len();
    let message = if let Some(reason) = volume_prefilter(cluster, pod) {
        let all = (0..total)
            .map(|_| Rejection {
                reasons: vec![],
                unresolvable: true,
            })
            .collect::<Vec<_>>();
        let pre = fit_error(total, &all);
        let pre = pre
            .split_once(". preemption: ")
            .map_or(String::new(), |(_, p)| p.to_string());
        Some(format!(
            "0/{total} nodes are available: {reason}. preemption: {pre}"
        ))
    } else {
        let (cpu, memory) = crate::index::pod_requests(pod);
        let owner = crate::index::controller_owner(&obj).map(|o| o.2);
        let mut rejections = Vec::new();
        let mut feasible = Vec::new();
        for &node in &nodes {
            let name = node.metadata.name.as_deref().unwrap_or_default();
            let usage = cluster
                .runtime
                .index
                .usage
                .get(name)
                .copied()
                .unwrap_or_default();
            let result = plugins::node_unschedulable(pod, node)
                .and_then(|_| plugins::taint_toleration(pod, node))
                .and_then(|_| plugins::node_affinity(pod, node))
                .and_then(|_| plugins::resources_fit(cpu, memory, node, usage))
                .and_then(|_| affinity::inter_pod_affinity(cluster, pod, node, &nodes));
            match result {
                Err(r) => rejections.push(r),
                Ok(()) => feasible.push((name, node, usage)),
            }
        }
        // Scores only rank feasible nodes against each other: with one there is nothing to
        // rank (and counting a big owner's pods on the node is the costly part).
        let best: Option<(i64, &str)> = match feasible[..] {
            [] => None,
            [(name, _, _)] => Some((0, name)),
            _ => feasible
                .iter()
                .map(|&(name, node, usage)| {
                    let same_owner = owner.as_ref().map_or(0, |uid| {
                        cluster.runtime.index.by_node.get(name).map_or(0, |pods| {
                            pods.iter()
                                .filter(|k| {
                                    cluster
                                        .runtime
                                        .index
                                        .owner_of
                                        .get(*k)
                                        .is_some_and(|o| &o.2 == uid)
                                })
                                .take(64)
                                .count()
                        })
                    });
                    (plugins::score(cpu, memory, node, usage, same_owner), name)
                })
                // The first of the best-scored, as before.
                .fold(None, |best: Option<(i64, &str)>, (s, name)| match best {
                    Some((b, _)) if s <= b => best,
                    _ => Some((s, name)),
                }),
        };
        match best {
            Some((_, node)) => {
                let node = node.to_string();
                bind(cluster, key, obj, &node);
                return;
            }
            None => Some(if total == 0 {
                "no nodes available to schedule pods".to_string()
            } else {
                fit_error(total, &rejections)
            }),
        }
    };
    if let Some(message) = message {
        mark_unschedulable(cluster, pod, &obj, &message);
        let at = crate::clock::after(cluster.now(), UNSCHEDULABLE_RETRY_SECONDS);
        cluster.wake_at(at, key.clone());
    }
}

/// Binds the pod to `node`, as the binding subresource does: the node name, and the
/// `PodScheduled` condition. Takes the pod's version by value, so that the binding can take it
/// over rather than copy it (see [`crate::Store::update_pod`]).
fn bind(cluster: &mut Cluster, key: &Key, obj: Arc<Object>, node: &str) {
    let Object::Pod(pod) = obj.as_ref() else {
        return;
    };
    let now = cluster.now();
    let mut status = pod.status.clone().unwrap_or_default();
    status.phase = Some("Pending".into());
    let mut conditions: Vec<PodCondition> = status
        .conditions
        .take()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.type_ != "PodScheduled")
        .collect();
    conditions.push(PodCondition {
        type_: "PodScheduled".into(),
        status: "True".into(),
        last_transition_time: Some(crate::kubelet::time(now)),
        ..PodCondition::default()
    });
    status.conditions = Some(conditions);
    // The Scheduled event refers to the pod as the scheduler saw it, before the binding.
    let meta = &pod.metadata;
    let involved = Object::from(Pod {
        metadata: ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            uid: meta.uid.clone(),
            resource_version: meta.resource_version.clone(),
            ..ObjectMeta::default()
        },
        ..Pod::default()
    });
    drop(obj);
    let Some(bound) = cluster
        .store_mut()
        .update_pod(key, Some(node.to_string()), status)
    else {
        return;
    };
    // Count the pod against its node at once: the next pending pod of the same batch is
    // scheduled before the settle loop observes this write, and must see this pod's requests.
    cluster.runtime.index.observe_pod(key, bound.as_pod());
    let ns = involved.namespace().unwrap_or_default();
    let name = involved.name();
    let message = format!("Successfully assigned {ns}/{name} to {node}");
    cluster.record_event(
        &involved,
        None,
        Source::Scheduler,
        EventKind::Normal,
        "Scheduled",
        &message,
    );
}

fn mark_unschedulable(cluster: &mut Cluster, pod: &Pod, obj: &Object, message: &str) {
    let now = cluster.now();
    let mut updated = pod.clone();
    let status = updated.status.get_or_insert_with(Default::default);
    status.phase = Some("Pending".into());
    let existing = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled")
        .cloned();
    let same = existing
        .as_ref()
        .is_some_and(|c| c.status == "False" && c.message.as_deref() == Some(message));
    if !same {
        status.conditions = Some(vec![PodCondition {
            type_: "PodScheduled".into(),
            status: "False".into(),
            reason: Some("Unschedulable".into()),
            message: Some(message.to_string()),
            last_transition_time: Some(crate::kubelet::time(
                existing
                    .filter(|c| c.status == "False")
                    .and_then(|c| c.last_transition_time)
                    .map_or(now, |t| t.0),
            )),
            last_probe_time: None,
            observed_generation: None,
        }]);
        status
            .qos_class
            .get_or_insert_with(|| crate::kubelet::qos_class(pod).to_string());
        cluster.store_mut().put(Object::from(updated));
    }
    cluster.record_event(
        obj,
        None,
        Source::Scheduler,
        EventKind::Warning,
        "FailedScheduling",
        message,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_error_reads_like_the_real_scheduler() {
        let taint = Rejection {
            reasons: vec![
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }".into(),
            ],
            unresolvable: true,
        };
        let cpu = Rejection {
            reasons: vec!["Insufficient cpu".into()],
            unresolvable: false,
        };
        assert_eq!(
            fit_error(3, &[taint, cpu.clone(), cpu]),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        );
    }
}
