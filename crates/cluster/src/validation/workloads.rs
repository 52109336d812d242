//! Workload validation (pkg/apis/apps/validation and pkg/apis/batch/validation): selectors that
//! must match their template, replica counts, restart policies per kind, immutable selectors and
//! Job templates.

use serde_json::Value;

use super::{go_label_selector, go_string_map, invalid_go, pod::validate_pod_spec};
use crate::selector::LabelSelectorSet;
use crate::status::FieldError;

/// Validates a workload object of `kind` (its spec, template and selector).
pub fn validate_workload(kind: &str, obj: &Value) -> Vec<FieldError> {
    let spec = &obj["spec"];
    let mut errs = Vec::new();
    match kind {
        "CronJob" => {
            match spec["schedule"].as_str() {
                None | Some("") => errs.push(FieldError::required("spec.schedule", "")),
                Some(s) => {
                    if let Err(e) = s.parse::<croner::Cron>() {
                        errs.push(FieldError::invalid(
                            "spec.schedule",
                            &spec["schedule"],
                            &e.to_string(),
                        ));
                    }
                }
            }
            check_policy(
                &mut errs,
                spec,
                "concurrencyPolicy",
                &["Allow", "Forbid", "Replace"],
            );
            let job_spec = &spec["jobTemplate"]["spec"];
            errs.extend(validate_template(
                "Job",
                job_spec,
                "spec.jobTemplate.spec",
                false,
            ));
            return errs;
        }
        "Job" => {
            for f in [
                "parallelism",
                "completions",
                "backoffLimit",
                "activeDeadlineSeconds",
            ] {
                if let Some(n) = spec[f].as_i64().filter(|n| *n < 0) {
                    errs.push(FieldError::invalid(
                        format!("spec.{f}"),
                        &Value::from(n),
                        "must be greater than or equal to 0",
                    ));
                }
            }
            errs.extend(validate_template(kind, spec, "spec", true));
            return errs;
        }
        _ => {}
    }
    if let Some(n) = spec["replicas"].as_i64().filter(|n| *n < 0) {
        errs.push(FieldError::invalid(
            "spec.replicas",
            &Value::from(n),
            "must be greater than or equal to 0",
        ));
    }
    if kind == "Deployment" {
        check_policy(
            &mut errs,
            &spec["strategy"],
            "type",
            &["Recreate", "RollingUpdate"],
        );
        let ru = &spec["strategy"]["rollingUpdate"];
        if spec["strategy"]["type"] == "Recreate" && !ru.is_null() {
            errs.push(FieldError::forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            ));
        }
        if is_zero(&ru["maxSurge"]) && is_zero(&ru["maxUnavailable"]) && !ru.is_null() {
            errs.push(invalid_go(
                "spec.strategy.rollingUpdate.maxUnavailable",
                &go_int_or_string(&ru["maxUnavailable"]),
                "may not be 0 when `maxSurge` is 0",
            ));
        }
    }
    errs.extend(validate_template(kind, spec, "spec", true));
    errs
}

fn is_zero(v: &Value) -> bool {
    v.as_i64() == Some(0) || v.as_str() == Some("0%")
}

/// Go's `%#v` of an `intstr.IntOrString`.
fn go_int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    }
}

fn check_policy(errs: &mut Vec<FieldError>, obj: &Value, field: &str, allowed: &[&str]) {
    if let Some(v) = obj[field].as_str() {
        if !allowed.contains(&v) {
            errs.push(FieldError::not_supported(
                format!("spec.{field}").replace("spec.type", "spec.strategy.type"),
                &obj[field],
                allowed,
            ));
        }
    }
}

/// Selector and template checks shared by every workload with a pod template.
fn validate_template(
    kind: &str,
    spec: &Value,
    path: &str,
    check_selector: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let template_labels = &spec["template"]["metadata"]["labels"];
    // A ReplicationController's selector is a plain label map (defaulted from the template's
    // labels), not a LabelSelector.
    let rc_selector;
    let selector = if kind == "ReplicationController" {
        let labels = if spec["selector"].is_object() {
            &spec["selector"]
        } else {
            template_labels
        };
        rc_selector = serde_json::json!({ "matchLabels": labels });
        &rc_selector
    } else {
        &spec["selector"]
    };
    // Jobs get their selector from the server (manualSelector aside).
    let needs_selector = check_selector && kind != "Job";
    if needs_selector && selector.is_null() {
        errs.push(FieldError::required(format!("{path}.selector"), ""));
    } else if !selector.is_null() {
        let parsed: Result<LabelSelectorSet, String> = serde_json::from_value(selector.clone())
            .map_err(|e| e.to_string())
            .and_then(|s| LabelSelectorSet::from_label_selector(&s));
        match parsed {
            Err(e) => errs.push(invalid_go(
                format!("{path}.selector"),
                &go_label_selector(selector),
                &e,
            )),
            Ok(sel) if sel.is_empty() && needs_selector => errs.push(invalid_go(
                format!("{path}.selector"),
                &go_label_selector(selector),
                &format!("empty selector is invalid for {}", kind.to_lowercase()),
            )),
            Ok(sel) => {
                let labels = template_labels.as_object().map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                });
                if !sel.matches(labels.as_ref()) {
                    errs.push(invalid_go(
                        format!("{path}.template.metadata.labels"),
                        &go_string_map(template_labels),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
        }
    }
    if let Some(labels) = template_labels.as_object() {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        errs.extend(super::names::validate_labels(
            &format!("{path}.template.metadata.labels"),
            &labels,
        ));
    }
    let pod_spec = &spec["template"]["spec"];
    let ppath = format!("{path}.template.spec");
    // `ValidatePodTemplateSpecForStatefulSet` leaves the pod spec alone: its containers mount
    // volumes that only exist once the controller adds the claim templates, so a mistake shows
    // later, as the controller's FailedCreate event, exactly as on a real cluster.
    if kind != "StatefulSet" {
        errs.extend(validate_pod_spec(pod_spec, &ppath, true));
    }
    if kind == "StatefulSet" && !pod_spec["activeDeadlineSeconds"].is_null() {
        errs.push(FieldError::forbidden(
            format!("{ppath}.activeDeadlineSeconds"),
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    let restart = pod_spec["restartPolicy"].as_str();
    match kind {
        "Job" => match restart {
            None => errs.push(FieldError::required(
                format!("{ppath}.restartPolicy"),
                "valid values: \"OnFailure\", \"Never\"",
            )),
            Some("OnFailure" | "Never") => {}
            Some(_) => errs.push(FieldError::not_supported(
                format!("{ppath}.restartPolicy"),
                &pod_spec["restartPolicy"],
                &["OnFailure", "Never"],
            )),
        },
        _ => {
            if restart.is_some_and(|r| r != "Always") {
                errs.push(FieldError::not_supported(
                    format!("{ppath}.restartPolicy"),
                    &pod_spec["restartPolicy"],
                    &["Always"],
                ));
            }
        }
    }
    errs
}

/// Update rules: selectors are immutable (apps/v1), a Job's template and completions too, and a
/// StatefulSet allows only a handful of spec fields to change.
pub fn validate_workload_update(kind: &str, new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (ns, os) = (&new["spec"], &old["spec"]);
    if ns["selector"] != os["selector"] {
        errs.push(invalid_go(
            "spec.selector",
            &go_label_selector(&ns["selector"]),
            "field is immutable",
        ));
    }
    match kind {
        "Job" => {
            if ns["template"] != os["template"] {
                errs.push(invalid_go(
                    "spec.template",
                    "core.PodTemplateSpec{...}",
                    "field is immutable",
                ));
            }
            if ns["completions"] != os["completions"] {
                errs.push(invalid_go(
                    "spec.completions",
                    &ns["completions"].to_string(),
                    "field is immutable",
                ));
            }
        }
        "StatefulSet" => {
            let allowed = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(m) = v.as_object_mut() {
                    m.retain(|k, _| !allowed.contains(&k.as_str()));
                }
                v
            };
            if strip(ns) != strip(os) {
                errs.push(FieldError::forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        _ => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::render).collect()
    }

    fn deployment(selector: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"replicas": 1, "selector": selector,
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    }

    #[test]
    fn selector_must_match_template_labels() {
        let d = deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "x"}));
        assert_eq!(
            render(&validate_workload("Deployment", &d)),
            [
                r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#
            ]
        );
        let ok = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web", "v": "1"}),
        );
        assert!(validate_workload("Deployment", &ok).is_empty());
        let missing = deployment(Value::Null, json!({"app": "web"}));
        assert_eq!(
            render(&validate_workload("Deployment", &missing)),
            ["spec.selector: Required value"]
        );
        let empty = deployment(json!({}), json!({"app": "web"}));
        assert_eq!(
            render(&validate_workload("Deployment", &empty)),
            ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
    }

    #[test]
    fn selector_is_immutable() {
        let old = deployment(
            json!({"matchLabels": {"app": "nginx"}}),
            json!({"app": "nginx"}),
        );
        let new = deployment(
            json!({"matchLabels": {"app": "nginx2"}}),
            json!({"app": "nginx2"}),
        );
        assert_eq!(
            render(&validate_workload_update("Deployment", &new, &old)),
            [
                r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
            ]
        );
    }

    #[test]
    fn restart_policies_per_kind() {
        let mut d = deployment(json!({"matchLabels": {"a": "b"}}), json!({"a": "b"}));
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(
            render(&validate_workload("Deployment", &d)),
            [
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#
            ]
        );
        let job = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Always"}}}});
        assert_eq!(
            render(&validate_workload("Job", &job)),
            [
                r#"spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#
            ]
        );
        let cj = json!({"spec": {"schedule": "not a schedule", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"}}}}}});
        assert!(render(&validate_workload("CronJob", &cj))[0]
            .starts_with(r#"spec.schedule: Invalid value: "not a schedule""#));
    }

    #[test]
    fn a_stateful_set_template_may_mount_its_claim_templates() {
        let mut s = deployment(json!({"matchLabels": {"app": "db"}}), json!({"app": "db"}));
        s["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "data", "mountPath": "/data"}]);
        s["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "data"}}]);
        assert!(validate_workload("StatefulSet", &s).is_empty());
        // A Deployment has no claim templates: the same mount is an unknown volume.
        assert_eq!(
            render(&validate_workload("Deployment", &s)),
            [r#"spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data""#]
        );
        s["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
        assert_eq!(
            render(&validate_workload("StatefulSet", &s)),
            ["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"]
        );
    }

    #[test]
    fn zero_surge_and_unavailable() {
        let mut d = deployment(json!({"matchLabels": {"a": "b"}}), json!({"a": "b"}));
        d["spec"]["strategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}});
        assert_eq!(
            render(&validate_workload("Deployment", &d)),
            [
                r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0"#
            ]
        );
    }
}
