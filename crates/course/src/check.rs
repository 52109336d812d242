//! Declarative checks: small predicates over what a learner's session holds (cluster objects,
//! events, the commands typed, the editor's files, quiz answers), composable with `all`, `any`
//! and `not`. Each one explains a failure in a sentence a learner understands.

use std::collections::BTreeMap;

use cluster::{resources, Cluster, Object, ResourceType};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::path::{scalar_text, FieldPath};

/// Everything a check may look at.
pub struct Evidence<'a> {
    pub cluster: &'a Cluster,
    pub files: &'a BTreeMap<String, String>,
    /// Shell lines the learner typed since the exercise started.
    pub commands: &'a [String],
    /// Quiz answers by question id.
    pub answers: &'a BTreeMap<String, String>,
}

/// A check as written in an exercise: the predicate plus an optional name and failure sentence.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CheckSpec {
    /// Shown beside the tick or cross; generated from the check when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A failure sentence that replaces the generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub check: Check,
}

/// The outcome of one top-level check, as the check endpoint returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub message: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The object exists.
    Exists(ObjectRef),
    /// The object does not exist.
    Absent(ObjectRef),
    /// A field of an object equals / matches a value, or exists.
    Field(FieldCheck),
    /// How many objects of a kind match a selector (and, for Pods, are ready).
    Count(CountCheck),
    /// A workload has exactly this many ready replicas, and asks for that many.
    ReadyReplicas(ReadyReplicasCheck),
    /// The image a workload's (or Pod's) container runs.
    Image(ImageCheck),
    /// An object carries these labels.
    Labels(LabelsCheck),
    /// An event with this reason was recorded.
    Event(EventCheck),
    /// The learner typed a command matching a pattern.
    Ran(RanCheck),
    /// A file in the editor exists, contains text, parses as YAML.
    File(FileCheck),
    /// A quiz question answered right.
    Quiz(Question),
    All(Vec<CheckSpec>),
    Any(Vec<CheckSpec>),
    Not(Box<CheckSpec>),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCheck {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// `true`: the field must be set; `false`: it must be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CountCheck {
    pub kind: String,
    /// A namespace, or `*` for all; `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// An equality-based label selector: `app=backend,tier!=db,env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// Only Pods whose Ready condition is True (`true`) or not (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Field path → required value (compared as text).
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub where_: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReadyReplicasCheck {
    #[serde(default = "deployment")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub equals: u64,
}

fn deployment() -> String {
    "Deployment".into()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImageCheck {
    #[serde(default = "deployment")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The container's name; may be left out when there is only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsCheck {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub include: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventCheck {
    pub reason: String,
    /// The involved object's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// A namespace, or `*` (the default) for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_matches: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RanCheck {
    /// A regular expression matched against each typed line.
    pub matches: String,
    /// How to name the command to a learner, e.g. "`kubectl scale`".
    pub describe: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// Every YAML document in the file parses.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parses: bool,
    /// One document in the file has this `kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A quiz question: multiple choice when `choices` are given (`answer` is the right one), short
/// answer otherwise (`accept` holds case-insensitive patterns of right answers).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub question: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    /// Shown once the question is answered right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
}

/// A single predicate's verdict.
struct Outcome {
    passed: bool,
    message: String,
}

fn pass(message: impl Into<String>) -> Outcome {
    Outcome {
        passed: true,
        message: message.into(),
    }
}

fn fail(message: impl Into<String>) -> Outcome {
    Outcome {
        passed: false,
        message: message.into(),
    }
}

impl CheckSpec {
    pub fn evaluate(&self, ev: &Evidence) -> CheckResult {
        let o = self.outcome(ev);
        let message = match (&self.message, o.passed) {
            (Some(custom), false) => custom.clone(),
            _ => o.message,
        };
        CheckResult {
            name: self.name.clone().unwrap_or_else(|| self.check.describe()),
            passed: o.passed,
            message,
        }
    }

    fn outcome(&self, ev: &Evidence) -> Outcome {
        let o = self.check.outcome(ev);
        match (&self.message, o.passed) {
            (Some(custom), false) => fail(custom.clone()),
            _ => o,
        }
    }

    /// Problems an author must fix (unknown kinds, bad paths, bad patterns, empty quizzes).
    pub fn validate(&self) -> Vec<String> {
        self.check.validate()
    }

    /// Every quiz question inside this check.
    pub fn questions(&self) -> Vec<&Question> {
        match &self.check {
            Check::Quiz(q) => vec![q],
            Check::All(cs) | Check::Any(cs) => cs.iter().flat_map(|c| c.questions()).collect(),
            Check::Not(c) => c.questions(),
            _ => vec![],
        }
    }
}

/// The served, stored resource type of a kind (`Deployment` → `deployments.apps`).
pub fn resource_type(kind: &str) -> Option<&'static ResourceType> {
    resources::RESOURCES
        .iter()
        .find(|r| r.kind == kind && !resources::is_virtual(r))
}

fn namespace_of<'n>(rt: &ResourceType, ns: &'n Option<String>) -> Option<&'n str> {
    rt.namespaced().then(|| ns.as_deref().unwrap_or("default"))
}

fn where_text(rt: &ResourceType, ns: Option<&str>) -> String {
    match ns {
        Some(ns) if rt.namespaced() => format!(" in namespace {ns}"),
        _ => String::new(),
    }
}

fn get(
    ev: &Evidence,
    kind: &str,
    name: &str,
    ns: &Option<String>,
) -> Result<std::sync::Arc<Object>, String> {
    let rt = resource_type(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let namespace = namespace_of(rt, ns);
    ev.cluster.get(rt, namespace, name).map_err(|_| {
        format!(
            "There is no {kind} named {name}{}.",
            where_text(rt, namespace)
        )
    })
}

fn regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("bad pattern {pattern:?}: {e}"))
}

/// Scalars compare as text (so `5` equals `"5"`), structures as JSON.
fn same_value(actual: &Value, wanted: &Value) -> bool {
    match (actual, wanted) {
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            actual == wanted
        }
        _ => scalar_text(actual) == scalar_text(wanted),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An equality-based label selector (`app=web,tier!=db,env`).
#[derive(Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Has(String),
}

fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if let Some((k, v)) = p.split_once("!=") {
                Ok(Requirement::NotEquals(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Ok(Requirement::Equals(k.trim().into(), v.trim().into()))
            } else if p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                Ok(Requirement::Has(p.into()))
            } else {
                Err(format!("cannot read label selector {s:?}"))
            }
        })
        .collect()
}

fn selects(reqs: &[Requirement], labels: Option<&BTreeMap<String, String>>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k));
    reqs.iter().all(|r| match r {
        Requirement::Equals(k, v) => get(k) == Some(v),
        Requirement::NotEquals(k, v) => get(k) != Some(v),
        Requirement::Has(k) => get(k).is_some(),
    })
}

/// Whether a Pod's Ready condition is True.
pub fn pod_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The containers of a Pod or of any workload's Pod template.
fn containers(v: &Value) -> Option<&Vec<Value>> {
    [
        "/spec/containers",
        "/spec/template/spec/containers",
        "/spec/jobTemplate/spec/template/spec/containers",
    ]
    .iter()
    .find_map(|p| v.pointer(p))
    .and_then(Value::as_array)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Check {
    /// A short name for the check (shown when the author gave none).
    pub fn describe(&self) -> String {
        match self {
            Check::Exists(o) => format!("{} {} exists", o.kind, o.name),
            Check::Absent(o) => format!("{} {} is gone", o.kind, o.name),
            Check::Field(f) => format!("{} of {} {}", f.path, f.kind, f.name),
            Check::Count(c) => match &c.selector {
                Some(s) => format!("{}s matching {s}", c.kind),
                None => format!("number of {}s", c.kind),
            },
            Check::ReadyReplicas(r) => {
                format!("{} {} has {} ready replicas", r.kind, r.name, r.equals)
            }
            Check::Image(i) => format!("image of {} {}", i.kind, i.name),
            Check::Labels(l) => format!("labels of {} {}", l.kind, l.name),
            Check::Event(e) => format!("a {} event", e.reason),
            Check::Ran(r) => format!("used {}", r.describe),
            Check::File(f) => format!("file {}", f.path),
            Check::Quiz(q) => q.question.clone(),
            Check::All(cs) => cs
                .iter()
                .map(|c| c.name.clone().unwrap_or_else(|| c.check.describe()))
                .collect::<Vec<_>>()
                .join(" and "),
            Check::Any(cs) => cs
                .iter()
                .map(|c| c.name.clone().unwrap_or_else(|| c.check.describe()))
                .collect::<Vec<_>>()
                .join(" or "),
            Check::Not(c) => format!(
                "not: {}",
                c.name.clone().unwrap_or_else(|| c.check.describe())
            ),
        }
    }

    fn outcome(&self, ev: &Evidence) -> Outcome {
        match self {
            Check::Exists(o) => match get(ev, &o.kind, &o.name, &o.namespace) {
                Ok(_) => pass(format!("{} {} exists.", o.kind, o.name)),
                Err(e) => fail(e),
            },
            Check::Absent(o) => match get(ev, &o.kind, &o.name, &o.namespace) {
                Ok(_) => fail(format!("{} {} still exists.", o.kind, o.name)),
                Err(_) => pass(format!("{} {} is gone.", o.kind, o.name)),
            },
            Check::Field(f) => field(ev, f),
            Check::Count(c) => count(ev, c),
            Check::ReadyReplicas(r) => ready_replicas(ev, r),
            Check::Image(i) => image(ev, i),
            Check::Labels(l) => labels(ev, l),
            Check::Event(e) => event(ev, e),
            Check::Ran(r) => match regex(&r.matches) {
                Ok(re) => match ev.commands.iter().find(|c| re.is_match(c)) {
                    Some(line) => pass(format!("You ran `{line}`.")),
                    None => fail(format!("You haven't used {} yet.", r.describe)),
                },
                Err(e) => fail(e),
            },
            Check::File(f) => file(ev, f),
            Check::Quiz(q) => quiz(ev, q),
            Check::All(cs) => {
                let outcomes: Vec<Outcome> = cs.iter().map(|c| c.outcome(ev)).collect();
                match outcomes.iter().find(|o| !o.passed) {
                    Some(o) => fail(o.message.clone()),
                    None => pass(
                        outcomes
                            .iter()
                            .map(|o| o.message.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                }
            }
            Check::Any(cs) => {
                let outcomes: Vec<Outcome> = cs.iter().map(|c| c.outcome(ev)).collect();
                match outcomes.iter().find(|o| o.passed) {
                    Some(o) => pass(o.message.clone()),
                    None => fail(
                        outcomes
                            .iter()
                            .map(|o| o.message.as_str())
                            .collect::<Vec<_>>()
                            .join(" Or: "),
                    ),
                }
            }
            Check::Not(c) => {
                let o = c.outcome(ev);
                if o.passed {
                    fail(format!("This should not be so: {}", o.message))
                } else {
                    pass(o.message)
                }
            }
        }
    }

    fn validate(&self) -> Vec<String> {
        let mut errs = Vec::new();
        let mut kind = |k: &str| {
            if resource_type(k).is_none() {
                errs.push(format!("unknown kind {k:?}"));
            }
        };
        match self {
            Check::Exists(o) | Check::Absent(o) => kind(&o.kind),
            Check::Field(f) => {
                kind(&f.kind);
                if let Err(e) = FieldPath::parse(&f.path) {
                    errs.push(e);
                }
                if f.equals.is_none() && f.matches.is_none() && f.exists.is_none() {
                    errs.push(format!(
                        "field check on {} needs equals, matches or exists",
                        f.path
                    ));
                }
                if let Some(Err(e)) = f.matches.as_deref().map(regex) {
                    errs.push(e);
                }
            }
            Check::Count(c) => {
                kind(&c.kind);
                if let Some(Err(e)) = c.selector.as_deref().map(parse_selector) {
                    errs.push(e);
                }
                for p in c.where_.keys() {
                    if let Err(e) = FieldPath::parse(p) {
                        errs.push(e);
                    }
                }
                if c.equals.is_none() && c.at_least.is_none() && c.at_most.is_none() {
                    errs.push(format!(
                        "count of {} needs equals, at_least or at_most",
                        c.kind
                    ));
                }
            }
            Check::ReadyReplicas(r) => {
                kind(&r.kind);
                if !matches!(
                    r.kind.as_str(),
                    "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
                ) {
                    errs.push(format!("ready_replicas does not apply to {}", r.kind));
                }
            }
            Check::Image(i) => {
                kind(&i.kind);
                if i.equals.is_none() && i.matches.is_none() {
                    errs.push("image check needs equals or matches".into());
                }
                if let Some(Err(e)) = i.matches.as_deref().map(regex) {
                    errs.push(e);
                }
            }
            Check::Labels(l) => kind(&l.kind),
            Check::Event(e) => {
                if let Some(k) = &e.kind {
                    kind(k);
                }
                if let Some(Err(x)) = e.message_matches.as_deref().map(regex) {
                    errs.push(x);
                }
            }
            Check::Ran(r) => {
                if let Err(e) = regex(&r.matches) {
                    errs.push(e);
                }
            }
            Check::File(f) => {
                if let Some(Err(e)) = f.matches.as_deref().map(regex) {
                    errs.push(e);
                }
            }
            Check::Quiz(q) => {
                if q.choices.is_empty() {
                    if q.accept.is_empty() {
                        errs.push(format!(
                            "short-answer question {} has no accept patterns",
                            q.id
                        ));
                    }
                    for p in &q.accept {
                        if let Err(e) = regex(p) {
                            errs.push(e);
                        }
                    }
                } else {
                    match &q.answer {
                        Some(a) if q.choices.contains(a) => {}
                        _ => errs.push(format!(
                            "question {}: answer must be one of its choices",
                            q.id
                        )),
                    }
                }
            }
            Check::All(cs) | Check::Any(cs) => {
                if cs.is_empty() {
                    errs.push("empty all/any".into());
                }
                for c in cs {
                    errs.extend(c.validate());
                }
            }
            Check::Not(c) => errs.extend(c.validate()),
        }
        errs
    }
}

fn field(ev: &Evidence, f: &FieldCheck) -> Outcome {
    let obj = match get(ev, &f.kind, &f.name, &f.namespace) {
        Ok(o) => o.to_value(),
        Err(e) => return fail(e),
    };
    let path = match FieldPath::parse(&f.path) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let who = format!("{} {}", f.kind, f.name);
    let actual = path.lookup(&obj);
    if let Some(want) = f.exists {
        match (want, actual) {
            (true, None) => return fail(format!("{who} has no {path}.")),
            (false, Some(v)) => return fail(format!("{who} still sets {path} (to {}).", show(v))),
            _ => {}
        }
    }
    if let Some(want) = &f.equals {
        match actual {
            None => return fail(format!("{who} has no {path}; it should be {}.", show(want))),
            Some(v) if !same_value(v, want) => {
                return fail(format!(
                    "{who} has {path} = {}; it should be {}.",
                    show(v),
                    show(want)
                ))
            }
            _ => {}
        }
    }
    if let Some(pattern) = &f.matches {
        let re = match regex(pattern) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        match actual {
            None => return fail(format!("{who} has no {path}.")),
            Some(v) if !re.is_match(&scalar_text(v)) => {
                return fail(format!(
                    "{who} has {path} = {}, which is not what the task asks for.",
                    show(v)
                ))
            }
            _ => {}
        }
    }
    match actual {
        Some(v) => pass(format!("{who} has {path} = {}.", show(v))),
        None => pass(format!("{who} has no {path}.")),
    }
}

fn count(ev: &Evidence, c: &CountCheck) -> Outcome {
    let Some(rt) = resource_type(&c.kind) else {
        return fail(format!("unknown kind {}", c.kind));
    };
    let reqs = match c.selector.as_deref().map(parse_selector).transpose() {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let ns = match c.namespace.as_deref() {
        Some("*") => None,
        other => namespace_of(rt, &other.map(str::to_string)).map(str::to_string),
    };
    let mut paths = Vec::new();
    for (p, v) in &c.where_ {
        match FieldPath::parse(p) {
            Ok(fp) => paths.push((fp, v)),
            Err(e) => return fail(e),
        }
    }
    let n = ev
        .cluster
        .list(rt, ns.as_deref())
        .iter()
        .filter(|o| selects(&reqs, o.labels()))
        .filter(|o| {
            c.name_prefix
                .as_deref()
                .is_none_or(|p| o.name().starts_with(p))
        })
        .map(|o| o.to_value())
        .filter(|v| c.ready.is_none_or(|r| pod_ready(v) == r))
        .filter(|v| {
            paths
                .iter()
                .all(|(p, want)| p.lookup(v).is_some_and(|x| same_value(x, want)))
        })
        .count() as u64;
    let mut what = format!("{}s", c.kind);
    if let Some(s) = &c.selector {
        what.push_str(&format!(" matching {s}"));
    }
    if let Some(p) = &c.name_prefix {
        what.push_str(&format!(" named {p}…"));
    }
    for (p, v) in &c.where_ {
        what.push_str(&format!(" with {p} = {}", show(v)));
    }
    match c.ready {
        Some(true) => what.push_str(" that are ready"),
        Some(false) => what.push_str(" that are not ready"),
        None => {}
    }
    if let Some(ns) = &ns {
        what.push_str(&format!(" in namespace {ns}"));
    }
    let found = format!("Found {n} {what}");
    if let Some(want) = c.equals {
        if n != want {
            return fail(format!("{found}; the task wants {want}."));
        }
    }
    if let Some(min) = c.at_least {
        if n < min {
            return fail(format!("{found}; the task wants at least {min}."));
        }
    }
    if let Some(max) = c.at_most {
        if n > max {
            return fail(format!("{found}; the task wants at most {max}."));
        }
    }
    pass(format!("{found}."))
}

fn ready_replicas(ev: &Evidence, r: &ReadyReplicasCheck) -> Outcome {
    let v = match get(ev, &r.kind, &r.name, &r.namespace) {
        Ok(o) => o.to_value(),
        Err(e) => return fail(e),
    };
    let who = format!("{} {}", r.kind, r.name);
    let (desired, ready) = if r.kind == "DaemonSet" {
        (
            v.pointer("/status/desiredNumberScheduled")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            v.pointer("/status/numberReady")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        )
    } else {
        (
            // An unset spec.replicas means 1, as the API defaults it.
            v.pointer("/spec/replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1),
            v.pointer("/status/readyReplicas")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        )
    };
    if r.kind != "DaemonSet" && desired != r.equals {
        return fail(format!(
            "{who} asks for {}; the task wants {}.",
            plural(desired, "replica", "replicas"),
            r.equals
        ));
    }
    let msg = format!(
        "{who} has {ready} of {} ready.",
        plural(r.equals, "replica", "replicas")
    );
    if ready == r.equals {
        pass(msg)
    } else {
        fail(msg)
    }
}

fn image(ev: &Evidence, i: &ImageCheck) -> Outcome {
    let v = match get(ev, &i.kind, &i.name, &i.namespace) {
        Ok(o) => o.to_value(),
        Err(e) => return fail(e),
    };
    let who = format!("{} {}", i.kind, i.name);
    let Some(cs) = containers(&v) else {
        return fail(format!("{who} has no containers."));
    };
    let c = match &i.container {
        Some(name) => cs.iter().find(|c| c["name"] == name.as_str()),
        None if cs.len() == 1 => cs.first(),
        None => {
            return fail(format!(
                "{who} has several containers; the check must name one."
            ))
        }
    };
    let Some(c) = c else {
        return fail(format!(
            "{who} has no container named {}.",
            i.container.as_deref().unwrap_or_default()
        ));
    };
    let actual = c["image"].as_str().unwrap_or_default();
    let cname = c["name"].as_str().unwrap_or_default();
    let ok = i.equals.as_deref().is_none_or(|w| w == actual)
        && match i.matches.as_deref().map(regex) {
            None => true,
            Some(Ok(re)) => re.is_match(actual),
            Some(Err(e)) => return fail(e),
        };
    if ok {
        pass(format!("{who} runs {actual} in container {cname}."))
    } else if let Some(want) = &i.equals {
        fail(format!(
            "{who} runs {actual} in container {cname}; the task wants {want}."
        ))
    } else {
        fail(format!(
            "{who} runs {actual} in container {cname}, which is not the image the task asks for."
        ))
    }
}

fn labels(ev: &Evidence, l: &LabelsCheck) -> Outcome {
    let o = match get(ev, &l.kind, &l.name, &l.namespace) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let have = o.labels();
    for (k, v) in &l.include {
        match have.and_then(|h| h.get(k)) {
            None => return fail(format!("{} {} has no label {k}={v}.", l.kind, l.name)),
            Some(x) if x != v => {
                return fail(format!(
                    "{} {} has label {k}={x}, not {k}={v}.",
                    l.kind, l.name
                ))
            }
            _ => {}
        }
    }
    let list: Vec<String> = l.include.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pass(format!(
        "{} {} is labelled {}.",
        l.kind,
        l.name,
        list.join(", ")
    ))
}

fn event(ev: &Evidence, e: &EventCheck) -> Outcome {
    let rt = resource_type("Event").expect("events are served");
    let ns = match e.namespace.as_deref() {
        None | Some("*") => None,
        Some(n) => Some(n),
    };
    let re = match e.message_matches.as_deref().map(regex).transpose() {
        Ok(r) => r,
        Err(x) => return fail(x),
    };
    let found = ev
        .cluster
        .list(rt, ns)
        .iter()
        .map(|o| o.to_value())
        .find(|v| {
            let inv = &v["involvedObject"];
            v["reason"] == e.reason.as_str()
                && e.kind.as_deref().is_none_or(|k| inv["kind"] == k)
                && e.name.as_deref().is_none_or(|n| inv["name"] == n)
                && e.name_prefix
                    .as_deref()
                    .is_none_or(|p| inv["name"].as_str().is_some_and(|n| n.starts_with(p)))
                && re
                    .as_ref()
                    .is_none_or(|r| r.is_match(v["message"].as_str().unwrap_or_default()))
        });
    let about = match (&e.kind, &e.name, &e.name_prefix) {
        (Some(k), Some(n), _) => format!(" for {k} {n}"),
        (Some(k), None, Some(p)) => format!(" for a {k} named {p}…"),
        (Some(k), None, None) => format!(" for a {k}"),
        (None, Some(n), _) => format!(" for {n}"),
        _ => String::new(),
    };
    match found {
        Some(v) => pass(format!(
            "Event {}{about}: {}",
            e.reason,
            v["message"].as_str().unwrap_or_default()
        )),
        None => fail(format!("No {} event{about} has been recorded.", e.reason)),
    }
}

fn file(ev: &Evidence, f: &FileCheck) -> Outcome {
    let Some(text) = ev.files.get(&f.path) else {
        return fail(format!("There is no file {} in the editor.", f.path));
    };
    if let Some(needle) = &f.contains {
        if !text.contains(needle.as_str()) {
            return fail(format!("{} does not contain {needle:?}.", f.path));
        }
    }
    if let Some(p) = &f.matches {
        match regex(p) {
            Ok(re) if !re.is_match(text) => {
                return fail(format!("{} does not have what the task asks for.", f.path))
            }
            Err(e) => return fail(e),
            _ => {}
        }
    }
    if f.parses || f.kind.is_some() {
        let docs = match crate::yaml_documents(text) {
            Ok(d) => d,
            Err(e) => return fail(format!("{} is not valid YAML: {e}", f.path)),
        };
        if let Some(k) = &f.kind {
            if !docs.iter().any(|d| d["kind"] == k.as_str()) {
                return fail(format!("{} has no {k} in it.", f.path));
            }
        }
    }
    pass(format!("{} looks right.", f.path))
}

/// Normalises an answer: trimmed, lower case, inner whitespace collapsed.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn quiz(ev: &Evidence, q: &Question) -> Outcome {
    let Some(given) = ev.answers.get(&q.id).filter(|a| !a.trim().is_empty()) else {
        return fail(format!("Question “{}” has no answer yet.", q.question));
    };
    let right = if q.choices.is_empty() {
        q.accept
            .iter()
            .any(|p| regex(p).is_ok_and(|re| re.is_match(given.trim())))
    } else {
        // A choice may be answered by its text or its letter (a, b, c...).
        let by_letter = given.trim().len() == 1
            && given
                .trim()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && {
                let i = (given.trim().to_ascii_lowercase().as_bytes()[0] - b'a') as usize;
                q.choices
                    .get(i)
                    .is_some_and(|c| Some(c) == q.answer.as_ref())
            };
        by_letter
            || q.answer
                .as_deref()
                .is_some_and(|a| normalise(a) == normalise(given))
    };
    if right {
        pass(match &q.explain {
            Some(x) => format!("Right. {x}"),
            None => "Right.".into(),
        })
    } else {
        fail(format!("“{given}” is not the answer to “{}”.", q.question))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cluster::ClusterConfig;
    use serde_json::json;

    fn check(yaml: &str) -> CheckSpec {
        let c: CheckSpec = serde_yaml_ng::from_str(yaml).unwrap();
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        c
    }

    struct World {
        cluster: Cluster,
        files: BTreeMap<String, String>,
        commands: Vec<String>,
        answers: BTreeMap<String, String>,
    }

    impl World {
        fn new() -> World {
            let mut cluster = Cluster::new(&ClusterConfig::default());
            // Only the API machinery: the statuses these tests write stay as written.
            cluster.stop_control_plane(true);
            World {
                cluster,
                files: BTreeMap::new(),
                commands: vec![],
                answers: BTreeMap::new(),
            }
        }
        /// Creates the object, then writes its status as a controller or kubelet would.
        fn create(&mut self, v: Value) {
            let rt = resource_type(v["kind"].as_str().unwrap()).unwrap();
            let ns = v["metadata"]["namespace"].as_str().map(str::to_string);
            let created = self.cluster.create(rt, ns.as_deref(), v.clone()).unwrap();
            if let Some(status) = v.get("status") {
                let mut body = created.to_value();
                body["status"] = status.clone();
                self.cluster
                    .update_status(
                        &cluster::api::User::admin(),
                        rt,
                        created.namespace(),
                        created.name(),
                        body,
                        &cluster::api::WriteOptions::internal(),
                    )
                    .unwrap();
            }
        }
        fn eval(&self, c: &CheckSpec) -> CheckResult {
            c.evaluate(&Evidence {
                cluster: &self.cluster,
                files: &self.files,
                commands: &self.commands,
                answers: &self.answers,
            })
        }
    }

    fn backend(replicas: u64, ready: u64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "backend", "labels": {"app": "backend"}},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "backend"}},
                        "template": {"metadata": {"labels": {"app": "backend"}},
                                     "spec": {"containers": [{"name": "backend", "image": "mon-user/devops-backend:v2"}]}}},
               "status": {"readyReplicas": ready}})
    }

    fn pod(name: &str, app: &str, ready: bool) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
               "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
               "status": {"conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn exists_and_absent() {
        let mut w = World::new();
        let exists = check("exists: {kind: Deployment, name: backend}");
        let absent = check("absent: {kind: Deployment, name: backend}");
        let r = w.eval(&exists);
        assert!(!r.passed);
        assert_eq!(
            r.message,
            "There is no Deployment named backend in namespace default."
        );
        assert!(w.eval(&absent).passed);
        w.create(backend(2, 2));
        assert!(w.eval(&exists).passed);
        assert_eq!(w.eval(&absent).message, "Deployment backend still exists.");
        assert!(
            check("exists: {kind: Node, name: minikube}")
                .evaluate(&Evidence {
                    cluster: &w.cluster,
                    files: &w.files,
                    commands: &w.commands,
                    answers: &w.answers
                })
                .passed
        );
    }

    #[test]
    fn field_equals_matches_exists() {
        let mut w = World::new();
        w.create(backend(3, 3));
        assert!(
            w.eval(&check(
                "field: {kind: Deployment, name: backend, path: spec.replicas, equals: 3}"
            ))
            .passed
        );
        assert!(
            w.eval(&check(
                "field: {kind: Deployment, name: backend, path: spec.replicas, equals: '3'}"
            ))
            .passed
        );
        let r = w.eval(&check(
            "field: {kind: Deployment, name: backend, path: spec.replicas, equals: 5}",
        ));
        assert_eq!(
            r.message,
            "Deployment backend has spec.replicas = 3; it should be 5."
        );
        assert!(w.eval(&check("field: {kind: Deployment, name: backend, path: 'spec.template.spec.containers[name=backend].image', matches: ':v2$'}")).passed);
        let r = w.eval(&check(
            "field: {kind: Deployment, name: backend, path: spec.paused, exists: true}",
        ));
        assert_eq!(r.message, "Deployment backend has no spec.paused.");
        assert!(
            w.eval(&check(
                "field: {kind: Deployment, name: backend, path: spec.paused, exists: false}"
            ))
            .passed
        );
    }

    #[test]
    fn count_by_selector_and_readiness() {
        let mut w = World::new();
        w.create(pod("a", "web", true));
        w.create(pod("b", "web", false));
        w.create(pod("c", "db", true));
        assert!(
            w.eval(&check("count: {kind: Pod, selector: app=web, equals: 2}"))
                .passed
        );
        let r = w.eval(&check(
            "count: {kind: Pod, selector: app=web, ready: true, equals: 2}",
        ));
        assert_eq!(
            r.message,
            "Found 1 Pods matching app=web that are ready in namespace default; the task wants 2."
        );
        assert!(
            w.eval(&check(
                "count: {kind: Pod, selector: 'app!=web', equals: 1}"
            ))
            .passed
        );
        assert!(w.eval(&check("count: {kind: Pod, at_least: 3}")).passed);
        assert!(!w.eval(&check("count: {kind: Pod, at_most: 2}")).passed);
        assert!(
            w.eval(&check(
                "count: {kind: Pod, where: {'spec.containers[0].image': 'nginx:1.27'}, equals: 3}"
            ))
            .passed
        );
        assert!(
            w.eval(&check(
                "count: {kind: Namespace, namespace: '*', equals: 4}"
            ))
            .passed
        );
    }

    #[test]
    fn ready_replicas_explains_itself() {
        let mut w = World::new();
        w.create(backend(5, 3));
        let c = check("ready_replicas: {name: backend, equals: 5}");
        assert_eq!(
            w.eval(&c).message,
            "Deployment backend has 3 of 5 replicas ready."
        );
        let c4 = check("ready_replicas: {name: backend, equals: 4}");
        assert_eq!(
            w.eval(&c4).message,
            "Deployment backend asks for 5 replicas; the task wants 4."
        );
        let mut w = World::new();
        w.create(backend(5, 5));
        assert!(w.eval(&c).passed);
    }

    #[test]
    fn image_of_workloads_and_pods() {
        let mut w = World::new();
        w.create(backend(1, 1));
        w.create(pod("p", "web", true));
        assert!(
            w.eval(&check(
                "image: {name: backend, equals: 'mon-user/devops-backend:v2'}"
            ))
            .passed
        );
        let r = w.eval(&check(
            "image: {name: backend, container: backend, equals: 'mon-user/devops-backend:v3'}",
        ));
        assert_eq!(r.message, "Deployment backend runs mon-user/devops-backend:v2 in container backend; the task wants mon-user/devops-backend:v3.");
        assert!(
            w.eval(&check("image: {kind: Pod, name: p, matches: '^nginx:'}"))
                .passed
        );
        assert!(
            !w.eval(&check(
                "image: {kind: Pod, name: p, container: other, matches: '^nginx:'}"
            ))
            .passed
        );
    }

    #[test]
    fn labels_and_events() {
        let mut w = World::new();
        w.create(pod("p", "web", true));
        assert!(
            w.eval(&check("labels: {kind: Pod, name: p, include: {app: web}}"))
                .passed
        );
        assert_eq!(
            w.eval(&check("labels: {kind: Pod, name: p, include: {app: db}}"))
                .message,
            "Pod p has label app=web, not app=db."
        );
        assert_eq!(
            w.eval(&check("labels: {kind: Pod, name: p, include: {tier: x}}"))
                .message,
            "Pod p has no label tier=x."
        );
        let e = check("event: {reason: Killing, kind: Pod, name_prefix: p}");
        assert_eq!(
            w.eval(&e).message,
            "No Killing event for a Pod named p… has been recorded."
        );
        w.create(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1"},
            "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Killing", "message": "Stopping container c"}));
        assert!(w.eval(&e).passed);
        assert!(
            !w.eval(&check(
                "event: {reason: Killing, message_matches: 'liveness'}"
            ))
            .passed
        );
    }

    #[test]
    fn ran_commands() {
        let mut w = World::new();
        let c = check("ran: {matches: '^(kubectl|k) scale ', describe: '`kubectl scale`'}");
        assert_eq!(w.eval(&c).message, "You haven't used `kubectl scale` yet.");
        w.commands
            .push("kubectl scale deployment backend --replicas=5".into());
        assert!(w.eval(&c).passed);
    }

    #[test]
    fn files_in_the_editor() {
        let mut w = World::new();
        let c = check("file: {path: pod.yaml, parses: true, kind: Pod, contains: nginx}");
        assert_eq!(
            w.eval(&c).message,
            "There is no file pod.yaml in the editor."
        );
        w.files
            .insert("pod.yaml".into(), "kind: Pod\nspec: [".into());
        assert!(w.eval(&c).message.starts_with("pod.yaml does not contain"));
        w.files
            .insert("pod.yaml".into(), "kind: Pod\nimage: nginx\nspec: [".into());
        assert!(w.eval(&c).message.starts_with("pod.yaml is not valid YAML"));
        w.files.insert(
            "pod.yaml".into(),
            "kind: Service\n---\nkind: Pod\nimage: nginx\n".into(),
        );
        assert!(w.eval(&c).passed);
    }

    #[test]
    fn quiz_multiple_choice_and_short_answer() {
        let mut w = World::new();
        let mc = check("quiz: {id: q1, question: Where is cluster state kept?, choices: [kubelet, etcd], answer: etcd}");
        let sa = check("quiz: {id: q2, question: Which probe restarts a container?, accept: ['^liveness( probe)?$']}");
        assert!(w.eval(&mc).message.contains("no answer yet"));
        w.answers.insert("q1".into(), "kubelet".into());
        assert_eq!(
            w.eval(&mc).message,
            "“kubelet” is not the answer to “Where is cluster state kept?”."
        );
        w.answers.insert("q1".into(), "b".into());
        assert!(w.eval(&mc).passed);
        w.answers.insert("q1".into(), " ETCD ".into());
        assert!(w.eval(&mc).passed);
        w.answers.insert("q2".into(), "Liveness probe".into());
        assert!(w.eval(&sa).passed);
        w.answers.insert("q2".into(), "readiness".into());
        assert!(!w.eval(&sa).passed);
    }

    #[test]
    fn composition_and_custom_messages() {
        let mut w = World::new();
        w.create(pod("p", "web", true));
        let any = check("any: [{exists: {kind: Pod, name: q}}, {exists: {kind: Pod, name: p}}]");
        assert!(w.eval(&any).passed);
        let all = check("all: [{exists: {kind: Pod, name: p}}, {exists: {kind: Pod, name: q}}]");
        assert_eq!(
            w.eval(&all).message,
            "There is no Pod named q in namespace default."
        );
        let not = check("{name: no stray pod, message: Pod p should be deleted., not: {exists: {kind: Pod, name: p}}}");
        let r = w.eval(&not);
        assert_eq!(
            (r.name.as_str(), r.passed, r.message.as_str()),
            ("no stray pod", false, "Pod p should be deleted.")
        );
    }

    #[test]
    fn authors_mistakes_are_caught() {
        let bad: CheckSpec =
            serde_yaml_ng::from_str("count: {kind: Deploymnet, selector: 'a=(b', }").unwrap();
        let errs = bad.validate();
        assert!(errs.iter().any(|e| e.contains("unknown kind")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("needs equals")), "{errs:?}");
        let q: CheckSpec =
            serde_yaml_ng::from_str("quiz: {id: q, question: x, choices: [a, b], answer: c}")
                .unwrap();
        assert_eq!(q.validate().len(), 1);
        assert!(serde_yaml_ng::from_str::<CheckSpec>("exists: {kind: Pod, nmae: x}").is_err());
    }
}
