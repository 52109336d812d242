//! The Wheelhouse server: HTTP and WebSocket front of the per-session simulated clusters.

pub mod routes;
pub mod sessions;
pub mod site;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;

pub use sessions::{Session, SessionRegistry};

/// Server configuration (from the command line).
#[derive(Clone, Debug)]
pub struct Config {
    pub data: PathBuf,
    pub database_url: Option<String>,
    pub site: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("data"),
            database_url: None,
            site: PathBuf::from("target/site"),
        }
    }
}

/// Shared state of every route.
#[derive(Clone)]
pub struct AppState {
    pub sessions: Arc<SessionRegistry>,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        AppState {
            sessions: Arc::new(SessionRegistry::default()),
            config: Arc::new(config),
        }
    }
}

/// The whole application router; tests call it without a socket.
pub fn app(state: AppState) -> Router {
    routes::router(state.clone()).merge(site::router(state))
}

/// Binds and serves until Ctrl-C or SIGTERM.
pub async fn serve(addr: SocketAddr, config: Config) -> std::io::Result<()> {
    let state = AppState::new(config);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("Wheelhouse is running at http://{local}/");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `wheelhouse lessons check DIR`.
pub fn lessons_check(dir: &Path) -> std::process::ExitCode {
    eprintln!("lessons check: no lessons loader yet in {}", dir.display());
    std::process::ExitCode::FAILURE
}
