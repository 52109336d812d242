//! Deployment status and its `Available` / `Progressing` conditions, including the progress
//! deadline (`ProgressDeadlineExceeded` after `progressDeadlineSeconds` without progress).

use std::borrow::Cow;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus};

use super::util::{fenceposts, replicas, revision, REVISION};
use super::{replica_sets, Sets};
use crate::clock;
use crate::controllers::replicaset::nonzero;
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

fn counts(sets: &Sets) -> (i32, i32, i32, i32) {
    let all = sets.old.iter().chain(sets.new.iter());
    let (mut total, mut ready, mut available) = (0, 0, 0);
    for s in all.filter_map(|rs| rs.status.as_ref()) {
        total += s.replicas;
        ready += s.ready_replicas.unwrap_or(0);
        available += s.available_replicas.unwrap_or(0);
    }
    let updated = sets
        .new
        .as_ref()
        .and_then(|rs| rs.status.as_ref())
        .map_or(0, |s| s.replicas);
    (total, updated, ready, available)
}

/// `DeploymentComplete`: every replica updated and available, no old ones left.
pub fn complete(_cluster: &Cluster, d: &Deployment, sets: &Sets) -> bool {
    let (total, updated, _, available) = counts(sets);
    let want = replicas(d);
    updated == want && total == want && available == want
}

fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(crate::clock::api_time(now)),
        last_transition_time: Some(crate::clock::api_time(now)),
    }
}

/// `SetDeploymentCondition`: no change when status and reason are the same. The condition is
/// only built (its message formatted) when it changes something, which most syncs do not.
fn set(
    conds: &mut Cow<[DeploymentCondition]>,
    (type_, status, reason): (&str, &str, &str),
    message: impl FnOnce() -> String,
    now: Timestamp,
) {
    let existing = conds.iter().position(|x| x.type_ == type_);
    let mut c = match existing.map(|i| &conds[i]) {
        Some(x) if x.status == status && x.reason.as_deref() == Some(reason) => return,
        _ => condition(type_, status, reason, message(), now),
    };
    let conds = conds.to_mut();
    if let Some(i) = existing {
        if conds[i].status == c.status {
            c.last_transition_time = conds[i].last_transition_time.clone();
        }
        conds.remove(i);
    }
    conds.push(c);
}

/// Statuses equal in every field but the conditions. Every field is named, so that a new one
/// is a compile error here rather than left out of the comparison.
fn same_but_conditions(a: &DeploymentStatus, b: &DeploymentStatus) -> bool {
    let DeploymentStatus {
        available_replicas,
        collision_count,
        conditions: _,
        observed_generation,
        ready_replicas,
        replicas,
        terminating_replicas,
        unavailable_replicas,
        updated_replicas,
    } = a;
    *available_replicas == b.available_replicas
        && *collision_count == b.collision_count
        && *observed_generation == b.observed_generation
        && *ready_replicas == b.ready_replicas
        && *replicas == b.replicas
        && *terminating_replicas == b.terminating_replicas
        && *unavailable_replicas == b.unavailable_replicas
        && *updated_replicas == b.updated_replicas
}

/// Records `Progressing: NewReplicaSetCreated` right after the controller creates a ReplicaSet.
pub fn note_new_replica_set(cluster: &mut Cluster, d: &Deployment, name: &str) {
    let key = Key {
        kind: "Deployment",
        namespace: d.metadata.namespace.as_deref().unwrap_or_default().into(),
        name: d.metadata.name.as_deref().unwrap_or_default().into(),
    };
    let Some(Object::Deployment(current)) = cluster.store().get(&key).map(|o| o.as_ref()) else {
        return;
    };
    let now = cluster.now();
    let mut updated = current.clone();
    let status = updated.status.get_or_insert_with(Default::default);
    let mut conds = status.conditions.take().unwrap_or_default();
    let mut c = condition(
        "Progressing",
        "True",
        "NewReplicaSetCreated",
        format!("Created new replica set \"{name}\""),
        now,
    );
    if let Some(old) = conds
        .iter()
        .find(|x| x.type_ == "Progressing" && x.status == "True")
    {
        c.last_transition_time = old.last_transition_time.clone();
    }
    conds.retain(|x| x.type_ != "Progressing");
    conds.push(c);
    status.conditions = Some(conds);
    cluster.store_mut().put(Object::Deployment(updated));
}

/// Recomputes the deployment's status from its ReplicaSets (`syncRolloutStatus`).
pub fn sync_status(cluster: &mut Cluster, key: &Key, _force: bool) {
    // Borrowed from the store (through its own handle, so the cluster stays free to write): the
    // deployment is copied only when its status changes.
    let Some(stored) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::Deployment(d) = stored.as_ref() else {
        return;
    };
    let sets = replica_sets(cluster, d);
    let now = cluster.now();
    let want = replicas(d);
    let (total, updated, ready, available) = counts(&sets);
    let (_, max_unavailable) = fenceposts(d);
    let no_status = DeploymentStatus::default();
    let old = d.status.as_ref().unwrap_or(&no_status);
    // Borrowed until a condition changes (copied then, by `set`).
    let mut conds: Cow<[DeploymentCondition]> =
        Cow::Borrowed(old.conditions.as_deref().unwrap_or_default());
    if available >= want - max_unavailable {
        set(
            &mut conds,
            ("Available", "True", "MinimumReplicasAvailable"),
            || "Deployment has minimum availability.".into(),
            now,
        );
    } else {
        set(
            &mut conds,
            ("Available", "False", "MinimumReplicasUnavailable"),
            || "Deployment does not have minimum availability.".into(),
            now,
        );
    }
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    let deadline = d
        .spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .unwrap_or(600);
    let was_paused = conds
        .iter()
        .any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("DeploymentPaused"));
    let rs_name = sets
        .new
        .as_ref()
        .and_then(|rs| rs.metadata.name.as_deref())
        .unwrap_or_default();
    if paused {
        set(
            &mut conds,
            ("Progressing", "Unknown", "DeploymentPaused"),
            || "Deployment is paused".into(),
            now,
        );
    } else if let Some(_new) = &sets.new {
        if was_paused {
            set(
                &mut conds,
                ("Progressing", "Unknown", "DeploymentResumed"),
                || "Deployment is resumed".into(),
                now,
            );
        }
        let current = conds.iter().find(|c| c.type_ == "Progressing").cloned();
        let timed_out_already = current
            .as_ref()
            .is_some_and(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
        let is_complete = total == updated
            && current
                .as_ref()
                .is_some_and(|c| c.reason.as_deref() == Some("NewReplicaSetAvailable"));
        let old_old = old.replicas.unwrap_or(0) - old.updated_replicas.unwrap_or(0);
        let new_old = total - updated;
        let progressing = updated > old.updated_replicas.unwrap_or(0)
            || ready > old.ready_replicas.unwrap_or(0)
            || available > old.available_replicas.unwrap_or(0)
            || old_old > new_old;
        if !timed_out_already && !is_complete {
            if updated == want && total == want && available == want {
                set(
                    &mut conds,
                    ("Progressing", "True", "NewReplicaSetAvailable"),
                    || format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                    now,
                );
            } else if progressing {
                let mut c = condition(
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    format!("ReplicaSet \"{rs_name}\" is progressing."),
                    now,
                );
                if let Some(cur) = current.as_ref().filter(|c| c.status == "True") {
                    c.last_transition_time = cur.last_transition_time.clone();
                }
                let conds = conds.to_mut();
                conds.retain(|x| x.type_ != "Progressing");
                conds.push(c);
            } else if let Some(cur) = &current {
                let last = cur.last_update_time.as_ref().map_or(now, |t| t.0);
                let due = clock::after(last, deadline as f64);
                if cur.status == "True" && cur.reason.as_deref() != Some("NewReplicaSetAvailable") {
                    if due <= now {
                        set(
                            &mut conds,
                            ("Progressing", "False", "ProgressDeadlineExceeded"),
                            || format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                            now,
                        );
                    } else {
                        cluster.wake_at(due, key.clone());
                    }
                }
            }
        }
    }
    let status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: nonzero(total),
        updated_replicas: nonzero(updated),
        ready_replicas: nonzero(ready),
        available_replicas: nonzero(available),
        unavailable_replicas: nonzero((want - available).max(0)),
        conditions: None,
        collision_count: old.collision_count,
        terminating_replicas: None,
    };
    // The status as it would be, compared with the stored one before anything is copied.
    let conditions_unchanged = old.conditions.as_deref() == Some(&*conds);
    let status_unchanged =
        d.status.is_some() && conditions_unchanged && same_but_conditions(old, &status);
    let revision = sets.new.as_ref().map(|new| revision(new).to_string());
    let annotations = d.metadata.annotations.as_ref();
    let revision_unchanged = revision
        .as_ref()
        .is_none_or(|r| annotations.and_then(|a| a.get(REVISION)) == Some(r));
    if status_unchanged && revision_unchanged {
        return;
    }
    let mut updated_d = Deployment {
        metadata: d.metadata.clone(),
        spec: d.spec.clone(),
        status: Some(DeploymentStatus {
            conditions: Some(conds.into_owned()),
            ..status
        }),
    };
    if let Some(revision) = revision {
        updated_d
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(REVISION.into(), revision);
    }
    cluster.store_mut().put(Object::from(updated_d));
}
