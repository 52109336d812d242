//! The three-way strategic merge patch of client-side `kubectl apply`
//! (`strategicpatch.CreateThreeWayMergePatch` in k8s.io/apimachinery).
//!
//! Three inputs: the *original* configuration (the last-applied annotation), the *modified* one
//! (the file now being applied) and the *current* live object. The patch is two diffs merged:
//! - additions and changes: `current` → `modified`, ignoring fields only the live object has (the
//!   server's defaults and status are not the learner's to remove);
//! - deletions: `original` → `modified`, only the fields the learner removed from the file, which
//!   become `null`, `{"$patch": "delete", <key>: ..}` list entries or `$deleteFromPrimitiveList`.
//!
//! Lists are compared the way their schema says: merged element by element on their merge key
//! (`containers` by `name`, `env` by `name`, `ports` by `containerPort`), with a
//! `$setElementOrder/<list>` directive, or replaced whole when atomic. Maps with the `retainKeys`
//! strategy (a Deployment's `strategy`, a pod's `volumes[*]`) get a `$retainKeys` directive, which
//! is how switching `RollingUpdate` to `Recreate` drops `rollingUpdate`. The merge keys come from
//! the bundled API definitions (the real kubectl compiles them in from the Go types).

use serde_json::{Map, Value};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

type Schema = Option<&'static Value>;

/// The patch that turns `current` into `modified` and removes what `original` had but `modified`
/// dropped. An empty object means nothing to do (`unchanged`).
pub fn three_way_patch(original: &Value, modified: &Value, current: &Value) -> Value {
    let schema = schema_of(modified);
    let empty = Map::new();
    let as_map = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
    let (original, modified, current) = (as_map(original), as_map(modified), as_map(current));
    let delta = diff_maps(&current, &modified, schema, Pass::Delta, false);
    let deletions = diff_maps(&original, &modified, schema, Pass::Deletions, false);
    Value::Object(merge_patches(deletions, delta, schema))
}

/// The object definition for a manifest's `apiVersion` and `kind`.
fn schema_of(obj: &Value) -> Schema {
    let api_version = obj["apiVersion"].as_str().unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    apidefs::for_gvk(group, version, obj["kind"].as_str().unwrap_or(""))
}

/// Which half of the three-way patch is being computed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// `current` → `modified`: additions and changes only.
    Delta,
    /// `original` → `modified`: deletions only.
    Deletions,
}

fn property(schema: Schema, key: &str) -> Schema {
    apidefs::property(schema?, key)
}

fn items(schema: Schema) -> Schema {
    apidefs::items(schema?)
}

fn strategies(schema: Schema) -> Vec<&'static str> {
    schema.map(apidefs::patch_strategies).unwrap_or_default()
}

/// `diffMaps`: the patch from `from` to `to` for this pass.
fn diff_maps(
    from: &Map<String, Value>,
    to: &Map<String, Value>,
    schema: Schema,
    pass: Pass,
    retain_keys: bool,
) -> Map<String, Value> {
    let mut patch = Map::new();
    let mut retained: Vec<Value> = Vec::new();
    for (key, to_value) in to {
        if retain_keys && !to_value.is_null() {
            retained.push(Value::String(key.clone()));
        }
        let Some(from_value) = from.get(key) else {
            if pass == Pass::Delta {
                patch.insert(key.clone(), to_value.clone());
            }
            continue;
        };
        let field = property(schema, key);
        match (from_value, to_value) {
            (Value::Object(f), Value::Object(t)) => {
                let s = strategies(field);
                if s.contains(&"replace") {
                    if pass == Pass::Delta && !json_equal(from_value, to_value) {
                        patch.insert(key.clone(), to_value.clone());
                    }
                    continue;
                }
                let sub = diff_maps(f, t, field, pass, s.contains(&"retainKeys"));
                if !sub.is_empty() {
                    patch.insert(key.clone(), Value::Object(sub));
                }
            }
            (Value::Array(f), Value::Array(t)) => {
                let s = strategies(field);
                if s.contains(&"merge") {
                    let merge_key = field.and_then(apidefs::patch_merge_key);
                    diff_merged_lists(
                        key,
                        f,
                        t,
                        items(field),
                        merge_key,
                        pass,
                        s.contains(&"retainKeys"),
                        &mut patch,
                    );
                } else if pass == Pass::Delta && !json_equal(from_value, to_value) {
                    patch.insert(key.clone(), to_value.clone());
                }
            }
            _ if same_type(from_value, to_value) => {
                if pass == Pass::Delta && !json_equal(from_value, to_value) {
                    patch.insert(key.clone(), to_value.clone());
                }
            }
            _ => {
                if pass == Pass::Delta {
                    patch.insert(key.clone(), to_value.clone());
                }
            }
        }
    }
    if pass == Pass::Deletions {
        for key in from.keys() {
            if !to.contains_key(key) {
                patch.insert(key.clone(), Value::Null);
            }
        }
    }
    let dropped_fields = from
        .iter()
        .any(|(k, v)| !v.is_null() && !to.contains_key(k));
    if !retained.is_empty() && (!patch.is_empty() || dropped_fields) {
        retained.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        patch.insert(RETAIN_KEYS.to_string(), Value::Array(retained));
    }
    patch
}

/// `handleSliceDiff` for a list with the `merge` strategy.
#[allow(clippy::too_many_arguments)]
fn diff_merged_lists(
    key: &str,
    from: &[Value],
    to: &[Value],
    item_schema: Schema,
    merge_key: Option<&str>,
    pass: Pass,
    retain_keys: bool,
    patch: &mut Map<String, Value>,
) {
    let maps = from.iter().chain(to).any(Value::is_object);
    if let (true, Some(merge_key)) = (maps, merge_key) {
        let (mut changed, deleted) =
            diff_lists_of_maps(from, to, item_schema, merge_key, pass, retain_keys);
        order_like(&mut changed, to, |v| key_string(&v[merge_key]));
        let order_same = from.len() == to.len()
            && from
                .iter()
                .zip(to)
                .all(|(a, b)| key_string(&a[merge_key]) == key_string(&b[merge_key]));
        changed.extend(deleted);
        let set_order = match pass {
            Pass::Delta => !changed.is_empty() || !order_same,
            Pass::Deletions => !changed.is_empty(),
        };
        if !changed.is_empty() {
            patch.insert(key.to_string(), Value::Array(changed));
        }
        if set_order {
            let order = to
                .iter()
                .map(|v| {
                    let mut m = Map::new();
                    m.insert(merge_key.to_string(), v[merge_key].clone());
                    Value::Object(m)
                })
                .collect();
            patch.insert(format!("{SET_ORDER}{key}"), Value::Array(order));
        }
    } else {
        let (mut added, deleted) = diff_lists_of_scalars(from, to, pass);
        order_like(&mut added, to, key_string);
        let set_order = match pass {
            Pass::Delta => !json_equal(&Value::from(from.to_vec()), &Value::from(to.to_vec())),
            Pass::Deletions => !deleted.is_empty(),
        };
        if !added.is_empty() {
            patch.insert(key.to_string(), Value::Array(added));
        }
        if !deleted.is_empty() {
            patch.insert(
                format!("{DELETE_FROM_PRIMITIVE}{key}"),
                Value::Array(deleted),
            );
        }
        if set_order {
            patch.insert(format!("{SET_ORDER}{key}"), Value::Array(to.to_vec()));
        }
    }
}

/// `diffListsOfMaps`: walks both lists sorted by merge key; elements in both are diffed, new ones
/// added whole (delta pass), missing ones become delete directives (deletions pass).
fn diff_lists_of_maps(
    from: &[Value],
    to: &[Value],
    item_schema: Schema,
    merge_key: &str,
    pass: Pass,
    retain_keys: bool,
) -> (Vec<Value>, Vec<Value>) {
    let sorted = |list: &[Value]| {
        let mut l: Vec<Value> = list.to_vec();
        l.sort_by_key(|v| key_string(&v[merge_key]));
        l
    };
    let (from, to) = (sorted(from), sorted(to));
    let (mut changed, mut deleted) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    let empty = Map::new();
    while i < from.len() || j < to.len() {
        let fk = from.get(i).map(|v| key_string(&v[merge_key]));
        let tk = to.get(j).map(|v| key_string(&v[merge_key]));
        match (fk, tk) {
            (Some(a), Some(b)) if a == b => {
                let f = from[i].as_object().unwrap_or(&empty);
                let t = to[j].as_object().unwrap_or(&empty);
                let mut sub = diff_maps(f, t, item_schema, pass, retain_keys);
                if !sub.is_empty() {
                    sub.insert(merge_key.to_string(), to[j][merge_key].clone());
                    changed.push(Value::Object(sub));
                }
                i += 1;
                j += 1;
            }
            (None, Some(_)) => {
                if pass == Pass::Delta {
                    changed.push(to[j].clone());
                }
                j += 1;
            }
            (Some(a), Some(b)) if a > b => {
                if pass == Pass::Delta {
                    changed.push(to[j].clone());
                }
                j += 1;
            }
            _ => {
                if pass == Pass::Deletions {
                    let mut directive = Map::new();
                    directive.insert(PATCH.to_string(), Value::String("delete".into()));
                    directive.insert(merge_key.to_string(), from[i][merge_key].clone());
                    deleted.push(Value::Object(directive));
                }
                i += 1;
            }
        }
    }
    (changed, deleted)
}

/// `diffListsOfScalars` for a merged list of scalars (`finalizers`): what to add, what to remove.
fn diff_lists_of_scalars(from: &[Value], to: &[Value], pass: Pass) -> (Vec<Value>, Vec<Value>) {
    let sorted = |list: &[Value]| {
        let mut l: Vec<Value> = list.to_vec();
        l.sort_by_key(key_string);
        l.dedup_by_key(|v| key_string(v));
        l
    };
    let (from, to) = (sorted(from), sorted(to));
    let (mut added, mut deleted) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < from.len() || j < to.len() {
        match (from.get(i).map(key_string), to.get(j).map(key_string)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                if pass == Pass::Deletions {
                    deleted.push(from[i].clone());
                }
                i += 1;
            }
            (_, Some(_)) => {
                if pass == Pass::Delta {
                    added.push(to[j].clone());
                }
                j += 1;
            }
            (Some(_), None) => {
                if pass == Pass::Deletions {
                    deleted.push(from[i].clone());
                }
                i += 1;
            }
            (None, None) => break,
        }
    }
    (added, deleted)
}

/// `normalizeSliceOrder`: patch elements in the order of the modified list; delete directives
/// (not in it) keep their place at the end.
fn order_like(list: &mut [Value], order: &[Value], key: impl Fn(&Value) -> String) {
    let keys: Vec<String> = order.iter().map(&key).collect();
    let position = |v: &Value| {
        if v.get(PATCH).is_some() {
            return usize::MAX;
        }
        keys.iter().position(|k| *k == key(v)).unwrap_or(usize::MAX)
    };
    list.sort_by_key(position);
}

/// Go's `fmt.Sprintf("%v", value)` of a merge key value, which the real code sorts by.
fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_string(),
        other => other.to_string(),
    }
}

/// `mergeMap(deletions, delta)`: one patch from the two halves.
fn merge_patches(
    mut into: Map<String, Value>,
    from: Map<String, Value>,
    schema: Schema,
) -> Map<String, Value> {
    for (key, value) in from {
        let field = property(schema, &key);
        match (into.get_mut(&key), value) {
            (Some(Value::Object(a)), Value::Object(b)) => {
                let merged = merge_patches(std::mem::take(a), b, field);
                *a = merged;
            }
            (Some(Value::Array(a)), Value::Array(b))
                if !key.starts_with('$') && strategies(field).contains(&"merge") =>
            {
                match field.and_then(apidefs::patch_merge_key) {
                    Some(mk) if b.iter().all(Value::is_object) => {
                        let server = std::mem::take(a);
                        *a = merge_map_lists(server, b, mk, items(field));
                    }
                    _ => {
                        for element in b {
                            if !a.iter().any(|e| json_equal(e, &element)) {
                                a.push(element);
                            }
                        }
                    }
                }
            }
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
    into
}

/// `mergeSlice` of two patches' lists merged by `merge_key`, then its "enforce the order" step:
/// the entries the second patch names come in its order, interleaved with the first patch's own
/// entries where both orders allow, delete directives last.
fn merge_map_lists(
    server: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    item_schema: Schema,
) -> Vec<Value> {
    let same = |a: &Value, b: &Value| json_equal(&a[merge_key], &b[merge_key]);
    let mut merged = server.clone();
    for element in &patch {
        let found = merged
            .iter_mut()
            .find(|e| e.get(PATCH).is_none() && same(e, element));
        match (found, element) {
            (Some(Value::Object(e)), Value::Object(el)) => {
                *e = merge_patches(std::mem::take(e), el.clone(), item_schema);
            }
            _ => merged.push(element.clone()),
        }
    }
    let (mut patch_items, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|e| patch.iter().any(|p| same(e, p)));
    order_like(&mut patch_items, &patch, |v| key_string(&v[merge_key]));
    order_like(&mut server_only, &server, |v| key_string(&v[merge_key]));
    // `mergeSortedSlice`: take the server-only entry first only when both are in the server's
    // order and it comes first there.
    let position = |v: &Value| server.iter().position(|s| same(s, v));
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        patch_items.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!((position(l), position(r)), (Some(a), Some(b)) if a < b),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Deep equality with numbers compared as Go's `float64`s (`3` and `3.0` are the same value).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 2, "template": {"spec": {"containers": containers}}}})
    }

    #[test]
    fn nothing_changed_is_an_empty_patch_despite_server_defaults() {
        let config = deployment(json!([{"name": "web", "image": "nginx:1.25"}]));
        let mut live = config.clone();
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        live["spec"]["strategy"] = json!({"type": "RollingUpdate"});
        live["status"] = json!({"replicas": 2});
        assert_eq!(three_way_patch(&config, &config, &live), json!({}));
    }

    #[test]
    fn a_field_removed_from_the_file_is_removed_from_the_live_object() {
        let original = deployment(json!([{"name": "web", "image": "nginx",
            "readinessProbe": {"httpGet": {"port": 8080, "path": "/"}}}]));
        let modified = deployment(json!([{"name": "web", "image": "nginx"}]));
        let mut live = original.clone();
        live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] =
            json!("/dev/termination-log");
        assert_eq!(
            three_way_patch(&original, &modified, &live),
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "web"}],
                "containers": [{"name": "web", "readinessProbe": null}]}}}})
        );
    }

    #[test]
    fn list_entries_are_added_changed_and_deleted_by_merge_key() {
        let original = deployment(
            json!([{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1",
            "env": [{"name": "ONE", "value": "1"}, {"name": "TWO", "value": "2"}]}]),
        );
        let modified = deployment(json!([{"name": "b", "image": "y:2",
            "env": [{"name": "ONE", "value": "1"}]}, {"name": "c", "image": "z:1"}]));
        let patch = three_way_patch(&original, &modified, &original);
        assert_eq!(
            patch["spec"]["template"]["spec"],
            json!({
                "$setElementOrder/containers": [{"name": "b"}, {"name": "c"}],
                "containers": [
                    {"name": "b", "image": "y:2", "$setElementOrder/env": [{"name": "ONE"}],
                     "env": [{"$patch": "delete", "name": "TWO"}]},
                    {"name": "c", "image": "z:1"},
                    {"$patch": "delete", "name": "a"}
                ]
            })
        );
    }

    #[test]
    fn switching_to_recreate_retains_only_the_type() {
        let original = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"strategy": {"type": "RollingUpdate"}}});
        let modified = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"strategy": {"type": "Recreate"}}});
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"strategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}});
        assert_eq!(
            three_way_patch(&original, &modified, &live),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
        );
    }

    #[test]
    fn atomic_lists_are_replaced_and_labels_removed() {
        let original = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"labels": {"app": "web", "tier": "fe"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"]}]}});
        let modified = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "2"]}]}});
        assert_eq!(
            three_way_patch(&original, &modified, &original),
            json!({"metadata": {"labels": {"tier": null}}, "spec": {
                "$setElementOrder/containers": [{"name": "c"}],
                "containers": [{"name": "c", "command": ["sleep", "2"]}]}})
        );
    }

    #[test]
    fn scalar_merge_lists_use_delete_from_primitive_list() {
        let original =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"finalizers": ["a", "b"]}});
        let modified =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"finalizers": ["a"]}});
        assert_eq!(
            three_way_patch(&original, &modified, &original),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"],
                                "$setElementOrder/finalizers": ["a"]}})
        );
    }
}
