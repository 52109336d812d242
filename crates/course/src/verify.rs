//! `wheelhouse lessons check`: every exercise's reference solutions must pass, doing nothing must
//! fail, and every known-wrong attempt must fail with its expected message.

use std::fmt::Write as _;
use std::path::Path;

use crate::grader::{run_attempt, Run};
use crate::loader::{self, Problem};
use crate::model::{Attempt, Exercise};

/// How one exercise fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Solutions pass, the no-op and wrong attempts fail as expected.
    Ok,
    /// Marked pending and still failing: `reason` is the author's, `problems` what failed.
    Pending {
        reason: String,
        problems: Vec<String>,
    },
    /// Marked pending but everything now works: the marker must go.
    UnexpectedPass {
        reason: String,
    },
    Failed {
        problems: Vec<String>,
    },
}

#[derive(Clone, Debug)]
pub struct ExerciseReport {
    pub id: String,
    pub lesson: String,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub load_problems: Vec<Problem>,
    pub exercises: Vec<ExerciseReport>,
}

impl Report {
    /// Whether CI should pass: the course loads and no exercise fails or passes while pending.
    pub fn success(&self) -> bool {
        self.load_problems.is_empty()
            && self
                .exercises
                .iter()
                .all(|e| matches!(e.verdict, Verdict::Ok | Verdict::Pending { .. }))
    }

    pub fn count(&self, f: impl Fn(&Verdict) -> bool) -> usize {
        self.exercises.iter().filter(|e| f(&e.verdict)).count()
    }

    /// The human-readable report `lessons check` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for p in &self.load_problems {
            let _ = writeln!(s, "error    {p}");
        }
        for e in &self.exercises {
            let name = format!("{}/{}", e.lesson, e.id);
            match &e.verdict {
                Verdict::Ok => {
                    let _ = writeln!(s, "ok       {name}");
                }
                Verdict::Pending { reason, problems } => {
                    let _ = writeln!(s, "pending  {name} ({reason})");
                    for p in problems {
                        let _ = writeln!(s, "           - {p}");
                    }
                }
                Verdict::UnexpectedPass { reason } => {
                    let _ = writeln!(
                        s,
                        "FAIL     {name}: marked pending ({reason}) but passes now; remove `pending:`"
                    );
                }
                Verdict::Failed { problems } => {
                    let _ = writeln!(s, "FAIL     {name}");
                    for p in problems {
                        let _ = writeln!(s, "           - {p}");
                    }
                }
            }
        }
        let _ = writeln!(
            s,
            "\n{} exercises: {} ok, {} pending, {} failed{}",
            self.exercises.len(),
            self.count(|v| *v == Verdict::Ok),
            self.count(|v| matches!(v, Verdict::Pending { .. })),
            self.count(|v| matches!(v, Verdict::Failed { .. } | Verdict::UnexpectedPass { .. })),
            if self.load_problems.is_empty() {
                String::new()
            } else {
                format!(", {} content errors", self.load_problems.len())
            }
        );
        s
    }
}

/// Loads and checks the whole course in `dir`.
pub fn check_dir(dir: &Path) -> Report {
    let (course, load_problems) = loader::load(dir);
    let exercises = course
        .exercises()
        .map(|(lesson, ex)| ExerciseReport {
            id: ex.id.clone(),
            lesson: lesson.id.clone(),
            verdict: check_exercise(ex),
        })
        .collect();
    Report {
        load_problems,
        exercises,
    }
}

fn describe_run(run: &Run) -> String {
    let mut parts: Vec<String> = run.grade.failures().map(str::to_string).collect();
    for step in run.failed_steps() {
        let err = step.output.stderr.trim_end();
        let err = err.lines().next().unwrap_or_default();
        parts.push(format!(
            "`{}` exited {}: {err}",
            step.line, step.output.exit_code
        ));
    }
    parts.join(" | ")
}

fn label(a: &Attempt, i: usize) -> String {
    match &a.name {
        Some(n) => format!("solution {:?}", n),
        None => format!("solution {}", i + 1),
    }
}

/// Runs the exercise's solutions, the no-op and its known-wrong attempts.
pub fn check_exercise(ex: &Exercise) -> Verdict {
    let mut problems = Vec::new();
    match run_attempt(ex, &Attempt::default()) {
        Err(e) => problems.push(format!("setup: {e}")),
        Ok(run) if run.grade.passed => {
            problems.push("passes with no work done (the no-op must fail)".into())
        }
        Ok(_) => {}
    }
    // Setup failing makes every run fail the same way; one line says it.
    if problems.iter().all(|p| !p.starts_with("setup:")) {
        for (i, s) in ex.solutions.iter().enumerate() {
            match run_attempt(ex, s) {
                Err(e) => problems.push(format!("{}: setup: {e}", label(s, i))),
                Ok(run) => {
                    let broken: Vec<_> = run.failed_steps().collect();
                    if !run.grade.passed || !broken.is_empty() {
                        problems.push(format!(
                            "{} does not pass: {}",
                            label(s, i),
                            describe_run(&run)
                        ));
                    }
                }
            }
        }
        for w in &ex.wrong {
            match run_attempt(ex, &w.attempt()) {
                Err(e) => problems.push(format!("wrong attempt {:?}: setup: {e}", w.name)),
                Ok(run) if run.grade.passed => {
                    problems.push(format!("wrong attempt {:?} passes; it must fail", w.name))
                }
                Ok(run) => {
                    if !run.grade.failures().any(|m| m.contains(&w.message)) {
                        problems.push(format!(
                            "wrong attempt {:?} fails without the expected message {:?}; got: {}",
                            w.name,
                            w.message,
                            describe_run(&run)
                        ));
                    }
                }
            }
        }
    }
    match (&ex.pending, problems.is_empty()) {
        (None, true) => Verdict::Ok,
        (None, false) => Verdict::Failed { problems },
        (Some(reason), false) => Verdict::Pending {
            reason: reason.clone(),
            problems,
        },
        (Some(reason), true) => Verdict::UnexpectedPass {
            reason: reason.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(yaml: &str) -> Exercise {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    const BASE: &str = r#"
id: t
title: t
task: t
checks:
  - quiz: {id: q1, question: Which stores cluster state?, choices: [kubelet, etcd], answer: etcd}
hints: [a, b]
solutions: [{answers: {q1: etcd}}]
wrong:
  - {name: kubelet, answers: {q1: kubelet}, message: "“kubelet” is not the answer"}
"#;

    #[test]
    fn a_sound_exercise_is_ok() {
        assert_eq!(check_exercise(&ex(BASE)), Verdict::Ok);
    }

    #[test]
    fn mismatches_are_reported_precisely() {
        let mut e = ex(BASE);
        e.wrong[0].message = "something else".into();
        e.solutions[0].answers.insert("q1".into(), "kubelet".into());
        let Verdict::Failed { problems } = check_exercise(&e) else {
            panic!()
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("solution 1 does not pass: “kubelet”"));
        assert!(problems[1].contains("without the expected message \"something else\""));
    }

    #[test]
    fn a_no_op_that_passes_is_a_failure() {
        let e = ex(r#"
id: t
title: t
task: t
checks: [{exists: {kind: Node, name: minikube}}]
hints: [a, b]
solutions: [{}]
"#);
        let Verdict::Failed { problems } = check_exercise(&e) else {
            panic!()
        };
        assert_eq!(problems, ["passes with no work done (the no-op must fail)"]);
    }

    #[test]
    fn pending_exercises_are_reported_and_must_not_pass() {
        let mut e = ex(BASE);
        e.pending = Some("waits for the scheduler".into());
        assert_eq!(
            check_exercise(&e),
            Verdict::UnexpectedPass {
                reason: "waits for the scheduler".into()
            }
        );
        e.solutions[0].commands.push("kubectl frobnicate".into());
        let v = check_exercise(&e);
        assert!(matches!(v, Verdict::Pending { .. }), "{v:?}");
        let report = Report {
            load_problems: vec![],
            exercises: vec![ExerciseReport {
                id: "t".into(),
                lesson: "l".into(),
                verdict: v,
            }],
        };
        assert!(report.success());
        assert!(report
            .render()
            .contains("pending  l/t (waits for the scheduler)"));
    }
}
