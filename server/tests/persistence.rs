//! Sessions survive restarts, eviction and corrupt snapshots, on SQLite and on PostgreSQL.
//!
//! Each scenario runs against the embedded SQLite file and against a throwaway PostgreSQL server
//! started by the test (Debian's binaries; the PostgreSQL variants are skipped, saying so, only
//! when PostgreSQL is not installed).

mod storage;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use storage::{call, config, put_file, shell, Backend, Postgres, TempDir};

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  colour: teal
";

/// The quiz of the first lesson and its reference answers (the course is the real one).
fn quiz_answers() -> (String, serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let (course, _) = course::loader::load(&dir);
    let (_, ex) = course
        .exercise("architecture-quiz")
        .expect("lesson 1 has its quiz");
    (ex.id.clone(), json!(ex.solutions[0].answers))
}

/// A session with a file, a ConfigMap applied from it, terminal history and a passed quiz.
async fn busy_session(app: &axum::Router) -> (String, String) {
    let r = call(app, Method::POST, "/api/sessions", None, None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    let (id, token) = (
        v["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    );
    put_file(app, &id, &token, "k8s/cm.yaml", CONFIGMAP).await;
    let (out, err, code) = shell(app, &id, &token, "kubectl apply -f k8s/cm.yaml").await;
    assert_eq!(
        (out.as_str(), code),
        ("configmap/settings created\n", 0),
        "{err}"
    );
    let (quiz, answers) = quiz_answers();
    let r = call(
        app,
        Method::POST,
        &format!("/api/sessions/{id}/exercises/{quiz}/check"),
        Some(&token),
        Some(json!({ "answers": answers })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["passed"], true, "{}", r.text);
    (id, token)
}

/// What a learner sees of the session: files, the ConfigMap, progress.
async fn assert_intact(app: &axum::Router, id: &str, token: &str) {
    let r = call(
        app,
        Method::GET,
        &format!("/api/sessions/{id}/files/k8s/cm.yaml"),
        Some(token),
        None,
    )
    .await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, CONFIGMAP));
    let (out, err, code) = shell(
        app,
        id,
        token,
        "kubectl get configmap settings -o jsonpath={.data.colour}",
    )
    .await;
    assert_eq!((out.as_str(), code), ("teal", 0), "{err}");
    let r = call(
        app,
        Method::GET,
        &format!("/api/sessions/{id}/progress"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["exercises"]["architecture-quiz"]["passed"],
        true,
        "{}",
        r.text
    );
}

async fn restart_keeps_everything(backend: Backend) {
    let dir = TempDir::new("wh-persist");
    let state = server::AppState::open(config(dir.path(), &backend, "one"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let (id, token) = busy_session(&app).await;
    let history = state
        .sessions
        .get(&id)
        .unwrap()
        .lock()
        .shell
        .history
        .clone();
    assert!(history.contains(&"kubectl apply -f k8s/cm.yaml".to_string()));
    state.shutdown().await;
    drop(app);

    // A new server on the same data: the session comes back on first access, whole.
    let state = server::AppState::open(config(dir.path(), &backend, "two"))
        .await
        .unwrap();
    assert!(state.sessions.get(&id).is_none());
    let app = server::app(state.clone());
    assert_intact(&app, &id, &token).await;
    let restored = state.sessions.get(&id).unwrap();
    assert_eq!(
        restored.lock().shell.history[..history.len()],
        history[..],
        "terminal history"
    );
    // The wrong token still gets nothing.
    let r = call(
        &app,
        Method::GET,
        &format!("/api/sessions/{id}/files/k8s/cm.yaml"),
        Some("not-the-token"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    state.shutdown().await;
}

/// Without a graceful shutdown, what was flushed (within one flush interval) is there.
async fn unflushed_stop_loses_at_most_one_interval(backend: Backend) {
    let dir = TempDir::new("wh-crash");
    let state = server::AppState::open(config(dir.path(), &backend, "local"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let (id, token) = busy_session(&app).await;
    // The flush interval is 100 ms in these tests.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A second server on the same data while the first never shut down (as after a crash and
    // restart under the same replica name).
    let again = server::AppState::open(config(dir.path(), &backend, "local"))
        .await
        .unwrap();
    assert_intact(&server::app(again.clone()), &id, &token).await;
    state.shutdown().await;
    again.shutdown().await;
}

async fn idle_sessions_leave_memory_and_come_back(backend: Backend) {
    let dir = TempDir::new("wh-evict");
    let mut cfg = config(dir.path(), &backend, "one");
    cfg.persistence.idle_evict = Duration::from_millis(300);
    let state = server::AppState::open(cfg).await.unwrap();
    let app = server::app(state.clone());
    let (id, token) = busy_session(&app).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while state.sessions.get(&id).is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle session was never evicted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state.sessions.len(), 0);
    assert_intact(&app, &id, &token).await;
    assert!(state.sessions.get(&id).is_some(), "restored on return");
    state.shutdown().await;
}

/// What [`a_damaged_snapshot_restarts_the_cluster_only`] breaks.
enum Damage {
    /// The session's own snapshot bytes.
    Snapshot,
    /// The base cluster its snapshot was taken over.
    Base,
}

async fn a_damaged_snapshot_restarts_the_cluster_only(backend: Backend, damage: Damage) {
    let dir = TempDir::new("wh-corrupt");
    let cfg = config(dir.path(), &backend, "one");
    let state = server::AppState::open(cfg.clone()).await.unwrap();
    let app = server::app(state.clone());
    let (id, token) = busy_session(&app).await;
    state.shutdown().await;

    // Damage the stored cluster behind the server's back.
    sqlx::any::install_default_drivers();
    let url = cfg
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("wheelhouse.db").display()));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let done = match damage {
        Damage::Snapshot => sqlx::query("UPDATE sessions SET cluster = $1 WHERE id = $2")
            .bind(b"\x78\x9c garbage".to_vec())
            .bind(&id),
        // Snapshots are taken over the default cluster, stored once as a base.
        Damage::Base => sqlx::query(
            "DELETE FROM cluster_bases WHERE id = (SELECT cluster_base FROM sessions WHERE id = $1)",
        )
        .bind(&id),
    }
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;

    let state = server::AppState::open(cfg).await.unwrap();
    let app = server::app(state.clone());
    // The files and progress are there; the cluster is a fresh one; the server carries on.
    let r = call(
        &app,
        Method::GET,
        &format!("/api/sessions/{id}/files/k8s/cm.yaml"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, CONFIGMAP));
    let (_, err, code) = shell(&app, &id, &token, "kubectl get configmap settings").await;
    assert_eq!(code, 1);
    assert!(err.contains("NotFound"), "{err}");
    let (out, _, code) = shell(&app, &id, &token, "kubectl get nodes").await;
    assert_eq!(code, 0);
    assert!(out.contains("minikube"), "{out}");
    let r = call(&app, Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    state.shutdown().await;
}

/// Changes that reach a session without a tracked HTTP request (the terminal's WebSocket
/// writes to the session directly) are written too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_changes_outside_requests_are_written() {
    let dir = TempDir::new("wh-untracked");
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "local"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let (id, token) = busy_session(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    {
        let session = state.sessions.get(&id).unwrap();
        let mut st = session.lock();
        st.files
            .insert("notes.txt".into(), "typed in the terminal".into());
        st.shell.history.push("echo hi".into());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = server::AppState::open(config(dir.path(), &Backend::Sqlite, "local"))
        .await
        .unwrap();
    let r = call(
        &server::app(again.clone()),
        Method::GET,
        &format!("/api/sessions/{id}/files/notes.txt"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.text, "typed in the terminal");
    let history = again
        .sessions
        .get(&id)
        .unwrap()
        .lock()
        .shell
        .history
        .clone();
    assert_eq!(history.last().map(String::as_str), Some("echo hi"));
    state.shutdown().await;
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_restart_keeps_files_cluster_terminal_and_progress() {
    restart_keeps_everything(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_unflushed_stop_loses_at_most_one_interval() {
    unflushed_stop_loses_at_most_one_interval(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_idle_sessions_leave_memory_and_come_back() {
    idle_sessions_leave_memory_and_come_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_corrupt_snapshot_restarts_the_cluster_only() {
    a_damaged_snapshot_restarts_the_cluster_only(Backend::Sqlite, Damage::Snapshot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_lost_base_cluster_restarts_the_cluster_only() {
    a_damaged_snapshot_restarts_the_cluster_only(Backend::Sqlite, Damage::Base).await;
}

/// The same scenarios on one throwaway PostgreSQL server, one database each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_suite() {
    let Some(pg) = Postgres::start() else { return };
    restart_keeps_everything(Backend::Postgres(pg.create_database("restart"))).await;
    unflushed_stop_loses_at_most_one_interval(Backend::Postgres(pg.create_database("crash"))).await;
    idle_sessions_leave_memory_and_come_back(Backend::Postgres(pg.create_database("evict"))).await;
    a_damaged_snapshot_restarts_the_cluster_only(
        Backend::Postgres(pg.create_database("corrupt")),
        Damage::Snapshot,
    )
    .await;
    a_damaged_snapshot_restarts_the_cluster_only(
        Backend::Postgres(pg.create_database("lostbase")),
        Damage::Base,
    )
    .await;
}

/// Snapshot sizes, printed for the record and bounded so a regression shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_compact() {
    let dir = TempDir::new("wh-size");
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "one"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let r = call(&app, Method::POST, "/api/sessions", None, None).await;
    let v = r.json();
    let (id, token) = (v["id"].as_str().unwrap(), v["token"].as_str().unwrap());
    let p = state.persistence.clone().unwrap();
    p.flush(&state.sessions).await;
    let fresh = p.last_snapshot_size();
    eprintln!(
        "fresh cluster snapshot: {} B JSON, {} B compressed",
        fresh.cluster_json, fresh.cluster_compressed
    );
    // A busier cluster: 40 ConfigMaps, each created and then updated (80 watch-log events),
    // applied as two multi-document files (the terminal limits how fast lines may come).
    let many = |colour: &str| {
        (0..40)
            .map(|i| {
                CONFIGMAP
                    .replace("settings", &format!("settings-{i}"))
                    .replace("teal", colour)
            })
            .collect::<Vec<_>>()
            .join("---\n")
    };
    for colour in ["teal", "orange"] {
        put_file(&app, id, token, "cms.yaml", &many(colour)).await;
        let (_, err, code) = shell(&app, id, token, "kubectl apply -f cms.yaml").await;
        assert_eq!(code, 0, "{err}");
    }
    p.mark_dirty(id);
    p.flush(&state.sessions).await;
    let busy = p.last_snapshot_size();
    eprintln!(
        "cluster with 40 applied-and-updated ConfigMaps: {} B JSON, {} B compressed",
        busy.cluster_json, busy.cluster_compressed
    );
    assert!(fresh.cluster_compressed * 3 < fresh.cluster_json);
    // A fresh session's snapshot leaves out what it shares with the default cluster (about 95 KB
    // of JSON whole).
    assert!(fresh.cluster_json < 30_000, "{fresh:?}");
    assert!(busy.cluster_compressed * 5 < busy.cluster_json);
    state.shutdown().await;
}
