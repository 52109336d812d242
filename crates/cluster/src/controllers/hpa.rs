//! The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler), `autoscaling/v2`.
//!
//! Every 15 s (`--horizontal-pod-autoscaler-sync-period`) each autoscaler reads its target's
//! scale and its pods' usage (see [`crate::usage`]), proposes
//! `ceil(current replicas × current utilization / target)` per metric (no change within a 10%
//! tolerance), keeps the largest proposal, stabilises it (a scale-down waits for the highest
//! recommendation of the last 300 s), limits the rate of change by the behaviour's policies and
//! clamps it to `[minReplicas, maxReplicas]`. Conditions and events carry the upstream wording.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2::{
    HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition,
    HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus, MetricValueStatus,
    ResourceMetricStatus,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::{User, WriteOptions};
use crate::clock;
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::quantity;
use crate::selector::LabelSelectorSet;
use crate::store::Key;
use crate::usage::Traffic;
use crate::Cluster;

const SOURCE: &str = "horizontal-pod-autoscaler";
/// `--horizontal-pod-autoscaler-sync-period`.
pub const SYNC_SECONDS: f64 = 15.0;
/// `--horizontal-pod-autoscaler-tolerance`.
const TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-downscale-stabilization`, when the behaviour does not say.
const DOWNSCALE_STABILIZATION_SECONDS: i64 = 300;
/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
const CPU_INITIALIZATION_SECONDS: f64 = 300.0;
/// `--horizontal-pod-autoscaler-initial-readiness-delay`.
const INITIAL_READINESS_DELAY_SECONDS: f64 = 30.0;
/// The window of a metrics-server sample.
const METRIC_WINDOW_SECONDS: f64 = 15.0;

/// What the controller remembers per autoscaler between syncs (upstream keeps it in memory too).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Unstabilised recommendations, with when they were made.
    pub recommendations: Vec<(Timestamp, i32)>,
    /// Past rescales (when, replicas added or removed), for the rate-limiting policies.
    pub scale_ups: Vec<(Timestamp, i32)>,
    pub scale_downs: Vec<(Timestamp, i32)>,
    /// When the next periodic sync is due.
    pub next_sync: Option<Timestamp>,
}

fn memory_key(key: &Key) -> String {
    format!("{}/{}", key.namespace, key.name)
}

fn condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
) -> HorizontalPodAutoscalerCondition {
    HorizontalPodAutoscalerCondition {
        type_: type_.into(),
        status: if status { "True" } else { "False" }.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_transition_time: None,
    }
}

/// `setCondition`: replaces the condition of the same type (keeping its transition time when
/// the status did not change) or appends it.
fn set_condition(
    conditions: &mut Vec<HorizontalPodAutoscalerCondition>,
    mut c: HorizontalPodAutoscalerCondition,
    previous: &[HorizontalPodAutoscalerCondition],
    now: Timestamp,
) {
    let kept = previous
        .iter()
        .find(|p| p.type_ == c.type_ && p.status == c.status)
        .and_then(|p| p.last_transition_time.clone());
    c.last_transition_time = Some(kept.unwrap_or_else(|| clock::api_time(now)));
    match conditions.iter_mut().find(|x| x.type_ == c.type_) {
        Some(x) => *x = c,
        None => conditions.push(c),
    }
}

/// The scale target: its resource type, replicas and pod selector.
struct Target {
    rt: &'static crate::ResourceType,
    replicas: i32,
    selector: Option<LabelSelector>,
}

fn target(cluster: &Cluster, ns: &str, hpa: &HorizontalPodAutoscaler) -> Result<Target, String> {
    let r = &hpa
        .spec
        .as_ref()
        .map(|s| s.scale_target_ref.clone())
        .unwrap_or_default();
    let group = r.api_version.as_deref().unwrap_or_default();
    let rt = crate::resources::by_kind(group, &r.kind)
        .or_else(|| {
            crate::resources::RESOURCES
                .iter()
                .find(|t| t.kind == r.kind)
        })
        .filter(|t| {
            matches!(
                t.kind,
                "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
            )
        })
        .ok_or_else(|| {
            format!(
                "no matches for kind \"{}\" in group \"{}\"",
                r.kind,
                group.split('/').next().unwrap_or_default()
            )
        })?;
    let obj = cluster.get(rt, Some(ns), &r.name).map_err(|e| e.message)?;
    let (replicas, selector) = match obj.as_ref() {
        Object::Deployment(d) => d
            .spec
            .as_ref()
            .map(|s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        Object::ReplicaSet(d) => d
            .spec
            .as_ref()
            .map(|s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        Object::StatefulSet(d) => d
            .spec
            .as_ref()
            .map(|s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        Object::ReplicationController(d) => d.spec.as_ref().map(|s| {
            let sel = s.selector.clone().map(|m| LabelSelector {
                match_labels: Some(m),
                match_expressions: None,
            });
            (s.replicas.unwrap_or(1), sel)
        }),
        _ => None,
    }
    .unwrap_or((1, None));
    Ok(Target {
        rt,
        replicas,
        selector,
    })
}

/// One metric's proposal.
struct Proposal {
    replicas: i32,
    /// `cpu resource utilization (percentage of request)`.
    name: String,
    status: MetricStatus,
}

/// Why a metric has no proposal: the event reason and the error text.
struct MetricError {
    reason: &'static str,
    /// `failed to get cpu utilization: ...`
    message: String,
    /// `failed to get cpu resource metric value: ...`
    wrapped: String,
}

fn milli_quantity(m: i64) -> Quantity {
    if m % 1000 == 0 {
        Quantity((m / 1000).to_string())
    } else {
        Quantity(format!("{m}m"))
    }
}

fn bytes_quantity(b: i64) -> Quantity {
    if b % (1024 * 1024) == 0 {
        Quantity(format!("{}Mi", b / (1024 * 1024)))
    } else if b % 1024 == 0 {
        Quantity(format!("{}Ki", b / 1024))
    } else {
        Quantity(b.to_string())
    }
}

/// How the pods of a target count for the replica calculation (`groupPods`).
#[derive(Default)]
struct Groups {
    ready: usize,
    /// Usage (millicores or bytes) and request per pod with a usable sample.
    metrics: BTreeMap<String, i64>,
    unready: Vec<String>,
    missing: Vec<String>,
}

fn pod_condition_ready(p: &Pod) -> Option<(bool, Timestamp)> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| {
            (
                c.status == "True",
                c.last_transition_time
                    .as_ref()
                    .map_or(Timestamp::UNIX_EPOCH, |t| t.0),
            )
        })
}

/// The replica calculation for one Resource metric (`GetResourceReplicas` and
/// `GetRawResourceReplicas`).
fn resource_proposal(
    cluster: &Cluster,
    traffic: &Traffic,
    pods: &[Pod],
    current: i32,
    metric: &MetricSpec,
) -> Result<Proposal, MetricError> {
    let res = metric.resource.clone().unwrap_or_default();
    let resource = res.name.as_str();
    let utilization_target = res.target.average_utilization;
    let value_target = res.target.average_value.as_ref().map(|q| match resource {
        "cpu" => quantity::millicores(q),
        _ => quantity::value(q),
    });
    let err = |message: String| MetricError {
        reason: "FailedGetResourceMetric",
        wrapped: format!("failed to get {resource} resource metric value: {message}"),
        message,
    };
    let what = if utilization_target.is_some() {
        format!("failed to get {resource} utilization")
    } else {
        format!("failed to get {resource} usage")
    };
    let now = cluster.now();
    // metrics-server reports running pods only.
    let usage: BTreeMap<String, i64> = pods
        .iter()
        .filter_map(|p| {
            let u = cluster.pod_usage(p, traffic);
            if u.is_empty() {
                return None;
            }
            let total: i64 = u
                .iter()
                .map(|c| match resource {
                    "cpu" => c.cpu_millis as i64,
                    _ => (c.memory_mib * 1024 * 1024) as i64,
                })
                .sum();
            Some((p.metadata.name.clone().unwrap_or_default(), total))
        })
        .collect();
    if usage.is_empty() {
        return Err(err(format!(
            "{what}: unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        )));
    }
    if pods.is_empty() {
        return Err(err(format!(
            "{what}: no pods returned by selector while calculating replica count"
        )));
    }
    let mut g = Groups::default();
    for p in pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        if p.metadata.deletion_timestamp.is_some() || phase == Some("Failed") {
            continue;
        }
        if phase == Some("Pending") {
            g.unready.push(name);
            continue;
        }
        let Some(value) = usage.get(&name).copied() else {
            g.missing.push(name);
            continue;
        };
        if resource == "cpu" {
            let start = p
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0);
            let unready = match (pod_condition_ready(p), start) {
                (Some((ready, since)), Some(start)) => {
                    if clock::after(start, CPU_INITIALIZATION_SECONDS) > now {
                        !ready || now < clock::after(since, METRIC_WINDOW_SECONDS)
                    } else {
                        !ready && clock::after(start, INITIAL_READINESS_DELAY_SECONDS) > since
                    }
                }
                _ => true,
            };
            if unready {
                g.unready.push(name);
                continue;
            }
        }
        g.ready += 1;
        g.metrics.insert(name, value);
    }
    let mut requests: BTreeMap<String, i64> = BTreeMap::new();
    if utilization_target.is_some() {
        for p in pods {
            let name = p.metadata.name.clone().unwrap_or_default();
            let mut total = 0;
            for c in p.spec.iter().flat_map(|s| s.containers.iter()) {
                let req = c
                    .resources
                    .as_ref()
                    .and_then(|r| quantity::get(r.requests.as_ref(), resource));
                match req {
                    Some(q) => {
                        total += match resource {
                            "cpu" => quantity::millicores(q),
                            _ => quantity::value(q),
                        }
                    }
                    None => {
                        return Err(err(format!(
                            "{what}: missing request for {resource} in container {} of Pod {name}",
                            c.name
                        )))
                    }
                }
            }
            requests.insert(name, total);
        }
    }
    if g.metrics.is_empty() {
        return Err(err(format!(
            "{what}: did not receive metrics for targeted pods (pods might be unready)"
        )));
    }
    // The usage ratio and the reported current value over the pods with samples.
    let ratio_of = |metrics: &BTreeMap<String, i64>| -> (f64, Option<i32>, i64) {
        let n = metrics.len().max(1) as i64;
        let total: i64 = metrics.values().sum();
        match (utilization_target, value_target) {
            (Some(target), _) => {
                let req: i64 = metrics.keys().filter_map(|k| requests.get(k)).sum();
                let util = if req > 0 {
                    (total * 100 / req) as i32
                } else {
                    0
                };
                (
                    f64::from(util) / f64::from(target.max(1)),
                    Some(util),
                    total / n,
                )
            }
            (None, Some(v)) => (total as f64 / (v.max(1) as f64 * n as f64), None, total / n),
            (None, None) => (1.0, None, total / n),
        }
    };
    let (ratio, util, raw) = ratio_of(&g.metrics);
    let status = MetricStatus {
        type_: "Resource".into(),
        resource: Some(ResourceMetricStatus {
            name: resource.into(),
            current: MetricValueStatus {
                average_utilization: util,
                average_value: Some(if resource == "cpu" {
                    milli_quantity(raw)
                } else {
                    bytes_quantity(raw)
                }),
                value: None,
            },
        }),
        ..MetricStatus::default()
    };
    let name = if utilization_target.is_some() {
        format!("{resource} resource utilization (percentage of request)")
    } else {
        format!("{resource} resource")
    };
    let proposal = |replicas: i32| Proposal {
        replicas,
        name: name.clone(),
        status: status.clone(),
    };
    let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && g.missing.is_empty() {
        if (1.0 - ratio).abs() <= TOLERANCE {
            return Ok(proposal(current));
        }
        return Ok(proposal((ratio * g.ready as f64).ceil() as i32));
    }
    // Missing pods count at 100% of the target when scaling down, 0 when scaling up;
    // unready pods at 0 when scaling up.
    let mut metrics = g.metrics.clone();
    for name in &g.missing {
        let v = if ratio < 1.0 {
            match (utilization_target, value_target) {
                (Some(t), _) => requests.get(name).copied().unwrap_or(0) * i64::from(t) / 100,
                (None, Some(v)) => v,
                _ => 0,
            }
        } else {
            0
        };
        metrics.insert(name.clone(), v);
    }
    if scale_up_with_unready {
        for name in &g.unready {
            metrics.insert(name.clone(), 0);
        }
    }
    let (new_ratio, _, _) = ratio_of(&metrics);
    if (1.0 - new_ratio).abs() <= TOLERANCE
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Ok(proposal(current));
    }
    let replicas = (new_ratio * metrics.len() as f64).ceil() as i32;
    if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
        return Ok(proposal(current));
    }
    Ok(proposal(replicas))
}

fn rules(hpa: &HorizontalPodAutoscaler, up: bool) -> HPAScalingRules {
    let behavior = hpa
        .spec
        .as_ref()
        .and_then(|s| s.behavior.clone())
        .unwrap_or_default();
    let given = if up {
        behavior.scale_up
    } else {
        behavior.scale_down
    };
    let mut r = given.unwrap_or_default();
    if r.policies.as_ref().is_none_or(Vec::is_empty) {
        r.policies = Some(if up {
            vec![
                k8s_openapi::api::autoscaling::v2::HPAScalingPolicy {
                    type_: "Pods".into(),
                    value: 4,
                    period_seconds: 15,
                },
                k8s_openapi::api::autoscaling::v2::HPAScalingPolicy {
                    type_: "Percent".into(),
                    value: 100,
                    period_seconds: 15,
                },
            ]
        } else {
            vec![k8s_openapi::api::autoscaling::v2::HPAScalingPolicy {
                type_: "Percent".into(),
                value: 100,
                period_seconds: 15,
            }]
        });
    }
    r.select_policy.get_or_insert_with(|| "Max".into());
    r.stabilization_window_seconds.get_or_insert(if up {
        0
    } else {
        DOWNSCALE_STABILIZATION_SECONDS as i32
    });
    r
}

fn changed_within(events: &[(Timestamp, i32)], seconds: i32, now: Timestamp) -> i32 {
    let cutoff = clock::after(now, -f64::from(seconds));
    events
        .iter()
        .filter(|(t, _)| *t > cutoff)
        .map(|(_, n)| n)
        .sum()
}

/// `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`.
fn rate_limit(current: i32, mem: &Memory, r: &HPAScalingRules, up: bool, now: Timestamp) -> i32 {
    let select = r.select_policy.as_deref().unwrap_or("Max");
    if select == "Disabled" {
        return current;
    }
    // For scaling up the largest proposal is the biggest change; for scaling down, the smallest.
    let biggest_change = select != "Min";
    let mut result: Option<i32> = None;
    for p in r.policies.iter().flatten() {
        let start = current - changed_within(&mem.scale_ups, p.period_seconds, now)
            + changed_within(&mem.scale_downs, p.period_seconds, now);
        let proposed = match (p.type_.as_str(), up) {
            ("Pods", true) => start + p.value,
            ("Pods", false) => start - p.value,
            (_, true) => (f64::from(start) * (1.0 + f64::from(p.value) / 100.0)).ceil() as i32,
            (_, false) => (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32,
        };
        let pick_max = up == biggest_change;
        result = Some(match result {
            None => proposed,
            Some(r) if pick_max => r.max(proposed),
            Some(r) => r.min(proposed),
        });
    }
    result.unwrap_or(current)
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let mkey = memory_key(key);
    let Some(Object::HorizontalPodAutoscaler(hpa)) =
        cluster.store().get(key).map(|o| o.as_ref().clone())
    else {
        cluster.runtime.autoscalers.remove(&mkey);
        return;
    };
    if hpa.metadata.deletion_timestamp.is_some() {
        return;
    }
    let now = cluster.now();
    let mut mem = cluster
        .runtime
        .autoscalers
        .get(&mkey)
        .cloned()
        .unwrap_or_default();
    let due = mem.next_sync.is_none_or(|t| t <= now);
    let spec_changed =
        hpa.status.as_ref().and_then(|s| s.observed_generation) != hpa.metadata.generation;
    if !due && !spec_changed {
        return;
    }
    if due {
        let next = clock::after(now, SYNC_SECONDS);
        mem.next_sync = Some(next);
        cluster.wake_at(next, key.clone());
    }
    reconcile(cluster, key, &hpa, &mut mem);
    cluster.runtime.autoscalers.insert(mkey, mem);
}

/// `reconcileAutoscaler`.
fn reconcile(cluster: &mut Cluster, key: &Key, hpa: &HorizontalPodAutoscaler, mem: &mut Memory) {
    let now = cluster.now();
    let obj = Object::from(hpa.clone());
    let event = |cluster: &mut Cluster, kind: EventKind, reason: &str, message: &str| {
        cluster.record_event(
            &obj,
            None,
            Source::Controller(SOURCE),
            kind,
            reason,
            message,
        );
    };
    let spec = hpa.spec.clone().unwrap_or_default();
    let previous = hpa
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let mut conditions: Vec<HorizontalPodAutoscalerCondition> = Vec::new();
    let mut status = hpa.status.clone().unwrap_or_default();
    status.observed_generation = hpa.metadata.generation;
    let target = match target(cluster, &key.namespace, hpa) {
        Ok(t) => t,
        Err(e) => {
            let message =
                format!("the HPA controller was unable to get the target's current scale: {e}");
            event(cluster, EventKind::Warning, "FailedGetScale", &e);
            set_condition(
                &mut conditions,
                condition("AbleToScale", false, "FailedGetScale", &message),
                &previous,
                now,
            );
            write_status(cluster, key, hpa, status, conditions);
            return;
        }
    };
    set_condition(
        &mut conditions,
        condition(
            "AbleToScale",
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        ),
        &previous,
        now,
    );
    let current = target.replicas;
    let min = spec.min_replicas.unwrap_or(1);
    let max = spec.max_replicas;
    if mem.recommendations.is_empty() {
        mem.recommendations.push((now, current));
    }
    let mut rescale_reason = String::new();
    let desired;
    status.current_replicas = Some(current);
    if current == 0 && min != 0 {
        desired = 0;
        set_condition(
            &mut conditions,
            condition(
                "ScalingActive",
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            ),
            &previous,
            now,
        );
    } else if current > max {
        rescale_reason = "Current number of replicas above Specified Max".into();
        desired = max;
    } else if current < min {
        rescale_reason = "Current number of replicas below Specified Min".into();
        desired = min;
    } else {
        let selector = target
            .selector
            .as_ref()
            .and_then(|s| LabelSelectorSet::from_label_selector(s).ok());
        let pods: Vec<Pod> = cluster
            .store()
            .list("Pod", Some(&key.namespace))
            .filter_map(|o| o.as_pod().cloned())
            .filter(|p| {
                selector
                    .as_ref()
                    .is_some_and(|s| s.matches(p.metadata.labels.as_ref()))
            })
            .collect();
        let traffic = cluster.traffic();
        let metrics = spec.metrics.clone().unwrap_or_default();
        let mut best: Option<Proposal> = None;
        let mut statuses = Vec::new();
        let mut invalid: Vec<MetricError> = Vec::new();
        for m in &metrics {
            let result = if m.type_ == "Resource" && m.resource.is_some() {
                resource_proposal(cluster, &traffic, &pods, current, m)
            } else {
                let (reason, what) = match m.type_.as_str() {
                    "Pods" => ("FailedGetPodsMetric", "pods"),
                    "Object" => ("FailedGetObjectMetric", "object"),
                    "External" => ("FailedGetExternalMetric", "external"),
                    _ => ("FailedGetContainerResourceMetric", "container resource"),
                };
                let message = format!("unable to get {what} metric: no custom or external metrics API is served by this cluster");
                Err(MetricError {
                    reason,
                    wrapped: message.clone(),
                    message,
                })
            };
            match result {
                Ok(p) => {
                    statuses.push(p.status.clone());
                    if best.as_ref().is_none_or(|b| p.replicas > b.replicas) {
                        best = Some(p);
                    }
                }
                Err(e) => {
                    event(cluster, EventKind::Warning, e.reason, &e.message);
                    invalid.push(e);
                }
            }
        }
        let proposed = best.as_ref().map_or(-1, |b| b.replicas);
        if !invalid.is_empty() && (invalid.len() >= metrics.len() || proposed < current) {
            let first = &invalid[0];
            set_condition(
                &mut conditions,
                condition(
                    "ScalingActive",
                    false,
                    first.reason,
                    &format!(
                        "the HPA was unable to compute the replica count: {}",
                        first.message
                    ),
                ),
                &previous,
                now,
            );
            event(
                cluster,
                EventKind::Warning,
                "FailedComputeMetricsReplicas",
                &format!(
                    "invalid metrics ({} invalid out of {}), first error is: {}",
                    invalid.len(),
                    metrics.len(),
                    first.wrapped
                ),
            );
            status.current_metrics = (!statuses.is_empty()).then_some(statuses);
            write_status(cluster, key, hpa, status, conditions);
            return;
        }
        let best = best.expect("a proposal when no metric is invalid");
        set_condition(
            &mut conditions,
            condition(
                "ScalingActive",
                true,
                "ValidMetricFound",
                &format!(
                    "the HPA was able to successfully calculate a replica count from {}",
                    best.name
                ),
            ),
            &previous,
            now,
        );
        status.current_metrics = Some(statuses);
        let metric_desired = best.replicas.max(0);
        if metric_desired > current {
            rescale_reason = format!("{} above target", best.name);
        } else if metric_desired < current {
            rescale_reason = "All metrics below target".into();
        }
        desired = normalize(
            &mut conditions,
            &previous,
            hpa,
            mem,
            current,
            metric_desired,
            min,
            max,
            now,
        );
    }
    if desired != current && !(current == 0 && min != 0) {
        let body = json!({"spec": {"replicas": desired}});
        let written = cluster.update_scale(
            &User::system("system:serviceaccount:kube-system:horizontal-pod-autoscaler"),
            target.rt,
            Some(&key.namespace),
            &spec.scale_target_ref.name,
            &body,
            &WriteOptions::internal(),
        );
        match written {
            Ok(_) => {
                set_condition(
                    &mut conditions,
                    condition(
                        "AbleToScale",
                        true,
                        "SucceededRescale",
                        &format!(
                            "the HPA controller was able to update the target scale to {desired}"
                        ),
                    ),
                    &previous,
                    now,
                );
                event(
                    cluster,
                    EventKind::Normal,
                    "SuccessfulRescale",
                    &format!("New size: {desired}; reason: {rescale_reason}"),
                );
                if desired > current {
                    mem.scale_ups.push((now, desired - current));
                } else {
                    mem.scale_downs.push((now, current - desired));
                }
                status.last_scale_time = Some(clock::api_time(now));
            }
            Err(e) => {
                let message = format!(
                    "failed to rescale {}: {}",
                    spec.scale_target_ref.name, e.message
                );
                event(cluster, EventKind::Warning, "FailedRescale", &message);
                set_condition(
                    &mut conditions,
                    condition(
                        "AbleToScale",
                        false,
                        "FailedUpdateScale",
                        &format!(
                            "the HPA controller was unable to update the target scale: {}",
                            e.message
                        ),
                    ),
                    &previous,
                    now,
                );
            }
        }
    }
    // Events older than the longest policy period no longer limit anything.
    let horizon = clock::after(now, -1800.0);
    mem.scale_ups.retain(|(t, _)| *t > horizon);
    mem.scale_downs.retain(|(t, _)| *t > horizon);
    status.desired_replicas = desired;
    write_status(cluster, key, hpa, status, conditions);
}

/// `normalizeDesiredReplicasWithBehaviors`: stabilise, then limit the rate and the bounds.
#[allow(clippy::too_many_arguments)]
fn normalize(
    conditions: &mut Vec<HorizontalPodAutoscalerCondition>,
    previous: &[HorizontalPodAutoscalerCondition],
    hpa: &HorizontalPodAutoscaler,
    mem: &mut Memory,
    current: i32,
    desired: i32,
    min: i32,
    max: i32,
    now: Timestamp,
) -> i32 {
    let up_rules = rules(hpa, true);
    let down_rules = rules(hpa, false);
    let up_cutoff = clock::after(
        now,
        -f64::from(up_rules.stabilization_window_seconds.unwrap_or(0)),
    );
    let down_cutoff = clock::after(
        now,
        -f64::from(
            down_rules
                .stabilization_window_seconds
                .unwrap_or(DOWNSCALE_STABILIZATION_SECONDS as i32),
        ),
    );
    let (mut up, mut down) = (desired, desired);
    let mut old_sample = None;
    for (i, (t, rec)) in mem.recommendations.iter().enumerate() {
        if *t > up_cutoff {
            up = up.min(*rec);
        }
        if *t > down_cutoff {
            down = down.max(*rec);
        }
        if *t < up_cutoff && *t < down_cutoff {
            old_sample = Some(i);
        }
    }
    let stabilized = current.max(up).min(down);
    match old_sample {
        Some(i) => mem.recommendations[i] = (now, desired),
        None => mem.recommendations.push((now, desired)),
    }
    let (reason, message) = if desired >= current {
        ("ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
    } else {
        ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
    };
    if stabilized != desired {
        set_condition(
            conditions,
            condition("AbleToScale", true, reason, message),
            previous,
            now,
        );
    } else {
        set_condition(
            conditions,
            condition(
                "AbleToScale",
                true,
                "ReadyForNewScale",
                "recommended size matches current size",
            ),
            previous,
            now,
        );
    }
    let mut result = stabilized;
    let mut limited = (
        "DesiredWithinRange",
        "the desired count is within the acceptable range",
    );
    if stabilized > current {
        let limit = rate_limit(current, mem, &up_rules, true, now).max(current);
        let (allowed, why) = if max > limit {
            (
                limit,
                (
                    "ScaleUpLimit",
                    "the desired replica count is increasing faster than the maximum scale rate",
                ),
            )
        } else {
            (
                max,
                (
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                ),
            )
        };
        if stabilized > allowed {
            result = allowed;
            limited = why;
        }
    } else if stabilized < current {
        let limit = rate_limit(current, mem, &down_rules, false, now).min(current);
        let (allowed, why) = if min < limit {
            (
                limit,
                (
                    "ScaleDownLimit",
                    "the desired replica count is decreasing faster than the maximum scale rate",
                ),
            )
        } else {
            (
                min,
                (
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                ),
            )
        };
        if stabilized < allowed {
            result = allowed;
            limited = why;
        }
    }
    set_condition(
        conditions,
        condition("ScalingLimited", result != stabilized, limited.0, limited.1),
        previous,
        now,
    );
    result
}

fn write_status(
    cluster: &mut Cluster,
    key: &Key,
    hpa: &HorizontalPodAutoscaler,
    mut status: HorizontalPodAutoscalerStatus,
    conditions: Vec<HorizontalPodAutoscalerCondition>,
) {
    // Conditions this sync did not reach keep their last value (upstream mutates in place).
    let mut merged = hpa
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    for c in conditions {
        match merged.iter_mut().find(|x| x.type_ == c.type_) {
            Some(x) => *x = c,
            None => merged.push(c),
        }
    }
    status.conditions = Some(merged);
    if hpa.status.as_ref() != Some(&status) {
        let mut h = hpa.clone();
        h.status = Some(status);
        cluster.store_mut().put(Object::from(h));
    }
    let _ = key;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    #[test]
    fn default_scale_up_doubles_or_adds_four_per_period() {
        let hpa = HorizontalPodAutoscaler::default();
        let up = rules(&hpa, true);
        let mem = Memory::default();
        assert_eq!(rate_limit(1, &mem, &up, true, at(0)), 5);
        assert_eq!(rate_limit(10, &mem, &up, true, at(0)), 20);
        // A scale-up from 2 to 6 ten seconds ago still counts within the 15 s period.
        let mem = Memory {
            scale_ups: vec![(at(0), 4)],
            ..Memory::default()
        };
        assert_eq!(rate_limit(6, &mem, &up, true, at(10)), 6);
        assert_eq!(rate_limit(6, &mem, &up, true, at(16)), 12);
    }

    #[test]
    fn default_scale_down_may_remove_everything_at_once() {
        let hpa = HorizontalPodAutoscaler::default();
        let down = rules(&hpa, false);
        assert_eq!(down.stabilization_window_seconds, Some(300));
        assert_eq!(rate_limit(8, &Memory::default(), &down, false, at(0)), 0);
    }

    #[test]
    fn scale_down_waits_for_the_highest_recent_recommendation() {
        let hpa = HorizontalPodAutoscaler::default();
        let mut mem = Memory {
            recommendations: vec![(at(0), 6)],
            ..Memory::default()
        };
        let mut conditions = Vec::new();
        let got = normalize(&mut conditions, &[], &hpa, &mut mem, 6, 2, 1, 10, at(60));
        assert_eq!(got, 6);
        assert_eq!(conditions[0].reason.as_deref(), Some("ScaleDownStabilized"));
        // Five minutes after the last high recommendation, the scale-down goes through.
        let mut conditions = Vec::new();
        let mut mem = Memory {
            recommendations: vec![(at(0), 6)],
            ..Memory::default()
        };
        assert_eq!(
            normalize(&mut conditions, &[], &hpa, &mut mem, 6, 2, 1, 10, at(301)),
            2
        );
        assert_eq!(conditions[0].reason.as_deref(), Some("ReadyForNewScale"));
    }

    #[test]
    fn bounds_are_reported_as_scaling_limited() {
        let hpa = HorizontalPodAutoscaler::default();
        let mut mem = Memory::default();
        let mut conditions = Vec::new();
        assert_eq!(
            normalize(&mut conditions, &[], &hpa, &mut mem, 2, 3, 1, 2, at(0)),
            2
        );
        let limited = conditions
            .iter()
            .find(|c| c.type_ == "ScalingLimited")
            .unwrap();
        assert_eq!(limited.status, "True");
        assert_eq!(limited.reason.as_deref(), Some("TooManyReplicas"));
    }
}
