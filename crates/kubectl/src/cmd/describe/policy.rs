//! Quotas, limit ranges, disruption budgets and autoscalers (`ResourceQuotaDescriber`,
//! `LimitRangeDescriber`, `PodDisruptionBudgetDescriber`, `HorizontalPodAutoscalerDescriber`).

use serde_json::Value;

use super::{format_selector, labels_and_annotations, s, Quantity};
use crate::printers::describe::{self as layout, PrefixWriter};

/// `helpTextForResourceQuotaScope`.
pub(super) fn scope_help(scope: &str) -> &'static str {
    match scope {
        "Terminating" => "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
        "NotTerminating" => "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
        "BestEffort" => "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
        "NotBestEffort" => "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
        _ => "",
    }
}

fn quantity_text(v: &Value) -> String {
    match v.as_str() {
        Some(q) => Quantity::parse(q).canonical(),
        None => "0".into(),
    }
}

pub fn quota(w: &mut PrefixWriter, q: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&q["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&q["metadata"]["namespace"])),
    );
    let mut scopes: Vec<&str> = q["spec"]["scopes"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    if !scopes.is_empty() {
        scopes.sort();
        w.write(0, &format!("Scopes:\t{}\n", scopes.join(", ")));
        for scope in &scopes {
            let help = scope_help(scope);
            if !help.is_empty() {
                w.write(0, &format!(" * {help}\n"));
            }
        }
    }
    w.write(0, "Resource\tUsed\tHard\n");
    w.write(0, "--------\t----\t----\n");
    let hard = &q["status"]["hard"];
    let mut names: Vec<&String> = hard
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    names.sort();
    for name in names {
        w.write(
            0,
            &format!(
                "{name}\t{}\t{}\n",
                quantity_text(&q["status"]["used"][name.as_str()]),
                quantity_text(&hard[name.as_str()])
            ),
        );
    }
}

pub fn limit_range(w: &mut PrefixWriter, lr: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&lr["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&lr["metadata"]["namespace"])),
    );
    w.write(
        0,
        "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n",
    );
    w.write(
        0,
        "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n",
    );
    for item in lr["spec"]["limits"].as_array().cloned().unwrap_or_default() {
        let fields = [
            "min",
            "max",
            "defaultRequest",
            "default",
            "maxLimitRequestRatio",
        ];
        // kubectl walks a Go map here, so several resources in one item come out in any
        // order; the emulation sorts them.
        let mut names: Vec<String> = fields
            .iter()
            .flat_map(|f| {
                item[*f]
                    .as_object()
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let cell = |f: &str| match item[f][name.as_str()].as_str() {
                Some(q) => Quantity::parse(q).canonical(),
                None => "-".into(),
            };
            w.write(
                0,
                &format!(
                    "{}\t{name}\t{}\t{}\t{}\t{}\t{}\n",
                    s(&item["type"]),
                    cell("min"),
                    cell("max"),
                    cell("defaultRequest"),
                    cell("default"),
                    cell("maxLimitRequestRatio")
                ),
            );
        }
    }
}

/// `intstr.String()`.
fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn pod_disruption_budget(w: &mut PrefixWriter, pdb: &Value) {
    let (spec, status) = (&pdb["spec"], &pdb["status"]);
    w.write(0, &format!("Name:\t{}\n", s(&pdb["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&pdb["metadata"]["namespace"])),
    );
    if !spec["minAvailable"].is_null() {
        w.write(
            0,
            &format!("Min available:\t{}\n", int_or_string(&spec["minAvailable"])),
        );
    } else if !spec["maxUnavailable"].is_null() {
        w.write(
            0,
            &format!(
                "Max unavailable:\t{}\n",
                int_or_string(&spec["maxUnavailable"])
            ),
        );
    }
    if spec["selector"].is_object() {
        w.write(
            0,
            &format!("Selector:\t{}\n", format_selector(&spec["selector"])),
        );
    } else {
        w.write(0, "Selector:\t<unset>\n");
    }
    let n = |f: &str| status[f].as_i64().unwrap_or(0);
    w.write(0, "Status:\n");
    w.write(
        2,
        &format!("Allowed disruptions:\t{}\n", n("disruptionsAllowed")),
    );
    w.write(2, &format!("Current:\t{}\n", n("currentHealthy")));
    w.write(2, &format!("Desired:\t{}\n", n("desiredHealthy")));
    w.write(2, &format!("Total:\t{}\n", n("expectedPods")));
}

/// One `Metrics:` line of an autoscaling/v2 autoscaler.
fn metric_line(w: &mut PrefixWriter, metric: &Value, current: &Value) {
    let kind = s(&metric["type"]);
    let (source, current) = match kind {
        "Resource" => (&metric["resource"], &current["resource"]),
        "ContainerResource" => (&metric["containerResource"], &current["containerResource"]),
        _ => {
            w.write(1, &format!("{kind} metric:\t<unknown> / <unknown>\n"));
            return;
        }
    };
    let name = s(&source["name"]);
    let on = if kind == "ContainerResource" {
        format!(
            "resource {name} of container \"{}\" on pods",
            s(&source["container"])
        )
    } else {
        format!("resource {name} on pods")
    };
    let target = &source["target"];
    if target["averageValue"].is_string() {
        let now = current["current"]["averageValue"]
            .as_str()
            .map(|q| Quantity::parse(q).canonical())
            .unwrap_or_else(|| "<unknown>".into());
        w.write(
            1,
            &format!(
                "{on}:\t{now} / {}\n",
                Quantity::parse(s(&target["averageValue"])).canonical()
            ),
        );
        return;
    }
    let now = match current["current"]["averageUtilization"].as_i64() {
        Some(pct) => format!(
            "{pct}% ({})",
            Quantity::parse(s(&current["current"]["averageValue"])).canonical()
        ),
        None => "<unknown>".into(),
    };
    let goal = target["averageUtilization"]
        .as_i64()
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "<auto>".into());
    w.write(
        1,
        &format!("{on}  (as a percentage of request):\t{now} / {goal}\n"),
    );
}

/// `printDirectionBehavior`.
fn direction(w: &mut PrefixWriter, title: &str, rules: &Value) {
    if !rules.is_object() {
        return;
    }
    w.write(1, &format!("{title}:\n"));
    if let Some(window) = rules["stabilizationWindowSeconds"].as_i64() {
        w.write(2, &format!("Stabilization Window: {window} seconds\n"));
    }
    if let Some(policies) = rules["policies"].as_array().filter(|p| !p.is_empty()) {
        let select = rules["selectPolicy"].as_str().unwrap_or("Max");
        w.write(2, &format!("Select Policy: {select}\n"));
        w.write(2, "Policies:\n");
        for p in policies {
            w.write(
                3,
                &format!(
                    "- Type: {}\tValue: {}\tPeriod: {} seconds\n",
                    s(&p["type"]),
                    p["value"].as_i64().unwrap_or(0),
                    p["periodSeconds"].as_i64().unwrap_or(0)
                ),
            );
        }
    }
}

pub fn horizontal_pod_autoscaler(w: &mut PrefixWriter, hpa: &Value) {
    let (spec, status, meta) = (&hpa["spec"], &hpa["status"], &hpa["metadata"]);
    w.write(0, &format!("Name:\t{}\n", s(&meta["name"])));
    w.write(0, &format!("Namespace:\t{}\n", s(&meta["namespace"])));
    labels_and_annotations(w, hpa);
    w.write(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            layout::rfc1123z(&meta["creationTimestamp"])
        ),
    );
    let target_kind = s(&spec["scaleTargetRef"]["kind"]);
    w.write(
        0,
        &format!(
            "Reference:\t{target_kind}/{}\n",
            s(&spec["scaleTargetRef"]["name"])
        ),
    );
    w.write(0, "Metrics:\t( current / target )\n");
    for (i, metric) in spec["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        metric_line(w, metric, &status["currentMetrics"][i]);
    }
    match spec["minReplicas"].as_i64() {
        Some(n) => w.write(0, &format!("Min replicas:\t{n}\n")),
        None => w.write(0, "Min replicas:\t<unset>\n"),
    }
    w.write(
        0,
        &format!(
            "Max replicas:\t{}\n",
            spec["maxReplicas"].as_i64().unwrap_or(0)
        ),
    );
    if spec["behavior"].is_object() {
        w.write(0, "Behavior:\n");
        direction(w, "Scale Up", &spec["behavior"]["scaleUp"]);
        direction(w, "Scale Down", &spec["behavior"]["scaleDown"]);
    }
    w.write(
        0,
        &format!(
            "{target_kind} pods:\t{} current / {} desired\n",
            status["currentReplicas"].as_i64().unwrap_or(0),
            status["desiredReplicas"].as_i64().unwrap_or(0)
        ),
    );
    if let Some(conditions) = status["conditions"].as_array().filter(|c| !c.is_empty()) {
        w.write(0, "Conditions:\n");
        w.write(1, "Type\tStatus\tReason\tMessage\n");
        w.write(1, "----\t------\t------\t-------\n");
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{}\t{}\t{}\t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    s(&c["reason"]),
                    s(&c["message"])
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotas_list_scopes_with_their_help_and_sorted_resources() {
        let mut w = PrefixWriter::default();
        let q = json!({"metadata": {"name": "q", "namespace": "default"},
            "spec": {"scopes": ["BestEffort"]},
            "status": {"hard": {"pods": "2", "cpu": "1000m"}, "used": {"pods": "1"}}});
        quota(&mut w, &q);
        assert_eq!(
            w.finish(),
            "Name:       q\nNamespace:  default\nScopes:     BestEffort\n * Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.\nResource  Used  Hard\n--------  ----  ----\ncpu       0     1\npods      1     2\n"
        );
    }

    #[test]
    fn limit_ranges_print_a_dash_for_what_is_unset() {
        let mut w = PrefixWriter::default();
        let lr = json!({"metadata": {"name": "l", "namespace": "default"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "default": {"cpu": "500m"}}]}});
        limit_range(&mut w, &lr);
        let text = w.finish();
        assert!(
            text.ends_with("Container   cpu       -    1    -                500m           -\n"),
            "{text}"
        );
    }

    #[test]
    fn pdbs_show_the_budget_that_is_set() {
        let mut w = PrefixWriter::default();
        let pdb = json!({"metadata": {"name": "p", "namespace": "default"},
            "spec": {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1}});
        pod_disruption_budget(&mut w, &pdb);
        let text = w.finish();
        assert!(text.contains("Max unavailable:  50%\n"), "{text}");
        assert!(text.contains("    Allowed disruptions:  1\n"), "{text}");
    }
}
