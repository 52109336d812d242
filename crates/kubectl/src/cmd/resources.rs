//! Commands that create, change and delete objects, and read logs.

use serde_json::{json, Map, Value};

use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag, Parsed};
use crate::printers;
use crate::rest::{percent_encode, Request, Response};
use crate::{server_error, Output};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub fn run(command: &str, args: &[String], env: &mut Env, out: &mut Output) {
    match command {
        "apply" => apply(args, env, out),
        "create" => create(args, env, out),
        "delete" => delete(args, env, out),
        "scale" => scale(args, env, out),
        "label" => label_or_annotate(args, env, out, true),
        "annotate" => label_or_annotate(args, env, out, false),
        "logs" => logs(args, env, out),
        "run" => run_pod(args, env, out),
        "patch" => patch(args, env, out),
        "set" if args.first().map(String::as_str) == Some("image") => set_image(&args[1..], env, out),
        "set" if args.first().map(String::as_str) == Some("env") => {
            super::set_env::set_env(&args[1..], env, out)
        }
        "set" if args.first().map(String::as_str) == Some("resources") => {
            super::set_env::set_resources(&args[1..], env, out)
        }
        "rollout" if matches!(args.first().map(String::as_str), Some("pause" | "resume" | "restart")) => {
            rollout_toggle(args, env, out)
        }
        "rollout" => super::rollout::run(args, env, out),
        "expose" => super::expose::run(args, env, out),
        "auth" => super::auth::run(args, env, out),
        "explain" => super::explain::run(args, env, out),
        "top" => super::top::run(args, env, out),
        "replace" => super::replace::run(args, env, out),
        "autoscale" => super::autoscale::run(args, env, out),
        "diff" => super::diff::run(args, env, out),
        "taint" => super::taint::run(args, env, out),
        "cordon" | "uncordon" => super::drain::cordon(command, args, env, out),
        "drain" => super::drain::drain(args, env, out),
        "options" => super::completion::options(args, env, out),
        "completion" => super::completion::completion(args, env, out),
        other => out.fail(format!(
            "error: \"kubectl {other}\" is not emulated in this terminal yet; the real kubectl can run it against this session (download the kubeconfig)"
        )),
    }
}

pub(super) fn set_namespace(p: &Parsed, env: &mut Env) {
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
}

/// PATCHes `path`; on a server error reports it the way kubectl does and returns false.
fn send_patch(
    env: &mut Env,
    out: &mut Output,
    path: String,
    content_type: &str,
    patch: &Value,
) -> bool {
    let resp = env
        .transport
        .call(json_request("PATCH", path, content_type, patch));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return false;
    }
    true
}

pub(super) fn json_request(
    method: &str,
    path: String,
    content_type: &str,
    body: &Value,
) -> Request {
    let mut r = Request::new(method, path)
        .header("accept", "application/json")
        .header("content-type", content_type);
    r.body = printers::json::to_compact(body).into_bytes();
    r
}

/// Reads the documents of `-f` files (a file name or a directory of `.yaml`/`.yml`/`.json`).
pub(super) fn read_manifests(
    paths: &[String],
    env: &Env,
    out: &mut Output,
) -> Option<Vec<(String, Value)>> {
    let mut docs = Vec::new();
    for path in paths {
        let mut names: Vec<&String> = Vec::new();
        if let Some((name, _)) = env.files.get_key_value(path.as_str()) {
            names.push(name);
        } else {
            let dir = format!("{}/", path.trim_end_matches('/'));
            names.extend(env.files.keys().filter(|k| {
                k.starts_with(&dir)
                    && (k.ends_with(".yaml") || k.ends_with(".yml") || k.ends_with(".json"))
            }));
            if names.is_empty() {
                out.fail(format!("error: the path \"{path}\" does not exist"));
                return None;
            }
        }
        for name in names {
            let text = &env.files[name.as_str()];
            match crate::manifest::parse_documents(text) {
                Ok(values) => docs.extend(values.into_iter().map(|v| (name.clone(), v))),
                Err(e) => {
                    out.fail(format!("error: error parsing {name}: {e}"));
                    return None;
                }
            }
        }
    }
    Some(docs)
}

pub(super) fn mapping_for(env: &mut Env, obj: &Value) -> Option<Mapping> {
    let av = obj["apiVersion"].as_str().unwrap_or("");
    let kind = obj["kind"].as_str().unwrap_or("");
    env.discovery().for_kind(av, kind).cloned()
}

/// kubectl's error for a manifest whose apiVersion and kind the server does not serve.
pub(super) fn mapping_not_found(file: &str, obj: &Value) -> String {
    format!(
        "error: resource mapping not found for name: \"{}\" namespace: \"\" from \"{file}\": no matches for kind \"{}\" in version \"{}\"\nensure CRDs are installed first",
        obj["metadata"]["name"].as_str().unwrap_or(""),
        obj["kind"].as_str().unwrap_or(""),
        obj["apiVersion"].as_str().unwrap_or("")
    )
}

/// A manifest's name and namespace (the file's, else the command's), with the namespace written
/// into a namespaced object as kubectl's builder does.
pub(super) fn place(env: &Env, m: &Mapping, obj: &mut Value) -> (String, String) {
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| env.namespace.clone());
    if m.namespaced {
        obj["metadata"]["namespace"] = json!(ns);
    }
    (name, ns)
}

fn apply(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        b("recursive", Some('R')),
        v("output", Some('o')),
        v("dry-run", None),
        b("server-side", None),
        b("force-conflicts", None),
        v("field-manager", None),
        b("prune", None),
        v("selector", Some('l')),
        v("validate", None),
        b("record", None),
        b("overwrite", None),
        b("force", None),
        v("grace-period", None),
        v("kustomize", Some('k')),
    ];
    let Some(p) = parse_flags("apply", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let files = p.all("filename");
    if files.is_empty() {
        out.fail("error: must specify one of -f and -k");
        return;
    }
    let Some(docs) = read_manifests(&files, env, out) else {
        return;
    };
    let dry = p.get("dry-run").unwrap_or("none").to_string();
    let suffix = match dry.as_str() {
        "client" => " (dry run)",
        "server" => " (server dry run)",
        _ => "",
    };
    for (file, mut obj) in docs {
        let Some(m) = mapping_for(env, &obj) else {
            out.fail(mapping_not_found(&file, &obj));
            continue;
        };
        let (name, ns) = place(env, &m, &mut obj);
        if p.has("server-side") {
            server_side_apply(&p, env, out, &m, &file, &ns, &name, &obj);
            continue;
        }
        // The annotation records the configuration without itself.
        let mut config = obj.clone();
        if !config["metadata"]["annotations"].is_object() {
            config["metadata"]["annotations"] = json!({});
        }
        config["metadata"]["annotations"]
            .as_object_mut()
            .expect("object")
            .remove(LAST_APPLIED);
        let annotation = printers::json::to_compact(&config) + "\n";
        let mut modified = config.clone();
        modified["metadata"]["annotations"][LAST_APPLIED] = json!(annotation);
        let live = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        let dry_q = if dry == "server" { "&dryRun=All" } else { "" };
        if live.status == 404 {
            if dry != "client" {
                let path = format!(
                    "{}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict{dry_q}",
                    m.collection_path(Some(&ns))
                );
                // Only the status is read: the created object need not be encoded.
                let (resp, _) = env.transport.call_json(json_request(
                    "POST",
                    path,
                    "application/json",
                    &modified,
                ));
                if resp.status >= 400 {
                    out.fail(format!(
                        "Error from server ({}): error when creating \"{file}\": {}",
                        reason(&resp),
                        message(&resp)
                    ));
                    continue;
                }
            }
            print_result(&p, out, &m, &name, &format!("created{suffix}"), &modified);
            continue;
        }
        let current = live.body_json().unwrap_or_default();
        if current["metadata"]["annotations"][LAST_APPLIED].is_null() && dry != "client" {
            out.stderr.push_str(&format!(
                "Warning: resource {}/{name} is missing the {LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n",
                m.qualified_plural()
            ));
        }
        let original: Value = current["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        let mut patch = crate::threeway::three_way_patch(&original, &modified, &current);
        if patch.as_object().is_some_and(|p| p.is_empty()) {
            print_result(&p, out, &m, &name, &format!("unchanged{suffix}"), &current);
            continue;
        }
        patch["metadata"]["annotations"][LAST_APPLIED] = json!(annotation);
        if dry != "client" {
            let path = format!(
                "{}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict{dry_q}",
                m.object_path(Some(&ns), &name)
            );
            let (resp, _) = env.transport.call_json(json_request(
                "PATCH",
                path,
                "application/strategic-merge-patch+json",
                &patch,
            ));
            if resp.status >= 400 {
                out.fail(format!("Error from server ({}): error when applying patch:\n{}\nto:\nResource: \"{}\", GroupVersionKind: \"{}\"\nName: \"{name}\", Namespace: \"{ns}\"\nfor: \"{file}\": {}", reason(&resp), printers::json::to_compact(&patch), m.qualified_plural(), m.api_version(), message(&resp)));
                continue;
            }
        }
        print_result(
            &p,
            out,
            &m,
            &name,
            &format!("configured{suffix}"),
            &modified,
        );
    }
}

/// `kubectl apply --server-side`: one apply patch per object (the JSON encoding of the
/// manifest, sent as `application/apply-patch+yaml`); the server merges it and tracks ownership.
#[allow(clippy::too_many_arguments)]
fn server_side_apply(
    p: &Parsed,
    env: &mut Env,
    out: &mut Output,
    m: &Mapping,
    file: &str,
    ns: &str,
    name: &str,
    obj: &Value,
) {
    let dry = p.get("dry-run").unwrap_or("none");
    if dry == "client" {
        out.fail("error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)");
        return;
    }
    let manager = p.get("field-manager").unwrap_or("kubectl");
    let dry_q = if dry == "server" { "dryRun=All&" } else { "" };
    let force = p.has("force-conflicts");
    let path = format!(
        "{}?{dry_q}fieldManager={manager}&fieldValidation=Strict&force={force}",
        m.object_path(Some(ns), name)
    );
    let resp = env.transport.call(json_request(
        "PATCH",
        path,
        "application/apply-patch+yaml",
        obj,
    ));
    if resp.status == 409 {
        out.fail(format!(
            "error: {}
{SSA_CONFLICT_HELP}",
            message(&resp)
        ));
        return;
    }
    if resp.status >= 400 {
        out.fail(format!(
            "Error from server ({}): error when applying patch:\n{}\nto:\nResource: \"{}\", GroupVersionKind: \"{}\"\nName: \"{name}\", Namespace: \"{ns}\"\nfor: \"{file}\": {}",
            reason(&resp),
            printers::json::to_compact(obj),
            m.qualified_plural(),
            m.api_version(),
            message(&resp)
        ));
        return;
    }
    let suffix = if dry == "server" {
        " (server dry run)"
    } else {
        ""
    };
    let mut applied = resp.body_json().unwrap_or_default();
    super::get::strip(&mut applied, false);
    print_result(
        p,
        out,
        m,
        name,
        &format!("serverside-applied{suffix}"),
        &applied,
    );
}

/// What kubectl adds to a server-side apply conflict (apply.go).
const SSA_CONFLICT_HELP: &str =
    "Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts";

fn reason(resp: &Response) -> String {
    resp.body_json()
        .and_then(|v| v["reason"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn message(resp: &Response) -> String {
    resp.body_json()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `kind/name verb`, or the object in the `-o` format.
pub(super) fn print_result(
    p: &Parsed,
    out: &mut Output,
    m: &Mapping,
    name: &str,
    verb: &str,
    obj: &Value,
) {
    match p.get("output") {
        Some("yaml") => out.stdout.push_str(&printers::yaml::to_string(obj)),
        Some("json") => out.stdout.push_str(&printers::json::to_string(obj)),
        Some("name") => out
            .stdout
            .push_str(&format!("{}/{name}\n", m.kind_prefix())),
        _ => out
            .stdout
            .push_str(&format!("{}/{name} {verb}\n", m.kind_prefix())),
    }
}

/// Posts a generated object (create subcommands, run), honouring `--dry-run` and `-o`.
pub(super) fn post_generated(
    p: &Parsed,
    env: &mut Env,
    out: &mut Output,
    obj: Value,
    field_manager: &str,
    verb: &str,
) {
    let Some(m) = mapping_for(env, &obj) else {
        return;
    };
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let dry = p.get("dry-run").unwrap_or("none");
    if dry == "client" {
        let suffix = if p.has("output") { "" } else { " (dry run)" };
        print_result(p, out, &m, &name, &format!("{verb}{suffix}"), &obj);
        return;
    }
    let dry_q = if dry == "server" { "&dryRun=All" } else { "" };
    let ns = env.namespace.clone();
    let path = format!(
        "{}?fieldManager={field_manager}&fieldValidation=Strict{dry_q}",
        m.collection_path(Some(&ns))
    );
    let resp = env
        .transport
        .call(json_request("POST", path, "application/json", &obj));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let created = resp.body_json().unwrap_or(obj);
    let suffix = if dry == "server" && !p.has("output") {
        " (server dry run)"
    } else {
        ""
    };
    print_result(p, out, &m, &name, &format!("{verb}{suffix}"), &created);
}

/// `nginx:1.25` → `nginx`, `registry.io/team/app@sha256:..` → `app`: kubectl's container name.
fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last).to_string()
}

fn create(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        v("output", Some('o')),
        v("dry-run", None),
        v("image", None),
        v("replicas", Some('r')),
        v("port", None),
        v("from-literal", None),
        v("from-file", None),
        v("from-env-file", None),
        v("type", None),
        v("docker-server", None),
        v("docker-username", None),
        v("docker-password", None),
        v("docker-email", None),
        v("cert", None),
        v("key", None),
        v("tcp", None),
        v("external-name", None),
        v("node-port", None),
        v("verb", None),
        v("resource", None),
        v("role", None),
        v("clusterrole", None),
        v("serviceaccount", None),
        v("user", None),
        v("group", None),
        v("schedule", None),
        v("from", None),
        v("field-manager", None),
        v("validate", None),
        b("save-config", None),
        b("record", None),
        b("edit", None),
        b("recursive", Some('R')),
        v("selector", Some('l')),
    ];
    let sub = args.first().map(String::as_str).unwrap_or("");
    if sub.starts_with('-') {
        return create_from_files(args, env, out);
    }
    if super::create_more::run(sub, args, env, out) {
        return;
    }
    let Some(p) = parse_flags(
        &format!("create {sub}").trim_end().to_string(),
        args,
        F,
        out,
    ) else {
        return;
    };
    set_namespace(&p, env);
    let rest: Vec<String> = p.args.iter().skip(1).cloned().collect();
    let name = rest.first().cloned().unwrap_or_default();
    let ns = env.namespace.clone();
    match sub {
        "namespace" | "ns" => {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": null, "name": name}, "spec": {}, "status": {}});
            super::create_more::create_generated(&p, env, out, obj, None);
        }
        "deployment" | "deploy" => {
            let images = p.all("image");
            if images.is_empty() {
                out.fail("error: required flag(s) \"image\" not set");
                return;
            }
            let replicas: i64 = p.get("replicas").and_then(|r| r.parse().ok()).unwrap_or(1);
            let containers: Vec<Value> = images
                .iter()
                .map(|i| {
                    let mut c = json!({"image": i, "name": container_name(i), "resources": {}});
                    if let Some(port) = p.get("port").and_then(|x| x.parse::<i64>().ok()) {
                        c["ports"] = json!([{"containerPort": port}]);
                    }
                    c
                })
                .collect();
            let mut obj = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"creationTimestamp": null, "labels": {"app": name}, "name": name},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "strategy": {},
                         "template": {"metadata": {"creationTimestamp": null, "labels": {"app": name}},
                                      "spec": {"containers": containers}}},
                "status": {}
            });
            if env.explicit_namespace {
                obj["metadata"]["namespace"] = json!(ns);
            }
            super::create_more::create_generated(
                &p,
                env,
                out,
                obj,
                Some("failed to create deployment: "),
            );
        }
        "configmap" | "cm" => {
            let mut data = Map::new();
            for lit in p.all("from-literal") {
                let (k, v) = lit.split_once('=').unwrap_or((&lit, ""));
                data.insert(k.to_string(), json!(v));
            }
            for f in p.all("from-file") {
                let (k, path) = f
                    .split_once('=')
                    .map(|(k, p)| (k.to_string(), p.to_string()))
                    .unwrap_or_else(|| (f.rsplit('/').next().unwrap_or(&f).to_string(), f.clone()));
                match env.files.get(&path) {
                    Some(text) => {
                        data.insert(k, json!(text));
                    }
                    None => {
                        out.fail(format!(
                            "error: error reading {path}: no such file or directory"
                        ));
                        return;
                    }
                }
            }
            let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"creationTimestamp": null, "name": name}});
            if !data.is_empty() {
                obj["data"] = Value::Object(data);
            }
            if env.explicit_namespace {
                obj["metadata"]["namespace"] = json!(ns);
            }
            super::create_more::create_generated(
                &p,
                env,
                out,
                obj,
                Some("failed to create configmap: "),
            );
        }
        "secret" => {
            use base64::Engine;
            let kind = rest.first().cloned().unwrap_or_default();
            let name = rest.get(1).cloned().unwrap_or_default();
            let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
            let mut data = Map::new();
            let secret_type = match kind.as_str() {
                "generic" => {
                    for lit in p.all("from-literal") {
                        let (k, v) = lit.split_once('=').unwrap_or((&lit, ""));
                        data.insert(k.to_string(), json!(enc(v)));
                    }
                    // kubectl leaves the type to the server's default (Opaque) unless --type is given.
                    p.get("type").unwrap_or("").to_string()
                }
                "docker-registry" => {
                    let server = p
                        .get("docker-server")
                        .unwrap_or("https://index.docker.io/v1/");
                    let user = p.get("docker-username").unwrap_or("");
                    let pass = p.get("docker-password").unwrap_or("");
                    let mut entry = json!({"username": user, "password": pass, "auth": enc(&format!("{user}:{pass}"))});
                    if let Some(e) = p.get("docker-email") {
                        entry["email"] = json!(e);
                    }
                    let cfg = json!({"auths": {server: entry}});
                    data.insert(
                        ".dockerconfigjson".into(),
                        json!(enc(&printers::json::to_compact(&cfg))),
                    );
                    "kubernetes.io/dockerconfigjson".into()
                }
                _ => {
                    out.fail(format!(
                        "error: unknown command \"{kind}\" for \"kubectl create secret\""
                    ));
                    return;
                }
            };
            let mut obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"creationTimestamp": null, "name": name}});
            if !secret_type.is_empty() {
                obj["type"] = json!(secret_type);
            }
            if !data.is_empty() {
                obj["data"] = Value::Object(data);
            }
            super::create_more::create_generated(
                &p,
                env,
                out,
                obj,
                Some("failed to create secret "),
            );
        }
        "serviceaccount" | "sa" => {
            let obj = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"creationTimestamp": null, "name": name}});
            super::create_more::create_generated(
                &p,
                env,
                out,
                obj,
                Some("failed to create serviceaccount: "),
            );
        }
        "service" | "svc" => super::create_more::service(&p, env, out),
        "" => out
            .stdout
            .push_str(super::help::text("create").unwrap_or("")),
        _ => out.fail(format!(
            "error: Unexpected args: [{}]\nSee 'kubectl create -h' for help and examples",
            p.args.join(" ")
        )),
    }
}

fn run_pod(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("image", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("labels", Some('l')),
        v("port", None),
        v("restart", None),
        v("env", None),
        v("command", None),
        b("rm", None),
        b("stdin", Some('i')),
        b("tty", Some('t')),
        b("expose", None),
        v("overrides", None),
        v("image-pull-policy", None),
        b("attach", None),
    ];
    let Some(p) = parse_flags("run", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(name) = p.args.first().cloned() else {
        out.fail("error: NAME is required for run\nSee 'kubectl run -h' for help and examples");
        return;
    };
    let Some(image) = p.get("image").map(str::to_string) else {
        out.fail("error: required flag(s) \"image\" not set");
        return;
    };
    let mut labels = Map::new();
    match p.get("labels") {
        Some(l) => {
            for kv in l.split(',') {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                labels.insert(k.to_string(), json!(v));
            }
        }
        None => {
            labels.insert("run".into(), json!(name));
        }
    }
    let mut container = json!({"image": image, "name": name, "resources": {}});
    if let Some(port) = p.get("port").and_then(|x| x.parse::<i64>().ok()) {
        container["ports"] = json!([{"containerPort": port}]);
    }
    let extra: Vec<String> = p.args[1..].to_vec();
    if !extra.is_empty() {
        container["args"] = json!(extra);
    }
    let restart = p.get("restart").unwrap_or("Always");
    let obj = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"creationTimestamp": null, "labels": labels, "name": name},
        "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
        "status": {}
    });
    post_generated(&p, env, out, obj, "kubectl-run", "created");
}

/// Resolves `type name...` or `type/name...` arguments.
pub(super) fn type_names(
    args: &[String],
    env: &mut Env,
    out: &mut Output,
) -> Option<Vec<(Mapping, String)>> {
    let disc = env.discovery().clone();
    let mut result = Vec::new();
    if args.first().is_some_and(|a| a.contains('/')) {
        for a in args {
            let (t, n) = a.split_once('/').unwrap_or((a, ""));
            match disc.resolve(t) {
                Some(m) => result.push((m.clone(), n.to_string())),
                None => {
                    out.fail(format!(
                        "error: the server doesn't have a resource type \"{t}\""
                    ));
                    return None;
                }
            }
        }
        return Some(result);
    }
    let Some(t) = args.first() else {
        return Some(result);
    };
    let Some(m) = disc.resolve(t) else {
        out.fail(format!(
            "error: the server doesn't have a resource type \"{t}\""
        ));
        return None;
    };
    for n in &args[1..] {
        result.push((m.clone(), n.clone()));
    }
    if args.len() == 1 {
        result.push((m.clone(), String::new()));
    }
    Some(result)
}

fn delete(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        b("all", None),
        b("all-namespaces", Some('A')),
        v("selector", Some('l')),
        v("field-selector", None),
        v("grace-period", None),
        b("now", None),
        b("force", None),
        v("wait", None),
        v("timeout", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("cascade", None),
        b("ignore-not-found", None),
        b("recursive", Some('R')),
        b("interactive", Some('i')),
    ];
    let Some(p) = parse_flags("delete", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let mut targets: Vec<(Mapping, String, String)> = Vec::new();
    let ns = env.namespace.clone();
    if p.has("filename") {
        let Some(docs) = read_manifests(&p.all("filename"), env, out) else {
            return;
        };
        for (_, obj) in docs {
            if let Some(m) = mapping_for(env, &obj) {
                let ns = obj["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or(&ns)
                    .to_string();
                targets.push((
                    m,
                    obj["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    ns,
                ));
            }
        }
    } else {
        if p.args.is_empty() {
            out.fail("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
            return;
        }
        let Some(list) = type_names(&p.args, env, out) else {
            return;
        };
        for (m, n) in list {
            if n.is_empty() {
                if !p.bool("all") && !p.has("selector") && !p.has("field-selector") {
                    out.fail("error: resource(s) were provided, but no name was specified");
                    return;
                }
                let mut q = vec![];
                if let Some(l) = p.get("selector") {
                    q.push(format!("labelSelector={}", percent_encode(l)));
                }
                if let Some(f) = p.get("field-selector") {
                    q.push(format!("fieldSelector={}", percent_encode(f)));
                }
                let path = if q.is_empty() {
                    m.collection_path(Some(&ns))
                } else {
                    format!("{}?{}", m.collection_path(Some(&ns)), q.join("&"))
                };
                let resp = env
                    .transport
                    .call(Request::get(path).header("accept", "application/json"));
                let items = resp.body_json().unwrap_or_default()["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if items.is_empty() {
                    // delete reports an empty selection on stdout, unlike get.
                    out.stdout.push_str("No resources found\n");
                }
                for i in items {
                    targets.push((
                        m.clone(),
                        i["metadata"]["name"].as_str().unwrap_or("").to_string(),
                        ns.clone(),
                    ));
                }
            } else {
                targets.push((m, n, ns.clone()));
            }
        }
    }
    let grace = if p.bool("now") {
        Some(1)
    } else {
        p.get("grace-period").and_then(|g| g.parse::<i64>().ok())
    };
    if p.bool("force") && grace == Some(0) {
        out.stderr.push_str("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
    }
    for (m, name, ns) in targets {
        let mut body =
            json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"});
        if let Some(g) = grace {
            body["gracePeriodSeconds"] = json!(g);
        }
        let resp = env.transport.call(json_request(
            "DELETE",
            m.object_path(Some(&ns), &name),
            "application/json",
            &body,
        ));
        if resp.status == 404 && p.bool("ignore-not-found") {
            continue;
        }
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let verb = if p.bool("force") && grace == Some(0) {
            "force deleted"
        } else {
            "deleted"
        };
        if p.get("output") == Some("name") {
            out.stdout
                .push_str(&format!("{}/{name}\n", m.kind_prefix()));
        } else {
            out.stdout
                .push_str(&format!("{} \"{name}\" {verb}\n", m.kind_prefix()));
        }
    }
}

fn scale(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("replicas", None),
        v("current-replicas", None),
        v("resource-version", None),
        v("selector", Some('l')),
        b("all", None),
        v("filename", Some('f')),
        v("output", Some('o')),
        v("dry-run", None),
        v("timeout", None),
        b("record", None),
    ];
    let Some(p) = parse_flags("scale", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let change_cause = super::record::change_cause("scale", args, F, &p, out);
    let Some(replicas) = p.get("replicas").and_then(|r| r.parse::<i64>().ok()) else {
        out.fail("error: required flag(s) \"replicas\" not set");
        return;
    };
    let Some(list) = type_names(&p.args, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    for (m, name) in list {
        // The resource builder GETs each object before scaling it.
        let live = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        if live.status == 404 {
            out.fail(format!(
                "error: no objects passed to scale {} \"{name}\" not found",
                m.qualified_plural()
            ));
            continue;
        }
        let path = format!("{}/scale", m.object_path(Some(&ns), &name));
        if !send_patch(
            env,
            out,
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": replicas}}),
        ) {
            continue;
        }
        if let Some(cause) = &change_cause {
            // Recorded with a merge patch of its own, whose failure kubectl ignores.
            let annotation =
                json!({"metadata": {"annotations": {super::record::CHANGE_CAUSE: cause}}});
            env.transport.call(json_request(
                "PATCH",
                m.object_path(Some(&ns), &name),
                "application/merge-patch+json",
                &annotation,
            ));
        }
        out.stdout
            .push_str(&format!("{}/{name} scaled\n", m.kind_prefix()));
    }
}

fn label_or_annotate(args: &[String], env: &mut Env, out: &mut Output, labels: bool) {
    const F: &[Flag] = &[
        b("overwrite", None),
        b("all", None),
        b("all-namespaces", Some('A')),
        v("selector", Some('l')),
        v("field-selector", None),
        v("filename", Some('f')),
        b("list", None),
        b("local", None),
        v("output", Some('o')),
        v("dry-run", None),
        v("resource-version", None),
        b("record", None),
    ];
    let command = if labels { "label" } else { "annotate" };
    let Some(p) = parse_flags(command, args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let (pairs, objs): (Vec<String>, Vec<String>) = p
        .args
        .iter()
        .cloned()
        .partition(|a| a.contains('=') || a.ends_with('-'));
    let Some(list) = type_names(&objs, env, out) else {
        return;
    };
    let field = if labels { "labels" } else { "annotations" };
    let ns = env.namespace.clone();
    for (m, name) in list {
        let path = m.object_path(Some(&ns), &name);
        let live = env
            .transport
            .call(Request::get(path.clone()).header("accept", "application/json"));
        if live.status >= 400 {
            out.fail(server_error(&live));
            continue;
        }
        let current = live.body_json().unwrap_or_default();
        let mut change = Map::new();
        let mut removed = false;
        for kv in &pairs {
            if let Some((k, v)) = kv.split_once('=') {
                if let Some(old) = current["metadata"][field][k].as_str() {
                    if !p.bool("overwrite") && old != v {
                        out.fail(format!(
                            "error: '{k}' already has a value ({old}), and --overwrite is false"
                        ));
                        return;
                    }
                }
                change.insert(k.to_string(), json!(v));
            } else {
                let k = kv.trim_end_matches('-');
                change.insert(k.to_string(), Value::Null);
                removed = true;
            }
        }
        if !send_patch(
            env,
            out,
            path,
            "application/merge-patch+json",
            &json!({"metadata": {field: change}}),
        ) {
            continue;
        }
        let verb = match (labels, removed) {
            (true, true) => "unlabeled",
            (true, false) => "labeled",
            (false, _) => "annotated",
        };
        out.stdout
            .push_str(&format!("{}/{name} {verb}\n", m.kind_prefix()));
    }
}

fn logs(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("follow", Some('f')),
        v("container", Some('c')),
        b("previous", Some('p')),
        v("tail", None),
        b("timestamps", None),
        v("since", None),
        v("since-time", None),
        b("all-containers", None),
        v("selector", Some('l')),
        b("prefix", None),
        v("limit-bytes", None),
        v("max-log-requests", None),
        b("ignore-errors", None),
        v("pod-running-timeout", None),
    ];
    let Some(p) = parse_flags("logs", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    if p.has("selector") && !p.args.is_empty() {
        out.fail("error: only a selector (-l) or a POD name is allowed\nSee 'kubectl logs -h' for help and examples");
        return;
    }
    let Some(target) = p.args.first().cloned() else {
        out.fail("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples");
        return;
    };
    let ns = env.namespace.clone();
    let pod = match target.split_once('/') {
        Some(("pod" | "pods" | "po", n)) => n.to_string(),
        Some((typed, n)) => match super::logs_target::pick_pod(typed, n, env, out) {
            Some(pod) => pod,
            None => return,
        },
        None => target.clone(),
    };
    // kubectl reads the pod first to check the container and to pick a default one.
    let live = env.transport.call(
        Request::get(format!("/api/v1/namespaces/{ns}/pods/{pod}"))
            .header("accept", "application/json"),
    );
    if live.status >= 400 {
        let msg = server_error(&live);
        let msg = msg
            .strip_prefix("Error from server")
            .map(|m| format!("error: error from server{m}"))
            .unwrap_or(msg);
        if live.status == 404 {
            out.fail(format!("{msg} in namespace \"{ns}\""));
        } else {
            out.fail(msg);
        }
        return;
    }
    let pod_obj = live.body_json().unwrap_or_default();
    let names: Vec<String> = pod_obj["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    let container = match p.get("container").or(p.args.get(1).map(String::as_str)) {
        Some(c) => {
            let init = pod_obj["spec"]["initContainers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|x| x["name"] == c);
            if !names.iter().any(|n| n == c) && !init {
                out.fail(format!("error: container {c} is not valid for pod {pod}"));
                return;
            }
            Some(c.to_string())
        }
        None => {
            let default = pod_obj["metadata"]["annotations"]
                ["kubectl.kubernetes.io/default-container"]
                .as_str()
                .map(str::to_string)
                .or_else(|| names.first().cloned());
            if names.len() > 1 {
                out.stderr.push_str(&format!(
                    "Defaulted container \"{}\" out of: {}\n",
                    default.clone().unwrap_or_default(),
                    names.join(", ")
                ));
            }
            default
        }
    };
    let mut q = Vec::new();
    if let Some(c) = &container {
        q.push(format!("container={}", percent_encode(c)));
    }
    if p.bool("follow") {
        q.push("follow=true".into());
    }
    if p.bool("previous") {
        q.push("previous=true".into());
    }
    if let Some(t) = p.get("tail") {
        q.push(format!("tailLines={t}"));
    }
    if p.bool("timestamps") {
        q.push("timestamps=true".into());
    }
    let mut path = format!("/api/v1/namespaces/{ns}/pods/{pod}/log");
    if !q.is_empty() {
        path = format!("{path}?{}", q.join("&"));
    }
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json, */*"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    out.stdout.push_str(&String::from_utf8_lossy(&resp.body));
    if p.bool("follow") && !p.bool("previous") {
        // Keep printing what the container writes, when the caller can poll.
        let mut whole: Vec<String> = Vec::new();
        if let Some(c) = &container {
            whole.push(format!("container={}", percent_encode(c)));
        }
        if p.bool("timestamps") {
            whole.push("timestamps=true".into());
        }
        let mut log_path = format!("/api/v1/namespaces/{ns}/pods/{pod}/log");
        if !whole.is_empty() {
            log_path = format!("{log_path}?{}", whole.join("&"));
        }
        if let Some(slot) = env.stream.as_mut() {
            **slot = Some(Box::new(super::logs_target::LogFollow::start(
                env.transport,
                format!("/api/v1/namespaces/{ns}/pods/{pod}"),
                log_path,
                container.clone(),
            )));
        }
    }
}

/// The pod template's spec path of a workload (`spec.template.spec`), or the pod's own spec.
fn pod_spec_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    }
}

/// Wraps `inner` in the objects named by `path`.
fn nest(path: &[&str], inner: Value) -> Value {
    path.iter().rev().fold(inner, |acc, k| json!({ *k: acc }))
}

fn set_image(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("all", None),
        v("selector", Some('l')),
        v("filename", Some('f')),
        b("local", None),
        v("output", Some('o')),
        v("dry-run", None),
        b("record", None),
    ];
    let Some(p) = parse_flags("set image", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let change_cause = super::record::change_cause("set image", args, F, &p, out);
    let (pairs, objs): (Vec<String>, Vec<String>) =
        p.args.iter().cloned().partition(|a| a.contains('='));
    let Some(list) = type_names(&objs, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    for (m, name) in list {
        let path = m.object_path(Some(&ns), &name);
        let live = env
            .transport
            .call(Request::get(path.clone()).header("accept", "application/json"));
        if live.status >= 400 {
            out.fail(server_error(&live));
            continue;
        }
        let obj = live.body_json().unwrap_or_default();
        let spec_path = pod_spec_path(&m.kind);
        let mut spec = &obj;
        for k in spec_path {
            spec = &spec[*k];
        }
        let mut containers = Vec::new();
        for kv in &pairs {
            let (c, image) = kv.split_once('=').unwrap_or((kv, ""));
            let all = spec["containers"].as_array().cloned().unwrap_or_default();
            let matched: Vec<&Value> = all.iter().filter(|x| c == "*" || x["name"] == c).collect();
            if matched.is_empty() {
                out.fail(format!("error: unable to find container named \"{c}\""));
                return;
            }
            for x in matched {
                containers.push(json!({"image": image, "name": x["name"]}));
            }
        }
        let mut patch = nest(spec_path, json!({ "containers": containers }));
        if let Some(cause) = &change_cause {
            patch["metadata"] = json!({"annotations": {super::record::CHANGE_CAUSE: cause}});
        }
        if !send_patch(
            env,
            out,
            path,
            "application/strategic-merge-patch+json",
            &patch,
        ) {
            continue;
        }
        out.stdout
            .push_str(&format!("{}/{name} image updated\n", m.kind_prefix()));
    }
}

/// `rollout pause`, `rollout resume` and `rollout restart`.
fn rollout_toggle(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("selector", Some('l')),
        v("filename", Some('f')),
        v("output", Some('o')),
        v("field-manager", None),
        b("recursive", Some('R')),
    ];
    let sub = args[0].clone();
    let Some(p) = parse_flags(&format!("rollout {sub}"), &args[1..], F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(list) = type_names(&p.args, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    let now = env.transport.now();
    for (m, name) in list {
        let path = m.object_path(Some(&ns), &name);
        let live = env
            .transport
            .call(Request::get(path.clone()).header("accept", "application/json"));
        if live.status >= 400 {
            out.fail(server_error(&live));
            continue;
        }
        let obj = live.body_json().unwrap_or_default();
        let paused = obj["spec"]["paused"].as_bool().unwrap_or(false);
        let (patch, verb) = match sub.as_str() {
            "pause" if paused => {
                out.fail(format!(
                    "error: {} \"{name}\" is already paused",
                    m.qualified_plural()
                ));
                continue;
            }
            "resume" if !paused => {
                out.fail(format!(
                    "error: {} \"{name}\" is not paused",
                    m.qualified_plural()
                ));
                continue;
            }
            "pause" => (json!({"spec": {"paused": true}}), "paused"),
            "resume" => (json!({"spec": {"paused": null}}), "resumed"),
            _ => {
                let stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
                (
                    json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}),
                    "restarted",
                )
            }
        };
        if !send_patch(
            env,
            out,
            path,
            "application/strategic-merge-patch+json",
            &patch,
        ) {
            continue;
        }
        out.stdout
            .push_str(&format!("{}/{name} {verb}\n", m.kind_prefix()));
    }
}

/// `kubectl create -f`: POST every document.
fn create_from_files(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        v("output", Some('o')),
        v("dry-run", None),
        v("validate", None),
        b("save-config", None),
        b("record", None),
        b("recursive", Some('R')),
        v("field-manager", None),
        b("edit", None),
        v("selector", Some('l')),
        v("kustomize", Some('k')),
    ];
    let Some(p) = parse_flags("create", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(docs) = read_manifests(&p.all("filename"), env, out) else {
        return;
    };
    for (file, mut obj) in docs {
        let Some(m) = mapping_for(env, &obj) else {
            out.fail(mapping_not_found(&file, &obj));
            continue;
        };
        let (name, ns) = place(env, &m, &mut obj);
        if p.get("dry-run") == Some("client") {
            print_result(&p, out, &m, &name, "created (dry run)", &obj);
            continue;
        }
        let path = format!(
            "{}?fieldManager=kubectl-create&fieldValidation=Strict",
            m.collection_path(Some(&ns))
        );
        let resp = env
            .transport
            .call(json_request("POST", path, "application/json", &obj));
        if resp.status >= 400 {
            out.fail(format!(
                "Error from server ({}): error when creating \"{file}\": {}",
                reason(&resp),
                message(&resp)
            ));
            continue;
        }
        print_result(
            &p,
            out,
            &m,
            &name,
            "created",
            &resp.body_json().unwrap_or(obj),
        );
    }
}

/// `kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json]`.
fn patch(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("patch", Some('p')),
        v("patch-file", None),
        v("type", None),
        v("filename", Some('f')),
        v("output", Some('o')),
        v("dry-run", None),
        b("local", None),
        v("subresource", None),
        v("field-manager", None),
        b("record", None),
        b("recursive", Some('R')),
    ];
    let Some(p) = parse_flags("patch", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(text) = p.get("patch").map(str::to_string) else {
        out.fail(
            "error: must specify --patch or --patch-file containing the contents of the patch",
        );
        return;
    };
    let content_type = match p.get("type").unwrap_or("strategic") {
        "strategic" => "application/strategic-merge-patch+json",
        "merge" => "application/merge-patch+json",
        "json" => "application/json-patch+json",
        other => {
            out.fail(format!(
                "error: --type must be one of [json merge strategic], not \"{other}\""
            ));
            return;
        }
    };
    let body: Value = match serde_yaml_ng::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            out.fail(format!("error: unable to parse \"{text}\": yaml: {e}"));
            return;
        }
    };
    let Some(list) = type_names(&p.args, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    for (m, name) in list {
        let path = m.object_path(Some(&ns), &name);
        let before = env
            .transport
            .call(Request::get(path.clone()).header("accept", "application/json"));
        if before.status >= 400 {
            out.fail(server_error(&before));
            continue;
        }
        let mut req = Request::new("PATCH", format!("{path}?fieldManager=kubectl-patch"))
            .header("accept", "application/json")
            .header("content-type", content_type);
        req.body = printers::json::to_compact(&body).into_bytes();
        let resp = env.transport.call(req);
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            continue;
        }
        let rv = |r: &Response| {
            r.body_json().and_then(|v| {
                v["metadata"]["resourceVersion"]
                    .as_str()
                    .map(str::to_string)
            })
        };
        let verb = if rv(&before) == rv(&resp) {
            "patched (no change)"
        } else {
            "patched"
        };
        print_result(
            &p,
            out,
            &m,
            &name,
            verb,
            &resp.body_json().unwrap_or_default(),
        );
    }
}
