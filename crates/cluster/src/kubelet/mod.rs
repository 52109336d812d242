//! The simulated kubelet: runs the pods bound to each node.
//!
//! Each container moves through stages like a KWOK stage list, each stage a state with a delay and
//! a next state: `Creating` → (`Pulling` → pulled | `PullFailed` → `ErrImagePull` →
//! `ImagePullBackOff` → `Pulling` …) → `Running` → exited → restarted now, or `CrashLoopBackOff`
//! for 10 s, 20 s, … 5 min → `Running` …. [`sync_pod`] advances every stage that is due at the
//! current time, emits the kubelet's events, writes `status` exactly as a kubelet reports it, and
//! asks to be woken when the next stage is due.

pub mod config;
pub mod exec;
pub mod logs;
pub mod probes;
pub mod process;
mod status;

pub use status::{go_duration, qos_class};

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::events::{EventKind, Source};
use crate::images::{self, ImageRef, PullOutcome};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

use process::Plan;

/// Image pull and crash back-off: 10 s, doubling, capped at 5 minutes.
pub const BACKOFF_INITIAL: f64 = 10.0;
pub const BACKOFF_MAX: f64 = 300.0;

/// Time to set up the pod sandbox (pause container, network) before the first container.
const SANDBOX_SECONDS: f64 = 0.6;
/// Time from "image present" to "container started".
const START_SECONDS: f64 = 0.3;

/// Where a container is in its life.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stage {
    /// Waiting for the sandbox, its config, or an image decision.
    Creating,
    Pulling {
        until: Timestamp,
        size: u64,
        millis: u64,
    },
    PullFailed {
        until: Timestamp,
        message: String,
    },
    /// Waiting with a reason shown in the status (`ErrImagePull`, `ImagePullBackOff`,
    /// `CreateContainerConfigError`, `CrashLoopBackOff`, `ErrImageNeverPull`); retried at `retry`.
    Waiting {
        reason: String,
        message: String,
        retry: Option<Timestamp>,
    },
    /// Image present; the container is created and started at `at`.
    Starting {
        at: Timestamp,
    },
    Running,
    /// Exited and will not be restarted.
    Terminated,
}

/// One run of a container.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub container_id: String,
    pub started: Timestamp,
    pub plan: Plan,
    /// When it ended, its exit code and reason.
    pub finished: Option<(Timestamp, i32, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerRuntime {
    pub name: String,
    pub image: String,
    pub init: bool,
    /// An init container with `restartPolicy: Always`.
    pub sidecar: bool,
    pub stage: Stage,
    pub restart_count: i32,
    /// The current (or last) run and the one before it.
    pub current: Option<Instance>,
    pub previous: Option<Instance>,
    pub crash_backoff: Option<f64>,
    pub pull_backoff: Option<f64>,
    pub last_pull_error: String,
    pub ready: bool,
    pub probes: probes::ProbeState,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodRuntime {
    pub uid: String,
    pub node: String,
    pub pod_ip: String,
    pub host_ip: String,
    pub admitted: Timestamp,
    pub containers: Vec<ContainerRuntime>,
    /// Set once the kubelet has started stopping the pod: when the last container is gone.
    pub stopping_until: Option<Timestamp>,
    /// A volume that cannot be mounted: (volume, message).
    pub mount_error: Option<(String, String)>,
    /// Transition times of the pod conditions, so they only move when the condition changes.
    pub condition_times: BTreeMap<String, (String, Timestamp)>,
    /// The resourceVersion of the kubelet's own last status write: seeing it come back needs no
    /// new sync (a real kubelet does not react to its own status updates either).
    #[serde(default)]
    pub written_version: Option<String>,
}

/// All kubelets' memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeletState {
    pub pods: BTreeMap<PodName, PodRuntime>,
    /// Pods (by key string `ns/name`) waiting for a ConfigMap or Secret to appear.
    pub config_waiters: BTreeSet<(String, String)>,
    /// Next pod IP host number per node.
    pub next_ip: BTreeMap<String, u32>,
    pub next_container_id: u64,
    /// Files written by `kubectl exec` commands, by the storage that keeps them.
    #[serde(default)]
    pub written: exec::WrittenFiles,
}

impl KubeletState {
    /// Whether the pod's current version is the kubelet's own status write.
    pub fn wrote(&self, key: &Key, resource_version: Option<&str>) -> bool {
        resource_version.is_some()
            && self
                .pods
                .get(&PodName::of(key))
                .and_then(|r| r.written_version.as_deref())
                == resource_version
    }

    /// Pods in `namespace` whose start is blocked on configuration.
    pub fn waiting_for_config(&self, namespace: &str) -> Vec<Key> {
        self.config_waiters
            .iter()
            .filter(|(ns, _)| ns == namespace)
            .map(|(ns, name)| Key {
                kind: "Pod",
                namespace: ns.as_str().into(),
                name: name.as_str().into(),
            })
            .collect()
    }
}

/// A pod's namespace and name, by which the kubelets keep their pods; written `namespace/name`
/// in snapshots.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodName {
    pub namespace: CompactString,
    pub name: CompactString,
}

impl PodName {
    pub fn new(namespace: &str, name: &str) -> PodName {
        PodName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    pub fn of(key: &Key) -> PodName {
        PodName {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        }
    }
}

impl Serialize for PodName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}/{}", self.namespace, self.name))
    }
}

impl<'de> Deserialize<'de> for PodName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PodName, D::Error> {
        let s = String::deserialize(d)?;
        let (namespace, name) = s
            .split_once('/')
            .ok_or_else(|| serde::de::Error::custom(format!("pod {s:?} is not namespace/name")))?;
        Ok(PodName::new(namespace, name))
    }
}

/// The container a `fieldPath` like `spec.containers{nginx}` points at.
pub fn field_path(c: &ContainerRuntime) -> String {
    if c.init {
        format!("spec.initContainers{{{}}}", c.name)
    } else {
        format!("spec.containers{{{}}}", c.name)
    }
}

/// The finalizers that keep a stopped pod in the API. The garbage collector's own
/// (`foregroundDeletion`, `orphan`) are dropped at once from a pod, which owns nothing.
fn holding_finalizers(pod: &Pod) -> Vec<String> {
    pod.metadata
        .finalizers
        .iter()
        .flatten()
        .filter(|f| !matches!(f.as_str(), "foregroundDeletion" | "orphan"))
        .cloned()
        .collect()
}

/// The kubelet's reconcile for one pod.
pub fn sync_pod(cluster: &mut Cluster, key: &Key) {
    let ks = PodName::of(key);
    let Some(obj) = cluster.store().get(key).cloned() else {
        cluster.runtime.kubelet.pods.remove(&ks);
        cluster
            .runtime
            .kubelet
            .config_waiters
            .remove(&(key.namespace.to_string(), key.name.to_string()));
        return;
    };
    let Object::Pod(pod) = obj.as_ref() else {
        return;
    };
    let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
        return;
    };
    // A stopped kubelet does nothing; it resyncs its pods when it starts again.
    if cluster.kubelet_stopped(&node) {
        return;
    }
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    if cluster
        .runtime
        .kubelet
        .pods
        .get(&ks)
        .is_some_and(|r| r.uid != uid)
    {
        cluster.runtime.kubelet.pods.remove(&ks);
    }
    if !cluster.runtime.kubelet.pods.contains_key(&ks) {
        if pod.metadata.deletion_timestamp.is_some() {
            // Already stopped: only finalizers (which the kubelet leaves alone) keep it.
            if holding_finalizers(pod).is_empty() {
                cluster.store_mut().remove(key);
            }
            return;
        }
        let rt = admit(cluster, pod, &node);
        cluster.runtime.kubelet.pods.insert(ks.clone(), rt);
    }
    let mut rt = cluster
        .runtime
        .kubelet
        .pods
        .remove(&ks)
        .expect("admitted above");
    let mut wake: Option<Timestamp> = None;
    let mut note = |t: Timestamp| {
        wake = Some(wake.map_or(t, |w: Timestamp| w.min(t)));
    };
    let now = cluster.now();
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    if pod.metadata.deletion_timestamp.is_some() {
        if stop_pod(cluster, pod, &obj, &mut rt, &mut note) {
            cluster.runtime.kubelet.pods.remove(&ks);
            // The kubelet's final DELETE with grace period 0: the API server removes the pod,
            // or keeps it (stopped, deletionGracePeriodSeconds 0) until its finalizers go.
            let finalizers = holding_finalizers(pod);
            if !finalizers.is_empty() {
                let mut stopped = pod.clone();
                stopped.metadata.finalizers = Some(finalizers);
                stopped.status = Some(status::pod_status(cluster, pod, &mut rt));
                stopped.metadata.deletion_grace_period_seconds = Some(0);
                cluster.store_mut().put(Object::Pod(stopped));
            } else {
                cluster.store_mut().remove(key);
            }
            return;
        }
    } else if phase != "Succeeded" && phase != "Failed" {
        let sandbox_ready = clock::after(rt.admitted, SANDBOX_SECONDS);
        if now < sandbox_ready {
            note(sandbox_ready);
        } else {
            run_containers(cluster, pod, &obj, &mut rt, &mut note);
        }
    }
    let status = status::pod_status(cluster, pod, &mut rt);
    if pod.status.as_ref() != Some(&status) {
        // Let go of the current version, so the new one can take it over (not copy it).
        drop(obj);
        if let Some(stored) = cluster.store_mut().update_pod(key, None, status) {
            rt.written_version = stored.meta().resource_version.clone();
        }
    }
    cluster.runtime.kubelet.pods.insert(ks, rt);
    if let Some(t) = wake {
        cluster.wake_at(t, key.clone());
    }
}

/// Admits a pod to the node: allocates its IP and lays out its containers.
fn admit(cluster: &mut Cluster, pod: &Pod, node: &str) -> PodRuntime {
    let (subnet, host_ip) = node_network(cluster, node);
    let next = cluster
        .runtime
        .kubelet
        .next_ip
        .entry(node.to_string())
        .or_insert(3);
    let pod_ip = format!("{subnet}.{next}");
    *next = if *next >= 254 { 3 } else { *next + 1 };
    let mk = |c: &Container, init: bool| ContainerRuntime {
        name: c.name.clone(),
        image: c.image.clone().unwrap_or_default(),
        init,
        sidecar: init && c.restart_policy.as_deref() == Some("Always"),
        stage: Stage::Creating,
        restart_count: 0,
        current: None,
        previous: None,
        crash_backoff: None,
        pull_backoff: None,
        last_pull_error: String::new(),
        ready: false,
        probes: probes::ProbeState::default(),
    };
    let spec = pod.spec.as_ref();
    let mut containers: Vec<ContainerRuntime> = spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .map(|c| mk(c, true))
        .collect();
    containers.extend(
        spec.into_iter()
            .flat_map(|s| &s.containers)
            .map(|c| mk(c, false)),
    );
    PodRuntime {
        uid: pod.metadata.uid.clone().unwrap_or_default(),
        node: node.to_string(),
        pod_ip,
        host_ip,
        admitted: cluster.now(),
        containers,
        stopping_until: None,
        mount_error: None,
        condition_times: BTreeMap::new(),
        written_version: None,
    }
}

/// The node's pod subnet prefix (`10.244.0`) and its InternalIP.
fn node_network(cluster: &Cluster, node: &str) -> (String, String) {
    let key = Key {
        kind: "Node",
        namespace: Default::default(),
        name: node.into(),
    };
    let Some(Object::Node(n)) = cluster.store().get(&key).map(|o| o.as_ref()) else {
        return ("10.244.0".into(), "192.168.49.2".into());
    };
    let cidr = n
        .spec
        .as_ref()
        .and_then(|s| s.pod_cidr.clone())
        .unwrap_or_else(|| "10.244.0.0/24".into());
    let subnet = cidr
        .split('/')
        .next()
        .unwrap_or("10.244.0.0")
        .rsplit_once('.')
        .map_or("10.244.0".to_string(), |(a, _)| a.to_string());
    let ip = n
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
        .map_or("192.168.49.2".to_string(), |a| a.address.clone());
    (subnet, ip)
}

fn spec_container<'a>(pod: &'a Pod, c: &ContainerRuntime) -> Option<&'a Container> {
    let spec = pod.spec.as_ref()?;
    if c.init {
        spec.init_containers
            .as_ref()?
            .iter()
            .find(|x| x.name == c.name)
    } else {
        spec.containers.iter().find(|x| x.name == c.name)
    }
}

fn pull_policy(c: &Container) -> String {
    c.image_pull_policy.clone().unwrap_or_else(|| {
        let r = ImageRef::parse(c.image.as_deref().unwrap_or_default());
        if r.tag == "latest" {
            "Always".into()
        } else {
            "IfNotPresent".into()
        }
    })
}

fn restart_policy(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.clone())
        .unwrap_or_else(|| "Always".into())
}

/// Runs init containers in order, then the app containers.
fn run_containers(
    cluster: &mut Cluster,
    pod: &Pod,
    obj: &Object,
    rt: &mut PodRuntime,
    note: &mut impl FnMut(Timestamp),
) {
    let pk = (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    );
    cluster.runtime.kubelet.config_waiters.remove(&pk);
    // Volumes are mounted before any container starts; a missing ConfigMap holds the whole pod.
    let mut mount_error = None;
    for c in pod.spec.iter().flat_map(|s| {
        s.init_containers
            .iter()
            .flatten()
            .chain(s.containers.iter())
    }) {
        if let Err(e) = config::volume_files(cluster.store(), pod, c) {
            mount_error = Some(e);
            break;
        }
    }
    if let Some((volume, message)) = &mount_error {
        let node = rt.node.clone();
        cluster.record_event(
            obj,
            None,
            Source::Kubelet { node: &node },
            EventKind::Warning,
            "FailedMount",
            &format!("MountVolume.SetUp failed for volume \"{volume}\" : {message}"),
        );
        cluster.runtime.kubelet.config_waiters.insert(pk);
        rt.mount_error = mount_error;
        return;
    }
    rt.mount_error = None;
    let n = rt.containers.len();
    for i in 0..n {
        let c = &rt.containers[i];
        let init_done = |c: &ContainerRuntime| {
            if c.sidecar {
                c.stage == Stage::Running && c.probes.started
            } else {
                c.current
                    .as_ref()
                    .and_then(|i| i.finished.as_ref())
                    .is_some_and(|f| f.1 == 0)
                    && c.stage == Stage::Terminated
            }
        };
        if c.init && init_done(c) && !c.sidecar {
            continue;
        }
        step_container(cluster, pod, obj, rt, i, note);
        let c = &rt.containers[i];
        if c.init && !init_done(c) {
            // Later containers wait for this init container.
            return;
        }
    }
}

fn next_container_id(cluster: &mut Cluster) -> String {
    cluster.runtime.kubelet.next_container_id += 1;
    let n = cluster.runtime.kubelet.next_container_id;
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ n;
    let mut id = String::new();
    for _ in 0..4 {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 29;
        id.push_str(&format!("{h:016x}"));
    }
    id
}

/// Advances one container through every stage due now.
fn step_container(
    cluster: &mut Cluster,
    pod: &Pod,
    obj: &Object,
    rt: &mut PodRuntime,
    i: usize,
    note: &mut impl FnMut(Timestamp),
) {
    let Some(spec) = spec_container(pod, &rt.containers[i]) else {
        return;
    };
    let node = rt.node.clone();
    let src = Source::Kubelet { node: &node };
    let fp = field_path(&rt.containers[i]);
    let image = ImageRef::parse(&rt.containers[i].image);
    let image_str = rt.containers[i].image.clone();
    let now = cluster.now();
    for _ in 0..16 {
        let c = &mut rt.containers[i];
        match c.stage.clone() {
            Stage::Creating => {
                if let Err(msg) =
                    config::environment(cluster.store(), pod, &spec, &rt.pod_ip, &rt.host_ip)
                {
                    c.stage = Stage::Waiting {
                        reason: "CreateContainerConfigError".into(),
                        message: msg.clone(),
                        retry: None,
                    };
                    let pk = (
                        pod.metadata.namespace.clone().unwrap_or_default(),
                        pod.metadata.name.clone().unwrap_or_default(),
                    );
                    cluster.runtime.kubelet.config_waiters.insert(pk);
                    cluster.record_event(
                        obj,
                        Some(&fp),
                        src,
                        EventKind::Warning,
                        "Failed",
                        &format!("Error: {msg}"),
                    );
                    return;
                }
                let present = cluster
                    .runtime
                    .node_images
                    .get(&node)
                    .is_some_and(|s| s.has(&image));
                let policy = pull_policy(&spec);
                if policy == "Never" && !present {
                    let msg = format!(
                        "Container image \"{image_str}\" is not present with pull policy of Never"
                    );
                    c.stage = Stage::Waiting {
                        reason: "ErrImageNeverPull".into(),
                        message: msg.clone(),
                        retry: None,
                    };
                    cluster.record_event(
                        obj,
                        Some(&fp),
                        src,
                        EventKind::Warning,
                        "ErrImageNeverPull",
                        &msg,
                    );
                    cluster.record_event(
                        obj,
                        Some(&fp),
                        src,
                        EventKind::Warning,
                        "Failed",
                        "Error: ErrImageNeverPull",
                    );
                    return;
                }
                if present && policy != "Always" {
                    cluster.record_event(
                        obj,
                        Some(&fp),
                        src,
                        EventKind::Normal,
                        "Pulled",
                        &format!("Container image \"{image_str}\" already present on machine"),
                    );
                    c.stage = Stage::Starting {
                        at: clock::after(now, START_SECONDS),
                    };
                    continue;
                }
                cluster.record_event(
                    obj,
                    Some(&fp),
                    src,
                    EventKind::Normal,
                    "Pulling",
                    &format!("Pulling image \"{image_str}\""),
                );
                c.stage = match cluster.runtime.registry.pull(&image) {
                    PullOutcome::Pulled { size_bytes, millis } => Stage::Pulling {
                        until: clock::after(now, millis as f64 / 1000.0),
                        size: size_bytes,
                        millis,
                    },
                    PullOutcome::Failed(message) => Stage::PullFailed {
                        until: clock::after(now, 0.9),
                        message,
                    },
                };
            }
            Stage::Pulling {
                until,
                size,
                millis,
            } => {
                if now < until {
                    note(until);
                    return;
                }
                cluster
                    .runtime
                    .node_images
                    .entry(node.clone())
                    .or_default()
                    .add(&image, size);
                c.pull_backoff = None;
                let secs = millis as f64 / 1000.0;
                cluster.record_event(obj, Some(&fp), src, EventKind::Normal, "Pulled", &format!("Successfully pulled image \"{image_str}\" in {secs:.3}s ({secs:.3}s including waiting). Image size: {size} bytes."));
                c.stage = Stage::Starting {
                    at: clock::after(now, START_SECONDS),
                };
            }
            Stage::PullFailed { until, message } => {
                if now < until {
                    note(until);
                    return;
                }
                let backoff = c
                    .pull_backoff
                    .map_or(BACKOFF_INITIAL, |b| (b * 2.0).min(BACKOFF_MAX));
                c.pull_backoff = Some(backoff);
                c.last_pull_error = message.clone();
                cluster.record_event(
                    obj,
                    Some(&fp),
                    src,
                    EventKind::Warning,
                    "Failed",
                    &format!("Failed to pull image \"{image_str}\": {message}"),
                );
                cluster.record_event(
                    obj,
                    Some(&fp),
                    src,
                    EventKind::Warning,
                    "Failed",
                    "Error: ErrImagePull",
                );
                let retry = clock::after(now, backoff);
                c.stage = Stage::Waiting {
                    reason: "ErrImagePull".into(),
                    message,
                    retry: Some(retry),
                };
                // The pod worker re-syncs shortly after and finds the image in back-off.
                note(clock::after(now, 1.0).min(retry));
                return;
            }
            Stage::Waiting {
                reason,
                message,
                retry,
            } => {
                match reason.as_str() {
                    "ErrImagePull" => {
                        let retry = retry.unwrap_or(now);
                        if now >= retry {
                            c.stage = Stage::Creating;
                            continue;
                        }
                        let msg = format!(
                            "Back-off pulling image \"{image_str}\": ErrImagePull: {}",
                            c.last_pull_error
                        );
                        c.stage = Stage::Waiting {
                            reason: "ImagePullBackOff".into(),
                            message: msg,
                            retry: Some(retry),
                        };
                        cluster.record_event(
                            obj,
                            Some(&fp),
                            src,
                            EventKind::Normal,
                            "BackOff",
                            &format!("Back-off pulling image \"{image_str}\""),
                        );
                        cluster.record_event(
                            obj,
                            Some(&fp),
                            src,
                            EventKind::Warning,
                            "Failed",
                            "Error: ImagePullBackOff",
                        );
                        note(retry);
                        return;
                    }
                    "ImagePullBackOff" | "CrashLoopBackOff" => {
                        let retry = retry.unwrap_or(now);
                        if now >= retry {
                            if reason == "CrashLoopBackOff" {
                                c.restart_count += 1;
                                c.stage = Stage::Starting { at: now };
                            } else {
                                c.stage = Stage::Creating;
                            }
                            continue;
                        }
                        note(retry);
                        return;
                    }
                    _ => {
                        // Configuration errors: retried whenever the pod is synced again.
                        let _ = message;
                        c.stage = Stage::Creating;
                        if matches!(
                            reason.as_str(),
                            "CreateContainerConfigError" | "ErrImageNeverPull"
                        ) {
                            // Re-evaluate once; if still failing it returns to Waiting without
                            // a new event storm (the event count grows as the kubelet's does).
                            continue;
                        }
                    }
                }
            }
            Stage::Starting { at } => {
                if now < at {
                    note(at);
                    return;
                }
                let env = config::environment(cluster.store(), pod, &spec, &rt.pod_ip, &rt.host_ip)
                    .unwrap_or_default();
                let files = config::volume_files(cluster.store(), pod, &spec).unwrap_or_default();
                let limit = spec
                    .resources
                    .as_ref()
                    .and_then(|r| r.limits.as_ref())
                    .and_then(|l| l.get("memory"))
                    .map(crate::quantity::value);
                let mut env_all = service_env(cluster, pod);
                env_all.extend(env);
                let p = process::plan(&process::Launch {
                    image: images::lookup(&image),
                    command: spec.command.as_deref().unwrap_or_default(),
                    args: spec.args.as_deref().unwrap_or_default(),
                    env: &env_all,
                    files: &files,
                    memory_limit: limit,
                    start: now,
                    pod_name: pod.metadata.name.as_deref().unwrap_or_default(),
                    stdin: spec.stdin.unwrap_or(false),
                });
                let id = next_container_id(cluster);
                let c = &mut rt.containers[i];
                if c.current.is_some() {
                    c.previous = c.current.take();
                }
                c.current = Some(Instance {
                    container_id: id,
                    started: now,
                    plan: p,
                    finished: None,
                });
                c.stage = Stage::Running;
                c.ready = false;
                c.probes = probes::ProbeState::starting(&spec, now);
                let name = c.name.clone();
                cluster.record_event(
                    obj,
                    Some(&fp),
                    src,
                    EventKind::Normal,
                    "Created",
                    &format!("Created container: {name}"),
                );
                cluster.record_event(
                    obj,
                    Some(&fp),
                    src,
                    EventKind::Normal,
                    "Started",
                    &format!("Started container {name}"),
                );
            }
            Stage::Running => {
                let inst = c.current.as_ref().expect("running has an instance");
                let exit_at = inst.plan.exit.as_ref().map(|(secs, code, reason)| {
                    (clock::after(inst.started, *secs), *code, reason.clone())
                });
                if let Some((at, code, reason)) = exit_at.clone().filter(|(at, _, _)| *at <= now) {
                    exited(cluster, pod, obj, rt, i, at, code, &reason, note);
                    return;
                }
                if let Some((at, _, _)) = exit_at {
                    note(at);
                }
                // Probes run while the container runs; a failed liveness probe kills it.
                if let Some(kill) = probes::run(cluster, pod, obj, rt, i, &spec, note) {
                    let c = &mut rt.containers[i];
                    let stops = images::lookup(&image).is_none_or(|s| s.stops_on_sigterm);
                    let (code, reason) = if stops {
                        (0, "Completed")
                    } else {
                        (137, "Error")
                    };
                    let _ = kill;
                    let _ = c;
                    exited(cluster, pod, obj, rt, i, now, code, reason, note);
                }
                return;
            }
            Stage::Terminated => return,
        }
    }
}

/// A container's process ended at `at`: restart it now, back off, or leave it terminated.
#[allow(clippy::too_many_arguments)]
fn exited(
    cluster: &mut Cluster,
    pod: &Pod,
    obj: &Object,
    rt: &mut PodRuntime,
    i: usize,
    at: Timestamp,
    code: i32,
    reason: &str,
    note: &mut impl FnMut(Timestamp),
) {
    let node = rt.node.clone();
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let fp = field_path(&rt.containers[i]);
    let c = &mut rt.containers[i];
    if let Some(inst) = c.current.as_mut() {
        inst.finished = Some((at, code, reason.to_string()));
    }
    c.ready = false;
    let policy = if c.sidecar {
        "Always".to_string()
    } else {
        restart_policy(pod)
    };
    // An init container that succeeded is done; one that failed is retried unless the pod
    // never restarts anything.
    let restart = if c.init && !c.sidecar {
        code != 0 && policy != "Never"
    } else {
        policy == "Always" || (policy == "OnFailure" && code != 0)
    };
    if !restart {
        c.stage = Stage::Terminated;
        return;
    }
    let now = cluster.now();
    match c.crash_backoff {
        None => {
            // The first exit restarts at once; the back-off starts with the next one.
            c.crash_backoff = Some(BACKOFF_INITIAL);
            c.restart_count += 1;
            c.stage = Stage::Starting {
                at: clock::after(now, START_SECONDS),
            };
            note(clock::after(now, START_SECONDS));
        }
        Some(backoff) => {
            let name = c.name.clone();
            let retry = clock::after(at, backoff);
            c.crash_backoff = Some((backoff * 2.0).min(BACKOFF_MAX));
            c.stage = Stage::Waiting {
                reason: "CrashLoopBackOff".into(),
                message: format!(
                    "back-off {} restarting failed container={name} pod={pod_name}_{ns}({uid})",
                    status::go_duration(backoff)
                ),
                retry: Some(retry),
            };
            cluster.record_event(
                obj,
                Some(&fp),
                Source::Kubelet { node: &node },
                EventKind::Warning,
                "BackOff",
                &format!(
                    "Back-off restarting failed container {name} in pod {pod_name}_{ns}({uid})"
                ),
            );
            note(retry);
        }
    }
}

/// Stops a pod being deleted; true when it is gone.
fn stop_pod(
    cluster: &mut Cluster,
    pod: &Pod,
    obj: &Object,
    rt: &mut PodRuntime,
    note: &mut impl FnMut(Timestamp),
) -> bool {
    let now = cluster.now();
    if rt.stopping_until.is_none() {
        let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(30) as f64;
        let mut until = now;
        let node = rt.node.clone();
        for c in rt.containers.iter_mut() {
            if c.stage != Stage::Running {
                continue;
            }
            let fp = field_path(c);
            let name = c.name.clone();
            let image = ImageRef::parse(&c.image);
            let stops = images::lookup(&image).is_none_or(|s| s.stops_on_sigterm);
            let took = if stops { grace.min(0.4) } else { grace };
            let t = clock::after(now, took);
            until = until.max(t);
            if let Some(inst) = c.current.as_mut() {
                inst.finished = Some((
                    t,
                    if stops { 0 } else { 137 },
                    if stops { "Completed" } else { "Error" }.to_string(),
                ));
            }
            // It keeps running (not ready) until it exits: at once on SIGTERM, or killed
            // (137) when the grace period ends.
            c.ready = false;
            cluster.record_event(
                obj,
                Some(&fp),
                Source::Kubelet { node: &node },
                EventKind::Normal,
                "Killing",
                &format!("Stopping container {name}"),
            );
        }
        rt.stopping_until = Some(until);
    }
    let until = rt.stopping_until.expect("set above");
    if now >= until {
        for c in rt.containers.iter_mut() {
            if c.stage == Stage::Running && c.current.as_ref().is_some_and(|i| i.finished.is_some())
            {
                c.stage = Stage::Terminated;
            }
        }
        return true;
    }
    note(until);
    false
}

/// The `<SVC>_SERVICE_HOST`/`_PORT` variables the kubelet injects for Services in the pod's
/// namespace (enableServiceLinks), plus the `kubernetes` Service's.
fn service_env(cluster: &Cluster, pod: &Pod) -> Vec<(String, String)> {
    if pod.spec.as_ref().and_then(|s| s.enable_service_links) == Some(false) {
        return Vec::new();
    }
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut out = Vec::new();
    let mut add = |name: &str, ip: &str, port: i32, proto: &str| {
        let n = name.to_uppercase().replace('-', "_");
        let p = proto.to_lowercase();
        out.push((format!("{n}_SERVICE_HOST"), ip.to_string()));
        out.push((format!("{n}_SERVICE_PORT"), port.to_string()));
        out.push((format!("{n}_PORT"), format!("{p}://{ip}:{port}")));
    };
    for o in cluster.store().list("Service", Some(ns)).chain(
        cluster
            .store()
            .list("Service", Some("default"))
            .filter(|o| o.name() == "kubernetes" && ns != "default"),
    ) {
        let Object::Service(s) = o.as_ref() else {
            continue;
        };
        let Some(spec) = &s.spec else { continue };
        let ip = spec.cluster_ip.clone().unwrap_or_default();
        if ip.is_empty() || ip == "None" {
            continue;
        }
        if let Some(p) = spec.ports.as_ref().and_then(|p| p.first()) {
            add(
                o.name(),
                &ip,
                p.port,
                p.protocol.as_deref().unwrap_or("TCP"),
            );
        }
    }
    out
}

/// Marks the `Time` of a timestamp (helper for status building).
pub(crate) fn time(t: Timestamp) -> Time {
    crate::clock::api_time(t)
}
