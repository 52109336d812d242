//! The Wheelhouse server: HTTP and WebSocket front of the per-session simulated clusters.

pub mod allocator;
pub mod classrooms;
pub mod db;
pub mod persistence;
pub mod routes;
pub mod security;
pub mod sessions;
pub mod site;
pub mod tls;

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
    /// Snapshots, eviction and ownership (used when the state is opened with a database).
    pub persistence: persistence::PersistenceConfig,
    /// The HTTPS listener kubeconfigs point the real kubectl at, when serving one.
    pub tls: Option<tls::Endpoint>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("data"),
            database_url: None,
            site: PathBuf::from("target/site"),
            persistence: persistence::PersistenceConfig::default(),
            tls: None,
        }
    }
}

/// Shared state of every route.
#[derive(Clone)]
pub struct AppState {
    pub sessions: Arc<SessionRegistry>,
    pub config: Arc<Config>,
    /// The database behind sessions and classrooms; `None` for a memory-only state (unit tests).
    pub persistence: Option<Arc<persistence::Persistence>>,
    /// Live classroom dashboards.
    pub classrooms: Arc<classrooms::Classrooms>,
    flusher_stop: Arc<tokio::sync::Notify>,
    /// The flusher task, awaited on shutdown so that no round of it runs after the last write.
    flusher: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        AppState {
            sessions: Arc::new(SessionRegistry::default()),
            config: Arc::new(config),
            persistence: None,
            classrooms: Arc::default(),
            flusher_stop: Arc::default(),
            flusher: Arc::default(),
        }
    }

    /// A state backed by the configured database (SQLite under `data` unless `database_url`
    /// names PostgreSQL), with the snapshot flusher running. Sessions stored earlier come back on
    /// first access. Call [`AppState::shutdown`] to write everything before exiting.
    pub async fn open(config: Config) -> Result<AppState, db::DbError> {
        let db = db::Db::open(&config.data, config.database_url.as_deref()).await?;
        let mut state = AppState::new(config);
        let p = Arc::new(persistence::Persistence::new(
            db,
            state.config.persistence.clone(),
        ));
        let flusher = tokio::spawn(
            p.clone()
                .run(state.sessions.clone(), state.flusher_stop.clone()),
        );
        state.flusher = Arc::new(std::sync::Mutex::new(Some(flusher)));
        state.persistence = Some(p);
        Ok(state)
    }

    /// Stops the flusher, writes every session and releases their ownership.
    pub async fn shutdown(&self) {
        // `notify_one` keeps the wake-up for a flusher that is in the middle of a round (which
        // `notify_waiters` would miss, leaving it to renew the leases released below); waiting
        // for it to end means its last round is over before the final writes.
        self.flusher_stop.notify_one();
        let flusher = self
            .flusher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(flusher) = flusher {
            let _ = flusher.await;
        }
        if let Some(p) = &self.persistence {
            p.flush_all_and_release(&self.sessions).await;
        }
    }
}

/// The whole application router; tests call it without a socket.
pub fn app(state: AppState) -> Router {
    routes::router(state.clone())
        .merge(site::router(state.clone()))
        // The last resort for a panic outside `Session::run` (which contains the simulation's
        // own): a 500 Status instead of a dropped connection. Inside `track`, which then brings
        // the session back from its snapshot.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            sessions::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::classrooms::observe_checks,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            persistence::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(security::Limits::from_env()),
            security::guard,
        ))
}

/// Binds and serves until Ctrl-C or SIGTERM.
/// HTTPS for the real kubectl: where to listen and the host names (besides localhost) the
/// certificate is for.
pub struct TlsOptions {
    pub addr: SocketAddr,
    pub hostnames: Vec<String>,
}

pub async fn serve(
    addr: SocketAddr,
    tls_options: Option<TlsOptions>,
    mut config: Config,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    // The HTTPS listener is a convenience for the real kubectl: without it (port taken, no
    // certificate) the app still serves, and the README says how to front it with a proxy.
    let mut https = None;
    if let Some(o) = tls_options {
        match tls::certificate(&config.data, &o.hostnames) {
            Ok((cert, key)) => match tokio::net::TcpListener::bind(o.addr).await {
                Ok(l) => {
                    let port = l.local_addr()?.port();
                    config.tls = Some(tls::Endpoint {
                        port,
                        ca_pem: cert.clone(),
                    });
                    https = Some((l, cert, key));
                }
                Err(e) => tracing::warn!("no HTTPS for the real kubectl: {}: {e}", o.addr),
            },
            Err(e) => tracing::warn!("no HTTPS for the real kubectl: the certificate: {e}"),
        }
    }
    let state = AppState::open(config)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    println!("Wheelhouse is running at http://{local}/");
    let stop = Arc::new(tokio::sync::Notify::new());
    let tls_task = https.map(|(l, cert, key)| {
        let https_addr = l.local_addr().ok();
        if let Some(a) = https_addr {
            println!("The Kubernetes API for the real kubectl: https://{a}/k8s/<session> (kubeconfig: GET /api/sessions/<session>/kubeconfig)");
        }
        let app = app(state.clone());
        let stop = stop.clone();
        tokio::spawn(async move {
            let stopped = async move { stop.notified().await };
            if let Err(e) = tls::serve(l, app, &cert, &key, stopped).await {
                tracing::warn!("HTTPS listener stopped: {e}");
            }
        })
    });
    let served = axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    stop.notify_one();
    if let Some(t) = tls_task {
        let _ = t.await;
    }
    // Nothing a learner did is lost on a graceful stop.
    state.shutdown().await;
    served
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

/// `wheelhouse lessons check DIR`: validates every lesson and runs every exercise's solutions,
/// no-op and known-wrong attempts (see `lessons/README.md`); fails on any mismatch.
pub fn lessons_check(dir: &Path) -> std::process::ExitCode {
    let report = course::verify::check_dir(dir);
    print!("{}", report.render());
    if report.success() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
