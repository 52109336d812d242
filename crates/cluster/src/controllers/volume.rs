//! The PersistentVolume controller and minikube's hostpath provisioner: bind a claim to a
//! matching PersistentVolume, or have its StorageClass's provisioner create one. A claim with no
//! class and no matching volume stays Pending with `FailedBinding`, re-reported every 15 s.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, ObjectReference, PersistentVolume, PersistentVolumeClaim,
    PersistentVolumeSpec, PersistentVolumeStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::clock;
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::quantity;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "persistentvolume-controller";
/// minikube's storage-provisioner reports as `<provisioner>_<node>_<uid>`.
const PROVISIONER_SOURCE: &str =
    "k8s.io/minikube-hostpath_minikube_4b6a2a3e-5c1d-4f7a-9e0b-2d8c6f1a7b3e";
const RESYNC_SECONDS: f64 = 15.0;

fn request(pvc: &PersistentVolumeClaim) -> i64 {
    pvc.spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map_or(0, quantity::value)
}

fn default_class(cluster: &Cluster) -> Option<String> {
    cluster.store().list("StorageClass", None).find_map(|o| {
        let default = o
            .meta()
            .annotations
            .as_ref()
            .and_then(|a| a.get("storageclass.kubernetes.io/is-default-class"))
            .is_some_and(|v| v == "true");
        default.then(|| o.name().to_string())
    })
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(Object::PersistentVolumeClaim(pvc)) =
        cluster.store().get(key).map(|o| o.as_ref().clone())
    else {
        return;
    };
    if pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound")
        || pvc.metadata.deletion_timestamp.is_some()
    {
        return;
    }
    let obj = Object::PersistentVolumeClaim(pvc.clone());
    let class = pvc.spec.as_ref().and_then(|s| s.storage_class_name.clone());
    let class = match class {
        // DefaultStorageClass admission: a claim without a class gets the default one.
        None => default_class(cluster),
        Some(c) => Some(c),
    }
    .filter(|c| !c.is_empty());
    // A matching Available volume of the same class wins over provisioning.
    if let Some(pv) = find_volume(cluster, &pvc, class.as_deref().unwrap_or_default()) {
        bind(cluster, &pvc, pv, class.as_deref());
        return;
    }
    let Some(class_name) = class else {
        set_pending(cluster, &pvc);
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
        );
        cluster.wake_at(clock::after(cluster.now(), RESYNC_SECONDS), key.clone());
        return;
    };
    let sc_key = Key {
        kind: "StorageClass",
        namespace: Default::default(),
        name: class_name.as_str().into(),
    };
    let Some(Object::StorageClass(sc)) = cluster.store().get(&sc_key).map(|o| o.as_ref().clone())
    else {
        set_pending(cluster, &pvc);
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Warning,
            "ProvisioningFailed",
            &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
        );
        cluster.wake_at(clock::after(cluster.now(), RESYNC_SECONDS), key.clone());
        return;
    };
    if sc.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer") {
        set_pending(cluster, &pvc);
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding",
        );
        return;
    }
    if sc.provisioner != "k8s.io/minikube-hostpath" {
        set_pending(cluster, &pvc);
        cluster.record_event(&obj, None, Source::Controller(SOURCE), EventKind::Normal, "ExternalProvisioning", &format!("Waiting for a volume to be created either by the external provisioner '{}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.", sc.provisioner));
        return;
    }
    let ns = key.namespace.clone();
    let name = key.name.clone();
    cluster.record_event(&obj, None, Source::Controller(SOURCE), EventKind::Normal, "ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner 'k8s.io/minikube-hostpath' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
    cluster.record_event(
        &obj,
        None,
        Source::Controller(PROVISIONER_SOURCE),
        EventKind::Normal,
        "Provisioning",
        &format!("External provisioner is provisioning volume for claim \"{ns}/{name}\""),
    );
    let pv_name = format!("pvc-{}", pvc.metadata.uid.clone().unwrap_or_default());
    let size = pvc
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .cloned()
        .unwrap_or(Quantity("1Gi".into()));
    let pv = PersistentVolume {
        metadata: ObjectMeta {
            name: Some(pv_name.clone()),
            annotations: Some(BTreeMap::from([
                (
                    "hostPathProvisionerIdentity".to_string(),
                    "4b6a2a3e-5c1d-4f7a-9e0b-2d8c6f1a7b3e".to_string(),
                ),
                (
                    "pv.kubernetes.io/provisioned-by".to_string(),
                    "k8s.io/minikube-hostpath".to_string(),
                ),
            ])),
            uid: Some(cluster.new_uid()),
            creation_timestamp: Some(crate::clock::api_time(cluster.now())),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            access_modes: pvc.spec.as_ref().and_then(|s| s.access_modes.clone()),
            capacity: Some(BTreeMap::from([("storage".to_string(), size)])),
            host_path: Some(HostPathVolumeSource {
                path: format!("/tmp/hostpath-provisioner/{ns}/{name}"),
                type_: Some(String::new()),
            }),
            persistent_volume_reclaim_policy: Some(
                sc.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
            ),
            storage_class_name: Some(class_name.clone()),
            volume_mode: Some("Filesystem".into()),
            ..PersistentVolumeSpec::default()
        }),
        status: Some(PersistentVolumeStatus {
            phase: Some("Available".into()),
            last_phase_transition_time: Some(crate::clock::api_time(cluster.now())),
            ..Default::default()
        }),
    };
    cluster.store_mut().put(Object::from(pv.clone()));
    cluster.record_event(
        &obj,
        None,
        Source::Controller(PROVISIONER_SOURCE),
        EventKind::Normal,
        "ProvisioningSucceeded",
        &format!("Successfully provisioned volume {pv_name}"),
    );
    bind(cluster, &pvc, pv, Some(&class_name));
}

fn set_pending(cluster: &mut Cluster, pvc: &PersistentVolumeClaim) {
    if pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending") {
        return;
    }
    let mut p = pvc.clone();
    p.status.get_or_insert_with(Default::default).phase = Some("Pending".into());
    cluster.store_mut().put(Object::from(p));
}

/// The smallest Available volume of the class that satisfies the claim.
fn find_volume(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
    class: &str,
) -> Option<PersistentVolume> {
    let want = request(pvc);
    let modes = pvc
        .spec
        .as_ref()
        .and_then(|s| s.access_modes.clone())
        .unwrap_or_default();
    let wanted_name = pvc.spec.as_ref().and_then(|s| s.volume_name.clone());
    cluster
        .store()
        .list("PersistentVolume", None)
        .filter_map(|o| match o.as_ref() {
            Object::PersistentVolume(pv) => Some((**pv).clone()),
            _ => None,
        })
        .filter(|pv| {
            pv.status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_none_or(|p| p == "Available")
        })
        .filter(|pv| {
            pv.spec
                .as_ref()
                .and_then(|s| s.claim_ref.as_ref())
                .is_none()
        })
        .filter(|pv| {
            wanted_name
                .as_ref()
                .is_none_or(|n| pv.metadata.name.as_ref() == Some(n))
        })
        .filter(|pv| {
            pv.spec
                .as_ref()
                .and_then(|s| s.storage_class_name.clone())
                .unwrap_or_default()
                == class
        })
        .filter(|pv| {
            let spec = pv.spec.clone().unwrap_or_default();
            let cap = spec
                .capacity
                .as_ref()
                .and_then(|c| c.get("storage"))
                .map_or(0, quantity::value);
            let pv_modes = spec.access_modes.unwrap_or_default();
            cap >= want && modes.iter().all(|m| pv_modes.contains(m))
        })
        .min_by_key(|pv| {
            pv.spec
                .as_ref()
                .and_then(|s| s.capacity.as_ref())
                .and_then(|c| c.get("storage"))
                .map_or(0, quantity::value)
        })
}

fn bind(
    cluster: &mut Cluster,
    pvc: &PersistentVolumeClaim,
    mut pv: PersistentVolume,
    class: Option<&str>,
) {
    let now = cluster.now();
    let spec = pv.spec.get_or_insert_with(Default::default);
    spec.claim_ref = Some(ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("PersistentVolumeClaim".into()),
        name: pvc.metadata.name.clone(),
        namespace: pvc.metadata.namespace.clone(),
        uid: pvc.metadata.uid.clone(),
        resource_version: pvc.metadata.resource_version.clone(),
        field_path: None,
    });
    pv.status = Some(PersistentVolumeStatus {
        phase: Some("Bound".into()),
        last_phase_transition_time: Some(crate::clock::api_time(now)),
        ..Default::default()
    });
    pv.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("pv.kubernetes.io/bound-by-controller".into(), "yes".into());
    let capacity = pv.spec.as_ref().and_then(|s| s.capacity.clone());
    let modes = pv.spec.as_ref().and_then(|s| s.access_modes.clone());
    let pv_name = pv.metadata.name.clone();
    cluster.store_mut().put(Object::from(pv));
    let mut c = pvc.clone();
    let ann = c.metadata.annotations.get_or_insert_with(Default::default);
    ann.insert("pv.kubernetes.io/bind-completed".into(), "yes".into());
    ann.insert("pv.kubernetes.io/bound-by-controller".into(), "yes".into());
    if class.is_some() {
        ann.insert(
            "volume.beta.kubernetes.io/storage-provisioner".into(),
            "k8s.io/minikube-hostpath".into(),
        );
        ann.insert(
            "volume.kubernetes.io/storage-provisioner".into(),
            "k8s.io/minikube-hostpath".into(),
        );
    }
    let spec = c.spec.get_or_insert_with(Default::default);
    spec.volume_name = pv_name;
    if spec.storage_class_name.is_none() {
        spec.storage_class_name = class.map(str::to_string);
    }
    spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
    let status = c.status.get_or_insert_with(Default::default);
    status.phase = Some("Bound".into());
    status.capacity = capacity;
    status.access_modes = modes;
    cluster.store_mut().put(Object::from(c));
}
