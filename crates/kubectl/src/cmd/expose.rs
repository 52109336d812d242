//! `kubectl expose`: a Service in front of a pod, Deployment, ReplicaSet, ReplicationController
//! or Service, after upstream `pkg/cmd/expose/expose.go`.

use serde_json::{json, Map, Value};

use super::resources::{post_generated, set_namespace, type_names};
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag};
use crate::rest::Request;
use crate::{server_error, Output};

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("port", None),
        v("target-port", None),
        v("protocol", None),
        v("type", None),
        v("name", None),
        v("selector", None),
        v("labels", Some('l')),
        v("external-ip", None),
        v("cluster-ip", None),
        v("load-balancer-ip", None),
        v("session-affinity", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("filename", Some('f')),
        v("field-manager", None),
        v("override-type", None),
        v("overrides", None),
        b("recursive", Some('R')),
        b("save-config", None),
        b("allow-missing-template-keys", None),
        b("show-managed-fields", None),
        v("template", None),
    ];
    let Some(p) = parse_flags("expose", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    if p.args.is_empty() {
        out.fail("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
        return;
    }
    let Some(list) = type_names(&p.args, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    for (m, name) in list {
        let resp = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let obj = resp.body_json().unwrap_or_default();
        match service_for(&m.kind, &obj, &p) {
            Ok(svc) => post_generated(&p, env, out, svc, "kubectl-expose", "exposed"),
            Err(e) => out.fail(format!("error: {e}")),
        }
    }
}

/// The pod template's (or pod's) containers of an exposable object.
fn containers(kind: &str, obj: &Value) -> Vec<Value> {
    let spec = match kind {
        "Pod" => &obj["spec"],
        _ => &obj["spec"]["template"]["spec"],
    };
    spec["containers"].as_array().cloned().unwrap_or_default()
}

/// The Service `kubectl expose` generates for `obj` (upstream `ServiceGeneratorV2` and
/// `createService`).
fn service_for(kind: &str, obj: &Value, p: &crate::flags::Parsed) -> Result<Value, String> {
    let name = p
        .get("name")
        .or(obj["metadata"]["name"].as_str())
        .unwrap_or("")
        .to_string();
    let selector: Map<String, Value> = match kind {
        _ if p.has("selector") => parse_pairs(p.get("selector").unwrap_or(""))?,
        "Pod" => obj["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        "Service" => obj["spec"]["selector"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        "ReplicationController" => obj["spec"]["selector"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        "Deployment" | "ReplicaSet" => {
            if obj["spec"]["selector"]["matchExpressions"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
            {
                return Err(format!(
                    "couldn't convert expressions - \"{}\" to map-based selector format",
                    "matchExpressions"
                ));
            }
            obj["spec"]["selector"]["matchLabels"]
                .as_object()
                .cloned()
                .unwrap_or_default()
        }
        _ => return Err(format!("cannot expose a {kind}")),
    };
    let labels: Map<String, Value> = match p.get("labels") {
        Some(l) => parse_pairs(l)?,
        None => obj["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    // Ports: --port, else the exposed object's (its container ports, or a Service's ports).
    let mut ports: Vec<(i64, String)> = Vec::new();
    if let Some(port) = p.get("port") {
        let n: i64 = port
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing \"{port}\": invalid syntax"))?;
        ports.push((n, p.get("protocol").unwrap_or("TCP").to_string()));
    } else if kind == "Service" {
        for sp in obj["spec"]["ports"].as_array().into_iter().flatten() {
            ports.push((
                sp["port"].as_i64().unwrap_or(0),
                sp["protocol"].as_str().unwrap_or("TCP").to_string(),
            ));
        }
    } else {
        for c in containers(kind, obj) {
            for cp in c["ports"].as_array().into_iter().flatten() {
                ports.push((
                    cp["containerPort"].as_i64().unwrap_or(0),
                    p.get("protocol")
                        .or(cp["protocol"].as_str())
                        .unwrap_or("TCP")
                        .to_string(),
                ));
            }
        }
    }
    if ports.is_empty() {
        return Err(format!(
            "couldn't find port via --port flag or introspection"
        ));
    }
    let target = p.get("target-port").map(|t| match t.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(t),
    });
    let many = ports.len() > 1;
    let service_ports: Vec<Value> = ports
        .iter()
        .enumerate()
        .map(|(i, (port, protocol))| {
            let mut sp = Map::new();
            if many {
                sp.insert("name".into(), json!(format!("port-{}", i + 1)));
            }
            sp.insert("protocol".into(), json!(protocol));
            sp.insert("port".into(), json!(port));
            sp.insert("targetPort".into(), target.clone().unwrap_or(json!(port)));
            Value::Object(sp)
        })
        .collect();
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels));
    }
    let mut spec = Map::new();
    spec.insert("ports".into(), json!(service_ports));
    spec.insert("selector".into(), Value::Object(selector));
    if let Some(t) = p.get("type") {
        spec.insert("type".into(), json!(t));
    }
    if let Some(ip) = p.get("cluster-ip") {
        spec.insert("clusterIP".into(), json!(ip));
    }
    if let Some(a) = p.get("session-affinity") {
        spec.insert("sessionAffinity".into(), json!(a));
    }
    Ok(json!({
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": metadata,
        "spec": spec,
        "status": {"loadBalancer": {}},
    }))
}

/// `a=b,c=d` (labels and selectors as flags).
fn parse_pairs(text: &str) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    for pair in text.split(',') {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(format!("invalid label spec: {pair}"));
        };
        m.insert(k.to_string(), json!(v));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;

    fn parsed(args: &[&str]) -> flags::Parsed {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        flags::parse(
            &args,
            &[
                v("port", None),
                v("target-port", None),
                v("type", None),
                v("name", None),
                v("protocol", None),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_deployment_is_exposed_on_its_selector_and_container_ports() {
        let d = json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}]}]}}}});
        let svc = service_for("Deployment", &d, &parsed(&[])).unwrap();
        assert_eq!(
            svc["metadata"],
            json!({"name": "web", "labels": {"app": "web"}})
        );
        assert_eq!(svc["spec"]["selector"], json!({"app": "web"}));
        assert_eq!(
            svc["spec"]["ports"][1],
            json!({"name": "port-2", "protocol": "TCP", "port": 443, "targetPort": 443})
        );
        let svc = service_for(
            "Deployment",
            &d,
            &parsed(&[
                "--port=8080",
                "--target-port=http",
                "--type=NodePort",
                "--name=np",
            ]),
        )
        .unwrap();
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"protocol": "TCP", "port": 8080, "targetPort": "http"}])
        );
        assert_eq!(svc["spec"]["type"], "NodePort");
        assert_eq!(svc["metadata"]["name"], "np");
    }

    #[test]
    fn no_port_anywhere_is_an_error() {
        let pod = json!({"metadata": {"name": "p", "labels": {"run": "p"}}, "spec": {"containers": [{"name": "c"}]}});
        assert_eq!(
            service_for("Pod", &pod, &parsed(&[])).unwrap_err(),
            "couldn't find port via --port flag or introspection"
        );
    }
}
