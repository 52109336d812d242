//! `kubectl port-forward`: opens a port on the laptop's localhost that leads to a pod's port, until
//! stopped (Ctrl-C, or `kill %N` when run with `&`). `curl localhost:PORT` goes through it.

use serde_json::Value;

use super::kubectl::{get_object, labels_match, list_objects, namespace_flag};
use super::{Done, Proc};
use crate::exec::Cx;
use crate::jobs::Process;

/// A running forward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Forward {
    pub local_port: u16,
    pub namespace: String,
    pub pod: String,
    pub remote_port: u16,
    /// Output to print at the next poll ("Handling connection for 8080").
    pub pending: String,
    /// What kubectl printed when the forward broke; the job ends with it.
    pub failure: Option<String>,
}

const USAGE: &str = "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples\n";

pub(crate) fn start(cx: &mut Cx, args: &[String]) -> Proc {
    let (namespace, rest) = namespace_flag(cx, args);
    let operands: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
    let Some((target, ports)) = operands.split_first() else {
        return Done::err(USAGE, 1).into();
    };
    if ports.is_empty() {
        return Done::err(USAGE, 1).into();
    }
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (k.to_string(), n.to_string()),
        None => ("pod".to_string(), target.to_string()),
    };
    // Resolve the target to one pod, and say how to translate the remote port.
    let (pod, service) = match kind.as_str() {
        "pod" | "pods" | "po" => match get_object(cx, "pods", Some(&namespace), &name) {
            Some(p) => (p, None),
            None => return not_found("pods", &name),
        },
        "service" | "services" | "svc" => {
            let Some(svc) = get_object(cx, "services", Some(&namespace), &name) else {
                return not_found("services", &name);
            };
            match first_pod(cx, &namespace, &svc["spec"]["selector"]) {
                Some(p) => (p, Some(svc)),
                None => return Done::err("error: timed out waiting for the condition\n", 1).into(),
            }
        }
        "deployment" | "deployments" | "deploy" | "replicaset" | "replicasets" | "rs"
        | "statefulset" | "statefulsets" | "sts" => {
            let plural = match kind.as_str() {
                "deployment" | "deployments" | "deploy" => "deployments",
                "statefulset" | "statefulsets" | "sts" => "statefulsets",
                _ => "replicasets",
            };
            let Some(owner) = get_object(cx, plural, Some(&namespace), &name) else {
                return not_found(&format!("{plural}.apps"), &name);
            };
            match first_pod(cx, &namespace, &owner["spec"]["selector"]["matchLabels"]) {
                Some(p) => (p, None),
                None => return Done::err("error: timed out waiting for the condition\n", 1).into(),
            }
        }
        other => {
            return Done::err(
                format!("error: the server doesn't have a resource type \"{other}\"\n"),
                1,
            )
            .into()
        }
    };
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    if phase != "Running" {
        return Done::err(
            format!("error: unable to forward port because pod is not running. Current status={phase}\n"),
            1,
        )
        .into();
    }
    let pod_name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Only the first port mapping is served: one forward per job keeps `kill %N` simple, and the
    // course forwards one port at a time.
    let spec = ports[0];
    let (local, remote) = match spec.split_once(':') {
        Some((l, r)) => (l, r),
        None => (spec.as_str(), spec.as_str()),
    };
    let remote_port: u16 = match remote.parse() {
        Ok(p) => p,
        Err(_) => {
            return Done::err(
                format!("error: Error parsing remote port '{remote}': strconv.ParseUint: parsing \"{remote}\": invalid syntax\n"),
                1,
            )
            .into()
        }
    };
    let remote_port = match &service {
        Some(svc) => match service_target(svc, &pod, remote_port) {
            Ok(p) => p,
            Err(d) => return d.into(),
        },
        None => remote_port,
    };
    let local_port: u16 = if local.is_empty() {
        // kubectl asks the OS for a free port; a stable one here keeps sessions reproducible.
        let mut p = 40_000 + (remote_port % 1000) * 17 % 20_000;
        while forward_on(cx, p) {
            p += 1;
        }
        p
    } else {
        match local.parse() {
            Ok(p) => p,
            Err(_) => {
                return Done::err(
                    format!("error: Error parsing local port '{local}': strconv.ParseUint: parsing \"{local}\": invalid syntax\n"),
                    1,
                )
                .into()
            }
        }
    };
    if forward_on(cx, local_port) {
        return Done::err(
            format!(
                "Unable to listen on port {local_port}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:{local_port}: bind: address already in use unable to create listener: Error listen tcp6 [::1]:{local_port}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{{{local_port} {remote_port}}}]\n"
            ),
            1,
        )
        .into();
    }
    Proc::Running(
        Process::PortForward(Forward {
            local_port,
            namespace,
            pod: pod_name,
            remote_port,
            pending: String::new(),
            failure: None,
        }),
        Done::out(format!(
            "Forwarding from 127.0.0.1:{local_port} -> {remote_port}\nForwarding from [::1]:{local_port} -> {remote_port}\n"
        )),
    )
}

fn not_found(resource: &str, name: &str) -> Proc {
    Done::err(
        format!("Error from server (NotFound): {resource} \"{name}\" not found\n"),
        1,
    )
    .into()
}

/// The pod kubectl would pick: running ones first, then by name.
fn first_pod(cx: &mut Cx, namespace: &str, selector: &Value) -> Option<Value> {
    let mut pods: Vec<Value> = list_objects(cx, "pods", Some(namespace))
        .into_iter()
        .filter(|p| labels_match(selector, &p["metadata"]["labels"]))
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect();
    pods.sort_by_key(|p| p["status"]["phase"] != "Running");
    pods.into_iter().next()
}

/// A service port's target port in the pod (numbers as is, names looked up in the containers).
fn service_target(svc: &Value, pod: &Value, port: u16) -> Result<u16, Done> {
    let name = svc["metadata"]["name"].as_str().unwrap_or_default();
    let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
    let Some(sp) = ports
        .iter()
        .find(|p| p["port"].as_u64() == Some(u64::from(port)))
    else {
        return Err(Done::err(
            format!("error: Service {name} does not have a service port {port}\n"),
            1,
        ));
    };
    match &sp["targetPort"] {
        Value::Number(n) => Ok(n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(port)),
        Value::String(port_name) => {
            let found = pod["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .find(|p| p["name"].as_str() == Some(port_name))
                .and_then(|p| p["containerPort"].as_u64());
            match found {
                Some(p) => Ok(p as u16),
                None => Err(Done::err(
                    format!(
                        "error: Pod '{}' does not have a named port '{port_name}'\n",
                        pod["metadata"]["name"].as_str().unwrap_or_default()
                    ),
                    1,
                )),
            }
        }
        _ => Ok(port),
    }
}

/// Whether some job already forwards this local port.
fn forward_on(cx: &mut Cx, port: u16) -> bool {
    find(cx, port).is_some()
}

/// The forward listening on a local port, if any.
pub(crate) fn find<'a>(cx: &'a mut Cx, port: u16) -> Option<&'a mut Forward> {
    let jobs = &mut cx.sh.jobs;
    let fg = jobs.foreground.as_mut().map(|f| &mut f.pipeline);
    let bg = jobs
        .background
        .iter_mut()
        .filter_map(|j| j.pipeline.as_mut());
    fg.into_iter()
        .chain(bg)
        .filter_map(|p| p.process.forwarded_port())
        .find(|f| f.local_port == port)
}

/// A connection through the forward on `local_port` found nothing listening in the pod: the
/// kubelet reports containerd's error, kubectl logs it and gives up the whole forward (the
/// connection it accepted is closed without a byte, so curl sees an empty reply).
pub(crate) fn refused(cx: &mut Cx, local_port: u16) {
    let Some(f) = find(cx, local_port) else {
        return;
    };
    let (namespace, pod, remote) = (f.namespace.clone(), f.pod.clone(), f.remote_port);
    let uid = get_object(cx, "pods", Some(&namespace), &pod)
        .and_then(|p| p["metadata"]["uid"].as_str().map(str::to_string))
        .unwrap_or_default();
    let message = format!(
        "an error occurred forwarding {local_port} -> {remote}: {}",
        apiserver::portforward::refused_message(&uid, remote)
    );
    let now = cx.rt.cluster().now();
    let log = kubectl::klog::line(
        'E',
        now,
        "portforward.go:424",
        &format!(
            "\"Unhandled Error\" err={}",
            kubectl::klog::quoted(&message)
        ),
    );
    if let Some(f) = find(cx, local_port) {
        f.failure = Some(format!("{log}error: lost connection to pod\n"));
    }
}
