//! The StatefulSet controller (pkg/controller/statefulset): pods with sticky names `<set>-<n>`,
//! a claim per volumeClaimTemplate and ordinal (`<template>-<set>-<n>`) that outlives its pod,
//! and ordered work.
//!
//! With `OrderedReady` (the default) the controller is *monotonic*: it creates `web-0`, waits
//! for it to be Running and Ready, then creates `web-1`, and scales down from the highest ordinal,
//! one pod at a time. `Parallel` creates and deletes without waiting. Template changes make a new
//! ControllerRevision; `RollingUpdate` replaces pods from the highest ordinal down to the
//! partition, one at a time, each only once the others are healthy; `OnDelete` waits for the
//! user to delete pods.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{json, Value};

use super::deployment::util::safe_encode;
use super::{controller_ref, delete_pod, is_available, is_ready, owned};
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "statefulset-controller";
/// The pod label naming the ControllerRevision a pod was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The ordinal of a pod named `<set>-<n>`.
pub fn ordinal(set: &str, pod: &str) -> Option<i32> {
    pod.strip_prefix(set)?
        .strip_prefix('-')?
        .parse()
        .ok()
        .filter(|n: &i32| *n >= 0)
}

/// `<template>-<set>-<n>`: the claim a pod of ordinal `n` mounts for a volumeClaimTemplate.
pub fn claim_name(template: &str, set: &str, n: i32) -> String {
    format!("{template}-{set}-{n}")
}

fn running_and_ready(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running") && is_ready(p)
}

fn terminating(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_some()
}

fn finished(p: &Pod) -> bool {
    matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Failed" | "Succeeded")
    )
}

fn revision_of(p: &Pod) -> Option<&str> {
    p.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

fn template(set: &StatefulSet) -> PodTemplateSpec {
    set.spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default()
}

/// What a ControllerRevision of a StatefulSet stores: a patch replacing the template
/// (`getPatch` upstream), so a revision can be re-applied as it was.
fn revision_data(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or(Value::Null);
    if let Some(o) = t.as_object_mut() {
        o.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// `<set>-<hash>`: FNV-32a over the revision's data, encoded like every controller hash.
fn revision_name(set: &str, data: &Value) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in serde_json::to_vec(data).unwrap_or_default() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{set}-{}", safe_encode(&h.to_string()))
}

fn template_of_revision(cr: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = cr.data.as_ref()?.0["spec"]["template"].clone();
    t.as_object_mut()?.remove("$patch");
    serde_json::from_value(t).ok()
}

/// The set's revisions, oldest first.
fn revisions(cluster: &Cluster, set: &StatefulSet) -> Vec<ControllerRevision> {
    let uid = set.metadata.uid.clone().unwrap_or_default();
    let mut revs: Vec<ControllerRevision> = owned(cluster, &uid, "ControllerRevision")
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::ControllerRevision(cr) => Some((**cr).clone()),
            _ => None,
        })
        .collect();
    revs.sort_by_key(|r| r.revision);
    revs
}

/// Finds or creates the revision of the current template (the update revision); an old
/// revision that matches again (a rollback) is renumbered as the newest.
fn update_revision(cluster: &mut Cluster, set: &StatefulSet, obj: &Object) -> String {
    let data = revision_data(&template(set));
    let name = revision_name(set.metadata.name.as_deref().unwrap_or_default(), &data);
    let revs = revisions(cluster, set);
    let next = revs.last().map_or(1, |r| r.revision + 1);
    let ns = set.metadata.namespace.clone().unwrap_or_default();
    match revs
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(&name))
    {
        Some(existing) => {
            if existing.revision + 1 != next {
                let mut cr = existing.clone();
                cr.revision = next;
                cluster.store_mut().put(Object::from(cr));
            }
        }
        None => {
            let cr = ControllerRevision {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.clone()),
                    labels: template(set).metadata.and_then(|m| m.labels),
                    owner_references: Some(vec![controller_ref(obj)]),
                    ..ObjectMeta::default()
                },
                data: Some(RawExtension(data)),
                revision: next,
            };
            let rt = crate::resources::by_kind("apps/v1", "ControllerRevision")
                .expect("controllerrevisions are served");
            let body = serde_json::to_value(&cr).unwrap_or(Value::Null);
            let _ = cluster.create(rt, Some(&ns), body);
        }
    }
    name
}

/// Deletes revisions beyond `revisionHistoryLimit` that no pod and no status uses.
fn truncate_history(cluster: &mut Cluster, set: &StatefulSet, live: &[&str]) {
    let limit = set
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10)
        .max(0) as usize;
    let revs = revisions(cluster, set);
    let history: Vec<&ControllerRevision> = revs
        .iter()
        .filter(|r| !live.contains(&r.metadata.name.as_deref().unwrap_or_default()))
        .collect();
    let excess = history.len().saturating_sub(limit);
    for r in history.into_iter().take(excess) {
        cluster.store_mut().remove(&Key {
            kind: "ControllerRevision",
            namespace: r.metadata.namespace.as_deref().unwrap_or_default().into(),
            name: r.metadata.name.as_deref().unwrap_or_default().into(),
        });
    }
}

struct Ctx<'a> {
    set: &'a StatefulSet,
    obj: &'a Object,
    name: String,
    ns: String,
}

impl Ctx<'_> {
    fn event(&self, cluster: &mut Cluster, kind: EventKind, reason: &str, message: String) {
        cluster.record_event(
            self.obj,
            None,
            Source::Controller(SOURCE),
            kind,
            reason,
            &message,
        );
    }

    fn pod_key(&self, pod: &str) -> Key {
        Key {
            kind: "Pod",
            namespace: self.ns.as_str().into(),
            name: pod.into(),
        }
    }

    /// Creates the pod's missing claims (`createPersistentVolumeClaims`). False when one
    /// could not be created: the pod must not start without its storage.
    fn create_claims(&self, cluster: &mut Cluster, pod: &str, n: i32) -> bool {
        let spec = self.set.spec.clone().unwrap_or_default();
        let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
        let delete_with_set = spec
            .persistent_volume_claim_retention_policy
            .as_ref()
            .and_then(|p| p.when_deleted.as_deref())
            == Some("Delete");
        for tpl in spec.volume_claim_templates.iter().flatten() {
            let tname = tpl.metadata.name.clone().unwrap_or_default();
            let claim = claim_name(&tname, &self.name, n);
            let key = Key {
                kind: "PersistentVolumeClaim",
                namespace: self.ns.as_str().into(),
                name: claim.as_str().into(),
            };
            if cluster.store().get(&key).is_some() {
                continue;
            }
            let mut pvc: PersistentVolumeClaim = tpl.clone();
            pvc.status = None;
            pvc.metadata.name = Some(claim.clone());
            pvc.metadata.namespace = Some(self.ns.clone());
            let labels = pvc.metadata.labels.get_or_insert_with(BTreeMap::new);
            labels.extend(selector_labels.clone());
            if delete_with_set {
                pvc.metadata.owner_references = Some(vec![controller_ref(self.obj)]);
            }
            let mut body = serde_json::to_value(&pvc).unwrap_or(Value::Null);
            body["apiVersion"] = json!("v1");
            body["kind"] = json!("PersistentVolumeClaim");
            let rt = crate::resources::by_kind("v1", "PersistentVolumeClaim")
                .expect("claims are served");
            match cluster.create(rt, Some(&self.ns), body) {
                Ok(_) => self.event(
                    cluster,
                    EventKind::Normal,
                    "SuccessfulCreate",
                    format!(
                        "create Claim {claim} Pod {pod} in StatefulSet {} success",
                        self.name
                    ),
                ),
                Err(e) => {
                    self.event(
                        cluster,
                        EventKind::Warning,
                        "FailedCreate",
                        format!(
                            "create Claim {claim} for Pod {pod} in StatefulSet {} failed error: {}",
                            self.name, e.message
                        ),
                    );
                    return false;
                }
            }
        }
        true
    }

    /// Creates pod `n` from `template` at `revision` (`newVersionedStatefulSetPod`): sticky name
    /// and hostname, the governing Service as subdomain, one volume per claim template.
    fn create_pod(
        &self,
        cluster: &mut Cluster,
        n: i32,
        template: &PodTemplateSpec,
        revision: &str,
    ) {
        let pod = format!("{}-{n}", self.name);
        if !self.create_claims(cluster, &pod, n) {
            return;
        }
        let spec = self.set.spec.clone().unwrap_or_default();
        let mut meta = template.metadata.clone().unwrap_or_default();
        let labels = meta.labels.get_or_insert_with(BTreeMap::new);
        labels.insert(REVISION_LABEL.into(), revision.into());
        labels.insert(POD_NAME_LABEL.into(), pod.clone());
        labels.insert(POD_INDEX_LABEL.into(), n.to_string());
        meta.name = Some(pod.clone());
        meta.generate_name = None;
        meta.namespace = Some(self.ns.clone());
        meta.owner_references = Some(vec![controller_ref(self.obj)]);
        let mut pod_spec = template.spec.clone().unwrap_or_default();
        pod_spec.hostname = Some(pod.clone());
        if !spec.service_name.as_deref().unwrap_or_default().is_empty() {
            pod_spec.subdomain = spec.service_name.clone();
        }
        let volumes = pod_spec.volumes.get_or_insert_with(Vec::new);
        for tpl in spec.volume_claim_templates.iter().flatten() {
            let tname = tpl.metadata.name.clone().unwrap_or_default();
            volumes.retain(|v| v.name != tname);
            volumes.push(Volume {
                name: tname.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(&tname, &self.name, n),
                    read_only: None,
                }),
                ..Volume::default()
            });
        }
        if volumes.is_empty() {
            pod_spec.volumes = None;
        }
        let body = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": serde_json::to_value(&meta).unwrap_or(Value::Null),
            "spec": serde_json::to_value(&pod_spec).unwrap_or(Value::Null),
        });
        let rt = crate::resources::by_kind("v1", "Pod").expect("pods are served");
        match cluster.create(rt, Some(&self.ns), body) {
            Ok(_) => self.event(
                cluster,
                EventKind::Normal,
                "SuccessfulCreate",
                format!("create Pod {pod} in StatefulSet {} successful", self.name),
            ),
            Err(e) => self.event(
                cluster,
                EventKind::Warning,
                "FailedCreate",
                format!(
                    "create Pod {pod} in StatefulSet {} failed error: {}",
                    self.name, e.message
                ),
            ),
        }
    }

    fn delete_pod(&self, cluster: &mut Cluster, pod: &str) {
        delete_pod(cluster, &self.pod_key(pod));
        self.event(
            cluster,
            EventKind::Normal,
            "SuccessfulDelete",
            format!("delete Pod {pod} in StatefulSet {} successful", self.name),
        );
    }

    /// `whenScaled: Delete`: a condemned pod's claims go with it.
    fn delete_claims(&self, cluster: &mut Cluster, n: i32) {
        let spec = self.set.spec.clone().unwrap_or_default();
        for tpl in spec.volume_claim_templates.iter().flatten() {
            let tname = tpl.metadata.name.clone().unwrap_or_default();
            let rt = crate::resources::by_kind("v1", "PersistentVolumeClaim")
                .expect("claims are served");
            let _ = cluster.delete(rt, Some(&self.ns), &claim_name(&tname, &self.name, n));
        }
    }
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::StatefulSet(set) = obj.as_ref() else {
        return;
    };
    if set.metadata.deletion_timestamp.is_some() {
        return;
    }
    let ctx = Ctx {
        set,
        obj: &obj,
        name: set.metadata.name.clone().unwrap_or_default(),
        ns: key.namespace.to_string(),
    };
    let spec = set.spec.clone().unwrap_or_default();
    let update_rev = update_revision(cluster, set, &obj);
    let current_rev = set
        .status
        .as_ref()
        .and_then(|s| s.current_revision.clone())
        .filter(|r| {
            cluster
                .store()
                .get(&Key {
                    kind: "ControllerRevision",
                    namespace: key.namespace.clone(),
                    name: r.as_str().into(),
                })
                .is_some()
        })
        .unwrap_or_else(|| update_rev.clone());
    let current_template = cluster
        .store()
        .get(&Key {
            kind: "ControllerRevision",
            namespace: key.namespace.clone(),
            name: current_rev.as_str().into(),
        })
        .and_then(|o| match o.as_ref() {
            Object::ControllerRevision(cr) => template_of_revision(cr),
            _ => None,
        })
        .unwrap_or_else(|| template(set));
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
    let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let uid = set.metadata.uid.clone().unwrap_or_default();
    let pods: BTreeMap<i32, Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter_map(|p| Some((ordinal(&ctx.name, p.metadata.name.as_deref()?)?, p)))
        .collect();
    // Which revision a new pod of ordinal `n` gets: below the partition, the current one.
    let revision_for = |n: i32| {
        if rolling && n < start + partition {
            (current_template.clone(), current_rev.clone())
        } else {
            (template(set), update_rev.clone())
        }
    };

    reconcile_pods(
        cluster,
        &ctx,
        &pods,
        start,
        replicas,
        monotonic,
        rolling,
        partition,
        &update_rev,
        &revision_for,
    );
    update_status(cluster, key, &current_rev, &update_rev);
    truncate_history(cluster, set, &[&current_rev, &update_rev]);
}

/// The body of `updateStatefulSet`: replace finished pods, create missing ones, delete condemned
/// ones, then roll out the update revision. Returns at the first thing it must wait for when
/// monotonic.
#[allow(clippy::too_many_arguments)]
fn reconcile_pods(
    cluster: &mut Cluster,
    ctx: &Ctx<'_>,
    pods: &BTreeMap<i32, Pod>,
    start: i32,
    replicas: i32,
    monotonic: bool,
    rolling: bool,
    partition: i32,
    update_rev: &str,
    revision_for: &dyn Fn(i32) -> (PodTemplateSpec, String),
) {
    let mut unhealthy_seen = false;
    for n in start..start + replicas {
        let name = format!("{}-{n}", ctx.name);
        match pods.get(&n) {
            None => {
                let (template, rev) = revision_for(n);
                ctx.create_pod(cluster, n, &template, &rev);
                if monotonic {
                    return;
                }
                unhealthy_seen = true;
            }
            Some(p) if finished(p) && !terminating(p) => {
                // A failed or completed pod is replaced under the same name.
                ctx.delete_pod(cluster, &name);
                if monotonic {
                    return;
                }
                unhealthy_seen = true;
            }
            Some(p) if terminating(p) || !running_and_ready(p) => {
                if monotonic {
                    return;
                }
                unhealthy_seen = true;
            }
            Some(_) => {}
        }
    }
    // Condemned pods (ordinals beyond the range), highest first.
    let condemned: Vec<(&i32, &Pod)> = pods
        .iter()
        .rev()
        .filter(|(n, _)| **n < start || **n >= start + replicas)
        .collect();
    for (n, p) in &condemned {
        if terminating(p) {
            if monotonic {
                return;
            }
            continue;
        }
        // Monotonic scale-down waits for every other pod to be healthy.
        if monotonic && unhealthy_seen {
            return;
        }
        ctx.delete_pod(cluster, p.metadata.name.as_deref().unwrap_or_default());
        let when_scaled = ctx
            .set
            .spec
            .as_ref()
            .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref())
            .and_then(|p| p.when_scaled.as_deref());
        if when_scaled == Some("Delete") {
            ctx.delete_claims(cluster, **n);
        }
        if monotonic {
            return;
        }
    }
    if !condemned.is_empty() && monotonic {
        return;
    }
    if !rolling {
        return;
    }
    // RollingUpdate: from the highest ordinal down to the partition, one pod at a time.
    for n in (start + partition.max(0)..start + replicas).rev() {
        let Some(p) = pods.get(&n) else { return };
        if revision_of(p) != Some(update_rev) && !terminating(p) {
            ctx.delete_pod(cluster, p.metadata.name.as_deref().unwrap_or_default());
            return;
        }
        if !running_and_ready(p) || terminating(p) {
            return;
        }
    }
}

/// `computeReplicaStatus` and `completeRollingUpdate`.
fn update_status(cluster: &mut Cluster, key: &Key, current_rev: &str, update_rev: &str) {
    let Some(Object::StatefulSet(set)) = cluster.store().get(key).map(|o| o.as_ref().clone())
    else {
        return;
    };
    let spec = set.spec.clone().unwrap_or_default();
    let name = set.metadata.name.clone().unwrap_or_default();
    let uid = set.metadata.uid.clone().unwrap_or_default();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let now = cluster.now();
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .filter(|p| ordinal(&name, p.metadata.name.as_deref().unwrap_or_default()).is_some())
        .collect();
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        collision_count: Some(0),
        current_revision: Some(current_rev.to_string()),
        update_revision: Some(update_rev.to_string()),
        available_replicas: Some(0),
        ..StatefulSetStatus::default()
    };
    let mut available = 0;
    for p in &pods {
        status.replicas += 1;
        if running_and_ready(p) {
            status.ready_replicas = Some(status.ready_replicas.unwrap_or(0) + 1);
            if is_available(p, min_ready, now) {
                available += 1;
            }
        }
        if !terminating(p) {
            if revision_of(p) == Some(current_rev) {
                status.current_replicas = Some(status.current_replicas.unwrap_or(0) + 1);
            }
            if revision_of(p) == Some(update_rev) {
                status.updated_replicas = Some(status.updated_replicas.unwrap_or(0) + 1);
            }
        }
    }
    status.available_replicas = Some(available);
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    let updated = status.updated_replicas.unwrap_or(0);
    if rolling
        && updated == status.replicas
        && status.ready_replicas.unwrap_or(0) == status.replicas
    {
        status.current_replicas = status.updated_replicas;
        status.current_revision = status.update_revision.clone();
    }
    if min_ready > 0 {
        if let Some(t) = pods
            .iter()
            .filter_map(super::ready_since)
            .map(|t| crate::clock::after(t, min_ready as f64))
            .filter(|t| *t > now)
            .min()
        {
            cluster.wake_at(t, key.clone());
        }
    }
    if set.status.as_ref() != Some(&status) {
        let mut s = set.clone();
        s.status = Some(status);
        cluster.store_mut().put(Object::StatefulSet(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_from_sticky_names() {
        assert_eq!(ordinal("web", "web-0"), Some(0));
        assert_eq!(ordinal("web", "web-12"), Some(12));
        assert_eq!(ordinal("web", "web-x"), None);
        assert_eq!(ordinal("web", "webby-1"), None);
        assert_eq!(ordinal("web", "web--1"), None);
        assert_eq!(claim_name("data", "web", 2), "data-web-2");
    }

    #[test]
    fn a_revision_name_depends_on_the_template_only() {
        let a = PodTemplateSpec::default();
        let mut b = PodTemplateSpec::default();
        b.metadata = Some(ObjectMeta {
            labels: Some(BTreeMap::from([("app".into(), "web".into())])),
            ..ObjectMeta::default()
        });
        let (ra, rb) = (
            revision_name("web", &revision_data(&a)),
            revision_name("web", &revision_data(&b)),
        );
        assert!(ra.starts_with("web-"));
        assert_ne!(ra, rb);
        assert_eq!(ra, revision_name("web", &revision_data(&a)));
    }
}
