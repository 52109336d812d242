//! `kubectl describe`: GET the objects, then the related objects and events each describer of
//! `k8s.io/kubectl/pkg/describe` fetches, and print its layout.

mod batch;
mod generic;
mod networking;
mod policy;
pub(crate) mod rbac;
mod replication;
mod storage;

use serde_json::Value;

use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag};
use crate::printers::describe::{self as layout, PrefixWriter};
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

const FLAGS: &[Flag] = &[
    v("filename", Some('f')),
    b("all-namespaces", Some('A')),
    v("selector", Some('l')),
    b("show-events", None),
    v("chunk-size", None),
    b("recursive", Some('R')),
    v("kustomize", Some('k')),
];

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(p) = parse_flags("describe", args, FLAGS, out) else {
        return;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    let show_events = p.get("show-events") != Some("false");
    let all_ns = p.bool("all-namespaces");
    let disc = env.discovery().clone();
    let ns = env.namespace.clone();
    // What to GET: the type, a name (None for all of the type) and the namespace.
    let mut targets: Vec<(Mapping, Option<String>, String)> = Vec::new();
    let files = p.all("filename");
    if !files.is_empty() {
        let Some(docs) = super::resources::read_manifests(&files, env, out) else {
            return;
        };
        for (_, doc) in docs {
            let (av, kind) = (s(&doc["apiVersion"]), s(&doc["kind"]));
            let Some(m) = disc.for_kind(av, kind) else {
                out.fail(format!(
                    "error: resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{}\": no matches for kind \"{kind}\" in version \"{av}\"\nensure CRDs are installed first",
                    s(&doc["metadata"]["name"]),
                    s(&doc["metadata"]["namespace"]),
                    files.join(",")
                ));
                return;
            };
            let doc_ns = doc["metadata"]["namespace"]
                .as_str()
                .unwrap_or(&ns)
                .to_string();
            targets.push((
                m.clone(),
                Some(s(&doc["metadata"]["name"]).to_string()),
                doc_ns,
            ));
        }
    } else if p.args.is_empty() {
        out.fail("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.");
        return;
    } else if p.args[0].contains('/') {
        // `type/name ...`
        for a in &p.args {
            let (t, n) = a.split_once('/').unwrap_or((a, ""));
            let Some(m) = disc.resolve(t) else {
                out.fail(format!(
                    "error: the server doesn't have a resource type \"{t}\""
                ));
                return;
            };
            targets.push((m.clone(), Some(n.to_string()), ns.clone()));
        }
    } else {
        // `type [name ...]`
        let t = &p.args[0];
        let Some(m) = disc.resolve(t) else {
            out.fail(format!(
                "error: the server doesn't have a resource type \"{t}\""
            ));
            return;
        };
        if p.args.len() == 1 {
            targets.push((m.clone(), None, ns.clone()));
        }
        for n in &p.args[1..] {
            targets.push((m.clone(), Some(n.clone()), ns.clone()));
        }
    }
    // `kubectl describe TYPE PREFIX`: a name that is not found describes every object whose
    // name starts with it (`DescribeMatchingResources`), each followed by a blank line.
    let prefix_match = files.is_empty() && p.args.len() == 2 && !p.args[0].contains('/');

    let mut objects: Vec<(Mapping, Value)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for (m, name, target_ns) in &targets {
        let scope = if all_ns && name.is_none() {
            None
        } else {
            Some(target_ns.as_str())
        };
        let path = match name {
            Some(n) => m.object_path(scope, n),
            None => {
                let mut path = m.collection_path(scope);
                if let Some(l) = p.get("selector") {
                    path.push_str(&format!("?labelSelector={}", percent_encode(l)));
                }
                path
            }
        };
        let resp = env
            .transport
            .call(Request::get(path).header("accept", "application/json"));
        if resp.status == 404 && prefix_match {
            let prefix = name.clone().unwrap_or_default();
            let list = list(
                env,
                &m.collection_path(Some(target_ns)),
                p.get("selector").unwrap_or(""),
            );
            let matching: Vec<Value> = list
                .into_iter()
                .filter(|o| s(&o["metadata"]["name"]).starts_with(&prefix))
                .collect();
            if matching.is_empty() {
                out.fail(server_error(&resp));
                return;
            }
            for obj in &matching {
                match describe(env, m, obj, show_events) {
                    Ok(text) => {
                        out.stdout.push_str(&text);
                        out.stdout.push('\n');
                    }
                    Err(e) => {
                        out.fail(e);
                        return;
                    }
                }
            }
            return;
        }
        if resp.status >= 400 {
            errors.push(server_error(&resp));
            continue;
        }
        let Some(body) = resp.body_json() else {
            continue;
        };
        match name {
            Some(_) => objects.push((m.clone(), body)),
            None => {
                for item in body["items"].as_array().cloned().unwrap_or_default() {
                    objects.push((m.clone(), item));
                }
            }
        }
    }
    if objects.is_empty() && errors.is_empty() {
        if all_ns || !targets.iter().any(|(m, _, _)| m.namespaced) {
            out.stderr.push_str("No resources found\n");
        } else {
            out.stderr
                .push_str(&format!("No resources found in {ns} namespace.\n"));
        }
        return;
    }
    let mut first = true;
    for (m, obj) in &objects {
        let text = match describe(env, m, obj, show_events) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if !first {
            out.stdout.push_str("\n\n");
        }
        first = false;
        out.stdout.push_str(&text);
    }
    for e in errors {
        out.fail(e);
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn describe(env: &mut Env, m: &Mapping, obj: &Value, show_events: bool) -> Result<String, String> {
    let mut w = PrefixWriter::default();
    let events = show_events.then(|| {
        let mut events = events_for(env, m, obj, s(&obj["metadata"]["uid"]));
        if m.kind == "Node" {
            // Controllers record node events under the node's uid, the kubelet under its name.
            events.extend(events_for(env, m, obj, s(&obj["metadata"]["name"])));
        }
        events
    });
    match (m.group.as_str(), m.kind.as_str()) {
        ("", "Pod") => pod(&mut w, obj),
        ("apps", "Deployment") => deployment(env, &mut w, obj),
        ("apps", "ReplicaSet") => replica_set(env, &mut w, obj),
        ("", "Service") => service(env, &mut w, obj),
        ("", "Namespace") => return Ok(namespace(env, w, obj)),
        ("", "ConfigMap") => config_map(&mut w, obj),
        ("", "Node") => node(env, &mut w, obj),
        ("", "Secret") => {
            secret(&mut w, obj);
            return Ok(w.finish());
        }
        ("", "ServiceAccount") => service_account(env, &mut w, obj),
        ("batch", "Job") => job(&mut w, obj),
        ("apps", "DaemonSet") => daemon_set(env, &mut w, obj),
        ("apps", "StatefulSet") => stateful_set(env, &mut w, obj),
        ("batch", "CronJob") => batch::cron_job(&mut w, obj),
        ("", "ReplicationController") => replication::replication_controller(env, &mut w, obj),
        ("networking.k8s.io", "Ingress") => networking::ingress(env, &mut w, obj),
        ("networking.k8s.io", "IngressClass") => networking::ingress_class(&mut w, obj),
        ("networking.k8s.io", "NetworkPolicy") => {
            networking::network_policy(&mut w, obj);
            return Ok(w.finish());
        }
        ("", "Endpoints") => networking::endpoints(&mut w, obj),
        ("discovery.k8s.io", "EndpointSlice") => networking::endpoint_slice(&mut w, obj),
        ("", "PersistentVolumeClaim") => storage::persistent_volume_claim(env, &mut w, obj),
        ("", "PersistentVolume") => storage::persistent_volume(env, &mut w, obj),
        ("storage.k8s.io", "StorageClass") => storage::storage_class(&mut w, obj),
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
            rbac::role(&mut w, obj);
            return Ok(w.finish());
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            rbac::binding(&mut w, obj);
            return Ok(w.finish());
        }
        ("", "ResourceQuota") => {
            policy::quota(&mut w, obj);
            return Ok(w.finish());
        }
        ("", "LimitRange") => {
            policy::limit_range(&mut w, obj);
            return Ok(w.finish());
        }
        ("policy", "PodDisruptionBudget") => policy::pod_disruption_budget(&mut w, obj),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            policy::horizontal_pod_autoscaler(&mut w, obj)
        }
        _ => generic::describe(&mut w, obj),
    }
    if let Some(events) = events {
        let now = env.transport.now();
        layout::events(&mut w, &events, now);
    }
    Ok(w.finish())
}

/// `searchEvents`: events whose involvedObject is this object (name, namespace, kind and uid).
fn events_for(env: &mut Env, m: &Mapping, obj: &Value, uid: &str) -> Vec<Value> {
    let meta = &obj["metadata"];
    let ns = s(&meta["namespace"]);
    let selector = format!(
        "involvedObject.name={},involvedObject.namespace={ns},involvedObject.kind={},involvedObject.uid={}",
        s(&meta["name"]),
        m.kind,
        uid
    );
    let base = if ns.is_empty() {
        "/api/v1/events".to_string()
    } else {
        format!("/api/v1/namespaces/{ns}/events")
    };
    let path = format!(
        "{base}?fieldSelector={}&limit=500",
        percent_encode(&selector)
    );
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    resp.body_json()
        .and_then(|b| b["items"].as_array().cloned())
        .unwrap_or_default()
}

/// GETs a collection with a label selector (an empty list on errors, like the describers).
fn list(env: &mut Env, path: &str, selector: &str) -> Vec<Value> {
    let path = format!("{path}?labelSelector={}", percent_encode(selector));
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    resp.body_json()
        .and_then(|b| b["items"].as_array().cloned())
        .unwrap_or_default()
}

fn header(w: &mut PrefixWriter, obj: &Value, namespaced: bool) {
    let meta = &obj["metadata"];
    w.write(0, &format!("Name:\t{}\n", s(&meta["name"])));
    if namespaced {
        w.write(0, &format!("Namespace:\t{}\n", s(&meta["namespace"])));
    }
}

fn labels_and_annotations(w: &mut PrefixWriter, obj: &Value) {
    layout::labels(w, "Labels", &obj["metadata"]["labels"]);
    layout::annotations(w, "Annotations", &obj["metadata"]["annotations"]);
}

/// `printController`: `Kind/name` of the controlling owner.
fn controller(obj: &Value) -> Option<String> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|o| o["controller"].as_bool() == Some(true))
        .map(|o| format!("{}/{}", s(&o["kind"]), s(&o["name"])))
}

/// `metav1.FormatLabelSelector`.
fn format_selector(sel: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = sel["matchLabels"].as_object() {
        let mut kv: Vec<_> = m.iter().collect();
        kv.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in kv {
            parts.push(format!("{k}={}", s(v)));
        }
    }
    for e in sel["matchExpressions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let values: Vec<&str> = e["values"]
            .as_array()
            .map(|a| a.iter().map(s).collect())
            .unwrap_or_default();
        let key = s(&e["key"]);
        parts.push(match s(&e["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other} ({})", values.join(",")),
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

fn pod(w: &mut PrefixWriter, pod: &Value) {
    let (spec, status) = (&pod["spec"], &pod["status"]);
    header(w, pod, true);
    if let Some(p) = spec["priority"].as_i64() {
        w.write(0, &format!("Priority:\t{p}\n"));
    }
    if !s(&spec["priorityClassName"]).is_empty() {
        w.write(
            0,
            &format!("Priority Class Name:\t{}\n", s(&spec["priorityClassName"])),
        );
    }
    if !s(&spec["runtimeClassName"]).is_empty() {
        w.write(
            0,
            &format!("Runtime Class Name:\t{}\n", s(&spec["runtimeClassName"])),
        );
    }
    if !s(&spec["serviceAccountName"]).is_empty() {
        w.write(
            0,
            &format!("Service Account:\t{}\n", s(&spec["serviceAccountName"])),
        );
    }
    if s(&spec["nodeName"]).is_empty() {
        w.write(0, "Node:\t<none>\n");
    } else {
        w.write(
            0,
            &format!("Node:\t{}/{}\n", s(&spec["nodeName"]), s(&status["hostIP"])),
        );
    }
    if status["startTime"].is_string() {
        w.write(
            0,
            &format!("Start Time:\t{}\n", layout::rfc1123z(&status["startTime"])),
        );
    }
    labels_and_annotations(w, pod);
    let phase = s(&status["phase"]);
    if pod["metadata"]["deletionTimestamp"].is_string() && phase != "Failed" && phase != "Succeeded"
    {
        w.write(0, "Status:\tTerminating\n");
        w.write(
            0,
            &format!(
                "Termination Grace Period:\t{}s\n",
                pod["metadata"]["deletionGracePeriodSeconds"]
                    .as_i64()
                    .unwrap_or(0)
            ),
        );
    } else {
        w.write(0, &format!("Status:\t{phase}\n"));
    }
    for (field, title) in [("reason", "Reason"), ("message", "Message")] {
        if !s(&status[field]).is_empty() {
            w.write(0, &format!("{title}:\t{}\n", s(&status[field])));
        }
    }
    w.write(0, &format!("IP:\t{}\n", s(&status["podIP"])));
    match status["podIPs"].as_array().filter(|a| !a.is_empty()) {
        None => w.write(0, "IPs:\t<none>\n"),
        Some(ips) => {
            w.write(0, "IPs:\n");
            for ip in ips {
                w.write(1, &format!("IP:\t{}\n", s(&ip["ip"])));
            }
        }
    }
    if let Some(c) = controller(pod) {
        w.write(0, &format!("Controlled By:\t{c}\n"));
    }
    if !s(&status["nominatedNodeName"]).is_empty() {
        w.write(
            0,
            &format!("NominatedNodeName:\t{}\n", s(&status["nominatedNodeName"])),
        );
    }
    if spec["initContainers"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        layout::containers(
            w,
            "Init Containers",
            &spec["initContainers"],
            &status["initContainerStatuses"],
            "",
        );
    }
    layout::containers(
        w,
        "Containers",
        &spec["containers"],
        &status["containerStatuses"],
        "",
    );
    if let Some(conditions) = status["conditions"].as_array().filter(|a| !a.is_empty()) {
        w.write(0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.write(1, &format!("{} \t{} \n", s(&c["type"]), s(&c["status"])));
        }
    }
    layout::volumes(w, &spec["volumes"], "");
    w.write(0, &format!("QoS Class:\t{}\n", s(&status["qosClass"])));
    layout::labels(w, "Node-Selectors", &spec["nodeSelector"]);
    layout::tolerations(w, "", "Tolerations", &spec["tolerations"]);
}

/// The template a replica set was made from, without the `pod-template-hash` label it adds.
fn template_without_hash(rs: &Value) -> Value {
    let mut t = rs["spec"]["template"].clone();
    if let Some(labels) = t["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    t
}

/// `getPodStatusForController`: the `Pods Status:` line, counting by phase the pods the
/// controller owns among those its selector matches.
pub(super) fn pods_status(
    env: &mut Env,
    w: &mut PrefixWriter,
    ns: &str,
    selector: &str,
    owner: &Value,
) {
    let pods = list(env, &format!("/api/v1/namespaces/{ns}/pods"), selector);
    let count = |phase: &str| {
        pods.iter()
            .filter(|p| owned_by(p, owner) && s(&p["status"]["phase"]) == phase)
            .count()
    };
    w.write(
        0,
        &format!(
            "Pods Status:\t{} Running / {} Waiting / {} Succeeded / {} Failed\n",
            count("Running"),
            count("Pending"),
            count("Succeeded"),
            count("Failed")
        ),
    );
}

fn owned_by(obj: &Value, owner: &Value) -> bool {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                r["uid"] == owner["metadata"]["uid"] && r["controller"].as_bool() == Some(true)
            })
        })
}

/// `printReplicaSetsByLabels`.
fn replica_sets_summary(list: &[&Value]) -> String {
    if list.is_empty() {
        return "<none>".into();
    }
    list.iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                s(&rs["metadata"]["name"]),
                rs["status"]["replicas"].as_i64().unwrap_or(0),
                rs["spec"]["replicas"].as_i64().unwrap_or(1)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn deployment(env: &mut Env, w: &mut PrefixWriter, d: &Value) {
    let (spec, status) = (&d["spec"], &d["status"]);
    let ns = s(&d["metadata"]["namespace"]).to_string();
    header(w, d, true);
    w.write(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            layout::rfc1123z(&d["metadata"]["creationTimestamp"])
        ),
    );
    labels_and_annotations(w, d);
    let selector = format_selector(&spec["selector"]);
    w.write(0, &format!("Selector:\t{selector}\n"));
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    w.write(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            spec["replicas"].as_i64().unwrap_or(1),
            n(&status["updatedReplicas"]),
            n(&status["replicas"]),
            n(&status["availableReplicas"]),
            n(&status["unavailableReplicas"])
        ),
    );
    w.write(
        0,
        &format!("StrategyType:\t{}\n", s(&spec["strategy"]["type"])),
    );
    w.write(
        0,
        &format!("MinReadySeconds:\t{}\n", n(&spec["minReadySeconds"])),
    );
    let ru = &spec["strategy"]["rollingUpdate"];
    if ru.is_object() {
        let intstr = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        };
        w.write(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                intstr(&ru["maxUnavailable"]),
                intstr(&ru["maxSurge"])
            ),
        );
    }
    layout::pod_template(w, &spec["template"]);
    if let Some(conditions) = status["conditions"].as_array().filter(|a| !a.is_empty()) {
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(1, "----\t------\t------\n");
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{} \t{}\t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    s(&c["reason"])
                ),
            );
        }
    }
    // `deploymentutil.GetAllReplicaSets`: the owned replica sets; the new one has the template.
    let sets = list(
        env,
        &format!("/apis/apps/v1/namespaces/{ns}/replicasets"),
        &selector,
    );
    let owned: Vec<&Value> = sets.iter().filter(|rs| owned_by(rs, d)).collect();
    let new = owned
        .iter()
        .copied()
        .find(|rs| template_without_hash(rs) == spec["template"]);
    let old: Vec<&Value> = owned
        .iter()
        .copied()
        .filter(|rs| Some(*rs) != new && rs["spec"]["replicas"].as_i64().unwrap_or(0) > 0)
        .collect();
    if !owned.is_empty() {
        w.write(
            0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_summary(&old)),
        );
        w.write(
            0,
            &format!(
                "NewReplicaSet:\t{}\n",
                replica_sets_summary(&new.into_iter().collect::<Vec<_>>())
            ),
        );
    }
}

fn replica_set(env: &mut Env, w: &mut PrefixWriter, rs: &Value) {
    let spec = &rs["spec"];
    let ns = s(&rs["metadata"]["namespace"]).to_string();
    header(w, rs, true);
    let selector = format_selector(&spec["selector"]);
    w.write(0, &format!("Selector:\t{selector}\n"));
    labels_and_annotations(w, rs);
    if let Some(c) = controller(rs) {
        w.write(0, &format!("Controlled By:\t{c}\n"));
    }
    w.write(
        0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            rs["status"]["replicas"].as_i64().unwrap_or(0),
            spec["replicas"].as_i64().unwrap_or(1)
        ),
    );
    pods_status(env, w, &ns, &selector, rs);
    layout::pod_template(w, &spec["template"]);
    if let Some(conditions) = rs["status"]["conditions"]
        .as_array()
        .filter(|a| !a.is_empty())
    {
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(1, "----\t------\t------\n");
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{} \t{}\t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    s(&c["reason"])
                ),
            );
        }
    }
}

/// `formatEndpointSlices`: up to three `ip:port` of the port's endpoints, then `+ N more...`.
fn format_endpoints(slices: &[Value], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let mut shown: Vec<String> = Vec::new();
    let mut count = 0;
    for slice in slices {
        let endpoints = slice["endpoints"].as_array().cloned().unwrap_or_default();
        let ports = slice["ports"].as_array().cloned().unwrap_or_default();
        let addr = |e: &Value| s(&e["addresses"][0]).to_string();
        if ports.is_empty() {
            for e in &endpoints {
                if shown.len() < MAX {
                    shown.push(addr(e));
                }
                count += 1;
            }
            continue;
        }
        for p in ports.iter().filter(|p| s(&p["name"]) == port_name) {
            for e in &endpoints {
                if shown.len() < MAX {
                    let a = addr(e);
                    let host = if a.contains(':') { format!("[{a}]") } else { a };
                    shown.push(format!("{host}:{}", p["port"].as_i64().unwrap_or(0)));
                }
                count += 1;
            }
        }
    }
    let joined = shown.join(",");
    if count > MAX {
        format!("{joined} + {} more...", count - MAX)
    } else {
        joined
    }
}

fn service(env: &mut Env, w: &mut PrefixWriter, svc: &Value) {
    let spec = &svc["spec"];
    let ns = s(&svc["metadata"]["namespace"]).to_string();
    let name = s(&svc["metadata"]["name"]).to_string();
    let slices = list(
        env,
        &format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"),
        &format!("kubernetes.io/service-name={name}"),
    );
    header(w, svc, true);
    labels_and_annotations(w, svc);
    let selector: Vec<String> = {
        let mut kv: Vec<(String, String)> = spec["selector"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), s(v).to_string()))
                    .collect()
            })
            .unwrap_or_default();
        kv.sort();
        kv.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    };
    let selector = if selector.is_empty() {
        "<none>".to_string()
    } else {
        selector.join(",")
    };
    w.write(0, &format!("Selector:\t{selector}\n"));
    w.write(0, &format!("Type:\t{}\n", s(&spec["type"])));
    if spec["ipFamilyPolicy"].is_string() {
        w.write(
            0,
            &format!("IP Family Policy:\t{}\n", s(&spec["ipFamilyPolicy"])),
        );
    }
    let join = |v: &Value| {
        v.as_array()
            .map(|a| a.iter().map(s).collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    };
    if !join(&spec["ipFamilies"]).is_empty() {
        w.write(0, &format!("IP Families:\t{}\n", join(&spec["ipFamilies"])));
    }
    w.write(0, &format!("IP:\t{}\n", s(&spec["clusterIP"])));
    if !join(&spec["clusterIPs"]).is_empty() {
        w.write(0, &format!("IPs:\t{}\n", join(&spec["clusterIPs"])));
    }
    if !join(&spec["externalIPs"]).is_empty() {
        w.write(
            0,
            &format!("External IPs:\t{}\n", join(&spec["externalIPs"])),
        );
    }
    if !s(&spec["loadBalancerIP"]).is_empty() {
        w.write(
            0,
            &format!("Desired LoadBalancer IP:\t{}\n", s(&spec["loadBalancerIP"])),
        );
    }
    if !s(&spec["externalName"]).is_empty() {
        w.write(
            0,
            &format!("External Name:\t{}\n", s(&spec["externalName"])),
        );
    }
    let ingress: Vec<String> = svc["status"]["loadBalancer"]["ingress"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    if i["ip"].is_string() {
                        s(&i["ip"]).to_string()
                    } else {
                        s(&i["hostname"]).to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if !ingress.is_empty() {
        w.write(
            0,
            &format!("LoadBalancer Ingress:\t{}\n", ingress.join(", ")),
        );
    }
    for port in spec["ports"].as_array().cloned().unwrap_or_default() {
        let port_name = s(&port["name"]);
        let shown = if port_name.is_empty() {
            "<unset>"
        } else {
            port_name
        };
        let proto = s(&port["protocol"]);
        w.write(
            0,
            &format!(
                "Port:\t{shown}\t{}/{proto}\n",
                port["port"].as_i64().unwrap_or(0)
            ),
        );
        let target = match &port["targetPort"] {
            Value::Number(n) => n.to_string(),
            other => s(other).to_string(),
        };
        w.write(0, &format!("TargetPort:\t{target}/{proto}\n"));
        if let Some(np) = port["nodePort"].as_i64().filter(|n| *n != 0) {
            w.write(0, &format!("NodePort:\t{shown}\t{np}/{proto}\n"));
        }
        w.write(
            0,
            &format!("Endpoints:\t{}\n", format_endpoints(&slices, port_name)),
        );
    }
    w.write(
        0,
        &format!("Session Affinity:\t{}\n", s(&spec["sessionAffinity"])),
    );
    if !s(&spec["externalTrafficPolicy"]).is_empty() {
        w.write(
            0,
            &format!(
                "External Traffic Policy:\t{}\n",
                s(&spec["externalTrafficPolicy"])
            ),
        );
    }
    if let Some(hc) = spec["healthCheckNodePort"].as_i64().filter(|n| *n != 0) {
        w.write(0, &format!("HealthCheck NodePort:\t{hc}\n"));
    }
    if !s(&spec["internalTrafficPolicy"]).is_empty() {
        w.write(
            0,
            &format!(
                "Internal Traffic Policy:\t{}\n",
                s(&spec["internalTrafficPolicy"])
            ),
        );
    }
}

/// Namespaces print their quotas and limit ranges instead of events.
fn namespace(env: &mut Env, mut w: PrefixWriter, ns: &Value) -> String {
    let name = s(&ns["metadata"]["name"]).to_string();
    header(&mut w, ns, false);
    labels_and_annotations(&mut w, ns);
    w.write(0, &format!("Status:\t{}\n", s(&ns["status"]["phase"])));
    let quotas = list(
        env,
        &format!("/api/v1/namespaces/{name}/resourcequotas"),
        "",
    );
    if quotas.is_empty() {
        w.write(0, "\nNo resource quota.\n");
    } else {
        w.write(0, "\nResource Quotas\n");
        for q in &quotas {
            w.write(0, &format!("  Name:\t{}\n", s(&q["metadata"]["name"])));
            let mut scopes: Vec<&str> = q["spec"]["scopes"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default();
            if !scopes.is_empty() {
                scopes.sort();
                w.write(1, &format!("Scopes:\t{}\n", scopes.join(", ")));
                for scope in &scopes {
                    let help = policy::scope_help(scope);
                    if !help.is_empty() {
                        w.write(1, &format!("* {help}\n"));
                    }
                }
            }
            w.write(0, "  Resource\tUsed\tHard\n  --------\t---\t---\n");
            for (k, hard) in q["status"]["hard"].as_object().cloned().unwrap_or_default() {
                let used = s(&q["status"]["used"][&k]).to_string();
                w.write(0, &format!("  {k}\t{used}\t{}\n", s(&hard)));
            }
        }
    }
    let ranges = list(env, &format!("/api/v1/namespaces/{name}/limitranges"), "");
    if ranges.is_empty() {
        w.write(0, "\nNo LimitRange resource.\n");
    } else {
        w.write(0, "\nResource Limits\n");
        // `DescribeLimitRanges`: one header, then the items of every limit range.
        w.write(0, " Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
        for r in &ranges {
            for item in r["spec"]["limits"].as_array().cloned().unwrap_or_default() {
                let mut keys: Vec<String> = [
                    "min",
                    "max",
                    "default",
                    "defaultRequest",
                    "maxLimitRequestRatio",
                ]
                .iter()
                .flat_map(|f| {
                    item[*f]
                        .as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                })
                .collect();
                keys.sort();
                keys.dedup();
                let cell = |f: &str, k: &str| item[f][k].as_str().unwrap_or("-").to_string();
                for k in keys {
                    w.write(
                        0,
                        &format!(
                            " {}\t{k}\t{}\t{}\t{}\t{}\t{}\n",
                            s(&item["type"]),
                            cell("min", &k),
                            cell("max", &k),
                            cell("defaultRequest", &k),
                            cell("default", &k),
                            cell("maxLimitRequestRatio", &k)
                        ),
                    );
                }
            }
        }
    }
    w.finish()
}

/// The real describer ranges over the data map in Go's random map order; sorted keys are the one
/// order it prints most often (a rotation starting at the first key).
fn config_map(w: &mut PrefixWriter, cm: &Value) {
    header(w, cm, true);
    labels_and_annotations(w, cm);
    w.write(0, "\nData\n====\n");
    let mut data: Vec<(String, Value)> = cm["data"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    data.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in data {
        w.write(0, &format!("{k}:\n----\n"));
        w.write(0, &format!("{}\n", s(&v)));
        w.write(0, "\n");
    }
    w.write(0, "\nBinaryData\n====\n");
    let mut binary: Vec<(String, Value)> = cm["binaryData"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    binary.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in binary {
        // The JSON carries base64; describe prints the decoded length.
        let len = s(&v).trim_end_matches('=').len() * 3 / 4;
        w.write(0, &format!("{k}: {len} bytes\n"));
    }
    w.write(0, "\n");
}

/// A resource quantity in thousandths, for the node's request and limit sums
/// (`resource.Quantity` arithmetic on the values describe adds up).
#[derive(Clone, Copy, Default)]
struct Quantity {
    milli: i128,
    binary: bool,
}

impl Quantity {
    fn parse(text: &str) -> Quantity {
        const SUFFIXES: &[(&str, i128, bool)] = &[
            ("Ki", 1 << 10, true),
            ("Mi", 1 << 20, true),
            ("Gi", 1 << 30, true),
            ("Ti", 1 << 40, true),
            ("Pi", 1 << 50, true),
            ("m", 0, false),
            ("k", 1_000, false),
            ("M", 1_000_000, false),
            ("G", 1_000_000_000, false),
            ("T", 1_000_000_000_000, false),
        ];
        let (number, factor, binary) = SUFFIXES
            .iter()
            .find_map(|(suf, f, bin)| text.strip_suffix(suf).map(|n| (n, *f, *bin)))
            .unwrap_or((text, 1, false));
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{whole}{frac}");
        let mantissa: i128 = digits.parse().unwrap_or(0);
        let scale = 10i128.pow(frac.len() as u32);
        let milli = if factor == 0 {
            mantissa / scale
        } else {
            (mantissa * factor * 1000 + scale - 1) / scale
        };
        Quantity { milli, binary }
    }

    fn add(self, other: Quantity) -> Quantity {
        let binary = if self.milli == 0 {
            other.binary
        } else {
            self.binary
        };
        Quantity {
            milli: self.milli + other.milli,
            binary,
        }
    }

    /// `Quantity.String` in canonical form.
    fn canonical(self) -> String {
        if self.milli % 1000 != 0 {
            return format!("{}m", self.milli);
        }
        let v = self.milli / 1000;
        if v == 0 {
            return "0".into();
        }
        let table: &[(&str, i128)] = if self.binary {
            &[
                ("Ti", 1 << 40),
                ("Gi", 1 << 30),
                ("Mi", 1 << 20),
                ("Ki", 1 << 10),
            ]
        } else {
            &[
                ("T", 1_000_000_000_000),
                ("G", 1_000_000_000),
                ("M", 1_000_000),
                ("k", 1_000),
            ]
        };
        for (suffix, m) in table {
            if v % m == 0 {
                return format!("{}{suffix}", v / m);
            }
        }
        v.to_string()
    }
}

/// `resourcehelper.PodRequestsAndLimits` for one resource: the containers' sum, at least the
/// largest init container's.
fn pod_resource(pod: &Value, kind: &str, name: &str) -> Quantity {
    let get = |c: &Value| {
        c["resources"][kind][name]
            .as_str()
            .map(Quantity::parse)
            .unwrap_or_default()
    };
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sum = containers
        .iter()
        .fold(Quantity::default(), |acc, c| acc.add(get(c)));
    let init = pod["spec"]["initContainers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    init.iter()
        .map(get)
        .fold(sum, |acc, q| if q.milli > acc.milli { q } else { acc })
}

fn percent(q: Quantity, total: Quantity) -> i128 {
    if total.milli == 0 {
        0
    } else {
        (q.milli as f64 / total.milli as f64 * 100.0) as i128
    }
}

/// `findNodeRoles`: `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`.
fn node_roles(node: &Value) -> String {
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in node["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default()
    {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.push(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !s(&v).is_empty() {
            roles.push(s(&v).to_string());
        }
    }
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

fn node(env: &mut Env, w: &mut PrefixWriter, node: &Value) {
    let (spec, status) = (&node["spec"], &node["status"]);
    let name = s(&node["metadata"]["name"]).to_string();
    header(w, node, false);
    w.write(0, &format!("Roles:\t{}\n", node_roles(node)));
    labels_and_annotations(w, node);
    w.write(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            layout::rfc1123z(&node["metadata"]["creationTimestamp"])
        ),
    );
    layout::taints(w, "Taints", &spec["taints"]);
    w.write(
        0,
        &format!(
            "Unschedulable:\t{}\n",
            spec["unschedulable"].as_bool().unwrap_or(false)
        ),
    );
    let resp = env.transport.call(
        Request::get(format!(
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"
        ))
        .header("accept", "application/json"),
    );
    let lease = resp.body_json().unwrap_or_default();
    if resp.status >= 400 {
        w.write(
            0,
            &format!("Lease:\tFailed to get lease: {}\n", s(&lease["message"])),
        );
    } else {
        let or_unset = |v: &Value, time: bool| match v.as_str() {
            Some(_) if time => layout::rfc1123z(v),
            Some(t) => t.to_string(),
            None => "<unset>".into(),
        };
        w.write(0, "Lease:\n");
        w.write(
            1,
            &format!(
                "HolderIdentity:\t{}\n",
                or_unset(&lease["spec"]["holderIdentity"], false)
            ),
        );
        w.write(
            1,
            &format!(
                "AcquireTime:\t{}\n",
                or_unset(&lease["spec"]["acquireTime"], true)
            ),
        );
        w.write(
            1,
            &format!(
                "RenewTime:\t{}\n",
                or_unset(&lease["spec"]["renewTime"], true)
            ),
        );
    }
    if let Some(conditions) = status["conditions"].as_array().filter(|a| !a.is_empty()) {
        w.write(
            0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    layout::rfc1123z(&c["lastHeartbeatTime"]),
                    layout::rfc1123z(&c["lastTransitionTime"]),
                    s(&c["reason"]),
                    s(&c["message"])
                ),
            );
        }
    }
    w.write(0, "Addresses:\n");
    for a in status["addresses"].as_array().cloned().unwrap_or_default() {
        w.write(1, &format!("{}:\t{}\n", s(&a["type"]), s(&a["address"])));
    }
    for (field, title) in [("capacity", "Capacity"), ("allocatable", "Allocatable")] {
        if let Some(list) = status[field].as_object().filter(|m| !m.is_empty()) {
            w.write(0, &format!("{title}:\n"));
            let mut items: Vec<_> = list.iter().collect();
            items.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in items {
                w.write(
                    0,
                    &format!("  {k}:\t{}\n", Quantity::parse(s(v)).canonical()),
                );
            }
        }
    }
    let info = &status["nodeInfo"];
    w.write(0, "System Info:\n");
    for (field, title) in [
        ("machineID", "Machine ID"),
        ("systemUUID", "System UUID"),
        ("bootID", "Boot ID"),
        ("kernelVersion", "Kernel Version"),
        ("osImage", "OS Image"),
        ("operatingSystem", "Operating System"),
        ("architecture", "Architecture"),
        ("containerRuntimeVersion", "Container Runtime Version"),
        ("kubeletVersion", "Kubelet Version"),
        ("kubeProxyVersion", "Kube-Proxy Version"),
    ] {
        w.write(0, &format!("  {title}:\t{}\n", s(&info[field])));
    }
    if !s(&spec["podCIDR"]).is_empty() {
        w.write(0, &format!("PodCIDR:\t{}\n", s(&spec["podCIDR"])));
    }
    let cidrs: Vec<&str> = spec["podCIDRs"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    if !cidrs.is_empty() {
        w.write(0, &format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    if !s(&spec["providerID"]).is_empty() {
        w.write(0, &format!("ProviderID:\t{}\n", s(&spec["providerID"])));
    }
    // The node's non-terminated pods, as kubectl lists them by field selector.
    let selector = format!("spec.nodeName={name},status.phase!=Failed,status.phase!=Succeeded");
    let resp = env.transport.call(
        Request::get(format!(
            "/api/v1/pods?fieldSelector={}&limit=500",
            percent_encode(&selector)
        ))
        .header("accept", "application/json"),
    );
    let pods: Vec<Value> = resp
        .body_json()
        .and_then(|b| b["items"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            s(&p["spec"]["nodeName"]) == name
                && !matches!(s(&p["status"]["phase"]), "Failed" | "Succeeded")
        })
        .collect();
    let allocatable = if status["allocatable"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
    {
        &status["allocatable"]
    } else {
        &status["capacity"]
    };
    let total = |r: &str| {
        allocatable[r]
            .as_str()
            .map(Quantity::parse)
            .unwrap_or_default()
    };
    let now = env.transport.now();
    w.write(
        0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.write(
        1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.write(
        1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let cell = |q: Quantity, r: &str| format!("{} ({}%)", q.canonical(), percent(q, total(r)));
    for p in &pods {
        w.write(
            1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{}\n",
                s(&p["metadata"]["namespace"]),
                s(&p["metadata"]["name"]),
                cell(pod_resource(p, "requests", "cpu"), "cpu"),
                cell(pod_resource(p, "limits", "cpu"), "cpu"),
                cell(pod_resource(p, "requests", "memory"), "memory"),
                cell(pod_resource(p, "limits", "memory"), "memory"),
                crate::printers::age::since(p["metadata"]["creationTimestamp"].as_str(), now)
            ),
        );
    }
    w.write(
        0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.write(1, "Resource\tRequests\tLimits\n");
    w.write(1, "--------\t--------\t------\n");
    let sum = |kind: &str, r: &str| {
        pods.iter().fold(Quantity::default(), |acc, p| {
            acc.add(pod_resource(p, kind, r))
        })
    };
    let mut resources = vec![
        "cpu".to_string(),
        "memory".to_string(),
        "ephemeral-storage".to_string(),
    ];
    let mut huge: Vec<String> = allocatable
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| k.starts_with("hugepages-"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    huge.sort();
    resources.extend(huge);
    for r in &resources {
        w.write(
            1,
            &format!(
                "{r}\t{}\t{}\n",
                cell(sum("requests", r), r),
                cell(sum("limits", r), r)
            ),
        );
    }
}

/// Secrets show sizes, never values (except a service account token's).
fn secret(w: &mut PrefixWriter, secret: &Value) {
    use base64::Engine;
    header(w, secret, true);
    labels_and_annotations(w, secret);
    let kind = s(&secret["type"]);
    w.write(0, &format!("\nType:\t{kind}\n"));
    w.write(0, "\nData\n====\n");
    let mut data: Vec<(String, Value)> = secret["data"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    data.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in data {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s(&v))
            .unwrap_or_default();
        if k == "token" && kind == "kubernetes.io/service-account-token" {
            w.write(0, &format!("{k}:\t{}\n", String::from_utf8_lossy(&bytes)));
        } else {
            w.write(0, &format!("{k}:\t{} bytes\n", bytes.len()));
        }
    }
}

fn service_account(env: &mut Env, w: &mut PrefixWriter, sa: &Value) {
    header(w, sa, true);
    labels_and_annotations(w, sa);
    let ns = s(&sa["metadata"]["namespace"]).to_string();
    let names = |field: &str| -> Vec<String> {
        sa[field]
            .as_array()
            .map(|a| a.iter().map(|r| s(&r["name"]).to_string()).collect())
            .unwrap_or_default()
    };
    // Secrets named by the service account that do not exist are marked `(not found)`.
    let existing: Vec<String> = list(env, &format!("/api/v1/namespaces/{ns}/secrets"), "")
        .iter()
        .map(|x| s(&x["metadata"]["name"]).to_string())
        .collect();
    const EMPTY: &str = "                   ";
    for (title, secrets) in [
        ("Image pull secrets:", names("imagePullSecrets")),
        ("Mountable secrets: ", names("secrets")),
        ("Tokens:            ", Vec::new()),
    ] {
        if secrets.is_empty() {
            w.write(0, &format!("{title}\t<none>\n"));
            continue;
        }
        let mut prefix = title;
        for name in secrets {
            let missing = if existing.contains(&name) {
                ""
            } else {
                " (not found)"
            };
            w.write(0, &format!("{prefix}\t{name}{missing}\n"));
            prefix = EMPTY;
        }
    }
}

/// `JobDescriber`.
fn job(w: &mut PrefixWriter, job: &Value) {
    let (spec, status) = (&job["spec"], &job["status"]);
    header(w, job, true);
    w.write(
        0,
        &format!("Selector:\t{}\n", format_selector(&spec["selector"])),
    );
    labels_and_annotations(w, job);
    if let Some(c) = controller(job) {
        w.write(0, &format!("Controlled By:\t{c}\n"));
    }
    if !s(&spec["managedBy"]).is_empty() {
        w.write(0, &format!("Managed By:\t{}\n", s(&spec["managedBy"])));
    }
    w.write(
        0,
        &format!(
            "Parallelism:\t{}\n",
            spec["parallelism"].as_i64().unwrap_or(1)
        ),
    );
    match spec["completions"].as_i64() {
        Some(c) => w.write(0, &format!("Completions:\t{c}\n")),
        None => w.write(0, "Completions:\t<unset>\n"),
    }
    if !s(&spec["completionMode"]).is_empty() {
        w.write(
            0,
            &format!("Completion Mode:\t{}\n", s(&spec["completionMode"])),
        );
    }
    if let Some(suspend) = spec["suspend"].as_bool() {
        w.write(0, &format!("Suspend:\t{suspend}\n"));
    }
    if let Some(limit) = spec["backoffLimit"].as_i64() {
        w.write(0, &format!("Backoff Limit:\t{limit}\n"));
    }
    if status["startTime"].is_string() {
        w.write(
            0,
            &format!("Start Time:\t{}\n", layout::rfc1123z(&status["startTime"])),
        );
    }
    if status["completionTime"].is_string() {
        w.write(
            0,
            &format!(
                "Completed At:\t{}\n",
                layout::rfc1123z(&status["completionTime"])
            ),
        );
    }
    let parse = |v: &Value| v.as_str().and_then(crate::printers::age::parse);
    if let (Some(start), Some(end)) = (
        parse(&status["startTime"]),
        parse(&status["completionTime"]),
    ) {
        let secs = crate::printers::age::seconds_between(start, end);
        w.write(
            0,
            &format!(
                "Duration:\t{}\n",
                crate::printers::age::human_duration(secs)
            ),
        );
    }
    if let Some(d) = spec["activeDeadlineSeconds"].as_i64() {
        w.write(0, &format!("Active Deadline Seconds:\t{d}s\n"));
    }
    let n = |f: &str| status[f].as_i64().unwrap_or(0);
    if status["ready"].is_number() {
        w.write(
            0,
            &format!(
                "Pods Statuses:\t{} Active ({} Ready) / {} Succeeded / {} Failed\n",
                n("active"),
                n("ready"),
                n("succeeded"),
                n("failed")
            ),
        );
    } else {
        w.write(
            0,
            &format!(
                "Pods Statuses:\t{} Active / {} Succeeded / {} Failed\n",
                n("active"),
                n("succeeded"),
                n("failed")
            ),
        );
    }
    if s(&spec["completionMode"]) == "Indexed" {
        let done = s(&status["completedIndexes"]);
        w.write(
            0,
            &format!(
                "Completed Indexes:\t{}\n",
                if done.is_empty() { "<none>" } else { done }
            ),
        );
    }
    layout::pod_template(w, &spec["template"]);
}

/// `DaemonSetDescriber`.
fn daemon_set(env: &mut Env, w: &mut PrefixWriter, ds: &Value) {
    let (spec, status) = (&ds["spec"], &ds["status"]);
    let ns = s(&ds["metadata"]["namespace"]).to_string();
    let selector = format_selector(&spec["selector"]);
    header(w, ds, false);
    w.write(0, &format!("Namespace:\t{ns}\n"));
    w.write(0, &format!("Selector:\t{selector}\n"));
    let node_selector: Vec<String> = sorted_pairs(&spec["template"]["spec"]["nodeSelector"]);
    let node_selector = if node_selector.is_empty() {
        "<none>".to_string()
    } else {
        node_selector.join(",")
    };
    w.write(0, &format!("Node-Selector:\t{node_selector}\n"));
    labels_and_annotations(w, ds);
    let n = |f: &str| status[f].as_i64().unwrap_or(0);
    w.write(
        0,
        &format!(
            "Desired Number of Nodes Scheduled: {}\n",
            n("desiredNumberScheduled")
        ),
    );
    w.write(
        0,
        &format!(
            "Current Number of Nodes Scheduled: {}\n",
            n("currentNumberScheduled")
        ),
    );
    w.write(
        0,
        &format!(
            "Number of Nodes Scheduled with Up-to-date Pods: {}\n",
            n("updatedNumberScheduled")
        ),
    );
    w.write(
        0,
        &format!(
            "Number of Nodes Scheduled with Available Pods: {}\n",
            n("numberAvailable")
        ),
    );
    w.write(
        0,
        &format!(
            "Number of Nodes Misscheduled: {}\n",
            n("numberMisscheduled")
        ),
    );
    pods_status(env, w, &ns, &selector, ds);
    layout::pod_template(w, &spec["template"]);
}

/// `labels.FormatLabels` without the `<none>`: sorted `k=v`.
fn sorted_pairs(map: &Value) -> Vec<String> {
    let mut kv: Vec<(String, String)> = map
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), s(v).to_string()))
                .collect()
        })
        .unwrap_or_default();
    kv.sort();
    kv.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// `StatefulSetDescriber`.
fn stateful_set(env: &mut Env, w: &mut PrefixWriter, ss: &Value) {
    let (spec, status) = (&ss["spec"], &ss["status"]);
    let ns = s(&ss["metadata"]["namespace"]).to_string();
    let selector = format_selector(&spec["selector"]);
    header(w, ss, true);
    w.write(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            layout::rfc1123z(&ss["metadata"]["creationTimestamp"])
        ),
    );
    w.write(0, &format!("Selector:\t{selector}\n"));
    labels_and_annotations(w, ss);
    w.write(
        0,
        &format!(
            "Replicas:\t{} desired | {} total\n",
            spec["replicas"].as_i64().unwrap_or(1),
            status["replicas"].as_i64().unwrap_or(0)
        ),
    );
    w.write(
        0,
        &format!("Update Strategy:\t{}\n", s(&spec["updateStrategy"]["type"])),
    );
    let ru = &spec["updateStrategy"]["rollingUpdate"];
    if let Some(partition) = ru["partition"].as_i64() {
        w.write(1, &format!("Partition:\t{partition}\n"));
        if !ru["maxUnavailable"].is_null() {
            let v = &ru["maxUnavailable"];
            w.write(
                1,
                &format!(
                    "MaxUnavailable:\t{}\n",
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                ),
            );
        }
    }
    pods_status(env, w, &ns, &selector, ss);
    layout::pod_template(w, &spec["template"]);
    let claims = spec["volumeClaimTemplates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if claims.is_empty() {
        w.write(0, "Volume Claims:\t<none>\n");
        return;
    }
    w.write(0, "Volume Claims:\n");
    for c in &claims {
        w.write(1, &format!("Name:\t{}\n", s(&c["metadata"]["name"])));
        let class = s(&c["spec"]["storageClassName"]);
        w.write(1, &format!("StorageClass:\t{class}\n"));
        layout::labels(w, "  Labels", &c["metadata"]["labels"]);
        layout::annotations(w, "  Annotations", &c["metadata"]["annotations"]);
        let capacity = c["spec"]["resources"]["requests"]["storage"]
            .as_str()
            .unwrap_or("<default>");
        w.write(1, &format!("Capacity:\t{capacity}\n"));
        let modes: Vec<&str> = c["spec"]["accessModes"]
            .as_array()
            .map(|a| a.iter().map(s).collect())
            .unwrap_or_default();
        w.write(1, &format!("Access Modes:\t{}\n", modes.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_sum_and_print_canonically() {
        let sum = ["100m", "250m", "0.4"]
            .iter()
            .fold(Quantity::default(), |a, q| a.add(Quantity::parse(q)));
        assert_eq!(sum.canonical(), "750m");
        let mem = Quantity::parse("70Mi").add(Quantity::parse("100Mi"));
        assert_eq!(mem.canonical(), "170Mi");
        assert_eq!(Quantity::parse("8025424Ki").canonical(), "8025424Ki");
        assert_eq!(Quantity::default().canonical(), "0");
        assert_eq!(percent(Quantity::parse("750m"), Quantity::parse("2")), 37);
    }

    #[test]
    fn selectors_print_like_format_label_selector() {
        let sel = serde_json::json!({"matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x", "y"]}, {"key": "gone", "operator": "DoesNotExist"}]});
        assert_eq!(format_selector(&sel), "a=1,b=2,tier in (x,y),!gone");
        assert_eq!(format_selector(&serde_json::json!({})), "<none>");
    }

    #[test]
    fn endpoints_show_three_then_count_the_rest() {
        let slice = serde_json::json!({"ports": [{"name": "", "port": 80}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}, {"addresses": ["10.0.0.3"]}, {"addresses": ["10.0.0.4"]}]});
        assert_eq!(
            format_endpoints(&[slice], ""),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more..."
        );
        assert_eq!(format_endpoints(&[], ""), "<none>");
    }
}
