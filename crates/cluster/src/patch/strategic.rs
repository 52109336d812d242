//! Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), driven by the merge keys
//! and strategies of the bundled API definitions.
//!
//! Rules, as the real implementation applies them:
//! - maps merge recursively; a `null` value deletes the key;
//! - a list whose schema says `x-kubernetes-patch-strategy: merge` merges element-wise: with a
//!   merge key (`containers` by `name`), patch elements update the original element with the same
//!   key or are appended; `{"name": "x", "$patch": "delete"}` removes one; without a merge key (a
//!   list of scalars such as `finalizers`) the patch values are added if missing;
//! - every other list is replaced whole;
//! - `$patch: replace` on a map replaces it, `$patch: delete` deletes it;
//! - `$retainKeys: [...]` keeps only the listed keys (strategy `retainKeys`, e.g. a Deployment's
//!   `strategy` and a pod's `volumes[*]`);
//! - `$deleteFromPrimitiveList/<list>: [...]` removes values from a merged scalar list;
//! - `$setElementOrder/<list>: [...]` orders a merged list (kubectl apply sends it).

use serde_json::{Map, Value};

use crate::schema;
use crate::status::Status;

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// Merges `patch` into `doc` using `schema` (the object's definition) for list strategies.
pub fn merge(doc: &mut Value, patch: &Value, schema: Option<&'static Value>) -> Result<(), Status> {
    let Value::Object(p) = patch else {
        return Err(Status::bad_request(
            "unable to unmarshal patch: json: cannot unmarshal array into Go value of type map[string]interface {}",
        ));
    };
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    merge_map(doc.as_object_mut().expect("made an object"), p, schema)
}

fn merge_map(
    doc: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    schema: Option<&'static Value>,
) -> Result<(), Status> {
    match patch.get(PATCH).and_then(Value::as_str) {
        Some("replace") => {
            *doc = patch
                .iter()
                .filter(|(k, _)| k.as_str() != PATCH)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return Ok(());
        }
        Some("delete") => {
            doc.clear();
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => return Err(Status::bad_request(format!("Unknown patch type: {other}"))),
    }
    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let keep: Vec<&str> = retain
            .as_array()
            .ok_or_else(|| Status::bad_request("invalid patch: retainKeys must be a list"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        doc.retain(|k, _| keep.contains(&k.as_str()));
    }
    // Plain fields first, so the directives below see the merged lists.
    for (key, value) in patch {
        if key == PATCH || key == RETAIN_KEYS || key.starts_with('$') {
            continue;
        }
        let field_schema = schema.and_then(|s| schema::property(s, key));
        if value.is_null() {
            doc.remove(key);
            continue;
        }
        match (doc.get_mut(key), value) {
            (Some(Value::Object(orig)), Value::Object(p)) => {
                if p.get(PATCH).and_then(Value::as_str) == Some("delete") {
                    doc.remove(key);
                } else {
                    merge_map(orig, p, field_schema)?;
                }
            }
            (Some(Value::Array(orig)), Value::Array(p)) => {
                merge_list(orig, p, field_schema)?;
            }
            (_, Value::Object(p)) => {
                // New map: still strip directives out of it.
                let mut fresh = Map::new();
                merge_map(&mut fresh, p, field_schema)?;
                if p.get(PATCH).and_then(Value::as_str) != Some("delete") {
                    doc.insert(key.clone(), Value::Object(fresh));
                }
            }
            (_, Value::Array(p)) => {
                let mut fresh = Vec::new();
                merge_list(&mut fresh, p, field_schema)?;
                doc.insert(key.clone(), Value::Array(fresh));
            }
            (_, v) => {
                doc.insert(key.clone(), v.clone());
            }
        }
    }
    for (key, value) in patch {
        if let Some(list) = key.strip_prefix(DELETE_FROM_PRIMITIVE) {
            let remove = value.as_array().cloned().unwrap_or_default();
            if let Some(Value::Array(items)) = doc.get_mut(list) {
                items.retain(|v| !remove.contains(v));
            }
        } else if let Some(list) = key.strip_prefix(SET_ORDER) {
            let field_schema = schema.and_then(|s| schema::property(s, list));
            let merge_key = field_schema.and_then(schema::patch_merge_key);
            if let (Some(Value::Array(items)), Some(order)) = (doc.get_mut(list), value.as_array())
            {
                order_list(items, order, merge_key);
            }
        }
    }
    Ok(())
}

fn merge_list(
    orig: &mut Vec<Value>,
    patch: &[Value],
    schema: Option<&'static Value>,
) -> Result<(), Status> {
    let strategies = schema.map(schema::patch_strategies).unwrap_or_default();
    // A `{"$patch": "replace"}` element replaces the list with the other elements.
    let replace = patch
        .iter()
        .any(|v| v.get(PATCH).and_then(Value::as_str) == Some("replace"));
    if !strategies.contains(&"merge") || replace {
        *orig = patch
            .iter()
            .filter(|v| v.get(PATCH).is_none())
            .map(|v| strip_directives(v.clone()))
            .collect();
        return Ok(());
    }
    let item_schema = schema.and_then(schema::items);
    match schema.and_then(schema::patch_merge_key) {
        Some(merge_key) => {
            for p in patch {
                let Value::Object(pm) = p else {
                    return Err(Status::bad_request(format!(
                        "unable to find api field in struct for the merge key {merge_key:?}"
                    )));
                };
                let key_value = pm.get(merge_key).ok_or_else(|| {
                    Status::bad_request(format!(
                        "map: {} does not contain declared merge key: {merge_key}",
                        go_map(pm)
                    ))
                })?;
                let pos = orig
                    .iter()
                    .position(|o| o.get(merge_key) == Some(key_value));
                let directive = pm.get(PATCH).and_then(Value::as_str);
                match (pos, directive) {
                    (Some(i), Some("delete")) => {
                        orig.remove(i);
                    }
                    (None, Some("delete")) => {}
                    (Some(i), _) => {
                        if let Value::Object(om) = &mut orig[i] {
                            merge_map(om, pm, item_schema)?;
                        }
                    }
                    (None, _) => {
                        let mut fresh = Map::new();
                        merge_map(&mut fresh, pm, item_schema)?;
                        orig.push(Value::Object(fresh));
                    }
                }
            }
        }
        None => {
            for p in patch {
                if !orig.contains(p) {
                    orig.push(p.clone());
                }
            }
        }
    }
    Ok(())
}

/// Orders `items` as `order` lists them (by merge key, or by value for scalars); items the order
/// does not mention keep their relative order after the listed ones.
fn order_list(items: &mut [Value], order: &[Value], merge_key: Option<&str>) {
    let rank = |v: &Value| {
        let id = match merge_key {
            Some(k) => v.get(k),
            None => Some(v),
        };
        order
            .iter()
            .position(|o| {
                Some(match merge_key {
                    Some(k) => o.get(k).unwrap_or(&Value::Null),
                    None => o,
                }) == id
            })
            .unwrap_or(usize::MAX)
    };
    items.sort_by_key(rank);
}

fn strip_directives(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k, strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_directives).collect()),
        other => other,
    }
}

/// Go's `map[...]` rendering used in strategicpatch errors.
fn go_map(m: &Map<String, Value>) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}:{s}"),
            other => format!("{k}:{other}"),
        })
        .collect();
    format!("map[{}]", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    fn deploy_schema() -> Option<&'static Value> {
        schema::for_resource(by_plural("apps", "deployments").unwrap())
    }

    fn deployment() -> Value {
        json!({"metadata": {"name": "web", "finalizers": ["a"]},
            "spec": {"replicas": 1, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {"spec": {"containers": [
                {"name": "app", "image": "app:v1", "ports": [{"containerPort": 80}],
                 "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                 "args": ["--x"]},
                {"name": "sidecar", "image": "side:v1"}]}}}})
    }

    fn containers(v: &Value) -> &Value {
        &v["spec"]["template"]["spec"]["containers"]
    }

    #[test]
    fn set_image_merges_containers_by_name() {
        let mut d = deployment();
        merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:v2"}]}}}}),
            deploy_schema(),
        )
        .unwrap();
        assert_eq!(containers(&d)[0]["image"], "app:v2");
        assert_eq!(containers(&d)[0]["ports"][0]["containerPort"], 80);
        assert_eq!(containers(&d)[1]["name"], "sidecar");
    }

    #[test]
    fn env_merges_by_name_and_args_are_replaced() {
        let mut d = deployment();
        merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "app",
                "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}, {"name": "A", "$patch": "delete"}],
                "args": ["--y"]}]}}}}),
            deploy_schema(),
        )
        .unwrap();
        let env: Vec<_> = containers(&d)[0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}={}",
                    e["name"].as_str().unwrap(),
                    e["value"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(env, ["B=3", "C=4"]);
        assert_eq!(containers(&d)[0]["args"], json!(["--y"]));
    }

    #[test]
    fn new_containers_are_appended_and_can_be_deleted() {
        let mut d = deployment();
        merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [
                {"name": "sidecar", "$patch": "delete"}, {"name": "new", "image": "n"}]}}}}),
            deploy_schema(),
        )
        .unwrap();
        let names: Vec<_> = containers(&d)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["app", "new"]);
    }

    #[test]
    fn directives_retain_keys_order_and_primitive_lists() {
        let mut d = deployment();
        merge(
            &mut d,
            &json!({"metadata": {"finalizers": ["b"], "$deleteFromPrimitiveList/finalizers": ["a"]},
                "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null},
                "template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}}}}),
            deploy_schema(),
        )
        .unwrap();
        assert_eq!(d["metadata"]["finalizers"], json!(["b"]));
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(containers(&d)[0]["name"], "sidecar");
    }

    #[test]
    fn patch_replace_and_missing_merge_key() {
        let mut d = deployment();
        merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o"}]}}}}),
            deploy_schema(),
        )
        .unwrap();
        assert_eq!(containers(&d), &json!([{"name": "only", "image": "o"}]));
        let err = merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
            deploy_schema(),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "map: map[image:x] does not contain declared merge key: name"
        );
    }
}
