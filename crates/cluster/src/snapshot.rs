//! Snapshots: a whole [`Cluster`] as bytes, and back.
//!
//! The server keeps every learner's cluster in a database so that a restart, a crash or an
//! eviction from memory loses nothing. A snapshot is the cluster's complete state (objects, watch
//! log, resourceVersion, simulated clock, random generator and whatever the control plane adds)
//! serialised with serde: `Cluster` and every type it holds derive `Serialize`/`Deserialize`.
//!
//! **If you add a field to `Cluster` (or to anything it holds), it must serialise.** The unit test
//! [`tests::a_busy_cluster_survives_a_round_trip`] checks that a restored cluster serialises to
//! exactly the bytes it came from, so a field that is skipped or lossy breaks a test, not a
//! learner's restored session.
//!
//! Objects are stored as the JSON the API serves (with `apiVersion` and `kind`), so a snapshot is
//! readable and survives type changes that keep the wire format. Snapshots are JSON; the server
//! compresses them.
//!
//! A snapshot can also be taken *over a base* ([`Cluster::snapshot_over`]): every session starts
//! as a fork of the server's default cluster and shares its objects (the store's persistent maps
//! hold them behind `Arc`s), so a snapshot that leaves out the objects it still shares with that
//! base, and names the ones it deleted, is a fraction of the whole one (about 17 KB instead of
//! 95 KB of JSON for a fresh session: what remains is mostly the kubelets' and timers' state).
//! Reading it back needs the same base ([`Cluster::restore_over`]); the server keeps bases in
//! its database.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// The snapshot format; bumped when a change cannot read older snapshots.
pub const FORMAT_VERSION: u32 = 1;

/// Why a snapshot could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot was taken over a base cluster, and that base was not given (or another was).
    #[error("the cluster snapshot was taken over base {wanted:?}, which is not available")]
    Base { wanted: String },
    /// The bytes are not a snapshot (truncated, corrupt, or not JSON).
    #[error("corrupt cluster snapshot: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The snapshot was written by a format this build does not read.
    #[error("cluster snapshot format {found} is not readable by this version (expects {FORMAT_VERSION})")]
    Format { found: u32 },
}

#[derive(Serialize)]
struct Envelope<'a> {
    format: u32,
    cluster: &'a Cluster,
}

/// A snapshot over a base: `cluster` holds only the objects that differ from the base's.
#[derive(Serialize)]
struct OverEnvelope<'a> {
    format: u32,
    base: &'a str,
    /// Keys of the base's objects this cluster no longer has.
    removed: Vec<&'a Key>,
    cluster: &'a Cluster,
}

#[derive(Deserialize)]
struct OwnedEnvelope {
    format: u32,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    removed: Vec<Key>,
    cluster: serde_json::Value,
}

impl Cluster {
    /// The cluster's complete state as JSON.
    pub fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&Envelope {
            format: FORMAT_VERSION,
            cluster: self,
        })
        .expect("every part of a cluster serialises")
    }

    /// The cluster's state as JSON, leaving out the objects it shares with `base` (named
    /// `base_id`; [`Cluster::restore_over`] needs both back). Any base gives a correct snapshot;
    /// the one this cluster was forked from gives the smallest. Objects are compared by pointer:
    /// stored objects are never changed in place, so a shared `Arc` is an unchanged object.
    pub fn snapshot_over(&self, base: &Cluster, base_id: &str) -> Vec<u8> {
        let ours = self.store.objects();
        let theirs = base.store.objects();
        let changed: imbl::OrdMap<Key, std::sync::Arc<Object>> = ours
            .iter()
            .filter(|(k, o)| theirs.get(*k).is_none_or(|b| !std::sync::Arc::ptr_eq(o, b)))
            .map(|(k, o)| (k.clone(), o.clone()))
            .collect();
        let removed = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
        let mut partial = self.clone();
        partial.store.set_objects(changed);
        serde_json::to_vec(&OverEnvelope {
            format: FORMAT_VERSION,
            base: base_id,
            removed,
            cluster: &partial,
        })
        .expect("every part of a cluster serialises")
    }

    /// A cluster from a [`Cluster::snapshot`].
    pub fn restore(bytes: &[u8]) -> Result<Cluster, SnapshotError> {
        Cluster::restore_over(bytes, None)
    }

    /// A cluster from a [`Cluster::snapshot`] or a [`Cluster::snapshot_over`] `base` (given as
    /// its id and cluster). The restored cluster shares the base's unchanged objects.
    pub fn restore_over(
        bytes: &[u8],
        base: Option<(&str, &Cluster)>,
    ) -> Result<Cluster, SnapshotError> {
        let envelope: OwnedEnvelope = serde_json::from_slice(bytes)?;
        if envelope.format != FORMAT_VERSION {
            return Err(SnapshotError::Format {
                found: envelope.format,
            });
        }
        let mut cluster: Cluster = serde_json::from_value(envelope.cluster)?;
        let Some(wanted) = envelope.base else {
            return Ok(cluster);
        };
        let base = match base {
            Some((id, base)) if id == wanted => base,
            _ => return Err(SnapshotError::Base { wanted }),
        };
        let mut objects = base.store.objects().clone();
        for key in &envelope.removed {
            objects.remove(key);
        }
        objects.extend(
            cluster
                .store
                .objects()
                .iter()
                .map(|(k, o)| (k.clone(), o.clone())),
        );
        cluster.store.set_objects(objects);
        Ok(cluster)
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let kind = value["kind"]
            .as_str()
            .ok_or_else(|| D::Error::custom("stored object without a kind"))?
            .to_string();
        Object::from_value(&kind, value).map_err(D::Error::custom)
    }
}

/// How a store [`Key`] is written: its `&'static str` kind is read back as the static name of the
/// served kind.
#[derive(Serialize, Deserialize)]
struct KeyRepr {
    kind: String,
    namespace: String,
    name: String,
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        KeyRepr {
            kind: self.kind.to_string(),
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        let k = KeyRepr::deserialize(d)?;
        let kind = crate::resources::RESOURCES
            .iter()
            .find(|rt| rt.kind == k.kind)
            .map(|rt| rt.kind)
            .ok_or_else(|| D::Error::custom(format!("unknown kind {:?}", k.kind)))?;
        Ok(Key {
            kind,
            namespace: k.namespace.into(),
            name: k.name.into(),
        })
    }
}

/// Serde for the store's objects: a list of objects in key order (each object carries its own
/// key: kind, namespace and name), which is both compact and valid JSON (map keys must be strings).
pub(crate) mod objects {
    use super::*;
    use imbl::OrdMap;
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(
        objects: &OrdMap<Key, Arc<Object>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(objects.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<OrdMap<Key, Arc<Object>>, D::Error> {
        let list = Vec::<Arc<Object>>::deserialize(d)?;
        Ok(list.into_iter().map(|o| (Key::of(&o), o)).collect())
    }
}

/// Serde for the seeded random generator: its whole state is one `u64`, so a restored cluster
/// goes on drawing the same names and uids the original would have.
pub(crate) mod rng {
    use super::*;

    pub fn serialize<S: Serializer>(rng: &fastrand::Rng, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(rng.get_seed())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<fastrand::Rng, D::Error> {
        Ok(fastrand::Rng::with_seed(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use crate::ClusterConfig;
    use serde_json::json;

    /// A cluster with a bit of everything: created, updated and deleted objects (so the watch log
    /// holds all three event types), generated names, advanced time.
    fn busy_cluster() -> Cluster {
        let mut c = Cluster::new(&ClusterConfig::default());
        let pods = by_plural("", "pods").unwrap();
        let cms = by_plural("", "configmaps").unwrap();
        for i in 0..5 {
            c.create(
                pods,
                None,
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-", "labels": {"app": "web", "n": i.to_string()}},
                       "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}),
            )
            .unwrap();
        }
        c.create(
            cms,
            Some("kube-system"),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}),
        )
        .unwrap();
        c.delete(cms, Some("kube-system"), "settings").unwrap();
        // A Deployment gives the controllers, scheduler and kubelets state of their own (replica
        // sets, pods starting, back-off and timers) by the time the clock has moved on.
        c.create(
            by_plural("apps", "deployments").unwrap(),
            None,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                            "template": {"metadata": {"labels": {"app": "api"}},
                                         "spec": {"containers": [{"name": "api", "image": "does-not-exist:1"}]}}}}),
        )
        .unwrap();
        c.advance(jiff::SignedDuration::from_secs(90));
        c
    }

    #[test]
    fn a_busy_cluster_survives_a_round_trip() {
        let c = busy_cluster();
        let bytes = c.snapshot();
        let restored = Cluster::restore(&bytes).unwrap();
        // Byte equality of the re-serialised state: any field that does not round-trip shows here.
        assert_eq!(
            String::from_utf8(restored.snapshot()).unwrap(),
            String::from_utf8(bytes).unwrap()
        );
        assert_eq!(restored.now(), c.now());
        assert_eq!(
            restored.store().resource_version(),
            c.store().resource_version()
        );
        let pods = by_plural("", "pods").unwrap();
        assert_eq!(restored.list(pods, None), c.list(pods, None));
        assert!(
            c.list(pods, None).len() >= 7,
            "the deployment's pods exist: the snapshot covers a working control plane"
        );
        // The watch log is left out of snapshots: a restored store's watches start from now,
        // and an older resourceVersion is "too old" (410), as after an API server restart.
        assert!(c.store().events_since(0).is_some());
        assert!(restored.store().events_since(0).is_none());
        let now = restored.store().resource_version();
        assert_eq!(
            restored.store().events_since(now).map(|e| e.count()),
            Some(0)
        );
    }

    #[test]
    fn a_restored_cluster_goes_on_exactly_like_the_original() {
        // The random generator's state is part of the snapshot: the next generated name and uid
        // are the ones the original would have drawn.
        let mut original = busy_cluster();
        let mut restored = Cluster::restore(&original.snapshot()).unwrap();
        assert_eq!(original.name_suffix(), restored.name_suffix());
        assert_eq!(original.new_uid(), restored.new_uid());
        // The control plane's pending work (image pull back-off, timers) carries on identically.
        original.advance(jiff::SignedDuration::from_secs(300));
        restored.advance(jiff::SignedDuration::from_secs(300));
        assert_eq!(restored.snapshot(), original.snapshot());
    }

    #[test]
    fn a_snapshot_over_its_base_holds_only_what_changed_and_restores_whole() {
        let base = Cluster::new(&ClusterConfig::default());
        let mut fork = base.fork(7);
        let whole = fork.snapshot();
        let fresh = fork.snapshot_over(&base, "b1");
        assert!(
            fresh.len() * 4 < whole.len(),
            "a fresh fork's snapshot over its base leaves the shared objects out: {} of {} bytes",
            fresh.len(),
            whole.len()
        );
        let back = Cluster::restore_over(&fresh, Some(("b1", &base))).unwrap();
        assert_eq!(back.snapshot(), whole);

        // Created, changed and deleted objects all come back; the rest is shared with the base.
        let cms = by_plural("", "configmaps").unwrap();
        let pods = by_plural("", "pods").unwrap();
        fork.create(
            cms,
            None,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine"}, "data": {"a": "1"}}),
        )
        .unwrap();
        let system_pod = fork.list(pods, Some("kube-system"))[0].name().to_string();
        fork.delete(pods, Some("kube-system"), &system_pod).unwrap();
        fork.advance(jiff::SignedDuration::from_secs(120));
        let over = fork.snapshot_over(&base, "b1");
        assert!(over.len() < fork.snapshot().len());
        let mut back = Cluster::restore_over(&over, Some(("b1", &base))).unwrap();
        assert_eq!(back.snapshot(), fork.snapshot());
        assert_eq!(back.store().event_count(), fork.store().event_count());
        // And it goes on like the original.
        fork.advance(jiff::SignedDuration::from_secs(60));
        back.advance(jiff::SignedDuration::from_secs(60));
        assert_eq!(back.snapshot(), fork.snapshot());

        // Without its base, or with another one, it is an error, not a wrong cluster.
        for given in [None, Some(("b2", &base))] {
            let err = Cluster::restore_over(&over, given).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the cluster snapshot was taken over base \"b1\", which is not available"
            );
        }
        // A whole snapshot needs no base, and ignores one.
        assert!(Cluster::restore_over(&whole, Some(("b1", &base))).is_ok());
    }

    #[test]
    fn corrupt_and_foreign_snapshots_are_errors_not_panics() {
        let bytes = busy_cluster().snapshot();
        let truncated = &bytes[..bytes.len() / 2];
        assert!(matches!(
            Cluster::restore(truncated),
            Err(SnapshotError::Corrupt(_))
        ));
        let future = serde_json::to_vec(&json!({"format": 999, "cluster": {}})).unwrap();
        let err = Cluster::restore(&future).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cluster snapshot format 999 is not readable by this version (expects 1)"
        );
        let bad_kind = String::from_utf8(bytes).unwrap().replacen(
            "\"kind\":\"Pod\",\"metadata\"",
            "\"kind\":\"Poddd\",\"metadata\"",
            1,
        );
        assert!(Cluster::restore(bad_kind.as_bytes()).is_err());
    }
}
