//! The CronJob controller: create a Job at each scheduled time (the latest missed one after a
//! fast-forward, as the real controller does), follow the Jobs it made, and trim history.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{controller_ref, owned};
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "cronjob-controller";

/// The next scheduled time strictly after `t`.
pub fn next_after(schedule: &str, t: Timestamp) -> Option<Timestamp> {
    let cron: croner::Cron = schedule.parse().ok()?;
    let z = t.to_zoned(jiff::tz::TimeZone::UTC);
    cron.find_next_occurrence(&z, false)
        .ok()
        .map(|z| z.timestamp())
}

fn job_state(job: &Job) -> Option<&'static str> {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .find_map(|c| {
            (c.status == "True").then_some(match c.type_.as_str() {
                "Complete" => Some("Complete"),
                "Failed" => Some("Failed"),
                _ => None,
            })?
        })
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(Object::CronJob(cj)) = cluster.store().get(key).map(|o| o.as_ref().clone()) else {
        return;
    };
    if cj.metadata.deletion_timestamp.is_some() {
        return;
    }
    let obj = Object::CronJob(cj.clone());
    let now = cluster.now();
    let spec = cj.spec.clone().unwrap_or_default();
    let uid = cj.metadata.uid.clone().unwrap_or_default();
    let mut status = cj.status.clone().unwrap_or_default();
    let mut jobs: Vec<Job> = owned(cluster, &uid, "Job")
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Job(j) => Some((**j).clone()),
            _ => None,
        })
        .collect();
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0));
    // Follow the active Jobs.
    let mut active: Vec<ObjectReference> = Vec::new();
    for j in &jobs {
        let name = j.metadata.name.clone().unwrap_or_default();
        let was_active = status
            .active
            .iter()
            .flatten()
            .any(|r| r.name.as_deref() == Some(&name));
        match job_state(j) {
            None => active.push(ObjectReference {
                api_version: Some("batch/v1".into()),
                kind: Some("Job".into()),
                name: Some(name),
                namespace: j.metadata.namespace.clone(),
                uid: j.metadata.uid.clone(),
                resource_version: j.metadata.resource_version.clone(),
                field_path: None,
            }),
            Some(state) if was_active => {
                cluster.record_event(
                    &obj,
                    None,
                    Source::Controller(SOURCE),
                    EventKind::Normal,
                    "SawCompletedJob",
                    &format!("Saw completed job: {name}, condition: {state}"),
                );
                if state == "Complete" {
                    status.last_successful_time =
                        j.status.as_ref().and_then(|s| s.completion_time.clone());
                }
            }
            Some(_) => {}
        }
    }
    // Start the most recent missed run.
    let suspended = spec.suspend.unwrap_or(false);
    let since = status
        .last_schedule_time
        .as_ref()
        .map(|t| t.0)
        .or(cj.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .unwrap_or(now);
    let mut due = None;
    let mut t = since;
    while let Some(n) = next_after(&spec.schedule, t) {
        if n > now {
            break;
        }
        due = Some(n);
        t = n;
    }
    if let (Some(scheduled), false) = (due, suspended) {
        let policy = spec
            .concurrency_policy
            .clone()
            .unwrap_or_else(|| "Allow".into());
        let blocked = policy == "Forbid" && !active.is_empty();
        if policy == "Replace" {
            for r in active.drain(..) {
                let k = Key {
                    kind: "Job",
                    namespace: key.namespace.clone(),
                    name: r.name.as_deref().unwrap_or_default().into(),
                };
                cluster.remove_object(&k);
                cluster.record_event(
                    &obj,
                    None,
                    Source::Controller(SOURCE),
                    EventKind::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted job {}", k.name),
                );
            }
        }
        if !blocked {
            let name = format!("{}-{}", key.name, scheduled.as_second() / 60);
            let template = spec.job_template.clone();
            let mut meta = template.metadata.clone().unwrap_or_default();
            meta.name = Some(name.clone());
            meta.namespace = Some(key.namespace.to_string());
            meta.owner_references = Some(vec![controller_ref(&obj)]);
            let mut ann: BTreeMap<String, String> = meta.annotations.take().unwrap_or_default();
            ann.insert(
                "batch.kubernetes.io/cronjob-scheduled-timestamp".into(),
                scheduled.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            );
            meta.annotations = Some(ann);
            let job = Job {
                metadata: ObjectMeta { ..meta },
                spec: Some(template.spec.unwrap_or_else(JobSpec::default)),
                status: None,
            };
            let rt = crate::resources::by_kind("batch/v1", "Job").expect("jobs are served");
            if let Ok(created) = cluster.create(
                rt,
                Some(&key.namespace),
                serde_json::to_value(&job).unwrap_or_default(),
            ) {
                cluster.record_event(
                    &obj,
                    None,
                    Source::Controller(SOURCE),
                    EventKind::Normal,
                    "SuccessfulCreate",
                    &format!("Created job {name}"),
                );
                active.push(ObjectReference {
                    api_version: Some("batch/v1".into()),
                    kind: Some("Job".into()),
                    name: Some(name),
                    namespace: Some(key.namespace.to_string()),
                    uid: created.meta().uid.clone(),
                    resource_version: created.meta().resource_version.clone(),
                    field_path: None,
                });
            }
            status.last_schedule_time = Some(crate::clock::api_time(scheduled));
        }
    }
    // Keep only the configured history.
    for (state, limit) in [
        ("Complete", spec.successful_jobs_history_limit.unwrap_or(3)),
        ("Failed", spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let done: Vec<&Job> = jobs
            .iter()
            .filter(|j| job_state(j) == Some(state))
            .collect();
        let extra = done.len().saturating_sub(limit.max(0) as usize);
        for j in done.into_iter().take(extra) {
            let k = Key {
                kind: "Job",
                namespace: key.namespace.clone(),
                name: j.metadata.name.as_deref().unwrap_or_default().into(),
            };
            cluster.remove_object(&k);
            cluster.record_event(
                &obj,
                None,
                Source::Controller(SOURCE),
                EventKind::Normal,
                "SuccessfulDelete",
                &format!("Deleted job {}", k.name),
            );
        }
    }
    status.active = (!active.is_empty()).then_some(active);
    if cj.status.as_ref() != Some(&status) {
        let mut c: CronJob = (*cj).clone();
        c.status = Some(status);
        cluster.store_mut().put(Object::from(c));
    }
    if let Some(next) = next_after(&spec.schedule, now) {
        cluster.wake_at(next, key.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_run_of_a_five_minute_schedule() {
        let t: Timestamp = "2026-01-01T00:03:10Z".parse().unwrap();
        assert_eq!(
            next_after("*/5 * * * *", t),
            Some("2026-01-01T00:05:00Z".parse().unwrap())
        );
    }
}
