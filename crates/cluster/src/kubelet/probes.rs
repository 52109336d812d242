//! Startup, liveness and readiness probes, run on their periods against the container's
//! [`Plan`](super::process::Plan), with the kubelet's `Unhealthy` events and messages.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

use super::process::{self, HttpAnswer, Plan};
use super::{field_path, PodRuntime};
use crate::clock;
use crate::events::{EventKind, Source};
use crate::object::Object;
use crate::Cluster;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeState {
    /// The startup probe has succeeded (or there is none).
    pub started: bool,
    pub next_startup: Option<Timestamp>,
    pub next_liveness: Option<Timestamp>,
    pub next_readiness: Option<Timestamp>,
    pub startup_failures: i32,
    pub liveness_failures: i32,
    pub readiness_failures: i32,
    pub readiness_successes: i32,
}

fn initial(p: &Probe, start: Timestamp) -> Timestamp {
    // The prober's first run comes after initialDelaySeconds; with none, shortly after start.
    clock::after(
        start,
        (p.initial_delay_seconds.unwrap_or(0) as f64).max(1.0),
    )
}

fn period(p: &Probe) -> f64 {
    p.period_seconds.unwrap_or(10).max(1) as f64
}

impl ProbeState {
    pub fn starting(c: &Container, now: Timestamp) -> ProbeState {
        let started = c.startup_probe.is_none();
        ProbeState {
            started,
            next_startup: c.startup_probe.as_ref().map(|p| initial(p, now)),
            next_liveness: c
                .liveness_probe
                .as_ref()
                .filter(|_| started)
                .map(|p| initial(p, now)),
            next_readiness: c
                .readiness_probe
                .as_ref()
                .filter(|_| started)
                .map(|p| initial(p, now)),
            ..ProbeState::default()
        }
    }
}

/// Resolves a probe's port, numeric or named after one of the container's ports.
fn port(port: &IntOrString, c: &Container) -> Option<u16> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name))
            .and_then(|p| u16::try_from(p.container_port).ok())
            .or_else(|| name.parse().ok()),
    }
}

/// Runs one probe now: `Ok` or the failure message the kubelet reports.
pub fn check(p: &Probe, c: &Container, plan: &Plan, secs: f64, pod_ip: &str) -> Result<(), String> {
    if let Some(h) = &p.http_get {
        let Some(port) = port(&h.port, c) else {
            return Err(format!(
                "strconv.Atoi: parsing {:?}: invalid syntax",
                match &h.port {
                    IntOrString::String(s) => s.clone(),
                    IntOrString::Int(i) => i.to_string(),
                }
            ));
        };
        let host = h.host.clone().unwrap_or_else(|| pod_ip.to_string());
        let path = h.path.clone().unwrap_or_else(|| "/".into());
        let scheme = h
            .scheme
            .clone()
            .unwrap_or_else(|| "HTTP".into())
            .to_lowercase();
        let url = format!("{scheme}://{host}:{port}{path}");
        return match process::http(plan, port, &path, secs) {
            HttpAnswer::Refused => Err(format!(
                "Get \"{url}\": dial tcp {host}:{port}: connect: connection refused"
            )),
            HttpAnswer::EmptyReply => Err(format!("Get \"{url}\": EOF")),
            HttpAnswer::Response { status, .. } if (200..400).contains(&status) => Ok(()),
            HttpAnswer::Response { status, .. } => {
                Err(format!("HTTP probe failed with statuscode: {status}"))
            }
        };
    }
    if let Some(t) = &p.tcp_socket {
        let Some(port) = port(&t.port, c) else {
            return Err("invalid port".into());
        };
        let host = t.host.clone().unwrap_or_else(|| pod_ip.to_string());
        return if plan.ports.contains(&port) {
            Ok(())
        } else {
            Err(format!(
                "dial tcp {host}:{port}: connect: connection refused"
            ))
        };
    }
    if let Some(e) = &p.exec {
        let cmd = e.command.clone().unwrap_or_default();
        let script = if cmd.len() >= 3 && cmd[1] == "-c" {
            cmd[2].clone()
        } else {
            cmd.join(" ")
        };
        for stmt in script.split([';', '\n']).flat_map(|s| s.split("&&")) {
            let w: Vec<&str> = stmt.split_whitespace().collect();
            match w.as_slice() {
                ["cat", path]
                | ["ls", path]
                | ["test", "-f", path]
                | ["test", "-e", path]
                | ["[", "-f", path, "]"] => {
                    if !plan.file_exists(path, secs) {
                        return Err(match w[0] {
                            "cat" => format!("cat: can't open '{path}': No such file or directory"),
                            "ls" => format!("ls: {path}: No such file or directory"),
                            _ => String::new(),
                        });
                    }
                }
                ["false"] => return Err(String::new()),
                ["exit", code] if *code != "0" => return Err(String::new()),
                _ => {}
            }
        }
        return Ok(());
    }
    if p.grpc.is_some() {
        return if plan.ports.is_empty() {
            Err("timeout: failed to connect service".into())
        } else {
            Ok(())
        };
    }
    Ok(())
}

/// Runs the probes that are due for container `i`; `Some(())` when the kubelet must kill it.
pub fn run(
    cluster: &mut Cluster,
    _pod: &Pod,
    obj: &Object,
    rt: &mut PodRuntime,
    i: usize,
    spec: &Container,
    note: &mut impl FnMut(Timestamp),
) -> Option<()> {
    let now = cluster.now();
    let node = rt.node.clone();
    let pod_ip = rt.pod_ip.clone();
    let fp = field_path(&rt.containers[i]);
    let c = &mut rt.containers[i];
    let inst = c.current.as_ref()?;
    let started_at = inst.started;
    let secs = clock::seconds_between(started_at, now);
    let plan = inst.plan.clone();
    let name = c.name.clone();
    let mut events: Vec<(EventKind, &str, String)> = Vec::new();
    let mut kill = false;

    if let (Some(p), Some(next)) = (&spec.startup_probe, c.probes.next_startup) {
        if !c.probes.started && next <= now {
            match check(p, spec, &plan, secs, &pod_ip) {
                Ok(()) => {
                    c.probes.started = true;
                    c.probes.next_startup = None;
                    c.probes.next_liveness = spec
                        .liveness_probe
                        .as_ref()
                        .map(|l| initial(l, started_at).max(now));
                    c.probes.next_readiness = spec
                        .readiness_probe
                        .as_ref()
                        .map(|r| initial(r, started_at).max(now));
                }
                Err(msg) => {
                    c.probes.startup_failures += 1;
                    events.push((
                        EventKind::Warning,
                        "Unhealthy",
                        format!("Startup probe failed: {msg}"),
                    ));
                    if c.probes.startup_failures >= p.failure_threshold.unwrap_or(3) {
                        events.push((
                            EventKind::Normal,
                            "Killing",
                            format!("Container {name} failed startup probe, will be restarted"),
                        ));
                        kill = true;
                    }
                    c.probes.next_startup = Some(clock::after(next, period(p)));
                }
            }
        }
    }
    if c.probes.started && !kill {
        if let (Some(p), Some(next)) = (&spec.readiness_probe, c.probes.next_readiness) {
            if next <= now {
                match check(p, spec, &plan, secs, &pod_ip) {
                    Ok(()) => {
                        c.probes.readiness_failures = 0;
                        c.probes.readiness_successes += 1;
                        if c.probes.readiness_successes >= p.success_threshold.unwrap_or(1) {
                            c.ready = true;
                        }
                    }
                    Err(msg) => {
                        c.probes.readiness_successes = 0;
                        c.probes.readiness_failures += 1;
                        events.push((
                            EventKind::Warning,
                            "Unhealthy",
                            format!("Readiness probe failed: {msg}"),
                        ));
                        if c.probes.readiness_failures >= p.failure_threshold.unwrap_or(3) {
                            c.ready = false;
                        }
                    }
                }
                c.probes.next_readiness = Some(clock::after(next, period(p)).max(now));
            }
        } else if spec.readiness_probe.is_none() {
            c.ready = true;
        }
        if let (Some(p), Some(next)) = (&spec.liveness_probe, c.probes.next_liveness) {
            if next <= now {
                match check(p, spec, &plan, secs, &pod_ip) {
                    Ok(()) => c.probes.liveness_failures = 0,
                    Err(msg) => {
                        c.probes.liveness_failures += 1;
                        events.push((
                            EventKind::Warning,
                            "Unhealthy",
                            format!("Liveness probe failed: {msg}"),
                        ));
                        if c.probes.liveness_failures >= p.failure_threshold.unwrap_or(3) {
                            events.push((
                                EventKind::Normal,
                                "Killing",
                                format!(
                                    "Container {name} failed liveness probe, will be restarted"
                                ),
                            ));
                            kill = true;
                        }
                    }
                }
                c.probes.next_liveness = Some(clock::after(next, period(p)).max(now));
            }
        }
    }
    for t in [
        c.probes.next_startup,
        c.probes.next_liveness,
        c.probes.next_readiness,
    ]
    .into_iter()
    .flatten()
    {
        note(t);
    }
    for (kind, reason, msg) in events {
        cluster.record_event(
            obj,
            Some(&fp),
            Source::Kubelet { node: &node },
            kind,
            reason,
            &msg,
        );
    }
    kill.then_some(())
}
