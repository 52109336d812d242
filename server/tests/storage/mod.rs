//! Shared set-up for the persistence, classroom and takeover tests: temporary data directories,
//! a throwaway PostgreSQL server, and a small request helper over the app router.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// A fresh directory under the system's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            server::sessions::random_hex(4)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway PostgreSQL server (Debian's binaries, `initdb` + `pg_ctl`) on a free port, in a
/// temporary directory, stopped and removed on drop. As root it runs as the `postgres` user
/// (PostgreSQL refuses to run as root).
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    as_user: Option<String>,
}

impl Postgres {
    /// The newest installed PostgreSQL's `bin` directory.
    pub fn bin_dir() -> Option<PathBuf> {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
            .collect();
        versions.sort();
        versions.pop()
    }

    /// Starts a server, or says why the PostgreSQL tests are skipped (only when the binaries
    /// are not installed; any other failure panics).
    pub fn start() -> Option<Postgres> {
        let Some(bin) = Postgres::bin_dir() else {
            eprintln!(
                "SKIPPED: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); \
                 install Debian's `postgresql` package to run the PostgreSQL tests"
            );
            return None;
        };
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let as_user = is_root.then(|| "postgres".to_string());
        let dir = std::env::temp_dir().join(format!(
            "wh-pg-{}-{}",
            std::process::id(),
            server::sessions::random_hex(4)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(user) = &as_user {
            let ok = Command::new("chown")
                .args([user.as_str(), dir.to_str().unwrap()])
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown {user} {}", dir.display());
        }
        let pg = Postgres {
            bin,
            dir: dir.clone(),
            port: free_port(),
            as_user,
        };
        let data = dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            pg.port,
            dir.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                dir.join("log").to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    /// A new empty database on this server; returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ],
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The database a suite runs against.
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// A server configuration for tests: quick flushes, data under `dir`.
pub fn config(dir: &Path, backend: &Backend, replica: &str) -> server::Config {
    let mut config = server::Config {
        data: dir.to_path_buf(),
        database_url: match backend {
            Backend::Sqlite => None,
            Backend::Postgres(url) => Some(url.clone()),
        },
        ..Default::default()
    };
    config.persistence.replica = replica.to_string();
    config.persistence.flush_interval = Duration::from_millis(100);
    config
}

/// A response, decoded.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }
}

/// One request through the app router.
pub async fn call(
    app: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// `PUT` of a workspace file.
pub async fn put_file(app: &axum::Router, id: &str, token: &str, path: &str, text: &str) {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/sessions/{id}/files/{path}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(text.to_string()))
        .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    assert!(
        response.status().is_success(),
        "PUT {path}: {}",
        response.status()
    );
}

/// One terminal line; returns (stdout, stderr, exit code).
pub async fn shell(app: &axum::Router, id: &str, token: &str, line: &str) -> (String, String, i64) {
    let r = call(
        app,
        Method::POST,
        &format!("/api/sessions/{id}/shell"),
        Some(token),
        Some(serde_json::json!({ "line": line })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{line}: {}", r.text);
    let v = r.json();
    (
        v["stdout"].as_str().unwrap_or_default().to_string(),
        v["stderr"].as_str().unwrap_or_default().to_string(),
        v["exit_code"].as_i64().unwrap_or(-1),
    )
}
