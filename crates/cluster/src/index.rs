//! Indexes the control plane keeps beside the store, like the informer indexers of the real
//! controllers: dependents by owner, pods by node, resources requested per node, pods waiting to be
//! scheduled. They make every reconcile proportional to what it touches, never to the cluster.
//!
//! Derived data only: not part of a snapshot, rebuilt from the store on first use.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::object::Object;
use crate::quantity;
use crate::store::Key;

/// What the indexes remember about one pod.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodEntry {
    pub labels: BTreeMap<String, String>,
    /// `spec.nodeName`, once bound.
    pub node: Option<String>,
    /// Counted against its node's allocatable: bound and not finished.
    pub counted: bool,
    /// Waiting for the scheduler: unbound and not being deleted.
    pub pending: bool,
    pub cpu_millis: i64,
    pub memory_bytes: i64,
}

impl PodEntry {
    pub fn of(p: &Pod) -> PodEntry {
        let node = bound_node(p).map(str::to_string);
        let (counted, pending) = counted_and_pending(p);
        let (cpu, mem) = pod_requests(p);
        PodEntry {
            labels: p.metadata.labels.clone().unwrap_or_default(),
            counted,
            pending,
            node,
            cpu_millis: cpu,
            memory_bytes: mem,
        }
    }

    /// Whether this entry is what [`PodEntry::of`] would make of `p`, without making it: most
    /// pod writes are status updates that change nothing indexed.
    pub fn describes(&self, p: &Pod) -> bool {
        self.node.as_deref() == bound_node(p)
            && (self.counted, self.pending) == counted_and_pending(p)
            && p.metadata
                .labels
                .as_ref()
                .map_or(self.labels.is_empty(), |l| *l == self.labels)
            && (self.cpu_millis, self.memory_bytes) == pod_requests(p)
    }
}

/// `spec.nodeName`, once bound.
fn bound_node(p: &Pod) -> Option<&str> {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

/// Counted against its node (bound, not finished); waiting for the scheduler (unbound, not
/// deleted, not finished).
fn counted_and_pending(p: &Pod) -> (bool, bool) {
    let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
    let finished = matches!(phase, Some("Succeeded" | "Failed"));
    let deleting = p.metadata.deletion_timestamp.is_some();
    let bound = bound_node(p).is_some();
    (bound && !finished, !bound && !deleting && !finished)
}

/// Requests summed over a node's counted pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    pub pods: i64,
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    pub built: bool,
    pub pods: BTreeMap<Key, PodEntry>,
    /// Controller owner uid → dependents (pods, ReplicaSets, ...).
    pub dependents: BTreeMap<String, BTreeSet<Key>>,
    /// Each object's controller owner: (kind, name, uid).
    pub owner_of: BTreeMap<Key, (String, String, String)>,
    pub by_node: BTreeMap<String, BTreeSet<Key>>,
    pub usage: BTreeMap<String, Usage>,
    pub pending: BTreeSet<Key>,
}

/// The requests the scheduler counts for a pod: the larger of the sum over containers and the
/// largest init container, per resource (the effective-request rule).
pub fn pod_requests(pod: &Pod) -> (i64, i64) {
    let Some(spec) = pod.spec.as_ref() else {
        return (0, 0);
    };
    let req = |c: &k8s_openapi::api::core::v1::Container| {
        let r = c.resources.as_ref();
        let requests = r.and_then(|r| r.requests.as_ref());
        // A limit without a request defaults the request to the limit (API defaulting).
        let limits = r.and_then(|r| r.limits.as_ref());
        let cpu = quantity::get(requests, "cpu")
            .or(quantity::get(limits, "cpu"))
            .map_or(0, quantity::millicores);
        let mem = quantity::get(requests, "memory")
            .or(quantity::get(limits, "memory"))
            .map_or(0, quantity::value);
        (cpu, mem)
    };
    let (mut cpu, mut mem) = spec
        .containers
        .iter()
        .map(req)
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    for ic in spec.init_containers.iter().flatten() {
        let (c, m) = req(ic);
        if ic.restart_policy.as_deref() == Some("Always") {
            cpu += c;
            mem += m;
        } else {
            cpu = cpu.max(c);
            mem = mem.max(m);
        }
    }
    (cpu, mem)
}

pub fn controller_owner(o: &Object) -> Option<(String, String, String)> {
    controller_ref(o).map(|r| (r.kind.clone(), r.name.clone(), r.uid.clone()))
}

/// The object's controller reference, borrowed.
pub fn controller_ref(o: &Object) -> Option<&OwnerReference> {
    o.meta()
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

impl Index {
    /// Updates the owner index for any object; returns the previous owner.
    pub fn observe_owner(
        &mut self,
        key: &Key,
        obj: Option<&Object>,
    ) -> Option<(String, String, String)> {
        // Most writes keep the owner: compare in place, without copying the reference.
        let unchanged = match (self.owner_of.get(key), obj.and_then(controller_ref)) {
            (None, None) => true,
            (Some((kind, name, uid)), Some(r)) => {
                *kind == r.kind && *name == r.name && *uid == r.uid
            }
            _ => false,
        };
        if unchanged {
            return self.owner_of.get(key).cloned();
        }
        let new = obj.and_then(controller_owner);
        let old = match &new {
            Some(n) => self.owner_of.insert(key.clone(), n.clone()),
            None => self.owner_of.remove(key),
        };
        if old != new {
            if let Some((_, _, uid)) = &old {
                if let Some(set) = self.dependents.get_mut(uid) {
                    set.remove(key);
                    if set.is_empty() {
                        self.dependents.remove(uid);
                    }
                }
            }
            if let Some((_, _, uid)) = &new {
                self.dependents
                    .entry(uid.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        old
    }

    /// Updates the pod indexes; returns the previous entry.
    pub fn observe_pod(&mut self, key: &Key, pod: Option<&Pod>) -> Option<PodEntry> {
        if let (Some(p), Some(entry)) = (pod, self.pods.get(key)) {
            if entry.describes(p) {
                return Some(entry.clone());
            }
        }
        let new = pod.map(PodEntry::of);
        let old = match &new {
            Some(n) => self.pods.insert(key.clone(), n.clone()),
            None => self.pods.remove(key),
        };
        if let Some(o) = &old {
            if o.counted {
                let node = o.node.clone().unwrap_or_default();
                let u = self.usage.entry(node).or_default();
                u.cpu_millis -= o.cpu_millis;
                u.memory_bytes -= o.memory_bytes;
                u.pods -= 1;
            }
            if let Some(node) = &o.node {
                if let Some(set) = self.by_node.get_mut(node) {
                    set.remove(key);
                }
            }
            self.pending.remove(key);
        }
        if let Some(n) = &new {
            if n.counted {
                let node = n.node.clone().unwrap_or_default();
                let u = self.usage.entry(node).or_default();
                u.cpu_millis += n.cpu_millis;
                u.memory_bytes += n.memory_bytes;
                u.pods += 1;
            }
            if let Some(node) = &n.node {
                self.by_node
                    .entry(node.clone())
                    .or_default()
                    .insert(key.clone());
            }
            if n.pending {
                self.pending.insert(key.clone());
            }
        }
        old
    }

    pub fn dependents_of(&self, uid: &str) -> impl Iterator<Item = &Key> {
        self.dependents.get(uid).into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_entry_describes_exactly_the_pods_that_would_make_it() {
        let base = json!({"metadata": {"name": "p", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
            "status": {"phase": "Pending"}});
        let entry = PodEntry::of(&pod(base.clone()));
        assert!(entry.describes(&pod(base.clone())));
        // A status change that moves nothing indexed.
        let mut v = base.clone();
        v["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
        assert!(entry.describes(&pod(v)));
        // Each indexed field, changed.
        for (path, value) in [
            ("/metadata/labels/app", json!("api")),
            ("/spec/nodeName", json!("minikube")),
            ("/status/phase", json!("Succeeded")),
            ("/metadata/deletionTimestamp", json!("2026-01-01T00:00:00Z")),
            ("/spec/containers/0/resources/requests/cpu", json!("200m")),
        ] {
            let mut v = base.clone();
            let (parent, field) = path.rsplit_once('/').unwrap();
            v.pointer_mut(parent).unwrap()[field] = value;
            let p = pod(v);
            assert!(!entry.describes(&p), "{path}");
            assert!(PodEntry::of(&p).describes(&p), "{path}");
        }
        // No labels at all and empty labels are the same entry.
        let mut v = base;
        v["metadata"].as_object_mut().unwrap().remove("labels");
        let unlabelled = PodEntry::of(&pod(v.clone()));
        v["metadata"]["labels"] = json!({});
        assert!(unlabelled.describes(&pod(v)));
    }
}
