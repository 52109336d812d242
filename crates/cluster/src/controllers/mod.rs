//! kube-controller-manager's controllers, each a reconcile function `sync(cluster, key)` that
//! reads the current store and writes what it intends, as the real ones do through the API.
//! Pods are created through [`Cluster::create`], so defaulting and admission apply to them
//! exactly as to a learner's pods.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod hpa;
pub mod job;
pub mod node_lifecycle;
pub(crate) mod pod_cache;
pub mod replicaset;
pub mod service;
pub mod statefulset;
pub mod volume;

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::{json, Value};

use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// A controller reference to `owner`, as controllers set on what they create.
pub fn controller_ref(owner: &Object) -> OwnerReference {
    OwnerReference {
        api_version: owner.api_version().to_string(),
        kind: owner.kind().to_string(),
        name: owner.name().to_string(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The objects of `kind` controlled by the object with `uid`.
pub fn owned(cluster: &Cluster, uid: &str, kind: &str) -> Vec<Arc<Object>> {
    cluster
        .runtime
        .index
        .dependents_of(uid)
        .filter(|k| k.kind == kind)
        .filter_map(|k| cluster.store().get(k).cloned())
        .collect()
}

/// Pods that count as replicas: not being deleted and not finished.
pub fn is_active(p: &Pod) -> bool {
    let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
    p.metadata.deletion_timestamp.is_none() && !matches!(phase, Some("Succeeded" | "Failed"))
}

pub fn is_ready(p: &Pod) -> bool {
    ready_since(p).is_some()
}

/// When the pod last became Ready, if it is.
pub fn ready_since(p: &Pod) -> Option<Timestamp> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")
        .map(|c| {
            c.last_transition_time
                .as_ref()
                .map_or(Timestamp::UNIX_EPOCH, |t| t.0)
        })
}

/// Ready for at least `min_ready_seconds` at `now`.
pub fn is_available(p: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    ready_since(p).is_some_and(|t| {
        min_ready_seconds <= 0 || crate::clock::after(t, min_ready_seconds as f64) <= now
    })
}

/// Creates a pod from a template (the real controllers' `CreatePods`), emitting
/// `SuccessfulCreate` on the owner. Returns the created pod's name.
pub fn create_pod(
    cluster: &mut Cluster,
    owner: &Object,
    template: &PodTemplateSpec,
    name: Option<String>,
    extra_labels: &[(&str, &str)],
    source: &'static str,
) -> Option<String> {
    let ns = owner.namespace().unwrap_or("default").to_string();
    let cached = match name {
        None => cluster.create_cached_pod(owner, template, extra_labels, &ns),
        Some(_) => None,
    };
    let created = match cached {
        Some(created) => created,
        None => {
            let created = create_from_template(cluster, owner, template, name, extra_labels, &ns);
            if let Ok(pod) = &created {
                if pod.meta().generate_name.is_some() {
                    cluster.remember_pod(owner, template, extra_labels, &ns, pod);
                }
            }
            created
        }
    };
    match created {
        Ok(pod) => {
            let name = pod.name().to_string();
            cluster.record_event(
                owner,
                None,
                Source::Controller(source),
                EventKind::Normal,
                "SuccessfulCreate",
                &format!("Created pod: {name}"),
            );
            Some(name)
        }
        Err(e) => {
            cluster.record_event(
                owner,
                None,
                Source::Controller(source),
                EventKind::Warning,
                "FailedCreate",
                &format!("Error creating: {}", e.message),
            );
            None
        }
    }
}

/// The full create path for a controller's pod: the template as a POST body, defaulted,
/// admitted and validated like a learner's pod.
fn create_from_template(
    cluster: &mut Cluster,
    owner: &Object,
    template: &PodTemplateSpec,
    name: Option<String>,
    extra_labels: &[(&str, &str)],
    ns: &str,
) -> Result<Arc<Object>, crate::status::Status> {
    let mut meta = template.metadata.clone().unwrap_or_default();
    let labels = meta.labels.get_or_insert_with(Default::default);
    for (k, v) in extra_labels {
        labels.insert(k.to_string(), v.to_string());
    }
    meta.name = name.clone();
    meta.generate_name = if name.is_none() {
        Some(format!("{}-", owner.name()))
    } else {
        None
    };
    meta.namespace = Some(ns.to_string());
    meta.owner_references = Some(vec![controller_ref(owner)]);
    let mut body = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": serde_json::to_value(&meta).unwrap_or(Value::Null),
    });
    if let Some(spec) = &template.spec {
        body["spec"] = serde_json::to_value(spec).unwrap_or(Value::Null);
    }
    let rt = crate::resources::by_kind("v1", "Pod").expect("pods are served");
    let opts = crate::api::WriteOptions {
        typed_body: true,
        ..crate::api::WriteOptions::internal()
    };
    cluster
        .create_with(
            &crate::api::User::system("system:kube-controller-manager"),
            rt,
            Some(ns),
            body,
            &opts,
        )
        .map(|w| w.object)
}

/// Deletes a pod gracefully, as a controller's DELETE does: a bound pod gets a
/// `deletionTimestamp` and is stopped by its kubelet; an unbound one goes at once.
pub fn delete_pod(cluster: &mut Cluster, key: &Key) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::Pod(pod) = obj.as_ref() else {
        return;
    };
    if pod.metadata.deletion_timestamp.is_some() {
        return;
    }
    let bound = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    if !bound {
        cluster.store_mut().remove(key);
        return;
    }
    let grace = pod
        .spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
        .unwrap_or(30);
    let mut p = pod.clone();
    p.metadata.deletion_timestamp = Some(crate::clock::api_time(crate::clock::after(
        cluster.now(),
        grace as f64,
    )));
    p.metadata.deletion_grace_period_seconds = Some(grace);
    cluster.store_mut().put(Object::Pod(p));
}

/// Typed view of a stored object.
pub fn typed<T>(obj: &Object) -> Option<T>
where
    T: Clone,
    for<'a> &'a T: TryFrom<&'a Object>,
{
    <&T>::try_from(obj).ok().cloned()
}
