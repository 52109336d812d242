//! `GET /api/sessions/{id}/kubeconfig`: a kubeconfig that points the real kubectl (or helm, k9s,
//! a client library) at the session's cluster.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::routes::api::{authorize, ApiError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/kubeconfig", get(kubeconfig))
}

/// The origin the client reached us at: `X-Forwarded-Proto`/`X-Forwarded-Host` from a reverse
/// proxy, else the `Host` header over plain HTTP.
pub fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let proto = get("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    format!("{proto}://{host}")
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The kubeconfig text: one cluster, one user (the session's bearer token), one current context
/// in the `default` namespace.
pub fn render(server: &str, id: &str, token: &str) -> String {
    let name = format!("wheelhouse-{id}");
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {n}
  cluster:
    server: {server}
users:
- name: {n}
  user:
    token: {token}
contexts:
- name: {n}
  context:
    cluster: {n}
    user: {n}
    namespace: default
current-context: {n}
preferences: {{}}
",
        n = quoted(&name),
        server = quoted(server),
        token = quoted(token),
    )
}

async fn kubeconfig(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    let server = format!("{}/k8s/{}", origin(&headers), session.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/yaml".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kubeconfig\"".to_string(),
            ),
        ],
        render(&server, &session.id, &session.token),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_prefers_the_forwarded_headers() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:3000".parse().unwrap());
        assert_eq!(origin(&h), "http://127.0.0.1:3000");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-forwarded-host", "play.example, proxy".parse().unwrap());
        assert_eq!(origin(&h), "https://play.example");
    }

    #[test]
    fn kubeconfig_names_the_session_server_and_token() {
        let k = render("http://h/k8s/abc", "abc", "tok");
        assert!(k.contains("server: \"http://h/k8s/abc\""));
        assert!(k.contains("token: \"tok\""));
        assert!(k.contains("current-context: \"wheelhouse-abc\""));
    }
}
