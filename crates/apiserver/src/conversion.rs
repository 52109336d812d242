//! Serving a kind at a version other than the one it is stored at, as the API server serves
//! `autoscaling/v1` and `autoscaling/v2` HorizontalPodAutoscalers from one stored object.
//!
//! A request to the older version ([`cluster::resources::ALSO_SERVED`]) is converted to the
//! stored version, handled as any other, and its answer converted back. Patches are applied in
//! the version they were written for: the object is read, converted, patched, converted back and
//! written with its resourceVersion as a precondition (server-side apply converts the applied
//! configuration instead). Watches convert each event ([`crate::watch::Watch::serving`]).
//!
//! The conversion follows upstream's `autoscaling/v1` conversion functions: v1 has only a CPU
//! utilization target, so v2's other metrics, and the status' conditions and current metrics,
//! travel in `autoscaling.alpha.kubernetes.io/*` annotations, and come back from them.

use cluster::patch::PatchType;
use cluster::resources::{self, ResourceType};
use cluster::{Cluster, Status};
use kubectl::rest::Request;
use serde_json::{json, Map, Value};

use crate::path::ApiPath;
use crate::Reply;

const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";

/// Handles a request for `served`, a kind also served at this older version.
pub fn handle(
    cluster: &mut Cluster,
    request: &Request,
    served: &'static ResourceType,
    p: &ApiPath,
) -> Result<Reply, Status> {
    let stored = resources::by_plural(served.group, served.plural).expect("stored version");
    let mut inner = request.clone();
    inner.path = request.path.replacen(
        &format!("/{}/{}/", served.group, served.version),
        &format!("/{}/{}/", stored.group, stored.version),
        1,
    );
    let mut inner_path = p.clone();
    inner_path.version = stored.version.to_string();
    match request.method.as_str() {
        "POST" | "PUT" if !request.body.is_empty() => {
            let body = crate::decode_body(request)?;
            inner.body = serde_json::to_vec(&to_stored(body)).expect("serialises");
            set_content_type(&mut inner, "application/json");
        }
        "PATCH" => {
            let content_type = request.header_value("content-type").unwrap_or_default();
            let patch_type = PatchType::from_content_type(content_type).ok_or_else(|| {
                Status::new(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                )
            })?;
            if patch_type == PatchType::Apply {
                let applied: Value = serde_yaml_ng::from_slice(&request.body)
                    .map_err(|e| Status::bad_request(e.to_string()))?;
                inner.body = serde_json::to_vec(&to_stored(applied)).expect("serialises");
            } else {
                return patch_as_served(
                    cluster,
                    request,
                    served,
                    stored,
                    patch_type,
                    &inner,
                    &inner_path,
                );
            }
        }
        _ => {}
    }
    let reply = crate::handlers::resource(cluster, &inner, stored, &inner_path)?;
    Ok(convert_reply(reply))
}

/// A patch written against the older version: read, convert, patch, convert back, update.
fn patch_as_served(
    cluster: &mut Cluster,
    request: &Request,
    served: &'static ResourceType,
    stored: &'static ResourceType,
    patch_type: PatchType,
    inner: &Request,
    inner_path: &ApiPath,
) -> Result<Reply, Status> {
    let mut get = inner.clone();
    get.method = "GET".into();
    get.body.clear();
    get.path = inner.path_only().to_string();
    let current = match crate::handlers::resource(cluster, &get, stored, inner_path)? {
        Reply::Json { value, .. } => value,
        Reply::Encoded(r) => r.body_json().unwrap_or_default(),
    };
    let patch: Value =
        serde_json::from_slice(&request.body).map_err(|e| Status::bad_request(e.to_string()))?;
    let old = to_served(current);
    let rv = old["metadata"]["resourceVersion"].clone();
    let mut patched = cluster::patch::apply(served, None, patch_type, &old, &patch)?;
    if patched["metadata"].get("resourceVersion").is_none() {
        patched["metadata"]["resourceVersion"] = rv;
    }
    let mut put = inner.clone();
    put.method = "PUT".into();
    put.body = serde_json::to_vec(&to_stored(patched)).expect("serialises");
    set_content_type(&mut put, "application/json");
    let reply = crate::handlers::resource(cluster, &put, stored, inner_path)?;
    Ok(convert_reply(reply))
}

fn set_content_type(request: &mut Request, content_type: &str) {
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    request
        .headers
        .push(("content-type".into(), content_type.into()));
}

/// An answer in the stored version, in the served one (objects, lists and watch events; errors
/// and Tables read the same in both).
fn convert_reply(reply: Reply) -> Reply {
    match reply {
        Reply::Json {
            status,
            headers,
            value,
        } => Reply::Json {
            status,
            headers,
            value: convert_document(value),
        },
        Reply::Encoded(mut r) if r.status < 400 => {
            // A watch answered in one piece: one event per line.
            let text = String::from_utf8_lossy(&r.body).into_owned();
            let mut body = Vec::new();
            for line in text.lines() {
                match serde_json::from_str::<Value>(line) {
                    Ok(mut event) => {
                        let object = event["object"].take();
                        event["object"] = convert_document(object);
                        body.extend(serde_json::to_vec(&event).expect("serialises"));
                    }
                    Err(_) => body.extend(line.as_bytes()),
                }
                body.push(b'\n');
            }
            r.body = body;
            Reply::Encoded(r)
        }
        other => other,
    }
}

/// An object or a list of them in the stored version, in the served one.
pub fn convert_document(mut doc: Value) -> Value {
    match doc["kind"].as_str() {
        Some("HorizontalPodAutoscaler") => to_served(doc),
        Some("HorizontalPodAutoscalerList") => {
            doc["apiVersion"] = json!("autoscaling/v1");
            if let Some(items) = doc["items"].as_array_mut() {
                for item in items.iter_mut() {
                    *item = to_served(item.take());
                }
            }
            doc
        }
        _ => doc,
    }
}

/// An autoscaling/v1 HorizontalPodAutoscaler as autoscaling/v2.
pub fn to_stored(mut v1: Value) -> Value {
    v1["apiVersion"] = json!("autoscaling/v2");
    let mut annotations = take_annotations(&mut v1);
    let mut from_annotation = |key: &str| -> Option<Value> {
        annotations
            .remove(key)
            .and_then(|v| serde_json::from_str(v.as_str()?).ok())
    };
    let mut metrics: Vec<Value> = Vec::new();
    if let Some(Value::Object(spec)) = v1.get_mut("spec") {
        if let Some(cpu) = spec.remove("targetCPUUtilizationPercentage") {
            metrics.push(json!({"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": cpu}}}));
        }
    }
    if let Some(Value::Array(more)) = from_annotation(METRICS) {
        metrics.extend(more);
    }
    let behavior = from_annotation(BEHAVIOR);
    let conditions = from_annotation(CONDITIONS);
    let current_metrics = from_annotation(CURRENT_METRICS);
    if let Some(Value::Object(spec)) = v1.get_mut("spec") {
        if !metrics.is_empty() {
            spec.insert("metrics".into(), Value::Array(metrics));
        }
        if let Some(b) = behavior {
            spec.insert("behavior".into(), b);
        }
    }
    if let Some(Value::Object(status)) = v1.get_mut("status") {
        let cpu = status.remove("currentCPUUtilizationPercentage");
        match (current_metrics, cpu) {
            (Some(m), _) => {
                status.insert("currentMetrics".into(), m);
            }
            (None, Some(cpu)) => {
                status.insert(
                    "currentMetrics".into(),
                    json!([{"type": "Resource", "resource": {"name": "cpu",
                        "current": {"averageUtilization": cpu}}}]),
                );
            }
            (None, None) => {}
        }
        if let Some(c) = conditions {
            status.insert("conditions".into(), c);
        }
    }
    put_annotations(&mut v1, annotations);
    v1
}

/// An autoscaling/v2 HorizontalPodAutoscaler as autoscaling/v1.
pub fn to_served(mut v2: Value) -> Value {
    v2["apiVersion"] = json!("autoscaling/v1");
    let mut annotations = take_annotations(&mut v2);
    if let Some(Value::Object(spec)) = v2.get_mut("spec") {
        let metrics = match spec.remove("metrics") {
            Some(Value::Array(m)) => m,
            _ => Vec::new(),
        };
        let is_cpu = |m: &Value| {
            m["type"] == "Resource"
                && m["resource"]["name"] == "cpu"
                && m["resource"]["target"]["type"] == "Utilization"
        };
        let cpu = metrics.iter().position(is_cpu);
        if let Some(i) = cpu {
            spec.insert(
                "targetCPUUtilizationPercentage".into(),
                metrics[i]["resource"]["target"]["averageUtilization"].clone(),
            );
        }
        let others: Vec<&Value> = metrics
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != cpu)
            .map(|(_, m)| m)
            .collect();
        if !others.is_empty() {
            annotations.insert(
                METRICS.into(),
                json!(serde_json::to_string(&others).expect("serialises")),
            );
        }
        // v2's scaling behavior has no v1 field; upstream keeps a set one in an annotation.
        // Every stored HPA here has the defaulted behavior, which v1 readers never saw, so it is
        // left out rather than shown on every object.
        spec.remove("behavior");
    }
    if let Some(Value::Object(status)) = v2.get_mut("status") {
        let current = match status.remove("currentMetrics") {
            Some(Value::Array(m)) => m,
            _ => Vec::new(),
        };
        if let Some(cpu) = current
            .iter()
            .find(|m| m["type"] == "Resource" && m["resource"]["name"] == "cpu")
            .and_then(|m| m["resource"]["current"]["averageUtilization"].as_i64())
        {
            status.insert("currentCPUUtilizationPercentage".into(), json!(cpu));
        }
        if !current.is_empty() {
            annotations.insert(
                CURRENT_METRICS.into(),
                json!(serde_json::to_string(&current).expect("serialises")),
            );
        }
        if let Some(conditions) = status.remove("conditions") {
            annotations.insert(
                CONDITIONS.into(),
                json!(serde_json::to_string(&conditions).expect("serialises")),
            );
        }
        status.entry("desiredReplicas").or_insert_with(|| json!(0));
    }
    put_annotations(&mut v2, annotations);
    v2
}

fn take_annotations(obj: &mut Value) -> Map<String, Value> {
    match obj
        .get_mut("metadata")
        .and_then(|m| m.as_object_mut())
        .and_then(|m| m.remove("annotations"))
    {
        Some(Value::Object(a)) => a,
        _ => Map::new(),
    }
}

fn put_annotations(obj: &mut Value, annotations: Map<String, Value>) {
    if annotations.is_empty() {
        return;
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1() -> Value {
        json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}})
    }

    #[test]
    fn the_cpu_target_becomes_a_resource_metric_and_back() {
        let v2 = to_stored(v1());
        assert_eq!(v2["apiVersion"], "autoscaling/v2");
        assert_eq!(
            v2["spec"]["metrics"],
            json!([{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 50}}}])
        );
        assert!(v2["spec"].get("targetCPUUtilizationPercentage").is_none());
        assert!(v2["metadata"].get("annotations").is_none());
        assert_eq!(to_served(v2), v1());
    }

    #[test]
    fn what_v1_cannot_say_travels_in_annotations() {
        let mut v2 = to_stored(v1());
        v2["spec"]["metrics"].as_array_mut().unwrap().push(json!({"type": "Resource",
            "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}}));
        v2["spec"]["behavior"] = json!({"scaleDown": {"stabilizationWindowSeconds": 300}});
        v2["status"] = json!({"currentReplicas": 2, "desiredReplicas": 3,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 72, "averageValue": "144m"}}}],
            "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"}]});
        let served = to_served(v2.clone());
        assert_eq!(served["spec"]["targetCPUUtilizationPercentage"], 50);
        assert_eq!(served["status"]["currentCPUUtilizationPercentage"], 72);
        assert!(served["status"].get("conditions").is_none());
        let a = &served["metadata"]["annotations"];
        assert!(a[METRICS].as_str().unwrap().contains("memory"));
        assert!(a[CONDITIONS].as_str().unwrap().contains("ReadyForNewScale"));
        assert!(a[CURRENT_METRICS].as_str().unwrap().contains("144m"));
        // Back in v2, the annotations are gone and their content restored (the defaulted
        // behavior is not carried).
        let back = to_stored(served);
        assert!(back["metadata"].get("annotations").is_none());
        assert_eq!(back["spec"]["metrics"], v2["spec"]["metrics"]);
        assert_eq!(back["status"], v2["status"]);
        assert!(back["spec"].get("behavior").is_none());
    }

    #[test]
    fn lists_are_converted_item_by_item() {
        let list = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscalerList",
                          "metadata": {}, "items": [to_stored(v1())]});
        let served = convert_document(list);
        assert_eq!(served["apiVersion"], "autoscaling/v1");
        assert_eq!(
            served["items"][0]["spec"]["targetCPUUtilizationPercentage"],
            50
        );
        // Other documents pass through.
        let status = json!({"kind": "Status", "code": 404});
        assert_eq!(convert_document(status.clone()), status);
    }
}
