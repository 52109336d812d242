//! OpenAPI v3: `/openapi/v3` (the index) and `/openapi/v3/{api/v1 | apis/{group}/{version}}`
//! (and, for older clients, the single v2 document: [`v2`]).
//!
//! kubectl reads these documents for three things: `kubectl explain` (descriptions and types),
//! the choice of server-side field validation (a PATCH operation for the kind carrying
//! `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter), and client-side
//! apply's merge keys. The schemas come from the bundled Kubernetes 1.33 definitions, which are
//! stored in JSON-Schema form; they are turned back into the OpenAPI v3 form the API server
//! serves (`#/components/schemas/...` references wrapped in `allOf`, no `null` types).

pub mod v2;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use cluster::resources::{ResourceType, ALSO_SERVED, RESOURCES};
use serde_json::{json, Map, Value};

const DEFINITIONS: &str = apidefs::DEFINITIONS_JSON;

fn definitions() -> &'static Map<String, Value> {
    static DEFS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFS.get_or_init(|| {
        let mut all: Value = serde_json::from_str(DEFINITIONS).expect("bundled definitions parse");
        match all["definitions"].take() {
            Value::Object(m) => m
                .into_iter()
                .map(|(name, mut schema)| {
                    // The JSON-Schema form pins apiVersion and kind with an enum; the API
                    // server's documents do not (kubectl explain would print it).
                    for field in ["apiVersion", "kind"] {
                        let p = schema.get_mut("properties").and_then(|p| p.get_mut(field));
                        if let Some(Value::Object(p)) = p {
                            p.remove("enum");
                        }
                    }
                    (name, to_openapi_v3(schema))
                })
                .collect(),
            _ => Map::new(),
        }
    })
}

/// Converts one JSON-Schema definition into the OpenAPI v3 form.
fn to_openapi_v3(schema: Value) -> Value {
    match schema {
        Value::Object(mut m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let r = r.replace("#/$defs/", "#/components/schemas/");
                m.remove("$ref");
                let rest: Map<String, Value> =
                    m.into_iter().map(|(k, v)| (k, to_openapi_v3(v))).collect();
                if rest.is_empty() {
                    return json!({"$ref": r});
                }
                // The API server wraps a reference with siblings (description, default) in allOf.
                let mut out = json!({"allOf": [{"$ref": r}]});
                out.as_object_mut().unwrap().extend(rest);
                return out;
            }
            // `["string", "null"]` → `"string"`: v3 marks optionality by absence from `required`.
            if let Some(Value::Array(types)) = m.get("type") {
                let non_null: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                if let [one] = non_null.as_slice() {
                    let one = (*one).clone();
                    m.insert("type".into(), one);
                }
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, to_openapi_v3(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(to_openapi_v3).collect()),
        other => other,
    }
}

/// Names of every schema reachable from `roots`.
fn closure(roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    let defs = definitions();
    let mut keep = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = defs.get(&name) {
            collect_refs(schema, &mut todo);
        }
    }
    keep
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_string());
                }
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// The definition name of a served kind (`io.k8s.api.apps.v1.Deployment`).
pub fn schema_name(group: &str, version: &str, kind: &str) -> Option<String> {
    definitions().iter().find_map(|(name, schema)| {
        let gvks = schema["x-kubernetes-group-version-kind"].as_array()?;
        gvks.iter()
            .any(|g| g["group"] == group && g["version"] == version && g["kind"] == kind)
            .then(|| name.clone())
    })
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn query_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "description": description, "required": true,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn operation(rt: &ResourceType, action: &str, id: &str, schema: &str, params: Vec<Value>) -> Value {
    let ref_ = json!({"$ref": format!("#/components/schemas/{schema}")});
    let mut op = json!({
        "tags": [rt.group.replace('.', "_")],
        "operationId": id,
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref_}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    });
    if matches!(action, "put" | "post" | "patch") {
        let content = if action == "patch" {
            json!({
                "application/json-patch+json": {"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}},
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}},
                "application/strategic-merge-patch+json": {"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}},
                "application/apply-patch+yaml": {"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}},
            })
        } else {
            json!({"*/*": {"schema": ref_}})
        };
        op["requestBody"] = json!({"content": content, "required": true});
    }
    op
}

/// The paths of one resource type: the collection and the named object, with the write
/// operations' `dryRun`, `fieldManager` and `fieldValidation` parameters.
fn resource_paths(rt: &ResourceType, schema: &str, paths: &mut Map<String, Value>) {
    let base = if rt.group.is_empty() {
        format!("/api/{}", rt.version)
    } else {
        format!("/apis/{}/{}", rt.group, rt.version)
    };
    let (collection, mut common) = if rt.namespaced() {
        (
            format!("{base}/namespaces/{{namespace}}/{}", rt.plural),
            vec![path_param(
                "namespace",
                "object name and auth scope, such as for teams and projects",
            )],
        )
    } else {
        (format!("{base}/{}", rt.plural), vec![])
    };
    let write_params = || {
        vec![
            query_param("dryRun", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
            query_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
            query_param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."),
        ]
    };
    let verbs = rt.verbs;
    let kind = rt.kind;
    let scope = if rt.namespaced() { "Namespaced" } else { "" };
    let mut coll = json!({"parameters": common.clone()});
    if verbs.contains(&"list") {
        coll["get"] = operation(
            rt,
            "list",
            &format!("list{scope}{kind}"),
            &format!("{schema}List"),
            vec![],
        );
    }
    if verbs.contains(&"create") {
        coll["post"] = operation(
            rt,
            "post",
            &format!("create{scope}{kind}"),
            schema,
            write_params(),
        );
    }
    paths.insert(collection.clone(), coll);
    common.insert(0, path_param("name", &format!("name of the {kind}")));
    let mut item = json!({"parameters": common});
    if verbs.contains(&"get") {
        item["get"] = operation(rt, "get", &format!("read{scope}{kind}"), schema, vec![]);
    }
    if verbs.contains(&"update") {
        item["put"] = operation(
            rt,
            "put",
            &format!("replace{scope}{kind}"),
            schema,
            write_params(),
        );
    }
    if verbs.contains(&"patch") {
        let mut params = write_params();
        params.push(query_param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."));
        item["patch"] = operation(rt, "patch", &format!("patch{scope}{kind}"), schema, params);
    }
    if verbs.contains(&"delete") {
        item["delete"] = operation(
            rt,
            "delete",
            &format!("delete{scope}{kind}"),
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            vec![],
        );
    }
    if verbs.len() > 1 || verbs.contains(&"get") {
        paths.insert(format!("{collection}/{{name}}"), item);
    }
}

/// The OpenAPI v3 document of one group-version, or `None` if it is not served.
pub fn group_version_document(group: &str, version: &str) -> Option<Value> {
    let rts: Vec<&ResourceType> = RESOURCES
        .iter()
        .chain(ALSO_SERVED)
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if rts.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut roots = vec![
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status".to_string(),
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch".to_string(),
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions".to_string(),
    ];
    for rt in &rts {
        if let Some(schema) = schema_name(rt.group, rt.version, rt.kind) {
            resource_paths(rt, &schema, &mut paths);
            roots.push(schema);
        }
        if rt.subresources.contains(&"scale") {
            roots.push("io.k8s.api.autoscaling.v1.Scale".into());
        }
    }
    let names = closure(roots);
    let defs = definitions();
    let schemas: BTreeMap<&String, &Value> = names
        .iter()
        .filter_map(|n| defs.get(n).map(|s| (n, s)))
        .collect();
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerToken": {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header"}},
        },
    }))
}

/// The serialised document of a group-version, computed once.
pub fn group_version_bytes(group: &str, version: &str) -> Option<&'static [u8]> {
    static DOCS: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        crate::discovery::group_versions()
            .into_iter()
            .filter_map(|(g, v)| {
                let doc = group_version_document(g, v)?;
                Some((gv_path(g, v), serde_json::to_vec(&doc).expect("serialises")))
            })
            .collect()
    });
    docs.get(&gv_path(group, version)).map(Vec::as_slice)
}

/// A content hash for the index's `?hash=` (clients cache documents by it).
fn hash(bytes: &[u8]) -> String {
    // FNV-1a, 64-bit, printed twice as wide as needed to look like the real SHA-512 prefix length.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}{:016X}", h.rotate_left(29) ^ 0x9E3779B97F4A7C15)
}

/// `GET /openapi/v3`.
pub fn index() -> Value {
    let mut paths = Map::new();
    for (g, v) in crate::discovery::group_versions() {
        let p = gv_path(g, v);
        if let Some(bytes) = group_version_bytes(g, v) {
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={}", hash(bytes))}),
            );
        }
    }
    json!({"paths": paths})
}

/// Splits `/openapi/v3/apis/apps/v1` into (group, version).
pub fn parse_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/openapi/v3/")?;
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["api", v] => Some(("", v)),
        ["apis", g, v] => Some((g, v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_into_components() {
        let doc = group_version_document("", "v1").unwrap();
        let pod = &doc["components"]["schemas"]["io.k8s.api.core.v1.Pod"];
        assert_eq!(
            pod["properties"]["spec"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodSpec"
        );
        assert_eq!(pod["properties"]["kind"]["type"], "string");
        let spec = &doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"];
        assert_eq!(
            spec["properties"]["containers"]["x-kubernetes-patch-merge-key"],
            "name"
        );
        assert!(!serde_json::to_string(&doc).unwrap().contains("$defs"));
        assert!(pod["properties"]["apiVersion"].get("enum").is_none());
        let quantity =
            &doc["components"]["schemas"]["io.k8s.apimachinery.pkg.api.resource.Quantity"];
        assert!(quantity.get("properties").is_none(), "{quantity}");
    }

    #[test]
    fn patch_operations_advertise_field_validation() {
        let doc = group_version_document("apps", "v1").unwrap();
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"));
    }

    #[test]
    fn index_lists_every_group_version() {
        let idx = index();
        assert!(idx["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .starts_with("/openapi/v3/api/v1?hash="));
        assert!(idx["paths"]["apis/apps/v1"].is_object());
        assert_eq!(parse_path("/openapi/v3/apis/apps/v1"), Some(("apps", "v1")));
    }
}
