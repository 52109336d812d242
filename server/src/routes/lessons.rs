//! The course and its exercises over HTTP.
//!
//! - `GET /api/lessons`: the course (lessons, their markdown, exercises without answers).
//! - `POST /api/sessions/{id}/exercises/{exercise}/start`: replaces the session's cluster with the
//!   exercise's starting cluster and writes its files into the workspace.
//! - `POST /api/sessions/{id}/exercises/{exercise}/check` (body optional:
//!   `{"answers": {"question-id": "..."}}`): `{"passed", "checks": [{"name", "passed", "message"}]}`.
//! - `POST .../hint` reveals the next hint; `GET .../hints` lists those revealed so far.
//! - `GET .../solution`: the reference solutions (recorded as viewed).
//! - `GET /api/sessions/{id}/progress`: passed exercises, attempts, hints used, commands run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use course::check::Evidence;
use course::model::{Course, Exercise};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{authorize, ApiError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lessons", get(lessons))
        .route("/api/sessions/{id}/progress", get(progress))
        .route("/api/sessions/{id}/exercises/{exercise}/start", post(start))
        .route("/api/sessions/{id}/exercises/{exercise}/check", post(check))
        .route("/api/sessions/{id}/exercises/{exercise}/hint", post(hint))
        .route("/api/sessions/{id}/exercises/{exercise}/hints", get(hints))
        .route(
            "/api/sessions/{id}/exercises/{exercise}/solution",
            get(solution),
        )
}

/// Where the course is read from: `$WHEELHOUSE_LESSONS`, else `./lessons`, else the repository's.
pub fn lessons_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WHEELHOUSE_LESSONS") {
        return PathBuf::from(dir);
    }
    let here = PathBuf::from("lessons");
    if here.join("README.md").is_file() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}

/// The course, loaded once. Lessons with problems are left out and the problems logged (the
/// `lessons check` command is where authors see them in full).
pub fn course() -> &'static Course {
    static COURSE: OnceLock<Course> = OnceLock::new();
    COURSE.get_or_init(|| {
        let dir = lessons_dir();
        let (course, problems) = course::loader::load(&dir);
        for p in &problems {
            tracing::warn!("lessons: {p}");
        }
        course
    })
}

fn exercise(id: &str) -> Result<&'static Exercise, ApiError> {
    course()
        .exercise(id)
        .map(|(_, e)| e)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no exercise {id:?}")))
}

/// An exercise as the lesson pane sees it: everything but hints' text, solutions, wrong attempts
/// and quiz answers.
fn public_exercise(e: &Exercise) -> Value {
    let questions: Vec<Value> = e
        .checks
        .iter()
        .flat_map(|c| c.questions())
        .map(|q| json!({"id": q.id, "question": q.question, "choices": q.choices}))
        .collect();
    json!({
        "id": e.id,
        "title": e.title,
        "kind": e.kind,
        "task": e.task,
        "hints": e.hints.len(),
        "questions": questions,
        "checks": e.checks.iter().map(|c| c.name.clone().unwrap_or_else(|| c.check.describe())).collect::<Vec<_>>(),
        "pending": e.pending,
    })
}

async fn lessons() -> Json<Value> {
    let lessons: Vec<Value> = course()
        .lessons
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "title": l.meta.title,
                "summary": l.meta.summary,
                "next_steps": l.meta.next_steps,
                "markdown": l.markdown,
                "exercises": l.exercises.iter().map(public_exercise).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "lessons": lessons }))
}

async fn progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let st = session.lock();
    Ok(Json(json!({
        "exercises": st.progress.exercises,
        "active": st.progress.active.as_ref().map(|a| &a.exercise),
        "commands_run": st.shell.history.len(),
    })))
}

async fn start(
    State(state): State<AppState>,
    Path((id, exercise_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let ex = exercise(&exercise_id)?;
    {
        let mut guard = session.lock();
        let st = &mut *guard;
        // The exercise's cluster continues the session's clock; its seed is the grader's, so a
        // learner sees the same names the reference solution was checked with.
        let config = cluster::ClusterConfig {
            start: st.cluster.now(),
            ..course::grader::exercise_config()
        };
        let ws = course::grader::start(ex, &config).map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("exercise {exercise_id} could not be set up: {e}"),
            )
        })?;
        st.cluster = ws.cluster;
        for (path, text) in ws.files {
            st.files.insert(path, text);
        }
        // The exercise's kubectl context and laptop (Docker images, logins) replace the
        // learner's; their history, variables and aliases stay.
        st.shell.kubeconfig = ws.shell.kubeconfig;
        st.shell.laptop = ws.shell.laptop;
        let history_len = st.shell.history.len();
        st.progress.started(&ex.id, history_len);
    }
    session.changed.notify_waiters();
    Ok((
        StatusCode::OK,
        Json(json!({
            "exercise": ex.id,
            "task": ex.task,
            "files": ex.setup.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        })),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct CheckRequest {
    #[serde(default)]
    answers: BTreeMap<String, String>,
}

async fn check(
    State(state): State<AppState>,
    Path((id, exercise_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<course::Grade>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let ex = exercise(&exercise_id)?;
    let req: CheckRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CheckRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("invalid request: {e}")))?
    };
    let mut guard = session.lock();
    let st = &mut *guard;
    let grade = course::grader::grade(
        ex,
        &Evidence {
            cluster: &st.cluster,
            files: &st.files,
            commands: st.progress.commands_for(&ex.id, &st.shell.history),
            answers: &req.answers,
        },
    );
    st.progress.checked(&ex.id, grade.passed);
    Ok(Json(grade))
}

async fn hint(
    State(state): State<AppState>,
    Path((id, exercise_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let ex = exercise(&exercise_id)?;
    let mut st = session.lock();
    let n = st.progress.reveal_hint(&ex.id, ex.hints.len());
    Ok(Json(revealed(ex, n)))
}

async fn hints(
    State(state): State<AppState>,
    Path((id, exercise_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let ex = exercise(&exercise_id)?;
    let n = session.lock().progress.hints_used(&ex.id);
    Ok(Json(revealed(ex, n)))
}

fn revealed(ex: &Exercise, n: usize) -> Value {
    json!({"hints": &ex.hints[..n.min(ex.hints.len())], "remaining": ex.hints.len().saturating_sub(n)})
}

async fn solution(
    State(state): State<AppState>,
    Path((id, exercise_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let ex = exercise(&exercise_id)?;
    session.lock().progress.viewed_solution(&ex.id);
    Ok(Json(json!({ "solutions": ex.solutions })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn app() -> (Router, AppState) {
        let state = AppState::new(crate::Config::default());
        (crate::app(state.clone()), state)
    }

    #[tokio::test]
    async fn the_course_is_served_without_answers() {
        let (app, _) = app();
        let (status, body) = call(&app, "GET", "/api/lessons", None, "").await;
        assert_eq!(status, StatusCode::OK);
        let lessons = body["lessons"].as_array().unwrap();
        assert!(lessons.len() >= 17);
        let text = body.to_string();
        assert!(!text.contains("\"solutions\""));
        assert!(!text.contains("\"accept\""));
        assert!(!text.contains("\"answer\""));
    }

    #[tokio::test]
    async fn a_quiz_is_checked_and_progress_recorded() {
        let (app, state) = app();
        let s = state.sessions.create();
        let (id, tok) = (s.id.clone(), s.token.clone());
        let base = format!("/api/sessions/{id}/exercises/architecture-quiz");
        let (status, _) = call(&app, "POST", &format!("{base}/check"), None, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, g) = call(
            &app,
            "POST",
            &format!("{base}/check"),
            Some(&tok),
            r#"{"answers":{"state":"kubelet"}}"#,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(g["passed"], false);
        assert_eq!(g["checks"][0]["passed"], false);
        assert!(g["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("“kubelet” is not the answer"));
        let answers = r#"{"answers":{"state":"etcd","placement":"kube-scheduler","agent":"kubelet","front-door":"kube-apiserver","docker-vs-k8s":"an orchestrator","healing":"a controller"}}"#;
        let (_, g) = call(&app, "POST", &format!("{base}/check"), Some(&tok), answers).await;
        assert_eq!(g["passed"], true, "{g}");
        let (_, h) = call(&app, "POST", &format!("{base}/hint"), Some(&tok), "").await;
        assert_eq!(h["hints"].as_array().unwrap().len(), 1);
        assert_eq!(h["remaining"], 1);
        let (_, p) = call(
            &app,
            "GET",
            &format!("/api/sessions/{id}/progress"),
            Some(&tok),
            "",
        )
        .await;
        let e = &p["exercises"]["architecture-quiz"];
        assert_eq!(
            (
                e["passed"].clone(),
                e["attempts"].clone(),
                e["hints_used"].clone()
            ),
            (json!(true), json!(2), json!(1))
        );
        let (status, _) = call(
            &app,
            "POST",
            &format!("/api/sessions/{id}/exercises/nope/check"),
            Some(&tok),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn start_sets_the_exercise_up_and_ran_checks_see_only_later_lines() {
        let (app, state) = app();
        let s = state.sessions.create();
        let (id, tok) = (s.id.clone(), s.token.clone());
        // Typed before the exercise started: does not count.
        crate::sessions::run_shell_line(&s, "kubectl get nodes -o wide");
        let base = format!("/api/sessions/{id}/exercises/explore-cluster");
        let (status, body) = call(&app, "POST", &format!("{base}/start"), Some(&tok), "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, g) = call(&app, "POST", &format!("{base}/check"), Some(&tok), "").await;
        assert_eq!(
            g["checks"][0]["message"],
            "You haven't used `kubectl get nodes` yet."
        );
        crate::sessions::run_shell_line(&s, "kubectl get nodes");
        let (_, g) = call(&app, "POST", &format!("{base}/check"), Some(&tok), "").await;
        assert_eq!(g["checks"][0]["passed"], true);
        let (_, sol) = call(&app, "GET", &format!("{base}/solution"), Some(&tok), "").await;
        assert_eq!(sol["solutions"][0]["commands"][0], "kubectl get nodes");
    }
}
