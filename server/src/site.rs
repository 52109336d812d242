//! The web page: Leptos server-side rendering, and the built site's static files.
//!
//! Every page request is bound to a session first (see [`bind_session`]): a browser that presents a
//! valid session cookie keeps its session, any other gets a new one and the cookie with it. The page
//! is rendered with the session's id and workspace files in it, so the first paint already shows
//! the learner's own files and scripts never need the token (the HttpOnly cookie authenticates).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::LeptosRoutes;
use tower_http::services::ServeDir;

use crate::routes::api::{presented_token, same_secret, session_cookie, SESSION_COOKIE};
use crate::sessions::Session;
use crate::AppState;

/// Leptos options for our own build layout (see tools/build-site): `target/site/pkg/wheelhouse.js`.
pub fn leptos_options(state: &AppState) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("wheelhouse")
        .site_root(state.config.site.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .build()
}

pub fn router(state: AppState) -> Router {
    let options = leptos_options(&state);
    let routes = leptos_axum::generate_route_list(app::App);
    let site = state.config.site.clone();
    let pages = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || {
                let page = use_context::<axum::http::request::Parts>()
                    .and_then(|parts| parts.extensions.get::<app::PageData>().cloned())
                    .unwrap_or_default();
                app::shell(options.clone(), page)
            }
        })
        .layer(middleware::from_fn_with_state(state, bind_session))
        .with_state(options);
    pages
        .nest_service("/pkg", ServeDir::new(site.join("pkg")))
        .nest_service("/js", ServeDir::new(site.join("js")))
        .nest_service("/style", ServeDir::new(site.join("style")))
}

/// The session a request's cookie names, if the cookie's token is that session's.
fn cookie_session(state: &AppState, request: &Request) -> Option<Arc<Session>> {
    let cookies = request.headers().get_all(header::COOKIE);
    let id = cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let value = pair
                .trim()
                .strip_prefix(SESSION_COOKIE)?
                .strip_prefix('=')?;
            Some(value.split_once('.')?.0.to_string())
        })?;
    let session = state.sessions.get(&id)?;
    let token = presented_token(request.headers())?;
    same_secret(&token, &session.token).then_some(session)
}

/// Finds or creates the browser's session and hands the page what it renders from it.
async fn bind_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (session, fresh) = match cookie_session(&state, &request) {
        Some(session) => (session, false),
        None => (state.sessions.create(), true),
    };
    let files = session.lock().files.clone().into_iter().collect();
    // `/?presenter=1` opens the presenter layout (the instructor dashboard links there).
    let presenter = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "presenter=1"));
    request.extensions_mut().insert(app::PageData {
        session: session.id.clone(),
        files,
        presenter,
    });
    let mut response = next.run(request).await;
    if fresh {
        if let Ok(cookie) = HeaderValue::from_str(&session_cookie(&session)) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn state() -> AppState {
        AppState::new(crate::Config::default())
    }

    async fn page(state: &AppState, cookie: Option<&str>) -> (Option<String>, String) {
        let mut req = axum::http::Request::get("/");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = crate::app(state.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let set_cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (set_cookie, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn first_visit_creates_a_session_and_later_visits_keep_it() {
        let state = state();
        let (cookie, body) = page(&state, None).await;
        let cookie = cookie.expect("a first visit sets the session cookie");
        assert!(cookie.contains("HttpOnly"));
        assert_eq!(state.sessions.len(), 1);
        let value = cookie.split(';').next().unwrap().to_string();
        let id = value
            .strip_prefix("wheelhouse_session=")
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_string();
        assert!(body.contains(&format!("data-session=\"{id}\"")), "{body}");
        assert!(!body.contains(&state.sessions.get(&id).unwrap().token));

        state
            .sessions
            .get(&id)
            .unwrap()
            .lock()
            .files
            .insert("web.yaml".into(), "kind: Pod".into());
        let (again, body) = page(&state, Some(&value)).await;
        assert_eq!(again, None, "a known session keeps its cookie");
        assert_eq!(state.sessions.len(), 1);
        assert!(
            body.contains("web.yaml"),
            "the page lists the session's files"
        );
    }

    #[tokio::test]
    async fn presenter_1_renders_the_presenter_layout() {
        let state = state();
        for (uri, layout) in [
            ("/?presenter=1", "presenter"),
            ("/?x=2&presenter=1", "presenter"),
            ("/", "workbench"),
            ("/?presenter=0", "workbench"),
        ] {
            let res = crate::app(state.clone())
                .oneshot(axum::http::Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(
                body.contains(&format!("<html lang=\"en\" data-layout=\"{layout}\"")),
                "{uri}: {}",
                &body[..body.len().min(200)]
            );
        }
    }

    #[tokio::test]
    async fn a_forged_cookie_gets_a_new_session() {
        let state = state();
        let (cookie, _) = page(&state, None).await;
        let id = cookie
            .unwrap()
            .split(['=', '.'])
            .nth(1)
            .unwrap()
            .to_string();
        let (again, body) = page(&state, Some(&format!("wheelhouse_session={id}.forged"))).await;
        assert!(again.is_some());
        assert_eq!(state.sessions.len(), 2);
        assert!(!body.contains(&format!("data-session=\"{id}\"")));
    }
}
