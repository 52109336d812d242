//! The object store: etcd's part of the control plane.
//!
//! Persistent maps with structural sharing: cloning a store is O(1) and a session that changes a few
//! objects of the shared default cluster pays only for what it changed. Every write bumps one
//! cluster-wide resourceVersion and appends a watch event to a log bounded like the API server's
//! watch cache (a window of recent changes), from which watches are answered (and "too old"
//! resourceVersions are refused with 410, as with etcd compaction). Logged objects are the
//! stored ones, shared, not copies.

use std::collections::BTreeSet;
use std::sync::Arc;

use compact_str::CompactString;
use imbl::{OrdMap, Vector};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::object::Object;
use crate::resources::ResourceType;

/// Identifies a stored object: (kind, namespace or "", name). Ordered like etcd keys, so lists come
/// out sorted by namespace then name, as the real API server returns them.
/// Serialises as `{kind, namespace, name}` (see `snapshot.rs`).
///
/// Namespace and name are small strings held inline up to 24 bytes (most names: a Deployment's
/// pods are named `<deployment>-<10>-<5>`), so the many key comparisons of every map lookup read
/// the map's own nodes rather than chasing two heap pointers each, and copying a key allocates
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub kind: &'static str,
    pub namespace: CompactString,
    pub name: CompactString,
}

/// Kind, then namespace, then name. Kinds are static strings, so two keys of one kind usually
/// share the pointer: compared without reading the bytes (every store lookup compares keys).
impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        let kind = if std::ptr::eq(self.kind, other.kind) {
            std::cmp::Ordering::Equal
        } else {
            self.kind.cmp(other.kind)
        };
        kind.then_with(|| self.namespace.cmp(&other.namespace))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Key {
    pub fn new(rt: &ResourceType, namespace: Option<&str>, name: &str) -> Key {
        Key {
            kind: rt.kind,
            namespace: namespace.unwrap_or_default().into(),
            name: name.into(),
        }
    }

    pub fn of(o: &Object) -> Key {
        Key {
            kind: o.kind(),
            namespace: o.namespace().unwrap_or_default().into(),
            name: o.name().into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as a watch reports it. For `Deleted`, the object is its last state with the
/// deletion's resourceVersion.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WatchEvent {
    pub resource_version: u64,
    pub event_type: EventType,
    pub object: Arc<Object>,
}

/// The most changes kept for watches; older resourceVersions get 410 Expired.
pub const WATCH_LOG_CAPACITY: usize = 4096;

/// The watch log is bounded like the API server's watch cache, which keeps the changes of the
/// last 75 seconds (`eventFreshDuration`: its bookmark period plus a margin) and lets older ones
/// go once it is full: changes older than this (simulated time) are dropped once more than
/// [`WATCH_LOG_MIN`] are kept. A busy session's log then holds a window, not the last 4,096
/// writes (most of them old object versions that nothing else holds).
pub const WATCH_FRESH_SECONDS: i64 = 75;

/// The fewest changes kept whatever their age. Higher than the watch cache's 100: a fast-forward
/// compresses minutes into one request, and a watch that was current before it (`kubectl get
/// -w`, `rollout status`) must still find the changes made during it.
pub const WATCH_LOG_MIN: usize = 1024;

/// A watch event and when it was recorded.
#[derive(Clone, Debug)]
struct Logged {
    at: Timestamp,
    event: WatchEvent,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoreRepr")]
pub struct Store {
    #[serde(with = "crate::snapshot::objects")]
    objects: OrdMap<Key, Arc<Object>>,
    /// Not part of snapshots: a restored store starts with an empty log, as a restarted API
    /// server's watch cache does (clients resuming from an older resourceVersion get 410 and
    /// list again). Keeping it out makes a busy session's snapshot a fraction of its size.
    #[serde(skip)]
    log: Vector<Logged>,
    /// The simulated time, for the log's window (kept by [`crate::Cluster`]).
    #[serde(skip)]
    clock: Timestamp,
    resource_version: u64,
    /// Keys written since the control plane last looked (see [`Store::take_changed`]): how the
    /// runtime knows which controllers to run without rescanning every object.
    changed: Vec<Key>,
    /// Whether an Event was written since the control plane last looked, without being listed
    /// in `changed` (see [`Store::put`]).
    #[serde(skip)]
    events_written: bool,
    /// How many of the objects are Events, kept so the session object limit (which leaves events
    /// out) costs O(1) per create instead of a scan of every event.
    #[serde(skip)]
    events: usize,
    /// Objects whose deletion waits on the garbage collector (see
    /// [`crate::gc::awaits_collector`]), kept so that it looks at these few instead of every
    /// object after each write.
    #[serde(skip)]
    awaiting_collector: BTreeSet<Key>,
}

/// The serialised form of a [`Store`]: everything but the derived event count.
#[derive(Deserialize)]
struct StoreRepr {
    #[serde(with = "crate::snapshot::objects")]
    objects: OrdMap<Key, Arc<Object>>,
    /// Snapshots written before the log was left out still carry one; it is read and kept.
    #[serde(default)]
    log: Vector<WatchEvent>,
    resource_version: u64,
    changed: Vec<Key>,
}

impl From<StoreRepr> for Store {
    fn from(r: StoreRepr) -> Store {
        let mut store = Store {
            objects: r.objects,
            log: r
                .log
                .into_iter()
                .map(|event| Logged {
                    at: Timestamp::UNIX_EPOCH,
                    event,
                })
                .collect(),
            clock: Timestamp::UNIX_EPOCH,
            resource_version: r.resource_version,
            changed: r.changed,
            events_written: false,
            events: 0,
            awaiting_collector: BTreeSet::new(),
        };
        store.count_derived();
        store
    }
}

impl Store {
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// The oldest resourceVersion a watch can start from.
    pub fn oldest_watchable(&self) -> u64 {
        self.log
            .front()
            .map(|e| e.event.resource_version.saturating_sub(1))
            .unwrap_or(self.resource_version)
    }

    pub fn get(&self, key: &Key) -> Option<&Arc<Object>> {
        self.objects.get(key)
    }

    /// All objects of a kind, optionally in one namespace, in key order.
    pub fn list<'a>(
        &'a self,
        kind: &'static str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let start = Key {
            kind,
            namespace: namespace.unwrap_or_default().into(),
            name: Default::default(),
        };
        self.objects
            .range(start..)
            .take_while(move |(k, _)| {
                k.kind == kind && namespace.is_none_or(|ns| k.namespace == ns)
            })
            .map(|(_, v)| v)
    }

    /// Every object, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Arc<Object>)> {
        self.objects.iter()
    }

    /// The objects as a persistent map (snapshots compare it with a base's, see `snapshot.rs`).
    pub(crate) fn objects(&self) -> &OrdMap<Key, Arc<Object>> {
        &self.objects
    }

    /// Puts `objects` in place of the stored ones, leaving the resourceVersion and the watch log
    /// as they are (snapshots over a base, see `snapshot.rs`).
    pub(crate) fn set_objects(&mut self, objects: OrdMap<Key, Arc<Object>>) {
        self.objects = objects;
        self.count_derived();
    }

    /// Recounts what is derived from the objects: the Events, and those awaiting the collector.
    fn count_derived(&mut self) {
        self.events = self.list("Event", None).count();
        self.awaiting_collector = self
            .objects
            .iter()
            .filter(|(_, o)| crate::gc::awaits_collector(o))
            .map(|(k, _)| k.clone())
            .collect();
    }

    /// Keys of the objects whose deletion waits on the garbage collector (a deletionTimestamp
    /// and the `foregroundDeletion` or `orphan` finalizer), in key order.
    pub fn awaiting_collector(&self) -> impl Iterator<Item = &Key> {
        self.awaiting_collector.iter()
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// How many stored objects are Events.
    pub fn event_count(&self) -> usize {
        self.events
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Stores an object (create or update), stamping the next resourceVersion on it.
    ///
    /// An Event without owners, before and after, is not listed in `changed`: no component
    /// watches Events, and they are half of all writes when pods start (five a pod). The
    /// control plane only learns that some Event changed ([`Store::take_changed`]), which is
    /// all the garbage collector needs.
    pub fn put(&mut self, mut object: Object) -> Arc<Object> {
        self.resource_version += 1;
        object.meta_mut().resource_version = Some(self.resource_version.to_string());
        let key = Key::of(&object);
        if crate::gc::awaits_collector(&object) {
            self.awaiting_collector.insert(key.clone());
        } else if !self.awaiting_collector.is_empty() {
            self.awaiting_collector.remove(&key);
        }
        let object = Arc::new(object);
        let is_event = key.kind == "Event";
        let owned = |o: &Object| {
            o.meta()
                .owner_references
                .as_ref()
                .is_some_and(|r| !r.is_empty())
        };
        let watched = !is_event || owned(&object);
        if watched {
            self.changed.push(key.clone());
        }
        let event_type = match self.objects.insert(key, object.clone()) {
            Some(old) => {
                if !watched && owned(&old) {
                    self.changed.push(Key::of(&object));
                } else {
                    self.events_written |= !watched;
                }
                EventType::Modified
            }
            None => {
                self.events_written |= !watched;
                self.events += usize::from(is_event);
                EventType::Added
            }
        };
        self.record(event_type, object.clone());
        object
    }

    /// Removes an object for good (after finalizers and grace periods are done).
    pub fn remove(&mut self, key: &Key) -> Option<Arc<Object>> {
        let old = self.objects.remove(key)?;
        self.events -= usize::from(key.kind == "Event");
        self.awaiting_collector.remove(key);
        self.changed.push(key.clone());
        self.resource_version += 1;
        let mut last = (*old).clone();
        last.meta_mut().resource_version = Some(self.resource_version.to_string());
        self.record(EventType::Deleted, Arc::new(last));
        Some(old)
    }

    /// The keys written (created, updated or removed) since the last call, in write order, and
    /// whether Events left out of them were written (see [`Store::put`]).
    pub fn take_changed(&mut self) -> (Vec<Key>, bool) {
        (
            std::mem::take(&mut self.changed),
            std::mem::take(&mut self.events_written),
        )
    }

    /// Sets the simulated time that stamps the changes recorded from now on.
    pub(crate) fn set_clock(&mut self, now: Timestamp) {
        self.clock = now;
    }

    fn record(&mut self, event_type: EventType, object: Arc<Object>) {
        let fresh_from = self
            .clock
            .checked_sub(SignedDuration::from_secs(WATCH_FRESH_SECONDS))
            .unwrap_or(Timestamp::MIN);
        while self.log.len() >= WATCH_LOG_CAPACITY
            || (self.log.len() >= WATCH_LOG_MIN
                && self.log.front().is_some_and(|e| e.at < fresh_from))
        {
            self.log.pop_front();
        }
        self.log.push_back(Logged {
            at: self.clock,
            event: WatchEvent {
                resource_version: self.resource_version,
                event_type,
                object,
            },
        });
    }

    /// How many changes the watch log holds.
    pub fn watch_log_len(&self) -> usize {
        self.log.len()
    }

    /// Changes after `since`, or `None` if `since` is older than the log retains.
    pub fn events_since(&self, since: u64) -> Option<impl Iterator<Item = &WatchEvent>> {
        if since < self.oldest_watchable() {
            return None;
        }
        // The log is ordered by resourceVersion; binary search for the first newer event.
        let start = self
            .log
            .binary_search_by(|e| e.event.resource_version.cmp(&(since + 1)))
            .unwrap_or_else(|i| i);
        Some(self.log.iter().skip(start).map(|e| &e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    fn pod(ns: &str, name: &str) -> Object {
        Object::from_value(
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}}),
        )
        .unwrap()
    }

    fn event(name: &str, owner: Option<&str>) -> Object {
        let owners = owner
            .map(|uid| json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": uid}]));
        Object::from_value(
            "Event",
            json!({"apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": "a", "ownerReferences": owners},
                "involvedObject": {"kind": "Pod", "name": "p"}}),
        )
        .unwrap()
    }

    #[test]
    fn events_without_owners_are_written_but_not_listed_as_changed() {
        let mut s = Store::default();
        s.put(pod("a", "p"));
        s.put(event("e", None));
        let (changed, events) = s.take_changed();
        assert_eq!(changed, [Key::of(&pod("a", "p"))]);
        assert!(events, "the Event write is reported");
        assert_eq!(s.take_changed(), (vec![], false));
        assert!(s.get(&Key::of(&event("e", None))).is_some());
        // An owned Event is listed (the owner index must see it), and so is the write that
        // takes its owner away.
        s.put(event("e", Some("1")));
        assert_eq!(s.take_changed(), (vec![Key::of(&event("e", None))], false));
        s.put(event("e", None));
        assert_eq!(s.take_changed(), (vec![Key::of(&event("e", None))], false));
        // Removal is always listed.
        s.remove(&Key::of(&event("e", None)));
        assert_eq!(s.take_changed(), (vec![Key::of(&event("e", None))], false));
    }

    #[test]
    fn lists_in_key_order_and_by_namespace() {
        let mut s = Store::default();
        s.put(pod("b", "z"));
        s.put(pod("a", "y"));
        s.put(pod("a", "x"));
        let all: Vec<_> = s.list("Pod", None).map(|o| o.name().to_string()).collect();
        assert_eq!(all, ["x", "y", "z"]);
        let a: Vec<_> = s
            .list("Pod", Some("a"))
            .map(|o| o.name().to_string())
            .collect();
        assert_eq!(a, ["x", "y"]);
        assert_eq!(s.list("Pod", Some("c")).count(), 0);
    }

    #[test]
    fn watch_log_and_expiry() {
        let mut s = Store::default();
        let pods = by_plural("", "pods").unwrap();
        s.put(pod("a", "x"));
        s.put(pod("a", "x"));
        s.remove(&Key::new(pods, Some("a"), "x"));
        let types: Vec<_> = s.events_since(1).unwrap().map(|e| e.event_type).collect();
        assert_eq!(types, [EventType::Modified, EventType::Deleted]);
        for _ in 0..WATCH_LOG_CAPACITY {
            s.put(pod("a", "y"));
        }
        assert!(s.events_since(1).is_none());
        assert_eq!(s.events_since(s.resource_version()).unwrap().count(), 0);
    }

    #[test]
    fn the_watch_log_keeps_a_window_of_recent_changes() {
        let at = |secs: i64| Timestamp::from_second(1_700_000_000 + secs).unwrap();
        let mut s = Store::default();
        s.set_clock(at(0));
        for _ in 0..WATCH_LOG_MIN + 10 {
            s.put(pod("a", "x"));
        }
        // All of it is fresh: nothing dropped below the capacity.
        assert_eq!(s.watch_log_len(), WATCH_LOG_MIN + 10);
        let first = s.oldest_watchable();
        assert_eq!(first, 0);
        // 75 s later the old changes are still there (a watch from then resumes) ...
        s.set_clock(at(WATCH_FRESH_SECONDS));
        s.put(pod("a", "x"));
        assert!(s.events_since(1).is_some());
        // ... one second more and they go, down to the minimum kept whatever its age.
        s.set_clock(at(WATCH_FRESH_SECONDS + 1));
        s.put(pod("a", "x"));
        assert_eq!(s.watch_log_len(), WATCH_LOG_MIN);
        assert!(
            s.events_since(1).is_none(),
            "410 for a too old resourceVersion"
        );
        let newest = s.resource_version();
        assert_eq!(s.events_since(newest - 1).unwrap().count(), 1);
        // A quiet session keeps its minimum however old it gets.
        s.set_clock(at(86_400));
        s.put(pod("a", "y"));
        assert_eq!(s.watch_log_len(), WATCH_LOG_MIN);
    }

    #[test]
    fn counts_events_through_writes_removals_and_a_restore() {
        let event = |name: &str| {
            Object::from_value(
                "Event",
                json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": "a"},
                    "involvedObject": {}}),
            )
            .unwrap()
        };
        let mut s = Store::default();
        s.put(event("e1"));
        s.put(event("e2"));
        s.put(event("e2"));
        s.put(pod("a", "x"));
        assert_eq!(s.event_count(), 2);
        s.remove(&Key::new(by_plural("", "events").unwrap(), Some("a"), "e1"));
        s.remove(&Key::new(by_plural("", "events").unwrap(), Some("a"), "e1"));
        assert_eq!(s.event_count(), 1);
        let restored: Store = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(restored.event_count(), 1);
        assert_eq!(restored.len(), 2);
    }

    #[test]
    fn clones_share_structure() {
        let mut s = Store::default();
        for i in 0..100 {
            s.put(pod("a", &format!("p{i}")));
        }
        let mut t = s.clone();
        t.put(pod("a", "new"));
        assert_eq!(s.len(), 100);
        assert_eq!(t.len(), 101);
    }
}
