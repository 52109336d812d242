//! Commands about the client and the server rather than about objects: version, api-resources,
//! api-versions, cluster-info, config.

use serde_json::Value;

use super::{parse_flags, Env};
use crate::config::NamedContext;
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
        "config" => config(args, env, out),
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

fn config(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(sub) = args.first().map(String::as_str) else {
        out.stdout
            .push_str(super::help::text("config").unwrap_or(""));
        return;
    };
    let rest = &args[1..];
    const F: &[Flag] = &[
        b("current", None),
        v("output", Some('o')),
        b("minify", None),
        b("raw", None),
        b("flatten", None),
        b("no-headers", None),
    ];
    let cmd = format!("config {sub}");
    let Some(p) = parse_flags(&cmd, rest, F, out) else {
        return;
    };
    match sub {
        "current-context" => {
            out.stdout.push_str(&env.config.current_context);
            out.stdout.push('\n');
        }
        "get-contexts" => {
            let mut text = String::new();
            if !p.bool("no-headers") {
                text.push_str("CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n");
            }
            let mut contexts: Vec<&NamedContext> = env.config.contexts.iter().collect();
            contexts.sort_by(|a, b| a.name.cmp(&b.name));
            for c in contexts {
                if !p.args.is_empty() && !p.args.contains(&c.name) {
                    continue;
                }
                let star = if c.name == env.config.current_context { "*" } else { "" };
                text.push_str(&format!(
                    "{star}\t{}\t{}\t{}\t{}\n",
                    c.name,
                    c.cluster,
                    c.user,
                    c.namespace.as_deref().unwrap_or("")
                ));
            }
            out.stdout.push_str(&tabwriter::align(tabwriter::GET, &text));
        }
        "use-context" => match p.args.first() {
            Some(name) if env.config.contexts.iter().any(|c| &c.name == name) => {
                env.config.current_context = name.clone();
                out.stdout.push_str(&format!("Switched to context \"{name}\".\n"));
            }
            Some(name) => out.fail(format!("error: no context exists with the name: \"{name}\"")),
            None => out.fail("error: Unexpected args: []\nSee 'kubectl config use-context -h' for help and examples"),
        },
        "set-context" => {
            let Some(ns) = p.get("namespace").map(str::to_string) else {
                let name = if p.bool("current") { env.config.current_context.clone() } else { p.args.first().cloned().unwrap_or_default() };
                out.stdout.push_str(&format!("Context \"{name}\" modified.\n"));
                return;
            };
            let name = if p.bool("current") {
                env.config.current_context.clone()
            } else {
                match p.args.first() {
                    Some(n) => n.clone(),
                    None => {
                        out.fail("error: you must specify a non-empty context name or --current\nSee 'kubectl config set-context -h' for help and examples");
                        return;
                    }
                }
            };
            let existed = env.config.contexts.iter().any(|c| c.name == name);
            if existed {
                if let Some(c) = env.config.contexts.iter_mut().find(|c| c.name == name) {
                    c.namespace = Some(ns);
                }
                out.stdout.push_str(&format!("Context \"{name}\" modified.\n"));
            } else {
                env.config.contexts.push(NamedContext { name: name.clone(), cluster: String::new(), user: String::new(), namespace: Some(ns) });
                out.stdout.push_str(&format!("Context \"{name}\" created.\n"));
            }
        }
        "view" => {
            let c = &env.config;
            let mut s = format!("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: DATA+OMITTED\n    server: {}\n  name: minikube\ncontexts:\n", c.server);
            let mut contexts: Vec<&NamedContext> = c.contexts.iter().collect();
            contexts.sort_by(|a, b| a.name.cmp(&b.name));
            for ctx in contexts {
                s.push_str(&format!("- context:\n    cluster: {}\n", ctx.cluster));
                if let Some(ns) = &ctx.namespace {
                    s.push_str(&format!("    namespace: {ns}\n"));
                }
                s.push_str(&format!("    user: {}\n  name: {}\n", ctx.user, ctx.name));
            }
            s.push_str(&format!("current-context: {}\nkind: Config\npreferences: {{}}\nusers:\n- name: minikube\n  user:\n    client-certificate-data: DATA+OMITTED\n    client-key-data: DATA+OMITTED\n", c.current_context));
            out.stdout.push_str(&s);
        }
        other => out.fail(format!("error: unknown command \"{other}\" for \"kubectl config\"")),
    }
}
