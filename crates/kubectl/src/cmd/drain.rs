//! `kubectl cordon|uncordon|drain NODE`, after upstream `pkg/cmd/drain` and `pkg/drain`:
//! cordoning is a strategic merge patch of `spec.unschedulable`; draining cordons, sorts the
//! node's pods through kubectl's filters (DaemonSet, mirror, local storage, unreplicated),
//! evicts the rest through the `eviction` subresource and waits until they are gone.
//!
//! Upstream evicts in parallel goroutines, so with several pods its `evicting pod` and
//! `pod/x evicted` lines come in an order that varies from run to run; the emulation evicts in
//! the order the pods were listed.

use serde_json::{json, Value};

use super::resources::set_namespace;
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag, Parsed};
use crate::rest::{percent_encode, Request, Transport};
use crate::{server_error, Output, Running};

/// `cordon` and `uncordon`.
pub fn cordon(command: &str, args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[v("selector", Some('l')), v("dry-run", None)];
    let Some(p) = parse_flags(command, args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(nodes) = select_nodes(command, &p, env, out) else {
        return;
    };
    cordon_nodes(&nodes, command == "cordon", dry_run(&p), env.transport, out);
}

fn dry_run(p: &Parsed) -> &str {
    p.get("dry-run").unwrap_or("none")
}

fn dry_suffix(dry: &str) -> &'static str {
    match dry {
        "client" => " (dry run)",
        "server" => " (server dry run)",
        _ => "",
    }
}

/// The nodes named (GET each) or selected by `-l`; usage errors as kubectl words them.
fn select_nodes(command: &str, p: &Parsed, env: &mut Env, out: &mut Output) -> Option<Vec<Value>> {
    let selector = p.get("selector");
    let hint = format!("See 'kubectl {command} -h' for help and examples");
    if p.args.is_empty() && selector.is_none() {
        out.fail(format!("error: USAGE: {command} NODE [flags]\n{hint}"));
        return None;
    }
    if !p.args.is_empty() && selector.is_some_and(|s| !s.is_empty()) {
        out.fail(format!(
            "error: cannot specify both a node name and a --selector option\n{hint}"
        ));
        return None;
    }
    if let Some(sel) = selector {
        let resp = env.transport.call(
            Request::get(format!(
                "/api/v1/nodes?labelSelector={}",
                percent_encode(sel)
            ))
            .header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return None;
        }
        return Some(
            resp.body_json().unwrap_or_default()["items"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    let mut nodes = Vec::new();
    for name in &p.args {
        let resp = env.transport.call(
            Request::get(format!("/api/v1/nodes/{name}")).header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return None;
        }
        nodes.push(resp.body_json().unwrap_or_default());
    }
    Some(nodes)
}

fn node_name(node: &Value) -> &str {
    node["metadata"]["name"].as_str().unwrap_or("")
}

/// `RunCordonOrUncordon`: patches `spec.unschedulable` where it differs. Failures are printed
/// but, as upstream, do not change the exit code.
fn cordon_nodes(
    nodes: &[Value],
    desired: bool,
    dry: &str,
    transport: &mut dyn Transport,
    out: &mut Output,
) {
    let verb = if desired { "cordon" } else { "uncordon" };
    for node in nodes {
        let name = node_name(node);
        let current = node["spec"]["unschedulable"].as_bool().unwrap_or(false);
        if current == desired {
            out.stdout.push_str(&format!(
                "node/{name} already {verb}ed{}\n",
                dry_suffix(dry)
            ));
            continue;
        }
        if dry != "client" {
            let patch = if desired {
                json!({"spec": {"unschedulable": true}})
            } else {
                json!({"spec": {"unschedulable": null}})
            };
            let query = if dry == "server" { "?dryRun=All" } else { "" };
            let resp = transport.call(super::resources::json_request(
                "PATCH",
                format!("/api/v1/nodes/{name}{query}"),
                "application/strategic-merge-patch+json",
                &patch,
            ));
            if resp.status >= 400 {
                let msg = server_error(&resp);
                out.stderr
                    .push_str(&format!("error: unable to {verb} node \"{name}\": {msg}\n"));
                continue;
            }
        }
        out.stdout
            .push_str(&format!("node/{name} {verb}ed{}\n", dry_suffix(dry)));
    }
}

/// What drain does with a pod, from kubectl's filters.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Delete,
    /// Deleted, with a warning.
    DeleteWarning(&'static str),
    /// Left alone, with a warning.
    SkipWarning(&'static str),
    Skip,
    /// Refused: the message of `cannot delete <message>: <pods>`.
    Error(String),
}

impl Verdict {
    fn deletes(&self) -> bool {
        matches!(self, Verdict::Delete | Verdict::DeleteWarning(_))
    }
}

/// The drain flags the filters look at.
#[derive(Clone, Debug, Default)]
struct Policy {
    force: bool,
    ignore_daemonsets: bool,
    delete_emptydir_data: bool,
}

fn finished(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

fn controller_of(pod: &Value) -> Option<&Value> {
    pod["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
}

/// The filters in upstream's order: DaemonSet, mirror pod, local storage, unreplicated. The
/// first that keeps the pod decides; a later one can replace an earlier warning.
/// `daemon_set_exists` looks the pod's DaemonSet up (the real command GETs it).
fn verdict(
    pod: &Value,
    policy: &Policy,
    daemon_set_exists: &mut dyn FnMut(&str, &str) -> Result<bool, String>,
) -> Verdict {
    // DaemonSet-managed pods.
    if let Some(c) = controller_of(pod).filter(|c| c["kind"] == "DaemonSet") {
        if !finished(pod) {
            let ns = pod["metadata"]["namespace"].as_str().unwrap_or("");
            let ds = c["name"].as_str().unwrap_or("");
            match daemon_set_exists(ns, ds) {
                Ok(true) => {
                    return if policy.ignore_daemonsets {
                        Verdict::SkipWarning("ignoring DaemonSet-managed Pods")
                    } else {
                        Verdict::Error(
                            "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)".into(),
                        )
                    };
                }
                // An orphan goes with --force; its warning is replaced by the later filters'.
                Ok(false) if policy.force => {}
                Ok(false) => return Verdict::Error(format!("daemonsets.apps \"{ds}\" not found")),
                Err(e) => return Verdict::Error(e),
            }
        }
    }
    // Mirror pods belong to the kubelet.
    if pod["metadata"]["annotations"]
        .get("kubernetes.io/config.mirror")
        .is_some()
    {
        return Verdict::Skip;
    }
    // Pods with emptyDir volumes.
    let local = pod["spec"]["volumes"]
        .as_array()
        .is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()));
    // With --delete-emptydir-data such a pod passes; its "deleting Pods with local storage"
    // warning is replaced by the next filter's verdict (upstream keeps only the last status).
    if local && !finished(pod) && !policy.delete_emptydir_data {
        return Verdict::Error(
            "Pods with local storage (use --delete-emptydir-data to override)".into(),
        );
    }
    // Pods no controller would recreate.
    if finished(pod) || controller_of(pod).is_some() {
        Verdict::Delete
    } else if policy.force {
        Verdict::DeleteWarning("deleting Pods that declare no controller")
    } else {
        Verdict::Error(
            "cannot delete Pods that declare no controller (use --force to override)".into(),
        )
    }
}

fn pod_ref(pod: &Value) -> String {
    format!(
        "{}/{}",
        pod["metadata"]["namespace"].as_str().unwrap_or(""),
        pod["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// Groups `ns/name` by message in order of first appearance (upstream ranges over a map, whose
/// order varies between runs).
fn grouped<'a>(items: impl Iterator<Item = (&'a str, String)>) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (msg, pod) in items {
        match groups.iter_mut().find(|(m, _)| m == msg) {
            Some((_, pods)) => pods.push(pod),
            None => groups.push((msg.to_string(), vec![pod])),
        }
    }
    groups
}

/// `GetPodsForDeletion`: the pods to evict, the warning line, and the errors.
fn pods_for_deletion(
    transport: &mut dyn Transport,
    node: &str,
    pod_selector: &str,
    policy: &Policy,
) -> Result<(Vec<Value>, String, Vec<String>), String> {
    let mut path = format!(
        "/api/v1/pods?fieldSelector={}",
        percent_encode(&format!("spec.nodeName={node}"))
    );
    if !pod_selector.is_empty() {
        path.push_str(&format!("&labelSelector={}", percent_encode(pod_selector)));
    }
    let resp = transport.call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        return Err(server_error(&resp));
    }
    let pods = resp.body_json().unwrap_or_default()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut exists = |ns: &str, name: &str| -> Result<bool, String> {
        let r = transport.call(
            Request::get(format!("/apis/apps/v1/namespaces/{ns}/daemonsets/{name}"))
                .header("accept", "application/json"),
        );
        match r.status {
            404 => Ok(false),
            s if s >= 400 => Err(server_error(&r)),
            _ => Ok(true),
        }
    };
    let verdicts: Vec<(Value, Verdict)> = pods
        .into_iter()
        .map(|p| {
            let v = verdict(&p, policy, &mut exists);
            (p, v)
        })
        .collect();
    let errors = grouped(verdicts.iter().filter_map(|(p, v)| match v {
        Verdict::Error(m) => Some((m.as_str(), pod_ref(p))),
        _ => None,
    }))
    .into_iter()
    .map(|(m, pods)| format!("cannot delete {m}: {}", pods.join(", ")))
    .collect();
    let warnings = grouped(verdicts.iter().filter_map(|(p, v)| match v {
        Verdict::DeleteWarning(m) | Verdict::SkipWarning(m) => Some((*m, pod_ref(p))),
        _ => None,
    }))
    .into_iter()
    .map(|(m, pods)| format!("{m}: {}", pods.join(", ")))
    .collect::<Vec<_>>()
    .join("; ");
    let to_evict = verdicts
        .into_iter()
        .filter(|(_, v)| v.deletes())
        .map(|(p, _)| p)
        .collect();
    Ok((to_evict, warnings, errors))
}

pub fn drain(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("force", None),
        b("ignore-daemonsets", None),
        b("delete-emptydir-data", None),
        b("delete-local-data", None),
        v("grace-period", None),
        v("timeout", None),
        v("selector", Some('l')),
        v("pod-selector", None),
        b("disable-eviction", None),
        v("skip-wait-for-delete-timeout", None),
        v("chunk-size", None),
        b("ignore-errors", None),
        v("dry-run", None),
    ];
    let Some(p) = parse_flags("drain", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(nodes) = select_nodes("drain", &p, env, out) else {
        return;
    };
    let dry = dry_run(&p).to_string();
    cordon_nodes(&nodes, true, &dry, env.transport, out);
    let policy = Policy {
        force: p.bool("force"),
        ignore_daemonsets: p.bool("ignore-daemonsets"),
        delete_emptydir_data: p.bool("delete-emptydir-data") || p.bool("delete-local-data"),
    };
    let mut run = Drain {
        nodes: nodes.iter().map(|n| node_name(n).to_string()).collect(),
        drained: Vec::new(),
        current: None,
        policy,
        pod_selector: p.get("pod-selector").unwrap_or("").to_string(),
        grace_period: p
            .get("grace-period")
            .and_then(|g| g.parse::<i64>().ok())
            .filter(|g| *g >= 0),
        disable_eviction: p.bool("disable-eviction"),
        ignore_errors: p.bool("ignore-errors"),
        dry,
    };
    let (more, code) = run.poll(env.transport);
    out.stdout.push_str(&more.stdout);
    out.stderr.push_str(&more.stderr);
    match code {
        Some(c) => out.exit_code = out.exit_code.max(c),
        None => match env.stream.as_mut() {
            Some(slot) => **slot = Some(Box::new(run)),
            // Nothing moves the cluster meanwhile, so the evicted pods would never go.
            None => out.fail("error: timed out waiting for the condition"),
        },
    }
}

/// A node being drained: its evicted pods still terminating.
struct Draining {
    node: String,
    /// (namespace, name, uid) of pods evicted and not yet gone.
    waiting: Vec<(String, String, String)>,
}

/// The drain of the nodes after cordoning, one node at a time; it waits (polled as the
/// cluster changes) while evicted pods terminate.
struct Drain {
    nodes: Vec<String>,
    drained: Vec<String>,
    current: Option<Draining>,
    policy: Policy,
    pod_selector: String,
    grace_period: Option<i64>,
    disable_eviction: bool,
    ignore_errors: bool,
    dry: String,
}

impl Drain {
    /// Evicts (or deletes) the node's pods; `Err` holds the errors that stop the node.
    fn start_node(
        &mut self,
        transport: &mut dyn Transport,
        node: &str,
        out: &mut Output,
    ) -> Result<Draining, Vec<String>> {
        let (pods, warnings, errors) =
            pods_for_deletion(transport, node, &self.pod_selector, &self.policy)
                .map_err(|e| vec![e])?;
        if !errors.is_empty() {
            return Err(errors);
        }
        if !warnings.is_empty() {
            out.stderr.push_str(&format!("Warning: {warnings}\n"));
        }
        let mut waiting = Vec::new();
        if self.dry == "client" {
            for pod in &pods {
                out.stdout
                    .push_str(&format!("evicting pod {} (dry run)\n", pod_ref(pod)));
            }
            return Ok(Draining {
                node: node.to_string(),
                waiting,
            });
        }
        let mut errors = Vec::new();
        for pod in &pods {
            let ns = pod["metadata"]["namespace"].as_str().unwrap_or("");
            let name = pod["metadata"]["name"].as_str().unwrap_or("");
            let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_string();
            let mut options = json!({});
            if let Some(g) = self.grace_period {
                options["gracePeriodSeconds"] = json!(g);
            }
            if self.dry == "server" {
                options["dryRun"] = json!(["All"]);
            }
            let resp = if self.disable_eviction {
                transport.call(super::resources::json_request(
                    "DELETE",
                    format!("/api/v1/namespaces/{ns}/pods/{name}"),
                    "application/json",
                    &options,
                ))
            } else {
                out.stdout.push_str(&format!("evicting pod {ns}/{name}\n"));
                let eviction = json!({
                    "apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": name, "namespace": ns},
                    "deleteOptions": options,
                });
                transport.call(super::resources::json_request(
                    "POST",
                    format!("/api/v1/namespaces/{ns}/pods/{name}/eviction"),
                    "application/json",
                    &eviction,
                ))
            };
            match resp.status {
                404 => {}
                s if s >= 400 => {
                    let message = resp
                        .body_json()
                        .and_then(|b| b["message"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    errors.push(format!(
                        "error when evicting pods/\"{name}\" -n \"{ns}\": {message}"
                    ));
                }
                _ => waiting.push((ns.to_string(), name.to_string(), uid)),
            }
        }
        if !errors.is_empty() {
            // Upstream lists what is still on the node before giving up on it.
            let pending = pods_for_deletion(transport, node, &self.pod_selector, &self.policy)
                .map(|(p, _, _)| p)
                .unwrap_or_default();
            if !pending.is_empty() {
                out.stderr.push_str(&format!(
                    "There are pending pods in node \"{node}\" when an error occurred: {}\n",
                    aggregate(&errors)
                ));
                for p in &pending {
                    out.stderr.push_str(&format!(
                        "pod/{}\n",
                        p["metadata"]["name"].as_str().unwrap_or("")
                    ));
                }
            }
            return Err(errors);
        }
        Ok(Draining {
            node: node.to_string(),
            waiting,
        })
    }

    /// Prints `pod/x evicted` for the pods gone since the last look; true when none is left.
    fn check_gone(
        &self,
        draining: &mut Draining,
        transport: &mut dyn Transport,
        out: &mut Output,
    ) -> bool {
        let verb = if self.disable_eviction {
            "deleted"
        } else {
            "evicted"
        };
        let suffix = dry_suffix(&self.dry);
        draining.waiting.retain(|(ns, name, uid)| {
            if self.dry == "server" {
                out.stdout.push_str(&format!("pod/{name} {verb}{suffix}\n"));
                return false;
            }
            let r = transport.call(
                Request::get(format!("/api/v1/namespaces/{ns}/pods/{name}"))
                    .header("accept", "application/json"),
            );
            let gone = r.status == 404
                || r.body_json()
                    .is_some_and(|p| p["metadata"]["uid"].as_str() != Some(uid.as_str()));
            if gone {
                out.stdout.push_str(&format!("pod/{name} {verb}{suffix}\n"));
            }
            !gone
        });
        draining.waiting.is_empty()
    }

    /// Ends the drain of a node that failed, as `RunDrain` reports it.
    fn node_failed(&mut self, node: &str, errors: Vec<String>, out: &mut Output) -> Option<i32> {
        out.stderr.push_str(&format!(
            "error: unable to drain node \"{node}\" due to error: {}, continuing command...\n",
            aggregate(&errors)
        ));
        if self.ignore_errors && self.nodes.len() > 1 {
            return None;
        }
        let remaining: Vec<&String> = self
            .nodes
            .iter()
            .filter(|n| !self.drained.contains(n))
            .collect();
        if !remaining.is_empty() {
            out.stderr
                .push_str("There are pending nodes to be drained:\n");
            for n in remaining {
                out.stderr.push_str(&format!(" {n}\n"));
            }
        }
        // The command's error: an aggregate, one message a line.
        for e in &errors {
            out.stderr.push_str(e);
            out.stderr.push('\n');
        }
        out.exit_code = 1;
        Some(1)
    }
}

/// `utilerrors.Aggregate.Error()`: the message alone, or `[a, b]`.
fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

impl Running for Drain {
    fn poll(&mut self, transport: &mut dyn Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        loop {
            if let Some(mut draining) = self.current.take() {
                if !self.check_gone(&mut draining, transport, &mut out) {
                    self.current = Some(draining);
                    return (out, None);
                }
                out.stdout.push_str(&format!(
                    "node/{} drained{}\n",
                    draining.node,
                    dry_suffix(&self.dry)
                ));
                self.drained.push(draining.node);
            }
            let Some(node) = self
                .nodes
                .iter()
                .find(|n| !self.drained.contains(n))
                .cloned()
            else {
                let code = out.exit_code;
                return (out, Some(code));
            };
            match self.start_node(transport, &node, &mut out) {
                Ok(draining) => self.current = Some(draining),
                Err(errors) => {
                    if let Some(code) = self.node_failed(&node, errors, &mut out) {
                        return (out, Some(code));
                    }
                    // --ignore-errors: go on with the next node, but remember the failure.
                    self.drained.push(node);
                    out.exit_code = 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, owner: Option<&str>, extra: Value) -> Value {
        let mut p = json!({"metadata": {"namespace": "default", "name": name}, "spec": {}, "status": {"phase": "Running"}});
        if let Some(kind) = owner {
            p["metadata"]["ownerReferences"] =
                json!([{"kind": kind, "name": "owner", "controller": true}]);
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                if k == "volumes" {
                    p["spec"]["volumes"] = v;
                } else {
                    p["metadata"][k] = v;
                }
            }
        }
        p
    }

    fn judge(p: &Value, policy: &Policy) -> Verdict {
        verdict(p, policy, &mut |_, _| Ok(true))
    }

    #[test]
    fn filters_follow_upstream() {
        let strict = Policy::default();
        let lenient = Policy {
            force: true,
            ignore_daemonsets: true,
            delete_emptydir_data: true,
        };
        let ds = pod("ds", Some("DaemonSet"), json!({}));
        assert_eq!(
            judge(&ds, &strict),
            Verdict::Error("DaemonSet-managed Pods (use --ignore-daemonsets to ignore)".into())
        );
        assert_eq!(
            judge(&ds, &lenient),
            Verdict::SkipWarning("ignoring DaemonSet-managed Pods")
        );
        let bare = pod("bare", None, json!({}));
        assert_eq!(
            judge(&bare, &strict),
            Verdict::Error(
                "cannot delete Pods that declare no controller (use --force to override)".into()
            )
        );
        assert_eq!(
            judge(&bare, &lenient),
            Verdict::DeleteWarning("deleting Pods that declare no controller")
        );
        let mirror = pod(
            "etcd",
            None,
            json!({"annotations": {"kubernetes.io/config.mirror": "x"}}),
        );
        assert_eq!(judge(&mirror, &strict), Verdict::Skip);
        let scratch = pod(
            "rs",
            Some("ReplicaSet"),
            json!({"volumes": [{"name": "t", "emptyDir": {}}]}),
        );
        assert_eq!(
            judge(&scratch, &strict),
            Verdict::Error(
                "Pods with local storage (use --delete-emptydir-data to override)".into()
            )
        );
        // The warning of an earlier filter is replaced by a later filter's verdict.
        assert_eq!(judge(&scratch, &lenient), Verdict::Delete);
        assert_eq!(
            judge(&pod("web", Some("ReplicaSet"), json!({})), &strict),
            Verdict::Delete
        );
    }

    #[test]
    fn orphaned_daemonset_pods_need_force() {
        let ds = pod("ds", Some("DaemonSet"), json!({}));
        let mut gone = |_: &str, _: &str| Ok(false);
        assert_eq!(
            verdict(&ds, &Policy::default(), &mut gone),
            Verdict::Error("daemonsets.apps \"owner\" not found".into())
        );
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let g = grouped(
            [
                ("b", "p1".to_string()),
                ("a", "p2".into()),
                ("b", "p3".into()),
            ]
            .into_iter(),
        );
        assert_eq!(
            g,
            vec![
                ("b".to_string(), vec!["p1".to_string(), "p3".into()]),
                ("a".into(), vec!["p2".into()])
            ]
        );
        assert_eq!(aggregate(&["x".into()]), "x");
        assert_eq!(aggregate(&["x".into(), "y".into()]), "[x, y]");
    }

    /// A server with one ReplicaSet pod on node n1 that takes two looks to disappear after its
    /// eviction.
    struct Terminating {
        evicted: bool,
        looks_left: u32,
    }

    impl Transport for Terminating {
        fn call(&mut self, r: Request) -> crate::rest::Response {
            use crate::rest::Response;
            let path = r.path_only().to_string();
            let web = json!({"metadata": {"namespace": "default", "name": "web-1", "uid": "u1",
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "controller": true}]},
                "spec": {}, "status": {"phase": "Running"}});
            match (r.method.as_str(), path.as_str()) {
                ("GET", "/api/v1/pods") => {
                    let items = if self.evicted { vec![] } else { vec![web] };
                    Response::json(200, &json!({"items": items}))
                }
                ("POST", "/api/v1/namespaces/default/pods/web-1/eviction") => {
                    self.evicted = true;
                    Response::json(201, &json!({"kind": "Status", "status": "Success"}))
                }
                ("GET", "/api/v1/namespaces/default/pods/web-1") if self.looks_left > 0 => {
                    self.looks_left -= 1;
                    Response::json(200, &web)
                }
                _ => Response::json(
                    404,
                    &json!({"kind": "Status", "reason": "NotFound", "message": "not found"}),
                ),
            }
        }
    }

    #[test]
    fn drain_waits_for_evicted_pods_then_reports_the_node() {
        let mut run = Drain {
            nodes: vec!["n1".into()],
            drained: Vec::new(),
            current: None,
            policy: Policy::default(),
            pod_selector: String::new(),
            grace_period: None,
            disable_eviction: false,
            ignore_errors: false,
            dry: "none".into(),
        };
        let mut server = Terminating {
            evicted: false,
            looks_left: 2,
        };
        let (out, code) = run.poll(&mut server);
        assert_eq!(out.stdout, "evicting pod default/web-1\n");
        assert_eq!(code, None);
        let (out, code) = run.poll(&mut server);
        assert_eq!((out.stdout.as_str(), code), ("", None));
        let (out, code) = run.poll(&mut server);
        assert_eq!(out.stdout, "pod/web-1 evicted\nnode/n1 drained\n");
        assert_eq!(code, Some(0));
    }
}
