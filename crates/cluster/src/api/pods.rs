//! The pod subresources that change where or whether a pod runs: `binding` (what the scheduler
//! posts) and `eviction` (what `kubectl drain` posts), with PodDisruptionBudget checks.

use serde_json::{json, Value};

use super::{DeleteOptions, Propagation, User};
use crate::resources::{self, ResourceType};
use crate::selector::LabelSelectorSet;
use crate::status::Status;
use crate::Cluster;

fn pods() -> &'static ResourceType {
    resources::by_kind("v1", "Pod").expect("pods are served")
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// `minAvailable`/`maxUnavailable` as a count of `expected` pods (percentages round up).
fn scaled(v: &Value, expected: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let pct: i64 = s.strip_suffix('%')?.parse().ok()?;
            Some((pct * expected + 99) / 100)
        }
        _ => None,
    }
}

impl Cluster {
    /// POST `pods/{name}/binding`: assigns the pod to the node named by `binding.target.name`.
    pub fn bind_pod(
        &mut self,
        user: &User,
        namespace: &str,
        name: &str,
        binding: &Value,
    ) -> Result<Value, Status> {
        let rt = pods();
        self.authorize(
            user,
            "create",
            rt,
            Some("binding"),
            Some(namespace),
            Some(name),
        )?;
        let node = binding["target"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if node.is_empty() {
            return Err(Status::invalid(
                rt,
                name,
                &[crate::status::FieldError::required("target.name", "")],
            ));
        }
        let pod = self.get(rt, Some(namespace), name)?;
        let mut v = pod.to_value();
        if let Some(current) = v["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            return Err(Status::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{current}\""
                ),
            ));
        }
        if pod.meta().deletion_timestamp.is_some() {
            return Err(Status::new(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host"),
            ));
        }
        v["spec"]["nodeName"] = json!(node);
        let object = crate::object::Object::from_value("Pod", v)
            .map_err(|e| Status::internal(e.to_string()))?;
        self.store.put(object);
        Ok(
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        )
    }

    /// POST `pods/{name}/eviction`: deletes the pod unless a PodDisruptionBudget forbids it
    /// (429 TooManyRequests, as `kubectl drain` retries on).
    pub fn evict_pod(
        &mut self,
        user: &User,
        namespace: &str,
        name: &str,
        eviction: &Value,
    ) -> Result<Value, Status> {
        let rt = pods();
        self.authorize(
            user,
            "create",
            rt,
            Some("eviction"),
            Some(namespace),
            Some(name),
        )?;
        let pod = self.get(rt, Some(namespace), name)?.to_value();
        let labels = pod["metadata"]["labels"].as_object().map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        });
        // Only a healthy pod's eviction can violate a budget.
        if is_ready(&pod) && pod["metadata"]["deletionTimestamp"].is_null() {
            for pdb in self.store.list("PodDisruptionBudget", Some(namespace)) {
                let b = pdb.to_value();
                let selector = serde_json::from_value(b["spec"]["selector"].clone())
                    .ok()
                    .and_then(|s| LabelSelectorSet::from_label_selector(&s).ok());
                let Some(selector) = selector.filter(|s| !s.is_empty()) else {
                    continue;
                };
                if !selector.matches(labels.as_ref()) {
                    continue;
                }
                let matching: Vec<Value> = self
                    .store
                    .list("Pod", Some(namespace))
                    .filter(|p| selector.matches(p.labels()))
                    .map(|p| p.to_value())
                    .collect();
                let expected = matching.len() as i64;
                let healthy = matching.iter().filter(|p| is_ready(p)).count() as i64;
                let desired = match (
                    scaled(&b["spec"]["minAvailable"], expected),
                    scaled(&b["spec"]["maxUnavailable"], expected),
                ) {
                    (Some(min), _) => min,
                    (None, Some(max)) => expected - max,
                    (None, None) => expected,
                };
                if healthy - 1 < desired {
                    let mut s = Status::new(
                        429,
                        "TooManyRequests",
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                    );
                    s.details = Some(json!({"causes": [{
                        "reason": "DisruptionBudget",
                        "message": format!("The disruption budget {} needs {desired} healthy pods and has {healthy} currently", pdb.name())
                    }]}));
                    return Err(s);
                }
            }
        }
        let o = &eviction["deleteOptions"];
        let opts = DeleteOptions {
            grace_period_seconds: o["gracePeriodSeconds"].as_i64(),
            propagation_policy: o["propagationPolicy"]
                .as_str()
                .and_then(|p| Propagation::parse(p).ok()),
            precondition_uid: o["preconditions"]["uid"].as_str().map(str::to_string),
            precondition_resource_version: o["preconditions"]["resourceVersion"]
                .as_str()
                .map(str::to_string),
            dry_run: false,
        };
        self.delete_object(rt, Some(namespace), name, &opts)?;
        Ok(
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClusterConfig;

    fn cluster_with_ready_pods(n: usize) -> Cluster {
        let mut c = Cluster::new(&ClusterConfig::default());
        c.stop_control_plane(true);
        for i in 0..n {
            let p = c
                .create(
                    pods(),
                    Some("default"),
                    json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("web-{i}"), "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
                )
                .unwrap();
            let mut v = p.to_value();
            v["spec"]["nodeName"] = json!("minikube");
            v["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
            c.store
                .put(crate::object::Object::from_value("Pod", v).unwrap());
        }
        c
    }

    #[test]
    fn binding_assigns_once() {
        let mut c = Cluster::new(&ClusterConfig::default());
        c.stop_control_plane(true);
        c.create(
            pods(),
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
        )
        .unwrap();
        let b = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}, "target": {"kind": "Node", "name": "minikube"}});
        c.bind_pod(&User::admin(), "default", "p", &b).unwrap();
        assert_eq!(
            c.get(pods(), Some("default"), "p").unwrap().to_value()["spec"]["nodeName"],
            "minikube"
        );
        let err = c.bind_pod(&User::admin(), "default", "p", &b).unwrap_err();
        assert_eq!(
            err.message,
            r#"Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "minikube""#
        );
    }

    #[test]
    fn eviction_respects_disruption_budgets() {
        let mut c = cluster_with_ready_pods(2);
        c.create(resources::by_plural("policy", "poddisruptionbudgets").unwrap(), Some("default"),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web-pdb"},
                "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
        let err = c
            .evict_pod(&User::admin(), "default", "web-0", &json!({}))
            .unwrap_err();
        assert_eq!(err.code, 429);
        assert_eq!(
            err.message,
            "Cannot evict pod as it would violate the pod's disruption budget."
        );
        assert_eq!(
            err.details.unwrap()["causes"][0]["message"],
            "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"
        );
        let mut c = cluster_with_ready_pods(3);
        c.create(resources::by_plural("policy", "poddisruptionbudgets").unwrap(), Some("default"),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web-pdb"},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
        c.evict_pod(&User::admin(), "default", "web-0", &json!({}))
            .unwrap();
        assert!(c
            .get(pods(), Some("default"), "web-0")
            .unwrap()
            .meta()
            .deletion_timestamp
            .is_some());
    }
}
