//! `kubectl wait --for=...`: until objects meet a condition, are deleted or created, or a JSONPath
//! has a value; `TYPE/NAME condition met` for each, in order, within one overall `--timeout`.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::get::{self, Target};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag, Parsed};
use crate::printers::jsonpath;
use crate::rest::{percent_encode, Request, Transport};
use crate::{server_error, Output};

const FLAGS: &[Flag] = &[
    v("for", None),
    v("timeout", None),
    b("all", None),
    b("all-namespaces", Some('A')),
    v("selector", Some('l')),
    v("field-selector", None),
    v("filename", Some('f')),
    b("recursive", Some('R')),
    b("local", None),
    v("output", Some('o')),
    b("allow-missing-template-keys", None),
    v("template", None),
    b("show-managed-fields", None),
];

/// What `--for` waits for.
#[derive(Debug)]
enum Condition {
    Delete,
    Create,
    /// `condition=Ready` (status `True`) or `condition=Ready=False`.
    Status {
        name: String,
        value: String,
    },
    /// `jsonpath={.status.phase}=Running`, or just `jsonpath={.status.phase}` (any value).
    JsonPath {
        expr: String,
        path: jsonpath::JsonPath,
        value: Option<String>,
    },
}

impl Condition {
    fn parse(raw: &str) -> Result<Condition, String> {
        let unrecognized = || format!("unrecognized condition: \"{raw}\"");
        match raw.to_ascii_lowercase().as_str() {
            "delete" => return Ok(Condition::Delete),
            "create" => return Ok(Condition::Create),
            _ => {}
        }
        if let Some(rest) = raw.strip_prefix("condition=") {
            let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
            if name.is_empty() {
                return Err(unrecognized());
            }
            return Ok(Condition::Status {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
        if let Some(rest) = raw.strip_prefix("jsonpath=") {
            // The expression ends at its last closing brace; `=value` may follow.
            let end = rest.rfind('}').map_or(rest.len(), |i| i + 1);
            let (expr, value) = match rest[end..].strip_prefix('=') {
                Some(v) => (&rest[..end], Some(v.to_string())),
                None if end == rest.len() => (rest, None),
                None => return Err(unrecognized()),
            };
            let template = jsonpath::relaxed(expr).map_err(|e| e.to_string())?;
            let path = jsonpath::JsonPath::parse(&template).map_err(|e| e.to_string())?;
            return Ok(Condition::JsonPath {
                expr: expr.to_string(),
                path,
                value,
            });
        }
        Err(unrecognized())
    }

    /// Whether a live object (None: it does not exist) meets the condition.
    fn met(&self, obj: Option<&Value>) -> Result<bool, String> {
        let Some(obj) = obj else {
            return Ok(matches!(self, Condition::Delete));
        };
        match self {
            Condition::Delete => Ok(false),
            Condition::Create => Ok(true),
            Condition::Status { name, value } => Ok(status_condition(obj, name, value)),
            Condition::JsonPath { expr, path, value } => jsonpath_met(obj, expr, path, value),
        }
    }
}

/// `checkCondition`: a condition of that type (any case) with that status, observed for the
/// object's current generation when the condition says which generation it saw.
fn status_condition(obj: &Value, name: &str, value: &str) -> bool {
    let generation = obj["metadata"]["generation"].as_i64();
    obj["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(name))
        })
        .is_some_and(|c| {
            let observed = c["observedGeneration"].as_i64();
            let current = observed.is_none() || generation.is_none() || observed == generation;
            current
                && c["status"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(value))
        })
}

/// `isJSONPathConditionMet`: the expression must find exactly one value, and a scalar one.
fn jsonpath_met(
    obj: &Value,
    expr: &str,
    path: &jsonpath::JsonPath,
    want: &Option<String>,
) -> Result<bool, String> {
    let results = path.find_results(obj);
    let Some(found) = results.first().filter(|r| !r.is_empty()) else {
        return Ok(false);
    };
    if results.len() > 1 {
        return Err("given jsonpath expression matches more than one list".into());
    }
    if found.len() > 1 {
        return Err("given jsonpath expression matches more than one value".into());
    }
    let value = found[0];
    let Some(want) = want else {
        return Ok(true);
    };
    if value.is_object() || value.is_array() {
        return Err(format!(
            "jsonpath leads to a nested object or list which is not supported: {expr}"
        ));
    }
    Ok(jsonpath::go_v(value) == *want)
}

/// One object waited on.
struct Waited {
    mapping: Mapping,
    namespace: Option<String>,
    name: String,
}

impl Waited {
    /// `deployment.apps/web`, as the `condition met` line names it.
    fn display(&self) -> String {
        format!("{}/{}", self.mapping.kind_prefix(), self.name)
    }

    /// The live object, or None when it does not exist. kubectl lists narrowed to the name (the
    /// list its watch starts from).
    fn fetch(&self, transport: &mut dyn Transport) -> Result<Option<Value>, String> {
        let path = format!(
            "{}?fieldSelector={}&limit=500",
            self.mapping.collection_path(self.namespace.as_deref()),
            percent_encode(&format!("metadata.name={}", self.name))
        );
        let resp = transport.call(Request::get(path).header("accept", "application/json"));
        if resp.status >= 400 {
            return Err(server_error(&resp));
        }
        let list = resp.body_json().unwrap_or_default();
        Ok(list["items"].as_array().and_then(|i| i.first()).cloned())
    }
}

/// A Go duration (`30s`, `1m30s`, `500ms`) or a bare number of seconds.
fn parse_timeout(raw: &str) -> Option<SignedDuration> {
    if let Ok(n) = raw.parse::<i64>() {
        return Some(SignedDuration::from_secs(n));
    }
    let mut total = 0f64;
    let mut rest = raw;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        total += value
            * match &rest[..u] {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return None,
            };
        rest = &rest[u..];
    }
    Some(SignedDuration::from_secs_f64(total))
}

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(p) = parse_flags("wait", args, FLAGS, out) else {
        return;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    let condition = match Condition::parse(p.get("for").unwrap_or("")) {
        Ok(c) => c,
        Err(e) => return out.fail(format!("error: {e}")),
    };
    let raw_timeout = p.get("timeout").unwrap_or("30s");
    let Some(mut timeout) = parse_timeout(raw_timeout) else {
        return out.fail(format!("error: invalid argument \"{raw_timeout}\" for \"--timeout\" flag: time: invalid duration \"{raw_timeout}\"\nSee 'kubectl wait --help' for usage."));
    };
    // A negative timeout means a week.
    if timeout.is_negative() {
        timeout = SignedDuration::from_hours(168);
    }
    let for_delete = matches!(condition, Condition::Delete);
    let files = p.all("filename");
    let waited = if !files.is_empty() {
        from_files(&files, env, out, for_delete)
    } else if p.args.is_empty() {
        return out.fail("error: resource(s) were provided, but no name was specified");
    } else {
        resolve(&p, env, out, for_delete)
    };
    let Some(waited) = waited else {
        return;
    };
    let mut waiting = Waiting {
        condition,
        queue: waited.into(),
        deadline: env.transport.now() + timeout,
    };
    let (first, ended) = waiting.step(env.transport);
    out.stdout.push_str(&first.stdout);
    out.stderr.push_str(&first.stderr);
    out.exit_code = first.exit_code;
    if ended.is_some() {
        return;
    }
    match env.stream.as_mut() {
        Some(slot) => **slot = Some(Box::new(waiting)),
        // Nobody polls: the cluster cannot change before the timeout would pass.
        None => {
            let w = waiting.queue.front().expect("still waiting on one");
            out.fail(format!(
                "error: timed out waiting for the condition on {}/{}",
                w.mapping.plural, w.name
            ));
        }
    }
}

/// The objects to wait on: named ones (checked to exist, unless waiting for their deletion), or
/// those a list finds (`--all`, `-l`).
fn resolve(p: &Parsed, env: &mut Env, out: &mut Output, for_delete: bool) -> Option<Vec<Waited>> {
    let targets: Vec<Target> = get::targets(&p.args, env, out)?;
    let all_ns = p.bool("all-namespaces");
    let mut waited = Vec::new();
    for t in targets {
        let ns =
            (t.mapping.namespaced && !(all_ns && t.name.is_none())).then(|| env.namespace.clone());
        match &t.name {
            Some(name) => {
                let resp = env.transport.call(
                    Request::get(t.mapping.object_path(ns.as_deref(), name))
                        .header("accept", "application/json"),
                );
                if resp.status == 404 && for_delete {
                    continue;
                }
                if resp.status >= 400 {
                    out.fail(server_error(&resp));
                    return None;
                }
                waited.push(Waited {
                    mapping: t.mapping.clone(),
                    namespace: ns,
                    name: name.clone(),
                });
            }
            None => {
                if !p.bool("all") && !p.has("selector") && !p.has("field-selector") {
                    out.fail("error: resource(s) were provided, but no name was specified");
                    return None;
                }
                let mut q = Vec::new();
                if let Some(f) = p.get("field-selector") {
                    q.push(format!("fieldSelector={}", percent_encode(f)));
                }
                if let Some(l) = p.get("selector") {
                    q.push(format!("labelSelector={}", percent_encode(l)));
                }
                q.push("limit=500".to_string());
                let resp = env.transport.call(
                    Request::get(format!(
                        "{}?{}",
                        t.mapping.collection_path(ns.as_deref()),
                        q.join("&")
                    ))
                    .header("accept", "application/json"),
                );
                if resp.status >= 400 {
                    out.fail(server_error(&resp));
                    return None;
                }
                let list = resp.body_json().unwrap_or_default();
                for item in list["items"].as_array().into_iter().flatten() {
                    waited.push(Waited {
                        mapping: t.mapping.clone(),
                        namespace: item["metadata"]["namespace"].as_str().map(str::to_string),
                        name: item["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    });
                }
            }
        }
    }
    if waited.is_empty() && !for_delete {
        out.fail("error: no matching resources found");
        return None;
    }
    Some(waited)
}

/// The objects of `-f` manifests, each looked up like a named argument.
fn from_files(
    files: &[String],
    env: &mut Env,
    out: &mut Output,
    for_delete: bool,
) -> Option<Vec<Waited>> {
    let docs = super::resources::read_manifests(files, env, out)?;
    let mut waited = Vec::new();
    for (_, obj) in docs {
        let Some(mapping) = super::resources::mapping_for(env, &obj) else {
            out.fail(format!(
                "error: resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{}\": no matches for kind \"{}\" in version \"{}\"",
                obj["metadata"]["name"].as_str().unwrap_or(""),
                obj["metadata"]["namespace"].as_str().unwrap_or(""),
                files.join(","),
                obj["kind"].as_str().unwrap_or(""),
                obj["apiVersion"].as_str().unwrap_or("")
            ));
            return None;
        };
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let namespace = mapping.namespaced.then(|| {
            obj["metadata"]["namespace"]
                .as_str()
                .map_or_else(|| env.namespace.clone(), str::to_string)
        });
        let resp = env.transport.call(
            Request::get(mapping.object_path(namespace.as_deref(), &name))
                .header("accept", "application/json"),
        );
        if resp.status == 404 && for_delete {
            continue;
        }
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return None;
        }
        waited.push(Waited {
            mapping,
            namespace,
            name,
        });
    }
    if waited.is_empty() && !for_delete {
        out.fail("error: no matching resources found");
        return None;
    }
    Some(waited)
}

/// `wait` after its first look: the objects not yet seen to meet the condition, in order.
struct Waiting {
    condition: Condition,
    queue: std::collections::VecDeque<Waited>,
    /// `--timeout`, on the cluster's clock, for all the objects together.
    deadline: Timestamp,
}

impl Waiting {
    /// Checks the objects in order until one does not meet the condition yet.
    fn step(&mut self, transport: &mut dyn Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        while let Some(w) = self.queue.front() {
            let live = match w.fetch(transport) {
                Ok(o) => o,
                Err(e) => {
                    out.fail(e);
                    return (out, Some(1));
                }
            };
            match self.condition.met(live.as_ref()) {
                Ok(true) => {
                    out.stdout
                        .push_str(&format!("{} condition met\n", w.display()));
                    self.queue.pop_front();
                }
                Ok(false) if transport.now() >= self.deadline => {
                    out.fail(format!(
                        "error: timed out waiting for the condition on {}/{}",
                        w.mapping.plural, w.name
                    ));
                    return (out, Some(1));
                }
                Ok(false) => return (out, None),
                Err(e) => {
                    out.fail(format!("error: {e}"));
                    return (out, Some(1));
                }
            }
        }
        (out, Some(0))
    }
}

impl crate::Running for Waiting {
    fn poll(&mut self, transport: &mut dyn Transport) -> (Output, Option<i32>) {
        self.step(transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_for_forms() {
        assert!(matches!(Condition::parse("delete"), Ok(Condition::Delete)));
        assert!(matches!(
            Condition::parse("condition=Ready"),
            Ok(Condition::Status { ref name, ref value }) if name == "Ready" && value == "true"
        ));
        assert!(matches!(
            Condition::parse("condition=Ready=False"),
            Ok(Condition::Status { ref value, .. }) if value == "False"
        ));
        assert!(matches!(
            Condition::parse("jsonpath={.status.phase}=Running"),
            Ok(Condition::JsonPath { value: Some(ref v), .. }) if v == "Running"
        ));
        assert_eq!(
            Condition::parse("foo").unwrap_err(),
            "unrecognized condition: \"foo\""
        );
        assert_eq!(
            Condition::parse("").unwrap_err(),
            "unrecognized condition: \"\""
        );
    }

    #[test]
    fn conditions_on_objects() {
        let pod = json!({"metadata": {"name": "p", "generation": 2},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Available", "status": "True", "observedGeneration": 1}]}});
        let ready = Condition::parse("condition=ready").unwrap();
        assert!(ready.met(Some(&pod)).unwrap());
        assert!(!Condition::parse("condition=Ready=false")
            .unwrap()
            .met(Some(&pod))
            .unwrap());
        // Observed for an older generation: not met yet.
        assert!(!Condition::parse("condition=Available")
            .unwrap()
            .met(Some(&pod))
            .unwrap());
        assert!(!ready.met(None).unwrap());
        assert!(Condition::Delete.met(None).unwrap());
        assert!(!Condition::Delete.met(Some(&pod)).unwrap());
        let phase = Condition::parse("jsonpath={.status.phase}=Running").unwrap();
        assert!(phase.met(Some(&pod)).unwrap());
        let nested = Condition::parse("jsonpath={.status}=x").unwrap();
        assert!(nested.met(Some(&pod)).is_err());
    }

    #[test]
    fn timeouts_are_go_durations() {
        assert_eq!(parse_timeout("30s"), Some(SignedDuration::from_secs(30)));
        assert_eq!(parse_timeout("1m30s"), Some(SignedDuration::from_secs(90)));
        assert_eq!(parse_timeout("60"), Some(SignedDuration::from_secs(60)));
        assert_eq!(parse_timeout("soon"), None);
    }
}
