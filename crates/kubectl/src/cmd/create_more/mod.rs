//! The `kubectl create` generators beyond namespace/deployment/configmap/secret generic/
//! serviceaccount (upstream `pkg/cmd/create/create_*.go`): each builds the object kubectl's
//! generator builds, validates its flags with the same messages, then POSTs it (or prints it for
//! `--dry-run=client`).

mod batch;
mod go_json;
mod networking;
mod policy;
mod rbac;
mod secrets;
mod token;

use serde_json::{json, Map, Value};

use super::resources::post_generated;
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag, Parsed};
use crate::rest::percent_encode;
use crate::{printers, server_error, Output};

/// Flags every generator has (`PrintFlags`, `--dry-run`, `--save-config`, `--validate`,
/// `--field-manager`).
const COMMON: &[Flag] = &[
    v("output", Some('o')),
    v("template", None),
    b("allow-missing-template-keys", None),
    b("show-managed-fields", None),
    v("dry-run", None),
    b("save-config", None),
    v("validate", None),
    v("field-manager", None),
];

/// Runs `kubectl create SUB ...` for the generators this module owns; false when `sub` is not
/// one of them.
pub fn run(sub: &str, args: &[String], env: &mut Env, out: &mut Output) -> bool {
    if sub == "secret" {
        return secret(args, env, out);
    }
    let generator: fn(&Parsed, &mut Env, &mut Output) = match sub {
        "job" => batch::job,
        "cronjob" | "cj" => batch::cronjob,
        "role" => rbac::role,
        "clusterrole" => rbac::cluster_role,
        "rolebinding" => rbac::role_binding,
        "clusterrolebinding" => rbac::cluster_role_binding,
        "ingress" | "ing" => networking::ingress,
        "quota" | "resourcequota" => policy::quota,
        "poddisruptionbudget" | "pdb" => policy::pod_disruption_budget,
        "priorityclass" | "pc" => policy::priority_class,
        "token" => token::token,
        _ => return false,
    };
    let name = canonical_name(sub);
    // `create token` prints its TokenRequest but has no --dry-run or --save-config.
    let common = if name == "token" {
        &COMMON[..4]
    } else {
        COMMON
    };
    let flags = [common, flags_of(name)].concat();
    let Some(p) = parse_flags(&format!("create {name}"), args, &flags, out) else {
        return true;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    if let Some(missing) = missing_required(name, &p) {
        out.fail(format!("error: required flag(s) {missing} not set"));
        return true;
    }
    generator(&p, env, out);
    true
}

/// `kubectl create secret docker-registry|tls`; `generic` stays with the older generators.
fn secret(args: &[String], env: &mut Env, out: &mut Output) -> bool {
    let (kind, generator, flags): (_, fn(&Parsed, &mut Env, &mut Output), _) =
        match args.get(1).map(String::as_str) {
            Some("docker-registry") => (
                "docker-registry",
                secrets::docker_registry as fn(&Parsed, &mut Env, &mut Output),
                secrets::DOCKER_REGISTRY_FLAGS,
            ),
            Some("tls") => ("tls", secrets::tls, secrets::TLS_FLAGS),
            _ => return false,
        };
    let flags = [COMMON, flags].concat();
    // Parse without the `secret` word, so the kind is the generator's own name.
    let Some(p) = parse_flags(&format!("create secret {kind}"), &args[1..], &flags, out) else {
        return true;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    generator(&p, env, out);
    true
}

/// The name cobra reports for a generator reached through an alias.
fn canonical_name(sub: &str) -> &'static str {
    match sub {
        "job" => "job",
        "cronjob" | "cj" => "cronjob",
        "role" => "role",
        "clusterrole" => "clusterrole",
        "rolebinding" => "rolebinding",
        "clusterrolebinding" => "clusterrolebinding",
        "ingress" | "ing" => "ingress",
        "quota" | "resourcequota" => "quota",
        "poddisruptionbudget" | "pdb" => "poddisruptionbudget",
        "priorityclass" | "pc" => "priorityclass",
        _ => "token",
    }
}

fn flags_of(name: &str) -> &'static [Flag] {
    match name {
        "job" => batch::JOB_FLAGS,
        "cronjob" => batch::CRONJOB_FLAGS,
        "role" => rbac::ROLE_FLAGS,
        "clusterrole" => rbac::CLUSTER_ROLE_FLAGS,
        "rolebinding" => rbac::ROLE_BINDING_FLAGS,
        "clusterrolebinding" => rbac::CLUSTER_ROLE_BINDING_FLAGS,
        "ingress" => networking::INGRESS_FLAGS,
        "quota" => policy::QUOTA_FLAGS,
        "poddisruptionbudget" => policy::PDB_FLAGS,
        "priorityclass" => policy::PRIORITY_CLASS_FLAGS,
        _ => token::TOKEN_FLAGS,
    }
}

/// cobra's `MarkFlagRequired` check, which runs before the command: the missing flags in name
/// order, quoted and comma-separated.
fn missing_required(name: &str, p: &Parsed) -> Option<String> {
    let required: &[&str] = match name {
        "cronjob" => &["image", "schedule"],
        "clusterrolebinding" => &["clusterrole"],
        _ => &[],
    };
    let missing: Vec<String> = required
        .iter()
        .filter(|f| !p.has(f))
        .map(|f| format!("\"{f}\""))
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// `NameFromCommandArgs`: exactly one positional NAME before any `--`.
fn name_arg(p: &Parsed, command: &str, out: &mut Output) -> Option<String> {
    // `p.args[0]` is the generator's own name (`job`); a command after `--` is not a NAME.
    let after = p.after_dash.as_ref().map_or(0, Vec::len);
    let names = &p.args[1.min(p.args.len())..p.args.len() - after];
    if names.len() != 1 {
        out.fail(format!(
            "error: exactly one NAME is required, got {}\nSee 'kubectl create {command} -h' for help and examples",
            names.len()
        ));
        return None;
    }
    Some(names[0].clone())
}

/// A comma-separated, repeatable flag (pflag's `StringSlice`).
fn slice(p: &Parsed, flag: &str) -> Vec<String> {
    p.all(flag)
        .iter()
        .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Where a generated object goes: its plural and whether it lives in a namespace. Kept here
/// rather than asked of discovery, like the typed clients kubectl's generators use (so a kind
/// the server does not serve fails on the POST, as it does for kubectl).
struct Target {
    plural: &'static str,
    namespaced: bool,
    /// What the generator puts before a server error (`failed to create job: `), if anything;
    /// without it the error prints as `Error from server (Reason): ...`.
    failure: Option<&'static str>,
}

/// POSTs a generated object (or prints it for `--dry-run=client`) and reports like kubectl:
/// `role.rbac.authorization.k8s.io/x created`, or the object in the `-o` format.
fn send(p: &Parsed, env: &mut Env, out: &mut Output, obj: Value, target: Target) {
    let api_version = obj["apiVersion"].as_str().unwrap_or("v1").to_string();
    let kind = obj["kind"].as_str().unwrap_or("").to_string();
    let group = api_version
        .split_once('/')
        .map_or("", |(g, _)| g)
        .to_string();
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let dry = p.get("dry-run").unwrap_or("none");
    let mut shown = obj;
    if dry != "client" {
        let base = if group.is_empty() {
            format!("/api/{api_version}")
        } else {
            format!("/apis/{api_version}")
        };
        let ns = if target.namespaced {
            format!("/namespaces/{}", env.namespace)
        } else {
            String::new()
        };
        let manager = p.get("field-manager").unwrap_or("kubectl-create");
        let dry_q = if dry == "server" { "&dryRun=All" } else { "" };
        let path = format!(
            "{base}{ns}/{}?fieldManager={}&fieldValidation=Strict{dry_q}",
            target.plural,
            percent_encode(manager)
        );
        let resp = env.transport.call(super::resources::json_request(
            "POST",
            path,
            "application/json",
            &shown,
        ));
        if resp.status >= 400 {
            let error = match target.failure {
                Some(what) => {
                    let message = resp
                        .body_json()
                        .and_then(|b| b["message"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    format!("error: {what}{message}")
                }
                None => server_error(&resp),
            };
            out.fail(error);
            return;
        }
        if let Some(created) = resp.body_json() {
            shown = created;
        }
    }
    let resource = if group.is_empty() {
        kind.to_lowercase()
    } else {
        format!("{}.{group}", kind.to_lowercase())
    };
    match p.get("output") {
        Some("yaml") => out.stdout.push_str(&printers::yaml::to_string(&shown)),
        // A client dry run prints kubectl's own typed object, in its Go field order. (A
        // server's answer has many more fields; those stay sorted.)
        Some("json") if dry == "client" && go_json::knows(&kind) => {
            out.stdout.push_str(&go_json::to_string(&shown))
        }
        Some("json") => out.stdout.push_str(&printers::json::to_string(&shown)),
        Some("name") => out.stdout.push_str(&format!("{resource}/{name}\n")),
        _ => {
            let suffix = match dry {
                "client" => " (dry run)",
                "server" => " (server dry run)",
                _ => "",
            };
            out.stdout
                .push_str(&format!("{resource}/{name} created{suffix}\n"));
        }
    }
}

/// POSTs an object made by one of the older generators in `resources.rs` with the wording
/// its upstream command uses for server errors (`failed to create deployment: ...`).
pub fn create_generated(
    p: &Parsed,
    env: &mut Env,
    out: &mut Output,
    obj: Value,
    failure: Option<&'static str>,
) {
    let Some(m) = super::resources::mapping_for(env, &obj) else {
        return post_generated(p, env, out, obj, "kubectl-create", "created");
    };
    // The typed clients' resource names are static; leak-free lookup through the registry of
    // plurals kubectl's generators use.
    let plural: &'static str = match m.plural.as_str() {
        "deployments" => "deployments",
        "configmaps" => "configmaps",
        "secrets" => "secrets",
        "serviceaccounts" => "serviceaccounts",
        "services" => "services",
        "namespaces" => "namespaces",
        _ => return post_generated(p, env, out, obj, "kubectl-create", "created"),
    };
    let target = Target {
        plural,
        namespaced: m.namespaced,
        failure,
    };
    send(p, env, out, obj, target);
}

/// `metadata` with `creationTimestamp: null`, as a typed object serialises, plus the namespace
/// when one was given on the command line (`EnforceNamespace`).
fn metadata(name: &str, env: &Env) -> Value {
    let mut meta = json!({"name": name, "creationTimestamp": null});
    if env.explicit_namespace {
        meta["namespace"] = json!(env.namespace);
    }
    meta
}

/// `kubectl create service TYPE NAME --tcp=port[:targetPort]...`.
pub fn service(p: &Parsed, env: &mut Env, out: &mut Output) {
    let kind = p.args.get(1).map(String::as_str).unwrap_or("");
    let service_type = match kind {
        "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "loadbalancer" => "LoadBalancer",
        "externalname" => "ExternalName",
        "" => {
            out.stdout
                .push_str(super::help::text("create service").unwrap_or(""));
            return;
        }
        _ => {
            let words = p.args[1..].join(" ");
            out.fail(format!(
                "error: unknown command \"{words}\"\nSee 'kubectl create service -h' for help and examples"
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
    let external_name = p.get("external-name").unwrap_or("");
    if service_type == "ExternalName" && external_name.is_empty() {
        out.fail("error: required flag(s) \"external-name\" not set");
        return;
    }
    match service_object(&name, service_type, &tcp, node_port) {
        Ok(mut obj) => {
            if service_type == "ExternalName" {
                obj["spec"]["externalName"] = json!(external_name);
                if tcp.is_empty() {
                    obj["spec"].as_object_mut().expect("spec").remove("ports");
                }
            }
            let failure = match service_type {
                "NodePort" => "failed to create NodePort service: ",
                "LoadBalancer" => "failed to create LoadBalancer service: ",
                "ExternalName" => "failed to create ExternalName service: ",
                _ => "failed to create ClusterIP service: ",
            };
            create_generated(p, env, out, obj, Some(failure))
        }
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
