//! `pods/exec` over a WebSocket: the stream the real kubectl opens for `kubectl exec`.
//!
//! kubectl 1.30 and later first ask for a WebSocket speaking `v5.channel.k8s.io` (older clients
//! `v4`); older ones, and newer ones whose WebSocket upgrade failed, upgrade the HTTP connection
//! to SPDY/3.1 and speak `v4.channel.k8s.io` over it. The request is checked and the command
//! started before the upgrade, so a refusal is a normal HTTP answer (a `Status`, or the
//! kubelet's plain text), which kubectl reports after failing the upgrade. The messages
//! themselves come from [`apiserver::exec`]; these loops only move them and the client's input.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::{into_axum, status_response};
use crate::sessions::Session;

/// Whether a request is for a pod's `exec` or `attach` subresource (the same stream).
pub fn is_exec(req: &kubectl::rest::Request) -> bool {
    apiserver::path::ApiPath::parse(req.path_only()).is_some_and(|p| {
        p.plural == "pods" && matches!(p.subresource.as_deref(), Some("exec" | "attach"))
    })
}

/// Answers an exec request that asks for a connection upgrade.
pub async fn upgrade(
    session: Arc<Session>,
    req: kubectl::rest::Request,
    mut parts: Parts,
) -> Response {
    use apiserver::exec::{self, ExecOptions};
    let Some(p) = apiserver::path::ApiPath::parse(req.path_only()) else {
        return status_response(&apiserver::not_found_path());
    };
    let namespace = p.namespace.unwrap_or_else(|| "default".into());
    let pod = p.name.unwrap_or_default();
    let attach = p.subresource.as_deref() == Some("attach");
    let options = ExecOptions::from_request(&req);
    let websocket = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let started = {
        let mut guard = session.lock();
        session.catch_up(&mut guard);
        let user = match apiserver::handlers::requesting_user(&guard.cluster, &req) {
            Ok(u) => u,
            Err(s) => return status_response(&s),
        };
        if attach {
            exec::attach(&mut guard.cluster, &user, &namespace, &pod, options)
        } else {
            exec::start(&mut guard.cluster, &user, &namespace, &pod, options)
        }
    };
    let (stream, first) = match started {
        Ok(s) => s,
        Err(refusal) => return into_axum(refusal.response()),
    };
    session.changed.notify_waiters();
    if !websocket {
        let spdy = exec::over_spdy::SpdyExec::new(stream, first);
        return super::spdy::upgrade(&mut parts, &[exec::over_spdy::PROTOCOL], session, spdy);
    }
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.protocols([exec::V5, exec::V4])
        .on_upgrade(move |socket| serve(socket, session, stream, first))
}

/// Sends the command's messages and feeds it the client's, until the command ends or the
/// client goes away.
async fn serve(
    mut socket: WebSocket,
    session: Arc<Session>,
    mut stream: apiserver::exec::Session,
    first: Vec<Vec<u8>>,
) {
    let mut pending = first;
    loop {
        for m in pending.drain(..) {
            if socket.send(Message::Binary(m.into())).await.is_err() {
                return;
            }
        }
        if stream.is_done() {
            break;
        }
        let incoming = socket.recv().await;
        super::pace(&session).await;
        let frames = {
            let mut guard = session.lock();
            session.catch_up(&mut guard);
            match incoming {
                Some(Ok(Message::Binary(data))) => stream.receive(&mut guard.cluster, &data),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_))) => Vec::new(),
                // The client closed: whatever it sent is all the input there is.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    let _ = stream.end_of_input(&mut guard.cluster);
                    drop(guard);
                    session.changed.notify_waiters();
                    return;
                }
            }
        };
        session.changed.notify_waiters();
        pending = frames;
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "".into(),
        })))
        .await;
    // Read until the client answers the close: dropping the connection with its last messages
    // (such as the close of stdin) unread would reset it, and kubectl would report the reset.
    let drain = async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
}
