//! Pod spec validation (`ValidatePodSpec` and `ValidatePodUpdate` of pkg/apis/core/validation),
//! shared by pods and every pod template.

use std::collections::HashSet;

use serde_json::Value;

use super::{duplicate, names, not_found};
use crate::defaults::each_mut;
use crate::quantity::Quantity;
use crate::status::FieldError;

/// Validates a pod spec at `path` (`spec` for pods, `spec.template.spec` for templates).
/// `require_image` is false for templates of kinds where kubectl may leave images to later steps;
/// the real server requires images everywhere, so all callers pass true today.
pub fn validate_pod_spec(spec: &Value, path: &str, require_image: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let volumes: Vec<&str> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let mut seen_volumes = HashSet::new();
    for (i, v) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
        let field = format!("{path}.volumes[{i}].name");
        match v["name"].as_str() {
            None | Some("") => errs.push(FieldError::required(field, "")),
            Some(n) => {
                errs.extend(names::invalid_each(&field, n, names::dns1123_label(n)));
                if !seen_volumes.insert(n) {
                    errs.push(duplicate(field, &v["name"]));
                }
            }
        }
    }
    let containers = spec["containers"].as_array();
    if containers.is_none_or(Vec::is_empty) {
        errs.push(FieldError::required(format!("{path}.containers"), ""));
    }
    let mut seen_names = HashSet::new();
    for (list, items) in [
        ("initContainers", spec["initContainers"].as_array()),
        ("containers", containers),
    ] {
        for (i, c) in items.into_iter().flatten().enumerate() {
            let cpath = format!("{path}.{list}[{i}]");
            errs.extend(validate_container(c, &cpath, &volumes, require_image));
            if let Some(n) = c["name"].as_str().filter(|n| !n.is_empty()) {
                if !seen_names.insert(n) {
                    errs.push(duplicate(format!("{cpath}.name"), &c["name"]));
                }
            }
        }
    }
    check_enum(
        &mut errs,
        spec,
        path,
        "restartPolicy",
        &["Always", "OnFailure", "Never"],
    );
    check_enum(
        &mut errs,
        spec,
        path,
        "dnsPolicy",
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    );
    if let Some(g) = spec["terminationGracePeriodSeconds"].as_i64() {
        if g < 0 {
            errs.push(FieldError::invalid(
                format!("{path}.terminationGracePeriodSeconds"),
                &Value::from(g),
                "must be greater than or equal to 0",
            ));
        }
    }
    if let Some(sa) = spec["serviceAccountName"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        errs.extend(names::invalid_each(
            &format!("{path}.serviceAccountName"),
            sa,
            names::dns1123_subdomain(sa),
        ));
    }
    errs
}

fn check_enum(errs: &mut Vec<FieldError>, obj: &Value, path: &str, field: &str, allowed: &[&str]) {
    if let Some(v) = obj[field].as_str() {
        if !allowed.contains(&v) {
            errs.push(FieldError::not_supported(
                format!("{path}.{field}"),
                &obj[field],
                allowed,
            ));
        }
    }
}

fn validate_container(
    c: &Value,
    path: &str,
    volumes: &[&str],
    require_image: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match c["name"].as_str() {
        None | Some("") => errs.push(FieldError::required(format!("{path}.name"), "")),
        Some(n) => errs.extend(names::invalid_each(
            &format!("{path}.name"),
            n,
            names::dns1123_label(n),
        )),
    }
    match c["image"].as_str() {
        None | Some("") if require_image => {
            errs.push(FieldError::required(format!("{path}.image"), ""))
        }
        Some(i) if i.trim() != i => errs.push(FieldError::invalid(
            format!("{path}.image"),
            &c["image"],
            "must not have leading or trailing whitespace",
        )),
        _ => {}
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let p = &c[probe];
        if p.is_object() {
            let handlers = ["exec", "httpGet", "tcpSocket", "grpc"]
                .iter()
                .filter(|h| !p[**h].is_null())
                .count();
            if handlers == 0 {
                errs.push(FieldError::required(
                    format!("{path}.{probe}"),
                    "must specify a handler type",
                ));
            } else if handlers > 1 {
                errs.push(FieldError::forbidden(
                    format!("{path}.{probe}"),
                    "may not specify more than 1 handler type",
                ));
            }
        }
    }
    check_enum(
        &mut errs,
        c,
        path,
        "imagePullPolicy",
        &["Always", "IfNotPresent", "Never"],
    );
    let mut seen_ports = HashSet::new();
    for (i, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
        let ppath = format!("{path}.ports[{i}]");
        match p["containerPort"].as_i64() {
            None | Some(0) => errs.push(FieldError::required(format!("{ppath}.containerPort"), "")),
            Some(n) if !(1..=65535).contains(&n) => errs.push(FieldError::invalid(
                format!("{ppath}.containerPort"),
                &p["containerPort"],
                "must be between 1 and 65535, inclusive",
            )),
            Some(_) => {}
        }
        check_enum(&mut errs, p, &ppath, "protocol", &["SCTP", "TCP", "UDP"]);
        if let Some(name) = p["name"].as_str() {
            if let Some(msg) = port_name_problem(name) {
                errs.push(FieldError::invalid(
                    format!("{ppath}.name"),
                    &p["name"],
                    &msg,
                ));
            } else if !seen_ports.insert(name) {
                errs.push(duplicate(format!("{ppath}.name"), &p["name"]));
            }
        }
    }
    for (i, e) in c["env"].as_array().into_iter().flatten().enumerate() {
        let field = format!("{path}.env[{i}].name");
        match e["name"].as_str() {
            None | Some("") => errs.push(FieldError::required(field, "")),
            Some(n) => errs.extend(names::invalid_each(&field, n, names::env_var_name(n))),
        }
    }
    let mut mount_paths = HashSet::new();
    for (i, m) in c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mpath = format!("{path}.volumeMounts[{i}]");
        match m["name"].as_str() {
            None | Some("") => errs.push(FieldError::required(format!("{mpath}.name"), "")),
            Some(n) if !volumes.contains(&n) => {
                errs.push(not_found(format!("{mpath}.name"), &m["name"]))
            }
            Some(_) => {}
        }
        match m["mountPath"].as_str() {
            None | Some("") => errs.push(FieldError::required(format!("{mpath}.mountPath"), "")),
            Some(p) => {
                if !mount_paths.insert(p) {
                    errs.push(FieldError::invalid(
                        format!("{mpath}.mountPath"),
                        &m["mountPath"],
                        "must be unique",
                    ));
                }
            }
        }
    }
    errs.extend(validate_resources(
        &c["resources"],
        &format!("{path}.resources"),
    ));
    errs
}

/// `IsValidPortName`: at most 15 characters, lowercase alphanumerics and '-', at least one letter.
fn port_name_problem(name: &str) -> Option<String> {
    if name.len() > 15 {
        return Some("must be no more than 15 characters".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into(),
        );
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some("must contain at least one letter (a-z)".into());
    }
    if name.contains("--") {
        return Some("must not contain consecutive hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not begin or end with a hyphen".into());
    }
    None
}

/// `ValidateResourceRequirements`: valid quantities, non-negative, requests ≤ limits.
pub fn validate_resources(res: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let parse_all = |kind: &str, errs: &mut Vec<FieldError>| {
        let mut out = Vec::new();
        for (name, q) in res[kind].as_object().into_iter().flatten() {
            let field = format!("{path}.{kind}[{name}]");
            let text = match q {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match Quantity::parse(&text) {
                Ok(parsed) if parsed.milli < 0 => errs.push(FieldError::invalid(
                    field,
                    &Value::String(parsed.to_string()),
                    "must be greater than or equal to 0",
                )),
                Ok(parsed) => out.push((name.clone(), parsed)),
                Err(msg) => errs.push(FieldError::invalid(field, q, msg)),
            }
        }
        out
    };
    let limits = parse_all("limits", &mut errs);
    let requests = parse_all("requests", &mut errs);
    for (name, req) in &requests {
        if let Some((_, lim)) = limits.iter().find(|(n, _)| n == name) {
            if req > lim {
                errs.push(FieldError::invalid(
                    format!("{path}.requests"),
                    &Value::String(req.to_string()),
                    &format!("must be less than or equal to {name} limit of {lim}"),
                ));
            }
        }
    }
    errs
}

const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodUpdate`: a pod's spec is immutable except images, activeDeadlineSeconds,
/// added tolerations and a few scheduling fields the control plane sets.
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut a = new["spec"].clone();
    let mut b = old["spec"].clone();
    for spec in [&mut a, &mut b] {
        for list in ["containers", "initContainers"] {
            for c in each_mut(spec, list) {
                c["image"] = Value::Null;
            }
        }
        if let Some(m) = spec.as_object_mut() {
            m.remove("activeDeadlineSeconds");
            m.remove("tolerations");
            m.remove("terminationGracePeriodSeconds");
            m.remove("schedulingGates");
        }
    }
    // nodeName may be set once (by binding), never changed.
    if old["spec"]["nodeName"].is_null() {
        a.as_object_mut().map(|m| m.remove("nodeName"));
        b.as_object_mut().map(|m| m.remove("nodeName"));
    }
    let mut errs = Vec::new();
    if a != b {
        errs.push(FieldError::forbidden("spec", POD_UPDATE_FORBIDDEN));
    }
    // Tolerations may only be added to.
    let old_tol = old["spec"]["tolerations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let new_tol = new["spec"]["tolerations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if errs.is_empty() && !old_tol.iter().all(|t| new_tol.contains(t)) {
        errs.push(FieldError::forbidden("spec", POD_UPDATE_FORBIDDEN));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::render).collect()
    }

    #[test]
    fn containers_are_required_and_checked() {
        assert_eq!(
            render(&validate_pod_spec(&json!({}), "spec", true)),
            ["spec.containers: Required value"]
        );
        let spec = json!({"containers": [
            {"name": "web", "image": "nginx", "ports": [{"containerPort": 70000, "protocol": "HTTP"}]},
            {"name": "web"},
            {"name": "Bad_Name", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}
        ], "restartPolicy": "Sometimes"});
        let msgs = render(&validate_pod_spec(&spec, "spec", true));
        assert!(msgs.contains(&"spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive".to_string()), "{msgs:?}");
        assert!(msgs.contains(&r#"spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#.to_string()));
        assert!(msgs.contains(&"spec.containers[1].image: Required value".to_string()));
        assert!(msgs.contains(&r#"spec.containers[1].name: Duplicate value: "web""#.to_string()));
        assert!(msgs.iter().any(|m| m.starts_with(
            r#"spec.containers[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label"#
        )));
        assert!(msgs.contains(
            &r#"spec.containers[2].volumeMounts[0].name: Not found: "data""#.to_string()
        ));
        assert!(msgs.contains(&r#"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#.to_string()));
    }

    #[test]
    fn images_and_probes() {
        let spec = json!({"containers": [{"name": "a", "image": " nginx", "livenessProbe": {"periodSeconds": 5}}]});
        assert_eq!(
            render(&validate_pod_spec(&spec, "spec", true)),
            [
                r#"spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace"#,
                "spec.containers[0].livenessProbe: Required value: must specify a handler type"
            ]
        );
    }

    #[test]
    fn requests_may_not_exceed_limits() {
        let res = json!({"requests": {"cpu": "2", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}});
        assert_eq!(
            render(&validate_resources(&res, "spec.containers[0].resources")),
            [
                r#"spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1"#
            ]
        );
        let bad = json!({"limits": {"memory": "lots"}});
        assert!(render(&validate_resources(&bad, "r"))[0]
            .starts_with(r#"r.limits[memory]: Invalid value: "lots": quantities must match"#));
    }

    #[test]
    fn pod_updates_may_only_change_images() {
        let old = json!({"spec": {"containers": [{"name": "c", "image": "a", "ports": [{"containerPort": 80}]}], "nodeName": "n"}});
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("b");
        assert!(validate_pod_update(&new, &old).is_empty());
        new["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(81);
        let errs = validate_pod_update(&new, &old);
        assert!(errs[0].render().starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"));
    }
}
