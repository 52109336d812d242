//! `wheelhouse`: the server binary (see the public contract in the README).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// mimalloc, not glibc's malloc (see `server::allocator` for why).
#[global_allocator]
static ALLOCATOR: server::allocator::Allocator = server::allocator::Allocator;

#[derive(Parser)]
#[command(
    name = "wheelhouse",
    version,
    about = "A Kubernetes learning playground"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, the per-session Kubernetes API and the terminal.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "WHEELHOUSE_ADDR")]
        addr: SocketAddr,
        /// Directory for the embedded database and other state.
        #[arg(long, default_value = "data", env = "WHEELHOUSE_DATA")]
        data: PathBuf,
        /// PostgreSQL URL; when absent, an embedded SQLite file under --data is used.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Where the built site (WASM, JS bundles, CSS) lives.
        #[arg(long, default_value = "target/site", env = "WHEELHOUSE_SITE")]
        site: PathBuf,
        /// Sessions untouched this long are written and dropped from memory (restored on return).
        #[arg(long, default_value_t = 1800, env = "WHEELHOUSE_IDLE_EVICT_SECS")]
        idle_evict_secs: u64,
        /// Longest delay between a change to a session and its snapshot in the database.
        #[arg(long, default_value_t = 1000, env = "WHEELHOUSE_FLUSH_INTERVAL_MS")]
        flush_interval_ms: u64,
        /// How long this replica's ownership of a session lasts without renewal; another replica
        /// takes the session over this long after this one dies.
        #[arg(long, default_value_t = 15, env = "WHEELHOUSE_LEASE_SECS")]
        lease_secs: u64,
        /// This replica's name in session ownership records. Default: "local" with SQLite (one
        /// process), the host name plus a random suffix with PostgreSQL.
        #[arg(long, env = "WHEELHOUSE_REPLICA_ID")]
        replica_id: Option<String>,
        /// HTTPS address for the real kubectl (client-go sends bearer tokens only over TLS), with
        /// a self-signed certificate kept under --data and handed out in kubeconfigs.
        #[arg(long, default_value = "127.0.0.1:8443", env = "WHEELHOUSE_TLS_ADDR")]
        tls_addr: SocketAddr,
        /// Host names the certificate is for besides localhost and 127.0.0.1 (comma-separated).
        #[arg(long, value_delimiter = ',', env = "WHEELHOUSE_TLS_HOSTNAMES")]
        tls_hostname: Vec<String>,
        /// Serve no HTTPS (e.g. behind a TLS-terminating proxy).
        #[arg(long, env = "WHEELHOUSE_NO_TLS")]
        no_tls: bool,
    },
    /// Work with the course content.
    Lessons {
        #[command(subcommand)]
        command: LessonsCommand,
    },
}

#[derive(Subcommand)]
enum LessonsCommand {
    /// Validate every lesson and run every exercise's solution, no-op and known-wrong attempts.
    Check {
        /// The lessons directory.
        #[arg(default_value = "lessons")]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::allocator::disable_transparent_huge_pages();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve {
            addr,
            data,
            database_url,
            site,
            idle_evict_secs,
            flush_interval_ms,
            lease_secs,
            replica_id,
            tls_addr,
            tls_hostname,
            no_tls,
        } => {
            let replica = replica_id.unwrap_or_else(|| default_replica_id(database_url.as_deref()));
            let config = server::Config {
                data,
                database_url,
                site,
                persistence: server::persistence::PersistenceConfig {
                    replica,
                    flush_interval: Duration::from_millis(flush_interval_ms.max(10)),
                    idle_evict: Duration::from_secs(idle_evict_secs),
                    lease: Duration::from_secs(lease_secs.max(1)),
                },
                ..Default::default()
            };
            let tls = (!no_tls).then_some(server::TlsOptions {
                addr: tls_addr,
                hostnames: tls_hostname,
            });
            match server::serve(addr, tls, config).await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Lessons {
            command: LessonsCommand::Check { dir },
        } => server::lessons_check(&dir),
    }
}

/// One SQLite file serves one process, which may keep the name "local" across restarts (and so
/// get its sessions back at once). Replicas sharing PostgreSQL need distinct names: the host name
/// (the pod's name on Kubernetes) and a random suffix, so two processes on one host differ too.
fn default_replica_id(database_url: Option<&str>) -> String {
    match database_url {
        Some(url) if url.starts_with("postgres") => {
            let host = std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "wheelhouse".into());
            format!("{host}-{}", server::sessions::random_hex(3))
        }
        _ => "local".into(),
    }
}
