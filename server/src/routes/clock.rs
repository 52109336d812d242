//! A session's simulated clock:
//!
//! - `GET /api/sessions/{id}/clock` → `{"now": RFC 3339, "paused": bool}`.
//! - `POST /api/sessions/{id}/clock` `{"advance_seconds": N}` fast-forwards simulated time and lets
//!   the controllers settle; `{"paused": true|false}` pauses or resumes it (both may be given:
//!   the pause or resume applies first). Answers like `GET`.
//!
//! A paused clock stands still instead of following wall time, so a learner can look at a
//! CrashLoopBackOff or a rolling update for as long as they like, then step through it with
//! fast-forwards. The pause is part of the session's snapshot.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{authorize, ApiError};
use crate::sessions::SessionState;
use crate::AppState;

/// The longest single fast-forward: a day covers every back-off, probe and CronJob schedule a
/// lesson needs, and bounds the work one request can ask of the simulation.
pub const MAX_ADVANCE_SECONDS: u64 = 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/clock", post(change).get(read))
}

#[derive(Deserialize)]
struct ClockChange {
    #[serde(default)]
    advance_seconds: Option<u64>,
    #[serde(default)]
    paused: Option<bool>,
}

fn answer(st: &SessionState) -> Json<Value> {
    Json(json!({"now": st.cluster.now().to_string(), "paused": st.clock_paused}))
}

async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(req): Json<ClockChange>,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    if req.advance_seconds.is_none() && req.paused.is_none() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give advance_seconds, paused, or both".into(),
        ));
    }
    let seconds = req.advance_seconds.unwrap_or(0);
    if seconds > MAX_ADVANCE_SECONDS {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("advance_seconds must be at most {MAX_ADVANCE_SECONDS}"),
        ));
    }
    let reply = {
        let mut st = session.lock();
        match req.paused {
            Some(true) => session.pause_clock(&mut st),
            Some(false) => session.resume_clock(&mut st),
            None => {}
        }
        if seconds > 0 {
            session.fast_forward(&mut st, seconds);
        }
        answer(&st)
    };
    session.changed.notify_waiters();
    Ok(reply)
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let mut st = session.lock();
    session.catch_up(&mut st);
    Ok(answer(&st))
}
