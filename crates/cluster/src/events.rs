//! The event recorder: what `kubectl describe` and `kubectl get events` show.
//!
//! Two shapes exist in a real cluster, and both are reproduced:
//! - the legacy `core/v1` recorder used by the kubelet and most controllers: `source.component`,
//!   `firstTimestamp`/`lastTimestamp`, and `count` bumped in place when the same event repeats
//!   (client-go's EventCorrelator);
//! - the `events.k8s.io` recorder used by the scheduler: `eventTime`, `reportingComponent`,
//!   `action`, and a `series` when it repeats.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Event, EventSeries, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// `Normal` or `Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Normal => "Normal",
            EventKind::Warning => "Warning",
        }
    }
}

/// Who emits an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// The kubelet on a node (legacy recorder, `source.host` set).
    Kubelet { node: &'a str },
    /// A controller in kube-controller-manager (legacy recorder): `deployment-controller`, ...
    Controller(&'static str),
    /// The scheduler (events.k8s.io recorder, action `Scheduling`).
    Scheduler,
}

/// How long an event lives after its last write (kube-apiserver's `--event-ttl`): events are
/// stored with a lease that each update renews, so a long session does not grow forever.
pub const EVENT_TTL_SECONDS: f64 = 3600.0;

mod correlator;

pub use correlator::Correlator;
use correlator::{Reporter, COMBINED};

/// The recorders' index of the events they wrote, by identity, for in-place count bumps
/// (rebuilt from the stored events after a restore, and with the other indexes in a copy: see
/// `Index`'s `Clone`).
#[derive(Debug, Default)]
pub struct Recorder {
    seen: BTreeMap<u64, Seen>,
    sequence: u64,
}

/// An event the recorder wrote: where it is, and the count it has reached (which the spam
/// filter's dropped repeats still raise).
#[derive(Clone, Debug)]
struct Seen {
    key: Key,
    count: i32,
}

/// The identity of an event: same object, part, reason, message, type and source (client-go's
/// `getEventKey`), hashed so the index compares integers, not long messages.
fn identity(
    uid: &str,
    field_path: &str,
    reason: &str,
    message: &str,
    kind: &str,
    component: &str,
) -> u64 {
    correlator::hash([uid, field_path, reason, message, kind, component])
}

/// Who reported a stored event about what.
fn reporter_of(e: &Event) -> Reporter<'_> {
    let source = e.source.as_ref();
    let o = &e.involved_object;
    Reporter {
        component: source
            .and_then(|s| s.component.as_deref())
            .unwrap_or_default(),
        host: source.and_then(|s| s.host.as_deref()).unwrap_or_default(),
        kind: o.kind.as_deref().unwrap_or_default(),
        namespace: o.namespace.as_deref().unwrap_or_default(),
        name: o.name.as_deref().unwrap_or_default(),
        uid: o.uid.as_deref().unwrap_or_default(),
        api_version: o.api_version.as_deref().unwrap_or_default(),
    }
}

/// The key a stored event is remembered by: a combined event by its group, any other by its
/// identity.
fn remembered_by(e: &Event) -> u64 {
    let message = e.message.as_deref().unwrap_or_default();
    if message.starts_with(COMBINED) {
        return correlator::combined_key(correlator::similar_key(
            &reporter_of(e),
            e.type_.as_deref().unwrap_or_default(),
            e.reason.as_deref().unwrap_or_default(),
        ));
    }
    identity(
        e.involved_object.uid.as_deref().unwrap_or_default(),
        e.involved_object.field_path.as_deref().unwrap_or_default(),
        e.reason.as_deref().unwrap_or_default(),
        message,
        e.type_.as_deref().unwrap_or_default(),
        e.reporting_component.as_deref().unwrap_or_default(),
    )
}

impl Clone for Recorder {
    fn clone(&self) -> Recorder {
        Recorder::default()
    }
}

impl Recorder {
    /// Rebuilds the index from stored events (after a snapshot restore).
    pub fn rebuild<'a>(events: impl Iterator<Item = &'a Event>) -> Recorder {
        let mut r = Recorder::default();
        for e in events {
            let key = Key {
                kind: "Event",
                namespace: e.metadata.namespace.as_deref().unwrap_or_default().into(),
                name: e.metadata.name.as_deref().unwrap_or_default().into(),
            };
            let count = e.count.unwrap_or(1);
            r.seen.insert(remembered_by(e), Seen { key, count });
            r.sequence += 1;
        }
        r
    }
}

impl Cluster {
    /// Records an event about `involved` (optionally a part of it: `spec.containers{nginx}`).
    /// The kubelet's and the controllers' events go through client-go's correlator first (see
    /// [`correlator`]): similar ones are combined, and a flood is cut to a trickle.
    pub fn record_event(
        &mut self,
        involved: &Object,
        field_path: Option<&str>,
        source: Source<'_>,
        kind: EventKind,
        reason: &str,
        message: &str,
    ) {
        // A copied cluster builds its indexes, this one included, when first used.
        if !self.runtime.index.built {
            self.rebuild_index();
        }
        let now = self.now();
        let meta = involved.meta();
        let uid = meta.uid.as_deref().unwrap_or_default();
        let (component, host) = match source {
            Source::Kubelet { node } => ("kubelet", Some(node)),
            Source::Controller(c) => (c, None),
            Source::Scheduler => ("default-scheduler", None),
        };
        let legacy = !matches!(source, Source::Scheduler);
        let reporter = Reporter {
            component,
            host: host.unwrap_or_default(),
            kind: involved.kind(),
            namespace: involved.namespace().unwrap_or_default(),
            name: involved.name(),
            uid,
            api_version: involved.api_version(),
        };
        let group = correlator::similar_key(&reporter, kind.as_str(), reason);
        let combined;
        let (message, remembered_by) = if legacy
            && self
                .runtime
                .event_correlator
                .aggregate(group, correlator::hash([message]), now)
        {
            combined = format!("{COMBINED}{message}");
            (combined.as_str(), correlator::combined_key(group))
        } else {
            let id = identity(
                uid,
                field_path.unwrap_or_default(),
                reason,
                message,
                kind.as_str(),
                component,
            );
            (message, id)
        };
        if legacy
            && !self
                .runtime
                .event_correlator
                .allow(correlator::spam_key(&reporter), now)
        {
            // Dropped, but counted: the next write of this event carries the count.
            if let Some(seen) = self.runtime.events.seen.get_mut(&remembered_by) {
                seen.count += 1;
            }
            return;
        }
        if let Some(seen) = self.runtime.events.seen.get_mut(&remembered_by) {
            if let Some(Object::Event(ev)) = self.store.get(&seen.key).map(|o| o.as_ref()) {
                let mut ev = ev.clone();
                if legacy {
                    seen.count += 1;
                    ev.count = Some(seen.count);
                    ev.last_timestamp = Some(crate::clock::api_time(now));
                    if ev.message.as_deref() != Some(message) {
                        ev.message = Some(message.to_string());
                    }
                } else {
                    let count = ev.series.as_ref().map_or(1, |s| s.count.unwrap_or(1)) + 1;
                    ev.series = Some(EventSeries {
                        count: Some(count),
                        last_observed_time: Some(crate::clock::api_micro_time(now)),
                    });
                }
                self.store_mut().put(Object::Event(ev));
                return;
            }
        }
        self.runtime.events.sequence += 1;
        // Real names are `<object>.<hex of the creation time in ns>`; a sequence keeps them unique.
        let nanos = now.as_nanosecond() as u64 + self.runtime.events.sequence;
        let name = format!("{}.{:x}", involved.name(), nanos);
        let namespace = involved.namespace().unwrap_or("default").to_string();
        let involved_ref = ObjectReference {
            api_version: Some(involved.api_version().to_string()),
            kind: Some(involved.kind().to_string()),
            name: Some(involved.name().to_string()),
            namespace: involved.namespace().map(str::to_string),
            uid: meta.uid.clone(),
            resource_version: meta.resource_version.clone(),
            field_path: field_path.map(str::to_string),
        };
        let mut ev = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                uid: Some(self.new_uid()),
                creation_timestamp: Some(crate::clock::api_time(now)),
                ..ObjectMeta::default()
            },
            involved_object: involved_ref,
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            type_: Some(kind.as_str().to_string()),
            reporting_component: Some(component.to_string()),
            ..Event::default()
        };
        if legacy {
            ev.first_timestamp = Some(crate::clock::api_time(now));
            ev.last_timestamp = Some(crate::clock::api_time(now));
            ev.count = Some(1);
            ev.reporting_instance = Some(host.unwrap_or_default().to_string());
            ev.source = Some(EventSource {
                component: Some(component.to_string()),
                host: host.map(str::to_string),
            });
        } else {
            ev.event_time = Some(crate::clock::api_micro_time(now));
            ev.action = Some("Scheduling".to_string());
            ev.reporting_instance = Some("default-scheduler-minikube".to_string());
            ev.source = Some(EventSource::default());
        }
        self.store_mut().put(Object::from(ev));
        let key = Key {
            kind: "Event",
            namespace: namespace.into(),
            name: name.into(),
        };
        self.wake_at(crate::clock::after(now, EVENT_TTL_SECONDS), key.clone());
        self.runtime
            .events
            .seen
            .insert(remembered_by, Seen { key, count: 1 });
    }

    /// The event's expiry timer fired: delete it if its lease ran out, or wait for the lease a
    /// later update renewed.
    pub(crate) fn expire_event(&mut self, key: &Key) {
        let Some(Object::Event(ev)) = self.store().get(key).map(|o| o.as_ref().clone()) else {
            return;
        };
        let last_write = [
            ev.last_timestamp.as_ref().map(|t| t.0),
            ev.event_time.as_ref().map(|t| t.0),
            ev.series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0),
            ev.metadata.creation_timestamp.as_ref().map(|t| t.0),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.now());
        let expires = crate::clock::after(last_write, EVENT_TTL_SECONDS);
        if expires > self.now() {
            self.wake_at(expires, key.clone());
            return;
        }
        self.store_mut().remove(key);
        // Forget it by its identity (not a scan of every event the recorder knows).
        let id = remembered_by(&ev);
        if self
            .runtime
            .events
            .seen
            .get(&id)
            .is_some_and(|s| s.key == *key)
        {
            self.runtime.events.seen.remove(&id);
        }
    }

    /// How many times the recorder has reported the stored event `key`, counting the repeats
    /// the spam filter dropped (the stored count lags until the next write gets through).
    #[cfg(test)]
    pub(crate) fn times_reported(&self, key: &Key) -> Option<i32> {
        let seen = self.runtime.events.seen.values();
        seen.filter(|s| s.key == *key).map(|s| s.count).next()
    }

    /// Events about one object, oldest first (what `kubectl describe` lists).
    pub fn events_for(&self, involved: &Object) -> Vec<Event> {
        let uid = involved.meta().uid.as_deref();
        let mut evs: Vec<Event> = self
            .store()
            .list("Event", Some(involved.namespace().unwrap_or("default")))
            .filter_map(|o| match o.as_ref() {
                Object::Event(e) if e.involved_object.uid.as_deref() == uid => Some((**e).clone()),
                _ => None,
            })
            .collect();
        evs.sort_by_key(|e| {
            e.first_timestamp
                .as_ref()
                .map(|t| t.0)
                .or(e.event_time.as_ref().map(|t| t.0))
        });
        evs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClusterConfig;
    use jiff::SignedDuration;

    fn minutes(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n * 60)
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let ns = c
            .list(crate::resources::by_plural("", "namespaces").unwrap(), None)
            .remove(0);
        let events = |c: &Cluster| -> Vec<(String, i32)> {
            c.store()
                .list("Event", None)
                .filter_map(|o| match o.as_ref() {
                    Object::Event(e) if e.source.as_ref()?.component.as_deref() == Some("test") => {
                        Some((e.reason.clone()?, e.count.unwrap_or(1)))
                    }
                    _ => None,
                })
                .collect()
        };
        let say = |c: &mut Cluster, reason: &str| {
            c.record_event(
                &ns,
                None,
                Source::Controller("test"),
                EventKind::Normal,
                reason,
                "m",
            )
        };
        say(&mut c, "Once");
        say(&mut c, "Again");
        c.advance(minutes(30));
        // A repeat renews the lease of the same event.
        say(&mut c, "Again");
        c.advance(minutes(31));
        assert_eq!(events(&c), [("Again".to_string(), 2)]);
        c.advance(minutes(30));
        assert_eq!(events(&c), []);
        // Once expired, the same event starts again at count 1.
        say(&mut c, "Again");
        assert_eq!(events(&c), [("Again".to_string(), 1)]);
    }

    #[test]
    fn a_flood_of_similar_events_is_combined_then_cut_to_a_trickle() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let rs = serde_json::json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web"},
            "spec": {"replicas": 40, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
        c.create(
            crate::resources::by_plural("apps", "replicasets").unwrap(),
            Some("default"),
            rs,
        )
        .unwrap();
        let created: Vec<(String, i32, Key)> = c
            .store()
            .list("Event", Some("default"))
            .filter_map(|o| match o.as_ref() {
                Object::Event(e) if e.reason.as_deref() == Some("SuccessfulCreate") => {
                    Some((e.message.clone()?, e.count.unwrap_or(1), Key::of(o)))
                }
                _ => None,
            })
            .collect();
        // Nine events of their own, then one that combines the rest...
        assert_eq!(created.len(), 10, "{created:?}");
        let (combined, single): (Vec<_>, Vec<_>) = created.iter().partition(|(m, _, _)| {
            m.starts_with("(combined from similar events): Created pod: web-")
        });
        assert_eq!(single.len(), 9);
        assert!(single
            .iter()
            .all(|(m, n, _)| m.starts_with("Created pod: web-") && *n == 1));
        // ... which the spam filter stops at the 25th write: 16 reach the API server, all 31
        // are counted.
        let (_, count, key) = combined[0];
        assert_eq!(*count, 16);
        assert_eq!(c.times_reported(key), Some(31));
        // Every pod's own events are far below the burst: all there.
        c.advance(SignedDuration::from_secs(10));
        let started = c
            .store()
            .list("Event", Some("default"))
            .filter(|o| matches!(o.as_ref(), Object::Event(e) if e.reason.as_deref() == Some("Started")))
            .count();
        assert_eq!(started, 40);
    }
}
