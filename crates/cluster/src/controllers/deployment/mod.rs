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
use std::ops::Deref;
use std::sync::Arc;

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
    pub new: Option<StoredReplicaSet>,
    pub old: Vec<StoredReplicaSet>,
}

/// Objects as the store holds them, shared rather than copied and seen as their own type: a
/// sync reads its deployment and every one of its ReplicaSets several times, and writes only
/// the few it changes (each write builds a new object).
macro_rules! stored {
    ($(#[$doc:meta])* $name:ident, $kind:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Arc<Object>);

        impl $name {
            pub fn new(object: Arc<Object>) -> Option<$name> {
                matches!(object.as_ref(), Object::$kind(_)).then_some($name(object))
            }

            /// The stored object, as events name it.
            pub fn object(&self) -> &Object {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = $kind;

            fn deref(&self) -> &$kind {
                match self.0.as_ref() {
                    Object::$kind(o) => o,
                    _ => unreachable!(concat!(stringify!($name), "::new admits only its kind")),
                }
            }
        }
    };
}

stored!(
    /// The Deployment a sync works on, as read when the sync began.
    StoredDeployment,
    Deployment
);
stored!(
    /// One of the deployment's ReplicaSets.
    StoredReplicaSet,
    ReplicaSet
);

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(d) = cluster
        .store()
        .get(key)
        .cloned()
        .and_then(StoredDeployment::new)
    else {
        return;
    };
    if d.metadata.deletion_timestamp.is_some() {
        return;
    }
    let sets = replica_sets(cluster, &d);
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    if paused {
        // A paused deployment still follows spec.replicas on its current ReplicaSet.
        if let Some(new) = &sets.new {
            let want = util::replicas(&d);
            if util::rs_replicas(new) != want {
                scale(cluster, &d, new, want);
            }
        }
        progress::sync_status(cluster, key, false);
        return;
    }
    if util::is_recreate(&d) {
        recreate::rollout(cluster, &d, sets);
    } else {
        rolling::rollout(cluster, &d, sets);
    }
    progress::sync_status(cluster, key, false);
}

/// Finds the deployment's ReplicaSets.
pub fn replica_sets(cluster: &Cluster, d: &Deployment) -> Sets {
    let uid = d.metadata.uid.as_deref().unwrap_or_default();
    // Borrowed: this runs several times per sync, and a template is a whole pod spec.
    let no_template = PodTemplateSpec::default();
    let template = d.spec.as_ref().map_or(&no_template, |s| &s.template);
    let mut all: Vec<StoredReplicaSet> = cluster
        .runtime
        .index
        .dependents_of(uid)
        .filter(|k| k.kind == "ReplicaSet")
        .filter_map(|k| StoredReplicaSet::new(cluster.store().get(k)?.clone()))
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .collect();
    // Oldest first, as upstream sorts by creation time.
    fn order(rs: &StoredReplicaSet) -> (Option<jiff::Timestamp>, Option<&str>) {
        let m = &rs.metadata;
        (
            m.creation_timestamp.as_ref().map(|t| t.0),
            m.name.as_deref(),
        )
    }
    all.sort_by(|a, b| order(a).cmp(&order(b)));
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
    d: &StoredDeployment,
    sets: &Sets,
    replicas: i32,
) -> Option<StoredReplicaSet> {
    let max_revision = sets
        .old
        .iter()
        .map(|rs| util::revision(rs))
        .max()
        .unwrap_or(0);
    if let Some(new) = &sets.new {
        return Some(rollback::bump_revision(cluster, new, max_revision));
    }
    let spec = d.spec.as_ref()?;
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
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
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
    let name = format!("{}-{hash}", d.metadata.name.as_deref().unwrap_or_default());
    let rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: d.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![controller_ref(d.object())]),
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
    // Serialised from the API's own type: nothing for the decode round trip to drop.
    let opts = crate::api::WriteOptions {
        typed_body: true,
        ..crate::api::WriteOptions::internal()
    };
    let created = cluster
        .create_with(
            &crate::api::User::system("system:kube-controller-manager"),
            rt,
            d.metadata.namespace.as_deref(),
            body,
            &opts,
        )
        .ok()?
        .object;
    if replicas > 0 {
        cluster.record_event(
            d.object(),
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "ScalingReplicaSet",
            &format!("Scaled up replica set {name} from 0 to {replicas}"),
        );
    }
    progress::note_new_replica_set(cluster, d, &name);
    StoredReplicaSet::new(created)
}

/// Sets a ReplicaSet's replicas (and its desired/max annotations), with the controller's event.
pub fn scale(cluster: &mut Cluster, d: &StoredDeployment, rs: &ReplicaSet, to: i32) {
    let key = Key {
        kind: "ReplicaSet",
        namespace: rs.metadata.namespace.as_deref().unwrap_or_default().into(),
        name: rs.metadata.name.as_deref().unwrap_or_default().into(),
    };
    let Some(Object::ReplicaSet(current)) = cluster.store().get(&key).map(|o| o.as_ref()) else {
        return;
    };
    let from = util::rs_replicas(current);
    let (surge, _) = util::fenceposts(d);
    let desired = util::replicas(d).to_string();
    let max = (util::replicas(d) + surge).to_string();
    let annotations = current.metadata.annotations.as_ref();
    let unchanged = from == to
        && current.spec.as_ref().is_some_and(|s| s.replicas.is_some())
        && annotations.and_then(|a| a.get(util::DESIRED_REPLICAS)) == Some(&desired)
        && annotations.and_then(|a| a.get(util::MAX_REPLICAS)) == Some(&max);
    if unchanged {
        return;
    }
    let mut updated = (**current).clone();
    updated.spec.get_or_insert_with(Default::default).replicas = Some(to);
    let ann = updated
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    ann.insert(util::DESIRED_REPLICAS.into(), desired);
    ann.insert(util::MAX_REPLICAS.into(), max);
    cluster
        .store_mut()
        .put(Object::ReplicaSet(Box::new(updated)));
    if from != to {
        let name = key.name.clone();
        let verb = if to > from { "up" } else { "down" };
        cluster.record_event(
            d.object(),
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "ScalingReplicaSet",
            &format!("Scaled {verb} replica set {name} from {from} to {to}"),
        );
    }
}
