//! What a fresh `minikube start` cluster holds: its nodes (shape chosen per exercise), the
//! kube-system pods (static control-plane pods, kube-proxy, CoreDNS, the storage provisioner),
//! the `kubernetes` and `kube-dns` Services, the `standard` default StorageClass, and the
//! built-in RBAC roles. System workloads are started by the same controllers and kubelets as a
//! learner's, so they show the same statuses and events.

use jiff::SignedDuration;
use serde_json::{json, Value};

use crate::images::ImageRef;
use crate::Cluster;

/// One worker node of an exercise's cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerShape {
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    /// Taints as (key, value, effect).
    pub taints: Vec<(String, String, String)>,
    pub labels: Vec<(String, String)>,
}

impl Default for WorkerShape {
    fn default() -> Self {
        WorkerShape {
            cpu: "2".into(),
            memory: "8025424Ki".into(),
            pods: 110,
            taints: Vec::new(),
            labels: Vec::new(),
        }
    }
}

/// The shape of the cluster's nodes. The default is a single `minikube` node that runs
/// everything, as `minikube start` gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub control_plane_cpu: String,
    pub control_plane_memory: String,
    pub control_plane_pods: u32,
    /// Whether the control-plane node keeps its `node-role.kubernetes.io/control-plane:NoSchedule`
    /// taint (kubeadm and kind clusters with workers do; single-node minikube removes it).
    pub control_plane_taint: bool,
    /// Workers `minikube-m02`, `minikube-m03`, ... in order.
    pub workers: Vec<WorkerShape>,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            control_plane_cpu: "2".into(),
            control_plane_memory: "8025424Ki".into(),
            control_plane_pods: 110,
            control_plane_taint: false,
            workers: Vec::new(),
        }
    }
}

impl Shape {
    /// A control plane (tainted) and `n` workers of the given size: the usual multi-node lab.
    pub fn with_workers(n: usize, cpu: &str, memory: &str) -> Shape {
        Shape {
            control_plane_taint: true,
            workers: (0..n)
                .map(|_| WorkerShape {
                    cpu: cpu.into(),
                    memory: memory.into(),
                    ..WorkerShape::default()
                })
                .collect(),
            ..Shape::default()
        }
    }
}

/// Images a fresh minikube node already has (its preload).
const PRELOADED: &[&str] = &[
    "registry.k8s.io/pause:3.10",
    "registry.k8s.io/etcd:3.5.21-0",
    "registry.k8s.io/kube-apiserver:v1.33.1",
    "registry.k8s.io/kube-controller-manager:v1.33.1",
    "registry.k8s.io/kube-scheduler:v1.33.1",
    "registry.k8s.io/kube-proxy:v1.33.1",
    "registry.k8s.io/coredns/coredns:v1.12.0",
    "gcr.io/k8s-minikube/storage-provisioner:v5",
];

/// How long before the session starts `minikube start` ran, so system objects have an age.
const BOOTED_SECONDS_BEFORE: i64 = 95;

fn node(
    name: &str,
    index: usize,
    cpu: &str,
    memory: &str,
    pods: u32,
    control_plane: bool,
    taints: &[(String, String, String)],
    extra_labels: &[(String, String)],
) -> Value {
    let mut labels = json!({
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        "minikube.k8s.io/commit": "f8f52f5de11fc6ad8244afac475e1d0f96841df1-dirty",
        "minikube.k8s.io/name": "minikube",
        "minikube.k8s.io/primary": if control_plane { "true" } else { "false" },
        "minikube.k8s.io/updated_at": "2026_01_01T00_00_00_0700",
        "minikube.k8s.io/version": "v1.36.0",
    });
    if control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = json!("");
    }
    for (k, v) in extra_labels {
        labels[k] = json!(v);
    }
    let cidr = format!("10.244.{index}.0/24");
    let ip = format!("192.168.49.{}", index + 2);
    let taints: Vec<Value> = taints
        .iter()
        .map(|(k, v, e)| {
            let mut t = json!({"key": k, "effect": e});
            if !v.is_empty() {
                t["value"] = json!(v);
            }
            t
        })
        .collect();
    let mut spec = json!({"podCIDR": cidr, "podCIDRs": [cidr]});
    if !taints.is_empty() {
        spec["taints"] = json!(taints);
    }
    let resources = json!({"cpu": cpu, "ephemeral-storage": "61202244Ki", "hugepages-2Mi": "0", "memory": memory, "pods": pods.to_string()});
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {
            "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/cri-dockerd.sock",
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"
        }},
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "allocatable": resources, "capacity": resources,
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": PRELOADED.iter().map(|i| json!({"names": [i], "sizeBytes": 50000000})).collect::<Vec<_>>(),
            "nodeInfo": {
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "docker://28.1.1",
                "kernelVersion": "6.8.0-1030-gcp", "kubeProxyVersion": "v1.33.1", "kubeletVersion": "v1.33.1",
                "machineID": "", "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS", "systemUUID": ""
            }
        }
    })
}

fn static_pod(name: &str, component: &str, image: &str, cpu: &str, memory: Option<&str>) -> Value {
    let mut requests = json!({"cpu": cpu});
    if let Some(m) = memory {
        requests["memory"] = json!(m);
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("{name}-minikube"), "namespace": "kube-system",
            "labels": {"component": component, "tier": "control-plane"},
            "annotations": {"kubernetes.io/config.source": "file", "kubernetes.io/config.hash": "0c7bb1e0b0b2b6a4f5f1e3d0c2a1b9e8"}
        },
        "spec": {
            "nodeName": "minikube", "hostNetwork": true, "priorityClassName": "system-node-critical", "priority": 2000001000,
            "containers": [{"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": {"requests": requests}}],
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}]
        }
    })
}

/// Installs the default cluster into an empty one whose namespaces exist.
pub fn install(c: &mut Cluster, shape: &Shape) {
    let start = c.now();
    c.now = start
        .checked_sub(SignedDuration::from_secs(BOOTED_SECONDS_BEFORE))
        .unwrap_or(start);
    let cp_taints = if shape.control_plane_taint {
        vec![(
            "node-role.kubernetes.io/control-plane".to_string(),
            String::new(),
            "NoSchedule".to_string(),
        )]
    } else {
        Vec::new()
    };
    let mut objects = vec![node(
        "minikube",
        0,
        &shape.control_plane_cpu,
        &shape.control_plane_memory,
        shape.control_plane_pods,
        true,
        &cp_taints,
        &[],
    )];
    for (i, w) in shape.workers.iter().enumerate() {
        let name = format!("minikube-m{:02}", i + 2);
        objects.push(node(
            &name,
            i + 1,
            &w.cpu,
            &w.memory,
            w.pods,
            false,
            &w.taints,
            &w.labels,
        ));
    }
    for o in objects {
        c.create_system(o);
    }
    let nodes: Vec<String> = c
        .store()
        .list("Node", None)
        .map(|o| o.name().to_string())
        .collect();
    for n in &nodes {
        let store = c.runtime.node_images.entry(n.clone()).or_default();
        for image in PRELOADED {
            store.add(&ImageRef::parse(image), 50_000_000);
        }
    }
    for body in system_objects() {
        c.create_system(body);
    }
    c.settle();
    c.advance_to(start);
}

fn system_objects() -> Vec<Value> {
    let mut v = vec![
        static_pod(
            "etcd",
            "etcd",
            "registry.k8s.io/etcd:3.5.21-0",
            "100m",
            Some("100Mi"),
        ),
        static_pod(
            "kube-apiserver",
            "kube-apiserver",
            "registry.k8s.io/kube-apiserver:v1.33.1",
            "250m",
            None,
        ),
        static_pod(
            "kube-controller-manager",
            "kube-controller-manager",
            "registry.k8s.io/kube-controller-manager:v1.33.1",
            "200m",
            None,
        ),
        static_pod(
            "kube-scheduler",
            "kube-scheduler",
            "registry.k8s.io/kube-scheduler:v1.33.1",
            "100m",
            None,
        ),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}], "sessionAffinity": "None"}
        }),
        json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": "192.168.49.2"}], "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}]}]
        }),
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["192.168.49.2"], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}]
        }),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
                "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "selector": {"k8s-app": "kube-dns"}, "sessionAffinity": "None",
                "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}, {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}, {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}
        }),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "kube-dns"}},
                    "spec": {
                        "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns", "dnsPolicy": "Default",
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}, {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                        "containers": [{
                            "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.12.0", "imagePullPolicy": "IfNotPresent",
                            "args": ["-conf", "/etc/coredns/Corefile"],
                            "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"}, {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"}, {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                            "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}, "periodSeconds": 10, "failureThreshold": 3, "successThreshold": 1, "timeoutSeconds": 1},
                            "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60, "periodSeconds": 10, "failureThreshold": 5, "successThreshold": 1, "timeoutSeconds": 5}
                        }]
                    }
                }
            }
        }),
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy"}},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                    "spec": {
                        "priorityClassName": "system-node-critical", "hostNetwork": true, "serviceAccountName": "kube-proxy",
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                        "tolerations": [{"operator": "Exists"}],
                        "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.33.1", "imagePullPolicy": "IfNotPresent",
                            "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"]}]
                    }
                }
            }
        }),
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "storage-provisioner", "namespace": "kube-system",
                "labels": {"addonmanager.kubernetes.io/mode": "Reconcile", "integration-test": "storage-provisioner"}},
            "spec": {"serviceAccountName": "storage-provisioner", "hostNetwork": true,
                "containers": [{"name": "storage-provisioner", "image": "gcr.io/k8s-minikube/storage-provisioner:v5", "imagePullPolicy": "IfNotPresent", "command": ["/storage-provisioner"]}]}
        }),
        json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard", "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "k8s.io/minikube-hostpath", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"
        }),
    ];
    // ServiceAccounts first: ServiceAccount admission refuses pods whose account is missing.
    for sa in ["coredns", "kube-proxy", "storage-provisioner"] {
        v.insert(0, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": "kube-system"}}));
    }
    v.extend(rbac());
    v
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];

/// The default ClusterRoles and bindings the RBAC authorizer relies on (bootstrap policy).
fn rbac() -> Vec<Value> {
    let all: Vec<&str> = READ.iter().chain(WRITE.iter()).copied().collect();
    let view_core = [
        "configmaps",
        "endpoints",
        "persistentvolumeclaims",
        "persistentvolumeclaims/status",
        "pods",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "serviceaccounts",
        "services",
        "services/status",
        "bindings",
        "events",
        "limitranges",
        "namespaces/status",
        "pods/log",
        "pods/status",
        "replicationcontrollers/status",
        "resourcequotas",
        "resourcequotas/status",
        "namespaces",
    ];
    let view_apps = [
        "controllerrevisions",
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "statefulsets",
        "statefulsets/scale",
        "statefulsets/status",
    ];
    let view_rules = vec![
        rule(&[""], &view_core, READ),
        rule(&["apps"], &view_apps, READ),
        rule(
            &["autoscaling"],
            &[
                "horizontalpodautoscalers",
                "horizontalpodautoscalers/status",
            ],
            READ,
        ),
        rule(
            &["batch"],
            &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
            READ,
        ),
        rule(
            &["networking.k8s.io"],
            &["ingresses", "ingresses/status", "networkpolicies"],
            READ,
        ),
        rule(
            &["policy"],
            &["poddisruptionbudgets", "poddisruptionbudgets/status"],
            READ,
        ),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
    ];
    let edit_core = [
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "configmaps",
        "endpoints",
        "persistentvolumeclaims",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "secrets",
        "serviceaccounts",
        "services",
        "services/proxy",
    ];
    let mut edit_rules = vec![
        rule(&[""], &edit_core, &all),
        rule(&[""], &["pods/eviction"], &["create"]),
        rule(&[""], &["serviceaccounts/token"], &["create"]),
        rule(
            &["apps"],
            &[
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
            ],
            &all,
        ),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], &all),
        rule(&["batch"], &["cronjobs", "jobs"], &all),
        rule(
            &["networking.k8s.io"],
            &["ingresses", "networkpolicies"],
            &all,
        ),
        rule(&["policy"], &["poddisruptionbudgets"], &all),
        rule(&[""], &["secrets"], READ),
    ];
    edit_rules.extend(view_rules.iter().cloned());
    let mut admin_rules = vec![
        rule(
            &["rbac.authorization.k8s.io"],
            &["rolebindings", "roles"],
            &all,
        ),
        rule(
            &["authorization.k8s.io"],
            &["localsubjectaccessreviews"],
            &["create"],
        ),
    ];
    admin_rules.extend(edit_rules.iter().cloned());
    let role = |name: &str, rules: Vec<Value>, labels: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}, "rules": rules})
    };
    let boot = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
    let binding = |name: &str, role: &str, kind: &str, subject: &str| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}]})
    };
    vec![
        role(
            "cluster-admin",
            vec![
                json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                json!({"nonResourceURLs": ["*"], "verbs": ["*"]}),
            ],
            boot.clone(),
        ),
        role(
            "admin",
            admin_rules,
            json!({"kubernetes.io/bootstrapping": "rbac-defaults"}),
        ),
        role(
            "edit",
            edit_rules,
            json!({"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-admin": "true"}),
        ),
        role(
            "view",
            view_rules,
            json!({"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-edit": "true"}),
        ),
        role(
            "system:basic-user",
            vec![
                rule(
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    &["create"],
                ),
                rule(
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                    &["create"],
                ),
            ],
            boot.clone(),
        ),
        role(
            "system:discovery",
            vec![
                json!({"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}),
            ],
            boot.clone(),
        ),
        role(
            "system:public-info-viewer",
            vec![
                json!({"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}),
            ],
            boot.clone(),
        ),
        role(
            "system:kube-scheduler",
            vec![
                rule(&[""], &["pods", "nodes"], READ),
                rule(&[""], &["bindings", "pods/binding"], &["create"]),
                rule(&[""], &["pods/status"], &["patch", "update"]),
                rule(
                    &["", "events.k8s.io"],
                    &["events"],
                    &["create", "patch", "update"],
                ),
            ],
            boot.clone(),
        ),
        role(
            "system:kube-controller-manager",
            vec![json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})],
            boot.clone(),
        ),
        role(
            "system:node",
            vec![
                rule(
                    &[""],
                    &[
                        "pods",
                        "nodes",
                        "services",
                        "endpoints",
                        "configmaps",
                        "secrets",
                    ],
                    READ,
                ),
                rule(
                    &[""],
                    &["pods/status", "nodes/status"],
                    &["patch", "update"],
                ),
            ],
            boot.clone(),
        ),
        binding("cluster-admin", "cluster-admin", "Group", "system:masters"),
        binding(
            "system:basic-user",
            "system:basic-user",
            "Group",
            "system:authenticated",
        ),
        binding(
            "system:discovery",
            "system:discovery",
            "Group",
            "system:authenticated",
        ),
        binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            "Group",
            "system:unauthenticated",
        ),
        binding(
            "system:kube-scheduler",
            "system:kube-scheduler",
            "User",
            "system:kube-scheduler",
        ),
        binding(
            "system:kube-controller-manager",
            "system:kube-controller-manager",
            "User",
            "system:kube-controller-manager",
        ),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "minikube-rbac"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}]}),
    ]
}
