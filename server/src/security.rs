//! Request hardening shared by every route: cross-site request refusal and rate limits.
//!
//! - **CSRF.** Browsers authenticate to the session API with the session cookie. The cookie is
//!   `SameSite=Lax`, so other sites' POSTs do not carry it; as a second line, any state-changing
//!   request under `/api/` whose `Origin` (or `Sec-Fetch-Site`) says it comes from another site is
//!   refused with 403 before it reaches a handler. Scripts and kubectl send no `Origin` and use a
//!   bearer token, so they are unaffected.
//! - **Rate limits.** Token buckets: new sessions (and classroom joins) per client address, shell
//!   commands per session, and Kubernetes API requests per session. Over the limit, `/api/` answers
//!   429 with `Retry-After`, and `/k8s/` answers a `Status` with reason `TooManyRequests`, which
//!   client-go honours by waiting and retrying. Limits are set by environment variables
//!   (`WHEELHOUSE_SESSIONS_PER_MINUTE`, `WHEELHOUSE_COMMANDS_PER_SECOND`,
//!   `WHEELHOUSE_API_REQUESTS_PER_SECOND`; `0` disables one), read once at start-up.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A token bucket per key: `rate` tokens a second, holding at most `burst`.
#[derive(Debug)]
pub struct Buckets {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// How many keys a limiter remembers before it forgets the full ones (which are idle anyway:
/// a full bucket is the state of a key never seen).
const MAX_KEYS: usize = 100_000;

impl Buckets {
    pub fn new(rate_per_second: f64, burst: f64) -> Buckets {
        Buckets {
            rate: rate_per_second,
            burst,
            buckets: Mutex::default(),
        }
    }

    /// Takes one token for `key`; on refusal, says how many seconds until one is available.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// The server's limiters.
#[derive(Debug)]
pub struct Limits {
    pub sessions: Buckets,
    pub commands: Buckets,
    pub api: Buckets,
}

fn env_rate(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Limits {
    /// From the environment, with defaults generous for a learner and a classroom behind one
    /// address: 120 new sessions a minute per address (bursts of 60), 20 shell commands a second
    /// per session (bursts of 40), 200 API requests a second per session (bursts of 400).
    pub fn from_env() -> Limits {
        let per_minute = env_rate("WHEELHOUSE_SESSIONS_PER_MINUTE", 120.0);
        let commands = env_rate("WHEELHOUSE_COMMANDS_PER_SECOND", 20.0);
        let api = env_rate("WHEELHOUSE_API_REQUESTS_PER_SECOND", 200.0);
        Limits {
            sessions: Buckets::new(per_minute / 60.0, (per_minute / 2.0).max(1.0)),
            commands: Buckets::new(commands, (commands * 2.0).max(1.0)),
            api: Buckets::new(api, (api * 2.0).max(1.0)),
        }
    }
}

/// Whether a request comes from a page of another site, by the headers browsers always send
/// with cross-origin requests.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // `Origin: null` (sandboxed frames, file: pages) is never this site.
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("null");
    !origin_host.eq_ignore_ascii_case(host)
}

fn too_many(path: &str, retry_after: u64, what: &str) -> Response {
    let body = if path.starts_with("/k8s/") || is_root_api(path) {
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("Too many requests, please try again later."),
            "reason": "TooManyRequests", "details": {"retryAfterSeconds": retry_after}, "code": 429
        })
    } else {
        json!({"error": format!("too many {what}; try again in {retry_after} s")})
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, retry_after.to_string())],
        axum::Json(body),
    )
        .into_response()
}

/// A Kubernetes API path at the server's root, as `kubectl --raw` sends them (the session is
/// the one the bearer token belongs to; see `routes::k8s`).
fn is_root_api(path: &str) -> bool {
    let under = |p: &str| path == p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/'));
    // `/api` itself and `/api/v1/...`; the rest of `/api/` is Wheelhouse's own API.
    path == "/api"
        || [
            "/api/v1", "/apis", "/version", "/openapi", "/livez", "/readyz",
        ]
        .iter()
        .any(|p| under(p))
}

/// The bucket of a root API request: its bearer token, hashed, so the limiter holds no secret.
fn token_key(headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(token.trim(), &mut hasher);
    let h = std::hash::Hasher::finish(&hasher);
    Some(format!("token:{h:016x}"))
}

/// `{id}` of `/api/sessions/{id}/...` or `/k8s/{id}/...`.
fn session_of(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api/sessions/")
        .or_else(|| path.strip_prefix("/k8s/"))?;
    rest.split('/').next().filter(|id| !id.is_empty())
}

/// The middleware: refuses cross-site writes, then applies the rate limits.
pub async fn guard(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && path.starts_with("/api/") && is_cross_site(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "cross-site request refused"})),
        )
            .into_response();
    }
    let now = Instant::now();
    let client: Option<IpAddr> = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let creates_session =
        method == Method::POST && (path == "/api/sessions" || path == "/api/classrooms/join");
    if creates_session {
        if let Some(ip) = client {
            if let Err(after) = limits.sessions.take(&ip.to_string(), now) {
                return too_many(&path, after, "new sessions from this address");
            }
        }
    } else if let Some(id) = session_of(&path) {
        let limited = if path.starts_with("/k8s/") {
            limits.api.take(id, now).map_err(|a| (a, "API requests"))
        } else if path.ends_with("/shell") && method == Method::POST {
            limits.commands.take(id, now).map_err(|a| (a, "commands"))
        } else {
            Ok(())
        };
        if let Err((after, what)) = limited {
            return too_many(&path, after, what);
        }
    } else if is_root_api(&path) {
        if let Some(key) = token_key(request.headers()) {
            if let Err(after) = limits.api.take(&key, now) {
                return too_many(&path, after, "API requests");
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_at_their_rate() {
        let b = Buckets::new(2.0, 2.0);
        let t0 = Instant::now();
        assert!(b.take("a", t0).is_ok());
        assert!(b.take("a", t0).is_ok());
        assert_eq!(b.take("a", t0), Err(1));
        assert!(b.take("b", t0).is_ok(), "keys are independent");
        assert!(b.take("a", t0 + Duration::from_millis(600)).is_ok());
        assert!(
            Buckets::new(0.0, 0.0).take("x", t0).is_ok(),
            "rate 0 disables the limit"
        );
    }

    #[test]
    fn root_api_paths_are_told_from_wheelhouses_own() {
        for p in [
            "/api",
            "/api/v1",
            "/api/v1/pods",
            "/apis/apps/v1",
            "/version",
            "/openapi/v2",
            "/livez",
            "/readyz/etcd",
        ] {
            assert!(is_root_api(p), "{p}");
        }
        for p in [
            "/api/sessions",
            "/api/sessions/x/shell",
            "/api/lessons",
            "/apiserver",
            "/healthz",
            "/k8s/x/api",
        ] {
            assert!(!is_root_api(p), "{p}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        let key = token_key(&h).unwrap();
        assert!(key.starts_with("token:") && !key.contains("abc"));
    }

    #[test]
    fn cross_site_detection() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "wheelhouse.example:8080".parse().unwrap());
        assert!(
            !is_cross_site(&h),
            "no Origin: not a browser cross-site request"
        );
        h.insert(
            header::ORIGIN,
            "http://wheelhouse.example:8080".parse().unwrap(),
        );
        assert!(!is_cross_site(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(is_cross_site(&h));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(is_cross_site(&h));
        let mut h2 = HeaderMap::new();
        h2.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(is_cross_site(&h2));
    }

    #[test]
    fn session_ids_from_paths() {
        assert_eq!(session_of("/api/sessions/abc/shell"), Some("abc"));
        assert_eq!(session_of("/k8s/abc/api/v1/pods"), Some("abc"));
        assert_eq!(session_of("/api/sessions"), None);
        assert_eq!(session_of("/api/lessons"), None);
    }
}
