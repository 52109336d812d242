//! The Recreate strategy: scale every old ReplicaSet to zero, wait until their pods are gone,
//! then bring up the new one.

use super::util::{replicas, rs_replicas};
use super::{ensure_new, owned, replica_sets, rollback, scale, Sets, StoredDeployment};
use crate::object::Object;
use crate::Cluster;

pub fn rollout(cluster: &mut Cluster, d: &StoredDeployment, sets: Sets) {
    let mut scaled_down = false;
    for rs in &sets.old {
        if rs_replicas(rs) != 0 {
            scale(cluster, d, rs, 0);
            scaled_down = true;
        }
    }
    if scaled_down {
        return;
    }
    // Old pods must be gone (not just terminating) before new ones start.
    let old_pods_running = sets.old.iter().any(|rs| {
        let uid = rs.metadata.uid.as_deref().unwrap_or_default();
        owned(cluster, uid, "Pod").iter().any(|o| match o.as_ref() {
            Object::Pod(p) => !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            ),
            _ => false,
        })
    });
    if old_pods_running {
        return;
    }
    let want = replicas(d);
    let Some(new) = ensure_new(cluster, d, &sets, want) else {
        return;
    };
    if rs_replicas(&new) != want {
        scale(cluster, d, &new, want);
    }
    let sets = replica_sets(cluster, d);
    if super::progress::complete(cluster, d, &sets) {
        rollback::cleanup(cluster, d, &sets);
    }
}
