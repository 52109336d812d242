//! `kubectl rollout history|undo|status` for Deployments, after upstream
//! `polymorphichelpers/{history,rollback,rollout_status}.go`.
//!
//! A Deployment's history lives in the ReplicaSets it owns: each carries the revision it was in
//! `deployment.kubernetes.io/revision` and the pod template of that revision.

use serde_json::{json, Map, Value};

use super::resources::{json_request, set_namespace, type_names};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag};
use crate::printers::tabwriter;
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// Deployment annotations a rollback keeps from the live object instead of taking the
/// ReplicaSet's (upstream `annotationsToSkip`).
const ANNOTATIONS_TO_SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    match args.first().map(String::as_str) {
        Some("history") => history(&args[1..], env, out),
        Some("undo") => undo(&args[1..], env, out),
        Some("status") => status(&args[1..], env, out),
        _ => out.fail(
            "error: unknown command for \"kubectl rollout\"\nSee 'kubectl rollout --help' for usage."
                .to_string(),
        ),
    }
}

/// Resolves the `TYPE NAME`/`TYPE/NAME` arguments and GETs each object, as the resource builder
/// does before the command looks at it.
fn targets(
    command: &str,
    args: &[String],
    env: &mut Env,
    out: &mut Output,
) -> Option<Vec<(Mapping, Value)>> {
    if args.is_empty() {
        out.fail(format!(
            "error: required resource not specified\nSee 'kubectl rollout {command} -h' for help and examples"
        ));
        return None;
    }
    let list = type_names(args, env, out)?;
    let ns = env.namespace.clone();
    let mut found = Vec::new();
    for (m, name) in list {
        let resp = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        if m.kind != "Deployment" {
            out.fail(format!(
                "error: no {command} viewer has been implemented for \"{}\" in this terminal",
                m.kind
            ));
            continue;
        }
        found.push((m, resp.body_json().unwrap_or_default()));
    }
    Some(found)
}

/// The revision a ReplicaSet or Deployment records (0 when it has none, like upstream).
fn revision(obj: &Value) -> Option<i64> {
    match obj["metadata"]["annotations"][REVISION].as_str() {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// The ReplicaSets a Deployment controls: listed by its selector, kept when their controller
/// reference is the Deployment (upstream `deploymentutil.GetAllReplicaSets`).
fn owned_replicasets(deployment: &Value, env: &mut Env, out: &mut Output) -> Option<Vec<Value>> {
    let ns = deployment["metadata"]["namespace"].as_str().unwrap_or("");
    let uid = deployment["metadata"]["uid"].as_str().unwrap_or("");
    let selector = label_selector(&deployment["spec"]["selector"]);
    let mut path = format!("/apis/apps/v1/namespaces/{ns}/replicasets");
    if !selector.is_empty() {
        path.push_str(&format!("?labelSelector={}", percent_encode(&selector)));
    }
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return None;
    }
    let list = resp.body_json().unwrap_or_default();
    let owned = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rs| {
            rs["metadata"]["ownerReferences"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["controller"].as_bool() == Some(true) && r["uid"].as_str() == Some(uid))
        })
        .cloned()
        .collect();
    Some(owned)
}

/// A `LabelSelector` in the string form of `metav1.LabelSelectorAsSelector` (sorted by key).
fn label_selector(sel: &Value) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel["matchLabels"].as_object() {
        for (k, v) in m {
            parts.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or("").to_string();
        let mut values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let text = match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            _ => format!("!{key}"),
        };
        parts.push((key, text));
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    parts
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

fn history(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("revision", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        v("output", Some('o')),
        b("recursive", Some('R')),
        b("allow-missing-template-keys", None),
        b("show-managed-fields", None),
        v("template", None),
    ];
    let Some(p) = parse_flags("rollout history", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let wanted: i64 = match p.get("revision").map(str::parse).transpose() {
        Ok(r) => r.unwrap_or(0),
        Err(_) => {
            out.fail(format!(
                "error: invalid argument \"{}\" for \"--revision\" flag: strconv.ParseInt: parsing \"{}\": invalid syntax\nSee 'kubectl rollout history --help' for usage.",
                p.get("revision").unwrap_or(""),
                p.get("revision").unwrap_or("")
            ));
            return;
        }
    };
    let Some(found) = targets("history", &p.args, env, out) else {
        return;
    };
    for (m, obj) in found {
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        // The history viewer GETs the Deployment again before listing its ReplicaSets.
        let resp = env.transport.call(
            Request::get(m.object_path(Some(&env.namespace.clone()), &name))
                .header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let deployment = resp.body_json().unwrap_or_default();
        let Some(replicasets) = owned_replicasets(&deployment, env, out) else {
            continue;
        };
        // Revision → ReplicaSet; a later ReplicaSet with the same revision wins, like the map upstream.
        let mut by_revision: std::collections::BTreeMap<i64, Value> = Default::default();
        for rs in replicasets {
            if let Some(r) = revision(&rs) {
                by_revision.insert(r, rs);
            }
        }
        let text = if by_revision.is_empty() {
            "No rollout history found.".to_string()
        } else if wanted > 0 {
            let Some(rs) = by_revision.get(&wanted) else {
                out.fail("error: unable to find the specified revision".to_string());
                continue;
            };
            pod_template_text(rs)
        } else {
            let mut tw = tabwriter::TabWriter::new(tabwriter::DESCRIBE);
            tw.write("REVISION\tCHANGE-CAUSE\n");
            for (r, rs) in &by_revision {
                let cause = rs["metadata"]["annotations"][CHANGE_CAUSE]
                    .as_str()
                    .filter(|c| !c.is_empty())
                    .unwrap_or("<none>");
                tw.write(&format!("{r}\t{cause}\n"));
            }
            tw.flush();
            tw.take()
        };
        let with_revision = if wanted > 0 {
            format!("with revision #{wanted}")
        } else {
            String::new()
        };
        out.stdout.push_str(&format!(
            "{}/{name} {with_revision}\n{text}\n",
            m.kind_prefix()
        ));
    }
}

/// A pod template as `describe.DescribePodTemplate` prints it (the parts a course template has).
fn pod_template_text(rs: &Value) -> String {
    let t = &rs["spec"]["template"];
    let mut s = String::from("Pod Template:\n");
    // printLabelsMultiline: the first entry after the title, the others on lines of their own
    // behind a tab.
    let map_lines = |title: &str, m: &Value, s: &mut String| {
        let entries: Vec<(String, String)> = m
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        if entries.is_empty() {
            s.push_str(&format!("  {title}\t<none>\n"));
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            let head = if i == 0 {
                format!("  {title}")
            } else {
                String::new()
            };
            s.push_str(&format!("{head}\t{k}={v}\n"));
        }
    };
    map_lines("Labels:", &t["metadata"]["labels"], &mut s);
    if t["metadata"]["annotations"]
        .as_object()
        .is_some_and(|a| !a.is_empty())
    {
        map_lines("Annotations:", &t["metadata"]["annotations"], &mut s);
    }
    if let Some(sa) = t["spec"]["serviceAccountName"].as_str() {
        s.push_str(&format!("  Service Account:\t{sa}\n"));
    }
    s.push_str("  Containers:\n");
    for c in t["spec"]["containers"].as_array().into_iter().flatten() {
        s.push_str(&format!("   {}:\n", c["name"].as_str().unwrap_or("")));
        s.push_str(&format!(
            "    Image:\t{}\n",
            c["image"].as_str().unwrap_or("")
        ));
        let ports: Vec<String> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{}/{}",
                    p["containerPort"].as_i64().unwrap_or(0),
                    p["protocol"].as_str().unwrap_or("TCP")
                )
            })
            .collect();
        let host: Vec<String> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{}/{}",
                    p["hostPort"].as_i64().unwrap_or(0),
                    p["protocol"].as_str().unwrap_or("TCP")
                )
            })
            .collect();
        if ports.is_empty() {
            s.push_str("    Port:\t<none>\n    Host Port:\t<none>\n");
        } else {
            s.push_str(&format!("    Port:\t{}\n", ports.join(", ")));
            s.push_str(&format!("    Host Port:\t{}\n", host.join(", ")));
        }
        s.push_str("    Environment:\t<none>\n    Mounts:\t<none>\n");
    }
    s.push_str("  Volumes:\t<none>\n");
    s.push_str("  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n");
    // The history viewer writes through a PrefixWriter with no tabwriter: tabs stay tabs.
    s
}

/// The template without its `pod-template-hash` label, for comparing and restoring.
fn template_without_hash(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(labels) = t["metadata"]["labels"].as_object_mut() {
        labels.remove(POD_TEMPLATE_HASH);
    }
    t
}

fn undo(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("to-revision", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        v("output", Some('o')),
        v("dry-run", None),
        b("recursive", Some('R')),
        b("allow-missing-template-keys", None),
        b("show-managed-fields", None),
        v("template", None),
    ];
    let Some(p) = parse_flags("rollout undo", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let to: i64 = match p.get("to-revision").map(str::parse).transpose() {
        Ok(r) => r.unwrap_or(0),
        Err(_) => {
            let raw = p.get("to-revision").unwrap_or("");
            out.fail(format!(
                "error: invalid argument \"{raw}\" for \"--to-revision\" flag: strconv.ParseInt: parsing \"{raw}\": invalid syntax\nSee 'kubectl rollout undo --help' for usage."
            ));
            return;
        }
    };
    let Some(found) = targets("undo", &p.args, env, out) else {
        return;
    };
    for (m, obj) in found {
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        if to < 0 {
            out.fail(format!(
                "error: unable to find specified revision {to} in history"
            ));
            continue;
        }
        let path = m.object_path(Some(&env.namespace.clone()), &name);
        let resp = env
            .transport
            .call(Request::get(path.clone()).header("accept", "application/json"));
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let deployment = resp.body_json().unwrap_or_default();
        let Some(replicasets) = owned_replicasets(&deployment, env, out) else {
            continue;
        };
        let Some(target) = rollback_target(&replicasets, to) else {
            out.fail(if to > 0 {
                format!("error: unable to find specified revision {to} in history")
            } else {
                format!("error: no rollout history found for deployment \"{name}\"")
            });
            continue;
        };
        if deployment["spec"]["paused"].as_bool() == Some(true) {
            out.fail("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".to_string());
            continue;
        }
        let template = template_without_hash(&target["spec"]["template"]);
        let message = if template == template_without_hash(&deployment["spec"]["template"]) {
            format!("skipped rollback (current template already matches revision {to})")
        } else {
            let patch = rollback_patch(&deployment, &target, template);
            let resp = env.transport.call(json_request(
                "PATCH",
                format!("{path}?fieldManager=kubectl-rollout"),
                "application/json-patch+json",
                &patch,
            ));
            if resp.status >= 400 {
                out.fail(format!(
                    "error: failed restoring revision {to}: {}",
                    server_error(&resp).trim_start_matches("Error from server: ")
                ));
                continue;
            }
            "rolled back".to_string()
        };
        out.stdout
            .push_str(&format!("{}/{name} {message}\n", m.kind_prefix()));
    }
}

/// The ReplicaSet to roll back to: the given revision, or with 0 the one before the newest.
fn rollback_target(replicasets: &[Value], to: i64) -> Option<Value> {
    let (mut latest, mut previous): (Option<(i64, &Value)>, Option<(i64, &Value)>) = (None, None);
    for rs in replicasets {
        let Some(r) = revision(rs) else { continue };
        if to > 0 {
            if r == to {
                return Some(rs.clone());
            }
            continue;
        }
        if latest.is_none_or(|(l, _)| l < r) {
            previous = latest;
            latest = Some((r, rs));
        } else if previous.is_none_or(|(p, _)| p < r) {
            previous = Some((r, rs));
        }
    }
    if to > 0 {
        return None;
    }
    previous.map(|(_, rs)| rs.clone())
}

/// The JSON patch the real kubectl sends: replace the template and the annotations.
fn rollback_patch(deployment: &Value, target: &Value, mut template: Value) -> Value {
    let mut annotations = Map::new();
    for k in ANNOTATIONS_TO_SKIP {
        if let Some(v) = deployment["metadata"]["annotations"].get(*k) {
            annotations.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in target["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    // Go marshals the typed template, whose metadata always has a creationTimestamp.
    if let Some(meta) = template["metadata"].as_object_mut() {
        meta.entry("creationTimestamp").or_insert(Value::Null);
    }
    json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ])
}

/// Where a Deployment's rollout stands (upstream `DeploymentStatusViewer.Status`): the message
/// and whether the rollout is done, or an error.
fn rollout_state(d: &Value) -> Result<(String, bool), String> {
    let name = d["metadata"]["name"].as_str().unwrap_or("");
    let generation = d["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = d["status"]["observedGeneration"].as_i64().unwrap_or(0);
    if generation > observed {
        return Ok((
            "Waiting for deployment spec update to be observed...\n".into(),
            false,
        ));
    }
    let timed_out = d["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded");
    if timed_out {
        return Err(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let st = |k: &str| d["status"][k].as_i64().unwrap_or(0);
    let (replicas, updated, available) = (
        st("replicas"),
        st("updatedReplicas"),
        st("availableReplicas"),
    );
    if let Some(want) = d["spec"]["replicas"].as_i64() {
        if updated < want {
            return Ok((format!("Waiting for deployment \"{name}\" rollout to finish: {updated} out of {want} new replicas have been updated...\n"), false));
        }
    }
    if replicas > updated {
        return Ok((format!("Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n", replicas - updated), false));
    }
    if available < updated {
        return Ok((format!("Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available...\n"), false));
    }
    Ok((
        format!("deployment \"{name}\" successfully rolled out\n"),
        true,
    ))
}

fn status(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("watch", Some('w')),
        v("revision", None),
        v("timeout", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        b("recursive", Some('R')),
    ];
    let Some(p) = parse_flags("rollout status", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let watch = !p.has("watch") || p.bool("watch");
    let wanted: i64 = p.get("revision").and_then(|r| r.parse().ok()).unwrap_or(0);
    // `--timeout=0` (the default) waits forever.
    let deadline = match p.get("timeout").map(go_duration) {
        None => None,
        Some(Ok(d)) if d.is_zero() => None,
        Some(Ok(d)) => Some(env.transport.now() + d),
        Some(Err(_)) => {
            let raw = p.get("timeout").unwrap_or("");
            out.fail(format!("error: invalid argument \"{raw}\" for \"--timeout\" flag: time: invalid duration \"{raw}\"\nSee 'kubectl rollout status --help' for usage."));
            return;
        }
    };
    let Some(found) = targets("status", &p.args, env, out) else {
        return;
    };
    for (m, obj) in found {
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        if wanted > 0 {
            let running = revision(&obj).unwrap_or(0);
            if running != wanted {
                out.fail(format!("error: desired revision ({wanted}) is different from the running revision ({running})"));
                continue;
            }
        }
        // The watch starts from a list narrowed to the one object.
        let ns = env.namespace.clone();
        let list_path = format!(
            "{}?fieldSelector={}&limit=500",
            m.collection_path(Some(&ns)),
            percent_encode(&format!("metadata.name={name}"))
        );
        let resp = env
            .transport
            .call(Request::get(list_path.clone()).header("accept", "application/json"));
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let list = resp.body_json().unwrap_or_default();
        let Some(current) = list["items"].as_array().and_then(|i| i.first()).cloned() else {
            out.fail(format!("error: object has been deleted"));
            continue;
        };
        match rollout_state(&current) {
            Err(e) => out.fail(format!("error: {e}")),
            Ok((msg, done)) => {
                out.stdout.push_str(&msg);
                if done || !watch {
                    continue;
                }
                match env.stream.as_mut() {
                    Some(slot) => {
                        // Keep watching (one object at a time, like the real command).
                        **slot = Some(Box::new(StatusWatch {
                            list_path: list_path.clone(),
                            resource_version: current["metadata"]["resourceVersion"]
                                .as_str()
                                .unwrap_or("")
                                .to_string(),
                            deadline,
                        }));
                        return;
                    }
                    // Run to completion against a cluster that does not move meanwhile: waiting
                    // cannot end in success, so it ends like the real command's timeout.
                    None => out.fail("error: timed out waiting for the condition".to_string()),
                }
            }
        }
    }
}

/// A Go `time.Duration` as typed (`90s`, `1m30s`, `500ms`, `0`).
fn go_duration(text: &str) -> Result<jiff::SignedDuration, ()> {
    if text == "0" {
        return Ok(jiff::SignedDuration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err(());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or(())?;
        let n: f64 = rest[..num_len].parse().map_err(|_| ())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(()),
        };
        total += n * seconds;
        rest = &rest[unit_len..];
    }
    Ok(jiff::SignedDuration::from_secs_f64(total))
}

/// `rollout status` after its first look: a new status line each time the Deployment changes,
/// until the rollout is done (upstream watches the object; the shell polls on cluster changes).
struct StatusWatch {
    list_path: String,
    resource_version: String,
    /// `--timeout`, on the cluster's clock.
    deadline: Option<jiff::Timestamp>,
}

impl crate::Running for StatusWatch {
    fn poll(&mut self, transport: &mut dyn crate::rest::Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        if self.deadline.is_some_and(|d| transport.now() >= d) {
            out.fail("error: timed out waiting for the condition");
            return (out, Some(1));
        }
        let resp = transport
            .call(Request::get(self.list_path.clone()).header("accept", "application/json"));
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return (out, Some(1));
        }
        let list = resp.body_json().unwrap_or_default();
        let Some(current) = list["items"].as_array().and_then(|i| i.first()).cloned() else {
            out.fail("error: object has been deleted");
            return (out, Some(1));
        };
        let rv = current["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("");
        if rv == self.resource_version {
            return (out, None);
        }
        self.resource_version = rv.to_string();
        match rollout_state(&current) {
            Err(e) => {
                out.fail(format!("error: {e}"));
                (out, Some(1))
            }
            Ok((msg, done)) => {
                out.stdout.push_str(&msg);
                (out, done.then_some(0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(rev: &str, image: &str) -> Value {
        json!({
            "metadata": {"name": format!("web-{rev}"), "annotations": {REVISION: rev, "note": "x"}},
            "spec": {"template": {"metadata": {"labels": {"app": "web", POD_TEMPLATE_HASH: rev}},
                     "spec": {"containers": [{"name": "nginx", "image": image}]}}}
        })
    }

    #[test]
    fn undo_targets_the_revision_before_the_newest() {
        let all = [rs("1", "a"), rs("3", "c"), rs("2", "b")];
        assert_eq!(
            rollback_target(&all, 0).unwrap()["metadata"]["name"],
            "web-2"
        );
        assert_eq!(
            rollback_target(&all, 1).unwrap()["metadata"]["name"],
            "web-1"
        );
        assert!(rollback_target(&all, 7).is_none());
        assert!(rollback_target(&all[..1], 0).is_none());
    }

    #[test]
    fn rollback_patch_replaces_template_and_keeps_revision_annotations() {
        let d = json!({"metadata": {"annotations": {REVISION: "3", "other": "gone"}}});
        let target = rs("1", "a");
        let patch = rollback_patch(
            &d,
            &target,
            template_without_hash(&target["spec"]["template"]),
        );
        assert_eq!(patch[0]["path"], "/spec/template");
        assert!(patch[0]["value"]["metadata"]["labels"]
            .get(POD_TEMPLATE_HASH)
            .is_none());
        assert_eq!(
            patch[0]["value"]["metadata"]["creationTimestamp"],
            Value::Null
        );
        assert_eq!(patch[1]["value"], json!({REVISION: "3", "note": "x"}));
    }

    #[test]
    fn status_messages_follow_upstream() {
        let d = |spec: i64, replicas: i64, updated: i64, available: i64| {
            json!({"metadata": {"name": "web", "generation": 2},
                   "spec": {"replicas": spec},
                   "status": {"observedGeneration": 2, "replicas": replicas,
                              "updatedReplicas": updated, "availableReplicas": available}})
        };
        assert_eq!(
            rollout_state(&d(3, 3, 1, 1)).unwrap().0,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n"
        );
        assert_eq!(
            rollout_state(&d(3, 4, 3, 2)).unwrap().0,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n"
        );
        assert_eq!(
            rollout_state(&d(3, 3, 3, 1)).unwrap().0,
            "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...\n"
        );
        assert_eq!(
            rollout_state(&d(3, 3, 3, 3)).unwrap(),
            (
                "deployment \"web\" successfully rolled out\n".to_string(),
                true
            )
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(
            go_duration("1m30s"),
            Ok(jiff::SignedDuration::from_secs(90))
        );
        assert_eq!(
            go_duration("500ms"),
            Ok(jiff::SignedDuration::from_millis(500))
        );
        assert_eq!(go_duration("0"), Ok(jiff::SignedDuration::ZERO));
        assert!(go_duration("5").is_err() && go_duration("x").is_err());
    }

    #[test]
    fn selectors_print_like_apimachinery() {
        let sel = json!({"matchLabels": {"tier": "x", "app": "web"},
                         "matchExpressions": [{"key": "env", "operator": "In", "values": ["b", "a"]}]});
        assert_eq!(label_selector(&sel), "app=web,env in (a,b),tier=x");
    }
}
