//! `kubectl diff -f FILE|DIR`: what `kubectl apply` would change, as a unified diff of the live
//! object and the object the server returns for a dry-run apply.
//!
//! The real kubectl writes both objects as YAML into two temporary directories (`LIVE-<n>` and
//! `MERGED-<n>`) and runs `diff -u -N` over them; the emulation prints what GNU diff prints for
//! those directories: a `diff -u -N` line, `---`/`+++` headers with the files' times, and hunks
//! with three lines of context. Exit code 1 means differences, 0 none, 2 an error (kubectl's
//! convention for this command).

use serde_json::{json, Value};
use similar::TextDiff;

use super::resources::{
    json_request, mapping_for, mapping_not_found, place, read_manifests, set_namespace,
};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag};
use crate::printers;
use crate::rest::Request;
use crate::{server_error, Output};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// kubectl diff's exit code for an error (1 is "differences found").
const ERROR_EXIT: i32 = 2;

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        b("recursive", Some('R')),
        v("kustomize", Some('k')),
        b("server-side", None),
        b("force-conflicts", None),
        v("field-manager", None),
        v("selector", Some('l')),
        b("prune", None),
        v("prune-allowlist", None),
        b("show-managed-fields", None),
        v("concurrency", None),
    ];
    let Some(p) = parse_flags("diff", args, F, out) else {
        out.exit_code = ERROR_EXIT;
        return;
    };
    set_namespace(&p, env);
    let files = p.all("filename");
    if files.is_empty() {
        fail(out, "error: must specify one of -f and -k");
        return;
    }
    let Some(docs) = read_manifests(&files, env, out) else {
        out.exit_code = ERROR_EXIT;
        return;
    };
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    for (file, obj) in docs {
        let Some(m) = mapping_for(env, &obj) else {
            fail(out, &mapping_not_found(&file, &obj));
            return;
        };
        match live_and_merged(&p, env, &m, obj) {
            Ok((name, live, merged)) => {
                let show_managed = p.bool("show-managed-fields");
                let live = live.map(|l| strip_managed_fields(l, show_managed));
                let mut merged = strip_managed_fields(merged, show_managed);
                let mut live = live;
                if merged["kind"] == "Secret" {
                    mask_secret_data(live.as_mut(), &mut merged);
                }
                let live_yaml = live.map(|l| printers::yaml::to_string(&l));
                pairs.push((
                    name,
                    live_yaml.unwrap_or_default(),
                    printers::yaml::to_string(&merged),
                ));
            }
            Err(e) => {
                fail(out, &e);
                return;
            }
        }
    }
    let now = env.transport.now();
    let text = render(&pairs, &temp_suffixes(now), &file_time(now));
    if !text.is_empty() {
        out.stdout.push_str(&text);
        out.exit_code = 1;
    }
}

fn fail(out: &mut Output, message: &str) {
    out.fail(message);
    out.exit_code = ERROR_EXIT;
}

/// The file name kubectl gives an object: `apps.v1.Deployment.default.web`, `v1.Pod.default.p`.
fn object_file_name(m: &Mapping, namespace: &str, name: &str) -> String {
    let group = if m.group.is_empty() {
        String::new()
    } else {
        format!("{}.", m.group)
    };
    format!("{group}{}.{}.{namespace}.{name}", m.version, m.kind)
}

/// The live object (None when it does not exist) and what a dry-run apply makes of it.
fn live_and_merged(
    p: &crate::flags::Parsed,
    env: &mut Env,
    m: &Mapping,
    mut obj: Value,
) -> Result<(String, Option<Value>, Value), String> {
    let (name, ns) = place(env, m, &mut obj);
    let file_ns = if m.namespaced { ns.as_str() } else { "" };
    let file_name = object_file_name(m, file_ns, &name);
    let path = m.object_path(Some(&ns), &name);
    let live = env
        .transport
        .call(Request::get(path.clone()).header("accept", "application/json"));
    if live.status >= 400 && live.status != 404 {
        return Err(server_error(&live));
    }
    let live = (live.status < 400).then(|| live.body_json().unwrap_or_default());
    let manager = p.get("field-manager");
    if p.bool("server-side") {
        let query = format!(
            "?dryRun=All&fieldManager={}{}",
            manager.unwrap_or("kubectl"),
            if p.bool("force-conflicts") {
                "&force=true"
            } else {
                ""
            }
        );
        let mut req = Request::new("PATCH", format!("{path}{query}"))
            .header("accept", "application/json")
            .header("content-type", "application/apply-patch+yaml");
        req.body = printers::json::to_compact(&obj).into_bytes();
        let resp = env.transport.call(req);
        if resp.status == 409 {
            // kubectl retries a conflicting dry run with the live resourceVersion as a lock, then
            // once without it; a field-ownership conflict fails both ways, after this warning.
            let warning = crate::klog::line(
                'W',
                env.transport.now(),
                "diff.go:723",
                &format!(
                    "Object ({}, Kind={}: {name}) keeps changing, diffing without lock",
                    m.api_version(),
                    m.kind
                ),
            );
            return Err(format!("{warning}{}", server_error(&resp)));
        }
        if resp.status >= 400 {
            return Err(server_error(&resp));
        }
        return Ok((file_name, live, resp.body_json().unwrap_or_default()));
    }
    let query = format!(
        "?dryRun=All&fieldManager={}",
        manager.unwrap_or("kubectl-client-side-apply")
    );
    // What apply would send, without recording the last-applied configuration
    // (`GetModifiedConfiguration(obj, annotate=false)` still leaves an annotations map).
    let mut modified = obj;
    if !modified["metadata"]["annotations"].is_object() {
        modified["metadata"]["annotations"] = json!({});
    }
    if let Some(a) = modified["metadata"]["annotations"].as_object_mut() {
        a.remove(LAST_APPLIED);
    }
    let Some(current) = live.clone() else {
        // A create sends the object as Go encodes it: an empty annotations map is left out.
        if modified["metadata"]["annotations"]
            .as_object()
            .is_some_and(|a| a.is_empty())
        {
            if let Some(meta) = modified["metadata"].as_object_mut() {
                meta.remove("annotations");
            }
        }
        let resp = env.transport.call(json_request(
            "POST",
            format!("{}{query}", m.collection_path(Some(&ns))),
            "application/json",
            &modified,
        ));
        if resp.status >= 400 {
            return Err(server_error(&resp));
        }
        return Ok((file_name, None, resp.body_json().unwrap_or_default()));
    };
    let original: Value = current["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let patch = crate::threeway::three_way_patch(&original, &modified, &current);
    if patch.as_object().is_some_and(|p| p.is_empty()) {
        return Ok((file_name, live, current));
    }
    let resp = env.transport.call(json_request(
        "PATCH",
        format!("{path}{query}"),
        "application/strategic-merge-patch+json",
        &patch,
    ));
    if resp.status >= 400 {
        return Err(server_error(&resp));
    }
    Ok((file_name, live, resp.body_json().unwrap_or_default()))
}

/// Managed fields are left out unless `--show-managed-fields`.
fn strip_managed_fields(mut obj: Value, show: bool) -> Value {
    if !show {
        if let Some(meta) = obj["metadata"].as_object_mut() {
            meta.remove("managedFields");
        }
    }
    obj
}

/// kubectl's `Masker`: a Secret's values never reach the terminal. A value that changes becomes
/// `*** (before)` and `*** (after)`, any other `***`.
fn mask_secret_data(live: Option<&mut Value>, merged: &mut Value) {
    let before = live
        .as_ref()
        .and_then(|l| l["data"].as_object().cloned())
        .unwrap_or_default();
    let after = merged["data"].as_object().cloned().unwrap_or_default();
    let changed = |k: &String| {
        before
            .get(k)
            .is_some_and(|b| after.get(k).is_some_and(|a| a != b))
    };
    if let Some(live) = live {
        if let Some(data) = live["data"].as_object_mut() {
            for (k, v) in data.iter_mut() {
                *v = json!(if changed(k) { "*** (before)" } else { "***" });
            }
        }
    }
    if let Some(data) = merged["data"].as_object_mut() {
        for (k, v) in data.iter_mut() {
            *v = json!(if changed(k) { "*** (after)" } else { "***" });
        }
    }
}

/// The temporary directories' random suffixes (Go's `os.MkdirTemp`: a random `uint32`), drawn
/// from the clock since the emulation has no randomness of its own.
fn temp_suffixes(now: jiff::Timestamp) -> (String, String) {
    let n = now.as_nanosecond() as u128;
    let a = (n.wrapping_mul(2_654_435_761) >> 7) as u32;
    let b = (n.wrapping_mul(40_503).wrapping_add(977) >> 3) as u32;
    (format!("/tmp/LIVE-{a}"), format!("/tmp/MERGED-{b}"))
}

/// A file's modification time as GNU diff prints it: `2026-11-21 22:23:00.192302285 +0000`.
fn file_time(now: jiff::Timestamp) -> String {
    now.strftime("%Y-%m-%d %H:%M:%S.%N +0000").to_string()
}

/// GNU `diff -u -N LIVE MERGED` over the two directories: one section per object whose YAML
/// differs, in file name order.
fn render(pairs: &[(String, String, String)], dirs: &(String, String), time: &str) -> String {
    let mut sorted: Vec<&(String, String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    for (name, live, merged) in sorted {
        if live == merged {
            continue;
        }
        let (a, b) = (format!("{}/{name}", dirs.0), format!("{}/{name}", dirs.1));
        text.push_str(&format!("diff -u -N {a} {b}\n"));
        text.push_str(&format!("--- {a}\t{time}\n+++ {b}\t{time}\n"));
        let diff = TextDiff::from_lines(live.as_str(), merged.as_str());
        for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
            text.push_str(&hunk.to_string());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRS: (&str, &str) = ("/tmp/LIVE-1", "/tmp/MERGED-2");

    fn dirs() -> (String, String) {
        (DIRS.0.to_string(), DIRS.1.to_string())
    }

    #[test]
    fn hunks_read_like_gnu_diff() {
        let live = (1..=20).map(|i| format!("l{i}\n")).collect::<String>();
        let merged = live.replace("l5\n", "x5\n").replace("l18\n", "x18\n");
        let text = render(&[("v1.Pod.default.p".into(), live, merged)], &dirs(), "T");
        assert_eq!(
            text,
            "diff -u -N /tmp/LIVE-1/v1.Pod.default.p /tmp/MERGED-2/v1.Pod.default.p\n\
             --- /tmp/LIVE-1/v1.Pod.default.p\tT\n+++ /tmp/MERGED-2/v1.Pod.default.p\tT\n\
             @@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+x5\n l6\n l7\n l8\n\
             @@ -15,6 +15,6 @@\n l15\n l16\n l17\n-l18\n+x18\n l19\n l20\n"
        );
    }

    #[test]
    fn a_new_object_diffs_against_an_empty_file_and_equal_ones_print_nothing() {
        let text = render(
            &[
                ("b".into(), String::new(), "a: 1\nb: 2\n".into()),
                ("a".into(), "same\n".into(), "same\n".into()),
            ],
            &dirs(),
            "T",
        );
        assert_eq!(
            text,
            "diff -u -N /tmp/LIVE-1/b /tmp/MERGED-2/b\n--- /tmp/LIVE-1/b\tT\n+++ /tmp/MERGED-2/b\tT\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n"
        );
    }

    #[test]
    fn close_changes_share_a_hunk() {
        // Six unchanged lines between two changes still make one hunk, as in GNU diff.
        let live = (1..=12).map(|i| format!("l{i}\n")).collect::<String>();
        let merged = live.replace("l2\n", "x2\n").replace("l9\n", "x9\n");
        let text = render(&[("f".into(), live, merged)], &dirs(), "T");
        assert_eq!(text.matches("@@ -").count(), 1);
        assert!(text.contains("@@ -1,12 +1,12 @@\n"));
    }

    #[test]
    fn file_names_follow_kubectl() {
        let m = Mapping {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
            singular: "deployment".into(),
            short_names: vec![],
            namespaced: true,
            categories: vec![],
            verbs: vec![],
        };
        assert_eq!(
            object_file_name(&m, "default", "web"),
            "apps.v1.Deployment.default.web"
        );
        let core = Mapping {
            group: String::new(),
            kind: "Namespace".into(),
            ..m
        };
        assert_eq!(object_file_name(&core, "", "shop"), "v1.Namespace..shop");
    }

    #[test]
    fn managed_fields_and_secret_values_are_hidden() {
        let o = strip_managed_fields(
            json!({"metadata": {"managedFields": [1], "name": "s"}}),
            false,
        );
        assert_eq!(o, json!({"metadata": {"name": "s"}}));
        let mut live = json!({"data": {"same": "YQ==", "changed": "Yg==", "gone": "Yw=="}});
        let mut merged = json!({"data": {"same": "YQ==", "changed": "ZA==", "new": "ZQ=="}});
        mask_secret_data(Some(&mut live), &mut merged);
        assert_eq!(
            live,
            json!({"data": {"same": "***", "changed": "*** (before)", "gone": "***"}})
        );
        assert_eq!(
            merged,
            json!({"data": {"same": "***", "changed": "*** (after)", "new": "***"}})
        );
    }
}
