//! Server-side field validation: unknown and duplicate fields (`?fieldValidation=Strict|Warn|Ignore`).
//!
//! The real API server finds these while decoding (sigs.k8s.io/json's strict mode) and reports each
//! with its full path: `unknown field "spec.containers[0].imagePullPolcy"`, `duplicate field
//! "metadata.name"`. Here unknown fields are found by walking the request body against the bundled
//! 1.33 definitions, and duplicates by re-reading the raw JSON text (a parsed `Value` has already
//! kept only the last of them).
//!
//! Under `Strict` the request fails with 400 BadRequest:
//! `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"`;
//! under `Warn` each problem becomes a `Warning: 299 - "unknown field \"spec.foo\""` header.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::resources::ResourceType;
use crate::schema;
use crate::status::Status;

/// The `fieldValidation` query parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop unknown fields silently; keep the last of duplicates.
    Ignore,
    /// Succeed, but return one warning per unknown or duplicate field (the server default).
    #[default]
    Warn,
    /// Fail with 400 BadRequest listing every unknown or duplicate field.
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter value (`Strict`, `Warn`, `Ignore`; empty means the default).
    pub fn parse(s: &str) -> Result<FieldValidation, Status> {
        match s {
            "" | "Warn" => Ok(FieldValidation::Warn),
            "Strict" => Ok(FieldValidation::Strict),
            "Ignore" => Ok(FieldValidation::Ignore),
            other => Err(Status::bad_request(format!(
                "fieldValidation parameter unsupported: {other}"
            ))),
        }
    }
}

/// Paths of every field of `body` that the kind's schema does not declare, e.g. `spec.foo`,
/// `spec.template.spec.containers[0].bogus`. `apiVersion`, `kind` and maps with free keys
/// (labels, data, ...) are never reported.
pub fn unknown_fields(rt: &ResourceType, body: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(def) = schema::for_resource(rt) {
        walk(def, body, "", &mut found);
    }
    found
}

/// Unknown fields of a body checked against any schema (used for subresources such as Scale).
pub fn unknown_fields_in(def: &'static Value, body: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(def, body, "", &mut found);
    found
}

fn walk(schema: &'static Value, value: &Value, path: &str, found: &mut Vec<String>) {
    let schema = schema::resolve(schema);
    match value {
        Value::Object(map) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in map {
                    let child = join(path, k);
                    match props.get(k) {
                        Some(s) => walk(s, v, &child, found),
                        None => found.push(child),
                    }
                }
            } else if let Some(values) = schema.get("additionalProperties") {
                if values.is_object() {
                    for (k, v) in map {
                        walk(values, v, &join(path, k), found);
                    }
                }
            }
            // Neither: a free-form object (RawExtension, JSON): anything goes.
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    walk(item, v, &format!("{path}[{i}]"), found);
                }
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Paths of every key that appears twice in the same JSON object of `raw`, e.g.
/// `metadata.name`. Invalid JSON yields nothing (the decoder reports it instead).
pub fn duplicate_fields(raw: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_str(raw);
    let _ = DuplicateSeed {
        path: String::new(),
        found: &mut found,
    }
    .deserialize(&mut de);
    found
}

struct DuplicateSeed<'a> {
    path: String,
    found: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for DuplicateSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let seed = DuplicateSeed {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = join(&self.path, &key);
            if !seen.insert(key) {
                self.found.push(path.clone());
            }
            map.next_value_seed(DuplicateSeed {
                path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

/// The problems as the decoder words them, unknown fields first.
pub fn messages(unknown: &[String], duplicate: &[String]) -> Vec<String> {
    duplicate
        .iter()
        .map(|p| format!("duplicate field {p:?}"))
        .chain(unknown.iter().map(|p| format!("unknown field {p:?}")))
        .collect()
}

/// Applies the validation level to the problems found: `Ok(warnings)` or the Strict failure.
pub fn enforce(
    rt: &ResourceType,
    level: FieldValidation,
    problems: Vec<String>,
) -> Result<Vec<String>, Status> {
    match level {
        _ if problems.is_empty() => Ok(Vec::new()),
        FieldValidation::Ignore => Ok(Vec::new()),
        FieldValidation::Warn => Ok(problems),
        FieldValidation::Strict => Err(Status::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {list}",
            kind = rt.kind,
            version = rt.version,
            list = problems.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    #[test]
    fn finds_unknown_fields_with_their_paths() {
        let deploy = by_plural("apps", "deployments").unwrap();
        let body = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"any-key": "ok"}, "colour": "red"},
            "spec": {"replica": 3, "template": {"spec": {"containers": [
                {"name": "c", "image": "nginx", "imagePullPolcy": "Always"}]}}}
        });
        let mut found = unknown_fields(deploy, &body);
        found.sort();
        assert_eq!(
            found,
            [
                "metadata.colour",
                "spec.replica",
                "spec.template.spec.containers[0].imagePullPolcy"
            ]
        );
    }

    #[test]
    fn free_form_and_int_or_string_fields_are_not_unknown() {
        let cm = by_plural("", "configmaps").unwrap();
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
            "data": {"anything": "goes"}});
        assert!(unknown_fields(cm, &body).is_empty());
        let svc = by_plural("", "services").unwrap();
        let body = json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}});
        assert!(unknown_fields(svc, &body).is_empty());
    }

    #[test]
    fn finds_duplicates_in_raw_json() {
        let raw = r#"{"metadata": {"name": "a", "name": "b"}, "spec": {"containers": [{"x": 1, "x": 2}]}}"#;
        assert_eq!(
            duplicate_fields(raw),
            ["metadata.name", "spec.containers[0].x"]
        );
        assert!(duplicate_fields(r#"{"a": {"a": 1}}"#).is_empty());
    }

    #[test]
    fn strict_fails_with_the_decoder_message_and_warn_warns() {
        let pods = by_plural("", "pods").unwrap();
        let problems = messages(&["spec.foo".into(), "spec.bar".into()], &[]);
        let err = enforce(pods, FieldValidation::Strict, problems.clone()).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo", unknown field "spec.bar""#
        );
        assert_eq!(
            enforce(pods, FieldValidation::Warn, problems.clone()).unwrap(),
            [r#"unknown field "spec.foo""#, r#"unknown field "spec.bar""#]
        );
        assert!(enforce(pods, FieldValidation::Ignore, problems)
            .unwrap()
            .is_empty());
    }
}
