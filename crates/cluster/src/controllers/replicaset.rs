//! The ReplicaSet controller: keep `spec.replicas` active pods, and report how many are ready and
//! available.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;

use super::{create_pod, delete_pod, is_active, is_available, is_ready, owned, ready_since};
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// The most pods one sync creates or deletes (the controller's `burstReplicas`).
const BURST_REPLICAS: usize = 500;

const SOURCE: &str = "replicaset-controller";

/// How long a ReplicaSet whose pod creates were refused waits before trying again.
const FAILED_CREATE_RETRY_SECONDS: u32 = 10;

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::ReplicaSet(rs) = obj.as_ref() else {
        return;
    };
    if rs.metadata.deletion_timestamp.is_some() {
        return;
    }
    let uid = rs.metadata.uid.clone().unwrap_or_default();
    // Counted without a walk where the index's sums suffice (see `Tally::indexed`); the pods
    // are only collected (and ranked) when some must go. The pods this sync creates are not in
    // the index until the next settle round (as new pods reach a real controller's informer
    // later), so only deletions change the tally.
    let mut tally =
        Tally::indexed(cluster, rs, &uid).unwrap_or_else(|| Tally::of(cluster, rs, &uid));
    let active_count = tally.replicas as usize;
    let want = rs
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1)
        .max(0) as usize;
    let mut requeue = false;
    if active_count < want {
        let template = rs
            .spec
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default();
        let n = (want - active_count).min(BURST_REPLICAS);
        requeue = want - active_count > n;
        // Upstream's slowStartBatch: creates go in batches of 1, 2, 4, ...; a batch with a
        // refused create (a quota, the session's object cap) is the last one, and the sync is
        // retried after a back-off rather than at once, so a ReplicaSet that cannot grow does
        // not spin. Same work as one loop when nothing fails.
        for batch in slow_start_batches(n) {
            let refused = (0..batch)
                .filter(|_| create_pod(cluster, &obj, &template, None, &[], SOURCE).is_none())
                .count();
            if refused > 0 {
                requeue = false;
                cluster.wake_at(failed_create_retry(cluster.now()), key.clone());
                break;
            }
        }
    } else if active_count > want {
        let n = (active_count - want).min(BURST_REPLICAS);
        requeue = active_count - want > n;
        let owned = owned(cluster, &uid, "Pod");
        let mut active: Vec<&Pod> = owned
            .iter()
            .filter_map(|o| o.as_pod())
            .filter(|p| is_active(p))
            .collect();
        // Delete the pods that matter least first: unscheduled, then pending, then not ready,
        // then the most restarted, then the newest (the upstream ActivePods ranking).
        active.sort_by_key(|p| {
            let bound = p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
            let phase_rank = match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
                Some("Pending") => 0,
                Some("Running") => 2,
                _ => 1,
            };
            let restarts: i32 = p
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .map_or(0, |cs| cs.iter().map(|c| c.restart_count).sum());
            let created = p.metadata.creation_timestamp.as_ref().map(|t| t.0);
            (
                bound,
                phase_rank,
                is_ready(p),
                Reverse(restarts),
                Reverse(ready_since(p)),
                Reverse(created),
                p.metadata.name.clone(),
            )
        });
        for p in active.iter().take(n) {
            let name = p.metadata.name.clone().unwrap_or_default();
            delete_pod(
                cluster,
                &Key {
                    kind: "Pod",
                    namespace: key.namespace.clone(),
                    name: name.as_str().into(),
                },
            );
            cluster.record_event(
                &obj,
                None,
                Source::Controller(SOURCE),
                EventKind::Normal,
                "SuccessfulDelete",
                &format!("Deleted pod: {name}"),
            );
        }
        tally = Tally::of(cluster, rs, &uid);
    }
    // Every test checks that the creates above left the tally as it was.
    debug_assert_eq!(tally, Tally::of(cluster, rs, &uid));
    update_status(cluster, key, &tally);
    if requeue {
        cluster
            .runtime
            .queued
            .insert((crate::runtime::Component::ReplicaSet, key.clone()));
    }
}

/// When a ReplicaSet whose create was refused at `now` tries again: the next whole multiple of
/// the back-off at least one back-off away. Refusals within one window (every pod change syncs
/// the ReplicaSet) share one retry time, which the timers fire once, as upstream's work queue
/// keeps one pending retry per key.
fn failed_create_retry(now: jiff::Timestamp) -> jiff::Timestamp {
    let step = FAILED_CREATE_RETRY_SECONDS as i64;
    let at = now.as_second() + step;
    jiff::Timestamp::from_second(at + (step - at.rem_euclid(step)) % step).unwrap_or(now)
}

/// What the status reports, counted over the active pods in one pass.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    replicas: i32,
    ready: i32,
    available: i32,
    fully_labeled: i32,
    /// When the next ready pod becomes available (with `minReadySeconds`).
    next_available: Option<jiff::Timestamp>,
}

impl Tally {
    /// The tally from the sums the index keeps of each owner's active pods: no pod is read.
    /// Availability with `minReadySeconds` depends on the time, so that needs the walk
    /// (`None`). The index is as of the start of the settle round, and nothing writes another
    /// controller's pods between then and a ReplicaSet's sync (the Deployment controller, which
    /// runs first, writes no pods): debug builds check every sync against the walk.
    fn indexed(cluster: &Cluster, rs: &ReplicaSet, uid: &str) -> Option<Tally> {
        let spec = rs.spec.as_ref();
        if spec.and_then(|s| s.min_ready_seconds).unwrap_or(0) > 0 {
            return None;
        }
        let mut t = Tally::default();
        let Some(owned) = cluster.runtime.index.owned_pods(uid) else {
            return Some(t);
        };
        for (labels, n) in &owned.by_labels {
            t.replicas += n.active;
            t.ready += n.ready;
            t.available += n.ready;
            if fully_labeled(rs, Some(labels)) {
                t.fully_labeled += n.active;
            }
        }
        Some(t)
    }

    /// Counts the pods of the ReplicaSet `rs` (with `uid`) as they are stored now.
    fn of(cluster: &Cluster, rs: &ReplicaSet, uid: &str) -> Tally {
        let now = cluster.now();
        let spec = rs.spec.as_ref();
        let min_ready = spec.and_then(|s| s.min_ready_seconds).unwrap_or(0);
        let mut t = Tally::default();
        // One pass over the pods, nothing collected: this runs on every sync.
        for p in owned_pods(cluster, uid).filter(|p| is_active(p)) {
            t.replicas += 1;
            t.ready += i32::from(is_ready(p));
            t.available += i32::from(is_available(p, min_ready, now));
            t.fully_labeled += i32::from(fully_labeled(rs, p.metadata.labels.as_ref()));
            if min_ready > 0 {
                if let Some(at) = ready_since(p)
                    .map(|r| crate::clock::after(r, min_ready as f64))
                    .filter(|at| *at > now)
                {
                    t.next_available = Some(t.next_available.map_or(at, |n| n.min(at)));
                }
            }
        }
        t
    }
}

/// Whether a pod's labels include all of the ReplicaSet's template labels.
fn fully_labeled(rs: &ReplicaSet, labels: Option<&BTreeMap<String, String>>) -> bool {
    let template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.as_ref());
    template
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// Writes `status` from the tally of the pods.
fn update_status(cluster: &mut Cluster, key: &Key, tally: &Tally) {
    let Some(obj) = cluster.store().get(key).cloned() else {
        return;
    };
    let Object::ReplicaSet(rs) = obj.as_ref() else {
        return;
    };
    // Wake when a ready pod becomes available.
    if let Some(t) = tally.next_available {
        cluster.wake_at(t, key.clone());
    }
    let status = ReplicaSetStatus {
        replicas: tally.replicas,
        fully_labeled_replicas: nonzero(tally.fully_labeled),
        ready_replicas: nonzero(tally.ready),
        available_replicas: nonzero(tally.available),
        observed_generation: rs.metadata.generation,
        conditions: rs.status.as_ref().and_then(|s| s.conditions.clone()),
        terminating_replicas: None,
    };
    if rs.status.as_ref() != Some(&status) {
        let mut updated: ReplicaSet = (**rs).clone();
        updated.status = Some(status);
        cluster.store_mut().put(Object::from(updated));
    }
}

/// The pods controlled by the ReplicaSet with `uid`, as stored now, borrowed.
fn owned_pods<'a>(cluster: &'a Cluster, uid: &str) -> impl Iterator<Item = &'a Pod> + 'a {
    cluster
        .runtime
        .index
        .dependents_of(uid)
        .filter(|k| k.kind == "Pod")
        .filter_map(|k| cluster.store().get(k))
        .filter_map(|o| o.as_pod())
}

/// The batch sizes `slowStartBatch` uses for `n` creates: 1, 2, 4, ... and what is left.
pub fn slow_start_batches(n: usize) -> impl Iterator<Item = usize> {
    let mut left = n;
    let mut size = 1;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let batch = size.min(left);
        left -= batch;
        size *= 2;
        Some(batch)
    })
}

/// Counters the API omits when zero (`omitempty`).
pub fn nonzero(n: i32) -> Option<i32> {
    (n != 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::resources::by_plural;
    use crate::{Cluster, ClusterConfig};

    /// How many times the ReplicaSet controller reported a refused create (aggregated events,
    /// and the repeats the spam filter kept from the API).
    fn failed_creates(c: &Cluster) -> i32 {
        c.store()
            .list("Event", Some("default"))
            .filter(|e| e.to_value()["reason"] == "FailedCreate")
            .map(|e| c.times_reported(&crate::store::Key::of(e)).unwrap_or(1))
            .sum()
    }

    #[test]
    fn creates_go_in_doubling_batches() {
        let b = |n| super::slow_start_batches(n).collect::<Vec<_>>();
        assert_eq!(b(0), Vec::<usize>::new());
        assert_eq!(b(1), [1]);
        assert_eq!(b(10), [1, 2, 4, 3]);
        assert_eq!(b(500).iter().sum::<usize>(), 500);
    }

    #[test]
    fn a_refused_create_ends_the_burst_and_retries_after_a_back_off() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let quota = json!({"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "pods"}, "spec": {"hard": {"pods": "3"}}});
        c.create(
            by_plural("", "resourcequotas").unwrap(),
            Some("default"),
            quota,
        )
        .unwrap();
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
        c.create(
            by_plural("apps", "replicasets").unwrap(),
            Some("default"),
            rs,
        )
        .unwrap();
        assert_eq!(c.store().list("Pod", Some("default")).count(), 3);
        // A refusal per sync the pods' changes cause, not two per settle round (hundreds).
        let first = failed_creates(&c);
        assert!((1..=10).contains(&first), "{first} refused creates");
        // Once the pods are Running nothing changes but the clock: one retry per back-off.
        c.advance(jiff::SignedDuration::from_secs(60));
        let settled = failed_creates(&c);
        c.advance(jiff::SignedDuration::from_secs(600));
        let retries = failed_creates(&c) - settled;
        assert!(
            (55..=65).contains(&retries),
            "{retries} retries in 10 minutes"
        );
        assert_eq!(c.store().list("Pod", Some("default")).count(), 3);
    }
}
