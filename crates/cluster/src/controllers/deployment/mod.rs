//! The Deployment controller, split by concern as upstream: [`sync`] finds the ReplicaSets and
//! dispatches, [`rolling`] and [`recreate`] move replicas between them, [`rollback`] keeps
//! revisions (a `kubectl rollout undo` is just a template change back to an old one),
//! [`progress`] computes status and conditions, [`util`] holds pure helpers.

pub mod progress;
pub mod recreate;
pub mod rollback;
pub mod rolling;
pub mod util;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{controller_ref, owned};
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

pub const SOURCE: &str = "deployment-controller";

/// The ReplicaSets of one deployment, split into the one matching the template and the rest.
pub struct Sets {
    pub new: Option<ReplicaSet>,
    pub old: Vec<ReplicaSet>,
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::Deployment(d) = obj.as_ref() else {
        return;
    };
    if d.metadata.deletion_timestamp.is_some() {
        return;
    }
    let sets = replica_sets(cluster, d);
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    if paused {
        // A paused deployment still follows spec.replicas on its current ReplicaSet.
        if let Some(new) = &sets.new {
            let want = util::replicas(d);
            if util::rs_replicas(new) != want {
                scale(cluster, d, new, want);
            }
        }
        progress::sync_status(cluster, key, false);
        return;
    }
    if util::is_recreate(d) {
        recreate::rollout(cluster, d, sets);
    } else {
        rolling::rollout(cluster, d, sets);
    }
    progress::sync_status(cluster, key, false);
}

/// Finds the deployment's ReplicaSets.
pub fn replica_sets(cluster: &Cluster, d: &Deployment) -> Sets {
    let uid = d.metadata.uid.clone().unwrap_or_default();
    // Borrowed: this runs several times per sync, and a template is a whole pod spec.
    let no_template = PodTemplateSpec::default();
    let template = d.spec.as_ref().map_or(&no_template, |s| &s.template);
    let mut all: Vec<ReplicaSet> = owned(cluster, &uid, "ReplicaSet")
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::ReplicaSet(rs) if rs.metadata.deletion_timestamp.is_none() => {
                Some((**rs).clone())
            }
            _ => None,
        })
        .collect();
    // Oldest first, as upstream sorts by creation time.
    all.sort_by_key(|rs| {
        (
            rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
            rs.metadata.name.clone(),
        )
    });
    let pos = all.iter().position(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| util::equal_ignore_hash(t, template))
    });
    let new = pos.map(|i| all.remove(i));
    Sets { new, old: all }
}

/// Creates the ReplicaSet for the current template with `replicas`, or brings an existing one
/// (after a rollback) to the newest revision.
pub fn ensure_new(
    cluster: &mut Cluster,
    d: &Deployment,
    sets: &Sets,
    replicas: i32,
) -> Option<ReplicaSet> {
    let max_revision = sets.old.iter().map(util::revision).max().unwrap_or(0);
    if let Some(new) = &sets.new {
        return Some(rollback::bump_revision(cluster, d, new, max_revision));
    }
    let spec = d.spec.clone()?;
    let collision = d.status.as_ref().and_then(|s| s.collision_count);
    let hash = util::pod_template_hash(&spec.template, collision);
    let mut template = spec.template.clone();
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .insert(util::POD_TEMPLATE_HASH.into(), hash.clone());
    let mut selector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(Default::default)
        .insert(util::POD_TEMPLATE_HASH.into(), hash.clone());
    let mut labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    labels.insert(util::POD_TEMPLATE_HASH.into(), hash.clone());
    let mut annotations: BTreeMap<String, String> = d
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| {
            !k.starts_with("deployment.kubernetes.io/")
                && k.as_str() != "kubectl.kubernetes.io/last-applied-configuration"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (surge, _) = util::fenceposts(d);
    annotations.insert(util::DESIRED_REPLICAS.into(), util::replicas(d).to_string());
    annotations.insert(
        util::MAX_REPLICAS.into(),
        (util::replicas(d) + surge).to_string(),
    );
    annotations.insert(util::REVISION.into(), (max_revision + 1).to_string());
    let name = format!("{}-{hash}", d.metadata.name.clone().unwrap_or_default());
    let owner = Object::from(d.clone());
    let rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: d.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![controller_ref(&owner)]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    };
    let body = serde_json::to_value(&rs).ok()?;
    let rt = crate::resources::by_kind("apps/v1", "ReplicaSet").expect("replicasets are served");
    let created = cluster
        .create(rt, d.metadata.namespace.as_deref(), body)
        .ok()?;
    if replicas > 0 {
        cluster.record_event(
            &owner,
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "ScalingReplicaSet",
            &format!("Scaled up replica set {name} from 0 to {replicas}"),
        );
    }
    progress::note_new_replica_set(cluster, d, &name);
    match created.as_ref() {
        Object::ReplicaSet(rs) => Some((**rs).clone()),
        _ => None,
    }
}

/// Sets a ReplicaSet's replicas (and its desired/max annotations), with the controller's event.
pub fn scale(cluster: &mut Cluster, d: &Deployment, rs: &ReplicaSet, to: i32) {
    let key = Key {
        kind: "ReplicaSet",
        namespace: rs.metadata.namespace.clone().unwrap_or_default(),
        name: rs.metadata.name.clone().unwrap_or_default(),
    };
    let Some(Object::ReplicaSet(current)) = cluster.store().get(&key).map(|o| o.as_ref().clone())
    else {
        return;
    };
    let from = util::rs_replicas(&current);
    let (surge, _) = util::fenceposts(d);
    let mut updated = current.clone();
    updated.spec.get_or_insert_with(Default::default).replicas = Some(to);
    let ann = updated
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    ann.insert(util::DESIRED_REPLICAS.into(), util::replicas(d).to_string());
    ann.insert(
        util::MAX_REPLICAS.into(),
        (util::replicas(d) + surge).to_string(),
    );
    if updated == current {
        return;
    }
    cluster.store_mut().put(Object::ReplicaSet(updated));
    if from != to {
        let name = key.name.clone();
        let verb = if to > from { "up" } else { "down" };
        cluster.record_event(
            &Object::from(d.clone()),
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "ScalingReplicaSet",
            &format!("Scaled {verb} replica set {name} from {from} to {to}"),
        );
    }
}
