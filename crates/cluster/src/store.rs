//! The object store: etcd's part of the control plane.
//!
//! Persistent maps with structural sharing: cloning a store is O(1) and a session that changes a few
//! objects of the shared default cluster pays only for what it changed. Every write bumps one
//! cluster-wide resourceVersion and appends a watch event to a log bounded like the API server's
//! watch cache (a window of recent changes), from which watches are answered (and "too old"
//! resourceVersions are refused with 410, as with etcd compaction). Logged objects are the
//! stored ones, shared, not copies; a pod's status write takes over the version it replaces (see
//! [`Store::update_pod`]), and the log rebuilds that version only if a watch reads it.

use std::collections::BTreeSet;
use std::sync::Arc;

use compact_str::CompactString;
use imbl::{OrdMap, Vector};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use k8s_openapi::api::core::v1::{Pod, PodStatus};

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
    resource_version: u64,
    event_type: EventType,
    version: Version,
}

/// An object version as the watch log keeps it.
#[derive(Clone, Debug)]
enum Version {
    /// The object as written: the stored one while it is current.
    Whole(Arc<Object>),
    /// A pod version whose spec and metadata the next write (at resourceVersion `next`) took
    /// over: the newest version kept whole after it, with `undo` applied (see
    /// [`Store::update_pod`]).
    Superseded { next: u64, undo: Box<Undo> },
}

/// What a pod write by [`Store::update_pod`] changed, so the version before it can be rebuilt.
///
/// Such writes change nothing but the status, the node and the resourceVersion, so a version
/// is its newest successor kept whole with these three put back: one copy, however many
/// status writes followed it.
#[derive(Clone, Debug)]
struct Undo {
    key: Key,
    status: Option<PodStatus>,
    node_name: Option<String>,
}

impl Undo {
    /// Turns a later version of the pod back into the one at `resource_version`.
    fn apply(&self, o: &mut Object, resource_version: u64) {
        if let Object::Pod(pod) = o {
            pod.status.clone_from(&self.status);
            if let Some(spec) = pod.spec.as_mut() {
                spec.node_name.clone_from(&self.node_name);
            }
        }
        o.meta_mut().resource_version = Some(resource_version.to_string());
    }
}

/// One change in the watch log, as [`Store::events_since`] yields it. Telling which object
/// changed is cheap; [`Change::event`] may have to rebuild an old pod version.
pub struct Change<'a> {
    store: &'a Store,
    logged: &'a Logged,
}

impl Change<'_> {
    pub fn resource_version(&self) -> u64 {
        self.logged.resource_version
    }

    pub fn event_type(&self) -> EventType {
        self.logged.event_type
    }

    /// The changed object's key.
    pub fn key(&self) -> Key {
        match &self.logged.version {
            Version::Whole(o) => Key::of(o),
            Version::Superseded { undo, .. } => undo.key.clone(),
        }
    }

    /// Whether the changed object is of `kind` and, if one is given, in `namespace`.
    pub fn is(&self, kind: &str, namespace: Option<&str>) -> bool {
        let (k, ns) = match &self.logged.version {
            Version::Whole(o) => (o.kind(), o.namespace().unwrap_or_default()),
            Version::Superseded { undo, .. } => (undo.key.kind, undo.key.namespace.as_str()),
        };
        k == kind && namespace.is_none_or(|n| n == ns)
    }

    /// The change as a watch reports it.
    pub fn event(&self) -> WatchEvent {
        WatchEvent {
            resource_version: self.logged.resource_version,
            event_type: self.logged.event_type,
            object: self.store.version(self.logged),
        }
    }
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
    /// Tests compare [`Store::update_pod`]'s taking over with copying.
    #[cfg(test)]
    #[serde(skip)]
    pub(crate) copy_pod_versions: bool,
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
                    resource_version: event.resource_version,
                    event_type: event.event_type,
                    version: Version::Whole(event.object),
                })
                .collect(),
            clock: Timestamp::UNIX_EPOCH,
            resource_version: r.resource_version,
            changed: r.changed,
            events_written: false,
            events: 0,
            awaiting_collector: BTreeSet::new(),
            #[cfg(test)]
            copy_pod_versions: false,
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
            .map(|e| e.resource_version.saturating_sub(1))
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
        self.write(Arc::new(object))
    }

    /// Writes a pod's new status and, for a binding, its node, as [`Store::put`] would write the
    /// pod with them.
    ///
    /// These writes are most of a pod's versions (the scheduler's binding, the kubelet's status
    /// updates), and copying the spec and metadata for each was a fifth of the time pods took
    /// to start. So when nothing but the store and the watch log holds the current version, the
    /// new one takes it over, and the log keeps the old version as the status (and node) it
    /// had, rebuilt only when a watch reads that far back. Otherwise (a copied session shares
    /// the version, a caller still holds it) the spec and metadata are copied.
    ///
    /// `None` if no such pod is stored.
    pub fn update_pod(
        &mut self,
        key: &Key,
        node_name: Option<String>,
        status: PodStatus,
    ) -> Option<Arc<Object>> {
        let current = self.objects.remove(key)?;
        let next = self.resource_version + 1;
        // The log's entry for the current version, if the window still has it.
        let logged = current
            .meta()
            .resource_version
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .and_then(|rv| {
                self.log
                    .binary_search_by(|e| e.resource_version.cmp(&rv))
                    .ok()
            })
            .filter(
                |&i| matches!(&self.log[i].version, Version::Whole(o) if Arc::ptr_eq(o, &current)),
            );
        if let Some(i) = logged {
            // Let go of the log's hold; the undo is filled in below once the write is made.
            let superseded = Version::Superseded {
                next,
                undo: Box::new(Undo {
                    key: key.clone(),
                    status: None,
                    node_name: None,
                }),
            };
            drop(std::mem::replace(&mut self.log[i].version, superseded));
        }
        #[cfg(test)]
        let taken = if self.copy_pod_versions {
            Err(current)
        } else {
            Arc::try_unwrap(current)
        };
        #[cfg(not(test))]
        let taken = Arc::try_unwrap(current);
        let mut pod = match taken {
            Ok(Object::Pod(pod)) => pod,
            Ok(other) => {
                // Not a pod: put it back as it was.
                let other = Arc::new(other);
                if let Some(i) = logged {
                    self.log[i].version = Version::Whole(other.clone());
                }
                self.objects.insert(key.clone(), other);
                return None;
            }
            Err(shared) => {
                if let Some(i) = logged {
                    self.log[i].version = Version::Whole(shared.clone());
                }
                let Object::Pod(pod) = shared.as_ref() else {
                    self.objects.insert(key.clone(), shared);
                    return None;
                };
                Box::new(Pod {
                    metadata: pod.metadata.clone(),
                    spec: pod.spec.clone(),
                    status: None,
                })
            }
        };
        let old_status = std::mem::replace(&mut pod.status, Some(status));
        let old_node = match (node_name, pod.spec.as_mut()) {
            (Some(node), Some(spec)) => std::mem::replace(&mut spec.node_name, Some(node)),
            (None, Some(spec)) => spec.node_name.clone(),
            (_, None) => None,
        };
        if let Some(Version::Superseded { undo, .. }) = logged.map(|i| &mut self.log[i].version) {
            undo.status = old_status;
            undo.node_name = old_node;
        }
        self.resource_version = next;
        pod.metadata.resource_version = Some(next.to_string());
        let object = Arc::new(Object::Pod(pod));
        self.track_collector(key, &object);
        self.changed.push(key.clone());
        self.objects.insert(key.clone(), object.clone());
        self.record(EventType::Modified, object.clone());
        Some(object)
    }

    /// Stores a version already stamped with the next resourceVersion, and logs it.
    ///
    /// An Event without owners, before and after, is not listed in `changed`: no component
    /// watches Events, and they are half of all writes when pods start (five a pod). The
    /// control plane only learns that some Event changed ([`Store::take_changed`]), which is
    /// all the garbage collector needs.
    fn write(&mut self, object: Arc<Object>) -> Arc<Object> {
        let key = Key::of(&object);
        self.track_collector(&key, &object);
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

    /// Keeps [`Store::awaiting_collector`] up to date with a write.
    fn track_collector(&mut self, key: &Key, object: &Object) {
        if crate::gc::awaits_collector(object) {
            self.awaiting_collector.insert(key.clone());
        } else if !self.awaiting_collector.is_empty() {
            self.awaiting_collector.remove(key);
        }
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
            resource_version: self.resource_version,
            event_type,
            version: Version::Whole(object),
        });
    }

    /// The object version a logged change wrote, rebuilt if a later write took it over.
    fn version(&self, logged: &Logged) -> Arc<Object> {
        let (mut next, undo) = match &logged.version {
            Version::Whole(o) => return o.clone(),
            Version::Superseded { next, undo } => (*next, undo),
        };
        // Follow the takeovers to the newest version kept whole. Each write is logged after the
        // one it took over, so the window still has them all.
        loop {
            let i = self
                .log
                .binary_search_by(|e| e.resource_version.cmp(&next))
                .expect("a superseded version's successor is in the log");
            match &self.log[i].version {
                Version::Superseded { next: n, .. } => next = *n,
                Version::Whole(newest) => {
                    let mut o = Object::clone(newest);
                    undo.apply(&mut o, logged.resource_version);
                    return Arc::new(o);
                }
            }
        }
    }

    /// How many changes the watch log holds.
    pub fn watch_log_len(&self) -> usize {
        self.log.len()
    }

    /// How many logged versions are kept as what a later write took over.
    #[cfg(test)]
    pub(crate) fn superseded_versions(&self) -> usize {
        self.log
            .iter()
            .filter(|e| matches!(e.version, Version::Superseded { .. }))
            .count()
    }

    /// Changes after `since`, or `None` if `since` is older than the log retains.
    pub fn events_since(&self, since: u64) -> Option<impl Iterator<Item = Change<'_>>> {
        if since < self.oldest_watchable() {
            return None;
        }
        // The log is ordered by resourceVersion; binary search for the first newer event.
        let start = self
            .log
            .binary_search_by(|e| e.resource_version.cmp(&(since + 1)))
            .unwrap_or_else(|i| i);
        Some(self.log.iter().skip(start).map(move |logged| Change {
            store: self,
            logged,
        }))
    }

    /// An object's state just before `rv`: its latest earlier version in the watch log (`None`
    /// if that was its deletion), or, if the log has none, its current state.
    pub fn state_before(&self, key: &Key, rv: u64) -> Option<Arc<Object>> {
        let earlier = self
            .events_since(self.oldest_watchable())
            .into_iter()
            .flatten()
            .take_while(|c| c.resource_version() < rv)
            .filter(|c| c.is(key.kind, Some(&key.namespace)) && c.key() == *key)
            .last();
        match earlier {
            Some(c) if c.event_type() == EventType::Deleted => None,
            Some(c) => Some(c.event().object),
            None => self.get(key).cloned(),
        }
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
        let types: Vec<_> = s.events_since(1).unwrap().map(|c| c.event_type()).collect();
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

    /// A pod with a spec, which a binding sets the node of.
    fn pod_with_spec(ns: &str, name: &str) -> Object {
        Object::from_value(
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
        )
        .unwrap()
    }

    /// A status: `phase`, and a condition so that it holds some heap.
    fn status(phase: &str) -> PodStatus {
        serde_json::from_value(json!({"phase": phase,
            "conditions": [{"type": "Ready", "status": "False"}]}))
        .unwrap()
    }

    /// Each version the log reports, with its resourceVersion, as `put` of a copy would have
    /// written it.
    fn expected_versions(s: &Store, since: u64) -> Vec<(u64, EventType, Object)> {
        s.events_since(since)
            .unwrap()
            .map(|c| {
                let e = c.event();
                (e.resource_version, e.event_type, Object::clone(&e.object))
            })
            .collect()
    }

    #[test]
    fn a_pod_update_takes_over_its_version_and_the_log_rebuilds_the_old_one() {
        let mut s = Store::default();
        let key = Key::of(&pod("a", "p"));
        s.put(pod_with_spec("a", "p"));
        let created = Object::clone(s.get(&key).unwrap());
        let bound = Object::clone(
            &s.update_pod(&key, Some("node-1".into()), status("Pending"))
                .unwrap(),
        );
        let running = s.update_pod(&key, None, status("Running")).unwrap();
        let superseded: Vec<bool> = s
            .log
            .iter()
            .map(|e| matches!(e.version, Version::Superseded { .. }))
            .collect();
        assert_eq!(superseded, [true, true, false], "both writes took over");

        // What each write made, as copies would have made it.
        let mut want_bound = created.clone();
        if let Object::Pod(p) = &mut want_bound {
            p.spec.get_or_insert_with(Default::default).node_name = Some("node-1".into());
            p.status = Some(status("Pending"));
            p.metadata.resource_version = Some("2".into());
        }
        let mut want_running = want_bound.clone();
        if let Object::Pod(p) = &mut want_running {
            p.status = Some(status("Running"));
            p.metadata.resource_version = Some("3".into());
        }
        assert_eq!(bound, want_bound);
        assert_eq!(*running, want_running);
        assert!(Arc::ptr_eq(s.get(&key).unwrap(), &running));

        // A watch from before any of it sees every version as it was written, rebuilt.
        assert_eq!(
            expected_versions(&s, 0),
            [
                (1, EventType::Added, created.clone()),
                (2, EventType::Modified, want_bound.clone()),
                (3, EventType::Modified, want_running.clone()),
            ]
        );
        assert_eq!(
            s.state_before(&key, 3).as_deref(),
            Some(&want_bound),
            "the state before a write is the rebuilt version"
        );
        assert_eq!(s.state_before(&key, 2).as_deref(), Some(&created));
        let change = s.events_since(0).unwrap().next().unwrap();
        assert!(change.is("Pod", Some("a")) && !change.is("Pod", Some("b")));
        assert_eq!(change.key(), key);

        // A version someone else still holds is copied, not taken over: the holder's stays.
        let held = s.get(&key).unwrap().clone();
        let again = s.update_pod(&key, None, status("Succeeded")).unwrap();
        assert_eq!(*held, want_running);
        assert!(!Arc::ptr_eq(&held, &again));
        assert!(
            matches!(s.log[2].version, Version::Whole(_)),
            "copied, so kept whole"
        );
        let last_two: Vec<_> = expected_versions(&s, 2).into_iter().map(|v| v.2).collect();
        assert_eq!(last_two, [want_running, Object::clone(&again)]);

        // Not a pod, or not there: nothing written.
        let rv = s.resource_version();
        s.put(event("e", None));
        let event_key = Key::of(&event("e", None));
        assert!(s.update_pod(&event_key, None, status("Running")).is_none());
        assert!(s.get(&event_key).is_some(), "the Event is left in place");
        assert!(s
            .update_pod(&Key::of(&pod("a", "q")), None, status("Running"))
            .is_none());
        assert_eq!(s.resource_version(), rv + 1);
    }

    #[test]
    fn a_long_run_of_status_writes_rebuilds_each_version() {
        let mut s = Store::default();
        let key = Key::of(&pod_with_spec("a", "p"));
        s.put(pod_with_spec("a", "p"));
        s.update_pod(&key, Some("n".into()), status("Pending"));
        for i in 0..50 {
            s.update_pod(&key, None, status(&format!("phase-{i}")));
        }
        let versions = expected_versions(&s, 2);
        assert_eq!(versions.len(), 50);
        for (i, (rv, _, o)) in versions.iter().enumerate() {
            let Object::Pod(p) = o else { panic!("a pod") };
            assert_eq!(p.status, Some(status(&format!("phase-{i}"))));
            assert_eq!(p.metadata.resource_version, Some(rv.to_string()));
            assert_eq!(p.spec.as_ref().unwrap().node_name.as_deref(), Some("n"));
        }
        assert_eq!(s.superseded_versions(), 51);
    }

    #[test]
    fn a_rebuilt_version_survives_its_successor_being_taken_over_in_a_copied_store() {
        let mut s = Store::default();
        let key = Key::of(&pod("a", "p"));
        s.put(pod_with_spec("a", "p"));
        s.update_pod(&key, Some("n".into()), status("Pending"));
        let before = expected_versions(&s, 0);
        // A copy shares the versions: its writes copy, and the original's log is unchanged.
        let mut copy = s.clone();
        copy.update_pod(&key, None, status("Running"));
        assert_eq!(expected_versions(&s, 0), before);
        assert_eq!(expected_versions(&copy, 0)[..2], before[..]);
        // The original, alone again once the copy is gone, takes over its own versions.
        drop(copy);
        s.update_pod(&key, None, status("Running"));
        assert_eq!(expected_versions(&s, 0)[..2], before[..]);
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
