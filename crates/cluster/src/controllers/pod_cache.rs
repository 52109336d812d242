//! Controllers' pods, defaulted and admitted once per template.
//!
//! A ReplicaSet scaled to 1,000 sends 1,000 identical pods through the create path: JSON,
//! defaulting, admission, validation, and decoding back into a typed Pod, the same work every
//! time (about a quarter of the allocations of scaling). The first pod of a template goes the
//! whole way; the stored result is kept, and later pods of the same owner and template are clones
//! of it with their own name, uid, creation time and ServiceAccount token volume name.
//!
//! Only what is the same for every pod is reused. The per-pod steps still run, in the same order
//! and drawing the same random numbers (name suffix, token volume suffix, uid): namespace
//! lifecycle, the name conflict check, the session's object cap. The cache is not used (the full
//! path runs) when the outcome could differ from the first pod's: a LimitRange or ResourceQuota
//! in the namespace (their admission reads the pod and the namespace's usage), or a
//! ServiceAccount that changed since (its existence and `automountServiceAccountToken` decide the
//! token volume).

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::object::Object;
use crate::resources::ResourceType;
use crate::status::Status;
use crate::store::Key;
use crate::Cluster;

/// The most templates remembered: one per controller creating pods at the same time is plenty.
const CAPACITY: usize = 16;

/// The first pod a controller created from a template, as stored.
#[derive(Clone, Debug)]
struct Entry {
    owner_uid: String,
    template: PodTemplateSpec,
    extra_labels: Vec<(String, String)>,
    /// The stored first pod (its own name, uid, ... are replaced in each copy).
    pod: Arc<Object>,
    /// The ServiceAccount as it was when the first pod was admitted.
    service_account: Arc<Object>,
    /// The token volume ServiceAccount admission added, whose suffix is drawn for each pod.
    token_volume: Option<String>,
}

/// Recently used templates (derived state: not part of a snapshot).
#[derive(Debug, Default)]
pub struct PodCache {
    entries: Vec<Entry>,
    /// Every pod takes the full path (tests compare the two).
    #[cfg(test)]
    disabled: bool,
}

/// A copy starts empty. The cache is derived state, and every session is a copy of the default
/// cluster: copying the templates it remembers (the system pods') cost each session about 14 KiB.
impl Clone for PodCache {
    fn clone(&self) -> PodCache {
        PodCache {
            entries: Vec::new(),
            #[cfg(test)]
            disabled: self.disabled,
        }
    }
}

/// The ServiceAccount a pod runs as, once admission has set it.
fn service_account_key(pod: &Pod, ns: &str) -> Key {
    Key {
        kind: "ServiceAccount",
        namespace: ns.into(),
        name: pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default()
            .into(),
    }
}

/// Whether admission of a pod in `ns` reads more than the pod (quota usage, LimitRanges).
fn namespace_has_policies(cluster: &Cluster, ns: &str) -> bool {
    ["LimitRange", "ResourceQuota"]
        .iter()
        .any(|kind| cluster.store().list(kind, Some(ns)).next().is_some())
}

fn matches_labels(extra: &[(String, String)], labels: &[(&str, &str)]) -> bool {
    extra.len() == labels.len()
        && extra
            .iter()
            .zip(labels)
            .all(|((k, v), (k2, v2))| k == k2 && v == v2)
}

impl Cluster {
    /// Creates a pod for `owner` from `template` as a copy of the first one created from it, or
    /// `None` when there is no usable copy (the caller then takes the full create path).
    pub(crate) fn create_cached_pod(
        &mut self,
        owner: &Object,
        template: &PodTemplateSpec,
        extra_labels: &[(&str, &str)],
        ns: &str,
    ) -> Option<Result<Arc<Object>, Status>> {
        #[cfg(test)]
        if self.runtime.pod_cache.disabled {
            return None;
        }
        let owner_uid = owner.meta().uid.as_deref().unwrap_or_default();
        let i = self.runtime.pod_cache.entries.iter().position(|e| {
            e.owner_uid == owner_uid
                && matches_labels(&e.extra_labels, extra_labels)
                && e.template == *template
        })?;
        if namespace_has_policies(self, ns) {
            return None;
        }
        let entry = &self.runtime.pod_cache.entries[i];
        let Object::Pod(first) = entry.pod.as_ref() else {
            return None;
        };
        let sa = self.store().get(&service_account_key(first, ns))?;
        if !Arc::ptr_eq(sa, &entry.service_account) {
            return None;
        }
        let mut pod: Pod = (**first).clone();
        let token_volume = entry.token_volume.clone();
        Some(
            self.admit_copy(&mut pod, ns, token_volume.as_deref())
                .map(|()| {
                    let stored = self.store.put(Object::from(pod));
                    let rt = pod_type();
                    self.after_write(rt, &stored);
                    stored
                }),
        )
    }

    /// The per-pod steps of a create, in the order the full path takes them: the generated
    /// name, namespace lifecycle, the name conflict, the token volume's name, the object cap,
    /// the uid and creation time.
    fn admit_copy(
        &mut self,
        pod: &mut Pod,
        ns: &str,
        token_volume: Option<&str>,
    ) -> Result<(), Status> {
        let rt = pod_type();
        let prefix = pod.metadata.generate_name.clone().unwrap_or_default();
        let name = format!("{prefix}{}", self.name_suffix());
        self.admit_namespace_lifecycle(rt, ns, &name)?;
        if self.store.get(&Key::new(rt, Some(ns), &name)).is_some() {
            return Err(Status::already_exists(rt, &name));
        }
        if let Some(old) = token_volume {
            let new = format!("kube-api-access-{}", self.name_suffix());
            rename_volume(pod, old, &new);
        }
        self.admit_object_cap(rt, &name)?;
        let meta = &mut pod.metadata;
        meta.name = Some(name);
        meta.uid = Some(self.new_uid());
        meta.creation_timestamp = Some(Time(self.now));
        meta.resource_version = None;
        Ok(())
    }

    /// Remembers the pod a full create made from `template`, for the next ones.
    pub(crate) fn remember_pod(
        &mut self,
        owner: &Object,
        template: &PodTemplateSpec,
        extra_labels: &[(&str, &str)],
        ns: &str,
        pod: &Arc<Object>,
    ) {
        let Object::Pod(p) = pod.as_ref() else {
            return;
        };
        if namespace_has_policies(self, ns) {
            return;
        }
        let Some(service_account) = self.store().get(&service_account_key(p, ns)).cloned() else {
            return;
        };
        let has_own_token_volume = template
            .spec
            .iter()
            .flat_map(|s| s.volumes.iter().flatten())
            .any(|v| v.name.starts_with("kube-api-access-"));
        let token_volume = if has_own_token_volume {
            None
        } else {
            p.spec
                .iter()
                .flat_map(|s| s.volumes.iter().flatten())
                .find(|v| v.name.starts_with("kube-api-access-"))
                .map(|v| v.name.clone())
        };
        let owner_uid = owner.meta().uid.clone().unwrap_or_default();
        let entries = &mut self.runtime.pod_cache.entries;
        entries.retain(|e| e.owner_uid != owner_uid);
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push(Entry {
            owner_uid,
            template: template.clone(),
            extra_labels: extra_labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            pod: pod.clone(),
            service_account,
            token_volume,
        });
    }
}

fn pod_type() -> &'static ResourceType {
    crate::resources::by_kind("v1", "Pod").expect("pods are served")
}

/// Renames the token volume and every container's mount of it.
fn rename_volume(pod: &mut Pod, old: &str, new: &str) {
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    for v in spec.volumes.iter_mut().flatten() {
        if v.name == old {
            v.name = new.to_string();
        }
    }
    let containers = spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut());
    for c in containers {
        for m in c.volume_mounts.iter_mut().flatten() {
            if m.name == old {
                m.name = new.to_string();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use serde_json::{json, Value};

    use crate::resources::by_plural;
    use crate::{Cluster, ClusterConfig};

    #[test]
    fn a_fork_starts_with_an_empty_cache() {
        // The default cluster's system pods came through the cache; sessions forked from it must
        // not each carry a copy of those templates.
        let c = Cluster::new(&ClusterConfig::default());
        assert!(!c.runtime.pod_cache.entries.is_empty());
        assert!(c.fork(2).runtime.pod_cache.entries.is_empty());
    }

    /// Every pod and Event in the namespace, as JSON, in key order.
    fn pods_and_events(c: &Cluster) -> Vec<Value> {
        ["Pod", "Event"]
            .iter()
            .flat_map(|kind| c.store().list(kind, Some("default")))
            .map(|o| o.to_value())
            .collect()
    }

    /// Runs `steps` on two clusters of the same seed, one with the cache and one without.
    fn both(steps: impl Fn(&mut Cluster)) -> (Vec<Value>, Vec<Value>) {
        let mut cached = Cluster::new(&ClusterConfig::default());
        let mut full = Cluster::new(&ClusterConfig::default());
        full.runtime.pod_cache.disabled = true;
        steps(&mut cached);
        steps(&mut full);
        (pods_and_events(&cached), pods_and_events(&full))
    }

    fn create(c: &mut Cluster, plural: &str, body: Value) {
        let group = if plural == "replicasets" { "apps" } else { "" };
        c.create(by_plural(group, plural).unwrap(), Some("default"), body)
            .unwrap();
    }

    fn replica_set(replicas: i64, spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}})
    }

    #[test]
    fn copies_are_the_pods_the_full_path_makes() {
        let (cached, full) = both(|c| {
            create(
                c,
                "replicasets",
                replica_set(
                    6,
                    json!({"containers": [
                {"name": "web", "image": "nginx", "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}},
                {"name": "side", "image": "busybox", "command": ["sleep", "3600"]}]}),
                ),
            );
            c.advance(SignedDuration::from_secs(30));
        });
        assert_eq!(cached.iter().filter(|o| o["kind"] == "Pod").count(), 6);
        assert_eq!(cached, full);
    }

    #[test]
    fn a_changed_service_account_or_a_limit_range_takes_the_full_path() {
        let (cached, full) = both(|c| {
            create(
                c,
                "serviceaccounts",
                json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "robot"}}),
            );
            let spec = json!({"serviceAccountName": "robot", "containers": [{"name": "web", "image": "nginx"}]});
            create(c, "replicasets", replica_set(2, spec));
            c.advance(SignedDuration::from_secs(5));
            // The account stops mounting tokens: new pods have no token volume.
            let sa = by_plural("", "serviceaccounts").unwrap();
            c.replace(
                sa,
                Some("default"),
                "robot",
                json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "robot"}, "automountServiceAccountToken": false}),
                &crate::api::WriteOptions::internal(),
                false,
            )
            .unwrap();
            create(
                c,
                "limitranges",
                json!({"apiVersion": "v1", "kind": "LimitRange",
                "metadata": {"name": "defaults"}, "spec": {"limits": [{"type": "Container",
                "default": {"cpu": "200m"}}]}}),
            );
            let rs = by_plural("apps", "replicasets").unwrap();
            c.patch_with(
                &crate::api::User::admin(),
                rs,
                Some("default"),
                "web",
                crate::patch::PatchType::Merge,
                &json!({"spec": {"replicas": 4}}),
                &crate::api::WriteOptions::internal(),
            )
            .unwrap();
            c.advance(SignedDuration::from_secs(30));
        });
        assert_eq!(cached, full);
        let pods: Vec<&Value> = cached.iter().filter(|o| o["kind"] == "Pod").collect();
        assert_eq!(pods.len(), 4);
        let without_token = pods
            .iter()
            .filter(|p| p["spec"]["volumes"].is_null())
            .count();
        assert_eq!(without_token, 2, "the last two pods mount no token");
        let limited = pods
            .iter()
            .filter(|p| p["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "200m")
            .count();
        assert_eq!(limited, 2, "the LimitRange defaults the last two");
    }
}
