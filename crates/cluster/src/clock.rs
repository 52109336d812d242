//! The timer queue behind the simulated clock.
//!
//! Components never sleep: when something should happen later (an image pull finishing, a back-off
//! expiring, a probe period, a grace period ending) they schedule a wake-up for an object at a time.
//! [`crate::Cluster::advance`] pops due timers in time order, moves the clock to each one and lets
//! the control plane settle, so fast-forwarding an hour is as faithful as living through it.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::store::Key;

/// Pending wake-ups, ordered by time then by scheduling order (ties fire in the order they were
/// scheduled, which keeps runs deterministic).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timers {
    queue: BTreeSet<(Timestamp, u64, Key)>,
    seq: u64,
}

impl Timers {
    /// Wakes the component that owns `key` at `at`.
    pub fn schedule(&mut self, at: Timestamp, key: Key) {
        self.seq += 1;
        self.queue.insert((at, self.seq, key));
    }

    /// When the earliest timer is due, if any.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.queue.first().map(|(t, _, _)| *t)
    }

    /// Removes and returns every timer due at or before `now`, earliest first, without duplicates.
    pub fn pop_due(&mut self, now: Timestamp) -> Vec<Key> {
        let mut popped = Vec::new();
        while self.queue.first().is_some_and(|(t, _, _)| *t <= now) {
            let (_, _, key) = self.queue.pop_first().expect("checked non-empty");
            popped.push(key);
        }
        // A set beside the list keeps this linear when thousands of pods fall due together; it
        // borrows the keys, as the same pod often has several timers due.
        let mut seen = std::collections::HashSet::with_capacity(popped.len());
        let first: Vec<bool> = popped.iter().map(|k| seen.insert(k)).collect();
        popped
            .into_iter()
            .zip(first)
            .filter_map(|(k, first)| first.then_some(k))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// A timestamp as the API stores it: `metav1.Time` has whole seconds (RFC 3339 without
/// fractions), so sub-second simulated times are truncated when written into objects.
pub fn api_time(t: Timestamp) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Time {
    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        Timestamp::from_second(t.as_second()).unwrap_or(t),
    )
}

/// `metav1.MicroTime`: microsecond precision.
pub fn api_micro_time(t: Timestamp) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime {
    let micros = t.as_microsecond();
    k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
        Timestamp::from_microsecond(micros).unwrap_or(t),
    )
}

/// `t + seconds` (fractional seconds allowed), saturating at the representable range.
pub fn after(t: Timestamp, seconds: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(seconds))
        .unwrap_or(t)
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
pub fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    b.duration_since(a).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key {
            kind: "Pod",
            namespace: "default".into(),
            name: name.into(),
        }
    }

    #[test]
    fn pops_due_timers_in_time_then_schedule_order() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut timers = Timers::default();
        timers.schedule(after(t0, 5.0), key("late"));
        timers.schedule(after(t0, 1.0), key("b"));
        timers.schedule(after(t0, 1.0), key("a"));
        timers.schedule(after(t0, 1.0), key("b"));
        assert_eq!(timers.next_due(), Some(after(t0, 1.0)));
        let due = timers.pop_due(after(t0, 2.0));
        assert_eq!(due, [key("b"), key("a")]);
        assert_eq!(timers.len(), 1);
        assert!(timers.pop_due(after(t0, 4.9)).is_empty());
        assert_eq!(timers.pop_due(after(t0, 5.0)), [key("late")]);
    }
}
