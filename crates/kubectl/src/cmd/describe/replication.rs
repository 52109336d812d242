//! Replication controllers (`ReplicationControllerDescriber`): a replica set with a plain
//! map selector and no `Controlled By`.

use serde_json::Value;

use super::{labels_and_annotations, pods_status, s, sorted_pairs};
use crate::cmd::Env;
use crate::printers::describe::{self as layout, PrefixWriter};

pub fn replication_controller(env: &mut Env, w: &mut PrefixWriter, rc: &Value) {
    let (spec, status) = (&rc["spec"], &rc["status"]);
    let ns = s(&rc["metadata"]["namespace"]).to_string();
    w.write(0, &format!("Name:\t{}\n", s(&rc["metadata"]["name"])));
    w.write(0, &format!("Namespace:\t{ns}\n"));
    // `labels.FormatLabels` of the selector map.
    let pairs = sorted_pairs(&spec["selector"]);
    let selector = pairs.join(",");
    w.write(
        0,
        &format!(
            "Selector:\t{}\n",
            if pairs.is_empty() {
                "<none>"
            } else {
                &selector
            }
        ),
    );
    labels_and_annotations(w, rc);
    w.write(
        0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            status["replicas"].as_i64().unwrap_or(0),
            spec["replicas"].as_i64().unwrap_or(1)
        ),
    );
    pods_status(env, w, &ns, &selector, rc);
    layout::pod_template(w, &spec["template"]);
    if let Some(conditions) = status["conditions"].as_array().filter(|a| !a.is_empty()) {
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(1, "----\t------\t------\n");
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{} \t{}\t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    s(&c["reason"])
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::{Request, Response, Transport};
    use serde_json::json;

    /// Answers every request with the same pod list.
    struct Pods(Value);

    impl Transport for Pods {
        fn call(&mut self, _: Request) -> Response {
            Response::json(200, &self.0)
        }
    }

    #[test]
    fn counts_the_controllers_own_pods_by_phase() {
        let owner = json!([{"uid": "rc-1", "controller": true, "kind": "ReplicationController", "name": "legacy"}]);
        let mut transport = Pods(json!({"items": [
            {"metadata": {"name": "a", "ownerReferences": owner}, "status": {"phase": "Running"}},
            {"metadata": {"name": "b", "ownerReferences": owner}, "status": {"phase": "Pending"}},
            {"metadata": {"name": "stray"}, "status": {"phase": "Running"}},
        ]}));
        let files = Default::default();
        let mut config = crate::KubeConfig::default();
        let mut env = Env {
            transport: &mut transport,
            files: &files,
            config: &mut config,
            namespace: "default".into(),
            explicit_namespace: false,
            discovery: None,
            stream: None,
        };
        let rc = json!({"metadata": {"name": "legacy", "namespace": "default", "uid": "rc-1"},
            "spec": {"replicas": 2, "selector": {"app": "legacy"},
                "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": {"containers": []}}},
            "status": {"replicas": 2}});
        let mut w = PrefixWriter::default();
        replication_controller(&mut env, &mut w, &rc);
        let text = w.finish();
        assert!(text.contains("Selector:     app=legacy\n"), "{text}");
        assert!(
            text.contains("Replicas:     2 current / 2 desired\n"),
            "{text}"
        );
        assert!(
            text.contains("Pods Status:  1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"),
            "{text}"
        );
    }
}
