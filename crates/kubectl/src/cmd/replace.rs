//! `kubectl replace -f FILE`: PUT each object of the files over the live one (`--force` deletes
//! and creates it instead), and the error wording kubectl gives server errors about a file.

use serde_json::{json, Value};

use super::resources::{
    json_request, mapping_for, mapping_not_found, place, print_result, read_manifests,
    set_namespace,
};
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag};
use crate::rest::{Request, Response};
use crate::{Output, Running};

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("filename", Some('f')),
        b("recursive", Some('R')),
        v("kustomize", Some('k')),
        v("output", Some('o')),
        v("dry-run", None),
        b("force", None),
        v("grace-period", None),
        v("cascade", None),
        v("timeout", None),
        b("wait", None),
        v("validate", None),
        b("save-config", None),
        v("field-manager", None),
        v("subresource", None),
        b("allow-missing-template-keys", None),
        v("template", None),
        b("show-managed-fields", None),
        b("raw", None),
    ];
    let Some(p) = parse_flags("replace", args, F, out) else {
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
    let (suffix, dry_q) = match dry.as_str() {
        "client" => (" (dry run)", ""),
        "server" => (" (server dry run)", "&dryRun=All"),
        _ => ("", ""),
    };
    let manager = p
        .get("field-manager")
        .unwrap_or("kubectl-replace")
        .to_string();
    let mut forced: Vec<ForcedObject> = Vec::new();
    for (file, mut obj) in docs {
        let Some(m) = mapping_for(env, &obj) else {
            out.fail(mapping_not_found(&file, &obj));
            continue;
        };
        let (name, ns) = place(env, &m, &mut obj);
        let path = m.object_path(Some(&ns), &name);
        if dry == "client" {
            print_result(&p, out, &m, &name, &format!("replaced{suffix}"), &obj);
            continue;
        }
        if p.bool("force") {
            forced.push(ForcedObject {
                file,
                mapping: m,
                namespace: ns,
                name,
                object: obj,
            });
            continue;
        }
        // Without a resourceVersion the object is versioned from the live one, so the PUT
        // overwrites whatever is there.
        if obj["metadata"]["resourceVersion"].as_str().is_none() {
            let live = env
                .transport
                .call(Request::get(path.clone()).header("accept", "application/json"));
            if let Some(rv) = live
                .body_json()
                .filter(|_| live.status < 400)
                .and_then(|l| {
                    l["metadata"]["resourceVersion"]
                        .as_str()
                        .map(str::to_string)
                })
            {
                obj["metadata"]["resourceVersion"] = json!(rv);
            }
        }
        let put = format!("{path}?fieldManager={manager}&fieldValidation=Strict{dry_q}");
        let resp = env
            .transport
            .call(json_request("PUT", put, "application/json", &obj));
        if resp.status >= 400 {
            out.fail(error_about_file("replacing", &file, &resp));
            continue;
        }
        let replaced = resp.body_json().unwrap_or(obj);
        print_result(&p, out, &m, &name, &format!("replaced{suffix}"), &replaced);
    }
    if !forced.is_empty() {
        force_replace(forced, p, manager, dry_q, env, out);
    }
}

/// An object of `replace --force`, deleted first and created again once it is gone.
struct ForcedObject {
    file: String,
    mapping: crate::discovery::Mapping,
    namespace: String,
    name: String,
    object: Value,
}

/// `replace --force`: deletes every object (a missing one is fine), waits until all are gone,
/// then creates them again, as kubectl's `forceReplace` does.
fn force_replace(
    forced: Vec<ForcedObject>,
    p: crate::flags::Parsed,
    manager: String,
    dry_q: &str,
    env: &mut Env,
    out: &mut Output,
) {
    let mut options =
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"});
    if let Some(g) = p.get("grace-period").and_then(|g| g.parse::<i64>().ok()) {
        if g >= 0 {
            options["gracePeriodSeconds"] = json!(g);
        }
    }
    for f in &forced {
        let path = f.mapping.object_path(Some(&f.namespace), &f.name);
        let resp = env
            .transport
            .call(json_request("DELETE", path, "application/json", &options));
        if resp.status < 400 {
            out.stdout.push_str(&format!(
                "{} \"{}\" deleted\n",
                f.mapping.kind_prefix(),
                f.name
            ));
        } else if resp.status != 404 {
            out.fail(error_about_file("deleting", &f.file, &resp));
            return;
        }
    }
    let mut pending = ForceReplace {
        forced,
        p,
        post_query: format!("?fieldManager={manager}&fieldValidation=Strict{dry_q}"),
    };
    let (more, code) = pending.poll(env.transport);
    out.stdout.push_str(&more.stdout);
    out.stderr.push_str(&more.stderr);
    match code {
        Some(c) => out.exit_code = out.exit_code.max(c),
        None => match env.stream.as_mut() {
            Some(slot) => **slot = Some(Box::new(pending)),
            // Nothing moves the cluster meanwhile: the wait could only time out.
            None => out.fail("error: timed out waiting for the condition"),
        },
    }
}

/// The rest of `replace --force` once the deletions are sent: waits for the objects to be gone.
struct ForceReplace {
    forced: Vec<ForcedObject>,
    p: crate::flags::Parsed,
    post_query: String,
}

impl crate::Running for ForceReplace {
    fn poll(&mut self, transport: &mut dyn crate::rest::Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        for f in &self.forced {
            let path = f.mapping.object_path(Some(&f.namespace), &f.name);
            let live = transport.call(Request::get(path).header("accept", "application/json"));
            if live.status != 404 {
                return (out, None);
            }
        }
        for f in &mut self.forced {
            if let Some(meta) = f.object["metadata"].as_object_mut() {
                meta.remove("resourceVersion");
            }
            let path = format!(
                "{}{}",
                f.mapping.collection_path(Some(&f.namespace)),
                self.post_query
            );
            let resp = transport.call(json_request("POST", path, "application/json", &f.object));
            if resp.status >= 400 {
                out.fail(error_about_file("creating", &f.file, &resp));
                return (out, Some(1));
            }
            let created = resp.body_json().unwrap_or_else(|| f.object.clone());
            let verb = if self.post_query.contains("dryRun") {
                "replaced (server dry run)"
            } else {
                "replaced"
            };
            print_result(&self.p, &mut out, &f.mapping, &f.name, verb, &created);
        }
        (out, Some(0))
    }
}

/// How kubectl reports a server error about an object from a file: `AddSourceToErr` puts
/// `error when <verb> "<file>": ` before the message, and `CheckErr` prints an Invalid error
/// as `The Kind "name" is invalid: ` and its causes instead.
pub(super) fn error_about_file(verb: &str, file: &str, resp: &Response) -> String {
    let status = resp.body_json().unwrap_or_default();
    if let Some(invalid) = invalid_error(&status) {
        return invalid;
    }
    let reason = status["reason"].as_str().unwrap_or("");
    let message = status["message"].as_str().unwrap_or("");
    if message.is_empty() {
        return crate::server_error(resp);
    }
    let message = format!("error when {verb} \"{file}\": {message}");
    if reason.is_empty() || reason == "Unknown" {
        format!("Error from server: {message}")
    } else {
        format!("Error from server ({reason}): {message}")
    }
}

/// `The Pod "x" is invalid: field: detail` (one cause) or a `* field: detail` line per cause,
/// as kubectl's `CheckErr` prints a 422 Invalid status with details.
pub(super) fn invalid_error(status: &Value) -> Option<String> {
    if status["reason"] != "Invalid" {
        return None;
    }
    let details = status.get("details").filter(|d| d.is_object())?;
    let kind = details["kind"].as_str().unwrap_or("");
    let name = details["name"].as_str().unwrap_or("");
    let head = if !kind.is_empty() || !name.is_empty() {
        format!("The {kind} \"{name}\" is invalid")
    } else {
        "The request is invalid".to_string()
    };
    // `statusCausesToAggrError`: "field: message", duplicates dropped.
    let mut causes: Vec<String> = Vec::new();
    for c in details["causes"].as_array().into_iter().flatten() {
        let line = format!(
            "{}: {}",
            c["field"].as_str().unwrap_or(""),
            c["message"].as_str().unwrap_or("")
        );
        if !causes.contains(&line) {
            causes.push(line);
        }
    }
    Some(match causes.as_slice() {
        [] => head,
        [one] => format!("{head}: {one}"),
        many => format!(
            "{head}: \n{}",
            many.iter()
                .map(|c| format!("* {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: Value) -> Response {
        Response::json(status, &body)
    }

    #[test]
    fn not_found_names_the_file() {
        let r = resp(
            404,
            json!({"kind": "Status", "reason": "NotFound", "message": "deployments.apps \"web\" not found"}),
        );
        assert_eq!(
            error_about_file("replacing", "web.yaml", &r),
            "Error from server (NotFound): error when replacing \"web.yaml\": deployments.apps \"web\" not found"
        );
    }

    #[test]
    fn invalid_prints_kind_name_and_causes() {
        let one = json!({"reason": "Invalid", "message": "ignored", "details": {"kind": "Pod", "name": "hello",
            "causes": [{"field": "spec", "message": "Forbidden: pod updates may not change fields"}]}});
        assert_eq!(
            invalid_error(&one).unwrap(),
            "The Pod \"hello\" is invalid: spec: Forbidden: pod updates may not change fields"
        );
        let two = json!({"reason": "Invalid", "details": {"kind": "Deployment", "name": "web",
            "causes": [{"field": "a", "message": "x"}, {"field": "b", "message": "y"}]}});
        assert_eq!(
            invalid_error(&two).unwrap(),
            "The Deployment \"web\" is invalid: \n* a: x\n* b: y"
        );
        assert!(invalid_error(&json!({"reason": "NotFound"})).is_none());
    }

    /// A pod that is still terminating at the first look.
    struct Deleting {
        looks_left: u32,
        created: Option<Value>,
    }

    impl crate::rest::Transport for Deleting {
        fn call(&mut self, r: Request) -> Response {
            match r.method.as_str() {
                "GET" if self.looks_left > 0 => {
                    self.looks_left -= 1;
                    resp(200, json!({"metadata": {"name": "hello"}}))
                }
                "GET" => resp(404, json!({"reason": "NotFound", "message": "gone"})),
                "POST" => {
                    let body: Value = serde_json::from_slice(&r.body).unwrap();
                    self.created = Some(body.clone());
                    resp(201, body)
                }
                _ => resp(405, json!({})),
            }
        }
    }

    #[test]
    fn force_replace_creates_only_once_the_old_object_is_gone() {
        let mapping = crate::discovery::Mapping {
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
            plural: "pods".into(),
            singular: "pod".into(),
            short_names: vec![],
            namespaced: true,
            categories: vec![],
            verbs: vec![],
        };
        let mut pending = ForceReplace {
            forced: vec![ForcedObject {
                file: "pod.yaml".into(),
                mapping,
                namespace: "default".into(),
                name: "hello".into(),
                object: json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "hello", "resourceVersion": "7"}}),
            }],
            p: crate::flags::Parsed::default(),
            post_query: "?fieldManager=kubectl-replace&fieldValidation=Strict".into(),
        };
        let mut server = Deleting {
            looks_left: 1,
            created: None,
        };
        let (out, code) = pending.poll(&mut server);
        assert_eq!((out.stdout.as_str(), code), ("", None));
        assert!(server.created.is_none());
        let (out, code) = pending.poll(&mut server);
        assert_eq!(
            (out.stdout.as_str(), code),
            ("pod/hello replaced\n", Some(0))
        );
        // The stale resourceVersion is not sent with the create.
        assert!(server.created.unwrap()["metadata"]
            .get("resourceVersion")
            .is_none());
    }
}
