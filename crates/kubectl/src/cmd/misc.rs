//! Commands about the client and the server rather than about objects: version, api-resources,
//! api-versions, cluster-info (and config, in `kubeconfig.rs`).

use serde_json::Value;

use super::{parse_flags, Env};
use crate::discovery::AGGREGATED_ACCEPT;
use crate::flags::{b, v, Flag};
use crate::printers::tabwriter;
use crate::rest::Request;
use crate::Output;

pub fn run(command: &str, args: &[String], env: &mut Env, out: &mut Output) {
    match command {
        "version" => version(args, env, out),
        "api-resources" => api_resources(args, env, out),
        "api-versions" => api_versions(args, env, out),
        "cluster-info" => cluster_info(args, env, out),
        "config" => super::kubeconfig::run(args, env, out),
        _ => {}
    }
}

fn version(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[b("client", None), v("output", Some('o'))];
    let Some(p) = parse_flags("version", args, F, out) else {
        return;
    };
    let client = "Client Version: v1.33.1\nKustomize Version: v5.6.0\n";
    if p.bool("client") {
        out.stdout.push_str(client);
        return;
    }
    let resp = env
        .transport
        .call(Request::get("/version").header("accept", "application/json, */*"));
    let server = resp.body_json().unwrap_or_default();
    out.stdout.push_str(client);
    out.stdout.push_str(&format!(
        "Server Version: {}\n",
        server["gitVersion"].as_str().unwrap_or("")
    ));
}

fn api_resources(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("output", Some('o')),
        b("namespaced", None),
        v("api-group", None),
        b("no-headers", None),
        v("verbs", None),
        v("categories", None),
        v("sort-by", None),
        b("cached", None),
    ];
    let Some(p) = parse_flags("api-resources", args, F, out) else {
        return;
    };
    let disc = env.discovery().clone();
    let mut rows = Vec::new();
    for m in &disc.mappings {
        if m.plural.contains('/') {
            continue;
        }
        if let Some(ns) = p.get("namespaced") {
            if (ns != "false") != m.namespaced {
                continue;
            }
        }
        if let Some(g) = p.get("api-group") {
            if g != m.group {
                continue;
            }
        }
        if let Some(vs) = p.get("verbs") {
            if !vs.split(',').all(|v| m.verbs.iter().any(|x| x == v)) {
                continue;
            }
        }
        rows.push(m);
    }
    let output = p.get("output").unwrap_or("");
    if output == "name" {
        for m in rows {
            out.stdout.push_str(&m.qualified_plural());
            out.stdout.push('\n');
        }
        return;
    }
    let wide = output == "wide";
    let mut text = String::new();
    if !p.bool("no-headers") {
        text.push_str("NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND");
        if wide {
            text.push_str("\tVERBS\tCATEGORIES");
        }
        text.push('\n');
    }
    for m in rows {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}",
            m.plural,
            m.short_names.join(","),
            m.api_version(),
            m.namespaced,
            m.kind
        ));
        if wide {
            text.push_str(&format!(
                "\t{}\t{}",
                m.verbs.join(","),
                m.categories.join(",")
            ));
        }
        text.push('\n');
    }
    out.stdout
        .push_str(&tabwriter::align(tabwriter::GET, &text));
}

fn api_versions(args: &[String], env: &mut Env, out: &mut Output) {
    if parse_flags("api-versions", args, &[], out).is_none() {
        return;
    }
    let mut versions: Vec<String> = Vec::new();
    for path in ["/api", "/apis"] {
        let resp = env
            .transport
            .call(Request::get(path).header("accept", AGGREGATED_ACCEPT));
        let doc: Value = resp.body_json().unwrap_or_default();
        for g in doc["items"].as_array().into_iter().flatten() {
            let name = g["metadata"]["name"].as_str().unwrap_or("");
            for v in g["versions"].as_array().into_iter().flatten() {
                let ver = v["version"].as_str().unwrap_or("");
                versions.push(if name.is_empty() {
                    ver.to_string()
                } else {
                    format!("{name}/{ver}")
                });
            }
        }
    }
    versions.sort();
    for v in versions {
        out.stdout.push_str(&v);
        out.stdout.push('\n');
    }
}

fn cluster_info(args: &[String], env: &mut Env, out: &mut Output) {
    if parse_flags("cluster-info", args, &[], out).is_none() {
        return;
    }
    let server = env.config.server.clone();
    // go-colortext colours these only on a terminal; the shell's output is compared as a pipe.
    out.stdout.push_str(&format!(
        "Kubernetes control plane is running at {server}\n"
    ));
    let resp = env.transport.call(
        Request::get("/api/v1/namespaces/kube-system/services?labelSelector=kubernetes.io%2Fcluster-service%3Dtrue")
            .header("accept", "application/json, */*"),
    );
    for svc in resp.body_json().unwrap_or_default()["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = svc["metadata"]["labels"]["kubernetes.io/name"]
            .as_str()
            .or(svc["metadata"]["name"].as_str())
            .unwrap_or("");
        let svc_name = svc["metadata"]["name"].as_str().unwrap_or("");
        let port_name = svc["spec"]["ports"][0]["name"].as_str().unwrap_or("");
        let port = if port_name.is_empty() {
            String::new()
        } else {
            format!(":{port_name}")
        };
        out.stdout.push_str(&format!(
            "{name} is running at {server}/api/v1/namespaces/kube-system/services/{svc_name}{port}/proxy\n"
        ));
    }
    out.stdout.push_str(
        "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
}
