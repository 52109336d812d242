//! The terminal WebSocket over a real socket: lines, output, exit codes, completion, streaming
//! output, Ctrl-C, `kubectl edit` through the editor, background port-forwards, and refusal of
//! unauthenticated or cross-site connections. Also: `POST /shell` returns what the terminal shows.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::{app, AppState, Config};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Server {
    addr: std::net::SocketAddr,
    state: AppState,
}

async fn serve() -> Server {
    let state = AppState::new(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server { addr, state }
}

impl Server {
    /// A new session and an open terminal to it (its history message already read).
    async fn terminal(&self) -> (String, String, Socket) {
        let session = self.state.sessions.create();
        let ws = self
            .connect(
                &session.id,
                Some(&format!(
                    "wheelhouse_session={}.{}",
                    session.id, session.token
                )),
                None,
            )
            .await
            .unwrap();
        let mut ws = ws;
        let hello = next(&mut ws).await;
        assert_eq!(hello["type"], "history");
        (session.id.clone(), session.token.clone(), ws)
    }

    async fn connect(
        &self,
        id: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{}/api/sessions/{id}/terminal", self.addr)
            .into_client_request()
            .unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
            .await
            .map(|(ws, _)| ws)
    }
}

async fn next(ws: &mut Socket) -> Value {
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

async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// Collects output until the exit message: (stdout, stderr, code).
async fn until_exit(ws: &mut Socket) -> (String, String, i64) {
    let (mut out, mut err) = (String::new(), String::new());
    loop {
        let m = next(ws).await;
        match m["type"].as_str().unwrap() {
            "output" if m["stream"] == "stdout" => out.push_str(m["data"].as_str().unwrap()),
            "output" => err.push_str(m["data"].as_str().unwrap()),
            "exit" => return (out, err, m["code"].as_i64().unwrap()),
            other => panic!("unexpected {other}: {m}"),
        }
    }
}

#[tokio::test]
async fn lines_run_and_exit_with_their_status() {
    let s = serve().await;
    let (_, _, mut ws) = s.terminal().await;
    send(
        &mut ws,
        json!({"type": "line", "line": "echo hello | base64"}),
    )
    .await;
    assert_eq!(
        until_exit(&mut ws).await,
        ("aGVsbG8K\n".into(), "".into(), 0)
    );
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl get nodes"}),
    )
    .await;
    let (out, _, code) = until_exit(&mut ws).await;
    assert_eq!(code, 0);
    assert!(
        out.starts_with("NAME       STATUS   ROLES           AGE"),
        "{out}"
    );
    send(&mut ws, json!({"type": "line", "line": "nope"})).await;
    assert_eq!(
        until_exit(&mut ws).await,
        ("".into(), "bash: nope: command not found\n".into(), 127)
    );
    send(
        &mut ws,
        json!({"type": "complete", "line": "kubectl ge", "cursor": 10}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!({"type": "completions", "start": 8, "candidates": ["get"]})
    );
    send(&mut ws, json!({"type": "resize", "cols": 30, "rows": 10})).await;
    send(&mut ws, json!({"type": "bogus"})).await;
    assert_eq!(next(&mut ws).await["type"], "error");
    ws.send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "error");
    send(&mut ws, json!({"type": "line", "line": "history"})).await;
    let (out, _, _) = until_exit(&mut ws).await;
    assert!(out.contains("    1  echo hello | base64\n"), "{out}");
    // A line longer than the shell takes is refused by the shell; a message past the socket's
    // limit closes the socket.
    let long = "x".repeat(65 * 1024);
    send(&mut ws, json!({"type": "line", "line": long})).await;
    assert_eq!(
        until_exit(&mut ws).await,
        ("".into(), "bash: line too long\n".into(), 1)
    );
    let huge = "x".repeat(200 * 1024);
    let _ = ws
        .send(Message::text(
            json!({"type": "line", "line": huge}).to_string(),
        ))
        .await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true));
}

#[tokio::test]
async fn streaming_output_and_ctrl_c() {
    let s = serve().await;
    let (_, _, mut ws) = s.terminal().await;
    // Output comes before the line ends; the exit follows when it does.
    send(
        &mut ws,
        json!({"type": "line", "line": "echo start; sleep 0.3; echo end"}),
    )
    .await;
    let first = next(&mut ws).await;
    assert_eq!(
        first,
        json!({"type": "output", "stream": "stdout", "data": "start\n"})
    );
    let started = std::time::Instant::now();
    assert_eq!(until_exit(&mut ws).await, ("end\n".into(), "".into(), 0));
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Ctrl-C ends a line that would run for a minute, and drops what was typed ahead.
    send(&mut ws, json!({"type": "line", "line": "sleep 60"})).await;
    send(&mut ws, json!({"type": "line", "line": "echo typed-ahead"})).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(&mut ws, json!({"type": "interrupt"})).await;
    assert_eq!(until_exit(&mut ws).await, ("".into(), "".into(), 130));
    send(&mut ws, json!({"type": "line", "line": "echo $?"})).await;
    assert_eq!(until_exit(&mut ws).await, ("130\n".into(), "".into(), 0));
    // Type-ahead while a line runs is run after it.
    send(&mut ws, json!({"type": "line", "line": "sleep 0.05"})).await;
    send(&mut ws, json!({"type": "line", "line": "echo queued"})).await;
    assert_eq!(until_exit(&mut ws).await.2, 0);
    assert_eq!(until_exit(&mut ws).await, ("queued\n".into(), "".into(), 0));
}

#[tokio::test]
async fn a_foreground_port_forward_streams_until_interrupted() {
    let s = serve().await;
    let (id, _, mut ws) = s.terminal().await;
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl run web --image=nginx:1.27 --port=80"}),
    )
    .await;
    let _ = until_exit(&mut ws).await;
    {
        // Let the pod start, whether or not `kubectl run` is there yet.
        let session = s.state.sessions.get(&id).unwrap();
        let mut st = session.lock();
        let rt = cluster::resources::by_plural("", "pods").unwrap();
        if st.cluster.get(rt, Some("default"), "web").is_err() {
            st.cluster
                .create(rt, Some("default"), json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"run": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}))
                .unwrap();
        }
        st.cluster.advance(jiff::SignedDuration::from_secs(60));
    }
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl port-forward pod/web 8080:80"}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!({"type": "output", "stream": "stdout", "data": "Forwarding from 127.0.0.1:8080 -> 80\nForwarding from [::1]:8080 -> 80\n"})
    );
    // Nothing more until Ctrl-C.
    assert!(tokio::time::timeout(Duration::from_millis(300), ws.next())
        .await
        .is_err());
    send(&mut ws, json!({"type": "interrupt"})).await;
    assert_eq!(until_exit(&mut ws).await, ("".into(), "".into(), 130));
    // In the background it keeps serving, and says so when curl connects.
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl port-forward pod/web 8080:80 &"}),
    )
    .await;
    let (out, err, code) = until_exit(&mut ws).await;
    assert_eq!((err.as_str(), code), ("[1] 4187\n", 0));
    assert!(out.starts_with("Forwarding from 127.0.0.1:8080 -> 80\n"));
    send(&mut ws, json!({"type": "line", "line": "curl -s localhost:8080 | grep -o 'Welcome to nginx!' | head -1"})).await;
    assert_eq!(
        until_exit(&mut ws).await,
        (
            "Handling connection for 8080\nWelcome to nginx!\n".into(),
            "".into(),
            0
        )
    );
}

#[tokio::test]
async fn kubectl_edit_opens_the_editor_and_applies_the_saved_text() {
    let s = serve().await;
    let (_, _, mut ws) = s.terminal().await;
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl edit namespace default"}),
    )
    .await;
    let edit = next(&mut ws).await;
    assert_eq!(edit["type"], "edit");
    assert!(edit["path"]
        .as_str()
        .unwrap()
        .starts_with("/tmp/kubectl-edit-"));
    let doc = edit["content"].as_str().unwrap().to_string();
    assert!(doc.starts_with("# Please edit the object below."), "{doc}");
    assert!(doc.contains("\nkind: Namespace\n"), "{doc}");
    // Closing without saving cancels.
    send(&mut ws, json!({"type": "edited", "content": null})).await;
    assert_eq!(
        until_exit(&mut ws).await,
        ("Edit cancelled, no changes made.\n".into(), "".into(), 0)
    );
    // A syntax error reopens the document with the error on top.
    send(
        &mut ws,
        json!({"type": "line", "line": "kubectl edit ns default"}),
    )
    .await;
    let _ = next(&mut ws).await;
    send(
        &mut ws,
        json!({"type": "edited", "content": "metadata: [unclosed"}),
    )
    .await;
    let again = next(&mut ws).await;
    assert_eq!(again["type"], "edit");
    assert!(
        again["content"]
            .as_str()
            .unwrap()
            .contains("# The edited file had a syntax error"),
        "{again}"
    );
    // A real change is patched.
    let changed = doc.replace("  labels:\n", "  labels:\n    team: blue\n");
    assert_ne!(changed, doc);
    send(&mut ws, json!({"type": "edited", "content": changed})).await;
    let (out, err, code) = until_exit(&mut ws).await;
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("namespace/default edited\n", "", 0)
    );
    send(&mut ws, json!({"type": "line", "line": "kubectl get ns default -o jsonpath='{.metadata.labels.team}'"})).await;
    assert_eq!(until_exit(&mut ws).await.0, "blue");
}

#[tokio::test]
async fn connections_need_the_session_and_the_same_origin() {
    let s = serve().await;
    let session = s.state.sessions.create();
    let cookie = format!("wheelhouse_session={}.{}", session.id, session.token);
    assert!(
        s.connect(&session.id, None, None).await.is_err(),
        "no cookie"
    );
    assert!(s
        .connect(&session.id, Some("wheelhouse_session=x.wrong"), None)
        .await
        .is_err());
    assert!(s
        .connect("nosuchsession", Some(&cookie), None)
        .await
        .is_err());
    assert!(s
        .connect(&session.id, Some(&cookie), Some("https://evil.example"))
        .await
        .is_err());
    let origin = format!("http://{}", s.addr);
    assert!(s
        .connect(&session.id, Some(&cookie), Some(&origin))
        .await
        .is_ok());
}

#[tokio::test]
async fn post_shell_returns_what_the_terminal_shows() {
    let s = serve().await;
    let (id, token, mut ws) = s.terminal().await;
    let line = "echo out; echo err >&2; minikube status; false";
    send(&mut ws, json!({"type": "line", "line": line})).await;
    let (out, err, code) = until_exit(&mut ws).await;
    use tower::ServiceExt;
    let req = axum::http::Request::post(format!("/api/sessions/{id}/shell"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(json!({"line": line}).to_string()))
        .unwrap();
    let resp = app(s.state.clone()).oneshot(req).await.unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, json!({"stdout": out, "stderr": err, "exit_code": code}));
    assert_eq!(code, 1);
}

/// `POST /shell` with a line that waits on the cluster (`kubectl wait`) or on time (`sleep`) gives
/// its whole output once it ends, as the terminal would, while the session's clock runs.
#[tokio::test]
async fn post_shell_waits_for_a_line_that_keeps_running() {
    use tower::ServiceExt;
    let s = serve().await;
    let (id, token, _ws) = s.terminal().await;
    let post = |line: &str| {
        let req = axum::http::Request::post(format!("/api/sessions/{id}/shell"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(json!({"line": line}).to_string()))
            .unwrap();
        let app = app(s.state.clone());
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            serde_json::from_slice::<Value>(&body).unwrap()
        }
    };
    let started = std::time::Instant::now();
    let v = post("echo start; sleep 0.3; echo end").await;
    assert_eq!(
        v,
        json!({"stdout": "start\nend\n", "stderr": "", "exit_code": 0})
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    let v = post("kubectl run web --image=nginx:1.25").await;
    assert_eq!(v["exit_code"], 0, "{v}");
    let v = post("kubectl wait --for=condition=Ready pod/web --timeout=60s").await;
    assert_eq!(
        v,
        json!({"stdout": "pod/web condition met\n", "stderr": "", "exit_code": 0})
    );
}
