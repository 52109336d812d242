//! Server-side apply's field ownership (k8s.io/apiserver fieldmanager + structured-merge-diff),
//! simplified to what a learner can observe:
//!
//! - an applied configuration's *field set* is the set of paths to its leaves; a list with a
//!   patch merge key (`containers` by `name`) is addressed element by element
//!   (`k:{"name":"web"}`), every other list is one atomic leaf;
//! - `metadata.managedFields[*].fieldsV1` stores a set in the real `f:`/`k:` notation;
//! - a field another manager owns with a different value is a conflict; fields a manager applied
//!   before and no longer applies are removed when no other manager owns them.
//!
//! Approximations: list element keys come from `x-kubernetes-patch-merge-key` only (the real
//! implementation uses `x-kubernetes-list-map-keys`, e.g. ports by `containerPort` *and*
//! `protocol`), and the "." markers of list elements are written but not used for ownership.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::schema;

/// One step of a field path: `f:name` (a map key) or `k:{"name":"x"}` (a keyed list element).
pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

/// Top-level fields that identify an object rather than configure it: never owned.
const IDENTITY: [&str; 2] = ["apiVersion", "kind"];
const IDENTITY_META: [&str; 5] = [
    "name",
    "namespace",
    "managedFields",
    "resourceVersion",
    "uid",
];

/// The leaf paths of an applied configuration.
pub fn field_set(applied: &Value, schema: Option<&'static Value>) -> FieldSet {
    let mut set = FieldSet::new();
    if let Value::Object(m) = applied {
        for (k, v) in m {
            if IDENTITY.contains(&k.as_str()) || k == "status" {
                continue;
            }
            let field_schema = schema.and_then(|s| schema::property(s, k));
            if k == "metadata" {
                if let Value::Object(meta) = v {
                    for (mk, mv) in meta {
                        if IDENTITY_META.contains(&mk.as_str()) {
                            continue;
                        }
                        let s = field_schema.and_then(|s| schema::property(s, mk));
                        walk(
                            mv,
                            s,
                            vec!["f:metadata".into(), format!("f:{mk}")],
                            &mut set,
                        );
                    }
                }
                continue;
            }
            walk(v, field_schema, vec![format!("f:{k}")], &mut set);
        }
    }
    set
}

fn walk(v: &Value, schema: Option<&'static Value>, path: Path, set: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let s = schema.and_then(|s| schema::property(s, k));
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                walk(child, s, p, set);
            }
        }
        Value::Array(items) => match schema.and_then(schema::patch_merge_key) {
            Some(key) if items.iter().all(|i| i.get(key).is_some()) => {
                let item_schema = schema.and_then(schema::items);
                for item in items {
                    let mut p = path.clone();
                    p.push(element_key(key, &item[key]));
                    walk(item, item_schema, p, set);
                }
            }
            _ => {
                set.insert(path);
            }
        },
        _ => {
            set.insert(path);
        }
    }
}

fn element_key(key: &str, value: &Value) -> String {
    let mut m = Map::new();
    m.insert(key.to_string(), value.clone());
    format!("k:{}", Value::Object(m))
}

/// The `fieldsV1` form of a set: nested maps of `f:`/`k:` keys with `{}` leaves; keyed list
/// elements also carry `".": {}`, as the real encoder writes them.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for step in path {
            let entry = node
                .entry(step.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            node = entry.as_object_mut().expect("fieldsV1 nodes are maps");
            if step.starts_with("k:") {
                node.insert(".".into(), Value::Object(Map::new()));
            }
        }
    }
    Value::Object(root)
}

/// The set a `fieldsV1` value describes (its leaves; "." markers are skipped).
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn go(v: &Value, path: &mut Path, set: &mut FieldSet) {
        let Value::Object(m) = v else { return };
        let children: Vec<_> = m.iter().filter(|(k, _)| k.as_str() != ".").collect();
        if children.is_empty() && !path.is_empty() {
            set.insert(path.clone());
            return;
        }
        for (k, child) in children {
            path.push(k.clone());
            go(child, path, set);
            path.pop();
        }
    }
    let mut set = FieldSet::new();
    go(v, &mut Vec::new(), &mut set);
    set
}

/// The value at `path` in `doc`, if present.
pub fn value_at<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut node = doc;
    for step in path {
        node = match step.split_at(2) {
            ("f:", key) => node.get(key)?,
            ("k:", key) => {
                let want: Map<String, Value> = serde_json::from_str(key).ok()?;
                node.as_array()?
                    .iter()
                    .find(|item| want.iter().all(|(k, v)| item.get(k) == Some(v)))?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// Removes the field at `path` from `doc`. Removing a keyed element's key field removes the
/// element; maps and elements left empty by the removal go too (nothing else set them).
pub fn remove_at(doc: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if let Some(("k:", _)) = parents.last().map(|s| s.split_at(2)) {
        let key: Map<String, Value> = parents
            .last()
            .and_then(|s| serde_json::from_str(&s[2..]).ok())
            .unwrap_or_default();
        if key.contains_key(&last[2..]) {
            remove_element(doc, parents);
            return;
        }
    }
    if let Some(Value::Object(m)) = value_mut_at(doc, parents) {
        m.remove(&last[2..]);
    }
    // Prune what became empty, innermost first.
    for depth in (1..=parents.len()).rev() {
        let prefix = &parents[..depth];
        let empty = match value_at(doc, prefix) {
            Some(Value::Object(m)) => m.is_empty(),
            _ => false,
        };
        if !empty {
            break;
        }
        if prefix[depth - 1].starts_with("k:") {
            remove_element(doc, prefix);
        } else if let Some(Value::Object(m)) = value_mut_at(doc, &prefix[..depth - 1]) {
            m.remove(&prefix[depth - 1][2..]);
        }
    }
}

fn remove_element(doc: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let want: Map<String, Value> = serde_json::from_str(&last[2..]).unwrap_or_default();
    if let Some(Value::Array(items)) = value_mut_at(doc, parents) {
        items.retain(|item| !want.iter().all(|(k, v)| item.get(k) == Some(v)));
    }
}

fn value_mut_at<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut node = doc;
    for step in path {
        node = match step.split_at(2) {
            ("f:", key) => node.get_mut(key)?,
            ("k:", key) => {
                let want: Map<String, Value> = serde_json::from_str(key).ok()?;
                node.as_array_mut()?
                    .iter_mut()
                    .find(|item| want.iter().all(|(k, v)| item.get(k) == Some(v)))?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// A path as the conflict messages print it: `.spec.replicas`,
/// `.spec.template.spec.containers[name="web"].image`.
pub fn path_string(path: &[String]) -> String {
    let mut out = String::new();
    for step in path {
        match step.split_at(2) {
            ("k:", key) => {
                let m: Map<String, Value> = serde_json::from_str(key).unwrap_or_default();
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
            (_, key) => {
                out.push('.');
                out.push_str(key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    fn deploy_schema() -> Option<&'static Value> {
        schema::for_resource(by_plural("apps", "deployments").unwrap())
    }

    fn applied() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx", "args": ["a"]}
            ]}}}
        })
    }

    #[test]
    fn field_set_keys_containers_by_name_and_skips_identity() {
        let set = field_set(&applied(), deploy_schema());
        let strings: Vec<String> = set.iter().map(|p| path_string(p)).collect();
        assert_eq!(
            strings,
            [
                ".metadata.labels.app",
                ".spec.replicas",
                ".spec.template.spec.containers[name=\"web\"].args",
                ".spec.template.spec.containers[name=\"web\"].image",
                ".spec.template.spec.containers[name=\"web\"].name",
            ]
        );
    }

    #[test]
    fn fields_v1_round_trips_in_the_real_notation() {
        let set = field_set(&applied(), deploy_schema());
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"],
            json!({".": {}, "f:args": {}, "f:image": {}, "f:name": {}})
        );
        assert_eq!(from_fields_v1(&v1), set);
    }

    #[test]
    fn removing_a_key_field_removes_the_element_and_empty_parents() {
        let mut doc = applied();
        let set = field_set(&doc, deploy_schema());
        let name = set.iter().find(|p| p.last().unwrap() == "f:name").unwrap();
        remove_at(&mut doc, name);
        assert!(doc["spec"]["template"]["spec"]["containers"] == json!([]));
        let mut doc = applied();
        remove_at(
            &mut doc,
            &["f:metadata".into(), "f:labels".into(), "f:app".into()],
        );
        assert_eq!(doc["metadata"], json!({"name": "web"}));
    }
}
