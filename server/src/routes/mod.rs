//! HTTP routes of the public contract (see README and DESIGN).

pub mod api;
pub mod classrooms;
pub mod clock;
pub mod events;
pub mod k8s;
pub mod kubeconfig;
pub mod lesson_html;
pub mod lessons;
pub mod terminal;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    api::router()
        .merge(k8s::router())
        .merge(kubeconfig::router())
        .merge(lessons::router())
        .merge(lesson_html::router())
        .merge(events::router())
        .merge(clock::router())
        .merge(classrooms::router())
        .merge(terminal::router())
        .with_state(state)
}
