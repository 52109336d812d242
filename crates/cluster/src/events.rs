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

/// Index from an event's identity to the stored event, for in-place count bumps.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    seen: BTreeMap<u64, Key>,
    sequence: u64,
}

/// The aggregation identity of an event: same object, part, reason, message, type and source,
/// hashed (FNV-1a) so the index compares integers, not long messages.
fn identity(
    uid: &str,
    field_path: &str,
    reason: &str,
    message: &str,
    kind: &str,
    component: &str,
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [uid, field_path, reason, message, kind, component] {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The aggregation identity of a stored event.
fn identity_of(e: &Event) -> u64 {
    identity(
        e.involved_object.uid.as_deref().unwrap_or_default(),
        e.involved_object.field_path.as_deref().unwrap_or_default(),
        e.reason.as_deref().unwrap_or_default(),
        e.message.as_deref().unwrap_or_default(),
        e.type_.as_deref().unwrap_or_default(),
        e.reporting_component.as_deref().unwrap_or_default(),
    )
}

impl Recorder {
    /// Rebuilds the aggregation index from stored events (after a snapshot restore).
    pub fn rebuild<'a>(events: impl Iterator<Item = &'a Event>) -> Recorder {
        let mut r = Recorder::default();
        for e in events {
            let id = identity_of(e);
            let key = Key {
                kind: "Event",
                namespace: e.metadata.namespace.as_deref().unwrap_or_default().into(),
                name: e.metadata.name.as_deref().unwrap_or_default().into(),
            };
            r.seen.insert(id, key);
            r.sequence += 1;
        }
        r
    }
}

impl Cluster {
    /// Records an event about `involved` (optionally a part of it: `spec.containers{nginx}`).
    pub fn record_event(
        &mut self,
        involved: &Object,
        field_path: Option<&str>,
        source: Source<'_>,
        kind: EventKind,
        reason: &str,
        message: &str,
    ) {
        let now = self.now();
        let meta = involved.meta();
        let uid = meta.uid.clone().unwrap_or_default();
        let (component, host) = match source {
            Source::Kubelet { node } => ("kubelet", Some(node)),
            Source::Controller(c) => (c, None),
            Source::Scheduler => ("default-scheduler", None),
        };
        let identity = identity(
            &uid,
            field_path.unwrap_or_default(),
            reason,
            message,
            kind.as_str(),
            component,
        );
        if let Some(key) = self.runtime.events.seen.get(&identity).cloned() {
            if let Some(existing) = self.store().get(&key) {
                if let Object::Event(ev) = existing.as_ref() {
                    let mut ev = ev.clone();
                    if matches!(source, Source::Scheduler) {
                        let count = ev.series.as_ref().map_or(1, |s| s.count.unwrap_or(1)) + 1;
                        ev.series = Some(EventSeries {
                            count: Some(count),
                            last_observed_time: Some(crate::clock::api_micro_time(now)),
                        });
                    } else {
                        ev.count = Some(ev.count.unwrap_or(1) + 1);
                        ev.last_timestamp = Some(crate::clock::api_time(now));
                    }
                    self.store_mut().put(Object::Event(ev));
                    return;
                }
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
        if matches!(source, Source::Scheduler) {
            ev.event_time = Some(crate::clock::api_micro_time(now));
            ev.action = Some("Scheduling".to_string());
            ev.reporting_instance = Some("default-scheduler-minikube".to_string());
            ev.source = Some(EventSource::default());
        } else {
            ev.first_timestamp = Some(crate::clock::api_time(now));
            ev.last_timestamp = Some(crate::clock::api_time(now));
            ev.count = Some(1);
            ev.reporting_instance = Some(host.unwrap_or_default().to_string());
            ev.source = Some(EventSource {
                component: Some(component.to_string()),
                host: host.map(str::to_string),
            });
        }
        self.store_mut().put(Object::from(ev));
        let key = Key {
            kind: "Event",
            namespace: namespace.into(),
            name: name.into(),
        };
        self.wake_at(crate::clock::after(now, EVENT_TTL_SECONDS), key.clone());
        self.runtime.events.seen.insert(identity, key);
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
        let id = identity_of(&ev);
        if self.runtime.events.seen.get(&id) == Some(key) {
            self.runtime.events.seen.remove(&id);
        }
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
}
