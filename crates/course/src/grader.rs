//! Setting an exercise up, running an attempt through the session's real shell, and grading.
//!
//! Everything here is deterministic: the cluster starts from a fixed configuration, time only
//! moves when the grader advances the simulated clock, and the shell is the one learners type into.

use std::collections::BTreeMap;

use cluster::{minikube, Cluster, ClusterConfig};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::check::{CheckResult, Evidence};
use crate::model::{Attempt, ClusterShape, Exercise, FileSpec};

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
    let setup = &ex.setup;
    let cluster = match &setup.cluster {
        Some(shape) => Cluster::with_shape(config, &minikube_shape(shape)),
        None => Cluster::new(config),
    };
    let mut ws = Workspace {
        cluster,
        files: BTreeMap::new(),
        shell: shell::Shell::default(),
    };
    for text in &setup.objects_yaml {
        create_objects(&mut ws.cluster, text)?;
    }
    write_files(&mut ws.files, &setup.files);
    for line in &setup.commands {
        let out = run_line(&mut ws, line);
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

/// Simulated seconds between two lines of an attempt.
pub const SECONDS_BETWEEN_LINES: u64 = 5;

/// Longest simulated time a line that keeps running (`kubectl rollout status`, `kubectl wait`,
/// `kubectl get -w`) is given before it is interrupted with Ctrl-C.
pub const MAX_LINE_SECONDS: u64 = 600;

/// Runs one line as the terminal does: a line that waits on the cluster keeps running while
/// simulated time passes, one second at a time, until it ends (or is interrupted after
/// [`MAX_LINE_SECONDS`]).
pub fn run_line(ws: &mut Workspace, line: &str) -> shell::Output {
    let mut out = shell::Output::default();
    let collect = |step: &shell::Step, out: &mut shell::Output| {
        let (stdout, stderr) = step.output();
        out.stdout.push_str(&stdout);
        out.stderr.push_str(&stderr);
    };
    let mut step = ws.shell.start(line, &mut ws.cluster, &mut ws.files);
    collect(&step, &mut out);
    let mut waited = 0;
    while let shell::State::Running(wake) = step.state {
        if waited >= MAX_LINE_SECONDS {
            step = ws.shell.interrupt(&mut ws.cluster, &mut ws.files);
            collect(&step, &mut out);
            break;
        }
        if let shell::Wake::At(at) = wake {
            // `sleep` and timeouts are measured on the wall clock by the shell.
            let now = std::time::Instant::now();
            if at > now {
                std::thread::sleep((at - now).min(std::time::Duration::from_millis(50)));
            }
        }
        advance(&mut ws.cluster, 1);
        waited += 1;
        step = ws.shell.poll(&mut ws.cluster, &mut ws.files);
        collect(&step, &mut out);
    }
    out.exit_code = match step.state {
        shell::State::Exited(code) => code,
        shell::State::Running(_) => 130,
    };
    out
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
        let output = run_line(&mut ws, line);
        steps.push(Step {
            line: line.clone(),
            output,
        });
        // A learner reads the output and types the next line: a few seconds pass.
        advance(&mut ws.cluster, SECONDS_BETWEEN_LINES);
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

/// The cluster crate's description of the same node layout.
fn minikube_shape(shape: &ClusterShape) -> minikube::Shape {
    let cp = &shape.control_plane;
    minikube::Shape {
        control_plane_cpu: cp.cpu.clone(),
        control_plane_memory: cp.memory.clone(),
        control_plane_pods: cp.pods,
        control_plane_taint: cp.taint,
        workers: shape
            .workers
            .iter()
            .map(|w| minikube::WorkerShape {
                cpu: w.cpu.clone(),
                memory: w.memory.clone(),
                pods: w.pods,
                taints: w
                    .taints
                    .iter()
                    .map(|t| {
                        (
                            t.key.clone(),
                            t.value.clone().unwrap_or_default(),
                            t.effect.clone(),
                        )
                    })
                    .collect(),
                labels: w
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect(),
    }
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
    use crate::check::resource_type;

    fn exercise(yaml: &str) -> Exercise {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    const SHAPED: &str = r#"
id: t
title: t
task: t
setup:
  cluster:
    control_plane: {taint: true}
    workers:
      - {cpu: "1", memory: 2Gi, labels: {team: data}, taints: [{key: team, value: data, effect: NoSchedule}]}
  advance: 30
checks:
  - exists: {kind: Node, name: minikube-m02}
hints: [a, b]
solutions: [{}]
"#;

    #[test]
    fn cluster_shape_replaces_the_default_node() {
        let ex = exercise(SHAPED);
        let ws = start(&ex, &exercise_config()).unwrap();
        let nodes = ws.cluster.list(resource_type("Node").unwrap(), None);
        let names: Vec<_> = nodes.iter().map(|n| n.name().to_string()).collect();
        assert_eq!(names, ["minikube", "minikube-m02"]);
        let cp = nodes[0].to_value();
        assert_eq!(
            cp["spec"]["taints"][0]["key"],
            "node-role.kubernetes.io/control-plane"
        );
        let w = nodes[1].to_value();
        assert_eq!(w["status"]["allocatable"]["cpu"], "1");
        assert_eq!(w["spec"]["taints"][0]["key"], "team");
        assert_eq!(w["metadata"]["labels"]["team"], "data");
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
        ex.setup.cluster = None;
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
