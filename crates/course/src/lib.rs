//! Lessons, exercises and the grader.
//!
//! The course lives in `lessons/` as markdown and YAML ([`model`], read by [`loader`]). Exercises
//! are graded by declarative [`check`]s over a session's cluster, files, typed commands and quiz
//! answers; [`grader`] sets exercises up and plays attempts through the real shell; [`verify`] is
//! `wheelhouse lessons check`. [`progress`] is what a session remembers of its learner's work.

pub mod check;
pub mod grader;
pub mod loader;
pub mod model;
pub mod path;
pub mod progress;
pub mod verify;

pub use check::{CheckResult, CheckSpec, Evidence};
pub use grader::{Grade, Workspace};
pub use model::{Course, Exercise, Lesson};
pub use progress::Progress;

/// The YAML documents of a (multi-document) text as JSON values, empty documents left out.
pub fn yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let v = serde_json::Value::deserialize(doc).map_err(|e| e.to_string())?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    Ok(docs)
}
