//! Field paths into an object's JSON, as checks name them:
//! `spec.replicas`, `spec.template.spec.containers[name=backend].image`,
//! `spec.containers[0].ports[0].containerPort`, `metadata.labels["app.kubernetes.io/name"]`.
//!
//! `[key=value]` picks the first list item whose `key` equals `value`, which is how Kubernetes
//! itself identifies list items (containers, ports, env by name).

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    Where { key: String, value: String },
}

/// A parsed field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    pub steps: Vec<Step>,
    text: String,
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl FieldPath {
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let mut steps = Vec::new();
        let mut chars = text.chars().peekable();
        let mut key = String::new();
        let mut after_bracket = false;
        let flush = |key: &mut String, steps: &mut Vec<Step>| {
            if !key.is_empty() {
                steps.push(Step::Key(std::mem::take(key)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    // After `]` a dot starts the next key; anywhere else it must end one.
                    if key.is_empty() && !after_bracket {
                        return Err(format!("field path {text:?}: empty segment"));
                    }
                    flush(&mut key, &mut steps);
                    after_bracket = false;
                }
                '[' => {
                    flush(&mut key, &mut steps);
                    let mut inner = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(format!("field path {text:?}: unclosed ["));
                    }
                    steps
                        .push(parse_bracket(&inner).ok_or_else(|| {
                            format!("field path {text:?}: cannot read [{inner}]")
                        })?);
                    after_bracket = true;
                }
                c => {
                    key.push(c);
                    after_bracket = false;
                }
            }
        }
        flush(&mut key, &mut steps);
        if steps.is_empty() {
            return Err("empty field path".into());
        }
        Ok(FieldPath {
            steps,
            text: text.to_string(),
        })
    }

    /// The value at this path, if every step exists.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut v = root;
        for step in &self.steps {
            v = match step {
                Step::Key(k) => v.get(k)?,
                Step::Index(i) => v.get(*i)?,
                Step::Where { key, value } => v
                    .as_array()?
                    .iter()
                    .find(|item| item.get(key).is_some_and(|x| scalar_text(x) == *value))?,
            };
        }
        Some(v)
    }
}

fn parse_bracket(inner: &str) -> Option<Step> {
    let inner = inner.trim();
    if let Some(q) = inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
    {
        return Some(Step::Key(q.to_string()));
    }
    if let Ok(i) = inner.parse::<usize>() {
        return Some(Step::Index(i));
    }
    let (k, v) = inner.split_once('=')?;
    let v = v.trim().trim_matches('"');
    (!k.trim().is_empty()).then(|| Step::Where {
        key: k.trim().to_string(),
        value: v.to_string(),
    })
}

/// A JSON value as a learner reads it: strings without quotes, numbers and booleans as written.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
               "spec": {"replicas": 3, "template": {"spec": {"containers": [
                   {"name": "side", "image": "busybox"},
                   {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}})
    }

    #[test]
    fn keys_indices_and_named_items() {
        let d = deployment();
        let get = |p: &str| FieldPath::parse(p).unwrap().lookup(&d).cloned();
        assert_eq!(get("spec.replicas"), Some(json!(3)));
        assert_eq!(
            get("spec.template.spec.containers[1].image"),
            Some(json!("nginx:1.27"))
        );
        assert_eq!(
            get("spec.template.spec.containers[name=web].ports[0].containerPort"),
            Some(json!(80))
        );
        assert_eq!(
            get("metadata.labels[\"app.kubernetes.io/name\"]"),
            Some(json!("web"))
        );
        assert_eq!(get("spec.template.spec.containers[name=db].image"), None);
        assert_eq!(get("spec.paused"), None);
    }

    #[test]
    fn bad_paths_are_reported() {
        assert!(FieldPath::parse("").is_err());
        assert!(FieldPath::parse("spec.containers[0").is_err());
        assert!(FieldPath::parse("spec..replicas").is_err());
        assert_eq!(
            FieldPath::parse("spec.replicas").unwrap().to_string(),
            "spec.replicas"
        );
    }
}
