//! Two `wheelhouse serve` processes sharing one PostgreSQL: a session lives on the replica that
//! created it; when that replica is killed (SIGKILL, no chance to flush), the other serves the
//! session from its last snapshot once the lease has run out, and the dead replica's name cannot
//! take it back while the new owner holds it.

mod storage;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use storage::{free_port, Postgres, TempDir};

/// A `wheelhouse serve` child process, killed on drop.
struct Replica {
    child: Child,
    port: u16,
}

impl Replica {
    fn start(name: &str, database_url: &str, dir: &TempDir) -> Replica {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_wheelhouse"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", database_url])
            .args(["--replica-id", name])
            .args(["--lease-secs", "2", "--flush-interval-ms", "100"])
            .arg("--data")
            .arg(dir.path().join(name))
            .arg("--site")
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the wheelhouse binary runs");
        let replica = Replica { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while replica.request("GET", "/healthz", None, "").0 != 200 {
            assert!(Instant::now() < deadline, "replica {name} did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        replica
    }

    /// One HTTP/1.1 request; (status, headers, body). Status 0 when nothing answers.
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new(), String::new());
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new(), String::new());
        }
        let mut raw = Vec::new();
        if stream.read_to_end(&mut raw).is_err() {
            return (0, String::new(), String::new());
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return (0, String::new(), String::new());
        };
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "the helper reads whole bodies only"
        );
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head.to_string(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> serde_json::Value {
        let (status, _, text) = self.request(method, path, token, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: teal\n";

#[test]
fn a_killed_replicas_sessions_are_taken_over_from_their_snapshots() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.create_database("takeover");
    let dir = TempDir::new("wh-takeover");
    let mut a = Replica::start("replica-a", &url, &dir);
    let b = Replica::start("replica-b", &url, &dir);

    // A learner works on replica A.
    let s = a.json("POST", "/api/sessions", None, "");
    let (id, token) = (s["id"].as_str().unwrap(), s["token"].as_str().unwrap());
    let file = format!("/api/sessions/{id}/files/cm.yaml");
    assert_eq!(a.request("PUT", &file, Some(token), CONFIGMAP).0, 204);
    let shell = format!("/api/sessions/{id}/shell");
    let out = a.json(
        "POST",
        &shell,
        Some(token),
        r#"{"line": "kubectl apply -f cm.yaml"}"#,
    );
    assert_eq!(out["stdout"], "configmap/settings created\n", "{out}");
    // Let A's flusher (every 100 ms) write the snapshot.
    std::thread::sleep(Duration::from_millis(600));

    // While A is alive, B refuses to run a second copy and says when to retry.
    let (status, head, body) = b.request("GET", &file, Some(token), "");
    assert_eq!(status, 503, "{body}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");

    // A dies without any chance to flush or release.
    a.kill();
    let killed = Instant::now();

    // B takes the session over once A's lease (2 s) has run out.
    let (status, text) = loop {
        let (status, _, text) = b.request("GET", &file, Some(token), "");
        if status != 503 || killed.elapsed() > Duration::from_secs(15) {
            break (status, text);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!((status, text.as_str()), (200, CONFIGMAP));
    eprintln!("taken over {:?} after the kill", killed.elapsed());
    let out = b.json(
        "POST",
        &shell,
        Some(token),
        r#"{"line": "kubectl get configmap settings -o jsonpath={.data.colour}"}"#,
    );
    assert_eq!(out["stdout"], "teal", "{out}");
    let out = b.json(
        "POST",
        &shell,
        Some(token),
        r#"{"line": "kubectl create configmap after"}"#,
    );
    assert_eq!(out["exit_code"], 0, "{out}");

    // A replica started again under A's name cannot take the session from B, which owns it now.
    let a_again = Replica::start("replica-a", &url, &dir);
    std::thread::sleep(Duration::from_millis(300));
    let (status, _, _) = a_again.request("GET", &file, Some(token), "");
    assert_eq!(status, 503);
    // B's later work is what the database holds.
    let out = b.json(
        "POST",
        &shell,
        Some(token),
        r#"{"line": "kubectl get configmap after -o name"}"#,
    );
    assert_eq!(out["stdout"], "configmap/after\n", "{out}");
}
