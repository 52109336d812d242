//! LimitRanger: default container requests and limits from the namespace's LimitRanges, then
//! their minima and maxima.

use serde_json::{json, Value};

use super::forbidden;
use crate::defaults::{each_mut, object_at};
use crate::quantity::Quantity;
use crate::resources::ResourceType;
use crate::status::Status;
use crate::Cluster;

fn parse(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

impl Cluster {
    pub(crate) fn admit_limit_ranges(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        obj: &mut Value,
    ) -> Result<(), Status> {
        let items: Vec<Value> = self
            .store
            .list("LimitRange", Some(ns))
            .flat_map(|lr| {
                lr.to_value()["spec"]["limits"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|l| l["type"] == "Container")
            .collect();
        if items.is_empty() {
            return Ok(());
        }
        let mut set_requests: Vec<(String, Vec<String>)> = Vec::new();
        let mut set_limits: Vec<(String, Vec<String>)> = Vec::new();
        let mut problems = Vec::new();
        let spec = object_at(obj, "spec");
        for list in ["initContainers", "containers"] {
            for c in each_mut(spec, list) {
                let cname = c["name"].as_str().unwrap_or_default().to_string();
                let mut req_set = Vec::new();
                let mut lim_set = Vec::new();
                for item in &items {
                    let res = object_at(c, "resources");
                    for (field, source, record) in [
                        ("limits", "default", &mut lim_set),
                        ("requests", "defaultRequest", &mut req_set),
                    ] {
                        for (r, q) in item[source].as_object().into_iter().flatten() {
                            let target = object_at(res, field);
                            if target.get(r).is_none_or(Value::is_null) {
                                target[r] = q.clone();
                                record.push(r.clone());
                            }
                        }
                    }
                    // A default limit without a default request also sets the request.
                    for (r, q) in item["default"].as_object().into_iter().flatten() {
                        let requests = object_at(res, "requests");
                        if requests.get(r).is_none_or(Value::is_null) {
                            requests[r] = q.clone();
                            req_set.push(r.clone());
                        }
                    }
                    for (r, max) in item["max"].as_object().into_iter().flatten() {
                        let max_q = parse(max);
                        match parse(&res["limits"][r]) {
                            None => problems.push(format!(
                                "maximum {r} usage per Container is {}.  No limit is specified",
                                max_q.map(|q| q.to_string()).unwrap_or_default()
                            )),
                            Some(l) if max_q.is_some_and(|m| l > m) => problems.push(format!(
                                "maximum {r} usage per Container is {}, but limit is {l}",
                                max_q.expect("checked")
                            )),
                            _ => {}
                        }
                    }
                    for (r, min) in item["min"].as_object().into_iter().flatten() {
                        let min_q = parse(min);
                        match parse(&res["requests"][r]) {
                            None => problems.push(format!(
                                "minimum {r} usage per Container is {}.  No request is specified",
                                min_q.map(|q| q.to_string()).unwrap_or_default()
                            )),
                            Some(q) if min_q.is_some_and(|m| q < m) => problems.push(format!(
                                "minimum {r} usage per Container is {}, but request is {q}",
                                min_q.expect("checked")
                            )),
                            _ => {}
                        }
                    }
                }
                req_set.sort();
                req_set.dedup();
                lim_set.sort();
                lim_set.dedup();
                if !req_set.is_empty() {
                    set_requests.push((cname.clone(), req_set));
                }
                if !lim_set.is_empty() {
                    set_limits.push((cname, lim_set));
                }
            }
        }
        if !problems.is_empty() {
            let reason = if problems.len() == 1 {
                problems.remove(0)
            } else {
                format!("[{}]", problems.join(", "))
            };
            return Err(forbidden(rt, name, &reason));
        }
        let mut parts = Vec::new();
        for (c, rs) in &set_requests {
            parts.push(format!("{} request for container {c}", rs.join(", ")));
        }
        for (c, rs) in &set_limits {
            parts.push(format!("{} limit for container {c}", rs.join(", ")));
        }
        if !parts.is_empty() {
            let annotations = object_at(object_at(obj, "metadata"), "annotations");
            annotations["kubernetes.io/limit-ranger"] =
                json!(format!("LimitRanger plugin set: {}", parts.join("; ")));
        }
        Ok(())
    }
}
