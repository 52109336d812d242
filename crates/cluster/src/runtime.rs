//! The control plane's loop: after every API write and every due timer, run the controllers, the
//! scheduler and the kubelets until nothing more changes ("settle").
//!
//! Work is driven by what changed: the store reports the keys written since the last look, each
//! change is mapped to the components that care (a pod change wakes its ReplicaSet, the Services
//! selecting it, the scheduler or its kubelet), and each component reconciles one object at a time.
//! Every reconcile reads the current store and writes its intended changes back, like the real
//! controllers reading from informers and writing through the API.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::clock::Timers;
use crate::events::Recorder;
use crate::images::{NodeImages, Registry};
use crate::index::Index;
use crate::kubelet::KubeletState;
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// A control-plane component that reconciles one kind of object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Component {
    /// Allocates Service cluster IPs and node ports (the API server's registry does this).
    ServiceAllocator,
    Deployment,
    ReplicaSet,
    Job,
    CronJob,
    DaemonSet,
    StatefulSet,
    HorizontalPodAutoscaler,
    NodeLifecycle,
    VolumeBinder,
    Scheduler,
    Kubelet,
    Endpoints,
}

/// Everything the simulated components remember beyond the store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Runtime {
    pub(crate) timers: Timers,
    #[serde(skip)]
    pub(crate) index: Index,
    #[serde(skip)]
    pub(crate) events: Recorder,
    /// client-go's event correlator, as the kubelets and controllers run it.
    #[serde(default)]
    pub(crate) event_correlator: crate::events::Correlator,
    pub(crate) registry: Registry,
    pub(crate) node_images: BTreeMap<String, NodeImages>,
    pub(crate) kubelet: KubeletState,
    /// Work waiting for the next settle round (from timers and explicit requeues).
    #[serde(skip)]
    pub(crate) queued: BTreeSet<(Component, Key)>,
    #[serde(skip)]
    pub(crate) settling: bool,
    /// Controllers' pods, defaulted and admitted once per template.
    #[serde(skip)]
    pub(crate) pod_cache: crate::controllers::pod_cache::PodCache,
    /// Whether the controllers, scheduler and kubelets are stopped (see
    /// [`Cluster::stop_control_plane`]).
    #[serde(default)]
    pub(crate) stopped: bool,
    /// The HorizontalPodAutoscaler controller's memory, by `namespace/name`.
    #[serde(default)]
    pub(crate) autoscalers: BTreeMap<String, crate::controllers::hpa::Memory>,
    /// Stopped kubelets (see [`Cluster::stop_kubelet`]).
    #[serde(default)]
    pub(crate) node_lifecycle: crate::controllers::node_lifecycle::State,
}

/// A settle that has not converged after this many rounds is stopped: a controller fighting
/// another must not hang a session. Real clusters would keep churning; we simply wait for the
/// next write or timer.
const MAX_ROUNDS: usize = 200;

impl Cluster {
    /// Runs every component until the cluster stops changing at the current time.
    pub fn settle(&mut self) {
        if self.runtime.settling || self.runtime.stopped {
            return;
        }
        self.runtime.settling = true;
        // The store stamps watch events with the simulated time (a restored or newly installed
        // cluster may not have told it yet).
        self.store.set_clock(self.now);
        if !self.runtime.index.built {
            self.rebuild_index();
        }
        for _ in 0..MAX_ROUNDS {
            let (mut changed, events_written) = self.store_mut().take_changed();
            if !changed.is_empty() || events_written {
                // Finish deletions the writes unblocked (foreground owners, namespaces).
                self.collect_garbage();
            }
            changed.extend(self.store_mut().take_changed().0);
            let mut work = std::mem::take(&mut self.runtime.queued);
            // Each key once (borrowed: thousands change in one round when a Deployment scales).
            let mut seen = BTreeSet::new();
            for key in &changed {
                if seen.insert(key) {
                    self.observe(key, &mut work);
                }
            }
            if work.is_empty() {
                break;
            }
            for (component, key) in work {
                self.reconcile(component, &key);
            }
        }
        self.runtime.settling = false;
    }

    /// Stops (or restarts) the controllers, the scheduler and the kubelets, leaving only the API
    /// machinery: objects are stored, defaulted, validated and garbage-collected, but nothing
    /// reacts to them, like a cluster whose kube-controller-manager, kube-scheduler and kubelets
    /// are down. For tests of the API alone; restarting settles at once.
    pub fn stop_control_plane(&mut self, stopped: bool) {
        self.runtime.stopped = stopped;
        if !stopped {
            self.settle();
        }
    }

    /// Moves simulated time forward by `by`, firing every timer that falls due on the way, each
    /// at its own time, and settling after each.
    pub fn advance(&mut self, by: SignedDuration) {
        let target = self.now().checked_add(by).unwrap_or(self.now());
        self.advance_to(target);
    }

    /// Moves simulated time forward to `target` (never backwards).
    pub fn advance_to(&mut self, target: Timestamp) {
        self.settle();
        while let Some(due) = self.runtime.timers.next_due() {
            if due > target {
                break;
            }
            if due > self.now() {
                self.set_now(due);
            }
            let now = self.now();
            for key in self.runtime.timers.pop_due(now) {
                self.wake(key);
            }
            self.settle();
        }
        if target > self.now() {
            self.set_now(target);
        }
        self.settle();
    }

    pub(crate) fn set_now(&mut self, t: Timestamp) {
        self.now = t;
        self.store.set_clock(t);
    }

    /// A uniformly random number below `n`, from the cluster's seeded generator.
    pub(crate) fn random_below(&mut self, n: u32) -> u32 {
        self.rng.u32(..n.max(1))
    }

    /// Schedules `key`'s component to run again at `at`.
    pub(crate) fn wake_at(&mut self, at: Timestamp, key: Key) {
        self.runtime.timers.schedule(at, key);
    }

    fn wake(&mut self, key: Key) {
        let component = match key.kind {
            "Pod" => {
                if self.runtime.index.pending.contains(&key) {
                    self.runtime
                        .queued
                        .insert((Component::Scheduler, key.clone()));
                }
                Component::Kubelet
            }
            "Deployment" => Component::Deployment,
            "ReplicaSet" => Component::ReplicaSet,
            "Job" => Component::Job,
            "CronJob" => Component::CronJob,
            "StatefulSet" => Component::StatefulSet,
            "HorizontalPodAutoscaler" => Component::HorizontalPodAutoscaler,
            "Node" => Component::NodeLifecycle,
            "PersistentVolumeClaim" => Component::VolumeBinder,
            "Event" => {
                self.expire_event(&key);
                return;
            }
            _ => return,
        };
        self.runtime.queued.insert((component, key));
    }

    pub(crate) fn rebuild_index(&mut self) {
        let mut index = Index {
            built: true,
            ..Index::default()
        };
        let objects: Vec<_> = self
            .store()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, obj) in &objects {
            index.observe_owner(key, Some(obj));
            if let Object::Pod(p) = obj.as_ref() {
                index.observe_pod(key, Some(p));
            }
        }
        self.runtime.index = index;
        let events: Vec<_> = self.store().list("Event", None).cloned().collect();
        self.runtime.events = Recorder::rebuild(events.iter().filter_map(|o| match o.as_ref() {
            Object::Event(e) => Some(&**e),
            _ => None,
        }));
    }

    /// Maps one changed key to the components that must look at it.
    fn observe(&mut self, key: &Key, work: &mut BTreeSet<(Component, Key)>) {
        let obj = self.store().get(key).cloned();
        let old_owner = self
            .runtime
            .index
            .observe_owner(key, obj.as_deref())
            .flatten();
        let new_owner = obj.as_deref().and_then(crate::index::controller_ref);
        // (kind, name) of the controller before and after the change (borrowed: most changes
        // keep it, and this runs for every write; an unchanged owner is only the new one).
        let mut owners: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some((kind, name, _)) = &old_owner {
            owners.push((kind, name));
        }
        if let Some(r) = new_owner {
            if !owners.contains(&(r.kind.as_str(), r.name.as_str())) {
                owners.push((&r.kind, &r.name));
            }
        }
        let wake_owner = |kind: &str, work: &mut BTreeSet<(Component, Key)>| {
            for &(owner_kind, name) in &owners {
                if owner_kind != kind {
                    continue;
                }
                let component = match kind {
                    "ReplicaSet" => Component::ReplicaSet,
                    "Deployment" => Component::Deployment,
                    "Job" => Component::Job,
                    "CronJob" => Component::CronJob,
                    "DaemonSet" => Component::DaemonSet,
                    "StatefulSet" => Component::StatefulSet,
                    _ => continue,
                };
                work.insert((
                    component,
                    Key {
                        kind: crate::resources::RESOURCES
                            .iter()
                            .find(|r| r.kind == kind)
                            .map(|r| r.kind)
                            .unwrap_or("Unknown"),
                        namespace: key.namespace.clone(),
                        name: name.into(),
                    },
                ));
            }
        };
        match key.kind {
            "Pod" => {
                let pod = obj.as_deref().and_then(Object::as_pod);
                // A write that changes nothing the indexes hold (most status updates) is
                // compared in place; `old` and `new` are then the same entry.
                let unchanged = pod.is_some_and(|p| {
                    self.runtime
                        .index
                        .pods
                        .get(key)
                        .is_some_and(|e| e.describes(p))
                });
                let changed = if unchanged {
                    None
                } else {
                    self.runtime.index.observe_pod(key, pod)
                };
                for kind in ["ReplicaSet", "Job", "DaemonSet", "StatefulSet"] {
                    wake_owner(kind, work);
                }
                // A Deployment waits on its ReplicaSets' pods too (Recreate waits for old pods
                // to be gone), so a pod change also wakes the Deployment above its ReplicaSet.
                for &(kind, name) in &owners {
                    if kind != "ReplicaSet" {
                        continue;
                    }
                    let rs = Key {
                        kind: "ReplicaSet",
                        namespace: key.namespace.clone(),
                        name: name.into(),
                    };
                    if let Some((owner_kind, owner_name, _)) = self.runtime.index.owner_of.get(&rs)
                    {
                        if owner_kind == "Deployment" {
                            work.insert((
                                Component::Deployment,
                                Key {
                                    kind: "Deployment",
                                    namespace: key.namespace.clone(),
                                    name: owner_name.as_str().into(),
                                },
                            ));
                        }
                    }
                }
                let new = self.runtime.index.pods.get(key);
                let old = if unchanged { new } else { changed.as_ref() };
                // A pod that just became pending gets one scheduling attempt; after a failure it
                // waits for a cluster change that could help, or its retry timer.
                if new.as_ref().is_some_and(|n| n.pending)
                    && !old.as_ref().is_some_and(|o| o.pending)
                {
                    work.insert((Component::Scheduler, key.clone()));
                }
                let own_write = self.runtime.kubelet.wrote(
                    key,
                    obj.as_ref()
                        .and_then(|o| o.meta().resource_version.as_deref()),
                );
                if (new.as_ref().is_some_and(|n| n.node.is_some())
                    || old.as_ref().is_some_and(|o| o.node.is_some()))
                    && !own_write
                {
                    work.insert((Component::Kubelet, key.clone()));
                }
                // Services whose selector matches the pod before or after the change.
                let labels_before = old.as_ref().map(|o| &o.labels);
                let labels_after = new.as_ref().map(|n| &n.labels);
                for svc in self.store().list("Service", Some(&key.namespace)) {
                    let Object::Service(s) = svc.as_ref() else {
                        continue;
                    };
                    let Some(sel) = s.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                        continue;
                    };
                    let matches = |l: Option<&BTreeMap<String, String>>| {
                        l.is_some_and(|l| sel.iter().all(|(k, v)| l.get(k) == Some(v)))
                    };
                    if matches(labels_before) || matches(labels_after) {
                        work.insert((Component::Endpoints, Key::of(svc)));
                    }
                }
                // Freed resources may let waiting pods fit.
                let freed = old.as_ref().is_some_and(|o| o.counted)
                    && !new.as_ref().is_some_and(|n| n.counted);
                if freed {
                    for p in &self.runtime.index.pending {
                        work.insert((Component::Scheduler, p.clone()));
                    }
                }
            }
            "ReplicaSet" => {
                work.insert((Component::ReplicaSet, key.clone()));
                wake_owner("Deployment", work);
            }
            "Deployment" => {
                work.insert((Component::Deployment, key.clone()));
            }
            "Job" => {
                work.insert((Component::Job, key.clone()));
                wake_owner("CronJob", work);
            }
            "CronJob" => {
                work.insert((Component::CronJob, key.clone()));
            }
            "DaemonSet" => {
                work.insert((Component::DaemonSet, key.clone()));
            }
            "StatefulSet" => {
                work.insert((Component::StatefulSet, key.clone()));
            }
            "HorizontalPodAutoscaler" => {
                work.insert((Component::HorizontalPodAutoscaler, key.clone()));
            }
            "Service" => {
                work.insert((Component::ServiceAllocator, key.clone()));
                work.insert((Component::Endpoints, key.clone()));
            }
            "Node" => {
                // The node lifecycle controller mirrors spec.unschedulable as a taint.
                work.insert((Component::NodeLifecycle, key.clone()));
                for p in &self.runtime.index.pending {
                    work.insert((Component::Scheduler, p.clone()));
                }
                for ds in self.store().list("DaemonSet", None) {
                    work.insert((Component::DaemonSet, Key::of(ds)));
                }
                if let Some(o) = &obj {
                    self.runtime
                        .node_images
                        .entry(o.name().to_string())
                        .or_default();
                }
            }
            "ConfigMap" | "Secret" => {
                for p in self.runtime.kubelet.waiting_for_config(&key.namespace) {
                    work.insert((Component::Kubelet, p));
                }
            }
            "PersistentVolumeClaim" => {
                work.insert((Component::VolumeBinder, key.clone()));
                for p in &self.runtime.index.pending {
                    work.insert((Component::Scheduler, p.clone()));
                }
            }
            "PersistentVolume" | "StorageClass" => {
                for pvc in self.store().list("PersistentVolumeClaim", None) {
                    work.insert((Component::VolumeBinder, Key::of(pvc)));
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, component: Component, key: &Key) {
        use crate::controllers;
        match component {
            Component::ServiceAllocator => controllers::service::allocate(self, key),
            Component::Deployment => controllers::deployment::sync(self, key),
            Component::ReplicaSet => controllers::replicaset::sync(self, key),
            Component::Job => controllers::job::sync(self, key),
            Component::CronJob => controllers::cronjob::sync(self, key),
            Component::DaemonSet => controllers::daemonset::sync(self, key),
            Component::StatefulSet => controllers::statefulset::sync(self, key),
            Component::HorizontalPodAutoscaler => controllers::hpa::sync(self, key),
            Component::NodeLifecycle => controllers::node_lifecycle::sync(self, key),
            Component::VolumeBinder => controllers::volume::sync(self, key),
            Component::Scheduler => crate::scheduler::schedule(self, key),
            Component::Kubelet => crate::kubelet::sync_pod(self, key),
            Component::Endpoints => controllers::endpoints::sync(self, key),
        }
    }
}
