//! Faults (issue 9): a panic in one session's simulation is contained to that session (the request
//! answers an error, the session goes back to its last snapshot, its lock is not left poisoned,
//! other sessions are untouched); the server starts with a corrupt or missing snapshot and says
//! so; a graceful shutdown writes every session.
//!
//! Panics are set off with `Session::inject_panic`, which exists only with the `fault-injection`
//! feature (these tests turn it on; the server binary has no such hook and no route to it).

mod storage;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use storage::{call, config, put_file, shell, Backend, TempDir};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const SETTINGS: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  colour: teal
";

/// A new session through the API: (id, token).
async fn new_session(app: &axum::Router) -> (String, String) {
    let r = call(app, Method::POST, "/api/sessions", None, None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    (
        v["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

/// The ConfigMaps of a session's default namespace, as `kubectl get -o name` lists them.
async fn configmaps(app: &axum::Router, id: &str, token: &str) -> String {
    let (out, err, code) = shell(app, id, token, "kubectl get configmaps -o name").await;
    assert_eq!(code, 0, "{err}");
    out
}

/// A server on SQLite whose flusher never runs on its own (one-hour interval), so the test says
/// when snapshots are written.
async fn manual_flush_server(dir: &TempDir) -> (server::AppState, axum::Router) {
    let mut cfg = config(dir.path(), &Backend::Sqlite, "one");
    cfg.persistence.flush_interval = Duration::from_secs(3600);
    let state = server::AppState::open(cfg).await.unwrap();
    let app = server::app(state.clone());
    // The interval's first tick fires at once: let it pass before the test writes anything.
    tokio::time::sleep(Duration::from_millis(200)).await;
    (state, app)
}

#[tokio::test]
async fn a_panic_in_the_api_answers_500_and_the_session_goes_back_to_its_snapshot() {
    let dir = TempDir::new("wh-fault-api");
    let (state, app) = manual_flush_server(&dir).await;
    let persistence = state.persistence.clone().unwrap();
    let (a, a_token) = new_session(&app).await;
    let (b, b_token) = new_session(&app).await;
    put_file(&app, &a, &a_token, "cm.yaml", SETTINGS).await;
    let (_, err, code) = shell(&app, &a, &a_token, "kubectl apply -f cm.yaml").await;
    assert_eq!(code, 0, "{err}");
    let (_, err, code) = shell(&app, &b, &b_token, "kubectl create configmap other").await;
    assert_eq!(code, 0, "{err}");
    persistence.flush(&state.sessions).await;
    // A change after the snapshot, then a request that changes the cluster and panics midway.
    let (_, err, code) = shell(&app, &a, &a_token, "kubectl create configmap unsaved").await;
    assert_eq!(code, 0, "{err}");
    let session = state.sessions.get(&a).unwrap();
    session.inject_panic();
    let r = call(
        &app,
        Method::POST,
        &format!("/k8s/{a}/api/v1/namespaces/default/configmaps"),
        Some(&a_token),
        Some(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "doomed"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let status = r.json();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "InternalError");
    assert_eq!(status["code"], 500);
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .starts_with("Internal error occurred: "),
        "{status}"
    );
    // The lock is usable and the session is its last snapshot: neither the change after it nor
    // the half-done request survive; the files and the snapshot's objects do.
    assert!(!session.state.is_poisoned());
    assert!(!session.needs_restore());
    assert_eq!(
        configmaps(&app, &a, &a_token).await,
        "configmap/kube-root-ca.crt\nconfigmap/settings\n"
    );
    let r = call(
        &app,
        Method::GET,
        &format!("/api/sessions/{a}/files/cm.yaml"),
        Some(&a_token),
        None,
    )
    .await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, SETTINGS));
    // The other session never noticed.
    assert_eq!(
        configmaps(&app, &b, &b_token).await,
        "configmap/kube-root-ca.crt\nconfigmap/other\n"
    );
    state.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_a_shell_line_answers_the_terminal_message() {
    let dir = TempDir::new("wh-fault-shell");
    let (state, app) = manual_flush_server(&dir).await;
    let (a, token) = new_session(&app).await;
    let (_, _, code) = shell(&app, &a, &token, "kubectl create configmap kept").await;
    assert_eq!(code, 0);
    state
        .persistence
        .as_ref()
        .unwrap()
        .flush(&state.sessions)
        .await;
    state.sessions.get(&a).unwrap().inject_panic();
    let r = call(
        &app,
        Method::POST,
        &format!("/api/sessions/{a}/shell"),
        Some(&token),
        Some(json!({"line": "kubectl create configmap lost"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let v = r.json();
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["stdout"], "");
    assert_eq!(
        v["stderr"],
        server::sessions::Panicked::TERMINAL_MESSAGE,
        "{v}"
    );
    assert_eq!(
        configmaps(&app, &a, &token).await,
        "configmap/kept\nconfigmap/kube-root-ca.crt\n"
    );
    state.shutdown().await;
}

/// A panic somewhere that does not contain it (here: a thread that dies holding the lock) leaves
/// a poisoned lock; the next request clears it and the session comes back from its snapshot.
#[tokio::test]
async fn a_poisoned_session_lock_is_recovered_by_the_next_request() {
    let dir = TempDir::new("wh-fault-poison");
    let (state, app) = manual_flush_server(&dir).await;
    let (a, token) = new_session(&app).await;
    let (_, _, code) = shell(&app, &a, &token, "kubectl create configmap kept").await;
    assert_eq!(code, 0);
    state
        .persistence
        .as_ref()
        .unwrap()
        .flush(&state.sessions)
        .await;
    let session = state.sessions.get(&a).unwrap();
    let holder = session.clone();
    let died = std::thread::spawn(move || {
        let _guard = holder.lock();
        panic!("a bug while holding the session");
    })
    .join();
    assert!(died.is_err());
    assert!(session.state.is_poisoned());
    // This request runs on the stand-in (a fresh cluster); after it, the snapshot is back.
    let r = call(
        &app,
        Method::GET,
        &format!("/k8s/{a}/api/v1/nodes"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!session.state.is_poisoned());
    assert_eq!(
        configmaps(&app, &a, &token).await,
        "configmap/kept\nconfigmap/kube-root-ca.crt\n"
    );
    state.shutdown().await;
}

/// A handler that panics outside `Session::run` (here: at the lock, in `GET /files`) answers a
/// 500 Status instead of dropping the connection, and the session comes back from its snapshot
/// before the answer leaves.
#[tokio::test]
async fn a_panic_in_any_handler_answers_500_and_the_session_is_restored() {
    let dir = TempDir::new("wh-fault-handler");
    let (state, app) = manual_flush_server(&dir).await;
    let (a, token) = new_session(&app).await;
    put_file(&app, &a, &token, "cm.yaml", SETTINGS).await;
    let (_, _, code) = shell(&app, &a, &token, "kubectl apply -f cm.yaml").await;
    assert_eq!(code, 0);
    state
        .persistence
        .as_ref()
        .unwrap()
        .flush(&state.sessions)
        .await;
    let session = state.sessions.get(&a).unwrap();
    session.inject_lock_panic();
    let r = call(
        &app,
        Method::GET,
        &format!("/api/sessions/{a}/files/cm.yaml"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let status = r.json();
    assert_eq!(
        (status["kind"].as_str(), status["reason"].as_str()),
        (Some("Status"), Some("InternalError")),
        "{status}"
    );
    assert!(!session.state.is_poisoned());
    assert!(!session.needs_restore());
    assert_eq!(
        configmaps(&app, &a, &token).await,
        "configmap/kube-root-ca.crt\nconfigmap/settings\n"
    );
    state.shutdown().await;
}

/// Without persistence (memory-only state) there is no snapshot: the session goes on with a
/// fresh cluster and keeps its files.
#[tokio::test]
async fn without_a_database_a_panic_leaves_a_fresh_cluster_and_the_files() {
    let state = server::AppState::new(server::Config::default());
    let app = server::app(state.clone());
    let (a, token) = new_session(&app).await;
    put_file(&app, &a, &token, "cm.yaml", SETTINGS).await;
    let (_, _, code) = shell(&app, &a, &token, "kubectl apply -f cm.yaml").await;
    assert_eq!(code, 0);
    state.sessions.get(&a).unwrap().inject_panic();
    let r = call(
        &app,
        Method::GET,
        &format!("/k8s/{a}/api/v1/pods"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json()["reason"], "InternalError");
    assert_eq!(
        configmaps(&app, &a, &token).await,
        "configmap/kube-root-ca.crt\n"
    );
    // The files are kept, so the learner can apply them again.
    let (out, err, code) = shell(&app, &a, &token, "kubectl apply -f cm.yaml").await;
    assert_eq!(
        (out.as_str(), code),
        ("configmap/settings created\n", 0),
        "{err}"
    );
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_message(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .expect("no socket error");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Runs a line in the terminal: (stdout, stderr, exit code).
async fn terminal_line(ws: &mut Socket, line: &str) -> (String, String, i64) {
    ws.send(Message::text(
        json!({"type": "line", "line": line}).to_string(),
    ))
    .await
    .unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    loop {
        let m = next_message(ws).await;
        match m["type"].as_str() {
            Some("output") if m["stream"] == "stdout" => out.push_str(m["data"].as_str().unwrap()),
            Some("output") => err.push_str(m["data"].as_str().unwrap()),
            Some("exit") => return (out, err, m["code"].as_i64().unwrap()),
            _ => panic!("unexpected {m}"),
        }
    }
}

/// The terminal's WebSocket: the line that panicked ends with the message, the socket stays open,
/// and the flusher brings the snapshot back (the socket has no request for the middleware).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_terminal_ends_the_line_with_a_message_and_keeps_the_socket() {
    let dir = TempDir::new("wh-fault-ws");
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "one"))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let session = state.sessions.create();
    let mut req = format!("ws://{addr}/api/sessions/{}/terminal", session.id)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "cookie",
        format!("wheelhouse_session={}.{}", session.id, session.token)
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next_message(&mut ws).await["type"], "history");
    let (_, err, code) = terminal_line(&mut ws, "kubectl create configmap kept").await;
    assert_eq!(code, 0, "{err}");
    // Written by the flusher (100 ms in these tests).
    tokio::time::sleep(Duration::from_millis(500)).await;
    session.inject_panic();
    let (out, err, code) = terminal_line(&mut ws, "kubectl create configmap lost").await;
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("", server::sessions::Panicked::TERMINAL_MESSAGE, 1)
    );
    // The flusher restores the snapshot within an interval.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!session.needs_restore());
    let (out, err, code) = terminal_line(&mut ws, "kubectl get configmaps -o name").await;
    assert_eq!(
        (out.as_str(), code),
        ("configmap/kept\nconfigmap/kube-root-ca.crt\n", 0),
        "{err}"
    );
    state.shutdown().await;
}

/// Log lines, captured for one test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A server restarted on a database where one session's cluster snapshot is corrupt and
/// another's is missing: both sessions still open (files kept, fresh cluster), the log names
/// each and says what was wrong, and the server carries on.
#[tokio::test]
async fn start_up_with_a_corrupt_or_missing_snapshot_says_so_and_carries_on() {
    let dir = TempDir::new("wh-fault-start");
    let cfg = config(dir.path(), &Backend::Sqlite, "one");
    let state = server::AppState::open(cfg.clone()).await.unwrap();
    let app = server::app(state.clone());
    let (corrupt, corrupt_token) = new_session(&app).await;
    let (missing, missing_token) = new_session(&app).await;
    for (id, token) in [(&corrupt, &corrupt_token), (&missing, &missing_token)] {
        put_file(&app, id, token, "cm.yaml", SETTINGS).await;
        let (_, _, code) = shell(&app, id, token, "kubectl apply -f cm.yaml").await;
        assert_eq!(code, 0);
    }
    state.shutdown().await;

    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.path().join("wheelhouse.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let damaged = sqlx::query("UPDATE sessions SET cluster = $1 WHERE id = $2")
        .bind(b"\x78\x9c not a snapshot".to_vec())
        .bind(&corrupt)
        .execute(&pool)
        .await
        .unwrap();
    let lost = sqlx::query("UPDATE sessions SET cluster = NULL WHERE id = $1")
        .bind(&missing)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!((damaged.rows_affected(), lost.rows_affected()), (1, 1));
    pool.close().await;

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let state = server::AppState::open(cfg).await.unwrap();
    let app = server::app(state.clone());
    let r = call(&app, Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    for (id, token) in [(&corrupt, &corrupt_token), (&missing, &missing_token)] {
        let r = call(
            &app,
            Method::GET,
            &format!("/api/sessions/{id}/files/cm.yaml"),
            Some(token),
            None,
        )
        .await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, SETTINGS));
        assert_eq!(
            configmaps(&app, id, token).await,
            "configmap/kube-root-ca.crt\n"
        );
    }
    let text = logs.text();
    let line = |id: &str| {
        text.lines()
            .find(|l| l.contains(&format!("session {id}:")))
            .unwrap_or_else(|| panic!("no log line names session {id}:\n{text}"))
            .to_string()
    };
    assert!(
        line(&corrupt).contains("the cluster snapshot is corrupt"),
        "{text}"
    );
    assert!(line(&corrupt).contains("ERROR"), "{text}");
    assert!(
        line(&missing).contains("the cluster snapshot is missing"),
        "{text}"
    );
    state.shutdown().await;
}

/// A graceful shutdown writes what the flusher has not written yet.
#[tokio::test]
async fn graceful_shutdown_writes_every_session() {
    let dir = TempDir::new("wh-fault-stop");
    let (state, app) = manual_flush_server(&dir).await;
    let mut sessions = Vec::new();
    for i in 0..3 {
        let (id, token) = new_session(&app).await;
        let (_, _, code) =
            shell(&app, &id, &token, &format!("kubectl create configmap c{i}")).await;
        assert_eq!(code, 0);
        sessions.push((id, token));
    }
    // Nothing was written yet: the flusher's next round is an hour away.
    let db = &state.persistence.as_ref().unwrap().db;
    for (id, _) in &sessions {
        let row = db.load_session(id).await.unwrap();
        assert!(
            row.is_none_or(|r| r.cluster.is_none()),
            "{id} written early"
        );
    }
    state.shutdown().await;
    drop(app);

    let (state, app) = manual_flush_server(&dir).await;
    for (i, (id, token)) in sessions.iter().enumerate() {
        assert_eq!(
            configmaps(&app, id, token).await,
            format!("configmap/c{i}\nconfigmap/kube-root-ca.crt\n")
        );
    }
    state.shutdown().await;
}

/// A request that reaches a session while its last snapshot is being brought back waits for it,
/// rather than running on the stand-in cluster put in place at the panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_during_a_restore_wait_for_it() {
    let dir = TempDir::new("wh-fault-wait");
    let (state, app) = manual_flush_server(&dir).await;
    let persistence = state.persistence.clone().unwrap();
    let (id, token) = new_session(&app).await;
    let (_, err, code) = shell(&app, &id, &token, "kubectl create configmap saved").await;
    assert_eq!(code, 0, "{err}");
    persistence.flush(&state.sessions).await;
    let session = state.sessions.get(&id).unwrap();

    // Hold the restoration back, then make a request panic: it answers only after the restore.
    let held = session.restoring.lock().await;
    session.inject_panic();
    let panicking = {
        let (app, id, token) = (app.clone(), id.clone(), token.clone());
        tokio::spawn(async move {
            call(
                &app,
                Method::POST,
                &format!("/api/sessions/{id}/shell"),
                Some(&token),
                Some(json!({"line": "kubectl create configmap doomed"})),
            )
            .await
        })
    };
    while !session.needs_restore() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A second request arrives while the session is on its stand-in.
    let reader = {
        let (app, id, token) = (app.clone(), id.clone(), token.clone());
        tokio::spawn(async move { configmaps(&app, &id, &token).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !reader.is_finished(),
        "the second request waits for the restore"
    );
    drop(held);
    assert_eq!(
        reader.await.unwrap(),
        "configmap/kube-root-ca.crt\nconfigmap/saved\n",
        "it sees the restored cluster, not the stand-in"
    );
    let r = panicking.await.unwrap();
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        r.text.contains("the simulated cluster failed"),
        "{}",
        r.text
    );
    assert!(!session.needs_restore());
    state.shutdown().await;
}
