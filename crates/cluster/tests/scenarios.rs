//! Golden scenario tests of the simulated control plane: `scenarios/<name>.input.yaml` lists
//! steps (apply manifests, advance the clock, load or push images, delete, patch, send HTTP
//! requests, read logs, take a `snapshot` of the cluster), and the snapshots are compared with
//! `scenarios/<name>.output.yaml`. `UPDATE_GOLDEN=1 cargo test -p cluster --test scenarios`
//! rewrites the outputs; a mismatch prints a line diff.
//!
//! Snapshots summarise what a learner sees: pods as `kubectl get pods` shows them (with node and
//! container states), workload counters and conditions, endpoints, claims, and every event of
//! the namespace as `TYPE REASON OBJECT: MESSAGE (xCOUNT)`.

use std::path::PathBuf;

use cluster::api::{DeleteOptions, Propagation, User, WriteOptions};
use cluster::minikube::Shape;
use cluster::network::Origin;
use cluster::patch::PatchType;
use cluster::{resources, Cluster, ClusterConfig};
use jiff::SignedDuration;
use serde_json::{json, Map, Value};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn rt_of(v: &Value) -> &'static cluster::ResourceType {
    let api = v["apiVersion"].as_str().unwrap_or_default();
    let kind = v["kind"].as_str().unwrap_or_default();
    resources::by_kind(api, kind).unwrap_or_else(|| panic!("no resource for {api} {kind}"))
}

fn rt_named(kind: &str) -> &'static cluster::ResourceType {
    resources::RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("unknown kind {kind}"))
}

fn parse_duration(s: &str) -> SignedDuration {
    let (n, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = n.parse().unwrap();
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => panic!("unknown unit {other}"),
    };
    SignedDuration::from_secs_f64(secs)
}

/// `kubectl get pods` STATUS (printPod), without the "ago" part of RESTARTS.
fn pod_status(p: &Value) -> String {
    let status = &p["status"];
    let mut reason = status["reason"]
        .as_str()
        .or(status["phase"].as_str())
        .unwrap_or("Pending")
        .to_string();
    let inits = status["initContainerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut initializing = false;
    for (i, c) in inits.iter().enumerate() {
        let t = &c["state"]["terminated"];
        if t.is_object() && t["exitCode"] == 0 {
            continue;
        }
        if c["state"]["running"].is_object()
            && p["spec"]["initContainers"][i]["restartPolicy"] == "Always"
        {
            continue;
        }
        initializing = true;
        reason = if t.is_object() {
            format!("Init:{}", t["reason"].as_str().unwrap_or("Error"))
        } else if let Some(w) = c["state"]["waiting"]["reason"]
            .as_str()
            .filter(|r| *r != "PodInitializing")
        {
            format!("Init:{w}")
        } else {
            format!("Init:{}/{}", i, inits.len())
        };
        break;
    }
    if !initializing {
        let mut has_running = false;
        for c in status["containerStatuses"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .rev()
        {
            if let Some(w) = c["state"]["waiting"]["reason"].as_str() {
                reason = w.to_string();
            } else if c["state"]["terminated"].is_object() {
                let t = &c["state"]["terminated"];
                reason = t["reason"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("ExitCode:{}", t["exitCode"]));
            } else if c["state"]["running"].is_object() && c["ready"] == true {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = "Running".into();
        }
    }
    if p["metadata"]["deletionTimestamp"].is_string() {
        reason = "Terminating".into();
    }
    reason
}

fn summarize_pod(p: &Value) -> Value {
    let mut cs = p["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Sidecars (restartable init containers) count in READY as kubectl's printPod counts them.
    let sidecars: Vec<Value> = p["status"]["initContainerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            p["spec"]["initContainers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["name"] == s["name"] && c["restartPolicy"] == "Always")
        })
        .collect();
    let total = p["spec"]["containers"].as_array().map_or(0, Vec::len) + sidecars.len();
    cs.splice(0..0, sidecars);
    let ready = cs.iter().filter(|c| c["ready"] == true).count();
    let restarts: i64 = cs
        .iter()
        .map(|c| c["restartCount"].as_i64().unwrap_or(0))
        .sum();
    let states: Vec<Value> = cs
        .iter()
        .map(|c| {
            let mut s = Map::new();
            s.insert("name".into(), c["name"].clone());
            for (k, v) in c["state"].as_object().cloned().unwrap_or_default() {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.remove("containerID");
                    o.remove("startedAt");
                    o.remove("finishedAt");
                }
                s.insert(k, v);
            }
            if let Some(t) = c["lastState"]["terminated"].as_object() {
                s.insert(
                    "lastTerminated".into(),
                    json!(format!(
                        "{} (exit {})",
                        t["reason"].as_str().unwrap_or_default(),
                        t["exitCode"]
                    )),
                );
            }
            Value::Object(s)
        })
        .collect();
    json!({
        "status": pod_status(p),
        "ready": format!("{ready}/{total}"),
        "restarts": restarts,
        "node": p["spec"]["nodeName"],
        "containers": states,
    })
}

fn conditions(v: &Value) -> Value {
    json!(v["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| format!(
            "{}={} {}",
            c["type"].as_str().unwrap_or_default(),
            c["status"].as_str().unwrap_or_default(),
            c["reason"].as_str().unwrap_or_default()
        ))
        .collect::<Vec<_>>())
}

fn snapshot(c: &Cluster, ns: &str, extra: &mut Map<String, Value>) -> Value {
    let list = |kind: &str| -> Vec<Value> {
        c.store()
            .list(rt_named(kind).kind, Some(ns))
            .map(|o| o.to_value())
            .collect()
    };
    let mut out = Map::new();
    out.insert("time".into(), json!(c.now().to_string()));
    let mut pods = Map::new();
    for p in list("Pod") {
        pods.insert(
            p["metadata"]["name"].as_str().unwrap().to_string(),
            summarize_pod(&p),
        );
    }
    out.insert("pods".into(), Value::Object(pods));
    let mut deploys = Map::new();
    for d in list("Deployment") {
        let s = &d["status"];
        deploys.insert(
            d["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "ready": format!("{}/{}", s["readyReplicas"].as_i64().unwrap_or(0), d["spec"]["replicas"].as_i64().unwrap_or(1)),
                "upToDate": s["updatedReplicas"].as_i64().unwrap_or(0),
                "available": s["availableReplicas"].as_i64().unwrap_or(0),
                "revision": d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                "conditions": conditions(&d),
            }),
        );
    }
    if !deploys.is_empty() {
        out.insert("deployments".into(), Value::Object(deploys));
    }
    let mut rss = Map::new();
    for r in list("ReplicaSet") {
        rss.insert(
            r["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "desired": r["spec"]["replicas"],
                "current": r["status"]["replicas"].as_i64().unwrap_or(0),
                "ready": r["status"]["readyReplicas"].as_i64().unwrap_or(0),
                "revision": r["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                "image": r["spec"]["template"]["spec"]["containers"][0]["image"],
            }),
        );
    }
    if !rss.is_empty() {
        out.insert("replicasets".into(), Value::Object(rss));
    }
    let mut sets = Map::new();
    for s in list("StatefulSet") {
        let st = &s["status"];
        sets.insert(
            s["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "replicas": st["replicas"].as_i64().unwrap_or(0),
                "ready": st["readyReplicas"].as_i64().unwrap_or(0),
                "current": st["currentReplicas"].as_i64().unwrap_or(0),
                "updated": st["updatedReplicas"].as_i64().unwrap_or(0),
                "currentRevision": st["currentRevision"],
                "updateRevision": st["updateRevision"],
            }),
        );
    }
    if !sets.is_empty() {
        out.insert("statefulsets".into(), Value::Object(sets));
        // Which revision each pod runs, and the revisions kept.
        let mut revs = Map::new();
        for p in list("Pod") {
            if let Some(r) = p["metadata"]["labels"]["controller-revision-hash"].as_str() {
                revs.insert(p["metadata"]["name"].as_str().unwrap().into(), json!(r));
            }
        }
        out.insert("podRevisions".into(), Value::Object(revs));
        let crs: Vec<Value> = list("ControllerRevision")
            .iter()
            .map(|r| {
                json!(format!(
                    "{} (revision {})",
                    r["metadata"]["name"].as_str().unwrap_or_default(),
                    r["revision"]
                ))
            })
            .collect();
        out.insert("controllerRevisions".into(), json!(crs));
    }
    let mut hpas = Map::new();
    for h in list("HorizontalPodAutoscaler") {
        let st = &h["status"];
        // TARGETS as `kubectl get hpa` prints it, for the first metric.
        let target = &h["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"];
        let current = &st["currentMetrics"][0]["resource"]["current"]["averageUtilization"];
        let shown = |v: &Value| {
            v.as_i64()
                .map_or("<unknown>".to_string(), |n| format!("{n}%"))
        };
        hpas.insert(
            h["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "targets": format!("cpu: {}/{}", shown(current), shown(target)),
                "currentReplicas": st["currentReplicas"],
                "desiredReplicas": st["desiredReplicas"],
                "lastScaleTime": st["lastScaleTime"],
                "conditions": conditions(&h),
            }),
        );
    }
    if !hpas.is_empty() {
        out.insert("horizontalpodautoscalers".into(), Value::Object(hpas));
    }
    let mut eps = Map::new();
    for e in list("Endpoints") {
        let ip_list = |key: &str| -> Vec<Value> {
            e["subsets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .flat_map(|s| s[key].as_array().cloned().unwrap_or_default())
                .map(|a| {
                    json!(format!(
                        "{} ({})",
                        a["ip"].as_str().unwrap_or_default(),
                        a["targetRef"]["name"].as_str().unwrap_or("-")
                    ))
                })
                .collect()
        };
        eps.insert(e["metadata"]["name"].as_str().unwrap().into(), json!({"addresses": ip_list("addresses"), "notReadyAddresses": ip_list("notReadyAddresses")}));
    }
    if !eps.is_empty() {
        out.insert("endpoints".into(), Value::Object(eps));
    }
    let mut pvcs = Map::new();
    for p in list("PersistentVolumeClaim") {
        pvcs.insert(p["metadata"]["name"].as_str().unwrap().into(), json!({"phase": p["status"]["phase"], "volume": p["spec"]["volumeName"], "storageClass": p["spec"]["storageClassName"]}));
    }
    if !pvcs.is_empty() {
        out.insert("persistentvolumeclaims".into(), Value::Object(pvcs));
    }
    let mut jobs = Map::new();
    for j in list("Job") {
        jobs.insert(j["metadata"]["name"].as_str().unwrap().into(), json!({"succeeded": j["status"]["succeeded"], "failed": j["status"]["failed"], "active": j["status"]["active"], "conditions": conditions(&j)}));
    }
    if !jobs.is_empty() {
        out.insert("jobs".into(), Value::Object(jobs));
    }
    let mut sets = Map::new();
    for d in list("DaemonSet") {
        let st = &d["status"];
        let n = |k: &str| st[k].as_i64().unwrap_or(0);
        sets.insert(
            d["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "desired": n("desiredNumberScheduled"),
                "current": n("currentNumberScheduled"),
                "ready": n("numberReady"),
                "upToDate": n("updatedNumberScheduled"),
                "available": n("numberAvailable"),
            }),
        );
    }
    if !sets.is_empty() {
        out.insert("daemonsets".into(), Value::Object(sets));
    }
    let mut crons = Map::new();
    for j in list("CronJob") {
        let active: Vec<Value> = j["status"]["active"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| r["name"].clone())
            .collect();
        crons.insert(
            j["metadata"]["name"].as_str().unwrap().into(),
            json!({
                "suspend": j["spec"]["suspend"],
                "active": active,
                "lastScheduleTime": j["status"]["lastScheduleTime"],
                "lastSuccessfulTime": j["status"]["lastSuccessfulTime"],
            }),
        );
    }
    if !crons.is_empty() {
        out.insert("cronjobs".into(), Value::Object(crons));
    }
    let mut events: Vec<(String, String)> = list("Event")
        .iter()
        .map(|e| {
            // Event names end in a hex creation time and sequence: sorting by it is chronological.
            let name = e["metadata"]["name"].as_str().unwrap_or_default();
            let when = format!(
                "{:020}",
                u64::from_str_radix(name.rsplit('.').next().unwrap_or("0"), 16).unwrap_or(0)
            );
            let count = e["count"]
                .as_i64()
                .or(e["series"]["count"].as_i64())
                .unwrap_or(1);
            let obj = format!(
                "{}/{}",
                e["involvedObject"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase(),
                e["involvedObject"]["name"].as_str().unwrap_or_default()
            );
            let from = e["source"]["component"]
                .as_str()
                .or(e["reportingComponent"].as_str())
                .unwrap_or_default();
            let mut line = format!(
                "{} {} {} [{}]: {}",
                e["type"].as_str().unwrap_or_default(),
                e["reason"].as_str().unwrap_or_default(),
                obj,
                from,
                e["message"].as_str().unwrap_or_default()
            );
            if count > 1 {
                line.push_str(&format!(" (x{count})"));
            }
            (when, line)
        })
        .collect();
    events.sort();
    out.insert(
        "events".into(),
        json!(events.into_iter().map(|(_, l)| l).collect::<Vec<_>>()),
    );
    out.extend(std::mem::take(extra));
    Value::Object(out)
}

/// Nodes as `kubectl get nodes` and `describe node` show them: Ready status and taints.
fn nodes(c: &Cluster) -> Value {
    let mut out = Map::new();
    for n in c.store().list("Node", None) {
        let v = n.to_value();
        let taints: Vec<Value> = v["spec"]["taints"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|t| {
                json!(format!(
                    "{}:{}",
                    t["key"].as_str().unwrap_or_default(),
                    t["effect"].as_str().unwrap_or_default()
                ))
            })
            .collect();
        out.insert(
            n.name().to_string(),
            json!({"conditions": conditions(&v), "taints": taints}),
        );
    }
    Value::Object(out)
}

/// The first object of `kind` in `ns` whose labels include `selector` (`app=web`).
fn first_matching(c: &Cluster, kind: &str, ns: &str, selector: &str) -> String {
    let (k, v) = selector.split_once('=').unwrap();
    c.store()
        .list(rt_named(kind).kind, Some(ns))
        .find(|o| {
            o.labels().and_then(|l| l.get(k)).map(String::as_str) == Some(v)
                && o.meta().deletion_timestamp.is_none()
        })
        .map(|o| o.name().to_string())
        .unwrap_or_else(|| panic!("no {kind} with {selector}"))
}

fn run(name: &str) {
    let input_path = dir().join(format!("{name}.input.yaml"));
    let input: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&input_path).unwrap()).unwrap();
    let config = ClusterConfig::default();
    let shape = match input.get("shape") {
        Some(s) => {
            let mut shape = Shape::with_workers(
                s["workers"].as_u64().unwrap_or(0) as usize,
                s["workerCpu"].as_str().unwrap_or("2"),
                s["workerMemory"].as_str().unwrap_or("8025424Ki"),
            );
            if let Some(t) = s["controlPlaneTaint"].as_bool() {
                shape.control_plane_taint = t;
            }
            if let Some(cpu) = s["controlPlaneCpu"].as_str() {
                shape.control_plane_cpu = cpu.into();
            }
            shape
        }
        None => Shape::default(),
    };
    let mut c = Cluster::with_shape(&config, &shape);
    let ns = input["namespace"].as_str().unwrap_or("default").to_string();
    let admin = User::admin();
    let opts = WriteOptions::internal();
    let mut snapshots = Vec::new();
    let mut extra = Map::new();
    for step in input["steps"].as_array().unwrap() {
        let (op, arg) = step.as_object().unwrap().iter().next().unwrap();
        match op.as_str() {
            "apply" => {
                for doc in serde_yaml_ng::Deserializer::from_str(arg.as_str().unwrap()) {
                    let v: Value = serde::Deserialize::deserialize(doc).unwrap();
                    if v.is_null() {
                        continue;
                    }
                    let rt = rt_of(&v);
                    let name = v["metadata"]["name"].as_str().unwrap().to_string();
                    let obj_ns = v["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or(&ns)
                        .to_string();
                    let ns_arg = rt.namespaced().then_some(obj_ns.as_str());
                    if c.get(rt, ns_arg, &name).is_ok() {
                        c.patch_with(
                            &admin,
                            rt,
                            ns_arg,
                            &name,
                            PatchType::StrategicMerge,
                            &v,
                            &opts,
                        )
                        .unwrap();
                    } else {
                        c.create_with(&admin, rt, ns_arg, v, &opts).unwrap();
                    }
                }
            }
            "advance" => c.advance(parse_duration(arg.as_str().unwrap())),
            "load_image" => {
                c.load_image_into_nodes(arg.as_str().unwrap()).unwrap();
            }
            "push_image" => c.registry_push(arg.as_str().unwrap()).unwrap(),
            "delete" => {
                let kind = arg["kind"].as_str().unwrap();
                let name = match arg["selector"].as_str() {
                    Some(sel) => first_matching(&c, kind, &ns, sel),
                    None => arg["name"].as_str().unwrap().to_string(),
                };
                let rt = rt_named(kind);
                let delete = DeleteOptions {
                    propagation_policy: arg["propagationPolicy"].as_str().map(|p| match p {
                        "Foreground" => Propagation::Foreground,
                        "Orphan" => Propagation::Orphan,
                        _ => Propagation::Background,
                    }),
                    grace_period_seconds: arg["gracePeriodSeconds"].as_i64(),
                    ..Default::default()
                };
                c.delete_with(
                    &admin,
                    rt,
                    rt.namespaced().then_some(ns.as_str()),
                    &name,
                    &delete,
                )
                .unwrap();
            }
            "patch" => {
                let rt = rt_named(arg["kind"].as_str().unwrap());
                let t = match arg["type"].as_str().unwrap_or("strategic") {
                    "merge" => PatchType::Merge,
                    "json" => PatchType::Json,
                    _ => PatchType::StrategicMerge,
                };
                c.patch_with(
                    &admin,
                    rt,
                    rt.namespaced().then_some(ns.as_str()),
                    arg["name"].as_str().unwrap(),
                    t,
                    &arg["patch"],
                    &opts,
                )
                .unwrap();
            }
            "http" => {
                let url = arg["url"].as_str().unwrap();
                let from = match arg["from"].as_str() {
                    Some(sel) => {
                        let pod = first_matching(&c, "Pod", &ns, sel);
                        let r = c.http_request(
                            Origin::Pod {
                                namespace: &ns,
                                name: &pod,
                            },
                            url,
                        );
                        r.map(|r| format!("{} from {}", r.status, r.pod.1))
                            .unwrap_or_else(|e| e.to_string())
                    }
                    None => c
                        .http_request(Origin::Outside, url)
                        .map(|r| format!("{} from {}", r.status, r.pod.1))
                        .unwrap_or_else(|e| e.to_string()),
                };
                extra
                    .entry("http")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .unwrap()
                    .push(json!(format!("GET {url}: {from}")));
            }
            "logs" => {
                let pod = first_matching(&c, "Pod", &ns, arg["selector"].as_str().unwrap());
                let previous = arg["previous"].as_bool().unwrap_or(false);
                let lines = match c.container_logs(&ns, &pod, arg["container"].as_str(), previous) {
                    Ok(l) => l.into_iter().map(|l| l.line).collect::<Vec<_>>(),
                    Err(e) => vec![format!("error: {}", e.message)],
                };
                let key = format!(
                    "logs {}{}{}",
                    arg["selector"].as_str().unwrap(),
                    arg["container"]
                        .as_str()
                        .map(|c| format!(" -c {c}"))
                        .unwrap_or_default(),
                    if previous { " --previous" } else { "" }
                );
                extra.insert(key, json!(lines));
            }
            "stop_kubelet" => c.stop_kubelet(arg.as_str().unwrap()).unwrap(),
            "start_kubelet" => c.start_kubelet(arg.as_str().unwrap()).unwrap(),
            "snapshot" => {
                if input["showNodes"] == true {
                    extra.insert("nodes".into(), nodes(&c));
                }
                if input["showNamespace"] == true {
                    // `kubectl get namespace <ns>`: its phase, or gone.
                    let phase = c
                        .store()
                        .list("Namespace", None)
                        .find(|n| n.name() == ns)
                        .map(|n| n.to_value()["status"]["phase"].clone())
                        .unwrap_or_else(|| json!("NotFound"));
                    extra.insert("namespace".into(), phase);
                }
                snapshots.push(snapshot(&c, &ns, &mut extra))
            }
            other => panic!("unknown step {other}"),
        }
    }
    let actual = serde_yaml_ng::to_string(&snapshots).unwrap();
    let output_path = dir().join(format!("{name}.output.yaml"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&output_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&output_path).unwrap_or_default();
    if expected != actual {
        let mut diff = String::new();
        let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
        for i in 0..e.len().max(a.len()) {
            match (e.get(i), a.get(i)) {
                (Some(x), Some(y)) if x == y => {}
                (x, y) => {
                    if let Some(x) = x {
                        diff.push_str(&format!("-{i:4} {x}\n"));
                    }
                    if let Some(y) = y {
                        diff.push_str(&format!("+{i:4} {y}\n"));
                    }
                }
            }
        }
        panic!(
            "scenario {name} differs from {} (UPDATE_GOLDEN=1 rewrites it):\n{diff}",
            output_path.display()
        );
    }
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run(stringify!($name)); })*
    };
}

scenarios! {
    deployment_comes_up,
    image_pull_backoff_fixed_by_image_load,
    image_pull_backoff_fixed_by_push,
    image_pull_backoff_fixed_by_name,
    crash_loop_backoff,
    pending_insufficient_cpu,
    pending_cpu_in_one_batch,
    pending_untolerated_taint,
    service_selects_nothing,
    readiness_failure_leaves_endpoints,
    oom_killed,
    missing_configmap_key,
    pvc_pending_without_storage_class,
    rolling_update_and_undo,
    self_healing_after_pod_delete,
    scale_up_and_down,
    liveness_probe_restarts,
    job_runs_to_completion,
    init_container_then_app,
    service_routes_to_ready_pods,
    recreate_strategy,
    statefulset_ordered_with_claims,
    statefulset_rolling_update,
    statefulset_on_delete,
    hpa_scales_with_load,
    hpa_without_cpu_requests,
    pending_cpu_fixed_by_lower_request,
    node_stops_and_comes_back,
    daemonset_one_pod_per_node,
    cronjob_every_minute,
    job_backoff_limit_exceeded,
    job_parallel_completions,
    namespace_deleted_with_contents,
    pod_graceful_termination,
    deployment_orphan_delete,
    deployment_foreground_delete,
    finalizer_holds_pod,
    scheduler_node_selector_and_affinity,
    scheduler_pod_anti_affinity,
    scheduler_cordoned_node,
    pvc_dynamically_provisioned,
    ingress_routes_by_host_and_path,
    startup_probe_delays_liveness,
    readiness_exec_probe,
    sidecar_with_downward_api,
    daemonset_follows_nodes,
}
