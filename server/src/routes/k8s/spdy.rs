//! The HTTP side of a plain SPDY/3.1 upgrade, as kubectl before 1.30 (exec) and 1.31
//! (port-forward) asks for it, and as newer ones fall back to: `Connection: Upgrade`,
//! `Upgrade: SPDY/3.1` and one or more `X-Stream-Protocol-Version` headers naming the protocols
//! it speaks. The answer is `101 Switching Protocols` naming the one chosen; from then on the TCP
//! (or TLS) connection carries SPDY frames both ways.

use std::future::Future;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use cluster::Status;
use hyper_util::rt::TokioIo;

use super::status_response;

/// The upgraded connection.
pub type Io = TokioIo<hyper::upgrade::Upgraded>;

const PROTOCOL_HEADER: &str = "x-stream-protocol-version";

/// Answers the upgrade with the first protocol of `ours` the client offers, then runs `serve` on
/// the connection with that protocol's name.
pub fn upgrade<F, Fut>(parts: &mut Parts, ours: &[&'static str], serve: F) -> Response
where
    F: FnOnce(Io, &'static str) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
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
            serve(TokioIo::new(upgraded), protocol).await;
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
