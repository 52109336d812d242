//! The course as data: lessons (markdown) and their exercises (YAML), exactly as written in
//! `lessons/` (see `lessons/README.md` for the format instructors write).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::check::CheckSpec;

/// The whole course, lessons in directory order.
#[derive(Clone, Debug, Serialize)]
pub struct Course {
    pub lessons: Vec<Lesson>,
}

impl Course {
    /// Finds an exercise by its course-wide id.
    pub fn exercise(&self, id: &str) -> Option<(&Lesson, &Exercise)> {
        self.lessons
            .iter()
            .find_map(|l| l.exercises.iter().find(|e| e.id == id).map(|e| (l, e)))
    }

    pub fn exercises(&self) -> impl Iterator<Item = (&Lesson, &Exercise)> {
        self.lessons
            .iter()
            .flat_map(|l| l.exercises.iter().map(move |e| (l, e)))
    }
}

/// The front matter of a `lesson.md`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LessonMeta {
    pub title: String,
    pub summary: String,
    /// A "next steps" lesson: reading and a short exercise beyond the core syllabus.
    #[serde(default)]
    pub next_steps: bool,
}

/// One lesson: a directory holding `lesson.md` and `exercises/*.yaml`.
#[derive(Clone, Debug, Serialize)]
pub struct Lesson {
    /// The directory name, e.g. `03-deployments`.
    pub id: String,
    #[serde(flatten)]
    pub meta: LessonMeta,
    /// The lesson text without its front matter.
    pub markdown: String,
    pub exercises: Vec<Exercise>,
    #[serde(skip)]
    pub dir: PathBuf,
}

/// What kind of exercise this is; the lesson pane groups and labels them by it.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseKind {
    /// Build or change something.
    #[default]
    Task,
    /// Start from a broken cluster and fix it.
    Debug,
    /// Answer questions.
    Quiz,
}

/// One graded exercise, as written in `exercises/<name>.yaml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Unique across the course; used in URLs.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub kind: ExerciseKind,
    /// What the learner is asked to do (markdown).
    pub task: String,
    #[serde(default)]
    pub setup: Setup,
    pub checks: Vec<CheckSpec>,
    /// Progressive hints, vaguest first.
    pub hints: Vec<String>,
    /// Reference solutions; each one must pass (several when several fixes are right).
    pub solutions: Vec<Attempt>,
    /// Known-wrong attempts, each of which must fail with its `message`.
    #[serde(default)]
    pub wrong: Vec<WrongAttempt>,
    /// Simulated seconds the grader lets pass after an attempt in `lessons check`, so that
    /// controllers, the scheduler and kubelets have settled.
    #[serde(default = "default_settle")]
    pub settle: u64,
    /// Set while the exercise waits for a runtime feature: the reason names that feature.
    /// `lessons check` reports such an exercise as pending instead of failing, and fails when it
    /// passes anyway (the marker must then be removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// The file this exercise was read from.
    #[serde(skip)]
    pub source: PathBuf,
}

fn default_settle() -> u64 {
    60
}

/// How the session looks when the exercise starts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The cluster's nodes; the default is one untainted minikube node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterShape>,
    /// Objects created directly through the API before the learner arrives (files beside the
    /// exercise, multi-document YAML); nothing shows them in the editor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// The text of `objects`, read by the loader.
    #[serde(skip)]
    pub objects_yaml: Vec<String>,
    /// Files put in the editor's workspace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,
    /// Shell lines run as if typed (e.g. `kubectl apply -f backend.yaml`, `docker build ...`);
    /// they are not counted as the learner's commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// Simulated seconds to let pass after the setup (so a broken cluster is visibly broken).
    #[serde(default)]
    pub advance: u64,
}

/// The nodes of an exercise's cluster: the control-plane node `minikube` and workers named
/// `minikube-m02`, `minikube-m03`, ... as `minikube start --nodes N` names them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterShape {
    #[serde(default)]
    pub control_plane: ControlPlaneShape,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<WorkerShape>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPlaneShape {
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    #[serde(default = "default_pods")]
    pub pods: u32,
    /// Keeps `node-role.kubernetes.io/control-plane:NoSchedule` (kubeadm and kind clusters with
    /// workers do; a single-node minikube does not).
    #[serde(default)]
    pub taint: bool,
}

impl Default for ControlPlaneShape {
    fn default() -> Self {
        ControlPlaneShape {
            cpu: default_cpu(),
            memory: default_memory(),
            pods: default_pods(),
            taint: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerShape {
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    #[serde(default = "default_pods")]
    pub pods: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<TaintSpec>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

fn default_cpu() -> String {
    "2".into()
}
fn default_memory() -> String {
    "8025424Ki".into()
}
fn default_pods() -> u32 {
    110
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub effect: String,
}

/// A workspace file: inline `content` or `from` a file beside the exercise.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// What a learner does: edit files, type shell lines, answer questions.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Files written in the editor, in order, before the commands run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// Quiz answers by question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, String>,
}

/// A plausible mistake and the message the grader must give for it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WrongAttempt {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, String>,
    /// Text that one failing check's message must contain.
    pub message: String,
}

impl WrongAttempt {
    pub fn attempt(&self) -> Attempt {
        Attempt {
            name: Some(self.name.clone()),
            files: self.files.clone(),
            commands: self.commands.clone(),
            answers: self.answers.clone(),
        }
    }
}
