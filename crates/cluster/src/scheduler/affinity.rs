//! InterPodAffinity (required terms): co-locate with, or keep away from, pods matching a label
//! selector within a topology domain (usually a node, `kubernetes.io/hostname`).

use k8s_openapi::api::core::v1::{Node, Pod, PodAffinityTerm};

use super::plugins::Rejection;
use crate::selector::LabelSelectorSet;
use crate::Cluster;

fn domain(node: &Node, topology_key: &str) -> Option<String> {
    node.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(topology_key))
        .cloned()
}

/// Whether any pod in the same topology domain as `node` matches the term.
fn domain_has_match(
    cluster: &Cluster,
    pod: &Pod,
    term: &PodAffinityTerm,
    node: &Node,
    nodes: &[&Node],
) -> bool {
    let Some(value) = domain(node, &term.topology_key) else {
        return false;
    };
    let Some(selector) = term
        .label_selector
        .as_ref()
        .and_then(|s| LabelSelectorSet::from_label_selector(s).ok())
    else {
        return false;
    };
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let namespaces = term
        .namespaces
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| vec![ns]);
    nodes
        .iter()
        .filter(|n| domain(n, &term.topology_key).as_ref() == Some(&value))
        .filter_map(|n| {
            cluster
                .runtime
                .index
                .by_node
                .get(n.metadata.name.as_deref().unwrap_or_default())
        })
        .flatten()
        .filter(|k| namespaces.iter().any(|n| *n == k.namespace))
        .filter_map(|k| cluster.runtime.index.pods.get(k))
        .any(|e| e.counted && selector.matches(Some(&e.labels)))
}

pub fn inter_pod_affinity(
    cluster: &Cluster,
    pod: &Pod,
    node: &Node,
    nodes: &[&Node],
) -> Result<(), Rejection> {
    let Some(affinity) = pod.spec.as_ref().and_then(|s| s.affinity.as_ref()) else {
        return Ok(());
    };
    for term in affinity
        .pod_anti_affinity
        .as_ref()
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
    {
        if domain_has_match(cluster, pod, term, node, nodes) {
            return Err(Rejection {
                reasons: vec!["node(s) didn't match pod anti-affinity rules".into()],
                unresolvable: false,
            });
        }
    }
    for term in affinity
        .pod_affinity
        .as_ref()
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
    {
        if !domain_has_match(cluster, pod, term, node, nodes) {
            // The first pod of a group that selects itself may go anywhere.
            let selects_itself = term
                .label_selector
                .as_ref()
                .and_then(|s| LabelSelectorSet::from_label_selector(s).ok())
                .is_some_and(|s| s.matches(pod.metadata.labels.as_ref()));
            let any_match = nodes
                .iter()
                .any(|n| domain_has_match(cluster, pod, term, n, nodes));
            if !(selects_itself && !any_match) {
                return Err(Rejection {
                    reasons: vec!["node(s) didn't match pod affinity rules".into()],
                    unresolvable: true,
                });
            }
        }
    }
    Ok(())
}
