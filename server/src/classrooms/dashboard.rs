//! The instructor dashboard's data: every learner against every exercise, who is stuck, and the
//! check that fails most often; and the same as CSV.
//!
//! Pure functions over stored data (roster, progress, check log), so they are tested without a
//! server and every replica computes the same dashboard.

use std::collections::{BTreeMap, HashMap};

use course::Progress;
use serde::Serialize;

use crate::db::{CheckRecord, RosterEntry};

/// Failed checks on one exercise, without a pass, after which a learner counts as stuck.
pub const STUCK_AFTER_FAILURES: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    Working,
    Passed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Working => "working",
            Status::Passed => "passed",
        }
    }
}

/// One learner on one exercise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub status: Status,
    pub attempts: u32,
    pub hints: usize,
    /// Failed checks since the last pass (or since the start).
    pub failures: u32,
    pub stuck: bool,
    /// The checks that failed on the learner's latest attempt, while not passed.
    pub failing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearnerRow {
    pub session: String,
    pub name: String,
    pub joined_at: i64,
    /// The exercise the learner has set up now, if any.
    pub active: Option<String>,
    pub passed: usize,
    pub stuck: bool,
    pub exercises: BTreeMap<String, Cell>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExerciseSummary {
    pub passed: usize,
    pub working: usize,
    pub not_started: usize,
    pub stuck: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailingCheck {
    pub exercise: String,
    pub check: String,
    /// How many learners it currently fails for.
    pub learners: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StuckLearner {
    pub session: String,
    pub name: String,
    pub exercise: String,
    pub failures: u32,
}

/// Everything the dashboard shows, apart from the classroom's own settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    pub exercises: Vec<String>,
    pub learners: Vec<LearnerRow>,
    pub summary: BTreeMap<String, ExerciseSummary>,
    pub stuck: Vec<StuckLearner>,
    pub most_common_failing_check: Option<FailingCheck>,
}

/// Builds the dashboard. `exercises` are the class's exercises in course order; exercises a
/// learner worked on that are not among them are added after, in the order first seen.
pub fn build(
    exercises: &[String],
    roster: &[RosterEntry],
    progress: &HashMap<String, Progress>,
    checks: &[CheckRecord],
) -> Dashboard {
    let mut columns: Vec<String> = exercises.to_vec();
    let mut add_column = |ex: &str| {
        if !columns.iter().any(|c| c == ex) {
            columns.push(ex.to_string());
        }
    };
    for entry in roster {
        if let Some(p) = progress.get(&entry.session_id) {
            p.exercises.keys().for_each(|ex| add_column(ex));
        }
    }
    checks.iter().for_each(|c| add_column(&c.exercise));

    // The check log per (session, exercise), oldest first.
    let mut log: HashMap<(&str, &str), Vec<&CheckRecord>> = HashMap::new();
    for c in checks {
        log.entry((c.session_id.as_str(), c.exercise.as_str()))
            .or_default()
            .push(c);
    }

    let empty = Progress::default();
    let mut learners = Vec::new();
    let mut summary: BTreeMap<String, ExerciseSummary> = columns
        .iter()
        .map(|ex| (ex.clone(), ExerciseSummary::default()))
        .collect();
    let mut stuck = Vec::new();
    let mut failing_counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for entry in roster {
        let p = progress.get(&entry.session_id).unwrap_or(&empty);
        let mut cells = BTreeMap::new();
        for ex in &columns {
            let record = p.exercises.get(ex);
            let attempts_log = log
                .get(&(entry.session_id.as_str(), ex.as_str()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let passed = record.is_some_and(|r| r.passed) || attempts_log.iter().any(|c| c.passed);
            let started = record.is_some() || !attempts_log.is_empty();
            let status = match (passed, started) {
                (true, _) => Status::Passed,
                (false, true) => Status::Working,
                (false, false) => Status::NotStarted,
            };
            let since_pass: Vec<&&CheckRecord> = attempts_log
                .iter()
                .rev()
                .take_while(|c| !c.passed)
                .collect();
            let failures = since_pass.len() as u32;
            let failing: Vec<String> = if passed {
                Vec::new()
            } else {
                since_pass
                    .first()
                    .map(|c| serde_json::from_str(&c.failing).unwrap_or_default())
                    .unwrap_or_default()
            };
            for check in &failing {
                *failing_counts
                    .entry((ex.clone(), check.clone()))
                    .or_default() += 1;
            }
            let is_stuck = !passed && failures >= STUCK_AFTER_FAILURES;
            if is_stuck {
                stuck.push(StuckLearner {
                    session: entry.session_id.clone(),
                    name: entry.name.clone(),
                    exercise: ex.clone(),
                    failures,
                });
            }
            let s = summary.get_mut(ex).expect("one summary per column");
            match status {
                Status::Passed => s.passed += 1,
                Status::Working => s.working += 1,
                Status::NotStarted => s.not_started += 1,
            }
            s.stuck += is_stuck as usize;
            cells.insert(
                ex.clone(),
                Cell {
                    status,
                    attempts: record
                        .map_or(0, |r| r.attempts)
                        .max(attempts_log.len() as u32),
                    hints: record.map_or(0, |r| r.hints_used),
                    failures,
                    stuck: is_stuck,
                    failing,
                },
            );
        }
        learners.push(LearnerRow {
            session: entry.session_id.clone(),
            name: entry.name.clone(),
            joined_at: entry.joined_at,
            active: p.active.as_ref().map(|a| a.exercise.clone()),
            passed: cells
                .values()
                .filter(|c| c.status == Status::Passed)
                .count(),
            stuck: cells.values().any(|c| c.stuck),
            exercises: cells,
        });
    }
    // Most learners first; ties broken by course order, then check name, so it is stable.
    let most_common_failing_check = failing_counts
        .into_iter()
        .max_by(|((ea, ca), na), ((eb, cb), nb)| {
            let pos = |e: &String| columns.iter().position(|c| c == e);
            na.cmp(nb)
                .then_with(|| pos(eb).cmp(&pos(ea)))
                .then_with(|| cb.cmp(ca))
        })
        .map(|((exercise, check), learners)| FailingCheck {
            exercise,
            check,
            learners,
        });
    Dashboard {
        exercises: columns,
        learners,
        summary,
        stuck,
        most_common_failing_check,
    }
}

/// The dashboard as CSV, one row per learner and exercise.
pub fn to_csv(d: &Dashboard) -> String {
    let mut out =
        String::from("name,session,exercise,status,attempts,hints,stuck,failing_checks\n");
    for l in &d.learners {
        for ex in &d.exercises {
            let c = &l.exercises[ex];
            let row = [
                l.name.as_str(),
                l.session.as_str(),
                ex.as_str(),
                c.status.as_str(),
                &c.attempts.to_string(),
                &c.hints.to_string(),
                if c.stuck { "yes" } else { "no" },
                &c.failing.join("; "),
            ]
            .map(csv_field);
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// One CSV field (RFC 4180 quoting). A field that a spreadsheet would read as a formula gets a
/// leading apostrophe: display names are typed by learners.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learner(id: &str, name: &str) -> RosterEntry {
        RosterEntry {
            session_id: id.into(),
            name: name.into(),
            joined_at: 0,
        }
    }

    fn check(session: &str, exercise: &str, failing: &[&str], at: i64) -> CheckRecord {
        CheckRecord {
            session_id: session.into(),
            exercise: exercise.into(),
            passed: failing.is_empty(),
            failing: serde_json::to_string(failing).unwrap(),
            at,
        }
    }

    #[test]
    fn statuses_stuck_learners_and_the_most_common_failing_check() {
        let roster = [learner("a", "Ada"), learner("b", "Bob"), learner("c", "Cy")];
        let mut progress = HashMap::new();
        let mut pa = Progress::default();
        pa.started("pods", 0);
        pa.checked("pods", true);
        pa.reveal_hint("pods", 3);
        progress.insert("a".to_string(), pa);
        let checks = [
            check("a", "pods", &[], 1),
            check("b", "pods", &["pod-running"], 2),
            check("b", "pods", &["pod-running", "image"], 3),
            check("b", "pods", &["pod-running"], 4),
            check("c", "pods", &["image"], 5),
            check("c", "pods", &["pod-running"], 6),
        ];
        let d = build(
            &["pods".into(), "deploy".into()],
            &roster,
            &progress,
            &checks,
        );
        assert_eq!(d.exercises, ["pods", "deploy"]);
        let cell = |i: usize, ex: &str| d.learners[i].exercises[ex].clone();
        assert_eq!(cell(0, "pods").status, Status::Passed);
        assert_eq!(cell(0, "pods").hints, 1);
        assert_eq!(cell(0, "pods").attempts, 1);
        assert_eq!(cell(1, "pods").status, Status::Working);
        assert_eq!(cell(1, "pods").failures, 3);
        assert!(cell(1, "pods").stuck);
        assert_eq!(cell(2, "pods").failing, ["pod-running"]);
        assert!(!cell(2, "pods").stuck);
        assert_eq!(cell(2, "deploy").status, Status::NotStarted);
        assert_eq!(
            d.stuck,
            [StuckLearner {
                session: "b".into(),
                name: "Bob".into(),
                exercise: "pods".into(),
                failures: 3
            }]
        );
        assert_eq!(
            d.most_common_failing_check,
            Some(FailingCheck {
                exercise: "pods".into(),
                check: "pod-running".into(),
                learners: 2
            })
        );
        assert_eq!(
            d.summary["pods"],
            ExerciseSummary {
                passed: 1,
                working: 2,
                not_started: 0,
                stuck: 1
            }
        );
        assert_eq!(d.summary["deploy"].not_started, 3);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let roster = [
            learner("s1", "=HYPERLINK(\"x\")"),
            learner("s2", "Lee, Ann"),
        ];
        let checks = [check("s2", "pods", &["a", "b"], 1)];
        let csv = to_csv(&build(&["pods".into()], &roster, &HashMap::new(), &checks));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines,
            [
                "name,session,exercise,status,attempts,hints,stuck,failing_checks",
                "\"'=HYPERLINK(\"\"x\"\")\",s1,pods,not_started,0,0,no,",
                "\"Lee, Ann\",s2,pods,working,1,0,no,a; b",
            ]
        );
    }
}
