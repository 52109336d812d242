//! Defaulting: the fields the real API server fills in on every create and update
//! (`pkg/apis/*/v1/defaults.go` plus the registry strategies), so that `kubectl get -o yaml`
//! shows what a v1.33 cluster shows.
//!
//! Defaults that need cluster state (Service IPs and NodePorts, the ServiceAccount token volume,
//! the default StorageClass, LimitRange requests, priority and default tolerations) belong to
//! admission and live in [`crate::admission`]; Job selectors need the object's uid and are
//! applied by [`job_selector`] once it is assigned.

mod pod;
mod workloads;

use serde_json::{json, Map, Value};

pub use pod::{default_container, default_pod_spec};

/// Sets `obj[key]` to `value` if it is missing or null.
pub(crate) fn set_default(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        match m.get(key) {
            None | Some(Value::Null) => {
                m.insert(key.to_string(), value);
            }
            _ => {}
        }
    }
}

/// The elements of the list at `obj[key]`, if there is one. (Indexing a `Value` mutably would
/// insert a `null` for a missing key, which then serialises.)
pub(crate) fn each_mut<'a>(obj: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    obj.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Ensures `obj[key]` is an object and returns it.
pub(crate) fn object_at<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    if !obj[key].is_object() {
        obj[key] = Value::Object(Map::new());
    }
    &mut obj[key]
}

/// Applies the static defaults of `kind` to `obj` (a full object in JSON form).
pub fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "Pod" => pod::default_pod_spec(object_at(obj, "spec")),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "CronJob"
        | "ReplicationController" => workloads::apply(kind, obj),
        "Service" => default_service(obj),
        "Namespace" => default_namespace(obj),
        "Secret" => default_secret(obj),
        "PersistentVolumeClaim" => {
            set_default(object_at(obj, "spec"), "volumeMode", json!("Filesystem"));
        }
        "PersistentVolume" => {
            let spec = object_at(obj, "spec");
            set_default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
            set_default(spec, "volumeMode", json!("Filesystem"));
        }
        "StorageClass" => {
            set_default(obj, "reclaimPolicy", json!("Delete"));
            set_default(obj, "volumeBindingMode", json!("Immediate"));
        }
        "Endpoints" => {
            for subset in each_mut(obj, "subsets") {
                for p in each_mut(subset, "ports") {
                    set_default(p, "protocol", json!("TCP"));
                }
            }
        }
        "NetworkPolicy" => {
            let spec = object_at(obj, "spec");
            if spec["policyTypes"].is_null() {
                let mut types = vec![json!("Ingress")];
                if spec.get("egress").is_some_and(|e| !e.is_null()) {
                    types.push(json!("Egress"));
                }
                spec["policyTypes"] = Value::Array(types);
            }
        }
        "HorizontalPodAutoscaler" => default_hpa(obj),
        _ => {}
    }
}

fn default_service(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    set_default(spec, "type", json!("ClusterIP"));
    let ty = spec["type"].as_str().unwrap_or_default().to_string();
    if ty == "ExternalName" {
        return;
    }
    set_default(spec, "sessionAffinity", json!("None"));
    set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    if ty == "NodePort" || ty == "LoadBalancer" {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    for p in each_mut(spec, "ports") {
        set_default(p, "protocol", json!("TCP"));
        let port = p["port"].clone();
        set_default(p, "targetPort", port);
    }
    set_default(obj, "status", json!({"loadBalancer": {}}));
}

fn default_namespace(obj: &mut Value) {
    let name = obj["metadata"]["name"].clone();
    if let Some(n) = name.as_str().filter(|n| !n.is_empty()) {
        let labels = object_at(object_at(obj, "metadata"), "labels");
        labels["kubernetes.io/metadata.name"] = json!(n);
    }
    let spec = object_at(obj, "spec");
    set_default(spec, "finalizers", json!(["kubernetes"]));
    let status = object_at(obj, "status");
    set_default(status, "phase", json!("Active"));
}

/// Secrets default to `Opaque`, and write-only `stringData` is folded into base64 `data`.
fn default_secret(obj: &mut Value) {
    use base64::Engine;
    set_default(obj, "type", json!("Opaque"));
    if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) {
        let data = object_at(obj, "data");
        for (k, v) in sd {
            let text = v.as_str().unwrap_or_default();
            data[k] = json!(base64::engine::general_purpose::STANDARD.encode(text));
        }
    }
}

fn default_hpa(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    set_default(spec, "minReplicas", json!(1));
    set_default(
        spec,
        "metrics",
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
    );
    let behavior = object_at(spec, "behavior");
    set_default(
        behavior,
        "scaleUp",
        json!({"policies": [{"periodSeconds": 15, "type": "Pods", "value": 4},
                            {"periodSeconds": 15, "type": "Percent", "value": 100}],
               "selectPolicy": "Max", "stabilizationWindowSeconds": 0}),
    );
    set_default(
        behavior,
        "scaleDown",
        json!({"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}],
               "selectPolicy": "Max"}),
    );
}

/// The Job controller's selector and template labels, derived from the Job's uid
/// (`batch.kubernetes.io/controller-uid`), unless the user asked for `manualSelector`.
pub fn job_selector(obj: &mut Value, uid: &str) {
    let name = obj["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let spec = object_at(obj, "spec");
    if spec["manualSelector"] == json!(true) {
        return;
    }
    spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    let labels = object_at(object_at(object_at(spec, "template"), "metadata"), "labels");
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", uid),
        ("batch.kubernetes.io/job-name", name.as_str()),
        ("controller-uid", uid),
        ("job-name", name.as_str()),
    ] {
        labels[k] = json!(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_defaults() {
        let mut svc = json!({"metadata": {"name": "web"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        apply("Service", &mut svc);
        assert_eq!(
            svc["spec"],
            json!({"type": "NodePort", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "externalTrafficPolicy": "Cluster", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]})
        );
        assert_eq!(svc["status"], json!({"loadBalancer": {}}));
    }

    #[test]
    fn namespace_gets_its_name_label_and_finalizer() {
        let mut ns = json!({"metadata": {"name": "dev"}});
        apply("Namespace", &mut ns);
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "dev"
        );
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(ns["status"]["phase"], "Active");
    }

    #[test]
    fn secret_string_data_becomes_data() {
        let mut s = json!({"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}});
        apply("Secret", &mut s);
        assert_eq!(s["type"], "Opaque");
        assert_eq!(s["data"]["password"], "aHVudGVyMg==");
        assert!(s.get("stringData").is_none());
    }

    #[test]
    fn job_selector_uses_the_uid() {
        let mut j = json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {}}}});
        job_selector(&mut j, "u-1");
        assert_eq!(
            j["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        assert_eq!(
            j["spec"]["template"]["metadata"]["labels"]["job-name"],
            "pi"
        );
    }
}
