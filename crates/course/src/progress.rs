//! What a session remembers of its learner's work: exercises passed, attempts, hints used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One exercise's record in a session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    pub passed: bool,
    /// Times the learner asked for a check.
    pub attempts: u32,
    /// How many hints have been revealed (they are revealed in order).
    pub hints_used: usize,
    pub solution_viewed: bool,
}

/// The exercise currently set up in the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    pub exercise: String,
    /// Length of the shell's history when the exercise started: later lines are the learner's
    /// work on it.
    pub history_start: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub exercises: BTreeMap<String, ExerciseProgress>,
    pub active: Option<Active>,
}

impl Progress {
    pub fn started(&mut self, exercise: &str, history_len: usize) {
        self.exercises.entry(exercise.to_string()).or_default();
        self.active = Some(Active {
            exercise: exercise.to_string(),
            history_start: history_len,
        });
    }

    /// Records a check; a pass is kept even if a later check fails (the learner did it once).
    pub fn checked(&mut self, exercise: &str, passed: bool) {
        let e = self.exercises.entry(exercise.to_string()).or_default();
        e.attempts += 1;
        e.passed |= passed;
    }

    /// Reveals the next hint; returns how many are revealed now (at most `available`).
    pub fn reveal_hint(&mut self, exercise: &str, available: usize) -> usize {
        let e = self.exercises.entry(exercise.to_string()).or_default();
        e.hints_used = (e.hints_used + 1).min(available);
        e.hints_used
    }

    pub fn hints_used(&self, exercise: &str) -> usize {
        self.exercises.get(exercise).map_or(0, |e| e.hints_used)
    }

    pub fn viewed_solution(&mut self, exercise: &str) {
        self.exercises
            .entry(exercise.to_string())
            .or_default()
            .solution_viewed = true;
    }

    /// The lines typed for this exercise: since it started if it is the active one, otherwise
    /// the whole history (an exercise may be checked without being started, e.g. a quiz).
    pub fn commands_for<'h>(&self, exercise: &str, history: &'h [String]) -> &'h [String] {
        match &self.active {
            Some(a) if a.exercise == exercise => history.get(a.history_start..).unwrap_or(&[]),
            _ => history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_attempts_passes_and_hints() {
        let mut p = Progress::default();
        p.started("scale", 2);
        p.checked("scale", false);
        p.checked("scale", true);
        p.checked("scale", false);
        assert_eq!(
            p.exercises["scale"],
            ExerciseProgress {
                passed: true,
                attempts: 3,
                hints_used: 0,
                solution_viewed: false
            }
        );
        assert_eq!(p.reveal_hint("scale", 2), 1);
        assert_eq!(p.reveal_hint("scale", 2), 2);
        assert_eq!(p.reveal_hint("scale", 2), 2);
        p.viewed_solution("scale");
        assert!(p.exercises["scale"].solution_viewed);
    }

    #[test]
    fn commands_are_those_since_the_exercise_started() {
        let mut p = Progress::default();
        let history: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        p.started("x", 2);
        assert_eq!(p.commands_for("x", &history), ["c"]);
        assert_eq!(p.commands_for("y", &history).len(), 3);
    }
}
