//! `kubectl create quota`, `create poddisruptionbudget` and `create priorityclass`
//! (`create_quota.go`, `create_pdb.go`, `create_priorityclass.go`).

use regex::Regex;
use serde_json::{json, Map, Value};

use super::{metadata, name_arg, send, Target};
use crate::cmd::Env;
use crate::flags::{b, v, Flag, Parsed};
use crate::Output;

pub const QUOTA_FLAGS: &[Flag] = &[v("hard", None), v("scopes", None)];
pub const PDB_FLAGS: &[Flag] = &[
    v("selector", None),
    v("min-available", None),
    v("max-unavailable", None),
];
pub const PRIORITY_CLASS_FLAGS: &[Flag] = &[
    v("value", None),
    v("description", None),
    b("global-default", None),
    v("preemption-policy", None),
];

/// `populateResourceListV1`: `resource=quantity,...`.
fn resource_list(spec: &str) -> Result<Map<String, Value>, String> {
    let mut list = Map::new();
    let re = Regex::new(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$").expect("quantity");
    for statement in spec.split(',') {
        let parts: Vec<&str> = statement.split('=').collect();
        let [name, quantity] = parts.as_slice() else {
            return Err(format!(
                "Invalid argument syntax {statement}, expected <resource>=<value>"
            ));
        };
        if !re.is_match(quantity) {
            return Err(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                    .into(),
            );
        }
        list.insert(name.to_string(), json!(quantity));
    }
    Ok(list)
}

/// `kubectl create quota NAME [--hard=key1=value1,...] [--scopes=Scope1,...]`.
pub fn quota(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "quota", out) else {
        return;
    };
    let mut spec = Map::new();
    if let Some(hard) = p.get("hard").filter(|h| !h.is_empty()) {
        match resource_list(hard) {
            Ok(list) => {
                spec.insert("hard".into(), Value::Object(list));
            }
            Err(e) => {
                out.fail(format!("error: {e}"));
                return;
            }
        }
    }
    if let Some(scopes) = p.get("scopes").filter(|s| !s.is_empty()) {
        let scopes: Vec<&str> = scopes.split(',').collect();
        spec.insert("scopes".into(), json!(scopes));
    }
    let obj = json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata(&name, env),
        "spec": spec,
        "status": {},
    });
    let target = Target {
        plural: "resourcequotas",
        namespaced: true,
        failure: Some("failed to create quota: "),
    };
    send(p, env, out, obj, target);
}

/// `metav1.ParseToLabelSelector` for the forms a PDB selector takes: `k=v`, `k!=v`, `k`, `!k`,
/// `k in (a,b)`, `k notin (a,b)`.
fn label_selector(text: &str) -> Value {
    let mut labels = Map::new();
    let mut expressions = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    for part in parts.iter().map(|p| p.trim()) {
        let set = |s: &str| -> Vec<String> {
            s.trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .map(|v| v.trim().to_string())
                .collect()
        };
        if let Some((k, v)) = part.split_once("!=") {
            expressions.push(json!({"key": k.trim(), "operator": "NotIn", "values": [v.trim()]}));
        } else if let Some((k, v)) = part.split_once(" notin ") {
            expressions.push(json!({"key": k.trim(), "operator": "NotIn", "values": set(v)}));
        } else if let Some((k, v)) = part.split_once(" in ") {
            expressions.push(json!({"key": k.trim(), "operator": "In", "values": set(v)}));
        } else if let Some((k, v)) = part.split_once('=') {
            labels.insert(
                k.trim().to_string(),
                json!(v.trim_start_matches('=').trim()),
            );
        } else if let Some(k) = part.strip_prefix('!') {
            expressions.push(json!({"key": k.trim(), "operator": "DoesNotExist"}));
        } else if !part.is_empty() {
            expressions.push(json!({"key": part, "operator": "Exists"}));
        }
    }
    let mut selector = Map::new();
    if !labels.is_empty() {
        selector.insert("matchLabels".into(), Value::Object(labels));
    }
    if !expressions.is_empty() {
        selector.insert("matchExpressions".into(), json!(expressions));
    }
    Value::Object(selector)
}

/// An `intstr` flag value: a number, or a string such as `50%`.
fn int_or_string(s: &str) -> Value {
    match s.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(s),
    }
}

/// `kubectl create poddisruptionbudget NAME --selector=SELECTOR (--min-available=N|--max-unavailable=N)`.
pub fn pod_disruption_budget(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "poddisruptionbudget", out) else {
        return;
    };
    let selector = p.get("selector").unwrap_or("");
    let min = p.get("min-available").unwrap_or("");
    let max = p.get("max-unavailable").unwrap_or("");
    let error = if selector.is_empty() {
        Some("a selector must be specified")
    } else if min.is_empty() && max.is_empty() {
        Some("one of min-available or max-unavailable must be specified")
    } else if !min.is_empty() && !max.is_empty() {
        Some("min-available and max-unavailable cannot be both specified")
    } else {
        let re = Regex::new(r"^[0-9]+%?$").expect("count or percentage");
        if !min.is_empty() && !re.is_match(min) {
            Some("invalid format specified for min-available")
        } else if !max.is_empty() && !re.is_match(max) {
            Some("invalid format specified for max-unavailable")
        } else {
            None
        }
    };
    if let Some(e) = error {
        out.fail(format!("error: {e}"));
        return;
    }
    let mut spec = json!({"selector": label_selector(selector)});
    if !min.is_empty() {
        spec["minAvailable"] = int_or_string(min);
    } else {
        spec["maxUnavailable"] = int_or_string(max);
    }
    let obj = json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(&name, env),
        "spec": spec,
        "status": {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0},
    });
    let target = Target {
        plural: "poddisruptionbudgets",
        namespaced: true,
        failure: Some("failed to create poddisruptionbudgets: "),
    };
    send(p, env, out, obj, target);
}

/// `kubectl create priorityclass NAME [--value=N] [--global-default] [--description] [--preemption-policy]`.
pub fn priority_class(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "priorityclass", out) else {
        return;
    };
    let value_text = p.get("value").unwrap_or("0");
    let Ok(value) = value_text.parse::<i32>() else {
        out.fail(format!(
            "error: invalid argument \"{value_text}\" for \"--value\" flag: strconv.ParseInt: parsing \"{value_text}\": invalid syntax\nSee 'kubectl create priorityclass --help' for usage."
        ));
        return;
    };
    let mut obj = json!({
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name, "creationTimestamp": null},
        "value": value,
        "preemptionPolicy": p.get("preemption-policy").unwrap_or("PreemptLowerPriority"),
    });
    if let Some(d) = p.get("description").filter(|d| !d.is_empty()) {
        obj["description"] = json!(d);
    }
    if p.bool("global-default") {
        obj["globalDefault"] = json!(true);
    }
    let target = Target {
        plural: "priorityclasses",
        namespaced: false,
        failure: Some("failed to create priorityclass: "),
    };
    send(p, env, out, obj, target);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_limits_need_resource_equals_value() {
        let list = resource_list("pods=2,cpu=1").unwrap();
        assert_eq!(Value::Object(list), json!({"pods": "2", "cpu": "1"}));
        assert_eq!(
            resource_list("pods").unwrap_err(),
            "Invalid argument syntax pods, expected <resource>=<value>"
        );
        assert!(resource_list("pods=lots").is_err());
    }

    #[test]
    fn selectors_parse_like_parse_to_label_selector() {
        assert_eq!(
            label_selector("app=web"),
            json!({"matchLabels": {"app": "web"}})
        );
        assert_eq!(
            label_selector("app=web,tier in (a,b),!gone"),
            json!({"matchLabels": {"app": "web"}, "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "gone", "operator": "DoesNotExist"}]})
        );
    }

    #[test]
    fn counts_are_numbers_and_percentages_strings() {
        assert_eq!(int_or_string("1"), json!(1));
        assert_eq!(int_or_string("50%"), json!("50%"));
    }
}
