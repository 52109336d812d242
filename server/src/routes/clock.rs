//! `POST /api/sessions/{id}/clock` `{"advance_seconds": N}`: fast-forward a session's simulated time.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{authorize, ApiError};
use crate::AppState;

/// The longest single fast-forward: a day covers every back-off, probe and CronJob schedule a
/// lesson needs, and bounds the work one request can ask of the simulation.
pub const MAX_ADVANCE_SECONDS: u64 = 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/clock", post(advance).get(read))
}

#[derive(Deserialize)]
struct Advance {
    advance_seconds: u64,
}

async fn advance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(req): Json<Advance>,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    if req.advance_seconds > MAX_ADVANCE_SECONDS {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("advance_seconds must be at most {MAX_ADVANCE_SECONDS}"),
        ));
    }
    let now = {
        let mut st = session.lock();
        session.fast_forward(&mut st, req.advance_seconds);
        st.cluster.now()
    };
    session.changed.notify_waiters();
    Ok(Json(json!({"now": now.to_string()})))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let mut st = session.lock();
    session.catch_up(&mut st);
    Ok(Json(json!({"now": st.cluster.now().to_string()})))
}
