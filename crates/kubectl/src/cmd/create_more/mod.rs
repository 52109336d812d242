//! More `kubectl create` generators: `create service clusterip|nodeport` (upstream
//! `pkg/cmd/create/create_service.go`).

use serde_json::{json, Map, Value};

use super::resources::post_generated;
use super::Env;
use crate::flags::Parsed;
use crate::Output;

/// `kubectl create service TYPE NAME --tcp=port[:targetPort]...`.
pub fn service(p: &Parsed, env: &mut Env, out: &mut Output) {
    let kind = p.args.get(1).map(String::as_str).unwrap_or("");
    let service_type = match kind {
        "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "" => {
            out.stdout
                .push_str(super::help::text("create service").unwrap_or(""));
            return;
        }
        other => {
            out.fail(format!(
                "error: \"kubectl create service {other}\" is not emulated in this terminal yet; the real kubectl can run it against this session"
            ));
            return;
        }
    };
    let Some(name) = p.args.get(2).cloned() else {
        out.fail(format!(
            "error: exactly one NAME is required, got 0\nSee 'kubectl create service {kind} -h' for help and examples"
        ));
        return;
    };
    let tcp: Vec<String> = p
        .all("tcp")
        .iter()
        .flat_map(|t| t.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let node_port: Option<i64> = p.get("node-port").and_then(|n| n.parse().ok());
    match service_object(&name, service_type, &tcp, node_port) {
        Ok(obj) => post_generated(p, env, out, obj, "kubectl-create", "created"),
        Err(e) => out.fail(format!("error: {e}")),
    }
}

/// The Service `ServiceOptions.createService` builds.
fn service_object(
    name: &str,
    service_type: &str,
    tcp: &[String],
    node_port: Option<i64>,
) -> Result<Value, String> {
    let mut ports = Vec::new();
    for spec in tcp {
        let (port, target) = spec.split_once(':').unwrap_or((spec, spec));
        let port_n: i64 = port
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing \"{port}\": invalid syntax"))?;
        let target_v = match target.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(target),
        };
        let mut sp = Map::new();
        sp.insert("name".into(), json!(spec.replace(':', "-")));
        sp.insert("protocol".into(), json!("TCP"));
        sp.insert("port".into(), json!(port_n));
        sp.insert("targetPort".into(), target_v);
        if let Some(np) = node_port.filter(|_| service_type == "NodePort") {
            sp.insert("nodePort".into(), json!(np));
        }
        ports.push(Value::Object(sp));
    }
    Ok(json!({
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": null, "labels": {"app": name}},
        "spec": {"ports": ports, "selector": {"app": name}, "type": service_type},
        "status": {"loadBalancer": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_named_after_the_tcp_spec() {
        let svc = service_object("my-np", "NodePort", &["80:8080".into()], Some(30080)).unwrap();
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080}])
        );
        assert_eq!(svc["spec"]["selector"], json!({"app": "my-np"}));
        assert!(service_object("x", "ClusterIP", &["http".into()], None).is_err());
    }
}
