//! Filter plugins, in the order the default scheduler profile runs them. Each returns `Ok` or the
//! reasons the node does not fit, with the real messages and whether preemption could help.

use k8s_openapi::api::core::v1::{
    Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration,
};

use crate::index::Usage;
use crate::quantity;

/// Why a node was filtered out.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub reasons: Vec<String>,
    /// `UnschedulableAndUnresolvable`: evicting pods would not help.
    pub unresolvable: bool,
}

impl Rejection {
    fn unresolvable(reason: impl Into<String>) -> Rejection {
        Rejection {
            reasons: vec![reason.into()],
            unresolvable: true,
        }
    }
}

/// NodeUnschedulable: `spec.unschedulable` (kubectl cordon), unless tolerated.
pub fn node_unschedulable(pod: &Pod, node: &Node) -> Result<(), Rejection> {
    let cordoned = node
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    let tolerated = tolerations(pod).iter().any(|t| {
        t.key.as_deref() == Some("node.kubernetes.io/unschedulable")
            && t.effect.as_deref().is_none_or(|e| e == "NoSchedule")
    });
    if cordoned && !tolerated {
        return Err(Rejection::unresolvable("node(s) were unschedulable"));
    }
    Ok(())
}

fn tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or_default()
}

pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if t.effect
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != taint.effect)
    {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => t
            .key
            .as_deref()
            .is_none_or(|k| k.is_empty() || k == taint.key),
        _ => {
            t.key.as_deref() == Some(taint.key.as_str())
                && t.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
    }
}

/// TaintToleration: every NoSchedule/NoExecute taint must be tolerated.
pub fn taint_toleration(pod: &Pod, node: &Node) -> Result<(), Rejection> {
    let taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default();
    for taint in taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
    {
        if !tolerations(pod).iter().any(|t| tolerates(t, taint)) {
            return Err(Rejection::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or_default()
            )));
        }
    }
    Ok(())
}

fn requirement_matches(
    r: &NodeSelectorRequirement,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    let v = labels.get(&r.key);
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => v.is_some_and(|v| values.contains(v)),
        "NotIn" => v.is_none_or(|v| !values.contains(v)),
        "Exists" => v.is_some(),
        "DoesNotExist" => v.is_none(),
        "Gt" => v
            .and_then(|v| v.parse::<i64>().ok())
            .zip(values.first().and_then(|x| x.parse::<i64>().ok()))
            .is_some_and(|(a, b)| a > b),
        "Lt" => v
            .and_then(|v| v.parse::<i64>().ok())
            .zip(values.first().and_then(|x| x.parse::<i64>().ok()))
            .is_some_and(|(a, b)| a < b),
        _ => false,
    }
}

fn term_matches(t: &NodeSelectorTerm, node: &Node) -> bool {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let exprs = t.match_expressions.as_deref().unwrap_or_default();
    let fields = t.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let name = node.metadata.name.clone().unwrap_or_default();
    exprs.iter().all(|r| requirement_matches(r, &labels))
        && fields.iter().all(|r| {
            let mut m = std::collections::BTreeMap::new();
            m.insert("metadata.name".to_string(), name.clone());
            requirement_matches(r, &m)
        })
}

/// NodeAffinity: `nodeSelector` and required node affinity.
pub fn node_affinity(pod: &Pod, node: &Node) -> Result<(), Rejection> {
    let spec = pod.spec.as_ref();
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let selector_ok = spec
        .and_then(|s| s.node_selector.as_ref())
        .is_none_or(|sel| sel.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let required = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let affinity_ok =
        required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)));
    if selector_ok && affinity_ok {
        Ok(())
    } else {
        Err(Rejection::unresolvable(
            "node(s) didn't match Pod's node affinity/selector",
        ))
    }
}

/// NodeResourcesFit: requests against allocatable minus what bound pods request.
pub fn resources_fit(cpu: i64, memory: i64, node: &Node, usage: Usage) -> Result<(), Rejection> {
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let a_cpu = quantity::get(alloc, "cpu").map_or(0, quantity::millicores);
    let a_mem = quantity::get(alloc, "memory").map_or(0, quantity::value);
    let a_pods = quantity::get(alloc, "pods").map_or(110, quantity::value);
    let mut reasons = Vec::new();
    if usage.pods + 1 > a_pods {
        reasons.push("Too many pods".to_string());
    }
    if cpu > 0 && usage.cpu_millis + cpu > a_cpu {
        reasons.push("Insufficient cpu".to_string());
    }
    if memory > 0 && usage.memory_bytes + memory > a_mem {
        reasons.push("Insufficient memory".to_string());
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            reasons,
            unresolvable: false,
        })
    }
}

/// Scores a feasible node: LeastAllocated over cpu and memory (pods without requests count as
/// 100m / 200Mi, the scheduler's non-zero defaults), minus a spreading penalty for replicas of the
/// same owner already there (the default topology spread by hostname).
pub fn score(cpu: i64, memory: i64, node: &Node, usage: Usage, same_owner_on_node: usize) -> i64 {
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let a_cpu = quantity::get(alloc, "cpu")
        .map_or(1, quantity::millicores)
        .max(1);
    let a_mem = quantity::get(alloc, "memory")
        .map_or(1, quantity::value)
        .max(1);
    let cpu = if cpu == 0 { 100 } else { cpu };
    let memory = if memory == 0 { 200 * 1048576 } else { memory };
    let free = |alloc: i64, used: i64| ((alloc - used).max(0) * 100 / alloc).min(100);
    let least =
        (free(a_cpu, usage.cpu_millis + cpu) + free(a_mem, usage.memory_bytes + memory)) / 2;
    least * 10 - (same_owner_on_node as i64) * 50
}
