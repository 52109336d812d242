//! The DaemonSet controller: one pod per eligible node. Pods are pinned with a node affinity on
//! `metadata.name` and placed by the scheduler, as in Kubernetes 1.33; they tolerate the
//! node-condition taints automatically but not the control-plane taint.

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};

use super::{create_pod, delete_pod, is_available, is_ready, owned};
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
            Object::Node(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter(super::is_active)
        .collect();
    let mut desired = 0;
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
            if here.is_empty() {
                let template = k8s_openapi::api::core::v1::PodTemplateSpec {
                    metadata: Some(candidate.metadata.clone()),
                    spec: candidate.spec.clone(),
                };
                create_pod(cluster, &obj, &template, None, &[], SOURCE);
            }
        } else {
            for p in here {
                delete_pod(
                    cluster,
                    &Key {
                        kind: "Pod",
                        namespace: key.namespace.clone(),
                        name: p.metadata.name.clone().unwrap_or_default(),
                    },
                );
            }
        }
    }
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter(super::is_active)
        .collect();
    let scheduled = pods
        .iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
        .count() as i32;
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let now = cluster.now();
    let ready = pods.iter().filter(|p| is_ready(p)).count() as i32;
    let available = pods
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count() as i32;
    let status = DaemonSetStatus {
        current_number_scheduled: scheduled,
        desired_number_scheduled: desired,
        number_misscheduled: 0,
        number_ready: ready,
        number_available: (available > 0).then_some(available),
        number_unavailable: (desired - available > 0).then_some(desired - available),
        updated_number_scheduled: Some(scheduled),
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
