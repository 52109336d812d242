//! Server-side printing: `meta.k8s.io/v1` `Table` responses (`Accept: application/json;as=Table;...`).
//!
//! kubectl get asks for a Table and prints whatever columns it gets; the rows carry the object as
//! `PartialObjectMetadata` (`includeObject=Metadata`, the default) or whole (`includeObject=Object`,
//! which `--sort-by` and `-o custom-columns` ask for).

use std::sync::Arc;

use cluster::{Object, ResourceType};
use jiff::Timestamp;
use serde_json::{json, Value};

/// What the rows carry (`?includeObject=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(s: Option<&str>) -> IncludeObject {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Whether an `Accept` header asks for a Table (kubectl sends
/// `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`).
pub fn wants_table(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|range| {
            let params: Vec<&str> = range.split(';').map(str::trim).collect();
            params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
        })
    })
}

/// A row's object, made from the object's JSON once its cells are printed (converting a typed
/// object to JSON is most of a Table's cost, so it is done once per object, not twice).
fn row_object(mut value: Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => value,
        // A map rather than `json!`, which would copy the metadata through a serializer.
        IncludeObject::Metadata => Value::Object(serde_json::Map::from_iter([
            ("kind".to_string(), json!("PartialObjectMetadata")),
            ("apiVersion".to_string(), json!("meta.k8s.io/v1")),
            ("metadata".to_string(), value["metadata"].take()),
        ])),
    }
}

/// What a row is printed from: the object as JSON, or for a pod whose row does not carry the
/// whole object, only what its cells and metadata need (a pod's spec is half of its JSON).
fn row_source(object: &Object, include: IncludeObject) -> Value {
    match object {
        Object::Pod(pod) if include != IncludeObject::Object => {
            kubectl::printers::table::pod_row_source(pod)
        }
        _ => object.to_value(),
    }
}

/// The Table of some objects of one type. Columns and cells come from the printers that the
/// terminal's kubectl uses too ([`kubectl::printers::table`]); this adds what the API server
/// adds: the list metadata and each row's object as the request asked.
pub fn table(
    rt: &ResourceType,
    objects: &[Arc<Object>],
    include: IncludeObject,
    resource_version: &str,
    now: Timestamp,
) -> Value {
    let values: Vec<Value> = objects.iter().map(|o| row_source(o, include)).collect();
    let mut t = kubectl::printers::table::table(rt.kind, &values, now);
    t["metadata"] = json!({"resourceVersion": resource_version});
    if let Some(rows) = t["rows"].as_array_mut() {
        for (row, value) in rows.iter_mut().zip(values) {
            let obj = row_object(value, include);
            if !obj.is_null() {
                row["object"] = obj;
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_kubectls_table_accept_header() {
        assert!(wants_table(Some(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
        )));
        assert!(!wants_table(Some("application/json")));
    }
}
