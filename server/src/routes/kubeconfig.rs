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

/// The kubeconfig text: one cluster (with the certificate authority to trust, if any), one user
/// (the session's bearer token), one current context in the `default` namespace.
pub fn render(server: &str, ca_pem: Option<&str>, id: &str, token: &str) -> String {
    use base64::Engine;
    let name = format!("wheelhouse-{id}");
    let ca = ca_pem
        .map(|pem| {
            let data = base64::engine::general_purpose::STANDARD.encode(pem);
            format!("\n    certificate-authority-data: {data}")
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {n}
  cluster:
    server: {server}{ca}
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
    let origin = origin(&headers);
    // Over plain HTTP the real kubectl would not send the token: point it at our HTTPS listener
    // and trust its certificate. Behind a TLS proxy the origin is already https.
    let (server, ca) = match &state.config.tls {
        Some(tls) if origin.starts_with("http://") => {
            let authority = origin.trim_start_matches("http://");
            let host = match authority.rsplit_once(':') {
                Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                _ => authority,
            };
            (
                format!("https://{host}:{}/k8s/{}", tls.port, session.id),
                Some(tls.ca_pem.as_str()),
            )
        }
        _ => (format!("{origin}/k8s/{}", session.id), None),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/yaml".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kubeconfig\"".to_string(),
            ),
        ],
        render(&server, ca, &session.id, &session.token),
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
        let k = render("http://h/k8s/abc", None, "abc", "tok");
        assert!(k.contains("server: \"http://h/k8s/abc\""));
        assert!(k.contains("token: \"tok\""));
        assert!(k.contains("current-context: \"wheelhouse-abc\""));
    }
}
