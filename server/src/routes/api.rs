//! `/healthz` and the session API: create, shell, workspace files.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::sessions::Session;
use crate::AppState;

/// The cookie that carries a browser's session token.
pub const SESSION_COOKIE: &str = "wheelhouse_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/sessions", post(create_session))
        .route("/api/sessions/{id}/shell", post(shell_line))
        .route(
            "/api/sessions/{id}/files/{*path}",
            get(get_file).put(put_file),
        )
}

/// An API error as JSON `{"error": "..."}`.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

/// The `Set-Cookie` value that binds a browser to a session: HttpOnly (scripts never see the token),
/// SameSite=Lax (no cross-site POSTs carry it).
pub fn session_cookie(session: &Session) -> String {
    format!(
        "{SESSION_COOKIE}={}.{}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000",
        session.id, session.token
    )
}

async fn create_session(State(state): State<AppState>) -> Response {
    let session = state.sessions.create();
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, session_cookie(&session))],
        Json(json!({"id": session.id, "token": session.token})),
    )
        .into_response()
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The token a request presents: `Authorization: Bearer <token>` or the session cookie.
pub fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = auth.strip_prefix("Bearer ") {
            return Some(t.trim().to_string());
        }
    }
    let cookies = headers.get_all(header::COOKIE);
    for value in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in value.split(';') {
            if let Some(v) = pair.trim().strip_prefix(&format!("{SESSION_COOKIE}=")) {
                return Some(v.split_once('.').map_or(v, |(_, t)| t).to_string());
            }
        }
    }
    None
}

/// Resolves `{id}` and checks that the request holds that session's token.
pub fn authorize(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<Arc<Session>, ApiError> {
    let session = state
        .sessions
        .get(id)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no such session".into()))?;
    match presented_token(headers) {
        Some(t) if same_secret(&t, &session.token) => Ok(session),
        _ => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "this session's token is required".into(),
        )),
    }
}

#[derive(Deserialize)]
struct ShellRequest {
    line: String,
}

async fn shell_line(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(req): Json<ShellRequest>,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let (status, out) = match crate::sessions::shell_line_to_end(&session, &req.line).await {
        Ok(out) => (StatusCode::OK, out),
        // The line failed inside the simulation: the terminal's message, as a server error.
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            shell::Output {
                stdout: String::new(),
                stderr: crate::sessions::Panicked::TERMINAL_MESSAGE.to_string(),
                exit_code: 1,
            },
        ),
    };
    Ok((
        status,
        Json(json!({"stdout": out.stdout, "stderr": out.stderr, "exit_code": out.exit_code})),
    )
        .into_response())
}

/// Longest file the workspace accepts (the editor's files are manifests, not data sets).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

async fn get_file(
    State(state): State<AppState>,
    Path((id, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let st = session.lock();
    match st.files.get(&path) {
        Some(text) => Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text.clone(),
        )
            .into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{path}: no such file"),
        )),
    }
}

async fn put_file(
    State(state): State<AppState>,
    Path((id, path)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    if !valid_path(&path) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("{path}: invalid file name"),
        ));
    }
    if body.len() > MAX_FILE_BYTES {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{path}: file larger than 1 MiB"),
        ));
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{path}: not UTF-8 text")))?;
    session.lock().files.insert(path, text);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_stay_inside_the_workspace() {
        assert!(valid_path("pod.yaml"));
        assert!(valid_path("k8s/web.yaml"));
        for bad in ["", "/etc/passwd", "../x", "a/../../b", "a//b", "./x"] {
            assert!(!valid_path(bad), "{bad}");
        }
    }

    #[test]
    fn token_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=b; wheelhouse_session=abc.tok123".parse().unwrap(),
        );
        assert_eq!(presented_token(&h).as_deref(), Some("tok123"));
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(presented_token(&h).as_deref(), Some("xyz"));
        assert!(
            same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("ab", "abc")
        );
    }
}
