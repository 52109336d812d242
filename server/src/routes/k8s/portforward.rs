//! `pods/portforward` over a WebSocket: the tunnel the real kubectl opens for
//! `kubectl port-forward`.
//!
//! kubectl 1.31 and later ask for a WebSocket speaking `SPDY/3.1+portforward.k8s.io` and run SPDY
//! inside it; older ones (and newer ones whose WebSocket upgrade failed) upgrade the HTTP
//! connection itself to SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version:
//! portforward.k8s.io`). Both carry the same SPDY session. The request is checked before the
//! upgrade, so a refusal is a normal `Status` answer. The protocol itself lives in
//! [`apiserver::portforward`]; these loops only move bytes.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use apiserver::spdy::Endpoint;

use super::status_response;
use crate::sessions::Session;

/// Whether a request is for a pod's `portforward` subresource.
pub fn is_portforward(req: &kubectl::rest::Request) -> bool {
    apiserver::path::ApiPath::parse(req.path_only())
        .is_some_and(|p| p.plural == "pods" && p.subresource.as_deref() == Some("portforward"))
}

/// Answers a port-forward request that asks for a connection upgrade.
pub async fn upgrade(
    session: Arc<Session>,
    req: kubectl::rest::Request,
    mut parts: Parts,
) -> Response {
    let Some(p) = apiserver::path::ApiPath::parse(req.path_only()) else {
        return status_response(&apiserver::not_found_path());
    };
    let namespace = p.namespace.unwrap_or_else(|| "default".into());
    let pod = p.name.unwrap_or_default();
    let websocket = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let opened = session.run(|st| {
        let user = apiserver::handlers::requesting_user(&st.cluster, &req)?;
        apiserver::portforward::open(&st.cluster, &user, &namespace, &pod)
    });
    let tunnel = match opened {
        Ok(Ok(t)) => t,
        Ok(Err(refusal)) => return status_response(&refusal),
        Err(panicked) => return status_response(&panicked.status()),
    };
    if !websocket {
        return super::spdy::upgrade(&mut parts, &[PORT_FORWARD_V1], session, tunnel);
    }
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.protocols([apiserver::portforward::PROTOCOL])
        .on_upgrade(move |socket| serve(socket, session, tunnel))
}

/// The port-forward protocol's name when SPDY is the HTTP connection itself.
const PORT_FORWARD_V1: &str = "portforward.k8s.io";

/// Feeds kubectl's SPDY bytes to the tunnel and sends back its answers, until kubectl goes
/// away or breaks the protocol.
async fn serve(
    mut socket: WebSocket,
    session: Arc<Session>,
    mut tunnel: apiserver::portforward::Tunnel,
) {
    while let Some(Ok(message)) = socket.recv().await {
        let bytes = match message {
            Message::Binary(b) => b,
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) | Message::Text(_) => continue,
        };
        super::pace(&session).await;
        let answer = session.run(|st| tunnel.receive(&st.cluster, &bytes));
        match answer {
            Ok(Ok(out)) if !out.is_empty() => {
                if socket.send(Message::Binary(out.into())).await.is_err() {
                    break;
                }
            }
            Ok(Ok(_)) => {}
            // A protocol error or a panic: nothing sensible can follow on this connection.
            Ok(Err(e)) => {
                tracing::debug!("port-forward: {e}");
                break;
            }
            Err(_) => break,
        }
        if tunnel.is_closed() {
            break;
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
