//! Label selectors and field selectors, as `?labelSelector=` / `?fieldSelector=` and as the
//! `metav1.LabelSelector` of workloads.
//!
//! Label selectors support the whole string grammar of `k8s.io/apimachinery/pkg/labels`:
//! equality (`app=web`, `app==web`, `app!=web`), sets (`env in (a,b)`, `env notin (a)`),
//! existence (`tier`, `!tier`) and the numeric `gt`/`lt` forms (`n>1`, `n<3`). Field selectors
//! support `=`, `==` and `!=` on the fields each kind's registry exposes (`spec.nodeName` for
//! pods, `involvedObject.name` for events, `type` for secrets, ...); any other field is refused
//! with the real `field label not supported: <field>`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use crate::object::Object;
use crate::status::Status;

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    GreaterThan(String, i64),
    LessThan(String, i64),
}

impl Requirement {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
            Requirement::GreaterThan(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > *n),
            Requirement::LessThan(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < *n),
        }
    }
}

/// A parsed label selector: all requirements must hold. Empty selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelectorSet {
    pub requirements: Vec<Requirement>,
}

impl LabelSelectorSet {
    /// Selects everything.
    pub fn everything() -> Self {
        LabelSelectorSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        let labels = labels.unwrap_or(&EMPTY);
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Parses the string form used by `-l` and `?labelSelector=`.
    pub fn parse(s: &str) -> Result<Self, Status> {
        let mut requirements = Vec::new();
        for term in split_terms(s) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(term).map_err(|detail| {
                Status::bad_request(format!("unable to parse requirement: {detail}"))
            })?);
        }
        Ok(LabelSelectorSet { requirements })
    }

    /// Converts a `metav1.LabelSelector` (matchLabels and matchExpressions). `None` selects
    /// nothing, as the API server treats a missing selector; an empty one selects everything.
    pub fn from_label_selector(sel: &LabelSelector) -> Result<Self, String> {
        let mut requirements: Vec<Requirement> = sel
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
            .collect();
        for e in sel.match_expressions.iter().flatten() {
            let values = e.values.clone().unwrap_or_default();
            requirements.push(match e.operator.as_str() {
                "In" => Requirement::In(e.key.clone(), values),
                "NotIn" => Requirement::NotIn(e.key.clone(), values),
                "Exists" => Requirement::Exists(e.key.clone()),
                "DoesNotExist" => Requirement::DoesNotExist(e.key.clone()),
                other => return Err(format!("{other:?} is not a valid label selector operator")),
            });
        }
        Ok(LabelSelectorSet { requirements })
    }
}

impl std::fmt::Display for LabelSelectorSet {
    /// The canonical string form (`app=web,tier in (a,b)`), as `kubectl get -o wide` SELECTOR
    /// columns and HPA status print it.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r {
                Requirement::Equals(k, v) => format!("{k}={v}"),
                Requirement::NotEquals(k, v) => format!("{k}!={v}"),
                Requirement::In(k, vs) => format!("{k} in ({})", sorted(vs).join(",")),
                Requirement::NotIn(k, vs) => format!("{k} notin ({})", sorted(vs).join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
                Requirement::GreaterThan(k, n) => format!("{k}>{n}"),
                Requirement::LessThan(k, n) => format!("{k}<{n}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

fn sorted(vs: &[String]) -> Vec<String> {
    let mut v = vs.to_vec();
    v.sort();
    v
}

/// Splits on commas outside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    terms
}

fn parse_requirement(term: &str) -> Result<Requirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(valid_key(key.trim())?));
    }
    for (op, make) in [
        (
            "!=",
            Requirement::NotEquals as fn(String, String) -> Requirement,
        ),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((k, v)) = term.split_once(op) {
            return Ok(make(valid_key(k.trim())?, v.trim().to_string()));
        }
    }
    for (op, gt) in [(">", true), ("<", false)] {
        if let Some((k, v)) = term.split_once(op) {
            let n: i64 = v.trim().parse().map_err(|_| {
                format!(
                    "for 'Gt', 'Lt' operators, the value must be an integer: {:?}",
                    v.trim()
                )
            })?;
            let k = valid_key(k.trim())?;
            return Ok(if gt {
                Requirement::GreaterThan(k, n)
            } else {
                Requirement::LessThan(k, n)
            });
        }
    }
    let words: Vec<&str> = term.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words[..] {
        let rest = rest.trim();
        let (notin, list) = if let Some(l) = rest.strip_prefix("notin") {
            (true, l)
        } else if let Some(l) = rest.strip_prefix("in") {
            (false, l)
        } else {
            return Err(format!(
                "found '{rest}', expected: in, notin, =, ==, !=, gt, lt"
            ));
        };
        let inner = list
            .trim()
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| "found ')', expected: '('".to_string())?;
        let values: Vec<String> = inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        let key = valid_key(key)?;
        return Ok(if notin {
            Requirement::NotIn(key, values)
        } else {
            Requirement::In(key, values)
        });
    }
    Ok(Requirement::Exists(valid_key(term)?))
}

fn valid_key(k: &str) -> Result<String, String> {
    if k.is_empty() || k.contains(char::is_whitespace) || k.contains(['(', ')', '=', '!']) {
        return Err(format!("invalid label key {k:?}"));
    }
    Ok(k.to_string())
}

/// One `field=value` / `field!=value` term of a field selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub value: String,
    pub negated: bool,
}

/// A parsed field selector: all terms must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses `a=b,c!=d` and checks every field is selectable for `kind`.
    pub fn parse(kind: &str, s: &str) -> Result<Self, Status> {
        let mut requirements = Vec::new();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, value, negated) = if let Some((f, v)) = term.split_once("!=") {
                (f, v, true)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, v, false)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, v, false)
            } else {
                return Err(Status::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                )));
            };
            let field = field.trim();
            if !selectable_fields(kind).contains(&field) {
                return Err(Status::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            requirements.push(FieldRequirement {
                field: field.to_string(),
                value: value.trim().to_string(),
                negated,
            });
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, o: &Object) -> bool {
        if self.requirements.is_empty() {
            return true;
        }
        let v = o.to_value();
        self.requirements
            .iter()
            .all(|r| (field_value(o.kind(), &v, &r.field) == r.value) != r.negated)
    }
}

/// The fields a kind's registry lets clients select on (its `GetAttrs`/field label conversion).
pub fn selectable_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        "Event" => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "Secret" => &["metadata.name", "metadata.namespace", "type"],
        "Namespace" => &["metadata.name", "status.phase"],
        "Node" => &["metadata.name", "spec.unschedulable"],
        "ReplicaSet" | "ReplicationController" => {
            &["metadata.name", "metadata.namespace", "status.replicas"]
        }
        "Job" => &["metadata.name", "metadata.namespace", "status.successful"],
        "Service" => &[
            "metadata.name",
            "metadata.namespace",
            "spec.clusterIP",
            "spec.type",
        ],
        "PersistentVolumeClaim" | "PersistentVolume" => {
            &["metadata.name", "metadata.namespace", "status.phase"]
        }
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// The string a field selector compares against (Go's formatting of the field: booleans and
/// numbers as text, a missing field as the empty string).
fn field_value(kind: &str, v: &Value, field: &str) -> String {
    let scalar = |x: &Value| match x {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match (kind, field) {
        // Unset booleans and counts select as their zero value.
        ("Node", "spec.unschedulable") | ("Pod", "spec.hostNetwork") => v
            .pointer(&pointer(field))
            .and_then(Value::as_bool)
            .unwrap_or(false)
            .to_string(),
        (_, "status.replicas") | (_, "status.successful") => v
            .pointer(&pointer(field))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .to_string(),
        ("Pod", "status.podIPs") => v["status"]["podIPs"]
            .as_array()
            .map(|ips| {
                ips.iter()
                    .filter_map(|ip| ip["ip"].as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        ("Event", "source") => {
            // Events select on source.component, falling back to reportingComponent.
            let c = scalar(&v["source"]["component"]);
            if c.is_empty() {
                scalar(&v["reportingComponent"])
            } else {
                c
            }
        }
        _ => v.pointer(&pointer(field)).map(scalar).unwrap_or_default(),
    }
}

fn pointer(field: &str) -> String {
    format!("/{}", field.replace('.', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_set_and_existence() {
        let l = labels(&[("app", "web"), ("env", "prod"), ("n", "3")]);
        let yes = [
            "",
            "app=web",
            "app==web",
            "app!=db",
            "missing!=x",
            "env in (prod, staging)",
            "env notin (dev)",
            "missing notin (dev)",
            "app",
            "!missing",
            "app=web,env in (prod)",
            "n>2",
            "n<4",
        ];
        for s in yes {
            assert!(LabelSelectorSet::parse(s).unwrap().matches(Some(&l)), "{s}");
        }
        let no = [
            "app=db",
            "app!=web",
            "env in (dev)",
            "missing in (x)",
            "env notin (prod)",
            "!app",
            "missing",
            "n>3",
        ];
        for s in no {
            assert!(
                !LabelSelectorSet::parse(s).unwrap().matches(Some(&l)),
                "{s}"
            );
        }
        assert!(LabelSelectorSet::parse("a in b").is_err());
    }

    #[test]
    fn converts_metav1_label_selectors_and_prints_them() {
        let sel: LabelSelector = serde_json::from_value(json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]
        }))
        .unwrap();
        let s = LabelSelectorSet::from_label_selector(&sel).unwrap();
        assert_eq!(s.to_string(), "app=web,tier in (a,b)");
        assert!(s.matches(Some(&labels(&[("app", "web"), ("tier", "a")]))));
        assert!(!s.matches(None));
    }

    #[test]
    fn field_selectors_per_kind() {
        let pod = Object::from_value(
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "default"},
                "spec": {"nodeName": "minikube", "containers": []},
                "status": {"phase": "Running"}}),
        )
        .unwrap();
        let sel = |s| FieldSelector::parse("Pod", s).unwrap();
        assert!(sel("spec.nodeName=minikube").matches(&pod));
        assert!(sel("status.phase!=Pending,metadata.name==p").matches(&pod));
        assert!(!sel("status.phase=Pending").matches(&pod));
        assert!(sel("spec.hostNetwork=false").matches(&pod));
        let err = FieldSelector::parse("Pod", "spec.foo=bar").unwrap_err();
        assert_eq!(err.message, "field label not supported: spec.foo");
        assert_eq!(err.code, 400);

        let ev = Object::from_value(
            "Event",
            json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
                "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default", "uid": "u"},
                "type": "Normal"}),
        )
        .unwrap();
        let esel = |s| FieldSelector::parse("Event", s).unwrap();
        assert!(esel("involvedObject.name=p,involvedObject.kind=Pod,type=Normal").matches(&ev));
        assert!(!esel("involvedObject.uid=v").matches(&ev));
        assert!(FieldSelector::parse("Secret", "type=Opaque").is_ok());
        assert!(FieldSelector::parse("ConfigMap", "type=Opaque").is_err());
    }
}
