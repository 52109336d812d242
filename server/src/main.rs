//! `wheelhouse`: the server binary (see the public contract in the README).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
        } => {
            let config = server::Config {
                data,
                database_url,
                site,
            };
            match server::serve(addr, config).await {
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
