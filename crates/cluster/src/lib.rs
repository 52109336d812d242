//! Wheelhouse's simulated Kubernetes control plane.
//!
//! A [`Cluster`] is a plain value: API requests go in, objects or [`Status`] errors come out. There
//! is no IO, no async runtime and no wall clock: time only moves when the caller advances it, and
//! randomness comes from a seeded generator, so the same inputs always give the same cluster.

pub mod admission;
pub mod api;
pub mod clock;
pub mod controllers;
pub mod defaults;
pub mod events;
pub mod fieldvalidation;
pub mod gc;
pub mod images;
pub mod index;
pub mod kubelet;
pub mod minikube;
pub mod network;
pub mod object;
pub mod patch;
pub mod quantity;
pub mod rbac;
pub mod resources;
pub mod runtime;
pub mod scheduler;
pub mod schema;
pub mod selector;
pub mod snapshot;
pub mod status;
pub mod store;
pub mod usage;
pub mod validation;

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

pub use object::Object;
pub use resources::{ResourceType, Scope};
pub use status::{FieldError, Status};
pub use store::{EventType, Key, Store, WatchEvent};

/// The shape of a new cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Simulated time at which the cluster starts.
    pub start: Timestamp,
    /// Seed for every random choice (generated names, uids, IPs).
    pub seed: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            start: "2026-01-01T00:00:00Z".parse().expect("valid timestamp"),
            seed: 1,
        }
    }
}

/// One session's cluster. Every field must serialise: see [`snapshot`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Cluster {
    store: Store,
    now: Timestamp,
    #[serde(with = "snapshot::rng")]
    rng: fastrand::Rng,
    /// The simulated components' own memory: timers, kubelets, image stores, the registry.
    runtime: runtime::Runtime,
}

/// The alphabet of generated name suffixes (k8s.io/apimachinery/pkg/util/rand): no vowels, no
/// confusable characters, so generated names never spell words.
pub const NAME_SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Cluster {
    /// An empty cluster (no nodes, no namespaces) at the configured time.
    pub fn empty(config: &ClusterConfig) -> Cluster {
        Cluster {
            store: Store::default(),
            now: config.start,
            rng: fastrand::Rng::with_seed(config.seed),
            runtime: runtime::Runtime::default(),
        }
    }

    /// A cluster like a fresh single-node minikube.
    pub fn new(config: &ClusterConfig) -> Cluster {
        Cluster::with_shape(config, &minikube::Shape::default())
    }

    /// A fresh minikube-like cluster that started five minutes before `now` and has settled up
    /// to it: its system pods have been Running for a while, as in a learner's new session.
    pub fn started_before(now: Timestamp) -> Cluster {
        let start = now
            .checked_sub(jiff::SignedDuration::from_secs(300))
            .unwrap_or(now);
        let mut cluster = Cluster::new(&ClusterConfig { start, seed: 0 });
        cluster.advance_to(now);
        cluster
    }

    /// A fresh minikube cluster with the given nodes (for exercises that need workers, taints or
    /// small nodes).
    pub fn with_shape(config: &ClusterConfig, shape: &minikube::Shape) -> Cluster {
        let mut c = Cluster::empty(config);
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            c.create_system(serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"}
            }));
        }
        minikube::install(&mut c, shape);
        c
    }

    /// A copy of this cluster with its own random sequence. The copy shares every object with
    /// the original (persistent maps), so forking a ready default cluster costs a few hundred bytes
    /// until the copy starts changing.
    pub fn fork(&self, seed: u64) -> Cluster {
        let mut c = self.clone();
        c.rng = fastrand::Rng::with_seed(seed);
        c
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Direct store access for the control plane's own components (controllers, kubelet, garbage
    /// collector), which write the way the real ones do after admission has already been passed.
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// A random 5-character suffix for generated names.
    pub fn name_suffix(&mut self) -> String {
        (0..5)
            .map(|_| NAME_SUFFIX_ALPHABET[self.rng.usize(..NAME_SUFFIX_ALPHABET.len())] as char)
            .collect()
    }

    /// A random RFC 4122 version-4 UID.
    pub fn new_uid(&mut self) -> String {
        let mut b: [u8; 16] = std::array::from_fn(|_| self.rng.u8(..));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        // One allocation: every write of a new object (each Event too) takes a UID.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut uid = String::with_capacity(36);
        for (i, x) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                uid.push('-');
            }
            uid.push(HEX[usize::from(x >> 4)] as char);
            uid.push(HEX[usize::from(x & 0x0f)] as char);
        }
        uid
    }

    fn create_system(&mut self, body: Value) {
        let kind = body["kind"].as_str().unwrap_or_default().to_string();
        let api_version = body["apiVersion"].as_str().unwrap_or_default().to_string();
        let rt = resources::by_kind(&api_version, &kind).expect("system objects are served kinds");
        let ns = body["metadata"]["namespace"].as_str().map(str::to_string);
        self.create(rt, ns.as_deref(), body)
            .expect("system objects are valid");
    }

    /// Creates an object (POST) as the control plane: full defaulting, admission and
    /// validation, no field-validation warnings. Requests from users go through
    /// [`Cluster::create_with`].
    pub fn create(
        &mut self,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        body: Value,
    ) -> Result<Arc<Object>, Status> {
        let namespace = namespace
            .map(str::to_string)
            .or_else(|| body["metadata"]["namespace"].as_str().map(str::to_string));
        self.create_with(
            &api::User::system("system:kube-controller-manager"),
            rt,
            namespace.as_deref(),
            body,
            &api::WriteOptions::internal(),
        )
        .map(|w| w.object)
    }

    /// Reads one object (GET).
    pub fn get(
        &self,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Arc<Object>, Status> {
        self.store
            .get(&Key::new(rt, namespace, name))
            .cloned()
            .ok_or_else(|| Status::not_found(rt, name))
    }

    /// Lists objects of a type, in one namespace or all.
    pub fn list(&self, rt: &'static ResourceType, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.store.list(rt.kind, namespace).cloned().collect()
    }

    /// Deletes an object (DELETE) as the control plane, with default options: pods terminate
    /// gracefully, dependents are deleted in the background. Returns the object (still present
    /// with a `deletionTimestamp` while its deletion is pending). See [`Cluster::delete_with`].
    pub fn delete(
        &mut self,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Arc<Object>, Status> {
        self.delete_object(rt, namespace, name, &api::DeleteOptions::default())
            .map(|d| d.object().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> &'static ResourceType {
        resources::by_plural("", "pods").unwrap()
    }

    #[test]
    fn default_cluster_has_a_ready_node_and_the_usual_namespaces() {
        let c = Cluster::new(&ClusterConfig::default());
        let nodes = c.list(resources::by_plural("", "nodes").unwrap(), None);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].name(), "minikube");
        let ns: Vec<_> = c
            .list(resources::by_plural("", "namespaces").unwrap(), None)
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        assert_eq!(
            ns,
            ["default", "kube-node-lease", "kube-public", "kube-system"]
        );
    }

    #[test]
    fn create_defaults_namespace_and_stamps_metadata() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let p = c
            .create(
                pods(),
                None,
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            )
            .unwrap();
        assert_eq!(p.namespace(), Some("default"));
        assert!(p.meta().uid.as_ref().unwrap().len() == 36);
        let again = c.create(
            pods(),
            None,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}}),
        );
        assert_eq!(again.unwrap_err().message, "pods \"web\" already exists");
    }

    #[test]
    fn generate_name_uses_the_kubernetes_alphabet() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let p = c
            .create(
                pods(),
                None,
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            )
            .unwrap();
        let suffix = p.name().strip_prefix("web-").unwrap();
        assert_eq!(suffix.len(), 5);
        assert!(suffix.bytes().all(|b| NAME_SUFFIX_ALPHABET.contains(&b)));
    }

    /// A copy rebuilds its indexes and event index (which copies leave out) when first used,
    /// and then behaves exactly like the original.
    #[test]
    fn a_copy_goes_on_exactly_like_its_original() {
        let deployments = resources::by_plural("apps", "deployments").unwrap();
        let mut original = Cluster::new(&ClusterConfig::default());
        original
            .create(
                deployments,
                None,
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
            )
            .unwrap();
        original.advance(jiff::SignedDuration::from_secs(30));
        let mut copy = original.clone();
        for c in [&mut original, &mut copy] {
            let pod = c.list(pods(), Some("default"))[0].name().to_string();
            c.delete(pods(), Some("default"), &pod).unwrap();
            c.advance(jiff::SignedDuration::from_secs(60));
        }
        assert_eq!(
            String::from_utf8(copy.snapshot()).unwrap(),
            String::from_utf8(original.snapshot()).unwrap()
        );
        assert_eq!(copy.list(pods(), Some("default")).len(), 3);
    }

    /// Every change a watch from the start reads, serialised as the API serves it.
    fn history(c: &Cluster) -> Vec<String> {
        c.store()
            .events_since(0)
            .expect("the log starts at 0")
            .map(|change| {
                let e = change.event();
                format!(
                    "{} {:?} {}",
                    e.resource_version,
                    e.event_type,
                    e.object.to_value()
                )
            })
            .collect()
    }

    #[test]
    fn a_watch_reads_the_same_history_whether_pod_versions_were_taken_over_or_copied() {
        let deployments = resources::by_plural("apps", "deployments").unwrap();
        let mut alone = Cluster::new(&ClusterConfig::default());
        let mut shared = alone.clone();
        shared.store.copy_pod_versions = true;
        // The system pods' start, before the copy.
        let booted = alone.store().superseded_versions();
        for c in [&mut alone, &mut shared] {
            c.create(
                deployments,
                Some("default"),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
            )
            .unwrap();
        }
        for c in [&mut alone, &mut shared] {
            for _ in 0..40 {
                c.advance(jiff::SignedDuration::from_millis(250));
            }
        }
        assert!(
            alone.store().superseded_versions() >= booted + 15,
            "pod writes took over"
        );
        assert!(
            shared.store().superseded_versions() <= booted,
            "pod writes copied"
        );
        let (alone, shared) = (history(&alone), history(&shared));
        assert!(alone.len() > 40, "the pods started: {}", alone.len());
        assert_eq!(alone, shared);
    }

    #[test]
    fn same_seed_same_cluster() {
        let make = || {
            let mut c = Cluster::new(&ClusterConfig::default());
            c.create(
                pods(),
                None,
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x-"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            )
            .unwrap()
        };
        assert_eq!(make(), make());
    }

    #[test]
    fn uids_are_version_4_and_formatted_like_the_api_servers() {
        let mut c = Cluster::empty(&ClusterConfig::default());
        for _ in 0..100 {
            let uid = c.new_uid();
            let groups: Vec<&str> = uid.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{uid}");
            assert!(uid
                .chars()
                .all(|ch| ch == '-' || ch.is_ascii_digit() || ('a'..='f').contains(&ch)));
            assert!(groups[2].starts_with('4'), "{uid}");
            assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{uid}");
        }
    }
}
