//! `lessons check` over the real course in `lessons/`: every lesson loads, every exercise's
//! solutions pass, the no-op and the known-wrong attempts fail as expected, or the exercise is
//! marked pending with the runtime feature it waits for.

use std::path::PathBuf;

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

#[test]
fn the_course_loads_without_problems() {
    let (course, problems) = course::loader::load(&lessons_dir());
    let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(listed.is_empty(), "{}", listed.join("\n"));
    assert!(
        course.lessons.len() >= 17,
        "{} lessons",
        course.lessons.len()
    );
    for lesson in &course.lessons {
        assert!(
            !lesson.exercises.is_empty(),
            "{} has no exercise",
            lesson.id
        );
    }
}

#[test]
fn lessons_check_passes() {
    let report = course::verify::check_dir(&lessons_dir());
    let text = report.render();
    println!("{text}");
    assert!(report.success(), "{text}");
}
