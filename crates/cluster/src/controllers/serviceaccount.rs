//! The ServiceAccount controller and the root CA publisher: every active namespace gets a
//! `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap, including namespaces a learner
//! creates.

use serde_json::json;

use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// The cluster CA (a fixed, well-formed certificate: nothing verifies it in the simulation).
pub const ROOT_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIDBjCCAe6gAwIBAgIBATANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwptaW5p\na3ViZUNBMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowFTETMBEGA1UE\nAxMKbWluaWt1YmVDQTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAL2k\n-----END CERTIFICATE-----\n";

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(Object::Namespace(ns)) = cluster.store().get(key).map(|o| o.as_ref().clone()) else { return };
    if ns.metadata.deletion_timestamp.is_some() || ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating") {
        return;
    }
    let name = key.name.clone();
    let sa = Key { kind: "ServiceAccount", namespace: name.clone(), name: "default".into() };
    if cluster.store().get(&sa).is_none() {
        let rt = crate::resources::by_kind("v1", "ServiceAccount").expect("served");
        let _ = cluster.create(rt, Some(&name), json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}}));
    }
    let cm = Key { kind: "ConfigMap", namespace: name.clone(), name: "kube-root-ca.crt".into() };
    if cluster.store().get(&cm).is_none() {
        let rt = crate::resources::by_kind("v1", "ConfigMap").expect("served");
        let _ = cluster.create(rt, Some(&name), json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-root-ca.crt", "namespace": name, "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
            "data": {"ca.crt": ROOT_CA}}));
    }
}
