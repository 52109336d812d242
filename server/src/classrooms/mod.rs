//! Instructor-run classes: join codes, rosters, and the live dashboard's data.
//!
//! A classroom is a row in the database with a roster of learner sessions. Everything the
//! dashboard shows is computed from stored data — each learner's progress (kept with their
//! session) and the log of graded checks (recorded as the check endpoint answers) — so any
//! replica can serve any dashboard, and a restart changes nothing.

pub mod dashboard;

use serde::Deserialize;

use crate::db::ClassroomRow;

/// Largest class a classroom accepts unless the instructor asks for another limit.
pub const DEFAULT_SIZE_LIMIT: i64 = 100;
/// Largest limit an instructor may set.
pub const MAX_SIZE_LIMIT: i64 = 500;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 40;

/// Join codes are read aloud and typed from a projector: no 0/O, 1/I/L, and upper case only.
const JOIN_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const JOIN_CODE_LEN: usize = 6;

/// Live dashboards: a change to any learner of a class wakes its open dashboards (they also
/// re-read on a timer, which covers changes made on other replicas).
#[derive(Default)]
pub struct Classrooms {
    changed: tokio::sync::Notify,
}

impl Classrooms {
    /// Something a dashboard may show changed.
    pub fn notify(&self) {
        self.changed.notify_waiters();
    }

    pub async fn changed(&self) {
        self.changed.notified().await
    }
}

/// A new join code from the operating system's random source.
pub fn new_join_code() -> String {
    let mut buf = [0u8; JOIN_CODE_LEN];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    buf.iter()
        .map(|b| JOIN_CODE_ALPHABET[*b as usize % JOIN_CODE_ALPHABET.len()] as char)
        .collect()
}

/// A join code as typed: case and spaces do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A display name as given, trimmed; `None` if it is empty, too long or has control characters.
pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control))
    .then(|| name.to_string())
}

/// What the instructor last pushed to the class.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
pub struct Pushed {
    pub exercise: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// The public (learner-visible) description of a class.
pub fn public_view(c: &ClassroomRow) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "title": c.title,
        "lessons": lessons_of(c),
        "locked": c.locked,
        "ended": c.ended,
        "pushed": c.pushed.as_deref().and_then(|p| serde_json::from_str::<Pushed>(p).ok()),
    })
}

pub fn lessons_of(c: &ClassroomRow) -> Vec<String> {
    serde_json::from_str(&c.lessons).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_unambiguous_and_forgiving() {
        for _ in 0..100 {
            let code = new_join_code();
            assert_eq!(code.len(), JOIN_CODE_LEN);
            assert!(code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)));
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        }
        assert_eq!(normalise_code(" abc-d2f "), "ABCD2F");
    }

    #[test]
    fn display_names() {
        assert_eq!(
            valid_name("  Ada Lovelace ").as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(valid_name("   "), None);
        assert_eq!(valid_name("a\u{7}b"), None);
        assert_eq!(valid_name(&"x".repeat(41)), None);
        assert!(valid_name(&"é".repeat(40)).is_some());
    }
}
