//! Revisions. `kubectl rollout undo` patches the template back to an older ReplicaSet's; the
//! controller then finds that ReplicaSet as the new one and gives it the next revision number,
//! remembering its earlier numbers in `deployment.kubernetes.io/revision-history`. Old
//! ReplicaSets beyond `revisionHistoryLimit` are deleted.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::util::{revision, rs_replicas, REVISION, REVISION_HISTORY};
use super::{Sets, StoredReplicaSet};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// Gives the current ReplicaSet a revision newer than every old one.
pub fn bump_revision(
    cluster: &mut Cluster,
    rs: &StoredReplicaSet,
    max_old: i64,
) -> StoredReplicaSet {
    let current = revision(rs);
    if current > max_old {
        return rs.clone();
    }
    let mut updated = ReplicaSet::clone(rs);
    let ann = updated
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    if current > 0 {
        let history = match ann.get(REVISION_HISTORY) {
            Some(h) if !h.is_empty() => format!("{h},{current}"),
            _ => current.to_string(),
        };
        ann.insert(REVISION_HISTORY.into(), history);
    }
    ann.insert(REVISION.into(), (max_old + 1).to_string());
    StoredReplicaSet::new(cluster.store_mut().put(Object::from(updated)))
        .expect("a ReplicaSet was stored")
}

/// Deletes the oldest scaled-down ReplicaSets beyond the history limit.
pub fn cleanup(cluster: &mut Cluster, d: &Deployment, sets: &Sets) {
    let limit = d
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10)
        .max(0) as usize;
    let mut candidates: Vec<&ReplicaSet> = sets
        .old
        .iter()
        .map(|rs| &**rs)
        .filter(|rs| rs_replicas(rs) == 0 && rs.status.as_ref().is_none_or(|s| s.replicas == 0))
        .collect();
    if candidates.len() <= limit {
        return;
    }
    candidates.sort_by_key(|rs| revision(rs));
    let n = candidates.len() - limit;
    for rs in candidates.into_iter().take(n) {
        let key = Key {
            kind: "ReplicaSet",
            namespace: rs.metadata.namespace.as_deref().unwrap_or_default().into(),
            name: rs.metadata.name.as_deref().unwrap_or_default().into(),
        };
        // Through the garbage collector, so anything the old ReplicaSet still owns goes too.
        cluster.remove_object(&key);
    }
}
