//! The Job controller: run pods until `completions` succeed, `parallelism` at a time, and give up
//! after `backoffLimit` failures (with the pod-failure back-off of 10 s, doubling, up to 6 min).

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{create_pod, delete_pod, is_ready, owned};
use crate::clock;
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

const SOURCE: &str = "job-controller";
const MAX_POD_BACKOFF: f64 = 360.0;

fn finished(job: &Job) -> bool {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
}

fn condition(type_: &str, reason: &str, message: &str, now: jiff::Timestamp) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(crate::clock::api_time(now)),
        last_transition_time: Some(crate::clock::api_time(now)),
    }
}

/// The selector and labels the API server generates for a Job without `manualSelector`.
fn ensure_selector(cluster: &mut Cluster, job: &Job) -> Option<Job> {
    if job.spec.as_ref().is_some_and(|s| s.selector.is_some()) {
        return None;
    }
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let mut j = job.clone();
    let spec = j.spec.get_or_insert_with(Default::default);
    spec.selector = Some(LabelSelector {
        match_labels: Some(
            [(
                "batch.kubernetes.io/controller-uid".to_string(),
                uid.clone(),
            )]
            .into(),
        ),
        match_expressions: None,
    });
    let labels = spec
        .template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        labels.insert(k.into(), v.clone());
    }
    match cluster.store_mut().put(Object::from(j)).as_ref() {
        Object::Job(j) => Some((**j).clone()),
        _ => None,
    }
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let Some(Object::Job(job)) = cluster.store().get(key).map(|o| o.as_ref().clone()) else {
        return;
    };
    if job.metadata.deletion_timestamp.is_some() || finished(&job) {
        return;
    }
    let job = ensure_selector(cluster, &job).unwrap_or(*job);
    let obj = Object::from(job.clone());
    let now = cluster.now();
    let spec = job.spec.clone().unwrap_or_default();
    if spec.suspend == Some(true) {
        return;
    }
    let completions = spec.completions.unwrap_or(1);
    let parallelism = spec.parallelism.unwrap_or(1);
    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let pods: Vec<Pod> = owned(cluster, &uid, "Pod")
        .iter()
        .filter_map(|o| o.as_pod().cloned())
        .collect();
    let phase = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default()
    };
    let succeeded = pods.iter().filter(|p| phase(p) == "Succeeded").count() as i32;
    let failed_pods: Vec<&Pod> = pods.iter().filter(|p| phase(p) == "Failed").collect();
    let restarts: i32 = pods
        .iter()
        .flat_map(|p| {
            p.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .map(|c| c.restart_count)
        .sum();
    let failed = failed_pods.len() as i32;
    let active: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none()
                && !matches!(phase(p).as_str(), "Succeeded" | "Failed")
        })
        .collect();
    let terminating = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_some())
        .count() as i32;
    let mut status = job.status.clone().unwrap_or_default();
    status.start_time.get_or_insert(crate::clock::api_time(now));
    let mut conditions = status.conditions.clone().unwrap_or_default();
    let mut active_count = active.len() as i32;
    if failed + restarts > backoff_limit {
        for p in &active {
            delete_pod(
                cluster,
                &Key {
                    kind: "Pod",
                    namespace: key.namespace.clone(),
                    name: p.metadata.name.as_deref().unwrap_or_default().into(),
                },
            );
        }
        active_count = 0;
        let msg = "Job has reached the specified backoff limit";
        conditions.push(condition("FailureTarget", "BackoffLimitExceeded", msg, now));
        conditions.push(condition("Failed", "BackoffLimitExceeded", msg, now));
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Warning,
            "BackoffLimitExceeded",
            msg,
        );
    } else if succeeded >= completions {
        let msg = "Reached expected number of succeeded pods";
        conditions.push(condition(
            "SuccessCriteriaMet",
            "CompletionsReached",
            msg,
            now,
        ));
        conditions.push(condition("Complete", "CompletionsReached", msg, now));
        status.completion_time = Some(crate::clock::api_time(now));
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            EventKind::Normal,
            "Completed",
            "Job completed",
        );
    } else {
        let want = parallelism.min(completions - succeeded);
        let missing = want - active_count;
        // After failures, new pods wait out the pod-failure back-off.
        let last_failure = failed_pods
            .iter()
            .filter_map(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .and_then(|cs| cs.first())
                    .and_then(|c| c.state.as_ref())
                    .and_then(|s| s.terminated.as_ref())
                    .and_then(|t| t.finished_at.as_ref())
                    .map(|t| t.0)
            })
            .max();
        let ready_at = last_failure
            .map(|t| clock::after(t, (10.0 * 2f64.powi(failed - 1)).min(MAX_POD_BACKOFF)));
        if missing > 0 {
            if ready_at.is_some_and(|t| t > now) {
                cluster.wake_at(ready_at.expect("checked"), key.clone());
            } else {
                let template = spec.template.clone();
                for _ in 0..missing {
                    if create_pod(cluster, &obj, &template, None, &[], SOURCE).is_some() {
                        active_count += 1;
                    }
                }
            }
        }
    }
    status.active = (active_count > 0).then_some(active_count);
    status.succeeded = (succeeded > 0).then_some(succeeded);
    status.failed = (failed > 0).then_some(failed);
    status.ready = Some(active.iter().filter(|p| is_ready(p)).count() as i32);
    status.terminating = Some(terminating);
    status.uncounted_terminated_pods = Some(UncountedTerminatedPods::default());
    status.conditions = (!conditions.is_empty()).then_some(conditions);
    let status: JobStatus = status;
    if job.status.as_ref() != Some(&status) {
        let mut j = job.clone();
        j.status = Some(status);
        cluster.store_mut().put(Object::from(j));
    }
}
