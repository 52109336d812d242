//! `kubectl auth can-i VERB RESOURCE[/NAME]`: a SelfSubjectAccessReview, after upstream
//! `pkg/cmd/auth/cani.go`.

use serde_json::{json, Map, Value};

use super::resources::json_request;
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag};
use crate::{server_error, Output};

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    match args.first().map(String::as_str) {
        Some("can-i") => can_i(&args[1..], env, out),
        _ => out.fail(format!(
            "error: \"kubectl auth {}\" is not emulated in this terminal; the real kubectl can run it against this session",
            args.first().map(String::as_str).unwrap_or("")
        )),
    }
}

fn can_i(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("all-namespaces", Some('A')),
        b("quiet", Some('q')),
        b("list", None),
        b("no-headers", None),
        v("subresource", None),
    ];
    let Some(p) = parse_flags("auth can-i", args, F, out) else {
        return;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    if p.bool("list") {
        out.fail("error: \"kubectl auth can-i --list\" is not emulated in this terminal yet; the real kubectl can run it against this session");
        return;
    }
    let (verb, target) = match p.args.as_slice() {
        [verb, target, ..] => (verb.clone(), target.clone()),
        _ => {
            out.fail("error: you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples");
            return;
        }
    };
    let mut attrs = Map::new();
    if target.starts_with('/') {
        attrs.insert("path".into(), json!(target));
        attrs.insert("verb".into(), json!(verb));
    } else {
        let (typed, name) = target.split_once('/').unwrap_or((&target, ""));
        let namespace = if p.bool("all-namespaces") {
            String::new()
        } else {
            env.namespace.clone()
        };
        let mapping = env.discovery().resolve(typed).cloned();
        let (group, resource) = match &mapping {
            Some(m) => (m.group.clone(), m.plural.clone()),
            None => {
                out.stderr.push_str(&format!(
                    "Warning: the server doesn't have a resource type '{typed}'\n\n"
                ));
                (String::new(), typed.to_string())
            }
        };
        if !namespace.is_empty() {
            attrs.insert("namespace".into(), json!(namespace));
        }
        attrs.insert("verb".into(), json!(verb));
        if !group.is_empty() {
            attrs.insert("group".into(), json!(group));
        }
        attrs.insert("resource".into(), json!(resource));
        if let Some(sub) = p.get("subresource") {
            attrs.insert("subresource".into(), json!(sub));
        }
        if !name.is_empty() {
            attrs.insert("name".into(), json!(name));
        }
    }
    let key = if attrs.contains_key("path") {
        "nonResourceAttributes"
    } else {
        "resourceAttributes"
    };
    let review = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {key: Value::Object(attrs)},
        "status": {"allowed": false},
    });
    let mut request = json_request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews".into(),
        "application/json",
        &review,
    );
    if let Some(user) = p.get("as") {
        request = request.header("impersonate-user", user);
    }
    for group in p.all("as-group") {
        request = request.header("impersonate-group", group);
    }
    let resp = env.transport.call(request);
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let status = resp.body_json().unwrap_or_default()["status"].clone();
    let allowed = status["allowed"].as_bool().unwrap_or(false);
    if !p.bool("quiet") {
        let answer = if allowed { "yes" } else { "no" };
        match status["reason"]
            .as_str()
            .filter(|r| !r.is_empty() && !allowed)
        {
            Some(reason) => out.stdout.push_str(&format!("{answer} - {reason}\n")),
            None => out.stdout.push_str(&format!("{answer}\n")),
        }
    }
    if !allowed {
        out.exit_code = 1;
    }
}
