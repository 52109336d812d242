//! The DaemonSet controller: one pod per eligible node. Pods are pinned with a node affinity on
//! `metadata.name` and placed by the scheduler, as in Kubernetes 1.33; they tolerate the
//! node-condition taints automatically but not the control-plane taint. Pods carry the
//! template's `controller-revision-hash`; a RollingUpdate replaces out-of-date pods node by node,
//! at most `maxUnavailable` (default 1) unavailable at a time; OnDelete waits for the user.

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};

use super::deployment::util::pod_template_hash;
use super::statefulset::REVISION_LABEL;
use super::{create_pod, delete_pod, is_available, is_ready, owned};
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::scheduler::plugins;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "daemonset-controller";

fn auto_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: &str| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        ..Toleration::default()
    };
    vec![
        t("node.kubernetes.io/not-ready", "NoExecute"),
        t("node.kubernetes.io/unreachable", "NoExecute"),
        t("node.kubernetes.io/disk-pressure", "NoSchedule"),
        t("node.kubernetes.io/memory-pressure", "NoSchedule"),
        t("node.kubernetes.io/pid-pressure", "NoSchedule"),
        t("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
}

fn pod_for(ds: &DaemonSet, node: &str) -> Pod {
    let template = ds
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let mut spec = template.spec.unwrap_or_default();
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for t in auto_tolerations() {
        if !tolerations.contains(&t) {
            tolerations.push(t);
        }
    }
    spec.affinity
        .get_or_insert_with(Affinity::default)
        .node_affinity = Some(NodeAffinity {
        required_during_scheduling_ignored_during_execution: Some(NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_fields: Some(vec![NodeSelectorRequirement {
                    key: "metadata.name".into(),
                    operator: "In".into(),
                    values: Some(vec![node.to_string()]),
                }]),
                match_expressions: None,
            }],
        }),
        preferred_during_scheduling_ignored_during_execution: None,
    });
    Pod {
        metadata: template.metadata.unwrap_or_default(),
        spec: Some(spec),
        status: None,
    }
}

fn target_node(p: &Pod) -> Option<String> {
    p.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .first()?
        .match_fields
        .as_ref()?
        .first()?
        .values
        .as_ref()?
        .first()
        .cloned()
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(Object::DaemonSet(ds)) = cluster.store().get(key).map(|o| o.as_ref().clone()) else {
        return;
    };
    if ds.metadata.deletion_timestamp.is_some() {
        return;
    }
    let obj = Object::DaemonSet(ds.clone());
    let nodes: Vec<Node> = cluster
        .store()
        .list("Node", None)
        .filter_map(|o| match o.as_ref() {
            Object::Node(n) => Some((**n).clone()),
            _ => None,
        })
        .collect();
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter(super::is_active)
        .collect();
    // A pod still shutting down keeps its node occupied (`getNodesToDaemonPods` skips only
    // deleted pods that are terminal): its replacement waits until it is gone.
    let stopping: Vec<String> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.deletion_timestamp.is_some())
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .filter_map(target_node)
        .collect();
    let template = ds
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let hash = pod_template_hash(
        &template,
        ds.status.as_ref().and_then(|s| s.collision_count),
    );
    let generation = ds.metadata.generation.unwrap_or(1).to_string();
    let labels = [
        (REVISION_LABEL, hash.as_str()),
        ("pod-template-generation", generation.as_str()),
    ];
    let is_updated = |p: &Pod| {
        p.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(REVISION_LABEL))
            == Some(&hash)
    };
    let mut desired = 0;
    let mut eligible_nodes = Vec::new();
    for node in &nodes {
        let name = node.metadata.name.clone().unwrap_or_default();
        let candidate = pod_for(&ds, &name);
        let eligible = plugins::taint_toleration(&candidate, node).is_ok()
            && plugins::node_affinity(&candidate, node).is_ok();
        let here: Vec<&Pod> = pods
            .iter()
            .filter(|p| target_node(p).as_deref() == Some(&name))
            .collect();
        if eligible {
            desired += 1;
            eligible_nodes.push(name.clone());
            if here.is_empty() && !stopping.contains(&name) {
                let template = k8s_openapi::api::core::v1::PodTemplateSpec {
                    metadata: Some(candidate.metadata.clone()),
                    spec: candidate.spec.clone(),
                };
                create_pod(cluster, &obj, &template, None, &labels, SOURCE);
            }
        } else {
            for p in here {
                delete_pod(
                    cluster,
                    &Key {
                        kind: "Pod",
                        namespace: key.namespace.clone(),
                        name: p.metadata.name.as_deref().unwrap_or_default().into(),
                    },
                );
            }
        }
    }
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let now = cluster.now();
    if let Some(max_unavailable) = rolling_max_unavailable(&ds, desired) {
        rolling_update(
            cluster,
            &obj,
            &pods,
            &eligible_nodes,
            |p: &Pod| is_updated(p),
            |p: &Pod| is_available(p, min_ready, now),
            max_unavailable,
        );
    }
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter(|p| {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            super::is_active(p) || !matches!(phase, Some("Succeeded" | "Failed"))
        })
        .collect();
    // Counted per node of the node list, as `updateDaemonSetStatus` does: a pod bound to a
    // node that is gone counts nowhere; one on a node that should not run it is misscheduled.
    let bound = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
    let misscheduled = pods
        .iter()
        .filter(|p| bound(p))
        .filter(|p| {
            target_node(p).is_some_and(|n| {
                !eligible_nodes.contains(&n)
                    && nodes
                        .iter()
                        .any(|node| node.metadata.name.as_ref() == Some(&n))
            })
        })
        .count() as i32;
    let pods: Vec<Pod> = pods
        .into_iter()
        .filter(|p| target_node(p).is_some_and(|n| eligible_nodes.contains(&n)))
        .collect();
    let scheduled = pods
        .iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
        .count() as i32;
    let ready = pods.iter().filter(|p| is_ready(p)).count() as i32;
    let available = pods
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count() as i32;
    let status = DaemonSetStatus {
        current_number_scheduled: scheduled,
        desired_number_scheduled: desired,
        number_misscheduled: misscheduled,
        number_ready: ready,
        number_available: (available > 0).then_some(available),
        number_unavailable: (desired - available > 0).then_some(desired - available),
        updated_number_scheduled: Some(
            pods.iter()
                .filter(|p| is_updated(p))
                .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
                .count() as i32,
        ),
        observed_generation: ds.metadata.generation,
        collision_count: None,
        conditions: None,
    };
    if ds.status.as_ref() != Some(&status) {
        let mut d = ds.clone();
        d.status = Some(status);
        cluster.store_mut().put(Object::DaemonSet(d));
    }
}

/// `maxUnavailable` of a RollingUpdate DaemonSet (an int, or a percentage of the nodes that
/// should run a pod, rounded up as `GetScaledValueFromIntOrPercent(.., true)` does); `None`
/// under OnDelete.
fn rolling_max_unavailable(ds: &DaemonSet, desired: i32) -> Option<i32> {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let strategy = ds
        .spec
        .as_ref()?
        .update_strategy
        .clone()
        .unwrap_or_default();
    if strategy.type_.as_deref() == Some("OnDelete") {
        return None;
    }
    let max = strategy.rolling_update.and_then(|r| r.max_unavailable);
    Some(match max {
        None => 1,
        Some(IntOrString::Int(n)) => n,
        Some(IntOrString::String(s)) => {
            let pct: i32 = s.trim_end_matches('%').parse().unwrap_or(0);
            (desired * pct + 99) / 100
        }
    })
}

/// The DaemonSet rolling update (`rollingUpdate` with maxSurge 0): an out-of-date pod that is
/// not available is deleted at once; available ones only while fewer than `max_unavailable`
/// nodes lack an available pod. The node's new pod is created on a later sync.
fn rolling_update(
    cluster: &mut Cluster,
    ds: &Object,
    pods: &[Pod],
    nodes: &[String],
    is_updated: impl Fn(&Pod) -> bool,
    is_available: impl Fn(&Pod) -> bool,
    max_unavailable: i32,
) {
    let on = |node: &String| pods.iter().find(|p| target_node(p).as_ref() == Some(node));
    let mut unavailable = nodes
        .iter()
        .filter(|n| !on(n).is_some_and(&is_available))
        .count() as i32;
    for node in nodes {
        let Some(old) = on(node).filter(|p| !is_updated(p)) else {
            continue;
        };
        if is_available(old) {
            if unavailable >= max_unavailable {
                continue;
            }
            unavailable += 1;
        }
        let name = old.metadata.name.clone().unwrap_or_default();
        delete_pod(
            cluster,
            &Key {
                kind: "Pod",
                namespace: ds.namespace().unwrap_or_default().into(),
                name: name.as_str().into(),
            },
        );
        cluster.record_event(
            ds,
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "SuccessfulDelete",
            &format!("Deleted pod: {name}"),
        );
    }
}
