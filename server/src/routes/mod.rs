//! HTTP routes of the public contract (see README and DESIGN).

pub mod api;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    api::router().with_state(state)
}
