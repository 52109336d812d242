//! `genericDescriber`: the layout for kinds without a describer of their own (events, leases,
//! controller revisions, ...): every field of the object, sorted, under labels made from the
//! field names (`printUnstructuredContent`, `smartLabelFor`).

use serde_json::{Map, Value};

use super::{labels_and_annotations, s};
use crate::printers::describe::PrefixWriter;

/// Fields the header already shows, or that describe never shows.
const SKIP: &[&str] = &[
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

pub fn describe(w: &mut PrefixWriter, obj: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&obj["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&obj["metadata"]["namespace"])),
    );
    labels_and_annotations(w, obj);
    if let Some(map) = obj.as_object() {
        content(w, 0, map, "");
    }
}

/// Go's `%v` of a decoded JSON scalar.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn content(w: &mut PrefixWriter, level: usize, map: &Map<String, Value>, prefix: &str) {
    let mut fields: Vec<&String> = map.keys().collect();
    fields.sort();
    for field in fields {
        let path = format!("{prefix}.{field}");
        if SKIP.contains(&path.as_str()) {
            continue;
        }
        match &map[field] {
            Value::Object(child) => {
                w.write(level, &format!("{}:\n", smart_label(field)));
                content(w, level + 1, child, &path);
            }
            Value::Array(items) => {
                w.write(level, &format!("{}:\n", smart_label(field)));
                for item in items {
                    match item {
                        Value::Object(child) => content(w, level + 1, child, &path),
                        other => w.write(level + 1, &format!("{}\n", scalar(other))),
                    }
                }
            }
            other => w.write(
                level,
                &format!("{}:\t{}\n", smart_label(field), scalar(other)),
            ),
        }
    }
}

/// `camelcase.Split`: runs of lower case, upper case, digits and others, where an upper-case
/// run hands its last letter to a following lower-case run (`HTTPServer` → `HTTP`, `Server`).
fn camel_split(text: &str) -> Vec<String> {
    fn class(c: char) -> u8 {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_ascii_digit() {
            3
        } else {
            4
        }
    }
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in text.chars() {
        let k = class(c);
        if k == last {
            runs.last_mut().expect("run").push(c);
        } else {
            runs.push(vec![c]);
        }
        last = k;
    }
    for i in 0..runs.len().saturating_sub(1) {
        let upper = runs[i].first().is_some_and(|c| c.is_uppercase());
        let lower = runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if upper && lower {
            let moved = runs[i].pop().expect("letter");
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.into_iter().collect())
        .collect()
}

/// `smartLabelFor`: `involvedObject` → `Involved Object`, `apiVersion` → `API Version`; names
/// with characters other than letters and `-` stay as they are.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    const ACRONYMS: &[&str] = &["API", "URL", "UID", "OSB", "GUID"];
    camel_split(field)
        .into_iter()
        .filter(|p| p != "_")
        .map(|p| {
            let upper = p.to_uppercase();
            if ACRONYMS.contains(&upper.as_str()) {
                upper
            } else {
                let mut c = p.chars();
                match c.next() {
                    Some(first) => first.to_uppercase().chain(c).collect(),
                    None => p,
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_come_from_camel_case_field_names() {
        assert_eq!(smart_label("involvedObject"), "Involved Object");
        assert_eq!(smart_label("apiVersion"), "API Version");
        assert_eq!(smart_label("uid"), "UID");
        assert_eq!(
            smart_label("leaseDurationSeconds"),
            "Lease Duration Seconds"
        );
        assert_eq!(smart_label("HTTPServer"), "HTTP Server");
        assert_eq!(smart_label("v1"), "v1");
    }

    #[test]
    fn nested_fields_are_sorted_and_indented() {
        let mut w = PrefixWriter::default();
        let obj = json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"name": "n", "namespace": "kube-node-lease", "uid": "u", "managedFields": []},
            "spec": {"holderIdentity": "n", "leaseDurationSeconds": 40}});
        describe(&mut w, &obj);
        assert_eq!(
            w.finish(),
            "Name:         n\nNamespace:    kube-node-lease\nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  coordination.k8s.io/v1\nKind:         Lease\nMetadata:\n  UID:  u\nSpec:\n  Holder Identity:         n\n  Lease Duration Seconds:  40\n"
        );
    }
}
