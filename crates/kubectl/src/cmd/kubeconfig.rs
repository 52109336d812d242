//! `kubectl config`: reads and changes the kubeconfig (the shell keeps it across lines, as the real
//! kubectl keeps `~/.kube/config`). Only the session's one cluster and user exist; contexts,
//! their namespaces and the current context are the learner's to change.

use serde_json::{json, Value};

use super::{parse_flags, Env};
use crate::config::NamedContext;
use crate::flags::{b, v, Flag};
use crate::printers::{self, jsonpath, tabwriter};
use crate::Output;

/// Where the real kubectl would keep it: `$HOME/.kube/config` in the terminal.
const PATH: &str = "/home/learner/.kube/config";
/// The one cluster and user of a session's kubeconfig.
const CLUSTER: &str = "minikube";
const USER: &str = "minikube";

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(sub) = args.first().map(String::as_str) else {
        out.stdout
            .push_str(super::help::text("config").unwrap_or(""));
        return;
    };
    const F: &[Flag] = &[
        b("current", None),
        v("output", Some('o')),
        b("minify", None),
        b("raw", None),
        b("flatten", None),
        b("no-headers", None),
        v("cluster", None),
        v("user", None),
    ];
    let Some(p) = parse_flags(&format!("config {sub}"), &args[1..], F, out) else {
        return;
    };
    let config = &mut *env.config;
    match sub {
        "current-context" => {
            out.stdout.push_str(&config.current_context);
            out.stdout.push('\n');
        }
        "get-contexts" => {
            let mut text = String::new();
            if !p.bool("no-headers") {
                text.push_str("CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n");
            }
            if let Some(missing) = p
                .args
                .iter()
                .find(|n| !config.contexts.iter().any(|c| &c.name == *n))
            {
                // The real one prints the (empty) table before the error.
                out.stdout
                    .push_str(&tabwriter::align(tabwriter::GET, &text));
                out.fail(format!("error: context {missing} not found"));
                return;
            }
            let mut contexts: Vec<&NamedContext> = config.contexts.iter().collect();
            contexts.sort_by(|a, b| a.name.cmp(&b.name));
            for c in contexts {
                if !p.args.is_empty() && !p.args.contains(&c.name) {
                    continue;
                }
                let star = if c.name == config.current_context { "*" } else { "" };
                text.push_str(&format!(
                    "{star}\t{}\t{}\t{}\t{}\n",
                    c.name,
                    c.cluster,
                    c.user,
                    c.namespace.as_deref().unwrap_or("")
                ));
            }
            out.stdout
                .push_str(&tabwriter::align(tabwriter::GET, &text));
        }
        "get-clusters" => out.stdout.push_str(&format!("NAME\n{CLUSTER}\n")),
        "get-users" => out.stdout.push_str(&format!("NAME\n{USER}\n")),
        "use-context" => match p.args.first() {
            Some(name) if config.contexts.iter().any(|c| &c.name == name) => {
                config.current_context = name.clone();
                out.stdout
                    .push_str(&format!("Switched to context \"{name}\".\n"));
            }
            Some(name) => out.fail(format!("error: no context exists with the name: \"{name}\"")),
            None => out.fail(
                "error: Unexpected args: []\nSee 'kubectl config use-context -h' for help and examples",
            ),
        },
        "set-context" => {
            let name = if p.bool("current") {
                config.current_context.clone()
            } else {
                match p.args.first() {
                    Some(n) => n.clone(),
                    None => {
                        out.fail("error: you must specify a non-empty context name or --current\nSee 'kubectl config set-context -h' for help and examples");
                        return;
                    }
                }
            };
            let existed = config.contexts.iter().any(|c| c.name == name);
            if !existed {
                config.contexts.push(NamedContext {
                    name: name.clone(),
                    cluster: String::new(),
                    user: String::new(),
                    namespace: None,
                });
            }
            let context = config
                .contexts
                .iter_mut()
                .find(|c| c.name == name)
                .expect("present");
            if let Some(ns) = p.get("namespace") {
                context.namespace = Some(ns.to_string());
            }
            if let Some(cluster) = p.get("cluster") {
                context.cluster = cluster.to_string();
            }
            if let Some(user) = p.get("user") {
                context.user = user.to_string();
            }
            let verb = if existed { "modified" } else { "created" };
            out.stdout
                .push_str(&format!("Context \"{name}\" {verb}.\n"));
        }
        "delete-context" => match p.args.first() {
            Some(name) if config.contexts.iter().any(|c| &c.name == name) => {
                if *name == config.current_context {
                    out.stderr.push_str(
                        "warning: this removed your active context, use \"kubectl config use-context\" to select a different one\n",
                    );
                }
                config.contexts.retain(|c| &c.name != name);
                out.stdout
                    .push_str(&format!("deleted context {name} from {PATH}\n"));
            }
            Some(name) => out.fail(format!(
                "error: cannot delete context {name}, not in {PATH}"
            )),
            None => out.fail("error: Unexpected args: []\nSee 'kubectl config delete-context -h' for help and examples"),
        },
        "rename-context" => match (p.args.first(), p.args.get(1)) {
            (Some(old), Some(new)) => {
                if !config.contexts.iter().any(|c| &c.name == old) {
                    out.fail(format!(
                        "error: cannot rename the context \"{old}\", it's not in {PATH}"
                    ));
                } else if config.contexts.iter().any(|c| &c.name == new) {
                    out.fail(format!(
                        "error: cannot rename the context \"{old}\", the context \"{new}\" already exists in {PATH}"
                    ));
                } else {
                    for c in config.contexts.iter_mut().filter(|c| &c.name == old) {
                        c.name = new.clone();
                    }
                    if config.current_context == *old {
                        config.current_context = new.clone();
                    }
                    out.stdout
                        .push_str(&format!("Context \"{old}\" renamed to \"{new}\".\n"));
                }
            }
            _ => out.fail("error: Unexpected args: []\nSee 'kubectl config rename-context -h' for help and examples"),
        },
        "view" => view(&p, config, out),
        other => out.fail(format!(
            "error: unknown command \"{other}\" for \"kubectl config\""
        )),
    }
}

/// `kubectl config view`: the kubeconfig with secrets shown as `DATA+OMITTED`, `--minify` keeps
/// only what the current context uses; yaml by default, or json/jsonpath.
fn view(p: &crate::flags::Parsed, config: &crate::KubeConfig, out: &mut Output) {
    let minify = p.bool("minify");
    let contexts: Vec<&NamedContext> = {
        let mut c: Vec<&NamedContext> = config
            .contexts
            .iter()
            .filter(|c| !minify || c.name == config.current_context)
            .collect();
        c.sort_by(|a, b| a.name.cmp(&b.name));
        c
    };
    if minify && contexts.is_empty() {
        out.fail(format!(
            "error: cannot locate context {}",
            config.current_context
        ));
        return;
    }
    let context_json = |c: &NamedContext| {
        let mut ctx = json!({"cluster": c.cluster, "user": c.user});
        if let Some(ns) = &c.namespace {
            ctx["namespace"] = json!(ns);
        }
        json!({"context": ctx, "name": c.name})
    };
    let uses = |what: fn(&NamedContext) -> &str, name: &str| {
        !minify || contexts.iter().any(|c| what(c) == name)
    };
    let clusters: Vec<Value> = if uses(|c| &c.cluster, CLUSTER) {
        vec![
            json!({"cluster": {"certificate-authority-data": "DATA+OMITTED", "server": config.server}, "name": CLUSTER}),
        ]
    } else {
        Vec::new()
    };
    let users: Vec<Value> = if uses(|c| &c.user, USER) {
        vec![
            json!({"name": USER, "user": {"client-certificate-data": "DATA+OMITTED", "client-key-data": "DATA+OMITTED"}}),
        ]
    } else {
        Vec::new()
    };
    let doc = json!({
        "apiVersion": "v1",
        "clusters": clusters,
        "contexts": contexts.iter().map(|c| context_json(c)).collect::<Vec<_>>(),
        "current-context": config.current_context,
        "kind": "Config",
        "preferences": {},
        "users": users,
    });
    match p.get("output").unwrap_or("yaml") {
        "yaml" => out.stdout.push_str(&printers::yaml::to_string(&doc)),
        "json" => out.stdout.push_str(&printers::json::to_string(&doc)),
        o if o.starts_with("jsonpath") => {
            let template = o.split_once('=').map_or("", |(_, t)| t);
            match jsonpath::JsonPath::parse(template) {
                Ok(jp) => match jp.execute(&doc) {
                    Ok(s) => out.stdout.push_str(&s),
                    Err(e) => out.fail(format!("error: {e}")),
                },
                Err(e) => out.fail(format!("error: error parsing jsonpath {template}, {e}")),
            }
        }
        other => out.fail(format!("error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml")),
    }
}
