use super::*;
use serde_json::json;

fn now() -> Timestamp {
    "2026-01-01T01:00:00Z".parse().unwrap()
}

fn cells_of(kind: &str, obj: Value) -> Vec<String> {
    cells(kind, &obj, now())
        .into_iter()
        .map(|c| match c {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn every_row_has_one_cell_per_column() {
    let kinds = [
        "Pod",
        "Deployment",
        "ReplicaSet",
        "ReplicationController",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Service",
        "Endpoints",
        "EndpointSlice",
        "Node",
        "Namespace",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Event",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "StorageClass",
        "Ingress",
        "IngressClass",
        "HorizontalPodAutoscaler",
        "ResourceQuota",
        "LimitRange",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "Lease",
        "ControllerRevision",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Unknown",
    ];
    for kind in kinds {
        let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:59:00Z"}});
        assert_eq!(
            cells(kind, &obj, now()).len(),
            columns(kind).len(),
            "{kind}"
        );
    }
}

#[test]
fn running_pod_with_restarts_shows_last_restart_age() {
    let pod = json!({
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"nodeName": "minikube", "containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "podIPs": [{"ip": "10.244.0.5"}],
            "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 3, "state": {"running": {}},
                 "lastState": {"terminated": {"finishedAt": "2026-01-01T00:59:48Z"}}},
                {"name": "b", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ]
        }
    });
    assert_eq!(
        cells_of("Pod", pod),
        [
            "web",
            "1/2",
            "CrashLoopBackOff",
            "3 (12s ago)",
            "60m",
            "10.244.0.5",
            "minikube",
            "<none>",
            "<none>"
        ]
    );
}

#[test]
fn pod_status_cases() {
    let status = |s: Value, extra: Value| {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "i"}]}, "status": s});
        if let Some(m) = extra.as_object() {
            for (k, v) in m {
                pod["metadata"][k] = v.clone();
            }
        }
        cells_of("Pod", pod)[2].clone()
    };
    assert_eq!(status(json!({"phase": "Pending"}), json!({})), "Pending");
    assert_eq!(
        status(
            json!({"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"waiting": {"reason": "PodInitializing"}}}]}),
            json!({})
        ),
        "Init:0/1"
    );
    assert_eq!(
        status(
            json!({"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 2}}}]}),
            json!({})
        ),
        "Init:ExitCode:2"
    );
    assert_eq!(
        status(
            json!({"phase": "Pending", "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
            json!({})
        ),
        "ImagePullBackOff"
    );
    assert_eq!(
        status(
            json!({"phase": "Succeeded", "containerStatuses": [{"name": "c", "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}),
            json!({})
        ),
        "Completed"
    );
    assert_eq!(
        status(
            json!({"phase": "Running", "containerStatuses": [{"name": "c", "ready": true, "state": {"running": {}}}]}),
            json!({"deletionTimestamp": "2026-01-01T00:00:00Z"})
        ),
        "Terminating"
    );
}

#[test]
fn services_print_ports_and_external_ips() {
    let svc = json!({
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:59:30Z"},
        "spec": {"type": "NodePort", "clusterIPs": ["10.96.0.10"], "selector": {"app": "web"},
                 "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]}
    });
    assert_eq!(
        cells_of("Service", svc),
        [
            "web",
            "NodePort",
            "10.96.0.10",
            "<none>",
            "80:30080/TCP,443/TCP",
            "30s",
            "app=web"
        ]
    );
    let lb = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.11"], "ports": []}});
    assert_eq!(cells_of("Service", lb)[3..5], ["<pending>", "<none>"]);
}

#[test]
fn nodes_show_roles_and_scheduling_disabled() {
    let node = json!({
        "metadata": {"name": "minikube", "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"unschedulable": true},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.33.1"},
                   "addresses": [{"type": "InternalIP", "address": "192.168.49.2"}]}
    });
    let c = cells_of("Node", node);
    assert_eq!(
        c[..3],
        ["minikube", "Ready,SchedulingDisabled", "control-plane"]
    );
    assert_eq!(c[4..7], ["v1.33.1", "192.168.49.2", "<none>"]);
}

#[test]
fn storage_class_default_marker_and_job_completions() {
    let sc = json!({"metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                    "provisioner": "k8s.io/minikube-hostpath"});
    assert_eq!(
        cells_of("StorageClass", sc)[..5],
        [
            "standard (default)",
            "k8s.io/minikube-hostpath",
            "Delete",
            "Immediate",
            "false"
        ]
    );
    let job = json!({"metadata": {"name": "pi"}, "spec": {"completions": 1},
                     "status": {"succeeded": 1, "startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:00:09Z",
                                "conditions": [{"type": "Complete", "status": "True"}]}});
    assert_eq!(cells_of("Job", job)[..4], ["pi", "Complete", "1/1", "9s"]);
}

#[test]
fn events_name_the_involved_object() {
    let ev = json!({"metadata": {"name": "p.1"}, "type": "Normal", "reason": "Scheduled",
                    "involvedObject": {"kind": "Pod", "name": "p"}, "message": "Successfully assigned default/p to minikube",
                    "firstTimestamp": "2026-01-01T00:59:00Z", "lastTimestamp": "2026-01-01T00:59:50Z", "count": 1,
                    "source": {"component": "default-scheduler"}});
    let c = cells_of("Event", ev);
    assert_eq!(c[..4], ["10s", "Normal", "Scheduled", "pod/p"]);
    assert_eq!(
        c[5..],
        [
            "default-scheduler",
            "Successfully assigned default/p to minikube",
            "60s",
            "1",
            "p.1"
        ]
    );
}

/// The API server prints a pod's row from [`pod_row_source`]: every cell (and the row's
/// conditions) must be what the whole pod gives, for pods in every state the printer tells apart.
#[test]
fn a_pods_row_source_prints_as_the_whole_pod() {
    use k8s_openapi::api::core::v1::Pod;
    let container = |name: &str| {
        json!({"name": name, "image": "nginx:1.27", "resources": {},
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets"}]})
    };
    let status = |name: &str, ready: bool, restarts: i32, state: Value, last: Value| {
        json!({
            "name": name, "image": "nginx:1.27", "imageID": "", "ready": ready, "started": ready,
            "restartCount": restarts, "state": state, "lastState": last,
        })
    };
    let base = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z",
                     "labels": {"app": "web"}, "uid": "u1", "resourceVersion": "7"},
        "spec": {
            "nodeName": "minikube",
            "containers": [container("a"), container("b")],
            "initContainers": [
                {"name": "init", "image": "busybox"},
                {"name": "sidecar", "image": "busybox", "restartPolicy": "Always"},
            ],
            "readinessGates": [{"conditionType": "example.com/ready"}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
        },
    });
    let states = [
        json!({"phase": "Pending"}),
        json!({"phase": "Pending", "initContainerStatuses": [
            status("init", false, 0, json!({"waiting": {"reason": "PodInitializing"}}), json!({})),
            status("sidecar", false, 0, json!({"waiting": {}}), json!({}))]}),
        json!({"phase": "Running", "podIP": "10.244.0.9", "podIPs": [{"ip": "10.244.0.9"}],
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"},
                           {"type": "example.com/ready", "status": "True"}],
            "initContainerStatuses": [
                status("init", false, 0, json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), json!({})),
                status("sidecar", true, 2, json!({"running": {"startedAt": "2026-01-01T00:00:05Z"}}),
                       json!({"terminated": {"exitCode": 1, "finishedAt": "2026-01-01T00:58:00Z"}}))],
            "containerStatuses": [
                status("a", true, 3, json!({"running": {}}), json!({"terminated": {"exitCode": 137, "finishedAt": "2026-01-01T00:59:48Z"}})),
                status("b", false, 0, json!({"waiting": {"reason": "CrashLoopBackOff"}}), json!({}))]}),
        json!({"phase": "Succeeded", "conditions": [{"type": "Initialized", "status": "True"}],
            "containerStatuses": [
                status("a", false, 0, json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), json!({})),
                status("b", false, 0, json!({"terminated": {"exitCode": 0, "signal": 9}}), json!({}))]}),
        json!({"phase": "Failed", "reason": "Evicted", "nominatedNodeName": "other"}),
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
    ];
    for (i, st) in states.iter().enumerate() {
        for deleting in [false, true] {
            let mut whole = base.clone();
            whole["status"] = st.clone();
            if deleting {
                whole["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:59:59Z");
            }
            let typed: Pod = serde_json::from_value(whole.clone()).unwrap();
            let whole = serde_json::to_value(&typed).unwrap();
            let source = pod_row_source(&typed);
            assert_eq!(
                row("Pod", &source, now()),
                row("Pod", &whole, now()),
                "state {i}, deleting {deleting}"
            );
            assert_eq!(source["metadata"], whole["metadata"]);
        }
    }
}
