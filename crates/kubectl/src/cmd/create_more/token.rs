//! `kubectl create token SERVICEACCOUNT` (`create_token.go`): a TokenRequest on the service
//! account's `token` subresource.

use serde_json::json;

use super::name_arg;
use crate::cmd::resources::json_request;
use crate::cmd::Env;
use crate::flags::{v, Flag, Parsed};
use crate::{printers, Output};

pub const TOKEN_FLAGS: &[Flag] = &[
    v("duration", None),
    v("audience", None),
    v("bound-object-kind", None),
    v("bound-object-name", None),
    v("bound-object-uid", None),
];

/// `--duration` in seconds (Go duration syntax: `10m`, `1h`, `3600s`).
fn duration_seconds(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
    }
    if !number.is_empty() {
        return None;
    }
    Some(total)
}

pub fn token(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "token", out) else {
        return;
    };
    let mut spec = json!({"audiences": null, "boundObjectRef": null, "expirationSeconds": null});
    if let Some(d) = p.get("duration") {
        match duration_seconds(d) {
            Some(s) if s > 0 => spec["expirationSeconds"] = json!(s),
            Some(_) => {}
            None => {
                out.fail(format!(
                    "error: invalid argument \"{d}\" for \"--duration\" flag: time: invalid duration \"{d}\"\nSee 'kubectl create token --help' for usage."
                ));
                return;
            }
        }
    }
    let audiences = p.all("audience");
    if audiences.iter().any(String::is_empty) {
        out.fail("error: --audience must not be an empty string");
        return;
    }
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    if p.get("bound-object-kind").is_none() {
        if p.has("bound-object-name") {
            out.fail(
                "error: --bound-object-name can only be set if --bound-object-kind is provided",
            );
            return;
        }
        if p.has("bound-object-uid") {
            out.fail(
                "error: --bound-object-uid can only be set if --bound-object-kind is provided",
            );
            return;
        }
    }
    let request = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": spec,
        "status": {"token": "", "expirationTimestamp": null},
    });
    let path = format!(
        "/api/v1/namespaces/{}/serviceaccounts/{name}/token",
        env.namespace
    );
    let resp = env
        .transport
        .call(json_request("POST", path, "application/json", &request));
    if resp.status >= 400 {
        let message = resp
            .body_json()
            .and_then(|b| b["message"].as_str().map(str::to_string))
            .unwrap_or_default();
        out.fail(format!("error: failed to create token: {message}"));
        return;
    }
    let response = resp.body_json().unwrap_or_default();
    let token = response["status"]["token"].as_str().unwrap_or("");
    if token.is_empty() {
        out.fail("error: failed to create token: no token in server response");
        return;
    }
    match p.get("output") {
        Some("yaml") => out.stdout.push_str(&printers::yaml::to_string(&response)),
        Some("json") => out.stdout.push_str(&printers::json::to_string(&response)),
        // The terminal is a TTY, where kubectl ends the token with a newline.
        _ => out.stdout.push_str(&format!("{token}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_go_durations_in_seconds() {
        assert_eq!(duration_seconds("10m"), Some(600));
        assert_eq!(duration_seconds("1h30m"), Some(5400));
        assert_eq!(duration_seconds("45s"), Some(45));
        assert_eq!(duration_seconds("10"), None);
        assert_eq!(duration_seconds("3d"), None);
    }
}
