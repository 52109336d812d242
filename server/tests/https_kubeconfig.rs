//! `wheelhouse serve` as a learner runs it: the kubeconfig it hands out over plain HTTP points the
//! real kubectl 1.33 at its HTTPS listener with the self-signed certificate to trust, and the real
//! kubectl works with it as downloaded (no flags, no proxy).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_downloaded_kubeconfig_works_with_the_real_kubectl() {
    let dir = support::target_dir().join(format!("https-kubeconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wheelhouse"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--tls-addr",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wheelhouse starts");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let serve = Serve(child);
    // "Wheelhouse is running at http://127.0.0.1:PORT/", then the HTTPS line.
    let mut http = None;
    let mut https = false;
    for line in stdout.lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("Wheelhouse is running at ") {
            http = Some(rest.trim_end_matches('/').to_string());
        }
        if line.contains("for the real kubectl: https://") {
            https = true;
            break;
        }
    }
    let http = http.expect("the printed URL");
    assert!(https, "an HTTPS listener is announced");

    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "--fail"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let created: serde_json::Value =
        serde_json::from_str(&curl(&["-X", "POST", &format!("{http}/api/sessions")])).unwrap();
    let (id, token) = (
        created["id"].as_str().unwrap(),
        created["token"].as_str().unwrap(),
    );
    let kubeconfig = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{http}/api/sessions/{id}/kubeconfig"),
    ]);
    assert!(
        kubeconfig.contains("server: \"https://127.0.0.1:"),
        "{kubeconfig}"
    );
    assert!(
        kubeconfig.contains("certificate-authority-data: "),
        "{kubeconfig}"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, &kubeconfig).unwrap();

    let kubectl = |args: &[&str]| {
        let out = Command::new(support::kubectl().expect("kubectl 1.33"))
            .args(args)
            .env("KUBECONFIG", &path)
            .env("HOME", &dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = kubectl(&["get", "nodes", "-o", "name"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("node/minikube\n"), "{out}");
    let (code, out, err) = kubectl(&["run", "web", "--image=nginx:1.25"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "pod/web created\n"),
        "{err}"
    );
    // The terminal's kubectl sees what the real one made.
    let shell = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"line": "kubectl get pods -o name"}"#,
        &format!("{http}/api/sessions/{id}/shell"),
    ]);
    assert!(shell.contains("pod/web"), "{shell}");
    drop(serve);
    std::thread::sleep(Duration::from_millis(50));
    let _ = std::fs::remove_dir_all(&dir);
}
