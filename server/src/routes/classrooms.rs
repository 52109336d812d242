//! Classrooms over HTTP: create, join, the instructor's dashboard (JSON, live SSE, CSV) and
//! actions (lock, end, rotate the join code, push an exercise, reset or inspect a learner,
//! presenter session).
//!
//! Instructor routes need the classroom's instructor token (`Authorization: Bearer <token>`, or
//! `?token=` for the browser's EventSource and links), compared in constant time. Learners only
//! ever get their own session's token.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;

use crate::classrooms::dashboard::{self, Dashboard};
use crate::classrooms::{self as class, Pushed};
use crate::db::{unix_now, ClassroomRow, Db};
use crate::persistence::{Persistence, RestoreError};
use crate::routes::api::{authorize, same_secret, session_cookie, ApiError};
use crate::sessions::{Session, SessionState};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/join", get(|| async { page(JOIN_PAGE) }))
        .route("/classrooms/{id}", get(|| async { page(DASHBOARD_PAGE) }))
        .route("/api/classrooms", post(create))
        .route("/api/classrooms/join", post(join))
        .route("/api/sessions/{id}/classroom", get(my_classroom))
        .route("/api/classrooms/{id}", get(details))
        .route("/api/classrooms/{id}/progress", get(progress))
        .route("/api/classrooms/{id}/events", get(events))
        .route("/api/classrooms/{id}/export.csv", get(export_csv))
        .route("/api/classrooms/{id}/lock", post(lock))
        .route("/api/classrooms/{id}/end", post(end))
        .route("/api/classrooms/{id}/join-code", post(rotate_join_code))
        .route("/api/classrooms/{id}/push", post(push))
        .route("/api/classrooms/{id}/presenter", post(presenter))
        .route("/api/classrooms/{id}/learners/{session}", get(view_learner))
        .route(
            "/api/classrooms/{id}/learners/{session}/shell",
            post(learner_shell),
        )
        .route(
            "/api/classrooms/{id}/learners/{session}/reset",
            post(reset_learner),
        )
}

/// The instructor dashboard: a self-contained page (the instructor token stays in the URL's
/// fragment, which browsers never send, and in the tab's sessionStorage).
const DASHBOARD_PAGE: &str = include_str!("../classrooms/dashboard.html");
/// The learners' join form (`/join?code=...` is the join link).
const JOIN_PAGE: &str = include_str!("../classrooms/join.html");

fn page(html: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

fn persistence(state: &AppState) -> Result<&Arc<Persistence>, ApiError> {
    state.persistence.as_ref().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "classrooms need the database (start the server with `wheelhouse serve`)".into(),
        )
    })
}

fn db_error(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("classroom storage: {e}");
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "classroom storage is unavailable".into(),
    )
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    token: Option<String>,
}

/// The classroom `{id}`, if the request holds its instructor token.
async fn instructor(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    query: &TokenQuery,
) -> Result<ClassroomRow, ApiError> {
    let db = &persistence(state)?.db;
    let classroom = db
        .classroom(id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no such classroom".into()))?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer.or(query.token.as_deref()) {
        Some(t) if same_secret(t, &classroom.instructor_token) => Ok(classroom),
        _ => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "this classroom's instructor token is required".into(),
        )),
    }
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    lessons: Vec<String>,
    #[serde(default)]
    size_limit: Option<i64>,
}

async fn create(
    State(state): State<AppState>,
    body: Option<Json<CreateRequest>>,
) -> Result<Response, ApiError> {
    let db = &persistence(&state)?.db;
    let req = body.map(|b| b.0).unwrap_or(CreateRequest {
        title: None,
        lessons: Vec::new(),
        size_limit: None,
    });
    let title = req.title.unwrap_or_default().trim().to_string();
    let title = if title.is_empty() {
        "Kubernetes class".to_string()
    } else if title.chars().count() > 120 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "title: at most 120 characters".into(),
        ));
    } else {
        title
    };
    let size_limit = req.size_limit.unwrap_or(class::DEFAULT_SIZE_LIMIT);
    if !(1..=class::MAX_SIZE_LIMIT).contains(&size_limit) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "size_limit: must be between 1 and {}",
                class::MAX_SIZE_LIMIT
            ),
        ));
    }
    let mut row = ClassroomRow {
        id: crate::sessions::random_hex(8),
        title,
        lessons: serde_json::to_string(&req.lessons).expect("strings serialise"),
        join_code: String::new(),
        instructor_token: crate::sessions::random_hex(24),
        size_limit,
        created_at: unix_now(),
        ..Default::default()
    };
    // A new code collides with a live one only by bad luck; try a few.
    let mut last_err = None;
    for _ in 0..5 {
        row.join_code = class::new_join_code();
        match db.insert_classroom(&row).await {
            Ok(()) => {
                last_err = None;
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    if let Some(e) = last_err {
        return Err(db_error(e));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": row.id,
            "join_code": row.join_code,
            "instructor_token": row.instructor_token,
            "title": row.title,
            "size_limit": row.size_limit,
            "join_url": format!("/join?code={}", row.join_code),
            "instructor_url": format!("/classrooms/{}#token={}", row.id, row.instructor_token),
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct JoinRequest {
    code: String,
    name: String,
}

async fn join(
    State(state): State<AppState>,
    Json(req): Json<JoinRequest>,
) -> Result<Response, ApiError> {
    let db = &persistence(&state)?.db;
    let name = class::valid_name(&req.name).ok_or_else(|| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "name: give a display name of 1 to {} characters",
                class::MAX_NAME_CHARS
            ),
        )
    })?;
    let classroom = db
        .classroom_by_code(&class::normalise_code(&req.code))
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no class has this join code".into()))?;
    if classroom.ended {
        return Err(ApiError(StatusCode::GONE, "this class has ended".into()));
    }
    if classroom.locked {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "this class is locked: ask the instructor to open it".into(),
        ));
    }
    let session = state.sessions.create();
    if !db
        .join_roster(&classroom.id, &session.id, &name, classroom.size_limit)
        .await
        .map_err(db_error)?
    {
        state.sessions.remove(&session.id);
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("this class is full ({} learners)", classroom.size_limit),
        ));
    }
    state.classrooms.notify();
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, session_cookie(&session))],
        Json(json!({
            "id": session.id,
            "token": session.token,
            "name": name,
            "classroom": class::public_view(&classroom),
        })),
    )
        .into_response())
}

/// A learner's view of their class (title, lessons, what the instructor pushed).
async fn my_classroom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &id, &headers)?;
    let db = &persistence(&state)?.db;
    let Some(class_id) = db.classroom_of(&id).await.map_err(db_error)? else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            "this session is not in a class".into(),
        ));
    };
    let classroom = db
        .classroom(&class_id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no such classroom".into()))?;
    Ok(Json(class::public_view(&classroom)).into_response())
}

/// Settings and links, for the instructor.
fn instructor_view(c: &ClassroomRow, learners: usize) -> serde_json::Value {
    let mut v = class::public_view(c);
    let o = v.as_object_mut().expect("an object");
    o.insert("join_code".into(), json!(c.join_code));
    o.insert("size_limit".into(), json!(c.size_limit));
    o.insert("learners".into(), json!(learners));
    o.insert("presenter_session".into(), json!(c.presenter_session));
    o.insert(
        "join_url".into(),
        json!(format!("/join?code={}", c.join_code)),
    );
    v
}

async fn details(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    let n = persistence(&state)?
        .db
        .roster(&id)
        .await
        .map_err(db_error)?
        .len();
    Ok(Json(instructor_view(&c, n)).into_response())
}

/// The exercises of a class's lessons (all of the course's when it names none), in course
/// order. The dashboard adds any other exercise a learner works on after these.
fn class_exercises(classroom: &ClassroomRow) -> Vec<String> {
    let chosen = class::lessons_of(classroom);
    crate::routes::lessons::course()
        .lessons
        .iter()
        .filter(|l| chosen.is_empty() || chosen.contains(&l.id))
        .flat_map(|l| l.exercises.iter().map(|e| e.id.clone()))
        .collect()
}

/// The dashboard of a class, from this replica's memory where a learner's session is here and
/// from the database otherwise.
async fn build_dashboard(state: &AppState, c: &ClassroomRow) -> Result<Dashboard, ApiError> {
    let p = persistence(state)?;
    let roster = p.db.roster(&c.id).await.map_err(db_error)?;
    let mut progress = HashMap::new();
    for entry in &roster {
        let here = state
            .sessions
            .get(&entry.session_id)
            .map(|s| s.lock().progress.clone());
        let record = match here {
            Some(record) => Some(record),
            None => {
                p.db.session_progress(&entry.session_id)
                    .await
                    .map_err(db_error)?
                    .and_then(|text| serde_json::from_str(&text).ok())
            }
        };
        if let Some(record) = record {
            progress.insert(entry.session_id.clone(), record);
        }
    }
    let checks = p.db.classroom_checks(&c.id).await.map_err(db_error)?;
    Ok(dashboard::build(
        &class_exercises(c),
        &roster,
        &progress,
        &checks,
    ))
}

async fn dashboard_json(state: &AppState, c: &ClassroomRow) -> Result<serde_json::Value, ApiError> {
    let d = build_dashboard(state, c).await?;
    let mut v = serde_json::to_value(&d).expect("the dashboard serialises");
    v.as_object_mut()
        .expect("an object")
        .insert("classroom".into(), instructor_view(c, d.learners.len()));
    Ok(v)
}

async fn progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    Ok(Json(dashboard_json(&state, &c).await?).into_response())
}

/// How often a live dashboard re-reads when nothing local woke it (changes on other replicas).
const DASHBOARD_POLL: Duration = Duration::from_secs(2);

/// The dashboard, live: a `progress` event with the whole dashboard whenever it changes.
async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    instructor(&state, &id, &headers, &q).await?;
    let stream = futures_util::stream::unfold(
        (state, id, None::<String>, true),
        |(state, id, last, first)| async move {
            loop {
                if !first || last.is_some() {
                    tokio::select! {
                        _ = state.classrooms.changed() => {}
                        _ = tokio::time::sleep(DASHBOARD_POLL) => {}
                    }
                }
                // The classroom is re-read each time: settings change too.
                let c = match persistence(&state) {
                    Ok(p) => p.db.classroom(&id).await.ok().flatten(),
                    Err(_) => None,
                };
                let Some(c) = c else { return None };
                let Ok(v) = dashboard_json(&state, &c).await else {
                    continue;
                };
                let text = v.to_string();
                if last.as_deref() != Some(text.as_str()) {
                    let event = Event::default().event("progress").data(&text);
                    return Some((Ok::<_, Infallible>(event), (state, id, Some(text), false)));
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn export_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    let d = build_dashboard(&state, &c).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"class-{}.csv\"", c.id),
            ),
        ],
        dashboard::to_csv(&d),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LockRequest {
    locked: bool,
}

/// Locks (no one new may join) or unlocks a class.
async fn lock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    Json(req): Json<LockRequest>,
) -> Result<Response, ApiError> {
    let mut c = instructor(&state, &id, &headers, &q).await?;
    c.locked = req.locked;
    save(&state, &c).await
}

/// Ends a class: no one may join any more; learners keep their sessions.
async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut c = instructor(&state, &id, &headers, &q).await?;
    c.ended = true;
    c.locked = true;
    save(&state, &c).await
}

/// A new join code; the old one stops working (e.g. after it was shared beyond the class).
async fn rotate_join_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut c = instructor(&state, &id, &headers, &q).await?;
    let db = &persistence(&state)?.db;
    let mut last_err = None;
    for _ in 0..5 {
        c.join_code = class::new_join_code();
        match db.update_classroom(&c).await {
            Ok(()) => {
                last_err = None;
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    if let Some(e) = last_err {
        return Err(db_error(e));
    }
    state.classrooms.notify();
    Ok(Json(instructor_view(&c, 0)).into_response())
}

async fn save(state: &AppState, c: &ClassroomRow) -> Result<Response, ApiError> {
    let db = &persistence(state)?.db;
    db.update_classroom(c).await.map_err(db_error)?;
    state.classrooms.notify();
    let n = db.roster(&c.id).await.map_err(db_error)?.len();
    Ok(Json(instructor_view(c, n)).into_response())
}

/// A roster session, loaded into memory (restored from its snapshot if needed).
async fn learner(
    state: &AppState,
    c: &ClassroomRow,
    session: &str,
) -> Result<Arc<Session>, ApiError> {
    let p = persistence(state)?;
    let roster = p.db.roster(&c.id).await.map_err(db_error)?;
    if !roster.iter().any(|e| e.session_id == session) {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            "no such learner in this class".into(),
        ));
    }
    match p.restore(&state.sessions, session).await {
        Ok(s) => Ok(s),
        Err(RestoreError::Missing) => Err(ApiError(
            StatusCode::NOT_FOUND,
            "the learner's session is gone".into(),
        )),
        Err(e @ RestoreError::Busy { .. }) => {
            Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
        }
        Err(RestoreError::Db(e)) => Err(db_error(e)),
    }
}

#[derive(Deserialize)]
struct PushRequest {
    exercise: String,
}

/// Sets an exercise (or debug scenario) up in every learner's session, through the same route a
/// learner's own "start" uses, and shows it to learners as the class's current exercise.
async fn push(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    Json(req): Json<PushRequest>,
) -> Result<Response, ApiError> {
    let mut c = instructor(&state, &id, &headers, &q).await?;
    let exercise = req.exercise.trim().to_string();
    if exercise.is_empty() || exercise.contains(['?', '#']) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "exercise: required".into(),
        ));
    }
    let roster = persistence(&state)?
        .db
        .roster(&id)
        .await
        .map_err(db_error)?;
    let api = crate::routes::router(state.clone());
    let mut started = 0;
    let mut failed = Vec::new();
    for entry in &roster {
        let result = match learner(&state, &c, &entry.session_id).await {
            Err(e) => Err(e.1),
            Ok(session) => {
                let request = Request::post(format!(
                    "/api/sessions/{}/exercises/{exercise}/start",
                    session.id
                ))
                .header(header::AUTHORIZATION, format!("Bearer {}", session.token))
                .body(Body::empty())
                .expect("a valid request");
                let response = api.clone().oneshot(request).await.expect("infallible");
                if let Some(p) = &state.persistence {
                    p.mark_dirty(&session.id);
                }
                if response.status().is_success() {
                    Ok(())
                } else {
                    let status = response.status();
                    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                        .await
                        .unwrap_or_default();
                    Err(serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["error"].as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("start failed ({status})")))
                }
            }
        };
        match result {
            Ok(()) => started += 1,
            Err(error) => failed
                .push(json!({"session": entry.session_id, "name": entry.name, "error": error})),
        }
    }
    c.pushed = Some(
        serde_json::to_string(&Pushed {
            exercise: exercise.clone(),
            at: unix_now(),
        })
        .expect("serialises"),
    );
    persistence(&state)?
        .db
        .update_classroom(&c)
        .await
        .map_err(db_error)?;
    state.classrooms.notify();
    let status = if failed.is_empty() || started > 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Json(json!({"exercise": exercise, "started": started, "failed": failed})),
    )
        .into_response())
}

/// The instructor's own playground (presenter mode): one session per class, created on first use.
async fn presenter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut c = instructor(&state, &id, &headers, &q).await?;
    let p = persistence(&state)?;
    let existing = match &c.presenter_session {
        Some(sid) => p.restore(&state.sessions, sid).await.ok(),
        None => None,
    };
    let session = match existing {
        Some(s) => s,
        None => {
            let s = state.sessions.create();
            c.presenter_session = Some(s.id.clone());
            p.db.update_classroom(&c).await.map_err(db_error)?;
            s
        }
    };
    Ok((
        [(header::SET_COOKIE, session_cookie(&session))],
        Json(json!({"id": session.id, "token": session.token, "url": "/?presenter=1"})),
    )
        .into_response())
}

/// A learner's cluster, files and terminal history, read-only.
async fn view_learner(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    let session = learner(&state, &c, &sid).await?;
    let name = persistence(&state)?
        .db
        .roster(&id)
        .await
        .map_err(db_error)?
        .into_iter()
        .find(|e| e.session_id == sid)
        .map(|e| e.name)
        .unwrap_or_default();
    let st = session.lock();
    let objects: Vec<serde_json::Value> = cluster::resources::RESOURCES
        .iter()
        .filter(|rt| !cluster::resources::is_virtual(rt))
        .flat_map(|rt| st.cluster.list(rt, None))
        .map(|o| o.to_value())
        .collect();
    Ok(Json(json!({
        "session": sid,
        "name": name,
        "files": st.files,
        "history": st.shell.history,
        "namespace": st.shell.namespace(),
        "progress": st.progress,
        "cluster": {
            "now": st.cluster.now().to_string(),
            "resource_version": st.cluster.store().resource_version(),
            "objects": objects,
        },
    }))
    .into_response())
}

#[derive(Deserialize)]
struct ShellRequest {
    line: String,
}

/// Runs a terminal line against a copy of a learner's cluster and files: the instructor can
/// `kubectl get`/`describe`/`logs` what the learner sees, and nothing they run reaches the
/// learner (the copy is thrown away).
async fn learner_shell(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    Json(req): Json<ShellRequest>,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    let session = learner(&state, &c, &sid).await?;
    let (mut cluster, mut files, kubeconfig) = {
        let st = session.lock();
        (
            st.cluster.clone(),
            st.files.clone(),
            st.shell.kubeconfig.clone(),
        )
    };
    let mut shell = shell::Shell::default();
    shell.kubeconfig = kubeconfig;
    let out = shell.run_line(&req.line, &mut cluster, &mut files);
    Ok(
        Json(json!({"stdout": out.stdout, "stderr": out.stderr, "exit_code": out.exit_code}))
            .into_response(),
    )
}

/// Gives a learner a fresh cluster and terminal; their files and progress stay.
async fn reset_learner(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = instructor(&state, &id, &headers, &q).await?;
    let session = learner(&state, &c, &sid).await?;
    {
        let fresh = SessionState::fresh();
        let mut st = session.lock();
        st.cluster = fresh.cluster;
        st.shell = fresh.shell;
        st.progress.active = None;
    }
    session.changed.notify_waiters();
    if let Some(p) = &state.persistence {
        p.mark_dirty(&sid);
    }
    state.classrooms.notify();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Middleware: records every graded check of a classroom learner (the check endpoint's answer)
/// for the dashboard, and wakes live dashboards on exercise activity.
pub async fn observe_checks(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    let is_exercise = path.starts_with("/api/sessions/") && path.contains("/exercises/");
    let check = (req.method() == axum::http::Method::POST)
        .then(|| parse_check_path(&path))
        .flatten();
    let response = next.run(req).await;
    if !is_exercise {
        return response;
    }
    let Some(db) = state.persistence.as_ref().map(|p| p.db.clone()) else {
        return response;
    };
    let Some((session, exercise)) = check else {
        state.classrooms.notify();
        return response;
    };
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    record_check(&db, &session, &exercise, &bytes).await;
    state.classrooms.notify();
    Response::from_parts(parts, Body::from(bytes))
}

/// `/api/sessions/{id}/exercises/{exercise...}/check` → (id, exercise).
fn parse_check_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/api/sessions/")?;
    let (session, rest) = rest.split_once("/exercises/")?;
    let exercise = rest.strip_suffix("/check")?;
    (!session.contains('/') && !exercise.is_empty())
        .then(|| (session.to_string(), exercise.to_string()))
}

async fn record_check(db: &Db, session: &str, exercise: &str, body: &[u8]) {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    let Some(passed) = answer["passed"].as_bool() else {
        return;
    };
    match db.classroom_of(session).await {
        Ok(Some(_)) => {}
        Ok(None) => return,
        Err(e) => {
            tracing::warn!("check not recorded: {e}");
            return;
        }
    }
    let failing: Vec<&str> = answer["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .filter(|c| c["passed"] == json!(false))
                .filter_map(|c| c["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let record = crate::db::CheckRecord {
        session_id: session.to_string(),
        exercise: exercise.to_string(),
        passed,
        failing: serde_json::to_string(&failing).expect("strings serialise"),
        at: crate::db::unix_now_ms(),
    };
    if let Err(e) = db.record_check(&record).await {
        tracing::warn!("check not recorded: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_paths() {
        assert_eq!(
            parse_check_path("/api/sessions/ab12/exercises/pods/first-pod/check"),
            Some(("ab12".into(), "pods/first-pod".into()))
        );
        assert_eq!(
            parse_check_path("/api/sessions/ab12/exercises/x/start"),
            None
        );
        assert_eq!(parse_check_path("/api/sessions/ab12/files/check"), None);
    }
}
