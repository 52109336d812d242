//! `GET /api/lessons/rendered`: the course's markdown rendered for the lesson pane, so the browser
//! needs no markdown parser: `{"lessons": {"<lesson id>": {"segments": [...], "tasks":
//! {"<exercise id>": "<html>"}}}}`. Segments are prose HTML and code blocks (`app::markdown`),
//! which the pane turns into "run" and "load" buttons. The course does not change while the
//! server runs, so the answer is rendered once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use app::markdown::{self, Segment};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::routes::lessons::course;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/lessons/rendered", get(rendered))
}

#[derive(Serialize)]
pub struct RenderedLesson {
    pub segments: Vec<Segment>,
    pub tasks: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct RenderedCourse {
    pub lessons: BTreeMap<String, RenderedLesson>,
}

pub fn render(course: &course::model::Course) -> RenderedCourse {
    RenderedCourse {
        lessons: course
            .lessons
            .iter()
            .map(|l| {
                let tasks = l
                    .exercises
                    .iter()
                    .map(|e| (e.id.clone(), markdown::to_html(&e.task)))
                    .collect();
                let segments = markdown::segments(&l.markdown);
                (l.id.clone(), RenderedLesson { segments, tasks })
            })
            .collect(),
    }
}

async fn rendered() -> Json<&'static RenderedCourse> {
    static RENDERED: OnceLock<RenderedCourse> = OnceLock::new();
    Json(RENDERED.get_or_init(|| render(course())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_is_rendered_with_its_runnable_blocks() {
        let course = course();
        let rendered = render(course);
        assert_eq!(rendered.lessons.len(), course.lessons.len());
        let blocks = rendered
            .lessons
            .values()
            .flat_map(|l| &l.segments)
            .filter(|s| matches!(s, Segment::Code { .. }))
            .count();
        assert!(blocks > 0, "the course has code blocks to run or load");
        for l in &course.lessons {
            for e in &l.exercises {
                assert!(rendered.lessons[&l.id].tasks.contains_key(&e.id));
            }
        }
    }
}
