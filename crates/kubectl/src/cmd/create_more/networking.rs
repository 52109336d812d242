//! `kubectl create ingress` (`create_ingress.go`).

use regex::Regex;
use serde_json::{json, Map, Value};

use super::{metadata, name_arg, send, Target};
use crate::cmd::Env;
use crate::flags::{v, Flag, Parsed};
use crate::Output;

pub const INGRESS_FLAGS: &[Flag] = &[
    v("rule", None),
    v("class", None),
    v("default-backend", None),
    v("annotation", None),
];

/// `host/path=service:port[,tls[=secret]]`: the host may be empty or a wildcard, the path
/// starts with `/`, and a trailing `*` makes it a prefix.
const RULE: &str = r"^(?P<host>[\w\*\-\.]*)(?P<path>/.*)=(?P<svcname>[\w\-]+):(?P<svcport>[\w\-]+)(,(?P<istls>tls)=?(?P<secretname>[\w\-]+)?)?$";

/// Checks the flags with `CreateIngressOptions.Validate`'s messages.
fn validate(rules: &[String], annotations: &[String], default_backend: &str) -> Result<(), String> {
    if default_backend.is_empty() && rules.is_empty() {
        return Err("not enough information provided: every ingress has to either specify a default-backend (which catches all traffic) or a list of rules (which catch specific paths)".into());
    }
    let re = Regex::new(RULE).expect("rule pattern");
    if let Some(bad) = rules.iter().find(|r| !re.is_match(r)) {
        return Err(format!(
            "rule {bad} is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"
        ));
    }
    if let Some(bad) = annotations.iter().find(|a| !a.contains('=')) {
        return Err(format!(
            "annotation {bad} is invalid and should be in format key=[value]"
        ));
    }
    if !default_backend.is_empty() && default_backend.split(':').count() != 2 {
        return Err("default-backend should be in format servicename:serviceport".into());
    }
    Ok(())
}

/// `service:port` as an `IngressBackend`; a numeric port is a number, anything else a name.
fn backend(service: &str) -> Value {
    let (name, port) = service.split_once(':').unwrap_or((service, ""));
    let port = match port.parse::<i64>() {
        Ok(n) => json!({"number": n}),
        Err(_) => json!({"name": port}),
    };
    json!({"service": {"name": name, "port": port}})
}

/// `buildHTTPIngressPath`: paths are Exact unless they end in `*`.
fn http_path(path_and_service: &str) -> Value {
    let (path, service) = path_and_service
        .split_once('=')
        .unwrap_or((path_and_service, ""));
    let mut path = format!("/{path}");
    let mut path_type = "Exact";
    if path.ends_with('*') {
        path.pop();
        path_type = "Prefix";
    }
    json!({"path": path, "pathType": path_type, "backend": backend(service)})
}

/// `buildIngressRules`: one rule per host, paths in the order given.
fn ingress_rules(rules: &[String]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for rule in rules {
        let without_tls = rule.split(',').next().unwrap_or(rule);
        let (host, rest) = without_tls.split_once('/').unwrap_or((without_tls, ""));
        let path = http_path(rest);
        if let Some(existing) = out
            .iter_mut()
            .find(|r| r["host"].as_str().unwrap_or("") == host)
        {
            existing["http"]["paths"]
                .as_array_mut()
                .expect("paths")
                .push(path);
            continue;
        }
        let mut r = json!({"http": {"paths": [path]}});
        if !host.is_empty() {
            r["host"] = json!(host);
        }
        out.push(r);
    }
    out
}

/// `buildTLSRules`: each host once, hosts sharing a secret grouped under it.
fn tls_rules(rules: &[String]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for rule in rules {
        let parts: Vec<&str> = rule.split(',').collect();
        if parts.len() != 2 {
            continue;
        }
        let host = rule
            .split('=')
            .next()
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        let secret = parts[1].split_once('=').map_or("", |(_, s)| s);
        if seen.contains(&host) {
            continue;
        }
        seen.push(host.clone());
        if let Some(entry) = out
            .iter_mut()
            .find(|t| t["secretName"].as_str().unwrap_or("") == secret)
        {
            match entry["hosts"].as_array_mut() {
                Some(hosts) => hosts.push(json!(host)),
                None => entry["hosts"] = json!([host]),
            }
            continue;
        }
        let mut t = Map::new();
        if !host.is_empty() {
            t.insert("hosts".into(), json!([host]));
        }
        if !secret.is_empty() {
            t.insert("secretName".into(), json!(secret));
        }
        out.push(Value::Object(t));
    }
    out
}

/// `kubectl create ingress NAME --rule=host/path=svc:port[,tls[=secret]] [--class] [--default-backend] [--annotation]`.
pub fn ingress(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "ingress", out) else {
        return;
    };
    let rules = p.all("rule");
    let annotations = p.all("annotation");
    let default_backend = p.get("default-backend").unwrap_or("");
    if let Err(e) = validate(&rules, &annotations, default_backend) {
        out.fail(format!("error: {e}"));
        return;
    }
    let mut spec = Map::new();
    if let Some(class) = p.get("class").filter(|c| !c.is_empty()) {
        spec.insert("ingressClassName".into(), json!(class));
    }
    if !default_backend.is_empty() {
        spec.insert("defaultBackend".into(), backend(default_backend));
    }
    let tls = tls_rules(&rules);
    if !tls.is_empty() {
        spec.insert("tls".into(), json!(tls));
    }
    let ingress_rules = ingress_rules(&rules);
    if !ingress_rules.is_empty() {
        spec.insert("rules".into(), json!(ingress_rules));
    }
    let mut meta = metadata(&name, env);
    if !annotations.is_empty() {
        let mut map = Map::new();
        for a in &annotations {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            map.insert(k.to_string(), json!(v));
        }
        meta["annotations"] = Value::Object(map);
    }
    let obj = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": spec,
        "status": {"loadBalancer": {}},
    });
    let target = Target {
        plural: "ingresses",
        namespaced: true,
        failure: Some("failed to create ingress: "),
    };
    send(p, env, out, obj, target);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_group_paths_by_host_and_star_means_prefix() {
        let rules = vec![
            "a.com/api*=api:http,tls=cert".to_string(),
            "a.com/=web:80".to_string(),
            "/other=o:8080".to_string(),
        ];
        assert_eq!(
            ingress_rules(&rules),
            json!([
                {"host": "a.com", "http": {"paths": [
                    {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"name": "http"}}}},
                    {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}},
                {"http": {"paths": [
                    {"path": "/other", "pathType": "Exact", "backend": {"service": {"name": "o", "port": {"number": 8080}}}}]}}
            ])
            .as_array()
            .unwrap()
            .clone()
        );
        assert_eq!(
            tls_rules(&rules),
            vec![json!({"hosts": ["a.com"], "secretName": "cert"})]
        );
    }

    #[test]
    fn validation_messages_are_kubectls() {
        assert!(validate(&[], &[], "")
            .unwrap_err()
            .starts_with("not enough information"));
        assert_eq!(
            validate(&["bad".into()], &[], "").unwrap_err(),
            "rule bad is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"
        );
        assert!(validate(&["foo.com/bar=svc:80,tls".into()], &[], "").is_ok());
        assert!(validate(&[], &[], "svc:80").is_ok());
    }
}
