//! `/k8s/{session}/...`: each session's cluster served as the real Kubernetes REST API.
//!
//! This module only adapts HTTP to [`apiserver`]: it authenticates the bearer token, moves the
//! session's simulated clock up to wall time, turns the axum request into a
//! [`kubectl::rest::Request`] and the answer back, and runs the streaming requests (watches)
//! whose pure state lives in `apiserver::watch`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request as AxumRequest, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use cluster::Status;

mod exec;
mod portforward;
mod spdy;

use crate::routes::api::{presented_token, same_secret};
use crate::sessions::Session;
use crate::AppState;

/// Largest request body accepted (the real API server takes 3 MiB; manifests are far smaller).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// How long a watch without `timeoutSeconds` stays open (the API server picks 30–60 minutes).
const DEFAULT_WATCH_SECONDS: u64 = 1800;

/// How often an idle watch looks at the session even without a change notification (writes that
/// do not come through this API, such as the simulated clock, are seen at this pace).
const WATCH_POLL: Duration = Duration::from_millis(500);

/// Messages on a session's streaming connections (exec input, port-forward traffic) count against
/// its API request rate, in buckets of their own. Over the rate the next message waits, which slows
/// the client down (as TCP would) without dropping anything.
async fn pace(session: &Session) {
    static LIMITS: std::sync::OnceLock<crate::security::Limits> = std::sync::OnceLock::new();
    let limits = LIMITS.get_or_init(crate::security::Limits::from_env);
    while limits
        .api
        .take(&session.id, std::time::Instant::now())
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/k8s/{id}", any(serve))
        .route("/k8s/{id}/{*rest}", any(serve_path));
    // kubectl's `--raw` requests (`get --raw /apis/...`, `create --raw`) take a path relative to
    // the server, without the kubeconfig's `/k8s/{id}`; their bearer token says whose session.
    for path in ["/api", "/api/v1", "/apis", "/version", "/livez", "/readyz"] {
        router = router
            .route(path, any(serve_by_token))
            .route(&format!("{path}/{{*rest}}"), any(serve_by_token));
    }
    router.route("/openapi/{*rest}", any(serve_by_token))
}

/// A request at the server's root for the session its bearer token belongs to. Only the
/// `Authorization` header counts here, never the browser's cookie: these paths are for clients.
async fn serve_by_token(State(state): State<AppState>, request: AxumRequest) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // (A session whose snapshot was unloaded is found again by its first request under
    // `/k8s/{id}`, which restores it; the persistence layer tracks sessions by that id.)
    let Some(session) = token.and_then(|t| state.sessions.by_token(t)) else {
        return unauthorized();
    };
    if let Some(p) = &state.persistence {
        p.touch(&session.id);
    }
    let rest = request.uri().path().trim_start_matches('/').to_string();
    serve_session(session, rest, request).await
}

fn status_response(status: &Status) -> Response {
    (
        StatusCode::from_u16(status.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&status.to_value()).expect("Status serialises"),
    )
        .into_response()
}

/// The 401 the API server gives a request without valid credentials.
fn unauthorized() -> Response {
    status_response(&Status::new(401, "Unauthorized", "Unauthorized"))
}

/// The session a request may act on: its id must exist and the bearer token must be that
/// session's. Both failures look the same, so session ids cannot be probed.
fn authenticate(state: &AppState, id: &str, headers: &HeaderMap) -> Option<Arc<Session>> {
    let session = state.sessions.get(id)?;
    let token = presented_token(headers)?;
    same_secret(&token, &session.token).then_some(session)
}

async fn serve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: AxumRequest,
) -> Response {
    dispatch(state, id, String::new(), request).await
}

async fn serve_path(
    State(state): State<AppState>,
    Path((id, rest)): Path<(String, String)>,
    request: AxumRequest,
) -> Response {
    dispatch(state, id, rest, request).await
}

async fn dispatch(state: AppState, id: String, rest: String, request: AxumRequest) -> Response {
    let Some(session) = authenticate(&state, &id, request.headers()) else {
        return unauthorized();
    };
    serve_session(session, rest, request).await
}

/// Serves a Kubernetes API request (`rest` is the path after the session's prefix).
async fn serve_session(session: Arc<Session>, rest: String, request: AxumRequest) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return status_response(&Status::new(
                413,
                "RequestEntityTooLarge",
                "Request entity too large: limit is 3145728",
            ))
        }
    };
    let mut path = format!("/{rest}");
    if let Some(q) = parts.uri.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(n, _)| *n != header::AUTHORIZATION && *n != header::COOKIE)
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if !headers.iter().any(|(n, _)| n == "host") {
        headers.push(("host".into(), "127.0.0.1".into()));
    }
    let req = kubectl::rest::Request {
        method: parts.method.as_str().to_string(),
        path,
        headers,
        body: body.to_vec(),
    };

    if exec::is_exec(&req) && parts.headers.contains_key(header::UPGRADE) {
        return exec::upgrade(session, req, parts).await;
    }
    if portforward::is_portforward(&req) && parts.headers.contains_key(header::UPGRADE) {
        return portforward::upgrade(session, req, parts).await;
    }
    if req.method == "GET" && matches!(req.query_value("watch").as_deref(), Some("true" | "1")) {
        return watch(session, req).await;
    }
    if req.method == "GET"
        && is_log(&req)
        && matches!(req.query_value("follow").as_deref(), Some("true" | "1"))
    {
        return follow_log(session, req).await;
    }

    let response = match session.run(|st| apiserver::handle(&mut st.cluster, &req)) {
        Ok(response) => response,
        Err(panicked) => return status_response(&panicked.status()),
    };
    if req.method != "GET" {
        session.changed.notify_waiters();
    }
    into_axum(response)
}

fn into_axum(r: kubectl::rest::Response) -> Response {
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in r.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::try_from(name),
            HeaderValue::try_from(value),
        ) {
            out.headers_mut().append(n, v);
        }
    }
    out
}

/// A watch: a chunked response of newline-delimited events that stays open until
/// `timeoutSeconds`, a 410 Expired, or the client going away.
async fn watch(session: Arc<Session>, req: kubectl::rest::Request) -> Response {
    let mut w = match session.run(|st| watch_start(&st.cluster, &req)) {
        Ok(Ok(w)) => w,
        Ok(Err(status)) => return status_response(&status),
        Err(panicked) => return status_response(&panicked.status()),
    };
    let timeout = req
        .query_value("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(DEFAULT_WATCH_SECONDS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        let mut last_bookmark = tokio::time::Instant::now();
        loop {
            // Register for the next change before looking, so no change slips between the two.
            let changed = session.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let polled = session.run(|st| {
                let mut lines = w.poll(&st.cluster);
                if last_bookmark.elapsed() > Duration::from_secs(60) {
                    last_bookmark = tokio::time::Instant::now();
                    lines.extend(w.bookmark(&st.cluster));
                }
                lines
            });
            // The session's simulation failed: its history is gone, so the watch ends and the
            // client lists and watches again, as after a restarted API server.
            let Ok(lines) = polled else { return };
            for line in lines {
                if tx.send(Ok(Bytes::from(line))).await.is_err() {
                    return;
                }
            }
            if w.is_done() || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep(WATCH_POLL) => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = tx.closed() => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let content_type = if apiserver::table::wants_table(req.header_value("accept")) {
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    } else {
        "application/json"
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache, private"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn watch_start(
    cluster: &cluster::Cluster,
    req: &kubectl::rest::Request,
) -> Result<apiserver::watch::Watch, Status> {
    let p =
        apiserver::path::ApiPath::parse(req.path_only()).ok_or_else(apiserver::not_found_path)?;
    if p.name.is_some() {
        return Err(apiserver::not_found_path());
    }
    // A kind also served at an older version: watched where it is stored, sent as asked.
    if let Some(served) = cluster::resources::also_served(&p.group, &p.version, &p.plural) {
        let stored = cluster::resources::by_plural(&p.group, &p.plural).expect("stored version");
        return apiserver::watch::Watch::start(cluster, req, stored, p.namespace.as_deref())
            .map(|w| w.serving(served));
    }
    let rt = cluster::resources::by_plural(&p.group, &p.plural)
        .filter(|r| r.version == p.version)
        .ok_or_else(apiserver::not_found_path)?;
    apiserver::watch::Watch::start(cluster, req, rt, p.namespace.as_deref())
}

fn is_log(req: &kubectl::rest::Request) -> bool {
    apiserver::path::ApiPath::parse(req.path_only())
        .is_some_and(|p| p.plural == "pods" && p.subresource.as_deref() == Some("log"))
}

/// `kubectl logs -f`: the log so far, then new lines as the simulated container writes them,
/// until the container stops or the client goes away.
async fn follow_log(session: Arc<Session>, req: kubectl::rest::Request) -> Response {
    use apiserver::logs::{self, LogOptions};
    let Some(p) = apiserver::path::ApiPath::parse(req.path_only()) else {
        return status_response(&apiserver::not_found_path());
    };
    let (ns, pod) = (
        p.namespace.unwrap_or_else(|| "default".into()),
        p.name.unwrap_or_default(),
    );
    let opts = LogOptions::from_request(&req);
    // New lines are found by counting the whole log, so tailLines and sinceSeconds shape only
    // what is sent first.
    let whole = LogOptions {
        tail_lines: None,
        since_seconds: None,
        ..opts.clone()
    };
    let first = session.run(|st| {
        apiserver::handlers::requesting_user(&st.cluster, &req).and_then(|user| {
            let shown = logs::lines(&st.cluster, &user, &ns, &pod, &opts)?;
            let count = logs::lines(&st.cluster, &user, &ns, &pod, &whole)?.len();
            Ok((user, shown, count))
        })
    });
    let (user, shown, mut sent) = match first {
        Ok(Ok(x)) => x,
        Ok(Err(status)) => return status_response(&status),
        Err(panicked) => return status_response(&panicked.status()),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let initial: String = shown
        .iter()
        .map(|l| logs::render(l, opts.timestamps))
        .collect();
    tokio::spawn(async move {
        if !initial.is_empty() && tx.send(Ok(Bytes::from(initial))).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                _ = tokio::time::sleep(WATCH_POLL) => {}
                _ = tx.closed() => return,
            }
            let Ok((all, running)) = session.run(|st| {
                (
                    logs::lines(&st.cluster, &user, &ns, &pod, &whole),
                    container_running(&st.cluster, &ns, &pod, opts.container.as_deref()),
                )
            }) else {
                return;
            };
            let Ok(all) = all else { return };
            let text: String = all
                .iter()
                .skip(sent)
                .map(|l| logs::render(l, opts.timestamps))
                .collect();
            sent = sent.max(all.len());
            if !text.is_empty() && tx.send(Ok(Bytes::from(text))).await.is_err() {
                return;
            }
            if !running {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Whether the followed container is still running (a follow ends when it stops).
fn container_running(
    cluster: &cluster::Cluster,
    ns: &str,
    pod: &str,
    container: Option<&str>,
) -> bool {
    let key = cluster::Key {
        kind: "Pod",
        namespace: ns.into(),
        name: pod.into(),
    };
    let Some(p) = cluster.store().get(&key).and_then(|o| o.as_pod()) else {
        return false;
    };
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| container.is_none_or(|n| c.name == n))
        .any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
}
