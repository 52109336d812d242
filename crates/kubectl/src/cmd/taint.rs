//! `kubectl taint NODE KEY[=VALUE]:EFFECT ...` and `KEY[:EFFECT]-`, after upstream
//! `pkg/cmd/taint` (taint.go, utils.go): the same parsing, validation messages, merging of old
//! and new taints and the `tainted`/`untainted`/`modified` verdicts.

use serde_json::{json, Value};

use super::resources::{print_result, set_namespace};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag, Parsed};
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

/// One taint as typed or stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

impl Taint {
    fn from_json(v: &Value) -> Taint {
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        Taint {
            key: s("key"),
            value: s("value"),
            effect: s("effect"),
        }
    }

    /// `MatchTaint`: same key and effect.
    fn matches(&self, other: &Taint) -> bool {
        self.key == other.key && self.effect == other.effect
    }

    /// `Taint.ToString()`.
    fn to_text(&self) -> String {
        match (self.value.is_empty(), self.effect.is_empty()) {
            (true, true) => self.key.clone(),
            (false, true) => format!("{}={}:", self.key, self.value),
            (true, false) => format!("{}:{}", self.key, self.effect),
            (false, false) => format!("{}={}:{}", self.key, self.value, self.effect),
        }
    }
}

const USAGE_HINT: &str = "See 'kubectl taint -h' for help and examples";

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("selector", Some('l')),
        b("overwrite", None),
        b("all", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("validate", None),
        v("field-manager", None),
        b("allow-missing-template-keys", None),
        v("template", None),
        b("show-managed-fields", None),
    ];
    let Some(p) = parse_flags("taint", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    // Resources first, then taint changes (anything with `=`, `:` or a trailing `-`).
    let mut resources = Vec::new();
    let mut changes = Vec::new();
    for a in &p.args {
        let is_taint = a.contains('=') || a.contains(':') || a.ends_with('-');
        if is_taint {
            changes.push(a.clone());
        } else if !changes.is_empty() {
            out.fail(format!(
                "error: all resources must be specified before taint changes: {a}"
            ));
            return;
        } else {
            resources.push(a.clone());
        }
    }
    if resources.is_empty() {
        out.fail("error: one or more resources must be specified as <resource> <name>");
        return;
    }
    if changes.is_empty() {
        out.fail("error: at least one taint update is required");
        return;
    }
    let (to_add, to_remove) = match parse_taints(&changes) {
        Ok(t) => t,
        Err(e) => {
            out.fail(format!("error: {e}\n{USAGE_HINT}"));
            return;
        }
    };
    let typed = resources[0].to_lowercase();
    let Some(mapping) = env.discovery().resolve(&typed).cloned() else {
        out.fail(format!(
            "the server doesn't have a resource type \"{typed}\""
        ));
        return;
    };
    if mapping.kind != "Node" {
        out.fail(format!(
            "error: invalid resource type {typed}, only node types are supported"
        ));
        return;
    }
    let conflicts: Vec<String> = to_add
        .iter()
        .flat_map(|a| {
            to_remove
                .iter()
                .filter(move |r| r.key == a.key && (r.effect.is_empty() || r.effect == a.effect))
                .map(|r| format!("{}={}", r.key, r.effect))
        })
        .collect();
    if !conflicts.is_empty() {
        out.fail(format!(
            "error: can not both modify and remove the following taint(s) in the same command: {}",
            conflicts.join(", ")
        ));
        return;
    }
    let all = p.bool("all");
    let selector = p.get("selector").unwrap_or("").to_string();
    if all && !selector.is_empty() {
        out.fail("error: setting 'all' parameter with a non empty selector is prohibited");
        return;
    }
    if !all && selector.is_empty() && resources.len() < 2 {
        out.fail(
            "error: at least one resource name must be specified since 'all' parameter is not set",
        );
        return;
    }
    let Some(nodes) = select_nodes(&mapping, &resources[1..], all, &selector, env, out) else {
        return;
    };
    let mut errors = Vec::new();
    for node in nodes {
        match taint_node(&p, &mapping, node, &to_add, &to_remove, env, out) {
            Ok(()) => {}
            Err(e) => errors.extend(e),
        }
    }
    // The visitor's errors are reduced like `utilerrors.Reduce`: one is printed as an error,
    // several one a line.
    match errors.as_slice() {
        [] => {}
        [one] if !one.starts_with("Error from server") => out.fail(format!("error: {one}")),
        many => out.fail(many.join("\n")),
    }
}

/// The nodes named (GET each), or listed by `--all`/`-l`.
fn select_nodes(
    mapping: &Mapping,
    names: &[String],
    all: bool,
    selector: &str,
    env: &mut Env,
    out: &mut Output,
) -> Option<Vec<Value>> {
    if all || !selector.is_empty() {
        let mut path = mapping.collection_path(None);
        if !selector.is_empty() {
            path.push_str(&format!("?labelSelector={}", percent_encode(selector)));
        }
        let resp = env
            .transport
            .call(Request::get(path).header("accept", "application/json"));
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
    for name in names {
        let resp = env.transport.call(
            Request::get(mapping.object_path(None, name)).header("accept", "application/json"),
        );
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return None;
        }
        nodes.push(resp.body_json().unwrap_or_default());
    }
    Some(nodes)
}

/// Updates one node's taints and PATCHes them; errors come back as the visitor would see them.
fn taint_node(
    p: &Parsed,
    mapping: &Mapping,
    mut node: Value,
    to_add: &[Taint],
    to_remove: &[Taint],
    env: &mut Env,
    out: &mut Output,
) -> Result<(), Vec<String>> {
    let name = node["metadata"]["name"].as_str().unwrap_or("").to_string();
    let old: Vec<Taint> = node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(Taint::from_json)
        .collect();
    let overwrite = p.bool("overwrite");
    if !overwrite {
        let existing: Vec<&str> = to_add
            .iter()
            .flat_map(|t| {
                old.iter()
                    .filter(move |o| o.key == t.key && o.effect == t.effect)
                    .map(move |_| t.key.as_str())
            })
            .collect();
        if !existing.is_empty() {
            return Err(vec![format!(
                "node {name} already has {} taint(s) with same effect(s) and --overwrite is false",
                existing.join(",")
            )]);
        }
    }
    let (operation, taints) = reorganize(&old, overwrite, to_add, to_remove)?;
    // The old taints' own fields (timeAdded) are kept for those carried over.
    let stored: Vec<Value> = node["spec"]["taints"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let taints_json: Vec<Value> = taints
        .iter()
        .map(|t| {
            stored
                .iter()
                .find(|s| Taint::from_json(s) == *t)
                .cloned()
                .unwrap_or_else(|| taint_json(t))
        })
        .collect();
    // A two-way strategic merge patch: taints have no merge key, so the whole list is sent.
    let patch = if taints_json.is_empty() {
        json!({"spec": {"taints": null}})
    } else {
        json!({"spec": {"taints": taints_json}})
    };
    let dry = p.get("dry-run").unwrap_or("none");
    let suffix = match dry {
        "client" => " (dry run)",
        "server" => " (server dry run)",
        _ => "",
    };
    if dry == "client" {
        if taints_json.is_empty() {
            node["spec"].as_object_mut().map(|s| s.remove("taints"));
        } else {
            node["spec"]["taints"] = json!(taints_json);
        }
        print_result(
            p,
            out,
            mapping,
            &name,
            &format!("{operation}{suffix}"),
            &node,
        );
        return Ok(());
    }
    let mut query = format!(
        "?fieldManager={}",
        p.get("field-manager").unwrap_or("kubectl-taint")
    );
    if dry == "server" {
        query.push_str("&dryRun=All");
    }
    let resp = env.transport.call(super::resources::json_request(
        "PATCH",
        format!("{}{query}", mapping.object_path(None, &name)),
        "application/strategic-merge-patch+json",
        &patch,
    ));
    if resp.status >= 400 {
        return Err(vec![server_error(&resp)]);
    }
    let patched = resp.body_json().unwrap_or(node);
    print_result(
        p,
        out,
        mapping,
        &name,
        &format!("{operation}{suffix}"),
        &patched,
    );
    Ok(())
}

fn taint_json(t: &Taint) -> Value {
    let mut v = json!({"effect": t.effect, "key": t.key});
    if !t.value.is_empty() {
        v["value"] = json!(t.value);
    }
    v
}

/// `reorganizeTaints`: the new taints first, then the old ones not replaced, minus the removed
/// ones; `modified` when adding and removing (or overwriting), else `tainted`/`untainted`.
fn reorganize(
    old: &[Taint],
    overwrite: bool,
    to_add: &[Taint],
    to_remove: &[Taint],
) -> Result<(&'static str, Vec<Taint>), Vec<String>> {
    let mut taints: Vec<Taint> = to_add.to_vec();
    for o in old {
        if !taints.iter().any(|t| t.matches(o)) {
            taints.push(o.clone());
        }
    }
    let added = old.len() != taints.len();
    let mut errors = Vec::new();
    let mut deleted = false;
    for r in to_remove {
        let before = taints.len();
        taints.retain(|t| !(t.key == r.key && (r.effect.is_empty() || t.effect == r.effect)));
        deleted = taints.len() != before;
        if !deleted {
            errors.push(format!("taint \"{}\" not found", r.to_text()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let operation = if (added && deleted) || overwrite {
        "modified"
    } else if added {
        "tainted"
    } else {
        "untainted"
    };
    Ok((operation, taints))
}

/// `parseTaints`: the taints to add and to remove, validated.
pub fn parse_taints(specs: &[String]) -> Result<(Vec<Taint>, Vec<Taint>), String> {
    let mut add: Vec<Taint> = Vec::new();
    let mut remove = Vec::new();
    for spec in specs {
        if let Some(s) = spec.strip_suffix('-') {
            let t = parse_taint(s)?;
            remove.push(Taint {
                value: String::new(),
                ..t
            });
            continue;
        }
        let t = parse_taint(spec)?;
        if t.effect.is_empty() {
            return Err(format!("invalid taint spec: {spec}"));
        }
        if add.iter().any(|a| a.key == t.key && a.effect == t.effect) {
            return Err(format!(
                "duplicated taints with the same key and effect: {{{} {} {} <nil>}}",
                t.key, t.value, t.effect
            ));
        }
        add.push(t);
    }
    Ok((add, remove))
}

/// `parseTaint`: `key=value:effect`, `key:effect` or `key`.
fn parse_taint(spec: &str) -> Result<Taint, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (key, value, effect) = match parts.as_slice() {
        [key] => (key.to_string(), String::new(), String::new()),
        [kv, effect] => {
            if !matches!(*effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return Err(format!(
                    "invalid taint effect: {effect}, unsupported taint effect"
                ));
            }
            let kv: Vec<&str> = kv.split('=').collect();
            if kv.len() > 2 {
                return Err(format!("invalid taint spec: {spec}"));
            }
            let value = kv.get(1).map(|v| v.to_string()).unwrap_or_default();
            if kv.len() == 2 {
                let errs = label_value_errors(&value);
                if !errs.is_empty() {
                    return Err(format!("invalid taint spec: {spec}, {}", errs.join("; ")));
                }
            }
            (kv[0].to_string(), value, effect.to_string())
        }
        _ => return Err(format!("invalid taint spec: {spec}")),
    };
    let errs = qualified_name_errors(&key);
    if !errs.is_empty() {
        return Err(format!("invalid taint spec: {spec}, {}", errs.join("; ")));
    }
    Ok(Taint { key, value, effect })
}

/// apimachinery's `RegexError` wording.
fn regex_error(msg: &str, regex: &str, examples: &[&str]) -> String {
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{regex}')"));
    s
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(is_alnum)
        && s.ends_with(is_alnum)
        && s.chars()
            .all(|c| is_alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// `validation.IsQualifiedName`.
fn qualified_name_errors(value: &str) -> Vec<String> {
    const NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    const NAME_RE: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                return vec!["prefix part must be non-empty".into()];
            }
            let dns = prefix.len() <= 253
                && prefix.split('.').all(|l| {
                    !l.is_empty()
                        && l.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && l.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && l.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                });
            if !dns {
                return vec![format!(
                    "prefix part {}",
                    regex_error(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                        &["example.com"]
                    )
                )];
            }
            name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    NAME_RE,
                    &["MyName", "my.name", "123-abc"]
                )
            )]
        }
    };
    if name.is_empty() {
        return vec!["name part must be non-empty".into()];
    }
    let mut errs = Vec::new();
    if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".into());
    }
    if !is_qualified_name_part(name) {
        errs.push(regex_error(
            NAME_MSG,
            NAME_RE,
            &["MyName", "my.name", "123-abc"],
        ));
    }
    errs
}

/// `validation.IsValidLabelValue`.
fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".into());
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errs.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
        }
    }

    fn specs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_adds_and_removals() {
        let (add, remove) = parse_taints(&specs(&[
            "app=blue:NoSchedule",
            "gpu:NoExecute",
            "old-",
            "x=1:NoSchedule-",
        ]))
        .unwrap();
        assert_eq!(
            add,
            vec![t("app", "blue", "NoSchedule"), t("gpu", "", "NoExecute")]
        );
        assert_eq!(remove, vec![t("old", "", ""), t("x", "", "NoSchedule")]);
    }

    #[test]
    fn parse_errors_are_worded_like_kubectl() {
        assert_eq!(
            parse_taints(&specs(&["k=v:Foo"])).unwrap_err(),
            "invalid taint effect: Foo, unsupported taint effect"
        );
        assert_eq!(
            parse_taints(&specs(&["x=1:NoSchedule", "x=2:NoSchedule"])).unwrap_err(),
            "duplicated taints with the same key and effect: {x 2 NoSchedule <nil>}"
        );
        assert_eq!(
            parse_taints(&specs(&["x=1"])).unwrap_err(),
            "invalid taint spec: x=1, name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert_eq!(
            parse_taints(&specs(&["a=b=c:NoSchedule"])).unwrap_err(),
            "invalid taint spec: a=b=c:NoSchedule"
        );
    }

    #[test]
    fn reorganize_reports_the_operation() {
        let old = vec![t("a", "1", "NoSchedule")];
        let (op, list) = reorganize(&old, false, &[t("b", "", "NoExecute")], &[]).unwrap();
        assert_eq!(op, "tainted");
        assert_eq!(
            list,
            vec![t("b", "", "NoExecute"), t("a", "1", "NoSchedule")]
        );
        let (op, list) = reorganize(&old, false, &[], &[t("a", "", "")]).unwrap();
        assert_eq!((op, list.len()), ("untainted", 0));
        let (op, _) = reorganize(&old, true, &[t("a", "2", "NoSchedule")], &[]).unwrap();
        assert_eq!(op, "modified");
        let errs = reorganize(
            &old,
            false,
            &[],
            &[t("x", "", ""), t("y", "", "NoSchedule")],
        )
        .unwrap_err();
        assert_eq!(
            errs,
            vec!["taint \"x\" not found", "taint \"y:NoSchedule\" not found"]
        );
    }
}
