//! `kubectl set env` and `kubectl set resources`, after upstream `pkg/cmd/set` (set_env.go,
//! set_resources.go): the pod template of each object is changed in place, and the object is
//! sent back as a two-way strategic merge patch (nothing is sent when nothing changed).

use serde_json::{json, Map, Value};

use super::record;
use super::resources::{json_request, print_result, set_namespace, type_names};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag, Parsed};
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

/// Where a kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    }
}

fn pod_spec_mut<'a>(obj: &'a mut Value, kind: &str) -> &'a mut Value {
    pod_spec_path(kind).iter().fold(obj, |o, k| &mut o[*k])
}

/// `selectContainers`: names matching a shell pattern (`*` by default).
fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// The objects named by the arguments (or selected with `-l`/`--all`), each fetched.
fn objects(
    resources: &[String],
    p: &Parsed,
    env: &mut Env,
    out: &mut Output,
) -> Option<Vec<(Mapping, Value)>> {
    let list = type_names(resources, env, out)?;
    let ns = env.namespace.clone();
    let mut objs = Vec::new();
    for (m, name) in list {
        if name.is_empty() {
            let mut path = m.collection_path(Some(&ns));
            if let Some(sel) = p.get("selector") {
                path.push_str(&format!("?labelSelector={}", percent_encode(sel)));
            } else if !p.bool("all") {
                out.fail("error: resource(s) were provided, but no name was specified");
                return None;
            }
            let resp = env
                .transport
                .call(Request::get(path).header("accept", "application/json"));
            if resp.status >= 400 {
                out.fail(server_error(&resp));
                return None;
            }
            let mut items = resp.body_json().unwrap_or_default()["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for item in &mut items {
                item["apiVersion"] = json!(m.api_version());
                item["kind"] = json!(m.kind);
            }
            objs.extend(items.into_iter().map(|i| (m.clone(), i)));
            continue;
        }
        let resp = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return None;
        }
        objs.push((m, resp.body_json().unwrap_or_default()));
    }
    Some(objs)
}

/// Sends the two-way patch from `before` to `after` (none when they agree) and prints
/// `kind/name <verb>`.
fn send_update(
    p: &Parsed,
    env: &mut Env,
    out: &mut Output,
    m: &Mapping,
    before: &Value,
    after: &Value,
    verb: &str,
) {
    let patch = crate::threeway::three_way_patch(before, after, before);
    if patch.as_object().is_some_and(|o| o.is_empty()) {
        return;
    }
    let name = after["metadata"]["name"].as_str().unwrap_or("").to_string();
    let dry = p.get("dry-run").unwrap_or("none");
    if dry == "client" {
        let suffix = if p.has("output") { "" } else { " (dry run)" };
        print_result(p, out, m, &name, &format!("{verb}{suffix}"), after);
        return;
    }
    let ns = after["metadata"]["namespace"]
        .as_str()
        .unwrap_or(&env.namespace)
        .to_string();
    let mut query = format!(
        "?fieldManager={}",
        p.get("field-manager").unwrap_or("kubectl-set")
    );
    if dry == "server" {
        query.push_str("&dryRun=All");
    }
    let resp = env.transport.call(json_request(
        "PATCH",
        format!("{}{query}", m.object_path(Some(&ns), &name)),
        "application/strategic-merge-patch+json",
        &patch,
    ));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let suffix = if dry == "server" && !p.has("output") {
        " (server dry run)"
    } else {
        ""
    };
    let patched = resp.body_json().unwrap_or_default();
    print_result(p, out, m, &name, &format!("{verb}{suffix}"), &patched);
}

/// `IsEnvVarName`'s complaint, if any.
fn env_name_error(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    (!ok).then(|| {
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')".to_string()
    })
}

/// `keyToEnvName`: upper case, anything but letters, digits and `_` becomes `_`.
fn key_to_env_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `updateEnv`: existing variables updated in place or removed, new ones appended.
fn update_env(existing: &[Value], set: &[Value], remove: &[String]) -> Vec<Value> {
    let mut covered: Vec<String> = remove.to_vec();
    let mut out = Vec::new();
    for e in existing {
        let name = e["name"].as_str().unwrap_or("").to_string();
        if covered.contains(&name) {
            continue;
        }
        match set.iter().rev().find(|s| s["name"] == e["name"]) {
            Some(newer) => {
                covered.push(name);
                out.push(newer.clone());
            }
            None => out.push(e.clone()),
        }
    }
    for s in set {
        let name = s["name"].as_str().unwrap_or("").to_string();
        if covered.contains(&name) {
            continue;
        }
        covered.push(name);
        out.push(s.clone());
    }
    out
}

/// `GetEnvVarRefString`: where a `valueFrom` points.
fn env_ref(from: &Value) -> String {
    if let Some(r) = from.get("configMapKeyRef") {
        return format!(
            "configmap {}, key {}",
            r["name"].as_str().unwrap_or(""),
            r["key"].as_str().unwrap_or("")
        );
    }
    if let Some(r) = from.get("secretKeyRef") {
        return format!(
            "secret {}, key {}",
            r["name"].as_str().unwrap_or(""),
            r["key"].as_str().unwrap_or("")
        );
    }
    if let Some(r) = from.get("fieldRef") {
        return format!("field path {}", r["fieldPath"].as_str().unwrap_or(""));
    }
    if let Some(r) = from.get("resourceFieldRef") {
        let mut s = String::from("resource ");
        if let Some(c) = r["containerName"].as_str().filter(|c| !c.is_empty()) {
            s.push_str(&format!("{c}:"));
        }
        s.push_str(r["resource"].as_str().unwrap_or(""));
        return s;
    }
    "invalid valueFrom".into()
}

pub fn set_env(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("containers", Some('c')),
        v("env", Some('e')),
        v("from", None),
        v("prefix", None),
        v("keys", None),
        b("list", None),
        b("resolve", None),
        b("overwrite", None),
        b("all", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        b("recursive", Some('R')),
        b("local", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("field-manager", None),
        b("allow-missing-template-keys", None),
        v("template", None),
        b("show-managed-fields", None),
    ];
    // Unlike `set image` and `set resources`, kubectl 1.33's `set env` has no --record flag.
    let Some(p) = parse_flags("set env", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let (env_args, resources): (Vec<String>, Vec<String>) = p
        .args
        .iter()
        .cloned()
        .partition(|a| a.contains('=') || (a.ends_with('-') && a.len() > 1));
    if resources.is_empty() {
        out.fail("error: one or more resources must be specified as <resource> <name> or <resource>/<name>");
        return;
    }
    if p.bool("list") && p.has("output") {
        out.fail("error: --list and --output may not be specified together");
        return;
    }
    let mut set: Vec<Value> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for a in p.all("env").iter().chain(&env_args) {
        if let Some((name, value)) = a.split_once('=') {
            if let Some(e) = env_name_error(name) {
                out.fail(format!("error: \"{name}\" is not a valid key name: {e}"));
                return;
            }
            set.push(json!({"name": name, "value": value}));
        } else if let Some(name) = a.strip_suffix('-') {
            remove.push(name.to_string());
        }
    }
    if let Some(from) = p.get("from") {
        let Some(sources) = objects(&[from.to_string()], &p, env, out) else {
            return;
        };
        let keys = p.all("keys");
        for (m, src) in sources {
            let (reference, kind) = match m.kind.as_str() {
                "ConfigMap" => ("configMapKeyRef", "ConfigMap"),
                "Secret" => ("secretKeyRef", "Secret"),
                _ => {
                    out.fail("error: unsupported resource specified in --from");
                    return;
                }
            };
            let _ = kind;
            // Upstream ranges over a map (a different order each run); keys sorted here.
            let mut data: Vec<String> = src["data"]
                .as_object()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default();
            data.sort();
            for key in data {
                if !keys.is_empty() && !keys.contains(&key) {
                    continue;
                }
                let name = key_to_env_name(&key);
                if name != key {
                    out.stderr
                        .push_str(&format!("Warning: key {key} transferred to {name}\n"));
                }
                set.push(json!({"name": name, "valueFrom": {reference: {"key": key, "name": src["metadata"]["name"]}}}));
            }
        }
    }
    if let Some(prefix) = p.get("prefix") {
        for e in &mut set {
            e["name"] = json!(format!("{prefix}{}", e["name"].as_str().unwrap_or("")));
        }
    }
    let Some(objs) = objects(&resources, &p, env, out) else {
        return;
    };
    let pattern = p.get("containers").unwrap_or("*").to_string();
    for (m, before) in objs {
        let mut after = before.clone();
        let name = before["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let spec = pod_spec_mut(&mut after, &m.kind);
        let mut touched = 0;
        for list in ["containers", "initContainers"] {
            // `get_mut`, not indexing: indexing would add a null `initContainers`.
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for c in containers.iter_mut() {
                let cname = c["name"].as_str().unwrap_or("").to_string();
                if !matches_pattern(&pattern, &cname) {
                    continue;
                }
                touched += 1;
                let existing = c["env"].as_array().cloned().unwrap_or_default();
                let updated = update_env(&existing, &set, &remove);
                if p.bool("list") {
                    out.stdout
                        .push_str(&format!("# {} {name}, container {cname}\n", m.kind));
                    for e in &updated {
                        match e.get("valueFrom") {
                            None => out.stdout.push_str(&format!(
                                "{}={}\n",
                                e["name"].as_str().unwrap_or(""),
                                e["value"].as_str().unwrap_or("")
                            )),
                            Some(from) => out.stdout.push_str(&format!(
                                "# {} from {}\n",
                                e["name"].as_str().unwrap_or(""),
                                env_ref(from)
                            )),
                        }
                    }
                }
                if updated.is_empty() {
                    c.as_object_mut().map(|o| o.remove("env"));
                } else {
                    c["env"] = json!(updated);
                }
            }
        }
        if touched == 0 {
            out.stderr.push_str(&format!(
                "Warning: {}/{name} does not have any containers matching \"{pattern}\"\n",
                m.kind
            ));
            continue;
        }
        if p.bool("list") {
            continue;
        }
        send_update(&p, env, out, &m, &before, &after, "env updated");
    }
}

/// `--limits`/`--requests` (`cpu=200m,memory=512Mi`) as a resource list.
fn resource_list(text: &str) -> Result<Map<String, Value>, String> {
    let mut list = Map::new();
    for pair in text.split(',').filter(|s| !s.is_empty()) {
        let Some((name, quantity)) = pair.split_once('=') else {
            return Err(format!(
                "Invalid argument syntax {pair}, expected <resource>=<value>"
            ));
        };
        if !valid_quantity(quantity) {
            return Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".into());
        }
        list.insert(name.to_string(), json!(quantity));
    }
    Ok(list)
}

/// `resource.ParseQuantity`'s shape check.
fn valid_quantity(q: &str) -> bool {
    let q = q.strip_prefix(['+', '-']).unwrap_or(q);
    let digits = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    if digits == 0 || q[..digits].matches('.').count() > 1 {
        return false;
    }
    let suffix = &q[digits..];
    matches!(
        suffix,
        "" | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
            | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
    ) || (suffix.starts_with(['e', 'E'])
        && suffix[1..]
            .strip_prefix(['+', '-'])
            .unwrap_or(&suffix[1..])
            .chars()
            .all(|c| c.is_ascii_digit())
        && suffix.len() > 1)
}

pub fn set_resources(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("containers", Some('c')),
        v("limits", None),
        v("requests", None),
        b("all", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        b("recursive", Some('R')),
        b("local", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("field-manager", None),
        b("record", None),
        b("allow-missing-template-keys", None),
        v("template", None),
        b("show-managed-fields", None),
    ];
    let Some(p) = parse_flags("set resources", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let change_cause = record::change_cause("set resources", args, F, &p, out);
    let limits = p.get("limits").unwrap_or("").to_string();
    let requests = p.get("requests").unwrap_or("").to_string();
    if limits.is_empty() && requests.is_empty() {
        out.fail("error: you must specify an update to requests or limits (in the form of --requests/--limits)");
        return;
    }
    let (limits, requests) = match (resource_list(&limits), resource_list(&requests)) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => {
            out.fail(format!("error: {e}"));
            return;
        }
    };
    if p.args.is_empty() {
        out.fail("error: one or more resources must be specified as <resource> <name> or <resource>/<name>");
        return;
    }
    let Some(objs) = objects(&p.args, &p, env, out) else {
        return;
    };
    let pattern = p.get("containers").unwrap_or("*").to_string();
    for (m, before) in objs {
        let mut after = before.clone();
        let spec = pod_spec_mut(&mut after, &m.kind);
        let mut touched = 0;
        for list in ["containers", "initContainers"] {
            // `get_mut`, not indexing: indexing would add a null `initContainers`.
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for c in containers.iter_mut() {
                if !matches_pattern(&pattern, c["name"].as_str().unwrap_or("")) {
                    continue;
                }
                touched += 1;
                for (field, values) in [("limits", &limits), ("requests", &requests)] {
                    for (k, q) in values {
                        c["resources"][field][k] = q.clone();
                    }
                }
            }
        }
        if touched == 0 {
            out.fail(format!("error: unable to find container named {pattern}"));
            continue;
        }
        if let Some(cause) = &change_cause {
            after["metadata"]["annotations"][record::CHANGE_CAUSE] = json!(cause);
        }
        send_update(
            &p,
            env,
            out,
            &m,
            &before,
            &after,
            "resource requirements updated",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_updates_in_place_removes_and_appends() {
        let existing = vec![
            json!({"name": "A", "value": "1"}),
            json!({"name": "B", "value": "2"}),
        ];
        let updated = update_env(
            &existing,
            &[
                json!({"name": "B", "value": "3"}),
                json!({"name": "C", "value": "4"}),
            ],
            &["A".to_string()],
        );
        assert_eq!(
            updated,
            vec![
                json!({"name": "B", "value": "3"}),
                json!({"name": "C", "value": "4"})
            ]
        );
    }

    #[test]
    fn keys_become_env_names() {
        assert_eq!(key_to_env_name("log-level.x"), "LOG_LEVEL_X");
        assert!(env_name_error("MY_VAR").is_none());
        assert!(env_name_error("1BAD").is_some());
    }

    #[test]
    fn references_are_described_like_kubectl() {
        assert_eq!(
            env_ref(&json!({"configMapKeyRef": {"name": "s", "key": "k"}})),
            "configmap s, key k"
        );
        assert_eq!(
            env_ref(&json!({"fieldRef": {"fieldPath": "metadata.name"}})),
            "field path metadata.name"
        );
    }

    #[test]
    fn resource_lists_and_quantities() {
        let l = resource_list("cpu=200m,memory=512Mi").unwrap();
        assert_eq!(l["cpu"], "200m");
        assert_eq!(l["memory"], "512Mi");
        assert!(resource_list("cpu=abc").is_err());
        assert!(valid_quantity("0.5"));
        assert!(valid_quantity("1e3"));
        assert!(!valid_quantity("1.2.3"));
    }

    #[test]
    fn container_patterns() {
        assert!(matches_pattern("*", "nginx"));
        assert!(matches_pattern("ng*", "nginx"));
        assert!(!matches_pattern("web", "nginx"));
    }
}
