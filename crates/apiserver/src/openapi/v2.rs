//! OpenAPI v2: `GET /openapi/v2`, the single Swagger 2.0 document of the whole API.
//!
//! kubectl before 1.29 reads it for `apply` (merge keys, client-side validation), `diff`,
//! `explain` and `edit`, and fails without it. It asks for the protobuf form
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, gnostic's `openapi.v2.Document`
//! message) and takes JSON only from servers that cannot give protobuf, so both are served. The
//! document holds the definitions, from the same bundled schemas as v3, and a PATCH operation per
//! kind saying which query parameters it takes (kubectl checks `fieldValidation` and `dryRun`
//! support there).

use std::sync::OnceLock;

use cluster::resources::{ALSO_SERVED, RESOURCES};
use serde_json::{json, Map, Value};

/// The protobuf media types: kubectl asks for the old spelling with `@` (which is not a valid
/// media type, so Go's parser rejects it in a response), the API server answers with the new one.
pub const PROTOBUF_ACCEPTED: [&str; 2] = [
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
];
pub const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The document as JSON, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// The document in gnostic's protobuf form, encoded once.
pub fn protobuf() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| encode::document(document()))
}

/// The document as JSON text, serialised once.
pub fn json_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| serde_json::to_vec(document()).expect("serialises"))
}

fn build() -> Value {
    let definitions: Map<String, Value> = apidefs::definitions()
        .iter()
        .map(|(name, schema)| (name.clone(), to_swagger(name, schema.clone())))
        .collect();
    let mut paths = Map::new();
    for rt in RESOURCES.iter().chain(ALSO_SERVED) {
        let Some(schema) = super::schema_name(rt.group, rt.version, rt.kind) else {
            continue;
        };
        if !rt.verbs.contains(&"patch") {
            continue;
        }
        let base = if rt.group.is_empty() {
            format!("/api/{}", rt.version)
        } else {
            format!("/apis/{}/{}", rt.group, rt.version)
        };
        let path = if rt.namespaced() {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{base}/{}/{{name}}", rt.plural)
        };
        let query = |name: &str| json!({"name": name, "in": "query", "type": "string", "uniqueItems": true});
        paths.insert(
            path,
            json!({"patch": {
                "operationId": format!("patch{}{}", if rt.namespaced() { "Namespaced" } else { "" }, rt.kind),
                "consumes": ["application/json-patch+json", "application/merge-patch+json",
                             "application/strategic-merge-patch+json", "application/apply-patch+yaml"],
                "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                "parameters": [
                    {"name": "body", "in": "body", "required": true,
                     "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}},
                    query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force"),
                ],
                "responses": {"200": {"description": "OK", "schema": {"$ref": format!("#/definitions/{schema}")}}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
            }}),
        );
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.33.1"},
        "paths": paths,
        "definitions": definitions,
    })
}

/// One bundled JSON-Schema definition in Swagger 2.0 form: `#/definitions/` references (with
/// their description beside them, as the API server writes them), one type per schema, and
/// int-or-string as the API server spells it.
fn to_swagger(name: &str, schema: Value) -> Value {
    if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString" {
        return json!({"type": "string", "format": "int-or-string",
                      "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number."});
    }
    let mut schema = convert(schema);
    // The JSON-Schema form pins apiVersion and kind with an enum; the API server does not.
    for field in ["apiVersion", "kind"] {
        if let Some(Value::Object(p)) = schema.pointer_mut(&format!("/properties/{field}")) {
            p.remove("enum");
        }
    }
    schema
}

fn convert(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(k, Value::String(r.replace("#/$defs/", "#/definitions/")));
                    }
                    ("type", Value::Array(types)) => {
                        let non_null: Vec<Value> =
                            types.into_iter().filter(|t| t != "null").collect();
                        let ty = match <[Value; 1]>::try_from(non_null) {
                            Ok([one]) => one,
                            Err(many) => Value::Array(many),
                        };
                        out.insert(k, ty);
                    }
                    (_, v) => {
                        out.insert(k, convert(v));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
        other => other,
    }
}

/// The protobuf encoding of the document, field numbers from gnostic's `OpenAPIv2.proto`.
mod encode {
    use serde_json::Value;

    /// A message being written.
    #[derive(Default)]
    struct Msg(Vec<u8>);

    impl Msg {
        fn varint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.0.push((v as u8) | 0x80);
                v >>= 7;
            }
            self.0.push(v as u8);
        }
        fn key(&mut self, field: u32, wire: u8) {
            self.varint(u64::from(field) << 3 | u64::from(wire));
        }
        fn bytes(&mut self, field: u32, b: &[u8]) {
            self.key(field, 2);
            self.varint(b.len() as u64);
            self.0.extend_from_slice(b);
        }
        fn string(&mut self, field: u32, s: &str) {
            self.bytes(field, s.as_bytes());
        }
        fn message(&mut self, field: u32, m: Msg) {
            self.bytes(field, &m.0);
        }
        fn boolean(&mut self, field: u32, b: bool) {
            if b {
                self.key(field, 0);
                self.varint(1);
            }
        }
        fn int64(&mut self, field: u32, v: i64) {
            self.key(field, 0);
            self.varint(v as u64);
        }
        fn double(&mut self, field: u32, v: f64) {
            self.key(field, 1);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// gnostic's `Any`: a value carried as YAML text.
    fn any(v: &Value) -> Msg {
        let mut m = Msg::default();
        let yaml = serde_yaml_ng::to_string(v).expect("JSON values are YAML");
        m.string(2, &yaml);
        m
    }

    /// `NamedAny` entries for the `x-` keys of an object.
    fn vendor_extensions(out: &mut Msg, field: u32, o: &serde_json::Map<String, Value>) {
        for (k, v) in o.iter().filter(|(k, _)| k.starts_with("x-")) {
            let mut named = Msg::default();
            named.string(1, k);
            named.message(2, any(v));
            out.message(field, named);
        }
    }

    fn schema(v: &Value) -> Msg {
        let mut m = Msg::default();
        let Some(o) = v.as_object() else {
            return m;
        };
        let s = |k: &str| o.get(k).and_then(Value::as_str);
        let n = |k: &str| o.get(k).and_then(Value::as_f64);
        let i = |k: &str| o.get(k).and_then(Value::as_i64);
        if let Some(r) = s("$ref") {
            m.string(1, r);
        }
        for (field, key) in [(2, "format"), (3, "title"), (4, "description")] {
            if let Some(x) = s(key) {
                m.string(field, x);
            }
        }
        if let Some(d) = o.get("default") {
            m.message(5, any(d));
        }
        for (field, key) in [(6, "multipleOf"), (7, "maximum"), (9, "minimum")] {
            if let Some(x) = n(key) {
                m.double(field, x);
            }
        }
        for (field, key) in [(8, "exclusiveMaximum"), (10, "exclusiveMinimum")] {
            m.boolean(field, o.get(key).and_then(Value::as_bool).unwrap_or(false));
        }
        for (field, key) in [
            (11, "maxLength"),
            (12, "minLength"),
            (14, "maxItems"),
            (15, "minItems"),
            (17, "maxProperties"),
            (18, "minProperties"),
        ] {
            if let Some(x) = i(key) {
                m.int64(field, x);
            }
        }
        if let Some(p) = s("pattern") {
            m.string(13, p);
        }
        m.boolean(
            16,
            o.get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
        for r in o
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                m.string(19, r);
            }
        }
        for e in o
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            m.message(20, any(e));
        }
        match o.get("additionalProperties") {
            Some(Value::Bool(b)) => {
                let mut item = Msg::default();
                item.key(2, 0);
                item.varint(u64::from(*b));
                m.message(21, item);
            }
            Some(sub @ Value::Object(_)) => {
                let mut item = Msg::default();
                item.message(1, schema(sub));
                m.message(21, item);
            }
            _ => {}
        }
        let types: Vec<&str> = match o.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.is_empty() {
            let mut item = Msg::default();
            types.iter().for_each(|t| item.string(1, t));
            m.message(22, item);
        }
        match o.get("items") {
            Some(Value::Array(list)) => {
                let mut item = Msg::default();
                list.iter().for_each(|x| item.message(1, schema(x)));
                m.message(23, item);
            }
            Some(one @ Value::Object(_)) => {
                let mut item = Msg::default();
                item.message(1, schema(one));
                m.message(23, item);
            }
            _ => {}
        }
        for a in o
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            m.message(24, schema(a));
        }
        if let Some(Value::Object(props)) = o.get("properties") {
            let mut p = Msg::default();
            for (name, sub) in props {
                p.message(1, named(name, schema(sub)));
            }
            m.message(25, p);
        }
        vendor_extensions(&mut m, 31, o);
        m
    }

    fn named(name: &str, value: Msg) -> Msg {
        let mut m = Msg::default();
        m.string(1, name);
        m.message(2, value);
        m
    }

    fn operation(op: &Value) -> Msg {
        let mut m = Msg::default();
        let strings = |key: &str| -> Vec<&str> {
            op[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        };
        if let Some(id) = op["operationId"].as_str() {
            m.string(5, id);
        }
        strings("produces").iter().for_each(|p| m.string(6, p));
        strings("consumes").iter().for_each(|c| m.string(7, c));
        for p in op["parameters"].as_array().into_iter().flatten() {
            let mut parameter = Msg::default();
            let str_of = |k: &str| p[k].as_str().unwrap_or_default();
            if p["in"] == "body" {
                let mut body = Msg::default();
                body.string(2, str_of("name"));
                body.string(3, "body");
                body.boolean(4, p["required"].as_bool().unwrap_or(false));
                body.message(5, schema(&p["schema"]));
                parameter.message(1, body);
            } else {
                let mut query = Msg::default();
                query.string(2, str_of("in"));
                query.string(4, str_of("name"));
                query.string(6, str_of("type"));
                query.boolean(20, p["uniqueItems"].as_bool().unwrap_or(false));
                let mut non_body = Msg::default();
                non_body.message(3, query);
                parameter.message(2, non_body);
            }
            let mut item = Msg::default();
            item.message(1, parameter);
            m.message(8, item);
        }
        if let Some(responses) = op["responses"].as_object() {
            let mut rs = Msg::default();
            for (code, r) in responses {
                let mut response = Msg::default();
                response.string(1, r["description"].as_str().unwrap_or_default());
                let mut schema_item = Msg::default();
                schema_item.message(1, schema(&r["schema"]));
                response.message(2, schema_item);
                let mut value = Msg::default();
                value.message(1, response);
                rs.message(1, named(code, value));
            }
            m.message(9, rs);
        }
        if let Some(o) = op.as_object() {
            vendor_extensions(&mut m, 13, o);
        }
        m
    }

    pub(super) fn document(doc: &Value) -> Vec<u8> {
        let mut d = Msg::default();
        d.string(1, doc["swagger"].as_str().unwrap_or("2.0"));
        let mut info = Msg::default();
        info.string(1, doc["info"]["title"].as_str().unwrap_or_default());
        info.string(2, doc["info"]["version"].as_str().unwrap_or_default());
        d.message(2, info);
        let mut paths = Msg::default();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut path_item = Msg::default();
            // PathItem: get 2, put 3, post 4, delete 5, options 6, head 7, patch 8.
            for (field, verb) in [
                (2, "get"),
                (3, "put"),
                (4, "post"),
                (5, "delete"),
                (8, "patch"),
            ] {
                if item.get(verb).is_some() {
                    path_item.message(field, operation(&item[verb]));
                }
            }
            paths.message(2, named(path, path_item));
        }
        d.message(8, paths);
        let mut definitions = Msg::default();
        for (name, s) in doc["definitions"].as_object().into_iter().flatten() {
            definitions.message(1, named(name, schema(s)));
        }
        d.message(9, definitions);
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_swagger_and_kinds_have_a_patch_operation() {
        let doc = document();
        assert_eq!(doc["swagger"], "2.0");
        let deployment = &doc["definitions"]["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["properties"]["spec"]["$ref"],
            "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
        );
        assert_eq!(deployment["properties"]["kind"]["type"], "string");
        assert!(deployment["properties"]["kind"].get("enum").is_none());
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&"fieldValidation") && names.contains(&"dryRun"));
        let containers =
            &doc["definitions"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(
            doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
            "int-or-string"
        );
    }

    /// Reads protobuf fields back (wire type 2 and 0 only, which is all the document uses for
    /// the parts checked here).
    fn fields(mut b: &[u8]) -> Vec<(u64, &[u8])> {
        fn varint(b: &mut &[u8]) -> u64 {
            let mut v = 0;
            let mut shift = 0;
            loop {
                let byte = b[0];
                *b = &b[1..];
                v |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return v;
                }
                shift += 7;
            }
        }
        let mut out = Vec::new();
        while !b.is_empty() {
            let key = varint(&mut b);
            match key & 7 {
                2 => {
                    let len = varint(&mut b) as usize;
                    out.push((key >> 3, &b[..len]));
                    b = &b[len..];
                }
                0 => {
                    varint(&mut b);
                    out.push((key >> 3, &[][..]));
                }
                1 => {
                    out.push((key >> 3, &b[..8]));
                    b = &b[8..];
                }
                w => panic!("wire type {w}"),
            }
        }
        out
    }

    #[test]
    fn the_protobuf_form_carries_the_definitions_and_their_extensions() {
        let doc = fields(protobuf());
        assert_eq!(doc[0], (1, &b"2.0"[..]));
        let definitions = doc.iter().find(|(f, _)| *f == 9).unwrap().1;
        let named: Vec<(u64, &[u8])> = fields(definitions);
        assert_eq!(
            named.len(),
            document()["definitions"].as_object().unwrap().len()
        );
        let deployment = named
            .iter()
            .map(|(_, n)| fields(n))
            .find(|n| n[0].1 == b"io.k8s.api.apps.v1.Deployment")
            .unwrap();
        let schema = fields(deployment[1].1);
        // Its description, its type `object`, and the group-version-kind as YAML.
        assert!(schema
            .iter()
            .any(|(f, v)| *f == 4 && v.starts_with(b"Deployment enables")));
        let ty = schema.iter().find(|(f, _)| *f == 22).unwrap().1;
        assert_eq!(fields(ty), [(1, &b"object"[..])]);
        let ext = schema.iter().find(|(f, _)| *f == 31).unwrap().1;
        let ext = fields(ext);
        assert_eq!(ext[0].1, b"x-kubernetes-group-version-kind");
        let yaml = fields(ext[1].1)[0].1;
        assert_eq!(
            std::str::from_utf8(yaml).unwrap(),
            "- group: apps\n  kind: Deployment\n  version: v1\n"
        );
    }
}
