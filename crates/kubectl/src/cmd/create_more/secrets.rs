//! `kubectl create secret docker-registry` and `kubectl create secret tls`
//! (`create_secret_docker.go`, `create_secret_tls.go`).

use base64::Engine;
use serde_json::{json, Value};

use super::{metadata, name_arg, send, Target};
use crate::cmd::Env;
use crate::flags::{b, v, Flag, Parsed};
use crate::{printers, Output};

pub const DOCKER_REGISTRY_FLAGS: &[Flag] = &[
    v("docker-server", None),
    v("docker-username", None),
    v("docker-password", None),
    v("docker-email", None),
    v("from-file", None),
    b("append-hash", None),
];
pub const TLS_FLAGS: &[Flag] = &[v("cert", None), v("key", None), b("append-hash", None)];

const SECRETS: Target = Target {
    plural: "secrets",
    namespaced: true,
    failure: Some("failed to create secret "),
};

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `.dockerconfigjson` kubectl writes: Go's field order (username, password, email, auth),
/// compact, email left out when empty.
pub fn docker_config_json(server: &str, user: &str, password: &str, email: &str) -> String {
    let auth = encode(format!("{user}:{password}").as_bytes());
    let email = if email.is_empty() {
        String::new()
    } else {
        format!(",\"email\":{}", printers::json::to_compact(&json!(email)))
    };
    let q = |s: &str| printers::json::to_compact(&json!(s));
    format!(
        "{{\"auths\":{{{}:{{\"username\":{},\"password\":{}{email},\"auth\":{}}}}}}}",
        q(server),
        q(user),
        q(password),
        q(&auth)
    )
}

fn secret(name: &str, env: &Env, secret_type: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, env),
        "type": secret_type,
        "data": data,
    })
}

/// `kubectl create secret docker-registry NAME --docker-username=U --docker-password=P [--docker-server] [--docker-email]`.
pub fn docker_registry(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "secret docker-registry", out) else {
        return;
    };
    let server = p
        .get("docker-server")
        .unwrap_or("https://index.docker.io/v1/");
    let user = p.get("docker-username").unwrap_or("");
    let password = p.get("docker-password").unwrap_or("");
    let files = p.all("from-file");
    if files.is_empty() && (user.is_empty() || password.is_empty() || server.is_empty()) {
        out.fail("error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required");
        return;
    }
    let config = if let Some(file) = files.first() {
        let (_, path) = file.split_once('=').unwrap_or(("", file));
        match env.files.get(path) {
            Some(text) => text.clone(),
            None => {
                out.fail(format!(
                    "error: error reading {path}: no such file or directory"
                ));
                return;
            }
        }
    } else {
        docker_config_json(server, user, password, p.get("docker-email").unwrap_or(""))
    };
    let data = json!({".dockerconfigjson": encode(config.as_bytes())});
    let obj = secret(&name, env, "kubernetes.io/dockerconfigjson", data);
    send(p, env, out, obj, SECRETS);
}

/// `kubectl create secret tls NAME --cert=FILE --key=FILE`, reading the editor's files.
pub fn tls(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "secret tls", out) else {
        return;
    };
    let (cert, key) = (p.get("cert").unwrap_or(""), p.get("key").unwrap_or(""));
    if cert.is_empty() || key.is_empty() {
        out.fail("error: key and cert must be specified");
        return;
    }
    let mut contents = Vec::new();
    for path in [cert, key] {
        match env.files.get(path) {
            Some(text) => contents.push(text.clone()),
            None => {
                out.fail(format!(
                    "error: Cannot read file {path}, open {path}: no such file or directory"
                ));
                return;
            }
        }
    }
    // `tls.X509KeyPair` checks the pair; the emulation checks only that both are PEM.
    if !contents[0].contains("-----BEGIN") {
        out.fail(
            "error: failed to load key pair tls: failed to find any PEM data in certificate input",
        );
        return;
    }
    if !contents[1].contains("-----BEGIN") {
        out.fail("error: failed to load key pair tls: failed to find any PEM data in key input");
        return;
    }
    let data = json!({"tls.crt": encode(contents[0].as_bytes()), "tls.key": encode(contents[1].as_bytes())});
    let obj = secret(&name, env, "kubernetes.io/tls", data);
    send(p, env, out, obj, SECRETS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_keeps_gos_field_order() {
        // The base64 kubectl 1.33 prints for these flags.
        assert_eq!(
            encode(docker_config_json("example.com", "u", "p", "e@x").as_bytes()),
            "eyJhdXRocyI6eyJleGFtcGxlLmNvbSI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJlbWFpbCI6ImVAeCIsImF1dGgiOiJkVHB3In19fQ=="
        );
        assert_eq!(
            docker_config_json("s", "u", "p", ""),
            r#"{"auths":{"s":{"username":"u","password":"p","auth":"dTpw"}}}"#
        );
    }
}
