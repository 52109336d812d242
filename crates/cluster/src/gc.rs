//! Garbage collection by ownerReferences, finalizers, and namespace termination.
//!
//! The real garbage collector watches everything and deletes dependents whose owners are gone.
//! Here the same rules run synchronously, at the moments that matter, which keeps sessions
//! deterministic:
//! - **Background** (the default): removing an owner ([`Cluster::remove_object`]) deletes its
//!   dependents at once, recursively (pods among them terminate gracefully).
//! - **Foreground**: the owner keeps a `deletionTimestamp` and the `foregroundDeletion`
//!   finalizer; its dependents are deleted (in foreground too) and the owner goes when the last
//!   one is gone — checked by [`Cluster::collect_garbage`], which the runtime's settle loop calls
//!   after pods finish terminating.
//! - **Orphan**: the `orphan` finalizer; dependents lose their ownerReference to the owner, then
//!   the owner goes.
//! - **Namespaces**: a deleted namespace is `Terminating`; everything in it is deleted, and the
//!   namespace is removed (its `kubernetes` finalizer dropped) once it is empty.
//!
//! Finalizers of any other name block removal until a client removes them; removing the last
//! one from an object with a `deletionTimestamp` completes its deletion (see the update path).
//!
//! Dependents are looked up in the owner's namespace (ownerReferences may not cross namespaces),
//! or everywhere for cluster-scoped owners. Pods and Events are never treated as owners, which
//! keeps the hot path (deleting one of 10,000 pods) free of namespace scans.

use std::sync::Arc;

use crate::api::{DeleteOptions, Propagation};
use crate::object::Object;
use crate::resources::{self, RESOURCES};
use crate::store::Key;
use crate::Cluster;

pub const FOREGROUND_DELETION: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";
/// The finalizer a namespace's `spec.finalizers` carries until its contents are deleted.
pub const NAMESPACE_FINALIZER: &str = "kubernetes";

fn can_own(kind: &str) -> bool {
    !matches!(kind, "Pod" | "Event")
}

/// Whether `o`'s deletion waits on the collector: an owner being deleted in the foreground or
/// orphaning its dependents. The store keeps these in a set ([`crate::Store::awaiting_collector`]),
/// so finishing deletions never scans every object.
pub(crate) fn awaits_collector(o: &Object) -> bool {
    can_own(o.kind())
        && o.meta().deletion_timestamp.is_some()
        && (has_finalizer(o, FOREGROUND_DELETION) || has_finalizer(o, ORPHAN))
}

fn has_finalizer(o: &Object, name: &str) -> bool {
    o.meta()
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == name))
}

impl Cluster {
    /// Keys of the objects with an ownerReference to `owner`.
    pub fn dependents_of(&self, owner: &Object) -> Vec<Key> {
        let Some(uid) = owner.meta().uid.as_deref() else {
            return Vec::new();
        };
        if !can_own(owner.kind()) {
            return Vec::new();
        }
        let ns = owner.namespace();
        let mut out = Vec::new();
        for rt in RESOURCES.iter().filter(|r| !resources::is_virtual(r)) {
            if ns.is_some() && !rt.namespaced() {
                continue;
            }
            for o in self.store.list(rt.kind, ns) {
                let owned = o
                    .meta()
                    .owner_references
                    .as_ref()
                    .is_some_and(|refs| refs.iter().any(|r| r.uid == uid));
                if owned {
                    out.push(Key::of(o));
                }
            }
        }
        out
    }

    /// Removes an object from the store now (its deletion is complete) and deletes its
    /// dependents in the background. Components that finish a deletion themselves (the kubelet
    /// after a pod's containers stopped) should call this rather than touching the store.
    pub fn remove_object(&mut self, key: &Key) -> Option<Arc<Object>> {
        self.remove_now(key)
    }

    pub(crate) fn remove_now(&mut self, key: &Key) -> Option<Arc<Object>> {
        let removed = self.store.remove(key)?;
        let dependents = self.dependents_of(&removed);
        for k in dependents {
            let Some(rt) = self.store.get(&k).map(|o| o.resource_type()) else {
                continue;
            };
            let still_owned_elsewhere = self.store.get(&k).is_some_and(|o| {
                o.meta().owner_references.as_ref().is_some_and(|refs| {
                    refs.iter().any(|r| {
                        Some(&r.uid) != removed.meta().uid.as_ref()
                            && self.uid_exists(&r.kind, &k.namespace, &r.name, &r.uid)
                    })
                })
            });
            if still_owned_elsewhere {
                continue;
            }
            let _ = self.delete_object(
                rt,
                (!k.namespace.is_empty()).then_some(k.namespace.as_str()),
                &k.name,
                &DeleteOptions {
                    propagation_policy: Some(Propagation::Background),
                    ..DeleteOptions::default()
                },
            );
        }
        if let Some(ns) = removed.namespace().map(str::to_string) {
            self.refresh_quota_usage(&ns, removed.kind());
        }
        Some(removed)
    }

    fn uid_exists(&self, kind: &str, ns: &str, name: &str, uid: &str) -> bool {
        RESOURCES.iter().filter(|r| r.kind == kind).any(|r| {
            let ns = if r.namespaced() { Some(ns) } else { None };
            self.store
                .get(&Key::new(r, ns, name))
                .is_some_and(|o| o.meta().uid.as_deref() == Some(uid))
        })
    }

    /// Finishes pending deletions: terminating namespaces, foreground owners whose dependents
    /// are gone, orphaning owners. Cheap when nothing is pending; call it after anything that
    /// removes objects (the runtime's settle loop does).
    pub fn collect_garbage(&mut self) {
        // Repeat while something changes: finishing one deletion can unblock another.
        for _ in 0..16 {
            let rv = self.store.resource_version();
            self.finalize_namespaces();
            self.finalize_owners();
            if self.store.resource_version() == rv {
                break;
            }
        }
    }

    fn finalize_owners(&mut self) {
        let mut pending: Vec<Arc<Object>> = self
            .store
            .awaiting_collector()
            .filter_map(|k| self.store.get(k).cloned())
            .collect();
        // Kinds in the order the API serves them, as a scan of every kind would meet them.
        let kind_order = |o: &Arc<Object>| RESOURCES.iter().position(|r| r.kind == o.kind());
        pending.sort_by_cached_key(|o| kind_order(o));
        for owner in pending {
            let key = Key::of(&owner);
            let dependents = self.dependents_of(&owner);
            let uid = owner.meta().uid.clone().unwrap_or_default();
            let mut updated = (*owner).clone();
            if has_finalizer(&owner, ORPHAN) {
                for k in &dependents {
                    if let Some(dep) = self.store.get(k).cloned() {
                        let mut d = (*dep).clone();
                        if let Some(refs) = d.meta_mut().owner_references.as_mut() {
                            refs.retain(|r| r.uid != uid);
                            if refs.is_empty() {
                                d.meta_mut().owner_references = None;
                            }
                        }
                        self.store.put(d);
                    }
                }
                drop_finalizer(&mut updated, ORPHAN);
            } else if dependents.is_empty() {
                drop_finalizer(&mut updated, FOREGROUND_DELETION);
            } else {
                for k in &dependents {
                    let Some(dep) = self.store.get(k).cloned() else {
                        continue;
                    };
                    if dep.meta().deletion_timestamp.is_some() {
                        continue;
                    }
                    let rt = dep.resource_type();
                    let _ = self.delete_object(
                        rt,
                        dep.namespace().map(str::to_string).as_deref(),
                        &k.name,
                        &DeleteOptions {
                            propagation_policy: Some(Propagation::Foreground),
                            ..DeleteOptions::default()
                        },
                    );
                }
                continue;
            }
            if updated.meta().finalizers.as_ref().is_none_or(Vec::is_empty) {
                self.store.put(updated);
                self.remove_now(&key);
            } else {
                self.store.put(updated);
            }
        }
    }

    fn finalize_namespaces(&mut self) {
        let terminating: Vec<String> = self
            .store
            .list("Namespace", None)
            .filter(|n| n.meta().deletion_timestamp.is_some())
            .map(|n| n.name().to_string())
            .collect();
        for ns in terminating {
            for rt in RESOURCES
                .iter()
                .filter(|r| r.namespaced() && !resources::is_virtual(r))
            {
                let keys: Vec<String> = self
                    .store
                    .list(rt.kind, Some(&ns))
                    .filter(|o| o.meta().deletion_timestamp.is_none())
                    .map(|o| o.name().to_string())
                    .collect();
                for name in keys {
                    let _ = self.delete_object(rt, Some(&ns), &name, &DeleteOptions::default());
                }
            }
            // What is left is waiting on grace periods or finalizers.
            let mut remaining: Vec<(String, usize)> = Vec::new();
            let mut finalizers: std::collections::BTreeMap<String, usize> = Default::default();
            for rt in RESOURCES
                .iter()
                .filter(|r| r.namespaced() && !resources::is_virtual(r))
            {
                let mut n = 0;
                for o in self.store.list(rt.kind, Some(&ns)) {
                    n += 1;
                    for f in o.meta().finalizers.iter().flatten() {
                        *finalizers.entry(f.clone()).or_default() += 1;
                    }
                }
                if n > 0 {
                    remaining.push((format!("{}.{}", rt.plural, rt.group), n));
                }
            }
            self.set_namespace_conditions(&ns, &remaining, &finalizers);
            if !remaining.is_empty() {
                continue;
            }
            let key = Key {
                kind: "Namespace",
                namespace: Default::default(),
                name: ns.as_str().into(),
            };
            if let Some(obj) = self.store.get(&key).cloned() {
                let mut n = (*obj).clone();
                if let Object::Namespace(nsobj) = &mut n {
                    if let Some(spec) = nsobj.spec.as_mut() {
                        if let Some(f) = spec.finalizers.as_mut() {
                            f.retain(|x| x != NAMESPACE_FINALIZER);
                        }
                    }
                }
                if n.meta().finalizers.as_ref().is_none_or(Vec::is_empty) {
                    self.store.remove(&key);
                }
            }
        }
    }
}

impl Cluster {
    /// The namespace controller's deletion conditions, as `kubectl describe ns` shows them
    /// while a namespace is Terminating.
    fn set_namespace_conditions(
        &mut self,
        ns: &str,
        remaining: &[(String, usize)],
        finalizers: &std::collections::BTreeMap<String, usize>,
    ) {
        let key = Key {
            kind: "Namespace",
            namespace: Default::default(),
            name: ns.into(),
        };
        let Some(current) = self.store.get(&key).cloned() else {
            return;
        };
        let mut v = current.to_value();
        let mut sorted = remaining.to_vec();
        sorted.sort();
        let (content_status, content_reason, content_message) = if sorted.is_empty() {
            (
                "False",
                "ContentRemoved",
                "All content successfully removed".to_string(),
            )
        } else {
            let list: Vec<String> = sorted
                .iter()
                .map(|(r, n)| format!("{r} has {n} resource instances"))
                .collect();
            (
                "True",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", list.join(", ")),
            )
        };
        let (fin_status, fin_reason, fin_message) = if finalizers.is_empty() {
            (
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".to_string(),
            )
        } else {
            let list: Vec<String> = finalizers
                .iter()
                .map(|(f, n)| format!("{f} in {n} resource instances"))
                .collect();
            (
                "True",
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    list.join(", ")
                ),
            )
        };
        let wanted = [
            (
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered".to_string(),
            ),
            (
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed".to_string(),
            ),
            (
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".to_string(),
            ),
            (
                "NamespaceContentRemaining",
                content_status,
                content_reason,
                content_message,
            ),
            (
                "NamespaceFinalizersRemaining",
                fin_status,
                fin_reason,
                fin_message,
            ),
        ];
        let old = v["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let now = serde_json::to_value(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            self.now,
        ))
        .unwrap_or(serde_json::Value::Null);
        let conditions: Vec<serde_json::Value> = wanted
            .iter()
            .map(|(ty, status, reason, message)| {
                let previous = old.iter().find(|c| c["type"] == *ty);
                let since = match previous {
                    Some(p) if p["status"] == *status => p["lastTransitionTime"].clone(),
                    _ => now.clone(),
                };
                serde_json::json!({"type": ty, "status": status, "reason": reason, "message": message, "lastTransitionTime": since})
            })
            .collect();
        if old == conditions {
            return;
        }
        v["status"]["conditions"] = serde_json::Value::Array(conditions);
        if let Ok(o) = Object::from_value("Namespace", v) {
            self.store.put(o);
        }
    }
}

fn drop_finalizer(o: &mut Object, name: &str) {
    if let Some(f) = o.meta_mut().finalizers.as_mut() {
        f.retain(|x| x != name);
        if f.is_empty() {
            o.meta_mut().finalizers = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Cluster, ClusterConfig};

    fn object(kind: &str, name: &str, finalizers: &[&str], deleting: bool) -> Object {
        let mut meta = json!({"name": name, "namespace": "default", "finalizers": finalizers});
        if deleting {
            meta["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        let api_version = if kind == "Pod" { "v1" } else { "apps/v1" };
        Object::from_value(
            kind,
            json!({"apiVersion": api_version, "kind": kind, "metadata": meta}),
        )
        .unwrap()
    }

    fn awaiting(c: &Cluster) -> Vec<String> {
        c.store()
            .awaiting_collector()
            .map(|k| format!("{}/{}", k.kind, k.name))
            .collect()
    }

    #[test]
    fn the_store_keeps_the_owners_awaiting_the_collector() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let store = c.store_mut();
        store.put(object("Deployment", "fg", &[FOREGROUND_DELETION], true));
        store.put(object("ReplicaSet", "orphan", &[ORPHAN], true));
        // Not yet deleted, another finalizer, or a kind that owns nothing: not awaiting.
        store.put(object("Deployment", "alive", &[FOREGROUND_DELETION], false));
        store.put(object("Deployment", "other", &["example.com/hold"], true));
        store.put(object("Pod", "pod", &[FOREGROUND_DELETION], true));
        assert_eq!(awaiting(&c), ["Deployment/fg", "ReplicaSet/orphan"]);
        // A restored store finds them again.
        let restored = Cluster::restore(&c.snapshot()).unwrap();
        assert_eq!(awaiting(&restored), ["Deployment/fg", "ReplicaSet/orphan"]);
        // Dropping the finalizer, or removing the object, takes it out.
        let store = c.store_mut();
        store.put(object("Deployment", "fg", &[], true));
        store.remove(&Key {
            kind: "ReplicaSet",
            namespace: "default".into(),
            name: "orphan".into(),
        });
        assert!(awaiting(&c).is_empty());
    }
}
