//! kubectl 1.33, emulated: the terminal's `kubectl` and the printers shared with the API server.
//!
//! The emulation talks to an API server only through [`rest::Transport`], with the same requests the
//! real kubectl sends, so it can be run side by side with the real binary against one server.

pub mod printers;
pub mod rest;

pub use printers::table::table;

use std::collections::BTreeMap;

use rest::{Request, Transport};
use serde_json::Value;

/// What a command printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// What a kubectl invocation can see besides the API server.
pub struct Context<'a> {
    pub transport: &'a mut dyn Transport,
    /// The workspace files (`-f pod.yaml` reads here).
    pub files: &'a BTreeMap<String, String>,
    /// The current context's namespace.
    pub namespace: String,
}

/// Runs `kubectl <args>`.
pub fn run(args: &[String], ctx: &mut Context) -> Output {
    let mut out = Output::default();
    match args.first().map(String::as_str) {
        Some("get") => get(&args[1..], ctx, &mut out),
        Some("apply") => apply(&args[1..], ctx, &mut out),
        Some(other) => {
            out.stderr = format!("error: unknown command \"{other}\" for \"kubectl\"\n");
            out.exit_code = 1;
        }
        None => {
            out.stderr = "kubectl controls the Kubernetes cluster manager.\n".into();
            out.exit_code = 1;
        }
    }
    out
}

fn resource_path(kind_or_plural: &str, namespace: &str) -> Option<String> {
    let (plural, namespaced) = match kind_or_plural {
        "nodes" | "node" | "no" | "Node" => ("nodes", false),
        "pods" | "pod" | "po" | "Pod" => ("pods", true),
        "namespaces" | "namespace" | "ns" | "Namespace" => ("namespaces", false),
        _ => return None,
    };
    Some(if namespaced {
        format!("/api/v1/namespaces/{namespace}/{plural}")
    } else {
        format!("/api/v1/{plural}")
    })
}

fn get(args: &[String], ctx: &mut Context, out: &mut Output) {
    let Some(kind) = args.first() else {
        out.stderr = "error: you must specify the type of resource to get.\n".into();
        out.exit_code = 1;
        return;
    };
    let Some(path) = resource_path(kind, &ctx.namespace) else {
        out.stderr = format!("error: the server doesn't have a resource type \"{kind}\"\n");
        out.exit_code = 1;
        return;
    };
    let resp = ctx.transport.call(Request::get(path));
    let list = resp.body_json().unwrap_or(Value::Null);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        out.stderr = format!("No resources found in {} namespace.\n", ctx.namespace);
        return;
    }
    let width = items
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").len())
        .max()
        .unwrap_or(0)
        .max(4);
    out.stdout.push_str(&format!("{:<width$}   AGE\n", "NAME"));
    for i in items {
        out.stdout.push_str(&format!(
            "{:<width$}   <unknown>\n",
            i["metadata"]["name"].as_str().unwrap_or("")
        ));
    }
}

fn apply(args: &[String], ctx: &mut Context, out: &mut Output) {
    let file = match args {
        [flag, f, ..] if flag == "-f" => f,
        _ => {
            out.stderr = "error: must specify one of -f and -k\n".into();
            out.exit_code = 1;
            return;
        }
    };
    let Some(text) = ctx.files.get(file.as_str()) else {
        out.stderr = format!("error: the path \"{file}\" does not exist\n");
        out.exit_code = 1;
        return;
    };
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value: Value = match serde::Deserialize::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                out.stderr
                    .push_str(&format!("error: error parsing {file}: {e}\n"));
                out.exit_code = 1;
                return;
            }
        };
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(path) = resource_path(&kind, &ctx.namespace) else {
            out.stderr.push_str(&format!(
                "error: resource mapping not found for kind \"{kind}\"\n"
            ));
            out.exit_code = 1;
            continue;
        };
        let resp = ctx
            .transport
            .call(Request::new("POST", path).json_body(&value));
        if resp.status == 201 {
            out.stdout
                .push_str(&format!("{}/{} created\n", kind.to_lowercase(), name));
        } else {
            let msg = resp
                .body_json()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            out.stderr.push_str(&format!(
                "Error from server: error when creating \"{file}\": {msg}\n"
            ));
            out.exit_code = 1;
        }
    }
}
