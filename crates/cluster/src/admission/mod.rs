//! Admission: the plugins a v1.33 API server runs by default, between defaulting and storage.
//!
//! Mutating, in order: NamespaceLifecycle (the namespace must exist and not be terminating),
//! LimitRanger (default requests/limits), ServiceAccount (`serviceAccountName: default` and the
//! projected `kube-api-access-xxxxx` token volume), Priority, DefaultTolerationSeconds,
//! DefaultStorageClass, and the Service registry's ClusterIP/NodePort allocation.
//! Validating: LimitRanger (min/max), ResourceQuota, and the session's object cap.
//! Rejections are 403 Forbidden, worded like the real plugins.

mod limitrange;
mod quota;
mod service;

use serde_json::{json, Value};

use crate::defaults::{each_mut, object_at, set_default};
use crate::quantity::Quantity;
use crate::resources::{self, ResourceType};
use crate::status::Status;
use crate::store::Key;
use crate::Cluster;

pub use quota::MAX_OBJECTS;
pub use service::{NODE_PORT_MAX, NODE_PORT_MIN, SERVICE_CIDR};

/// Where the ServiceAccount token volume is mounted in every container.
pub const SERVICE_ACCOUNT_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The CA bundle ConfigMap published in every namespace.
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";

/// `pods "x" is forbidden: <reason>`.
pub(crate) fn forbidden(rt: &ResourceType, name: &str, reason: &str) -> Status {
    let mut s = Status::new(
        403,
        "Forbidden",
        format!(
            "{} \"{name}\" is forbidden: {reason}",
            rt.qualified_plural()
        ),
    );
    let mut d = json!({"name": name, "kind": rt.plural});
    if !rt.group.is_empty() {
        d["group"] = json!(rt.group);
    }
    s.details = Some(d);
    s
}

/// The QoS class of a pod spec: Guaranteed when every container has cpu and memory limits equal
/// to its requests, BestEffort when none has any, Burstable otherwise.
pub fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .flat_map(|l| spec[*l].as_array().into_iter().flatten())
        .collect();
    let any = containers.iter().any(|c| {
        ["requests", "limits"].iter().any(|k| {
            c["resources"][*k]
                .as_object()
                .is_some_and(|m| !m.is_empty())
        })
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| {
            let limit = c["resources"]["limits"][*r]
                .as_str()
                .and_then(|q| Quantity::parse(q).ok());
            let request = c["resources"]["requests"][*r]
                .as_str()
                .and_then(|q| Quantity::parse(q).ok())
                .or(limit);
            limit.is_some() && request == limit
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

impl Cluster {
    /// NamespaceLifecycle for creates.
    pub(crate) fn admit_namespace_lifecycle(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
    ) -> Result<(), Status> {
        let key = Key {
            kind: "Namespace",
            namespace: Default::default(),
            name: ns.into(),
        };
        match self.store.get(&key) {
            None => Err(Status::new(
                404,
                "NotFound",
                format!("namespaces \"{ns}\" not found"),
            )
            .with_namespace_details(ns)),
            Some(n) if n.meta().deletion_timestamp.is_some() && rt.kind != "Event" => Err(forbidden(
                rt,
                name,
                &format!("unable to create new content in namespace {ns} because it is being terminated"),
            )),
            Some(_) => Ok(()),
        }
    }

    /// Mutating (and LimitRanger's validating) admission for a create.
    pub(crate) fn admit_create(
        &mut self,
        rt: &'static ResourceType,
        ns: Option<&str>,
        obj: &mut Value,
    ) -> Result<(), Status> {
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match rt.kind {
            "Pod" => {
                let ns = ns.unwrap_or("default");
                default_pod(obj);
                self.admit_limit_ranges(rt, ns, &name, obj)?;
                // Static (mirror) pods come from a node's manifest directory: no ServiceAccount.
                let is_static = obj["metadata"]["annotations"]["kubernetes.io/config.source"]
                    == "file"
                    || !obj["metadata"]["annotations"]["kubernetes.io/config.mirror"].is_null();
                if !is_static {
                    self.admit_service_account(rt, ns, &name, obj)?;
                }
                admit_priority(rt, &name, obj)?;
                default_tolerations(obj);
                // Requests may have been defaulted: recompute the class.
                let qos = qos_class(&obj["spec"]);
                object_at(obj, "status")["qosClass"] = json!(qos);
            }
            "Service" => self.allocate_service(rt, obj, None)?,
            "PersistentVolumeClaim" => self.default_storage_class(obj),
            _ => {}
        }
        Ok(())
    }

    /// Mutating admission for an update.
    pub(crate) fn admit_update(
        &mut self,
        rt: &'static ResourceType,
        _ns: Option<&str>,
        obj: &mut Value,
        old: &Value,
    ) -> Result<(), Status> {
        if rt.kind == "Service" {
            self.allocate_service(rt, obj, Some(old))?;
        }
        if rt.kind == "Pod" {
            // Fields admission set on create survive a replace that omits them.
            for f in [
                "serviceAccountName",
                "serviceAccount",
                "priority",
                "preemptionPolicy",
                "enableServiceLinks",
                "nodeName",
            ] {
                if obj["spec"].get(f).is_none_or(Value::is_null) {
                    if let Some(v) = old["spec"].get(f) {
                        obj["spec"][f] = v.clone();
                    }
                }
            }
        }
        Ok(())
    }

    /// ServiceAccount admission: the default account, its existence, and the token volume.
    fn admit_service_account(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        obj: &mut Value,
    ) -> Result<(), Status> {
        let spec = object_at(obj, "spec");
        let sa = match spec["serviceAccountName"]
            .as_str()
            .filter(|s| !s.is_empty())
        {
            Some(s) => s.to_string(),
            None => spec["serviceAccount"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("default")
                .to_string(),
        };
        spec["serviceAccountName"] = json!(sa);
        spec["serviceAccount"] = json!(sa);
        let sa_key = Key {
            kind: "ServiceAccount",
            namespace: ns.into(),
            name: sa.as_str().into(),
        };
        let Some(account) = self.store.get(&sa_key) else {
            return Err(forbidden(
                rt,
                name,
                &format!(
                    "error looking up service account {ns}/{sa}: serviceaccount \"{sa}\" not found"
                ),
            ));
        };
        let automount = spec["automountServiceAccountToken"]
            .as_bool()
            .or(match account.as_ref() {
                crate::object::Object::ServiceAccount(sa) => sa.automount_service_account_token,
                _ => None,
            })
            .unwrap_or(true);
        let has_token_volume = spec["volumes"].as_array().into_iter().flatten().any(|v| {
            v["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("kube-api-access-"))
        });
        if !automount || has_token_volume {
            return Ok(());
        }
        let volume = format!("kube-api-access-{}", self.name_suffix());
        let spec = object_at(obj, "spec");
        for list in ["initContainers", "containers"] {
            for c in each_mut(spec, list) {
                let mounted = c["volumeMounts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m["mountPath"] == SERVICE_ACCOUNT_MOUNT_PATH);
                if !mounted {
                    if !c["volumeMounts"].is_array() {
                        c["volumeMounts"] = json!([]);
                    }
                    c["volumeMounts"].as_array_mut().expect("made a list").push(json!({
                        "mountPath": SERVICE_ACCOUNT_MOUNT_PATH, "name": volume, "readOnly": true
                    }));
                }
            }
        }
        if !spec["volumes"].is_array() {
            spec["volumes"] = json!([]);
        }
        spec["volumes"].as_array_mut().expect("made a list").push(json!({
            "name": volume,
            "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": ROOT_CA_CONFIG_MAP}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
            ]}
        }));
        Ok(())
    }

    /// DefaultStorageClass: a claim that names no class gets the default one, if any.
    fn default_storage_class(&self, obj: &mut Value) {
        if obj["spec"]
            .get("storageClassName")
            .is_some_and(|v| !v.is_null())
        {
            return;
        }
        let default = self
            .store
            .list("StorageClass", None)
            .filter(|sc| {
                sc.meta()
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("storageclass.kubernetes.io/is-default-class"))
                    .is_some_and(|v| v == "true")
            })
            .max_by_key(|sc| sc.meta().creation_timestamp.clone().map(|t| t.0))
            .map(|sc| sc.name().to_string());
        if let Some(name) = default {
            object_at(obj, "spec")["storageClassName"] = json!(name);
        }
    }

    /// What the ServiceAccount and root-CA publisher controllers add to every new namespace.
    pub(crate) fn populate_namespace(&mut self, ns: &str) {
        let sa = resources::by_kind("v1", "ServiceAccount").expect("served");
        let cm = resources::by_kind("v1", "ConfigMap").expect("served");
        if self.store.get(&Key::new(sa, Some(ns), "default")).is_none() {
            let _ = self.create(
                sa,
                Some(ns),
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
            );
        }
        if self
            .store
            .get(&Key::new(cm, Some(ns), ROOT_CA_CONFIG_MAP))
            .is_none()
        {
            let _ = self.create(cm, Some(ns), json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": ROOT_CA_CONFIG_MAP, "annotations": {
                    "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
                }},
                "data": {"ca.crt": SIMULATED_CA}
            }));
        }
    }
}

/// A stand-in CA bundle: the shape of a certificate, not a usable one.
const SIMULATED_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIDBjCCAe6gAwIBAgIBATANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwptaW5p\na3ViZUNBMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowFTETMBEGA1UE\nAxMKbWluaWt1YmVDQTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAL2n\n-----END CERTIFICATE-----\n";

/// `SetDefaults_Pod`: service links on, and requests default to limits.
fn default_pod(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    set_default(spec, "enableServiceLinks", json!(true));
    for list in ["initContainers", "containers"] {
        for c in each_mut(spec, list) {
            let limits = c["resources"]["limits"].clone();
            if let Some(l) = limits.as_object() {
                let requests = object_at(object_at(c, "resources"), "requests");
                for (k, v) in l {
                    set_default(requests, k, v.clone());
                }
            }
        }
    }
}

/// Priority admission: the built-in classes and the default of 0.
fn admit_priority(rt: &ResourceType, name: &str, obj: &mut Value) -> Result<(), Status> {
    let spec = object_at(obj, "spec");
    let priority = match spec["priorityClassName"].as_str() {
        None | Some("") => 0,
        Some("system-node-critical") => 2_000_001_000,
        Some("system-cluster-critical") => 2_000_000_000,
        Some(other) => {
            return Err(forbidden(
                rt,
                name,
                &format!("no PriorityClass with name {other} was found"),
            ))
        }
    };
    spec["priority"] = json!(priority);
    set_default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    Ok(())
}

/// DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for 300 s.
fn default_tolerations(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    if !spec["tolerations"].is_array() {
        spec["tolerations"] = json!([]);
    }
    let list = spec["tolerations"].as_array_mut().expect("made a list");
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let tolerated = list.iter().any(|t| {
            let effect_ok =
                t["effect"].is_null() || t["effect"] == "" || t["effect"] == "NoExecute";
            let key_ok = t["key"] == key
                || (t["operator"] == "Exists" && t["key"].as_str().unwrap_or_default().is_empty());
            effect_ok && key_ok
        });
        if !tolerated {
            list.push(json!({"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}));
        }
    }
}

impl Status {
    fn with_namespace_details(mut self, ns: &str) -> Status {
        self.details = Some(json!({"name": ns, "kind": "namespaces"}));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes() {
        assert_eq!(
            qos_class(&json!({"containers": [{"name": "a"}]})),
            "BestEffort"
        );
        assert_eq!(
            qos_class(
                &json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]})
            ),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]})),
            "Burstable"
        );
    }

    #[test]
    fn default_tolerations_are_added_once() {
        let mut pod = json!({"spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]}});
        default_tolerations(&mut pod);
        let t = pod["spec"]["tolerations"].as_array().unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1]["key"], "node.kubernetes.io/not-ready");
        assert_eq!(t[0]["tolerationSeconds"], 60);
    }
}
