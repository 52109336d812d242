//! Cron jobs (`CronJobDescriber`).

use serde_json::Value;

use super::{format_selector, labels_and_annotations, s};
use crate::printers::describe::{self as layout, PrefixWriter};

/// `printBoolPtr`.
fn bool_ptr(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

fn count_or_unset(w: &mut PrefixWriter, title: &str, v: &Value, unit: &str) {
    match v.as_i64() {
        Some(n) => w.write(0, &format!("{title}:\t{n}{unit}\n")),
        None => w.write(0, &format!("{title}:\t<unset>\n")),
    }
}

pub fn cron_job(w: &mut PrefixWriter, cj: &Value) {
    let (spec, status) = (&cj["spec"], &cj["status"]);
    w.write(0, &format!("Name:\t{}\n", s(&cj["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&cj["metadata"]["namespace"])),
    );
    labels_and_annotations(w, cj);
    w.write(0, &format!("Schedule:\t{}\n", s(&spec["schedule"])));
    w.write(
        0,
        &format!("Concurrency Policy:\t{}\n", s(&spec["concurrencyPolicy"])),
    );
    w.write(0, &format!("Suspend:\t{}\n", bool_ptr(&spec["suspend"])));
    count_or_unset(
        w,
        "Successful Job History Limit",
        &spec["successfulJobsHistoryLimit"],
        "",
    );
    count_or_unset(
        w,
        "Failed Job History Limit",
        &spec["failedJobsHistoryLimit"],
        "",
    );
    count_or_unset(
        w,
        "Starting Deadline Seconds",
        &spec["startingDeadlineSeconds"],
        "s",
    );
    // `describeJobTemplate`.
    let job = &spec["jobTemplate"]["spec"];
    if job["selector"].is_object() {
        w.write(
            0,
            &format!("Selector:\t{}\n", format_selector(&job["selector"])),
        );
    } else {
        w.write(0, "Selector:\t<unset>\n");
    }
    count_or_unset(w, "Parallelism", &job["parallelism"], "");
    count_or_unset(w, "Completions", &job["completions"], "");
    if let Some(d) = job["activeDeadlineSeconds"].as_i64() {
        w.write(0, &format!("Active Deadline Seconds:\t{d}s\n"));
    }
    layout::pod_template(w, &job["template"]);
    if status["lastScheduleTime"].is_string() {
        w.write(
            0,
            &format!(
                "Last Schedule Time:\t{}\n",
                layout::rfc1123z(&status["lastScheduleTime"])
            ),
        );
    } else {
        w.write(0, "Last Schedule Time:\t<unset>\n");
    }
    let active: Vec<&str> = status["active"]
        .as_array()
        .map(|a| a.iter().map(|r| s(&r["name"])).collect())
        .unwrap_or_default();
    if active.is_empty() {
        w.write(0, "Active Jobs:\t<none>\n");
    } else {
        w.write(0, &format!("Active Jobs:\t{}\n", active.join(", ")));
    }
}
