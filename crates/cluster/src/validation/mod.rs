//! Validation of objects on create and update, as the real registry strategies do it
//! (`pkg/apis/*/validation`), with the real field paths and messages.
//!
//! Validation runs on the defaulted JSON form of the object, after admission, just before it
//! is stored. Every problem is collected (not only the first), because the real server reports
//! them all in one `Invalid` Status.

pub mod names;
mod pod;
mod service;
mod workloads;

use serde_json::Value;

use crate::resources::ResourceType;
use crate::status::FieldError;

pub use pod::{validate_pod_spec, validate_pod_update};

/// Problems with a new object.
pub fn validate_create(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_metadata(rt, obj);
    errs.extend(validate_kind(rt, obj));
    errs
}

/// Problems with an update of `old` to `new` (both full objects).
pub fn validate_update(rt: &ResourceType, new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_metadata(rt, new);
    errs.extend(validate_kind(rt, new));
    errs.extend(match rt.kind {
        "Pod" => pod::validate_pod_update(new, old),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            workloads::validate_workload_update(rt.kind, new, old)
        }
        "Service" => service::validate_service_update(new, old),
        "PersistentVolumeClaim" => immutable(
            "spec",
            &strip(&new["spec"], &["resources", "volumeAttributesClassName"]),
            &strip(&old["spec"], &["resources", "volumeAttributesClassName"]),
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ),
        "ConfigMap" | "Secret" => {
            if old["immutable"] == Value::Bool(true)
                && (new["data"] != old["data"] || new["binaryData"] != old["binaryData"])
            {
                vec![FieldError::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                )]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    });
    errs
}

fn strip(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        for k in keys {
            m.remove(*k);
        }
    }
    v
}

fn immutable(field: &str, new: &Value, old: &Value, detail: &str) -> Vec<FieldError> {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::forbidden(field, detail)]
    }
}

/// Which name format each kind requires (`ValidateObjectMeta`'s name function per registry).
fn name_problems(kind: &str, name: &str) -> Vec<String> {
    match kind {
        "Namespace" => names::dns1123_label(name),
        "Service" => names::dns1035_label(name),
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            names::path_segment_name(name)
        }
        _ => names::dns1123_subdomain(name),
    }
}

fn validate_metadata(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    let meta = &obj["metadata"];
    let mut errs = Vec::new();
    let name = meta["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        errs.extend(names::invalid_each(
            "metadata.name",
            name,
            name_problems(rt.kind, name),
        ));
    }
    if let Some(labels) = meta.get("labels").and_then(Value::as_object) {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        errs.extend(names::validate_labels("metadata.labels", &labels));
    }
    if let Some(annotations) = meta.get("annotations").and_then(Value::as_object) {
        for k in annotations.keys() {
            errs.extend(names::invalid_each(
                "metadata.annotations",
                k,
                names::qualified_name(&k.to_lowercase()),
            ));
        }
        let size: usize = annotations
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
            .sum();
        if size > 256 * 1024 {
            errs.push(FieldError {
                cause: "FieldValueTooLong",
                field: "metadata.annotations".into(),
                message: format!("Too long: may not be more than {} bytes", 256 * 1024),
            });
        }
    }
    errs
}

fn validate_kind(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    match rt.kind {
        "Pod" => pod::validate_pod_spec(&obj["spec"], "spec", true),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "CronJob"
        | "ReplicationController" => workloads::validate_workload(rt.kind, obj),
        "Service" => service::validate_service(obj),
        "ConfigMap" | "Secret" => {
            let mut errs = validate_data_keys(obj);
            errs.extend(validate_data_size(obj));
            if rt.kind == "Secret" {
                errs.extend(validate_secret_type(obj));
            }
            errs
        }
        "PersistentVolumeClaim" => validate_pvc(obj),
        "Ingress" => validate_ingress(obj),
        "HorizontalPodAutoscaler" => validate_hpa(obj),
        _ => Vec::new(),
    }
}

fn validate_data_keys(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for field in ["data", "binaryData", "stringData"] {
        for k in obj[field].as_object().into_iter().flat_map(|m| m.keys()) {
            errs.extend(names::invalid_each(
                &format!("{field}[{k}]"),
                k,
                names::config_map_key(k),
            ));
        }
    }
    errs
}

/// ConfigMaps and Secrets are capped at 1 MiB of data (`MaxSecretSize`, `ConfigMap` total).
fn validate_data_size(obj: &Value) -> Vec<FieldError> {
    let size: usize = ["data", "binaryData"]
        .iter()
        .flat_map(|f| obj[*f].as_object().into_iter().flatten())
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    const MAX: usize = 1024 * 1024;
    if size > MAX {
        return vec![FieldError {
            cause: "FieldValueTooLong",
            field: "data".into(),
            message: format!("Too long: must have at most {MAX} bytes"),
        }];
    }
    Vec::new()
}

/// Keys each built-in Secret type requires.
fn validate_secret_type(obj: &Value) -> Vec<FieldError> {
    let required: &[&str] = match obj["type"].as_str().unwrap_or("Opaque") {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    };
    required
        .iter()
        .filter(|k| obj["data"][**k].is_null())
        .map(|k| FieldError::required(format!("data[{k}]"), ""))
        .collect()
}

fn validate_ingress(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in obj["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, path) in rule["http"]["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let p = format!("spec.rules[{i}].http.paths[{j}]");
            match path["pathType"].as_str() {
                None => errs.push(FieldError::required(
                    format!("{p}.pathType"),
                    "pathType must be specified",
                )),
                Some(t) if !["Exact", "ImplementationSpecific", "Prefix"].contains(&t) => errs
                    .push(FieldError::not_supported(
                        format!("{p}.pathType"),
                        &path["pathType"],
                        &["Exact", "ImplementationSpecific", "Prefix"],
                    )),
                _ => {}
            }
            if path["pathType"] != "ImplementationSpecific"
                && !path["path"].as_str().unwrap_or_default().starts_with('/')
            {
                errs.push(FieldError::invalid(
                    format!("{p}.path"),
                    &path["path"],
                    "must be an absolute path",
                ));
            }
            let backend = &path["backend"];
            if backend["service"].is_null() && backend["resource"].is_null() {
                errs.push(FieldError::invalid(
                    format!("{p}.backend"),
                    &Value::String(String::new()),
                    "resource or service backend is required",
                ));
            }
        }
    }
    errs
}

fn validate_hpa(obj: &Value) -> Vec<FieldError> {
    let spec = &obj["spec"];
    let mut errs = Vec::new();
    let min = spec["minReplicas"].as_i64().unwrap_or(1);
    let max = spec["maxReplicas"].as_i64().unwrap_or(0);
    if min < 1 {
        errs.push(FieldError::invalid(
            "spec.minReplicas",
            &spec["minReplicas"],
            "must be greater than or equal to 1",
        ));
    }
    if max < 1 {
        errs.push(FieldError::invalid(
            "spec.maxReplicas",
            &spec["maxReplicas"],
            "must be greater than or equal to 1",
        ));
    } else if max < min {
        errs.push(FieldError::invalid(
            "spec.maxReplicas",
            &spec["maxReplicas"],
            "must be greater than or equal to `minReplicas`",
        ));
    }
    for f in ["kind", "name"] {
        if spec["scaleTargetRef"][f].as_str().is_none_or(str::is_empty) {
            errs.push(FieldError::required(format!("spec.scaleTargetRef.{f}"), ""));
        }
    }
    errs
}

fn validate_pvc(obj: &Value) -> Vec<FieldError> {
    let spec = &obj["spec"];
    let mut errs = Vec::new();
    if spec["accessModes"].as_array().is_none_or(Vec::is_empty) {
        errs.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    for (i, m) in spec["accessModes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let supported = [
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOnce",
            "ReadWriteOncePod",
        ];
        if !supported.contains(&m.as_str().unwrap_or_default()) {
            errs.push(FieldError::not_supported(
                format!("spec.accessModes[{i}]"),
                m,
                &supported,
            ));
        }
    }
    if spec["resources"]["requests"]["storage"].is_null() {
        errs.push(FieldError::required("spec.resources[storage]", ""));
    }
    errs
}

/// Go's `%#v` of a `map[string]string` (keys sorted, as fmt prints maps).
pub fn go_string_map(v: &Value) -> String {
    let entries: Vec<String> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{:?}:{:?}", k, v.as_str().unwrap_or_default()))
        .collect();
    if v.is_null() {
        return "map[string]string(nil)".to_string();
    }
    format!("map[string]string{{{}}}", entries.join(", "))
}

/// Go's `%#v` of a `metav1.LabelSelector`, as `field is immutable` errors print it.
pub fn go_label_selector(v: &Value) -> String {
    let exprs = match v["matchExpressions"].as_array() {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    let values = match e["values"].as_array() {
                        None => "[]string(nil)".to_string(),
                        Some(vs) => format!(
                            "[]string{{{}}}",
                            vs.iter()
                                .map(|x| format!("{:?}", x.as_str().unwrap_or_default()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{values}}}",
                        e["key"].as_str().unwrap_or_default(),
                        e["operator"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_string_map(&v["matchLabels"])
    )
}

/// An `Invalid value` whose value is printed in Go syntax rather than JSON.
pub fn invalid_go(field: impl Into<String>, shown: &str, detail: &str) -> FieldError {
    FieldError {
        cause: "FieldValueInvalid",
        field: field.into(),
        message: format!("Invalid value: {shown}: {detail}"),
    }
}

pub fn duplicate(field: impl Into<String>, value: &Value) -> FieldError {
    let shown = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    FieldError {
        cause: "FieldValueDuplicate",
        field: field.into(),
        message: format!("Duplicate value: {shown}"),
    }
}

pub fn not_found(field: impl Into<String>, value: &Value) -> FieldError {
    let shown = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    FieldError {
        cause: "FieldValueNotFound",
        field: field.into(),
        message: format!("Not found: {shown}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    #[test]
    fn go_renderings() {
        assert_eq!(
            go_string_map(&json!({"b": "2", "a": "1"})),
            r#"map[string]string{"a":"1", "b":"2"}"#
        );
        assert_eq!(
            go_label_selector(&json!({"matchLabels": {"app": "nginx2"}})),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
    }

    #[test]
    fn names_per_kind() {
        let svc = by_plural("", "services").unwrap();
        let errs = validate_create(
            svc,
            &json!({"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}),
        );
        assert!(errs[0]
            .render()
            .starts_with(r#"metadata.name: Invalid value: "1web": a DNS-1035 label"#));
        let ns = by_plural("", "namespaces").unwrap();
        assert!(!validate_create(ns, &json!({"metadata": {"name": "a.b"}})).is_empty());
        let cm = by_plural("", "configmaps").unwrap();
        assert!(validate_create(cm, &json!({"metadata": {"name": "a.b"}})).is_empty());
        let errs = validate_create(
            cm,
            &json!({"metadata": {"name": "x", "labels": {"app": "a b"}}}),
        );
        assert!(errs[0]
            .render()
            .starts_with(r#"metadata.labels: Invalid value: "a b": a valid label must be"#));
    }

    #[test]
    fn secrets_ingresses_and_hpas() {
        let secrets = by_plural("", "secrets").unwrap();
        let tls = json!({"metadata": {"name": "t"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}});
        assert_eq!(
            render_all(&validate_create(secrets, &tls)),
            ["data[tls.key]: Required value"]
        );
        let ing = by_plural("networking.k8s.io", "ingresses").unwrap();
        let bad = json!({"metadata": {"name": "i"}, "spec": {"rules": [{"http": {"paths": [
            {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}});
        assert_eq!(
            render_all(&validate_create(ing, &bad)),
            ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]
        );
        let hpa = by_plural("autoscaling", "horizontalpodautoscalers").unwrap();
        let h = json!({"metadata": {"name": "h"}, "spec": {"minReplicas": 3, "maxReplicas": 2,
            "scaleTargetRef": {"kind": "Deployment", "name": "web"}}});
        assert_eq!(
            render_all(&validate_create(hpa, &h)),
            ["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]
        );
    }

    fn render_all(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::render).collect()
    }

    #[test]
    fn pvc_needs_access_modes_and_storage() {
        let pvc = by_plural("", "persistentvolumeclaims").unwrap();
        let msgs: Vec<_> = validate_create(pvc, &json!({"metadata": {"name": "data"}, "spec": {}}))
            .iter()
            .map(FieldError::render)
            .collect();
        assert_eq!(
            msgs,
            [
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value"
            ]
        );
    }
}
