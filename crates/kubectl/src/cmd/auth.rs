//! `kubectl auth can-i VERB RESOURCE[/NAME]` (a SelfSubjectAccessReview), `auth can-i --list`
//! (a SelfSubjectRulesReview) and `auth whoami` (a SelfSubjectReview), after upstream
//! `pkg/cmd/auth/cani.go` and `whoami.go`.

use serde_json::{json, Map, Value};

use super::describe::rbac::{compact, go_list, Rule};
use super::resources::json_request;
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag, Parsed};
use crate::printers::tabwriter::{TabWriter, GET};
use crate::rest::Request;
use crate::{server_error, Output};

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    match args.first().map(String::as_str) {
        Some("can-i") => can_i(&args[1..], env, out),
        Some("whoami") => whoami(&args[1..], env, out),
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
        list(&p, env, out);
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

/// Adds the impersonation headers of `--as` and `--as-group`.
fn impersonating(mut request: Request, p: &Parsed) -> Request {
    if let Some(user) = p.get("as") {
        request = request.header("impersonate-user", user);
    }
    for group in p.all("as-group") {
        request = request.header("impersonate-group", group);
    }
    request
}

/// `kubectl auth can-i --list`: the rules of a SelfSubjectRulesReview, broken down, compacted
/// and sorted as `describe role` does, in a table.
fn list(p: &Parsed, env: &mut Env, out: &mut Output) {
    let review = json!({
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {"namespace": env.namespace},
        "status": {"resourceRules": null, "nonResourceRules": null, "incomplete": false},
    });
    let request = json_request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews".into(),
        "application/json",
        &review,
    );
    let resp = env.transport.call(impersonating(request, p));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let status = resp.body_json().unwrap_or_default()["status"].clone();
    if status["incomplete"].as_bool() == Some(true) {
        out.stderr.push_str(&format!(
            "warning: the list may be incomplete: {}\n",
            status["evaluationError"].as_str().unwrap_or("")
        ));
    }
    // `convertToPolicyRule`: resource rules, then non-resource rules.
    let mut rules: Vec<Rule> = Vec::new();
    for r in status["resourceRules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        rules.push(Rule::from_json(&r));
    }
    for r in status["nonResourceRules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        rules.push(Rule::from_json(&r));
    }
    let mut tw = TabWriter::new(GET);
    if !p.bool("no-headers") {
        tw.write("Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    }
    for r in compact(&rules) {
        tw.write(&format!(
            "{}\t{}\t{}\t{}\n",
            r.resource_column(),
            go_list(&r.non_resource_urls),
            go_list(&r.resource_names),
            go_list(&r.verbs)
        ));
    }
    out.stdout.push_str(&tw.take());
}

/// `kubectl auth whoami`: a SelfSubjectReview on the newest version the server serves.
fn whoami(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("output", Some('o')),
        v("template", None),
        b("allow-missing-template-keys", None),
        b("show-managed-fields", None),
    ];
    let Some(p) = parse_flags("auth whoami", args, F, out) else {
        return;
    };
    let mut last = None;
    for version in ["v1", "v1beta1", "v1alpha1"] {
        let review = json!({
            "kind": "SelfSubjectReview",
            "apiVersion": format!("authentication.k8s.io/{version}"),
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {}},
        });
        let request = json_request(
            "POST",
            format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews"),
            "application/json",
            &review,
        );
        let resp = env.transport.call(impersonating(request, &p));
        if resp.status != 404 {
            last = Some(resp);
            break;
        }
    }
    let Some(resp) = last else {
        out.fail("error: the selfsubjectreviews API is not enabled in the cluster\nenable APISelfSubjectReview feature gate and authentication.k8s.io/v1alpha1 or authentication.k8s.io/v1beta1 API");
        return;
    };
    if resp.status == 403 {
        out.fail("error: the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it");
        return;
    }
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let review = resp.body_json().unwrap_or_default();
    match p.get("output") {
        Some("yaml") => out
            .stdout
            .push_str(&crate::printers::yaml::to_string(&review)),
        Some("json") => out
            .stdout
            .push_str(&crate::printers::json::to_string(&review)),
        _ => out
            .stdout
            .push_str(&user_info_table(&review["status"]["userInfo"])),
    }
}

/// `printTableSelfSubjectAccessReview`: ATTRIBUTE / VALUE rows for what is set.
fn user_info_table(info: &Value) -> String {
    let mut tw = TabWriter::new(GET);
    tw.write("ATTRIBUTE\tVALUE\n");
    if let Some(name) = info["username"].as_str().filter(|n| !n.is_empty()) {
        tw.write(&format!("Username\t{name}\n"));
    }
    if let Some(uid) = info["uid"].as_str().filter(|n| !n.is_empty()) {
        tw.write(&format!("UID\t{uid}\n"));
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let groups = strings(&info["groups"]);
    if !groups.is_empty() {
        tw.write(&format!("Groups\t{}\n", go_list(&groups)));
    }
    if let Some(extra) = info["extra"].as_object() {
        let mut keys: Vec<&String> = extra.keys().collect();
        keys.sort();
        for k in keys {
            tw.write(&format!("Extra: {k}\t{}\n", go_list(&strings(&extra[k]))));
        }
    }
    tw.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_lists_the_attributes_that_are_set() {
        let info = json!({"username": "alice", "groups": ["devs", "system:authenticated"]});
        assert_eq!(
            user_info_table(&info),
            "ATTRIBUTE   VALUE\nUsername    alice\nGroups      [devs system:authenticated]\n"
        );
    }
}
