//! Setting an exercise up, running an attempt through the session's real shell, and grading.
//!
//! Everything here is deterministic: the cluster starts from a fixed configuration, time only
//! moves when the grader advances the simulated clock, and the shell is the one learners type into.

use std::collections::BTreeMap;

use cluster::{Cluster, ClusterConfig};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::check::{resource_type, CheckResult, Evidence};
use crate::model::{Attempt, Exercise, FileSpec, NodeShape};

/// What a learner works in: a cluster, the editor's files and the terminal.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub cluster: Cluster,
    pub files: BTreeMap<String, String>,
    pub shell: shell::Shell,
}

/// The result of grading, as the check endpoint returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    pub passed: bool,
    pub checks: Vec<CheckResult>,
}

impl Grade {
    /// Messages of the checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.message.as_str())
    }
}

/// Why an exercise could not be set up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    /// A node of the requested cluster shape was refused by the API.
    #[error("node {name}: {message}")]
    Node { name: String, message: String },
    /// An object of `setup.objects` could not be created.
    #[error("object {what}: {message}")]
    Object { what: String, message: String },
    /// A line of `setup.commands` failed in the shell.
    #[error("setup command `{line}` exited {code}: {stderr}")]
    Command {
        line: String,
        code: i32,
        stderr: String,
    },
}

/// The cluster configuration every exercise starts from, so grading is reproducible.
pub fn exercise_config() -> ClusterConfig {
    ClusterConfig::default()
}

/// Builds the exercise's starting workspace on a fresh cluster.
pub fn start(ex: &Exercise, config: &ClusterConfig) -> Result<Workspace, SetupError> {
    let mut ws = Workspace {
        cluster: Cluster::new(config),
        files: BTreeMap::new(),
        shell: shell::Shell::default(),
    };
    let setup = &ex.setup;
    if let Some(nodes) = &setup.nodes {
        shape_nodes(&mut ws.cluster, nodes)?;
    }
    for text in &setup.objects_yaml {
        create_objects(&mut ws.cluster, text)?;
    }
    write_files(&mut ws.files, &setup.files);
    for line in &setup.commands {
        let out = ws.shell.run_line(line, &mut ws.cluster, &mut ws.files);
        if out.exit_code != 0 {
            return Err(SetupError::Command {
                line: line.clone(),
                code: out.exit_code,
                stderr: out.stderr.trim_end().to_string(),
            });
        }
    }
    // Setup lines are not the learner's: `ran` checks only see what comes after.
    ws.shell.history.clear();
    advance(&mut ws.cluster, setup.advance);
    Ok(ws)
}

/// Lets simulated time pass (the cluster's controllers run as it does).
pub fn advance(cluster: &mut Cluster, seconds: u64) {
    if seconds > 0 {
        cluster.advance(SignedDuration::from_secs(seconds as i64));
    }
}

/// Writes files into the workspace (content resolved by the loader).
pub fn write_files(files: &mut BTreeMap<String, String>, specs: &[FileSpec]) {
    for f in specs {
        files.insert(f.path.clone(), f.content.clone().unwrap_or_default());
    }
}

/// Grades the exercise against what a session holds now.
pub fn grade(ex: &Exercise, ev: &Evidence) -> Grade {
    let checks: Vec<CheckResult> = ex.checks.iter().map(|c| c.evaluate(ev)).collect();
    Grade {
        passed: checks.iter().all(|c| c.passed),
        checks,
    }
}

/// One shell line of an attempt and how it ended.
#[derive(Clone, Debug)]
pub struct Step {
    pub line: String,
    pub output: shell::Output,
}

/// What running an attempt produced.
#[derive(Clone, Debug)]
pub struct Run {
    pub grade: Grade,
    pub steps: Vec<Step>,
}

impl Run {
    /// Lines that exited non-zero, with their error output.
    pub fn failed_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.output.exit_code != 0)
    }
}

/// Sets the exercise up, plays the attempt as a learner would (files, then shell lines), lets
/// `settle` seconds pass and grades.
pub fn run_attempt(ex: &Exercise, attempt: &Attempt) -> Result<Run, SetupError> {
    let mut ws = start(ex, &exercise_config())?;
    write_files(&mut ws.files, &attempt.files);
    let mut steps = Vec::new();
    for line in &attempt.commands {
        let output = ws.shell.run_line(line, &mut ws.cluster, &mut ws.files);
        steps.push(Step {
            line: line.clone(),
            output,
        });
    }
    advance(&mut ws.cluster, ex.settle);
    let grade = grade(
        ex,
        &Evidence {
            cluster: &ws.cluster,
            files: &ws.files,
            commands: &ws.shell.history,
            answers: &attempt.answers,
        },
    );
    Ok(Run { grade, steps })
}

/// Replaces the cluster's nodes with the exercise's shape.
fn shape_nodes(cluster: &mut Cluster, nodes: &[NodeShape]) -> Result<(), SetupError> {
    let rt = resource_type("Node").expect("nodes are served");
    let template = cluster
        .list(rt, None)
        .first()
        .map(|n| n.to_value())
        .unwrap_or_else(
            || json!({"apiVersion": "v1", "kind": "Node", "metadata": {}, "status": {}}),
        );
    for existing in cluster.list(rt, None) {
        let _ = cluster.delete(rt, None, existing.name());
    }
    for (i, shape) in nodes.iter().enumerate() {
        let body = node_object(&template, shape, i);
        cluster
            .create(rt, None, body)
            .map_err(|e| SetupError::Node {
                name: shape.name.clone(),
                message: e.message,
            })?;
    }
    Ok(())
}

/// A node like the default one, resized, relabelled and tainted as the shape says.
fn node_object(template: &Value, shape: &NodeShape, index: usize) -> Value {
    let mut node = template.clone();
    let meta = &mut node["metadata"];
    for field in ["uid", "resourceVersion", "creationTimestamp", "generation"] {
        if let Some(m) = meta.as_object_mut() {
            m.remove(field);
        }
    }
    meta["name"] = json!(shape.name);
    let mut labels = serde_json::Map::new();
    for (k, v) in [
        ("beta.kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("kubernetes.io/os", "linux"),
    ] {
        labels.insert(k.into(), json!(v));
    }
    labels.insert("kubernetes.io/hostname".into(), json!(shape.name));
    if shape.control_plane {
        labels.insert("node-role.kubernetes.io/control-plane".into(), json!(""));
    }
    for (k, v) in &shape.labels {
        labels.insert(k.clone(), json!(v));
    }
    meta["labels"] = Value::Object(labels);
    let cidr = format!("10.244.{index}.0/24");
    node["spec"] = json!({"podCIDR": cidr, "podCIDRs": [cidr]});
    if !shape.taints.is_empty() {
        node["spec"]["taints"] = shape
            .taints
            .iter()
            .map(|t| {
                let mut v = json!({"key": t.key, "effect": t.effect});
                if let Some(val) = &t.value {
                    v["value"] = json!(val);
                }
                v
            })
            .collect();
    }
    let resources = json!({"cpu": shape.cpu, "memory": shape.memory, "pods": shape.pods,
                           "ephemeral-storage": "61202244Ki", "hugepages-2Mi": "0"});
    node["status"]["capacity"] = resources.clone();
    node["status"]["allocatable"] = resources;
    node["status"]["addresses"] = json!([
        {"type": "InternalIP", "address": format!("192.168.49.{}", index + 2)},
        {"type": "Hostname", "address": shape.name},
    ]);
    node
}

/// Creates every document of a manifest directly through the cluster's API.
fn create_objects(cluster: &mut Cluster, text: &str) -> Result<(), SetupError> {
    let docs = crate::yaml_documents(text).map_err(|e| SetupError::Object {
        what: "manifest".into(),
        message: e,
    })?;
    for doc in docs {
        let what = format!(
            "{} {}",
            doc["kind"].as_str().unwrap_or("?"),
            doc["metadata"]["name"].as_str().unwrap_or("?")
        );
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let rt =
            cluster::resources::by_kind(api_version, kind).ok_or_else(|| SetupError::Object {
                what: what.clone(),
                message: format!("no matches for kind \"{kind}\" in version \"{api_version}\""),
            })?;
        let ns = doc["metadata"]["namespace"].as_str().map(str::to_string);
        cluster
            .create(rt, ns.as_deref(), doc)
            .map_err(|e| SetupError::Object {
                what,
                message: e.message,
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaintSpec;

    fn exercise(yaml: &str) -> Exercise {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    const SHAPED: &str = r#"
id: t
title: t
task: t
setup:
  nodes:
    - {name: control-plane, control_plane: true, taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}
    - {name: worker-1, cpu: "1", memory: 2Gi}
  advance: 30
checks:
  - exists: {kind: Node, name: worker-1}
hints: [a, b]
solutions: [{}]
"#;

    #[test]
    fn cluster_shape_replaces_the_default_node() {
        let ex = exercise(SHAPED);
        let ws = start(&ex, &exercise_config()).unwrap();
        let nodes = ws.cluster.list(resource_type("Node").unwrap(), None);
        let names: Vec<_> = nodes.iter().map(|n| n.name().to_string()).collect();
        assert_eq!(names, ["control-plane", "worker-1"]);
        let cp = nodes[0].to_value();
        assert_eq!(
            cp["spec"]["taints"][0]["key"],
            "node-role.kubernetes.io/control-plane"
        );
        assert_eq!(
            cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"],
            ""
        );
        let w = nodes[1].to_value();
        assert_eq!(w["status"]["allocatable"]["cpu"], "1");
        assert!(w["metadata"]["labels"]
            .get("node-role.kubernetes.io/control-plane")
            .is_none());
        assert_eq!(
            ws.cluster.now(),
            exercise_config()
                .start
                .checked_add(SignedDuration::from_secs(30))
                .unwrap()
        );
    }

    #[test]
    fn objects_files_and_commands_are_set_up_and_commands_are_not_the_learners() {
        let mut ex = exercise(SHAPED);
        ex.setup.nodes = None;
        ex.setup.objects_yaml =
            vec!["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n".into()];
        ex.setup.files = vec![FileSpec {
            path: "pod.yaml".into(),
            content: Some("x".into()),
            from: None,
        }];
        ex.setup.commands = vec!["kubectl get nodes".into()];
        let ws = start(&ex, &exercise_config()).unwrap();
        assert!(ws
            .cluster
            .get(resource_type("ConfigMap").unwrap(), Some("default"), "cfg")
            .is_ok());
        assert_eq!(ws.files["pod.yaml"], "x");
        assert!(ws.shell.history.is_empty());
    }

    #[test]
    fn setup_failures_say_what_failed() {
        let mut ex = exercise(SHAPED);
        ex.setup.commands = vec!["frobnicate".into()];
        let e = start(&ex, &exercise_config()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "setup command `frobnicate` exited 127: bash: frobnicate: command not found"
        );
        let mut ex = exercise(SHAPED);
        ex.setup.objects_yaml =
            vec!["apiVersion: v1\nkind: ReplicaSet\nmetadata: {name: x}\n".into()];
        let e = start(&ex, &exercise_config()).unwrap_err();
        assert!(e
            .to_string()
            .contains("no matches for kind \"ReplicaSet\" in version \"v1\""));
        let _ = TaintSpec {
            key: String::new(),
            value: None,
            effect: String::new(),
        };
    }

    #[test]
    fn attempts_run_through_the_shell_and_are_graded() {
        let ex = exercise(
            r#"
id: t
title: t
task: t
checks:
  - exists: {kind: Pod, name: web}
  - ran: {matches: '^kubectl apply', describe: '`kubectl apply`'}
hints: [a, b]
solutions:
  - files: [{path: pod.yaml, content: "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: nginx:1.27}]}\n"}]
    commands: [kubectl apply -f pod.yaml]
"#,
        );
        let run = run_attempt(&ex, &ex.solutions[0]).unwrap();
        assert!(run.grade.passed, "{:?} {:?}", run.grade, run.steps);
        let noop = run_attempt(&ex, &Attempt::default()).unwrap();
        assert!(!noop.grade.passed);
        assert_eq!(
            noop.grade.failures().next(),
            Some("There is no Pod named web in namespace default.")
        );
    }
}
