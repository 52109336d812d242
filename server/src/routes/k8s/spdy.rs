//! The HTTP side of a plain SPDY/3.1 upgrade, as kubectl before 1.30 (exec) and 1.31
//! (port-forward) asks for it, and as newer ones fall back to: `Connection: Upgrade`,
//! `Upgrade: SPDY/3.1` and one or more `X-Stream-Protocol-Version` headers naming the protocols
//! it speaks. The answer is `101 Switching Protocols` naming the one chosen; from then on the TCP
//! (or TLS) connection carries SPDY frames both ways.

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use cluster::Status;
use hyper_util::rt::TokioIo;

use super::status_response;
use crate::sessions::Session;

/// The upgraded connection.
pub type Io = TokioIo<hyper::upgrade::Upgraded>;

const PROTOCOL_HEADER: &str = "x-stream-protocol-version";

/// Answers the upgrade with the first protocol of `ours` the client offers, then serves
/// `endpoint` on the connection.
pub fn upgrade<E: apiserver::spdy::Endpoint>(
    parts: &mut Parts,
    ours: &[&'static str],
    session: Arc<Session>,
    endpoint: E,
) -> Response {
    let spdy = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("SPDY/3.1"));
    if !spdy {
        return status_response(&Status::bad_request(
            "unsupported upgrade: expected websocket or SPDY/3.1",
        ));
    }
    // Each header may also list several, comma-separated.
    let offered: Vec<String> = parts
        .headers
        .get_all(PROTOCOL_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .collect();
    let Some(protocol) = ours
        .iter()
        .copied()
        .find(|p| offered.iter().any(|o| o == p))
    else {
        return status_response(&Status::new(
            403,
            "Forbidden",
            format!(
                "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server accepts {ours:?}"
            ),
        ));
    };
    let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return status_response(&Status::bad_request("this connection cannot be upgraded"));
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await {
            serve(TokioIo::new(upgraded), session, endpoint).await;
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "SPDY/3.1")
        .header(PROTOCOL_HEADER, protocol)
        .body(Body::empty())
        .expect("a valid response")
}

/// Moves bytes between the connection and the endpoint until the client goes away, breaks the
/// protocol or says GOAWAY.
async fn serve<E: apiserver::spdy::Endpoint>(mut io: Io, session: Arc<Session>, mut endpoint: E) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; 32 << 10];
    loop {
        let n = match io.read(&mut buf).await {
            Ok(n) if n > 0 => n,
            _ => {
                let _ = session.run(|st| endpoint.end_of_input(&mut st.cluster));
                break;
            }
        };
        super::pace(&session).await;
        let answer = session.run(|st| endpoint.receive(&mut st.cluster, &buf[..n]));
        if E::CHANGES_CLUSTER {
            session.changed.notify_waiters();
        }
        match answer {
            Ok(Ok(out)) => {
                if !out.is_empty() && io.write_all(&out).await.is_err() {
                    break;
                }
            }
            // A protocol error or a panic: nothing sensible can follow on this connection.
            Ok(Err(e)) => {
                tracing::debug!("SPDY: {e}");
                break;
            }
            Err(_) => break,
        }
        if endpoint.is_closed() {
            break;
        }
    }
    let _ = io.shutdown().await;
}
