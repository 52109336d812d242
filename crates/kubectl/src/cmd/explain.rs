//! `kubectl explain`: the documentation of a resource or one of its fields, read from the
//! server's OpenAPI v3 documents and laid out like kubectl 1.33's `plaintext` template
//! (`staging/src/k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl`).
//!
//! The template is rendered by hand here, one function per sub-template (`output`, `fieldList`,
//! `fieldDetail`, `description`, `typeGuess`, `extractEnum`), so that its quirks carry over: the
//! header is printed before a missing field is noticed, descriptions keep their line breaks, and
//! a field list follows `allOf`, `items` and `additionalProperties` as the template does.

use std::collections::BTreeSet;

use serde_json::Value;

use super::resources::set_namespace;
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag};
use crate::rest::Request;
use crate::Output;

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("recursive", None),
        v("api-version", None),
        v("output", None),
    ];
    let Some(p) = parse_flags("explain", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    match p.args.len() {
        0 => {
            out.fail("error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.\n");
            return;
        }
        1 => {}
        _ => {
            out.fail("error: We accept only this format: explain RESOURCE\n");
            return;
        }
    }
    match p.get("output").unwrap_or("plaintext") {
        "plaintext" => {}
        "plaintext-openapiv2" => {
            // kubectl reads the OpenAPI v2 document (protobuf) for this renderer; a server
            // without one answers 404, which is reported as is.
            let resp = env.transport.call(Request::get("/openapi/v2").header(
                "accept",
                "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
            ));
            if resp.status >= 400 {
                out.fail(crate::server_error(&resp));
            } else {
                out.fail(
                    "error: the OpenAPI v2 renderer is not available here; use --output=plaintext",
                );
            }
            return;
        }
        other => {
            out.fail(format!("error: unrecognized format: {other}"));
            return;
        }
    }
    let Some((mapping, fields)) = split_resource(&p.args[0], env, out) else {
        return;
    };
    let (group, version) = match p.get("api-version") {
        Some(av) => match av.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), av.to_string()),
        },
        None => (mapping.group.clone(), mapping.version.clone()),
    };
    let gvr = Gvr {
        group,
        version,
        resource: mapping.plural.clone(),
    };
    let Some(document) = fetch_document(&gvr, env, out) else {
        return;
    };
    match render(&document, &gvr, &fields, p.bool("recursive")) {
        Ok(text) => out.stdout.push_str(&text),
        Err((printed, error)) => {
            out.stdout.push_str(&printed);
            out.fail(error);
        }
    }
}

/// A group, version and resource, printed as client-go's `GroupVersionResource.String()`.
struct Gvr {
    group: String,
    version: String,
    resource: String,
}

impl std::fmt::Display for Gvr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}, Resource={}",
            self.group, self.version, self.resource
        )
    }
}

/// `pods.spec.containers` → the pods mapping and `[spec, containers]`; a fully qualified
/// `deployments.apps.spec` or `deployments.v1.apps.spec` drops the group (and version) too.
fn split_resource(typed: &str, env: &mut Env, out: &mut Output) -> Option<(Mapping, Vec<String>)> {
    let typed = typed.trim_end_matches('.');
    let mut parts = typed.split('.');
    let resource = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let Some(mapping) = env.discovery().resolve(resource).cloned() else {
        out.fail(format!(
            "the server doesn't have a resource type \"{resource}\""
        ));
        return None;
    };
    let joined = rest.join(".");
    let mut skip = 0;
    if !mapping.group.is_empty() {
        for prefix in [
            format!("{}.{}", mapping.version, mapping.group),
            mapping.group.clone(),
        ] {
            if joined == prefix || joined.starts_with(&format!("{prefix}.")) {
                skip = prefix.split('.').count();
                break;
            }
        }
    }
    let fields = rest[skip..].iter().map(|s| s.to_string()).collect();
    Some((mapping, fields))
}

/// GETs the OpenAPI v3 index, then the document of the group-version.
fn fetch_document(gvr: &Gvr, env: &mut Env, out: &mut Output) -> Option<Value> {
    let index = env
        .transport
        .call(Request::get("/openapi/v3").header("accept", "application/json"));
    let Some(index) = index.body_json().filter(|_| index.status < 400) else {
        out.fail(format!(
            "error: failed to fetch list of groupVersions: the server responded with the status code {} but did not return more information",
            index.status
        ));
        return None;
    };
    let key = if gvr.group.is_empty() {
        format!("api/{}", gvr.version)
    } else {
        format!("apis/{}/{}", gvr.group, gvr.version)
    };
    let Some(url) = index["paths"][&key]["serverRelativeURL"].as_str() else {
        out.fail(format!("error: couldn't find resource for \"{gvr}\""));
        return None;
    };
    let resp = env
        .transport
        .call(Request::get(url).header("accept", "application/json"));
    match resp.body_json() {
        Some(doc) if resp.status < 400 => Some(doc),
        _ => {
            out.fail(crate::server_error(&resp));
            None
        }
    }
}

/// What the template printed, or what it printed before failing and the error.
type Rendered = Result<String, (String, String)>;

/// The `plaintext` template over one group-version document.
fn render(doc: &Value, gvr: &Gvr, fields: &[String], recursive: bool) -> Rendered {
    let Some(gvk) = find_gvk(doc, gvr) else {
        return Err((
            String::new(),
            format!("error: GVR ({gvr}) not found in OpenAPI schema"),
        ));
    };
    let mut text = String::new();
    let group = gvk["group"].as_str().unwrap_or("");
    if !group.is_empty() {
        text.push_str(&format!("GROUP:      {group}\n"));
    }
    text.push_str(&format!(
        "KIND:       {}\nVERSION:    {}\n\n",
        gvk["kind"].as_str().unwrap_or(""),
        gvk["version"].as_str().unwrap_or("")
    ));
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // Go ranges over a map in key order; the first schema carrying the GVK wins.
    let mut keys: Vec<&String> = schemas.keys().collect();
    keys.sort();
    let schema = keys.into_iter().map(|k| &schemas[k]).find(|s| {
        s["x-kubernetes-group-version-kind"]
            .as_array()
            .is_some_and(|l| l.contains(&gvk))
    });
    let Some(schema) = schema else {
        return Err((
            text,
            format!(
                "error: GVK map[group:{group} kind:{} version:{}] not found in OpenAPI schema",
                gvk["kind"].as_str().unwrap_or(""),
                gvk["version"].as_str().unwrap_or("")
            ),
        ));
    };
    let r = Renderer { doc, recursive };
    let body = r.output(schema, &History::new(), fields);
    if body.is_empty() {
        let last = fields.last().cloned().unwrap_or_default();
        return Err((text, format!("error: field \"{last}\" does not exist")));
    }
    text.push_str(&body);
    text.push('\n');
    Ok(text)
}

/// The GVK of the resource's operations: the first of the list, item, namespaced list and
/// namespaced item paths that has one, looking at get, post, put, patch and delete in turn.
fn find_gvk(doc: &Value, gvr: &Gvr) -> Option<Value> {
    let prefix = if gvr.group.is_empty() {
        "/api".to_string()
    } else {
        format!("/apis/{}", gvr.group)
    };
    let (v, r) = (&gvr.version, &gvr.resource);
    let candidates = [
        format!("{prefix}/{v}/{r}"),
        format!("{prefix}/{v}/{r}/{{name}}"),
        format!("{prefix}/{v}/namespaces/{{namespace}}/{r}"),
        format!("{prefix}/{v}/namespaces/{{namespace}}/{r}/{{name}}"),
    ];
    for path in candidates {
        let Some(item) = doc["paths"].get(&path) else {
            continue;
        };
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(gvk) = item
                .get(method)
                .and_then(|m| m.get("x-kubernetes-group-version-kind"))
            {
                if truthy(gvk) {
                    return Some(gvk.clone());
                }
            }
        }
    }
    None
}

/// The `$ref`s seen on the way down, to stop at cycles.
type History = BTreeSet<String>;

/// Go template truthiness: empty strings, maps, lists, `false`, zero and nil are false.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A schema's `additionalProperties` when it is a schema (not `true`/`false`) and non-empty.
fn map_values(schema: &Value) -> Option<&Value> {
    schema
        .get("additionalProperties")
        .filter(|a| a.is_object() && truthy(a))
}

fn items(schema: &Value) -> Option<&Value> {
    schema.get("items").filter(|i| truthy(i))
}

fn ref_of(schema: &Value) -> &str {
    schema.get("$ref").and_then(Value::as_str).unwrap_or("")
}

struct Renderer<'a> {
    doc: &'a Value,
    recursive: bool,
}

impl<'a> Renderer<'a> {
    /// `resolveRef`: follows a `#/components/schemas/X` reference inside the document.
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        let mut cur = self.doc;
        for part in fragment.split('/').filter(|p| !p.is_empty()) {
            cur = cur.get(part).filter(|c| c.is_object())?;
        }
        Some(cur)
    }

    fn resolved<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'a: 's,
    {
        self.resolve(ref_of(schema)).unwrap_or(schema)
    }

    /// The `output` template: walks `fields` down from `schema`, then prints the description
    /// and field list of what it reached; empty when a field does not exist.
    fn output(&self, schema: &Value, history: &History, fields: &[String]) -> String {
        let reference = ref_of(schema);
        let mut next = history.clone();
        next.insert(reference.to_string());
        let resolved = self.resolved(schema);
        let Some(first) = fields.first() else {
            let mut text = String::from("DESCRIPTION:\n");
            let mut description = self.description(resolved);
            if description.is_empty() {
                description = "<empty>".into();
            }
            text.push_str(&indent(4, &wrap(76, &description)));
            text.push('\n');
            let docs = external_docs(resolved, 0);
            if !docs.is_empty() {
                text.push('\n');
                text.push_str(&docs);
            }
            let list = self.field_list(resolved, 1, &History::new());
            if !list.is_empty() {
                text.push_str("FIELDS:\n");
                text.push_str(&list);
            }
            return text;
        };
        if !reference.is_empty() && history.contains(reference) {
            return String::new();
        }
        if let Some(sub) = resolved.get("properties").and_then(|p| p.get(first)) {
            let mut text = String::new();
            if fields.len() == 1 {
                text.push_str(&format!("FIELD: {first} <{}>\n", self.type_guess(sub)));
                text.push_str(&self.extract_enum(sub, true, -1, 0));
                text.push_str("\n\n");
            }
            text.push_str(&self.output(sub, &History::new(), &fields[1..]));
            return text;
        }
        if let Some(items) = items(resolved) {
            return self.output(items, &next, fields);
        }
        if let Some(values) = map_values(resolved) {
            return self.output(values, &next, fields);
        }
        for sub in resolved
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = self.output(sub, &next, fields);
            if !text.is_empty() {
                return text;
            }
        }
        String::new()
    }

    /// The `description` template: the schema's description and those of its `allOf`, `items`
    /// and map values, each followed by a line break.
    fn description(&self, schema: &Value) -> String {
        let s = self.resolved(schema);
        let mut text = String::new();
        if let Some(d) = s.get("description").and_then(Value::as_str) {
            if !d.is_empty() {
                text.push_str(d);
                text.push('\n');
            }
        }
        for sub in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            text.push_str(&self.description(sub));
        }
        if let Some(i) = items(s) {
            text.push_str(&self.description(i));
        }
        if let Some(m) = map_values(s) {
            text.push_str(&self.description(m));
        }
        text
    }

    /// The `fieldList` template: every property (with its sub-fields under `--recursive`).
    fn field_list(&self, schema: &Value, level: usize, history: &History) -> String {
        let reference = ref_of(schema);
        if !reference.is_empty() && history.contains(reference) {
            return String::new();
        }
        let mut next = history.clone();
        next.insert(reference.to_string());
        let resolved = self.resolved(schema);
        let mut text = String::new();
        if let Some(props) = resolved.get("properties").and_then(Value::as_object) {
            let mut names: Vec<&String> = props.keys().collect();
            names.sort();
            for name in names {
                text.push_str(&self.field_detail(name, resolved, level));
                if self.recursive {
                    text.push_str(&self.field_list(&props[name], level + 1, &next));
                }
            }
        }
        for sub in resolved
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            text.push_str(&self.field_list(sub, level, &next));
        }
        if let Some(i) = items(resolved) {
            text.push_str(&self.field_list(i, level, &next));
        }
        if let Some(m) = map_values(resolved) {
            text.push_str(&self.field_list(m, level, &next));
        }
        text
    }

    /// The `fieldDetail` template: `name\t<type>` with `-required-` and enum values, then
    /// (unless recursive) the wrapped description.
    fn field_detail(&self, name: &str, parent: &Value, level: usize) -> String {
        let pad = level * 2;
        let field = &parent["properties"][name];
        let mut text = indent(pad, name);
        text.push_str(&format!("\t<{}>", self.type_guess(field)));
        let required = parent["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == name));
        if required {
            text.push_str(" -required-");
        }
        text.push_str(&self.extract_enum(field, false, 4, pad));
        text.push('\n');
        if self.recursive {
            return text;
        }
        let description = field
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .unwrap_or("<no description>");
        text.push_str(&indent(pad + 2, &wrap(78 - pad, description)));
        text.push('\n');
        text.push_str(&external_docs(field, pad + 2));
        text.push('\n');
        text
    }

    /// The `typeGuess` template: `string`, `[]Container`, `map[string]string`, `Object`, ...
    fn type_guess(&self, schema: &Value) -> String {
        if let Some(i) = items(schema) {
            return format!("[]{}", self.type_guess(i));
        }
        if let Some(m) = map_values(schema) {
            return format!("map[string]{}", self.type_guess(m));
        }
        let all_of = schema.get("allOf").and_then(Value::as_array);
        if let Some([only]) = all_of.map(Vec::as_slice) {
            if !schema.get("properties").is_some_and(truthy) {
                return self.type_guess(only);
            }
        }
        let reference = ref_of(schema);
        let ty = |s: &Value| {
            s.get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if !reference.is_empty() {
            let target = self.resolve(reference);
            let target_type = target.map(ty).unwrap_or_default();
            if target.is_none() || target_type.is_empty() || target_type == "object" {
                let name = reference.rsplit('/').next().unwrap_or("");
                let short = name.rsplit('.').next().unwrap_or("");
                return if short.is_empty() {
                    "Object".into()
                } else {
                    short.into()
                };
            }
            return target_type;
        }
        match ty(schema).as_str() {
            "object" | "" => "Object".into(),
            other => other.into(),
        }
    }

    /// The `extractEnum` template: `ENUM:` and one value a line in the long view, or
    /// `enum: a, b, c, d, ....` under a field in the list.
    fn extract_enum(&self, schema: &Value, long: bool, limit: i64, pad: usize) -> String {
        let Some(values) = schema
            .get("enum")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        else {
            return String::new();
        };
        let mut text = if long {
            "ENUM:".to_string()
        } else {
            format!("\n{}enum: ", " ".repeat(pad))
        };
        for (i, value) in values.iter().enumerate() {
            if limit > -1 && i as i64 >= limit {
                text.push_str(", ....");
                break;
            }
            if i > 0 && !long {
                text.push_str(", ");
            } else if long {
                text.push_str("\n    ");
            }
            match value {
                Value::String(s) if s.is_empty() => text.push_str("\"\""),
                Value::String(s) => text.push_str(s),
                other => text.push_str(&other.to_string()),
            }
        }
        text
    }
}

/// The `externalDocs` section, indented by `pad`.
fn external_docs(schema: &Value, pad: usize) -> String {
    let Some(docs) = schema.get("externalDocs").filter(|d| truthy(d)) else {
        return String::new();
    };
    let mut text = indent(pad, "EXTERNAL DOCS:");
    text.push('\n');
    if let Some(d) = docs
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
    {
        text.push_str(&indent(pad + 4, &wrap(76 - pad, d)));
        text.push('\n');
    }
    if let Some(u) = docs
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    {
        text.push_str(&indent(pad + 4, &format!("URL: {u}")));
        text.push('\n');
    }
    text
}

/// The template's `indent`: pads the first line and every line after a line break.
fn indent(amount: usize, text: &str) -> String {
    let pad = " ".repeat(amount);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

/// Word wrapping as `github.com/mitchellh/go-wordwrap`'s `WrapString` does it (kubectl's
/// `wrap`): breaks only at white space, keeps existing line breaks, lets a word longer than
/// the limit overflow, and drops the spaces where it breaks.
pub fn wrap(limit: usize, text: &str) -> String {
    const NBSP: char = '\u{a0}';
    let mut out = String::with_capacity(text.len() + text.len() / limit.max(1));
    let mut current = 0usize;
    let (mut word, mut space) = (String::new(), String::new());
    let (mut word_len, mut space_len) = (0usize, 0usize);
    for c in text.chars() {
        if c == '\n' {
            if word.is_empty() {
                if current + space_len <= limit {
                    out.push_str(&space);
                }
            } else {
                out.push_str(&space);
                out.push_str(&word);
                word.clear();
                word_len = 0;
            }
            space.clear();
            space_len = 0;
            out.push('\n');
            current = 0;
        } else if c.is_whitespace() && c != NBSP {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                out.push_str(&space);
                out.push_str(&word);
                space.clear();
                space_len = 0;
                word.clear();
                word_len = 0;
            }
            space.push(c);
            space_len += 1;
        } else {
            word.push(c);
            word_len += 1;
            if current + space_len + word_len > limit && word_len < limit {
                out.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if word.is_empty() {
        if current + space_len <= limit {
            out.push_str(&space);
        }
    } else {
        out.push_str(&space);
        out.push_str(&word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_line_breaks() {
        assert_eq!(wrap(10, "aaa bbb ccc ddd"), "aaa bbb\nccc ddd");
        assert_eq!(wrap(10, "one\ntwo three four"), "one\ntwo three\nfour");
        // A word longer than the limit overflows rather than being cut.
        assert_eq!(wrap(5, "abcdefghij kl"), "abcdefghij\nkl");
        assert_eq!(wrap(76, "ends with a break\n"), "ends with a break\n");
    }

    #[test]
    fn indent_pads_every_line() {
        assert_eq!(indent(2, "a\nb\n"), "  a\n  b\n  ");
    }

    /// A small document in the API server's shape: a GVK-tagged path and schemas that use
    /// `allOf` references, arrays, maps and a cycle.
    fn doc() -> Value {
        json!({
            "paths": {"/apis/demo.io/v1/namespaces/{namespace}/widgets/{name}": {
                "get": {"x-kubernetes-group-version-kind": {"group": "demo.io", "kind": "Widget", "version": "v1"}}
            }},
            "components": {"schemas": {
                "io.demo.Widget": {
                    "description": "Widget is a test object.",
                    "type": "object",
                    "properties": {
                        "spec": {"description": "The desired state.", "allOf": [{"$ref": "#/components/schemas/io.demo.Spec"}]},
                        "kind": {"description": "Kind of the object.", "type": "string"}
                    },
                    "x-kubernetes-group-version-kind": [{"group": "demo.io", "kind": "Widget", "version": "v1"}]
                },
                "io.demo.Spec": {
                    "description": "Spec says what a widget is.",
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": {"description": "How big.", "type": "integer", "format": "int32"},
                        "mode": {"description": "How it runs.", "type": "string", "enum": ["", "Fast", "Slow"]},
                        "labels": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                        "parts": {"description": "The parts.", "type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/io.demo.Spec"}], "default": {}}},
                        "quantity": {"$ref": "#/components/schemas/io.demo.Quantity"}
                    }
                },
                "io.demo.Quantity": {"description": "A quantity.", "type": "string"}
            }}
        })
    }

    fn gvr() -> Gvr {
        Gvr {
            group: "demo.io".into(),
            version: "v1".into(),
            resource: "widgets".into(),
        }
    }

    fn fields(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn resource_lists_its_fields_with_types() {
        let text = render(&doc(), &gvr(), &[], false).unwrap();
        assert_eq!(
            text,
            "GROUP:      demo.io\nKIND:       Widget\nVERSION:    v1\n\nDESCRIPTION:\n    Widget is a test object.\n    \nFIELDS:\n  kind\t<string>\n    Kind of the object.\n\n  spec\t<Spec>\n    The desired state.\n\n\n"
        );
    }

    #[test]
    fn field_shows_its_type_description_and_subfields() {
        let text = render(&doc(), &gvr(), &fields(&["spec"]), false).unwrap();
        assert!(text.contains("FIELD: spec <Spec>\n\n\nDESCRIPTION:\n    The desired state.\n    Spec says what a widget is.\n    \nFIELDS:\n"));
        assert!(text.contains("  labels\t<map[string]string>\n    <no description>\n\n"));
        assert!(text.contains("  mode\t<string>\n  enum: \"\", Fast, Slow\n    How it runs.\n"));
        assert!(text.contains("  parts\t<[]Spec>\n"));
        assert!(text.contains("  quantity\t<string>\n"));
        assert!(text.contains("  size\t<integer> -required-\n"));
    }

    #[test]
    fn arrays_are_walked_through_and_enums_listed_in_full() {
        let text = render(&doc(), &gvr(), &fields(&["spec", "parts", "mode"]), false).unwrap();
        assert!(text.contains("FIELD: mode <string>\nENUM:\n    \"\"\n    Fast\n    Slow\n\n"));
    }

    #[test]
    fn recursive_lists_stop_at_cycles() {
        let text = render(&doc(), &gvr(), &fields(&["spec"]), true).unwrap();
        let list = text.split("FIELDS:\n").nth(1).unwrap();
        assert_eq!(
            list,
            "  labels\t<map[string]string>\n  mode\t<string>\n  enum: \"\", Fast, Slow\n  parts\t<[]Spec>\n  quantity\t<string>\n  size\t<integer> -required-\n\n"
        );
    }

    #[test]
    fn a_missing_field_is_reported_after_the_header() {
        let (printed, error) =
            render(&doc(), &gvr(), &fields(&["spec", "nope", "deeper"]), false).unwrap_err();
        assert_eq!(
            printed,
            "GROUP:      demo.io\nKIND:       Widget\nVERSION:    v1\n\n"
        );
        assert_eq!(error, "error: field \"deeper\" does not exist");
    }

    #[test]
    fn an_unknown_resource_of_the_document_is_reported() {
        let other = Gvr {
            resource: "gadgets".into(),
            ..gvr()
        };
        let (printed, error) = render(&doc(), &other, &[], false).unwrap_err();
        assert_eq!(printed, "");
        assert_eq!(
            error,
            "error: GVR (demo.io/v1, Resource=gadgets) not found in OpenAPI schema"
        );
    }

    #[test]
    fn type_guess_follows_the_template() {
        let d = doc();
        let r = Renderer {
            doc: &d,
            recursive: false,
        };
        assert_eq!(r.type_guess(&json!({"type": "object"})), "Object");
        assert_eq!(r.type_guess(&json!({})), "Object");
        assert_eq!(
            r.type_guess(&json!({"type": "array", "items": {"type": "integer"}})),
            "[]integer"
        );
    }
}
