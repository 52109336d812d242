//! The Kubernetes 1.33 API definitions bundled in `definitions.json`, as a lookup table.
//!
//! Both sides of the API use them instead of hand-written tables: the simulated API server for
//! strict field validation, strategic merge patch and the OpenAPI documents it serves; the kubectl
//! emulation for the merge keys of client-side apply's three-way patch (the real kubectl has them
//! compiled in from the Go types' struct tags). Parsed once per process, shared by every session.
//! `tools/update-openapi` regenerates the file.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The bundled document: `{"definitions": {<name>: <JSON schema>}, "kubernetesVersion": ..}`.
pub static DEFINITIONS_JSON: &str = include_str!("../definitions.json");

struct Schemas {
    definitions: serde_json::Map<String, Value>,
    /// `(group, version, kind)` → definition name.
    by_gvk: HashMap<(String, String, String), String>,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut doc: Value =
            serde_json::from_str(DEFINITIONS_JSON).expect("bundled definitions parse");
        let definitions = match doc["definitions"].take() {
            Value::Object(m) => m,
            _ => panic!("bundled definitions have a definitions object"),
        };
        let mut by_gvk = HashMap::new();
        for (name, def) in &definitions {
            for gvk in def["x-kubernetes-group-version-kind"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let s = |k: &str| gvk[k].as_str().unwrap_or_default().to_string();
                by_gvk.insert((s("group"), s("version"), s("kind")), name.clone());
            }
        }
        Schemas {
            definitions,
            by_gvk,
        }
    })
}

/// The whole definitions map (for the REST layer's OpenAPI documents).
pub fn definitions() -> &'static serde_json::Map<String, Value> {
    &schemas().definitions
}

/// A definition by its full name, e.g. `io.k8s.api.core.v1.Pod`.
pub fn definition(name: &str) -> Option<&'static Value> {
    schemas().definitions.get(name)
}

/// The definition of any group-version-kind the bundled API knows (including `Scale`).
pub fn for_gvk(group: &str, version: &str, kind: &str) -> Option<&'static Value> {
    let key = (group.to_string(), version.to_string(), kind.to_string());
    definition(schemas().by_gvk.get(&key)?)
}

/// Follows `$ref` (`#/$defs/<name>`) until a concrete schema is reached.
pub fn resolve(mut schema: &'static Value) -> &'static Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        match r.rsplit('/').next().and_then(definition) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

/// The schema of a named property of an object schema.
pub fn property(schema: &'static Value, name: &str) -> Option<&'static Value> {
    resolve(schema).get("properties")?.get(name)
}

/// The schema of a list's items or a map's values.
pub fn items(schema: &'static Value) -> Option<&'static Value> {
    let s = resolve(schema);
    s.get("items").or_else(|| s.get("additionalProperties"))
}

/// Whether the schema declares any JSON type named `ty` (`type` is a string or a list).
pub fn has_type(schema: &Value, ty: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(s)) => s == ty,
        Some(Value::Array(a)) => a.iter().any(|t| t == ty),
        _ => false,
    }
}

/// `x-kubernetes-patch-strategy` split into its parts (`merge`, `retainKeys`, `replace`).
pub fn patch_strategies(schema: &Value) -> Vec<&str> {
    schema
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
        .map(|s| s.split(',').collect())
        .unwrap_or_default()
}

/// `x-kubernetes-patch-merge-key`.
pub fn patch_merge_key(schema: &Value) -> Option<&str> {
    schema
        .get("x-kubernetes-patch-merge-key")
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kinds_and_follows_refs() {
        let pod = for_gvk("", "v1", "Pod").unwrap();
        let containers = property(property(pod, "spec").unwrap(), "containers").unwrap();
        assert_eq!(patch_merge_key(containers), Some("name"));
        assert_eq!(patch_strategies(containers), ["merge"]);
        let container = items(containers).unwrap();
        assert!(property(container, "image").is_some());
        assert!(property(container, "bogus").is_none());
        assert!(for_gvk("autoscaling", "v1", "Scale").is_some());
    }
}
