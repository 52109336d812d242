//! Indexes the control plane keeps beside the store, like the informer indexers of the real
//! controllers: dependents by owner, pods by node, resources requested per node, pods waiting to be
//! scheduled. They make every reconcile proportional to what it touches, never to the cluster.
//!
//! Derived data only: not part of a snapshot, rebuilt from the store on first use.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::controllers::{is_active, ready_since};
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
    /// Its controller's uid: the owner whose [`OwnedPods`] count it.
    pub owner: Option<String>,
    /// Neither being deleted nor finished (what a ReplicaSet counts as one of its replicas).
    pub active: bool,
    /// When it last became Ready, if it is.
    pub ready_since: Option<Timestamp>,
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
            owner: pod_controller(p).map(|r| r.uid.clone()),
            active: is_active(p),
            ready_since: ready_since(p),
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
            && (self.active, self.ready_since) == (is_active(p), ready_since(p))
            && self.owner.as_deref() == pod_controller(p).map(|r| r.uid.as_str())
    }
}

fn pod_controller(p: &Pod) -> Option<&OwnerReference> {
    controller_in(&p.metadata)
}

/// What an owner's active pods add up to, kept as pods change so that a controller's status
/// costs it nothing per pod (a ReplicaSet of 10,000 pods syncs dozens of times while scaling).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OwnedPods {
    /// Active pods and how many of them are ready, by their labels (a controller's pods usually
    /// share one set of labels, so this holds one or two entries).
    pub by_labels: BTreeMap<BTreeMap<String, String>, ActiveAndReady>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActiveAndReady {
    pub active: i32,
    pub ready: i32,
}

impl OwnedPods {
    fn count(&mut self, entry: &PodEntry, sign: i32) {
        if !entry.active {
            return;
        }
        let n = match self.by_labels.get_mut(&entry.labels) {
            Some(n) => n,
            None => self.by_labels.entry(entry.labels.clone()).or_default(),
        };
        n.active += sign;
        n.ready += sign * i32::from(entry.ready_since.is_some());
        if *n == ActiveAndReady::default() {
            self.by_labels.remove(&entry.labels);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_labels.is_empty()
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

#[derive(Debug, Default)]
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
    /// Controller uid → what its active pods add up to.
    pub owned_pods: BTreeMap<String, OwnedPods>,
}

/// A copy starts unbuilt, and is built from the store at its first settle (as after a restore).
/// The indexes are derived state, and every session is a copy of the default cluster: an idle
/// session should not pay for a copy of them.
impl Clone for Index {
    fn clone(&self) -> Index {
        Index::default()
    }
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
    controller_in(o.meta())
}

fn controller_in(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

impl Index {
    /// Updates the owner index for any object. Returns `None` when its controller is the one
    /// it had, else `Some` of the previous one.
    pub fn observe_owner(
        &mut self,
        key: &Key,
        obj: Option<&Object>,
    ) -> Option<Option<(String, String, String)>> {
        // Most writes keep the owner: compare in place, without copying the reference.
        let unchanged = match (self.owner_of.get(key), obj.and_then(controller_ref)) {
            (None, None) => true,
            (Some((kind, name, uid)), Some(r)) => {
                *kind == r.kind && *name == r.name && *uid == r.uid
            }
            _ => false,
        };
        if unchanged {
            return None;
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
        Some(old)
    }

    /// Updates the pod indexes; returns the previous entry. Only what differs between the two
    /// entries is touched (most pod writes change one or two things).
    pub fn observe_pod(&mut self, key: &Key, pod: Option<&Pod>) -> Option<PodEntry> {
        let new = pod.map(PodEntry::of);
        let old = self.pods.remove(key);
        let (o, n) = (old.as_ref(), new.as_ref());
        // The parts of an entry each index depends on.
        fn owned_part(e: Option<&PodEntry>) -> Option<(&str, &BTreeMap<String, String>, bool)> {
            e.filter(|e| e.active)
                .and_then(|e| Some((e.owner.as_deref()?, &e.labels, e.ready_since.is_some())))
        }
        fn usage_part(e: Option<&PodEntry>) -> Option<(Option<&str>, i64, i64)> {
            e.filter(|e| e.counted)
                .map(|e| (e.node.as_deref(), e.cpu_millis, e.memory_bytes))
        }
        fn node(e: Option<&PodEntry>) -> Option<&str> {
            e.and_then(|e| e.node.as_deref())
        }
        if owned_part(o) != owned_part(n) {
            if let Some(o) = o {
                self.count_owned(o, -1);
            }
            if let Some(n) = n {
                self.count_owned(n, 1);
            }
        }
        if usage_part(o) != usage_part(n) {
            for (e, sign) in [(o, -1), (n, 1)] {
                let Some((node, cpu, memory)) = usage_part(e) else {
                    continue;
                };
                let node = node.unwrap_or_default();
                let u = match self.usage.get_mut(node) {
                    Some(u) => u,
                    None => self.usage.entry(node.to_string()).or_default(),
                };
                u.cpu_millis += sign * cpu;
                u.memory_bytes += sign * memory;
                u.pods += sign;
            }
        }
        if node(o) != node(n) {
            if let Some(set) = node(o).and_then(|node| self.by_node.get_mut(node)) {
                set.remove(key);
            }
            if let Some(node) = node(n) {
                self.by_node
                    .entry(node.to_string())
                    .or_default()
                    .insert(key.clone());
            }
        }
        match (o.is_some_and(|o| o.pending), n.is_some_and(|n| n.pending)) {
            (true, false) => {
                self.pending.remove(key);
            }
            (false, true) => {
                self.pending.insert(key.clone());
            }
            _ => {}
        }
        if let Some(n) = new {
            self.pods.insert(key.clone(), n);
        }
        old
    }

    /// Adds (`sign` 1) or takes away (-1) an entry's part of its owner's sums.
    fn count_owned(&mut self, entry: &PodEntry, sign: i32) {
        let Some(uid) = entry.owner.as_deref().filter(|_| entry.active) else {
            return;
        };
        let owned = match self.owned_pods.get_mut(uid) {
            Some(owned) => owned,
            None => self.owned_pods.entry(uid.to_string()).or_default(),
        };
        owned.count(entry, sign);
        if owned.is_empty() {
            self.owned_pods.remove(uid);
        }
    }

    /// What the active pods controlled by `uid` add up to, as of the start of this settle round.
    pub fn owned_pods(&self, uid: &str) -> Option<&OwnedPods> {
        self.owned_pods.get(uid)
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
            (
                "/status/conditions",
                json!([{"type": "Ready", "status": "True"}]),
            ),
            (
                "/metadata/ownerReferences",
                json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                    "uid": "u2", "controller": true}]),
            ),
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

    #[test]
    fn an_owners_sums_follow_its_pods() {
        let key = |name: &str| Key {
            kind: "Pod",
            namespace: "default".into(),
            name: name.into(),
        };
        let owned = |labels: serde_json::Value, ready: bool, extra: serde_json::Value| {
            let mut v = json!({"metadata": {"labels": labels, "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1",
                    "controller": true}]},
                "spec": {"containers": [{"name": "c"}]},
                "status": {"phase": "Running", "conditions": [
                    {"type": "Ready", "status": if ready { "True" } else { "False" }}]}});
            json_patch::merge(&mut v, &extra);
            pod(v)
        };
        let sums = |index: &Index| -> Vec<(String, i32, i32)> {
            index
                .owned_pods("u1")
                .map(|o| {
                    o.by_labels
                        .iter()
                        .map(|(l, n)| (l.values().cloned().collect(), n.active, n.ready))
                        .collect()
                })
                .unwrap_or_default()
        };
        let web = json!({"app": "web"});
        let mut index = Index::default();
        index.observe_pod(&key("a"), Some(&owned(web.clone(), true, json!({}))));
        index.observe_pod(&key("b"), Some(&owned(web.clone(), false, json!({}))));
        index.observe_pod(
            &key("c"),
            Some(&owned(json!({"app": "api"}), true, json!({}))),
        );
        assert_eq!(sums(&index), [("api".into(), 1, 1), ("web".into(), 2, 1)]);
        // b becomes ready; c is relabelled; a is being deleted (no longer active).
        index.observe_pod(&key("b"), Some(&owned(web.clone(), true, json!({}))));
        index.observe_pod(&key("c"), Some(&owned(web.clone(), true, json!({}))));
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}});
        index.observe_pod(&key("a"), Some(&owned(web.clone(), true, deleting)));
        assert_eq!(sums(&index), [("web".into(), 2, 2)]);
        // A finished pod and an orphaned pod stop counting; a removed pod too.
        let done = json!({"status": {"phase": "Succeeded"}});
        index.observe_pod(&key("b"), Some(&owned(web.clone(), true, done)));
        let orphan = json!({"metadata": {"ownerReferences": null}});
        index.observe_pod(&key("c"), Some(&owned(web.clone(), true, orphan)));
        assert_eq!(sums(&index), []);
        assert!(
            index.owned_pods("u1").is_none(),
            "an owner without pods is dropped"
        );
        index.observe_pod(&key("d"), Some(&owned(web.clone(), false, json!({}))));
        index.observe_pod(&key("d"), None);
        assert!(index.owned_pods("u1").is_none());
    }

    /// Any sequence of pod writes leaves the indexes as building them from the final pods would.
    #[test]
    fn incremental_updates_agree_with_a_rebuild() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut index = Index::default();
        let mut pods: BTreeMap<Key, Pod> = BTreeMap::new();
        for _ in 0..3_000 {
            let key = Key {
                kind: "Pod",
                namespace: "default".into(),
                name: format!("p{}", rng.u8(..20)).into(),
            };
            if rng.u8(..8) == 0 {
                pods.remove(&key);
                index.observe_pod(&key, None);
                continue;
            }
            let pick = |rng: &mut fastrand::Rng, options: &[serde_json::Value]| {
                options[rng.usize(..options.len())].clone()
            };
            let v = json!({
                "metadata": {
                    "labels": pick(&mut rng, &[json!({"app": "a"}), json!({"app": "b"}), json!(null)]),
                    "ownerReferences": pick(&mut rng, &[json!(null), json!([{"apiVersion": "apps/v1",
                        "kind": "ReplicaSet", "name": "rs", "uid": "u1", "controller": true}]),
                        json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs2",
                        "uid": "u2", "controller": true}])]),
                    "deletionTimestamp": pick(&mut rng, &[json!(null), json!(null), json!("2026-01-01T00:00:00Z")]),
                },
                "spec": {
                    "nodeName": pick(&mut rng, &[json!(null), json!("n1"), json!("n2")]),
                    "containers": [{"name": "c", "resources": {"requests":
                        {"cpu": pick(&mut rng, &[json!("100m"), json!("1")])}}}],
                },
                "status": {
                    "phase": pick(&mut rng, &[json!("Pending"), json!("Running"), json!("Succeeded")]),
                    "conditions": pick(&mut rng, &[json!([]), json!([{"type": "Ready", "status": "True"}])]),
                },
            });
            let p = pod(v);
            index.observe_pod(&key, Some(&p));
            pods.insert(key, p);
        }
        let mut rebuilt = Index::default();
        for (key, p) in &pods {
            rebuilt.observe_pod(key, Some(p));
        }
        assert_eq!(index.pods, rebuilt.pods);
        assert_eq!(index.pending, rebuilt.pending);
        assert_eq!(index.owned_pods, rebuilt.owned_pods);
        let nonempty = |i: &Index| -> BTreeMap<String, BTreeSet<Key>> {
            i.by_node
                .iter()
                .filter(|(_, s)| !s.is_empty())
                .map(|(k, s)| (k.clone(), s.clone()))
                .collect()
        };
        assert_eq!(nonempty(&index), nonempty(&rebuilt));
        let used = |i: &Index| -> BTreeMap<String, Usage> {
            i.usage
                .iter()
                .filter(|(_, u)| **u != Usage::default())
                .map(|(k, u)| (k.clone(), *u))
                .collect()
        };
        assert_eq!(used(&index), used(&rebuilt));
        assert!(!index.owned_pods.is_empty(), "the test covers owners");
        assert!(!index.pending.is_empty(), "the test covers pending pods");
    }
}
