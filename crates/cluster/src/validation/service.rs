//! Service validation (`ValidateService`, `ValidateServiceUpdate`).

use std::collections::HashSet;

use serde_json::Value;

use super::duplicate;
use crate::status::FieldError;

pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i64> = 30000..=32767;

pub fn validate_service(obj: &Value) -> Vec<FieldError> {
    let spec = &obj["spec"];
    let mut errs = Vec::new();
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !types.contains(&ty) {
        errs.push(FieldError::not_supported(
            "spec.type",
            &spec["type"],
            &types,
        ));
    }
    let headless = spec["clusterIP"] == "None";
    let ports = spec["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    if ty == "ExternalName" && spec["externalName"].as_str().is_none_or(str::is_empty) {
        errs.push(FieldError::required("spec.externalName", ""));
    }
    let mut names = HashSet::new();
    let mut seen = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        match p["name"].as_str() {
            None | Some("") if ports.len() > 1 => {
                errs.push(FieldError::required(format!("{path}.name"), ""))
            }
            Some(n) if !n.is_empty() && !names.insert(n.to_string()) => {
                errs.push(duplicate(format!("{path}.name"), &p["name"]));
            }
            _ => {}
        }
        match p["port"].as_i64() {
            None | Some(0) => errs.push(FieldError::required(format!("{path}.port"), "")),
            Some(n) if !(1..=65535).contains(&n) => errs.push(FieldError::invalid(
                format!("{path}.port"),
                &p["port"],
                "must be between 1 and 65535, inclusive",
            )),
            Some(_) => {}
        }
        let protocol = p["protocol"].as_str().unwrap_or("TCP");
        if !["SCTP", "TCP", "UDP"].contains(&protocol) {
            errs.push(FieldError::not_supported(
                format!("{path}.protocol"),
                &p["protocol"],
                &["SCTP", "TCP", "UDP"],
            ));
        }
        if !seen.insert((p["port"].as_i64(), protocol.to_string())) {
            errs.push(duplicate(
                path.clone(),
                &Value::String(format!(
                    "core.ServicePort{{Name:\"\", Protocol:\"{protocol}\", Port:{}}}",
                    p["port"]
                )),
            ));
        }
        if let Some(n) = p["targetPort"].as_i64() {
            if !(1..=65535).contains(&n) {
                errs.push(FieldError::invalid(
                    format!("{path}.targetPort"),
                    &p["targetPort"],
                    "must be between 1 and 65535, inclusive",
                ));
            }
        }
        if let Some(np) = p["nodePort"].as_i64().filter(|n| *n != 0) {
            if ty == "ClusterIP" {
                errs.push(FieldError::forbidden(
                    format!("{path}.nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else if !NODE_PORT_RANGE.contains(&np) {
                errs.push(FieldError::invalid(
                    format!("{path}.nodePort"),
                    &p["nodePort"],
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
        }
    }
    errs
}

pub fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let (n, o) = (&new["spec"]["clusterIP"], &old["spec"]["clusterIP"]);
    // Changing type to ExternalName clears the IP; anything else keeps it.
    if !o.is_null() && o != "" && !n.is_null() && n != o && new["spec"]["type"] != "ExternalName" {
        return vec![FieldError::invalid(
            "spec.clusterIPs[0]",
            n,
            "may not change once set",
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::render).collect()
    }

    #[test]
    fn ports_names_and_node_ports() {
        assert_eq!(
            render(&validate_service(&json!({"spec": {}}))),
            ["spec.ports: Required value"]
        );
        assert!(validate_service(&json!({"spec": {"clusterIP": "None"}})).is_empty());
        let svc = json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}, {"name": "b", "port": 81}]}});
        assert_eq!(
            render(&validate_service(&svc)),
            [
                "spec.ports[0].name: Required value",
                "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
            ]
        );
        let bad = json!({"spec": {"type": "Weird", "ports": [{"port": 80}]}});
        assert_eq!(
            render(&validate_service(&bad)),
            [
                r#"spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#
            ]
        );
    }

    #[test]
    fn cluster_ip_may_not_change() {
        let old = json!({"spec": {"clusterIP": "10.96.0.5"}});
        let new = json!({"spec": {"clusterIP": "10.96.0.6"}});
        assert_eq!(
            render(&validate_service_update(&new, &old)),
            [r#"spec.clusterIPs[0]: Invalid value: "10.96.0.6": may not change once set"#]
        );
    }
}
