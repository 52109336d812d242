//! The pod status a kubelet writes: phase, conditions, IPs, QoS class and container statuses.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus, VolumeMountStatus,
};

use super::{ContainerRuntime, Instance, PodRuntime, Stage, SANDBOX_SECONDS};
use crate::clock;
use crate::images::{self, ImageRef};
use crate::Cluster;

/// Go's `time.Duration` formatting for whole seconds: `10s`, `1m20s`, `5m0s`.
pub fn go_duration(secs: f64) -> String {
    let s = secs.round() as i64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{}h{}m{}s", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// The QoS class the API server assigns (`Guaranteed`, `Burstable`, `BestEffort`).
pub fn qos_class(pod: &Pod) -> &'static str {
    let Some(spec) = &pod.spec else {
        return "BestEffort";
    };
    let all: Vec<_> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &all {
        let r = c.resources.as_ref();
        let req = r.and_then(|r| r.requests.as_ref());
        let lim = r.and_then(|r| r.limits.as_ref());
        if req.is_some_and(|m| !m.is_empty()) || lim.is_some_and(|m| !m.is_empty()) {
            any = true;
        }
        for res in ["cpu", "memory"] {
            let l = lim.and_then(|m| m.get(res));
            let q = req.and_then(|m| m.get(res)).or(l);
            match (q, l) {
                (Some(q), Some(l))
                    if q.0 == l.0 || crate::quantity::value(q) == crate::quantity::value(l) => {}
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn terminated(inst: &Instance) -> Option<ContainerStateTerminated> {
    let (at, code, reason) = inst.finished.as_ref()?;
    Some(ContainerStateTerminated {
        container_id: Some(format!("docker://{}", inst.container_id)),
        exit_code: *code,
        reason: Some(reason.clone()),
        started_at: Some(super::time(inst.started)),
        finished_at: Some(super::time(*at)),
        ..ContainerStateTerminated::default()
    })
}

fn waiting(reason: &str, message: Option<&str>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_string()),
            message: message.filter(|m| !m.is_empty()).map(str::to_string),
        }),
        ..ContainerState::default()
    }
}

fn container_status(pod: &Pod, c: &ContainerRuntime, blocked_by_init: bool) -> ContainerStatus {
    let mut st = ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: String::new(),
        restart_count: c.restart_count,
        ready: c.ready,
        started: Some(false),
        ..ContainerStatus::default()
    };
    let spec = super::spec_container(pod, c);
    st.volume_mounts = spec.and_then(|s| s.volume_mounts.as_ref()).map(|ms| {
        ms.iter()
            .map(|m| VolumeMountStatus {
                name: m.name.clone(),
                mount_path: m.mount_path.clone(),
                read_only: m.read_only.filter(|r| *r),
                recursive_read_only: m.read_only.filter(|r| *r).map(|_| "Disabled".to_string()),
            })
            .collect()
    });
    let last_of = |inst: Option<&Instance>| ContainerState {
        terminated: inst.and_then(terminated),
        ..ContainerState::default()
    };
    let creating = if blocked_by_init {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let (state, last) = match &c.stage {
        Stage::Creating | Stage::Pulling { .. } | Stage::PullFailed { .. } => (
            waiting(creating, None),
            last_of(c.current.as_ref().filter(|i| i.finished.is_some())),
        ),
        Stage::Starting { .. } => match c.current.as_ref().filter(|i| i.finished.is_some()) {
            Some(inst) => (
                ContainerState {
                    terminated: terminated(inst),
                    ..Default::default()
                },
                last_of(c.previous.as_ref()),
            ),
            None => (waiting(creating, None), ContainerState::default()),
        },
        Stage::Waiting {
            reason, message, ..
        } => {
            let last = last_of(c.current.as_ref().filter(|i| i.finished.is_some()));
            (waiting(reason, Some(message)), last)
        }
        Stage::Running => {
            let inst = c.current.as_ref().expect("running has an instance");
            st.started = Some(c.probes.started);
            (
                ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(super::time(inst.started)),
                    }),
                    ..ContainerState::default()
                },
                last_of(c.previous.as_ref()),
            )
        }
        Stage::Terminated => {
            let inst = c.current.as_ref();
            (
                ContainerState {
                    terminated: inst.and_then(terminated),
                    ..Default::default()
                },
                last_of(c.previous.as_ref()),
            )
        }
    };
    if let Some(inst) = &c.current {
        // Docker reports the image by the name it was pulled under, tag included.
        let r = ImageRef::parse(&c.image);
        st.image = r.short();
        st.image_id = format!("docker-pullable://{}@{}", r.repository, images::digest(&r));
        st.container_id = Some(format!("docker://{}", inst.container_id));
    }
    st.state = Some(state);
    st.last_state = Some(last);
    st
}

/// Builds the pod's status from the kubelet's view of it.
pub fn pod_status(cluster: &Cluster, pod: &Pod, rt: &mut PodRuntime) -> PodStatus {
    let now = cluster.now();
    // Borrowed: this runs on every kubelet sync, and most of the old status is rebuilt.
    let default_status = PodStatus::default();
    let old = pod.status.as_ref().unwrap_or(&default_status);
    let init_pending: Vec<String> = rt
        .containers
        .iter()
        .filter(|c| c.init)
        .filter(|c| {
            if c.sidecar {
                !(c.stage == Stage::Running && c.probes.started)
            } else {
                !(c.stage == Stage::Terminated
                    && c.current
                        .as_ref()
                        .and_then(|i| i.finished.as_ref())
                        .is_some_and(|f| f.1 == 0))
            }
        })
        .map(|c| c.name.clone())
        .collect();
    let initialized = init_pending.is_empty();
    let mut init_statuses = Vec::new();
    let mut statuses = Vec::new();
    for c in &rt.containers {
        if c.init {
            let mut s = container_status(pod, c, false);
            if !c.sidecar && c.stage == Stage::Creating && c.current.is_none() {
                s.state = Some(waiting("PodInitializing", None));
            }
            init_statuses.push(s);
        } else {
            statuses.push(container_status(pod, c, !initialized));
        }
    }
    let policy = super::restart_policy(pod);
    let phase = phase(
        &statuses,
        initialized,
        &init_statuses,
        &policy,
        rt.stopping_until.is_some(),
    );
    let unready: Vec<String> = rt
        .containers
        .iter()
        .filter(|c| (!c.init || c.sidecar) && !c.ready)
        .map(|c| c.name.clone())
        .collect();
    let sandbox = now >= clock::after(rt.admitted, SANDBOX_SECONDS) && rt.stopping_until.is_none();
    let mut conds: Vec<(String, bool, Option<String>, Option<String>)> =
        vec![("PodReadyToStartContainers".into(), sandbox, None, None)];
    conds.push(if initialized {
        ("Initialized".into(), true, None, None)
    } else {
        (
            "Initialized".into(),
            false,
            Some("ContainersNotInitialized".into()),
            Some(format!(
                "containers with incomplete status: [{}]",
                init_pending.join(" ")
            )),
        )
    });
    let ready_cond = |t: &str| {
        if phase == "Succeeded" {
            (t.to_string(), false, Some("PodCompleted".to_string()), None)
        } else if unready.is_empty() {
            (t.to_string(), true, None, None)
        } else {
            (
                t.to_string(),
                false,
                Some("ContainersNotReady".to_string()),
                Some(format!(
                    "containers with unready status: [{}]",
                    unready.join(" ")
                )),
            )
        }
    };
    conds.push(ready_cond("Ready"));
    conds.push(ready_cond("ContainersReady"));
    let mut conditions: Vec<PodCondition> = conds
        .into_iter()
        .map(|(t, ok, reason, message)| {
            let status = if ok { "True" } else { "False" }.to_string();
            let entry = match rt.condition_times.get_mut(&t) {
                Some(entry) => entry,
                None => rt
                    .condition_times
                    .entry(t.clone())
                    .or_insert((status.clone(), now)),
            };
            if entry.0 != status {
                *entry = (status.clone(), now);
            }
            PodCondition {
                type_: t,
                status,
                reason,
                message,
                last_transition_time: Some(super::time(entry.1)),
                last_probe_time: None,
                observed_generation: None,
            }
        })
        .collect();
    let scheduled = old
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled")
        .cloned()
        .unwrap_or_else(|| PodCondition {
            type_: "PodScheduled".into(),
            status: "True".into(),
            last_transition_time: Some(super::time(rt.admitted)),
            ..PodCondition::default()
        });
    conditions.push(scheduled);
    PodStatus {
        phase: Some(phase),
        conditions: Some(conditions),
        host_ip: Some(rt.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: rt.host_ip.clone(),
        }]),
        pod_ip: Some(rt.pod_ip.clone()),
        pod_ips: Some(vec![PodIP {
            ip: rt.pod_ip.clone(),
        }]),
        start_time: Some(super::time(rt.admitted)),
        qos_class: Some(qos_class(pod).to_string()),
        container_statuses: Some(statuses),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        // What the kubelet does not own is kept as it is.
        ephemeral_container_statuses: old.ephemeral_container_statuses.clone(),
        message: old.message.clone(),
        nominated_node_name: old.nominated_node_name.clone(),
        observed_generation: old.observed_generation,
        reason: old.reason.clone(),
        resize: old.resize.clone(),
        resource_claim_statuses: old.resource_claim_statuses.clone(),
    }
}

/// The kubelet's `getPhase`.
fn phase(
    statuses: &[ContainerStatus],
    initialized: bool,
    init: &[ContainerStatus],
    policy: &str,
    _stopping: bool,
) -> String {
    if !initialized {
        let init_failed = policy == "Never"
            && init.iter().any(|s| {
                s.state
                    .as_ref()
                    .and_then(|st| st.terminated.as_ref())
                    .is_some_and(|t| t.exit_code != 0)
            });
        return if init_failed { "Failed" } else { "Pending" }.into();
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in statuses {
        let st = s.state.as_ref();
        if st.is_some_and(|st| st.running.is_some()) {
            running += 1;
        } else if let Some(t) = st.and_then(|st| st.terminated.as_ref()) {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if s
            .last_state
            .as_ref()
            .and_then(|l| l.terminated.as_ref())
            .is_some()
        {
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    if waiting > 0 {
        return "Pending".into();
    }
    if running > 0 {
        return "Running".into();
    }
    if stopped > 0 {
        if policy == "Always" {
            return "Running".into();
        }
        if stopped == succeeded {
            return "Succeeded".into();
        }
        if policy == "Never" {
            return "Failed".into();
        }
        return "Running".into();
    }
    let _ = Timestamp::UNIX_EPOCH;
    "Pending".into()
}
