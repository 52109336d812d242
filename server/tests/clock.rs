//! The simulated clock's pause, resume and fast-forward (`/api/sessions/{id}/clock`), and a pause
//! outliving a restart of the server.

mod storage;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use storage::{call, config, shell, Backend, TempDir};

async fn new_session(app: &axum::Router) -> (String, String) {
    let r = call(app, Method::POST, "/api/sessions", None, None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    (
        v["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

async fn clock(app: &axum::Router, id: &str, token: &str, body: Option<Value>) -> Value {
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let r = call(
        app,
        method,
        &format!("/api/sessions/{id}/clock"),
        Some(token),
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn at(v: &Value) -> jiff::Timestamp {
    v["now"].as_str().unwrap().parse().unwrap()
}

fn seconds_between(a: &Value, b: &Value) -> f64 {
    at(b).duration_since(at(a)).as_secs_f64()
}

#[tokio::test]
async fn a_paused_clock_stands_still_and_moves_only_when_fast_forwarded() {
    let app = server::app(server::AppState::new(server::Config::default()));
    let (id, token) = new_session(&app).await;

    let running = clock(&app, &id, &token, None).await;
    assert_eq!(running["paused"], false);
    let paused = clock(&app, &id, &token, Some(json!({"paused": true}))).await;
    assert_eq!(paused["paused"], true);
    assert!(seconds_between(&running, &paused) >= 0.0);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let still = clock(&app, &id, &token, None).await;
    assert_eq!(
        still["now"], paused["now"],
        "wall time passed, simulated time did not"
    );
    // Other requests do not move it either.
    shell(&app, &id, &token, "kubectl get pods").await;
    assert_eq!(clock(&app, &id, &token, None).await["now"], paused["now"]);

    // A fast-forward moves it by exactly that much, and it stays paused.
    let forward = clock(&app, &id, &token, Some(json!({"advance_seconds": 60}))).await;
    assert_eq!(forward["paused"], true);
    assert_eq!(seconds_between(&paused, &forward), 60.0);

    // Resumed, it follows wall time again from where it stood (the pause is not caught up on).
    let resumed = clock(&app, &id, &token, Some(json!({"paused": false}))).await;
    assert_eq!(
        (resumed["paused"].clone(), resumed["now"].clone()),
        (json!(false), forward["now"].clone())
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = clock(&app, &id, &token, None).await;
    let moved = seconds_between(&resumed, &later);
    assert!(
        (1.0..5.0).contains(&moved),
        "moved {moved} s in about 1.1 s of wall time"
    );
}

#[tokio::test]
async fn a_paused_clock_holds_back_what_takes_time() {
    let app = server::app(server::AppState::new(server::Config::default()));
    let (id, token) = new_session(&app).await;
    clock(&app, &id, &token, Some(json!({"paused": true}))).await;
    let (out, err, code) = shell(&app, &id, &token, "kubectl run web --image=nginx").await;
    assert_eq!((out.as_str(), code), ("pod/web created\n", 0), "{err}");
    let status = "kubectl get pod web -o jsonpath={.status.phase}";
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        shell(&app, &id, &token, status).await.0,
        "Pending",
        "no image pulled while paused"
    );
    clock(&app, &id, &token, Some(json!({"advance_seconds": 30}))).await;
    assert_eq!(shell(&app, &id, &token, status).await.0, "Running");
}

#[tokio::test]
async fn clock_requests_are_checked() {
    let app = server::app(server::AppState::new(server::Config::default()));
    let (id, token) = new_session(&app).await;
    let path = format!("/api/sessions/{id}/clock");
    let r = call(&app, Method::POST, &path, Some(&token), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = call(
        &app,
        Method::POST,
        &path,
        Some(&token),
        Some(json!({"advance_seconds": 100_000})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = call(
        &app,
        Method::POST,
        &path,
        Some("wrong"),
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(&app, Method::GET, &path, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_pause_survives_a_restart() {
    let dir = TempDir::new("wh-clock");
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "one"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let (id, token) = new_session(&app).await;
    clock(&app, &id, &token, Some(json!({"advance_seconds": 120}))).await;
    let paused = clock(&app, &id, &token, Some(json!({"paused": true}))).await;
    state.shutdown().await;
    drop(app);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "two"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let restored = clock(&app, &id, &token, None).await;
    assert_eq!(
        restored, paused,
        "restored paused at the same simulated instant"
    );

    // And a resumed clock is stored as running.
    clock(&app, &id, &token, Some(json!({"paused": false}))).await;
    state.shutdown().await;
    drop(app);
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "three"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    assert_eq!(clock(&app, &id, &token, None).await["paused"], false);
    state.shutdown().await;
}
