//! `kubectl edit`: the object opens in the browser's editor instead of `$EDITOR`; when the editor
//! hands the text back, the change is sent to the API server as a patch and kubectl's messages are
//! printed. A YAML error reopens the document with the error on top, as kubectl does.

use kubectl::rest::Request;
use serde_json::{Map, Value};

use super::kubectl::namespace_flag;
use super::{Done, Proc};
use crate::exec::Cx;
use crate::jobs::{Process, Progress};
use crate::{EditRequest, Wake};

const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\n";

/// A pending edit.
pub(crate) struct Edit {
    /// The object's API path.
    path: String,
    /// `deployment.apps/web`.
    display: String,
    /// `deployments.apps "web"`, for messages.
    quoted: String,
    original: Value,
    file: String,
    /// The editor's answer, once given: `Some(None)` = closed without saving.
    answer: Option<Option<String>>,
    /// A document to (re)open in the editor at the next poll.
    open: Option<String>,
}

impl Edit {
    pub fn finish(&mut self, content: Option<String>) {
        self.answer = Some(content);
    }

    pub fn cancel(&mut self) {
        self.answer = None;
        self.open = None;
    }

    pub fn poll(&mut self, cx: &mut Cx) -> Progress {
        if let Some(doc) = self.open.take() {
            cx.edit = Some(EditRequest {
                path: self.file.clone(),
                content: doc,
            });
        }
        let Some(answer) = self.answer.take() else {
            return Progress {
                output: Done::default(),
                exit: None,
                wake: Wake::OnChange,
            };
        };
        let d = self.apply(cx, answer);
        match d {
            Some(d) => {
                let code = d.code;
                Progress {
                    output: d,
                    exit: Some(code),
                    wake: Wake::OnChange,
                }
            }
            None => self.poll(cx),
        }
    }

    /// Applies the editor's text; `None` when the document was reopened for another try.
    fn apply(&mut self, cx: &mut Cx, answer: Option<String>) -> Option<Done> {
        let Some(text) = answer else {
            return Some(Done::out("Edit cancelled, no changes made.\n"));
        };
        let body: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        if body.trim().is_empty() {
            return Some(Done::out("Edit cancelled, saved file was empty.\n"));
        }
        let edited: Value = match serde_yaml_ng::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                self.open = Some(format!(
                    "{HEADER}# The edited file had a syntax error: error converting YAML to JSON: yaml: {e}\n#\n{body}"
                ));
                return None;
            }
        };
        let original = strip(self.original.clone());
        if edited == original {
            return Some(Done::out("Edit cancelled, no changes made.\n"));
        }
        for (field, path) in [
            ("apiVersion", &["apiVersion"][..]),
            ("kind", &["kind"][..]),
            ("name", &["metadata", "name"][..]),
        ] {
            let get = |v: &Value| path.iter().fold(v.clone(), |v, k| v[*k].clone());
            if get(&edited) != get(&original) {
                let _ = field;
                return Some(Done::err(
                    "error: At least one of apiVersion, kind and name was changed\n",
                    1,
                ));
            }
        }
        let patch = merge_patch(&original, &edited);
        let request = Request::new("PATCH", format!("{}?fieldManager=kubectl-edit", self.path))
            .header("content-type", "application/merge-patch+json")
            .header("accept", "application/json");
        let request = Request {
            body: serde_json::to_vec(&patch).unwrap_or_default(),
            ..request
        };
        let response = apiserver::handle(cx.rt.cluster(), &request);
        if (200..300).contains(&response.status) {
            return Some(Done::out(format!("{} edited\n", self.display)));
        }
        let message = response
            .body_json()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{} could not be patched", self.quoted));
        Some(Done::err(
            format!(
                "error: {message}\nA copy of your changes has been stored to \"{}\"\nerror: Edit cancelled, no valid changes were saved.\n",
                self.file
            ),
            1,
        ))
    }
}

/// What kubectl leaves out of the edited document.
fn strip(mut v: Value) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

/// An RFC 7386 merge patch turning `from` into `to`.
pub(crate) fn merge_patch(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for (k, va) in a {
                match b.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(vb) if vb != va => {
                        patch.insert(k.clone(), merge_patch(va, vb));
                    }
                    _ => {}
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    patch.insert(k.clone(), vb.clone());
                }
            }
            Value::Object(patch)
        }
        _ => to.clone(),
    }
}

pub(crate) fn start(cx: &mut Cx, args: &[String]) -> Proc {
    let (namespace, rest) = namespace_flag(cx, args);
    let operands: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
    let (type_name, name) = match operands.as_slice() {
        [one] if one.contains('/') => {
            let (t, n) = one.split_once('/').unwrap_or_default();
            (t.to_string(), n.to_string())
        }
        [t, n, ..] => (t.to_string(), n.to_string()),
        _ => {
            return Done::err(
                "error: you must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n",
                1,
            )
            .into()
        }
    };
    let Some(rt) = resolve_type(&type_name) else {
        return Done::err(
            format!("error: the server doesn't have a resource type \"{type_name}\"\n"),
            1,
        )
        .into();
    };
    let ns = rt.namespaced().then_some(namespace.as_str());
    let object = match cx.rt.cluster().get(rt, ns, &name) {
        Ok(o) => o.to_value(),
        Err(status) => {
            return Done::err(
                format!(
                    "Error from server ({}): {}\n",
                    status.reason, status.message
                ),
                1,
            )
            .into()
        }
    };
    let prefix = if rt.group.is_empty() {
        format!("/api/{}", rt.version)
    } else {
        format!("/apis/{}/{}", rt.group, rt.version)
    };
    let path = match ns {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{}/{name}", rt.plural),
        None => format!("{prefix}/{}/{name}", rt.plural),
    };
    let kind_lower = rt.kind.to_ascii_lowercase();
    let display = if rt.group.is_empty() {
        format!("{kind_lower}/{name}")
    } else {
        format!("{kind_lower}.{}/{name}", rt.group)
    };
    let yaml = serde_yaml_ng::to_string(&strip(object.clone())).unwrap_or_default();
    let pid = cx.sh.jobs.next_pid();
    let file = format!(
        "/tmp/kubectl-edit-{}.yaml",
        1_000_000_000u64 + u64::from(pid) * 7_919
    );
    let edit = Edit {
        path,
        display,
        quoted: format!("{} \"{name}\"", rt.qualified_plural()),
        original: object,
        file,
        answer: None,
        open: Some(format!("{HEADER}{yaml}")),
    };
    Proc::Running(Process::Edit(edit), Done::default())
}

/// A resource type as typed on the command line: plural, singular, short name, kind, or
/// `plural.group`.
pub(crate) fn resolve_type(t: &str) -> Option<&'static cluster::ResourceType> {
    let lower = t.to_ascii_lowercase();
    let (name, group) = match lower.split_once('.') {
        Some((n, g)) => (n.to_string(), Some(g.to_string())),
        None => (lower.clone(), None),
    };
    cluster::resources::RESOURCES.iter().find(|r| {
        (r.plural == name
            || r.singular == name
            || r.short_names.contains(&name.as_str())
            || r.kind.to_ascii_lowercase() == name)
            && group.as_deref().is_none_or(|g| r.group == g)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_set_change_and_remove() {
        let a = json!({"spec": {"replicas": 1, "paused": true, "template": {"x": [1, 2]}}, "metadata": {"name": "d"}});
        let b = json!({"spec": {"replicas": 3, "template": {"x": [1]}}, "metadata": {"name": "d", "labels": {"a": "b"}}});
        assert_eq!(
            merge_patch(&a, &b),
            json!({"spec": {"replicas": 3, "paused": null, "template": {"x": [1]}}, "metadata": {"labels": {"a": "b"}}})
        );
    }

    #[test]
    fn resource_types_resolve_by_every_name() {
        for t in [
            "deploy",
            "deployment",
            "deployments",
            "Deployment",
            "deployments.apps",
        ] {
            assert_eq!(
                resolve_type(t).map(|r| r.plural),
                Some("deployments"),
                "{t}"
            );
        }
        assert_eq!(resolve_type("po").map(|r| r.plural), Some("pods"));
        assert!(resolve_type("nope").is_none());
    }
}
