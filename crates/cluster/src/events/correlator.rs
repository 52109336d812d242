//! client-go's `EventCorrelator`, which the kubelet's and the controllers' (legacy `core/v1`)
//! event recorders pass every event through before it reaches the API server:
//!
//! - **Aggregation.** When one source reports ten or more events about one object with the same
//!   type and reason but different messages, less than ten minutes apart, the tenth and every
//!   later one are folded into a single event, `(combined from similar events): <message>`,
//!   whose count goes up. A ReplicaSet creating thirty pods shows nine `Created pod: …` events
//!   and one combined event.
//! - **Spam filter.** A source may report 25 events about one object at once, then one every
//!   five minutes (a token bucket per source and object). Events beyond that are dropped;
//!   the counts they would have bumped still go up, so the next one written jumps.
//!
//! The scheduler's `events.k8s.io` recorder has neither. The state is part of a snapshot (a
//! restored session goes on exactly as it would have), in persistent maps that every session
//! shares with the default cluster until it records events of its own.

use imbl::OrdMap;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Distinct messages that make similar events aggregate (client-go `defaultAggregateMaxEvents`).
const AGGREGATE_MAX_EVENTS: usize = 10;
/// How long similar events are remembered (client-go `defaultAggregateIntervalInSeconds`).
const AGGREGATE_INTERVAL: SignedDuration = SignedDuration::from_secs(600);
/// Events a source may report about an object at once (client-go `defaultSpamBurst`)...
const SPAM_BURST: i32 = 25;
/// ... and the time it takes to earn one back (client-go `defaultSpamQPS`: 1/300).
const SPAM_REFILL: SignedDuration = SignedDuration::from_secs(300);

/// The message prefix of an aggregated event.
pub const COMBINED: &str = "(combined from similar events): ";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Correlator {
    /// By source, object, type and reason: the messages seen (hashed) and when the last came.
    similar: OrdMap<u64, Similar>,
    /// By source and object: the spam filter's token buckets.
    buckets: OrdMap<u64, Bucket>,
    /// The size at which both maps are next swept of entries that no longer matter.
    sweep_at: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Similar {
    /// Sorted, at most `AGGREGATE_MAX_EVENTS - 1` between events: a group per pod and reason
    /// usually holds one, so a small vector, not a set.
    messages: Vec<u64>,
    last: Timestamp,
}

/// A token bucket, kept as the time it will be full again (so it holds no fractions: the
/// tokens at `now` are `burst - (full_at - now) / refill`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Bucket {
    full_at: Timestamp,
}

impl Correlator {
    /// Notes an event of the group `similar` (see [`similar_key`]) with a message hashing to
    /// `message`; returns whether it is folded into the group's combined event.
    pub fn aggregate(&mut self, similar: u64, message: u64, now: Timestamp) -> bool {
        self.sweep(now);
        let group = self.similar.entry(similar).or_insert_with(|| Similar {
            messages: Vec::with_capacity(1),
            last: now,
        });
        if now.duration_since(group.last) > AGGREGATE_INTERVAL {
            group.messages.clear();
        }
        if let Err(at) = group.messages.binary_search(&message) {
            group.messages.insert(at, message);
        }
        group.last = now;
        if group.messages.len() < AGGREGATE_MAX_EVENTS {
            return false;
        }
        // The set does not grow past the threshold: client-go drops an arbitrary member.
        group.messages.remove(0);
        true
    }

    /// Whether the spam filter lets an event about `object` (see [`spam_key`]) through now.
    pub fn allow(&mut self, object: u64, now: Timestamp) -> bool {
        self.sweep(now);
        let full_at = self
            .buckets
            .get(&object)
            .map_or(now, |b| b.full_at.max(now));
        // At least one token left: the bucket is less than `burst - 1` refills from full.
        if full_at.duration_since(now) > SPAM_REFILL * (SPAM_BURST - 1) {
            return false;
        }
        self.buckets.insert(
            object,
            Bucket {
                full_at: full_at + SPAM_REFILL,
            },
        );
        true
    }

    /// Forgets groups older than the aggregation interval and buckets that have refilled (both
    /// the same as never seen), whenever the maps have doubled since the last sweep.
    fn sweep(&mut self, now: Timestamp) {
        if self.similar.len() + self.buckets.len() < self.sweep_at {
            return;
        }
        self.similar = std::mem::take(&mut self.similar)
            .into_iter()
            .filter(|(_, g)| now.duration_since(g.last) <= AGGREGATE_INTERVAL)
            .collect();
        self.buckets = std::mem::take(&mut self.buckets)
            .into_iter()
            .filter(|(_, b)| b.full_at > now)
            .collect();
        self.sweep_at = (2 * (self.similar.len() + self.buckets.len())).max(1024);
    }
}

/// FNV-1a over the parts, each ended by a NUL: keys compared as integers, not long strings.
pub fn hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Who reports about what: source component and host, then the object's kind, namespace, name,
/// uid and API version (client-go's `getSpamKey`).
pub struct Reporter<'a> {
    pub component: &'a str,
    pub host: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub api_version: &'a str,
}

impl Reporter<'_> {
    fn parts(&self) -> [&str; 7] {
        [
            self.component,
            self.host,
            self.kind,
            self.namespace,
            self.name,
            self.uid,
            self.api_version,
        ]
    }
}

/// The spam filter's key: source and object.
pub fn spam_key(r: &Reporter<'_>) -> u64 {
    hash(r.parts())
}

/// The aggregation group: source, object, type and reason (client-go's
/// `EventAggregatorByReasonFunc`; its reporting controller and instance are the source's).
pub fn similar_key(r: &Reporter<'_>, type_: &str, reason: &str) -> u64 {
    hash(r.parts().into_iter().chain([type_, reason]))
}

/// The key the combined event of a group is remembered by.
pub fn combined_key(similar: u64) -> u64 {
    hash([COMBINED]) ^ similar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn the_tenth_distinct_message_within_ten_minutes_aggregates() {
        let mut c = Correlator::default();
        let folded: Vec<bool> = (0..12).map(|m| c.aggregate(1, m, at(m as i64))).collect();
        assert_eq!(folded, [vec![false; 9], vec![true; 3]].concat());
        // The same message again is not a new one... but the group is already over.
        assert!(c.aggregate(1, 0, at(20)));
        // Another group is independent.
        assert!(!c.aggregate(2, 0, at(20)));
        // Ten minutes of quiet start the group afresh.
        assert!(!c.aggregate(1, 99, at(20 + 601)));
    }

    #[test]
    fn a_source_may_burst_25_events_then_one_every_five_minutes() {
        let mut c = Correlator::default();
        let allowed = (0..30).filter(|_| c.allow(7, at(0))).count();
        assert_eq!(allowed, 25);
        assert!(!c.allow(7, at(299)));
        assert!(c.allow(7, at(300 + 299)), "one earned in five minutes");
        assert!(!c.allow(7, at(300 + 299)));
        assert!(c.allow(8, at(0)), "another object has its own bucket");
    }

    #[test]
    fn sweeping_forgets_only_what_no_longer_matters() {
        let mut c = Correlator::default();
        for object in 0..2_000u64 {
            c.allow(object, at(0));
            c.aggregate(object, 0, at(0));
        }
        // A bucket that refilled and a group past the interval are the same as none: after
        // two hours and more, everything goes on the next sweep; the new entries stay.
        assert!(c.similar.len() + c.buckets.len() >= 4_000);
        c.sweep_at = 0;
        c.aggregate(5_000, 0, at(8_000));
        assert_eq!((c.similar.len(), c.buckets.len()), (1, 0));
        for m in 1..10 {
            assert_eq!(c.aggregate(5_000, m, at(8_000)), m == 9);
        }
    }
}
