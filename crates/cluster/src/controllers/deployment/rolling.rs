//! The RollingUpdate strategy: scale the new ReplicaSet up within `maxSurge` and the old ones
//! down within `maxUnavailable`, one step per sync.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::util::{fenceposts, replicas, rs_available, rs_replicas};
use super::{ensure_new, replica_sets, rollback, scale, Sets, StoredDeployment, StoredReplicaSet};
use crate::Cluster;

/// `NewRSNewReplicas` for RollingUpdate.
pub fn new_rs_replicas(d: &Deployment, all: &[&ReplicaSet], new_replicas: i32) -> i32 {
    let (surge, _) = fenceposts(d);
    let want = replicas(d);
    let current: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let max_total = want + surge;
    if current >= max_total {
        return new_replicas;
    }
    let scale_up = max_total - current;
    new_replicas + scale_up.min(want - new_replicas).max(0)
}

pub fn rollout(cluster: &mut Cluster, d: &StoredDeployment, sets: Sets) {
    let want = replicas(d);
    let mut rv = cluster.store().resource_version();
    let new = match &sets.new {
        Some(_) => ensure_new(cluster, d, &sets, 0),
        None => {
            let old: Vec<&ReplicaSet> = sets.old.iter().map(|rs| &**rs).collect();
            let count = new_rs_replicas(d, &old, 0);
            ensure_new(cluster, d, &sets, count)
        }
    };
    let Some(new) = new else { return };
    // Scale the new ReplicaSet.
    let sets = after_step(cluster, d, sets, &mut rv);
    let all: Vec<&ReplicaSet> = sets
        .old
        .iter()
        .chain(std::iter::once(&new))
        .map(|rs| &**rs)
        .collect();
    let current_new = rs_replicas(&new);
    if current_new > want {
        scale(cluster, d, &new, want);
    } else if current_new < want {
        let target = new_rs_replicas(d, &all, current_new);
        if target != current_new {
            scale(cluster, d, &new, target);
        }
    }
    // Scale the old ones down.
    let sets = after_step(cluster, d, sets, &mut rv);
    if let Some(new) = &sets.new {
        reconcile_old(cluster, d, new, &sets.old);
    }
    let sets = after_step(cluster, d, sets, &mut rv);
    if super::progress::complete(cluster, d, &sets) {
        rollback::cleanup(cluster, d, &sets);
    }
}

/// The ReplicaSets after a step of the rollout: found again only if the step wrote anything
/// (they are read from the store alone, and finding them clones each one), else `sets` as they
/// were. `rv` is the store's resourceVersion when `sets` were found.
fn after_step(cluster: &Cluster, d: &Deployment, sets: Sets, rv: &mut u64) -> Sets {
    let now = cluster.store().resource_version();
    if now == *rv {
        return sets;
    }
    *rv = now;
    replica_sets(cluster, d)
}

/// `reconcileOldReplicaSets`.
fn reconcile_old(
    cluster: &mut Cluster,
    d: &StoredDeployment,
    new: &ReplicaSet,
    old: &[StoredReplicaSet],
) {
    let old_pods: i32 = old.iter().map(|rs| rs_replicas(rs)).sum();
    if old_pods == 0 {
        return;
    }
    let (_, max_unavailable) = fenceposts(d);
    let want = replicas(d);
    let all_pods: i32 = old_pods + rs_replicas(new);
    let min_available = want - max_unavailable;
    let new_unavailable = rs_replicas(new) - rs_available(new);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return;
    }
    // First drop old replicas that are not available anyway. Each old ReplicaSet is kept
    // with its replicas after this step (its status is unchanged by it).
    let mut cleaned = 0;
    let mut remaining: Vec<(&ReplicaSet, i32)> = Vec::new();
    for rs in old {
        let r = rs_replicas(rs);
        let unhealthy = r - rs_available(rs);
        if r == 0 || unhealthy <= 0 || cleaned >= max_scaled_down {
            remaining.push((rs, r));
            continue;
        }
        let down = (max_scaled_down - cleaned).min(unhealthy);
        scale(cluster, d, rs, r - down);
        cleaned += down;
        remaining.push((rs, r - down));
    }
    // Then scale down available old replicas while keeping minAvailable.
    let available: i32 = remaining
        .iter()
        .map(|(rs, _)| rs_available(rs))
        .sum::<i32>()
        + rs_available(new);
    if available <= min_available {
        return;
    }
    let total = available - min_available;
    let mut done = 0;
    for &(rs, r) in &remaining {
        if done >= total {
            break;
        }
        if r == 0 {
            continue;
        }
        let down = r.min(total - done);
        scale(cluster, d, rs, r - down);
        done += down;
    }
}
