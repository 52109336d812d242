//! The web page: Leptos server-side rendering, and the built site's static files.

use axum::Router;
use leptos::prelude::*;
use leptos_axum::LeptosRoutes;
use tower_http::services::ServeDir;

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
    Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .nest_service("/pkg", ServeDir::new(site.join("pkg")))
        .nest_service("/js", ServeDir::new(site.join("js")))
        .nest_service("/style", ServeDir::new(site.join("style")))
        .with_state(options)
}
