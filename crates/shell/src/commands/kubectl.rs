//! `kubectl` in the shell: the emulation from the `kubectl` crate, talking to the session's API
//! server in-process. `port-forward` and `edit` live here because they reach outside the API (the
//! laptop's ports, the browser's editor).

use serde_json::Value;

use super::{container_shell, edit, port_forward, Done, Proc};
use crate::exec::Cx;
use crate::workspace::{self, Files};

pub(crate) fn run(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Proc {
    let _ = stdin;
    let offline = matches!(
        args.first().map(String::as_str),
        None | Some(
            "config"
                | "help"
                | "completion"
                | "--help"
                | "-h"
                | "explain"
                | "options"
                | "plugin"
                | "alpha"
        )
    ) || args
        .iter()
        .any(|a| a == "--client" || a == "--dry-run=client" || a == "--help" || a == "-h");
    if !cx.sh.laptop.minikube_running && !offline {
        // With minikube stopped, nothing listens at the API server's address.
        let ip = node_ip(cx);
        return Done::err(
            format!("The connection to the server {ip}:8443 was refused - did you specify the right host or port?\n"),
            1,
        )
        .into();
    }
    match args.first().map(String::as_str) {
        Some("port-forward") => return port_forward::start(cx, &args[1..]),
        Some("edit") => return edit::start(cx, &args[1..]),
        Some("exec") if container_shell::wants_terminal(args) => {
            return container_shell::start(cx, &args[1..])
        }
        Some("exec") if stdin.is_some() => return container_shell::piped(cx, &args[1..], stdin),
        _ => {}
    }
    let namespace = cx.sh.namespace();
    let mut transport = apiserver::InProcess {
        cluster: cx.rt.cluster(),
    };
    // kubectl resolves `-f` paths against the current directory.
    let view;
    let files: &Files = if cx.sh.cwd.is_empty() {
        cx.files
    } else {
        view = relative_view(cx.files, &cx.sh.cwd);
        &view
    };
    let mut ctx = kubectl::Context {
        transport: &mut transport,
        files,
        namespace,
    };
    // `kubectl config ...` changes the shell's kubeconfig, as it would change ~/.kube/config.
    let step = kubectl::start(
        args,
        &mut ctx,
        &mut cx.sh.kubeconfig,
        Some(&mut cx.sh.discovery),
    );
    let done = |out: kubectl::Output| Done {
        stdout: out.stdout,
        stderr: out.stderr,
        code: out.exit_code,
    };
    match step {
        kubectl::Step::Done(out) => done(out).into(),
        // Polled as the cluster changes (`kubectl rollout status`), until it ends or Ctrl-C.
        kubectl::Step::Running(out, running) => {
            Proc::Running(crate::jobs::Process::Kubectl(running), done(out))
        }
    }
}

/// The workspace as seen from directory `cwd`: paths relative to it, and absolute ones.
fn relative_view(files: &Files, cwd: &str) -> Files {
    let prefix = format!("{cwd}/");
    let mut view = Files::new();
    for (k, v) in files {
        if let Some(rel) = k.strip_prefix(&prefix) {
            view.insert(rel.to_string(), v.clone());
        }
        view.insert(format!("{}/{k}", workspace::HOME), v.clone());
    }
    view
}

/// `-n ns` / `--namespace ns` / `--namespace=ns` among kubectl arguments, and the arguments without it.
pub(crate) fn namespace_flag(cx: &Cx, args: &[String]) -> (String, Vec<String>) {
    let mut ns = cx.sh.namespace();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" | "--namespace" => {
                if let Some(v) = it.next() {
                    ns = v.clone();
                }
            }
            s if s.starts_with("--namespace=") => ns = s[12..].to_string(),
            s if s.starts_with("-n") && s.len() > 2 && !s.starts_with("--") => {
                ns = s[2..].to_string()
            }
            _ => rest.push(a.clone()),
        }
    }
    (ns, rest)
}

/// Reads one object from the session's cluster as JSON.
pub(crate) fn get_object(
    cx: &mut Cx,
    plural: &str,
    namespace: Option<&str>,
    name: &str,
) -> Option<Value> {
    let rt = cluster::resources::RESOURCES
        .iter()
        .find(|r| r.plural == plural)?;
    let ns = if rt.namespaced() { namespace } else { None };
    cx.rt.cluster().get(rt, ns, name).ok().map(|o| o.to_value())
}

/// Lists objects of a type from the session's cluster as JSON.
pub(crate) fn list_objects(cx: &mut Cx, plural: &str, namespace: Option<&str>) -> Vec<Value> {
    let Some(rt) = cluster::resources::RESOURCES
        .iter()
        .find(|r| r.plural == plural)
    else {
        return Vec::new();
    };
    let ns = if rt.namespaced() { namespace } else { None };
    cx.rt
        .cluster()
        .list(rt, ns)
        .iter()
        .map(|o| o.to_value())
        .collect()
}

/// The InternalIP of the first node (minikube's `192.168.49.2`).
pub(crate) fn node_ip(cx: &mut Cx) -> String {
    list_objects(cx, "nodes", None)
        .first()
        .and_then(|n| {
            n["status"]["addresses"]
                .as_array()?
                .iter()
                .find(|a| a["type"] == "InternalIP")?["address"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "192.168.49.2".into())
}

/// Whether an object's labels satisfy a `matchLabels`-style map.
pub(crate) fn labels_match(selector: &Value, labels: &Value) -> bool {
    match selector.as_object() {
        Some(sel) if !sel.is_empty() => sel.iter().all(|(k, v)| labels.get(k) == Some(v)),
        _ => false,
    }
}
