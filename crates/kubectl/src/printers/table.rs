//! Server-side `Table` generation: the columns and cells of upstream
//! `pkg/printers/internalversion/printers.go`, for every served kind.
//!
//! The API server answers `as=Table` requests with [`table`]; kubectl then only lays the cells
//! out. Cells are generated as for `GenerateOptions{Wide: true}` (the server always includes the
//! priority-1 columns; kubectl drops them unless `-o wide`).

use jiff::Timestamp;
use serde_json::{json, Value};

use super::age::{human_duration, parse, seconds_between, since};
use super::fields::*;

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// One column definition: (name, type, format, priority, description).
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: &'static str,
    pub format: &'static str,
    pub priority: u8,
    pub description: &'static str,
}

const fn col(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        format: "",
        priority: 0,
        description,
    }
}
const fn wide(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        format: "",
        priority: 1,
        description,
    }
}
const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    priority: 0,
    description: NAME_DESC,
};
const AGE: Column = col("Age", AGE_DESC);
const CONTAINERS: Column = wide("Containers", "Names of each container in the template.");
const IMAGES: Column = wide(
    "Images",
    "Images referenced by each container in the template.",
);
const SELECTOR: Column = wide("Selector", "A label query over pods that should match the replica count. Must match in order to be controlled. If empty, defaulted to labels on pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors");

/// The column definitions for a kind (`Pod`, `Deployment`, ...). Unknown kinds get NAME and AGE,
/// like the server's default table convertor.
pub fn columns(kind: &str) -> &'static [Column] {
    match kind {
        "Pod" => {
            const C: &[Column] = &[
            NAME,
            col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "The aggregate status of the containers in this pod."),
            col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            AGE,
            wide("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            wide("Node", "NodeName indicates in which node this pod is scheduled."),
            wide("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
            wide("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness."),
        ];
            C
        }
        "Deployment" => {
            const C: &[Column] = &[
            NAME,
            col("Ready", "Number of the pod with ready state"),
            col("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            col("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ];
            C
        }
        "ReplicaSet" | "ReplicationController" => {
            const C: &[Column] = &[
                NAME,
                col("Desired", "Number of desired pods."),
                col("Current", "Number of actual replicas."),
                col(
                    "Ready",
                    "The number of ready replicas for this replica set.",
                ),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ];
            C
        }
        "StatefulSet" => {
            const C: &[Column] = &[
                NAME,
                col("Ready", "Number of the pod with ready state"),
                AGE,
                CONTAINERS,
                IMAGES,
            ];
            C
        }
        "DaemonSet" => {
            const C: &[Column] = &[
            NAME,
            col("Desired", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
            col("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            col("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            col("Up-to-date", "The total number of nodes that are running updated daemon pod"),
            col("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            col("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ];
            C
        }
        "Job" => {
            const C: &[Column] = &[
                NAME,
                col("Status", "Status of the job."),
                col("Completions", "The completion status of the job."),
                col("Duration", "Time required to complete the job."),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ];
            C
        }
        "CronJob" => {
            const C: &[Column] = &[
            NAME,
            col("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            col("Timezone", "The time zone name for the given schedule."),
            col("Suspend", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
            col("Active", "A list of pointers to currently running jobs."),
            col("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ];
            C
        }
        "Service" => {
            const C: &[Column] = &[
            NAME,
            col("Type", "type determines how the Service is exposed."),
            col("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            col("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            col("Port(s)", "The list of ports that are exposed by this service."),
            AGE,
            wide("Selector", "Route service traffic to pods with label keys and values matching this selector."),
        ];
            C
        }
        "Endpoints" => {
            const C: &[Column] = &[NAME, col("Endpoints", "Endpoints of the service"), AGE];
            C
        }
        "EndpointSlice" => {
            const C: &[Column] = &[
                NAME,
                col("AddressType", "The IP protocol for this slice"),
                col("Ports", "The ports exposed by this slice"),
                col("Endpoints", "The endpoints of this slice"),
                AGE,
            ];
            C
        }
        "Node" => {
            const C: &[Column] = &[
            NAME,
            col("Status", "The status of the node"),
            col("Roles", "The roles of the node"),
            AGE,
            col("Version", "Kubelet Version reported by the node."),
            wide("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available."),
            wide("External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available."),
            wide("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
            wide("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
            wide("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
        ];
            C
        }
        "Namespace" => {
            const C: &[Column] = &[NAME, col("Status", "The status of the namespace"), AGE];
            C
        }
        "ConfigMap" => {
            const C: &[Column] = &[NAME, col("Data", "Number of keys in the config map"), AGE];
            C
        }
        "Secret" => {
            const C: &[Column] = &[
                NAME,
                col("Type", "The type of the secret"),
                col("Data", "Number of keys in the secret"),
                AGE,
            ];
            C
        }
        "ServiceAccount" => {
            const C: &[Column] = &[
            NAME,
            col("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            AGE,
        ];
            C
        }
        "Event" => {
            const C: &[Column] = &[
            col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            col("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            col("Object", "The object that this event is about."),
            wide("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]."),
            wide("Source", "The component reporting this event. Should be a short machine understandable string."),
            col("Message", "A human-readable description of the status of this operation."),
            wide("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
            wide("Count", "The number of times this event has occurred."),
            Column { name: "Name", kind: "string", format: "name", priority: 1, description: NAME_DESC },
        ];
            C
        }
        "PersistentVolumeClaim" => {
            const C: &[Column] = &[
            NAME,
            col("Status", "status represents the current information/status of a persistent volume claim. Read-only."),
            col("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            col("Capacity", "capacity represents the actual resources of the underlying volume."),
            col("Access Modes", "accessModes contains the desired access modes the volume should have."),
            col("StorageClass", "storageClassName is the name of the StorageClass required by the claim."),
            col("VolumeAttributesClass", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
            AGE,
            wide("VolumeMode", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec."),
        ];
            C
        }
        "PersistentVolume" => {
            const C: &[Column] = &[
            NAME,
            col("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
            col("Access Modes", "accessModes contains all ways the volume can be mounted."),
            col("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            col("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            col("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            col("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
            col("VolumeAttributesClass", "Name of VolumeAttributesClass to which this persistent volume belongs."),
            col("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            AGE,
            wide("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
        ];
            C
        }
        "StorageClass" => {
            const C: &[Column] = &[
            NAME,
            col("Provisioner", "provisioner indicates the type of the provisioner."),
            col("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
            col("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
            col("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
            AGE,
        ];
            C
        }
        "Ingress" => {
            const C: &[Column] = &[
                NAME,
                col(
                    "Class",
                    "The name of the IngressClass resource that should be used for this Ingress.",
                ),
                col(
                    "Hosts",
                    "Hosts that incoming requests are matched against before the ingress rule",
                ),
                col(
                    "Address",
                    "Address is a list containing ingress points for the load-balancer",
                ),
                col("Ports", "Ports of TLS configurations that open"),
                AGE,
            ];
            C
        }
        "IngressClass" => {
            const C: &[Column] = &[
                NAME,
                col(
                    "Controller",
                    "Controller that is responsible for handling this class",
                ),
                col(
                    "Parameters",
                    "A reference to a resource with additional parameters",
                ),
                AGE,
            ];
            C
        }
        "HorizontalPodAutoscaler" => {
            const C: &[Column] = &[
            NAME,
            col("Reference", "reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource."),
            col("Targets", "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
            col("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
            col("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
            col("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
            AGE,
        ];
            C
        }
        "ResourceQuota" => {
            const C: &[Column] = &[
            NAME,
            AGE,
            col("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
            col("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
        ];
            C
        }
        "LimitRange" | "Role" | "ClusterRole" => {
            const C: &[Column] = &[
                NAME,
                Column {
                    name: "Created At",
                    kind: "date",
                    format: "",
                    priority: 0,
                    description: AGE_DESC,
                },
            ];
            C
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            const C: &[Column] = &[
                NAME,
                col("Role", "Role could be either a Role or ClusterRole"),
                AGE,
                wide("Users", "Users in the roleBinding"),
                wide("Groups", "Groups in the roleBinding"),
                wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
            ];
            C
        }
        "Lease" => {
            const C: &[Column] = &[
                NAME,
                col(
                    "Holder",
                    "holderIdentity contains the identity of the holder of a current lease.",
                ),
                AGE,
            ];
            C
        }
        "ControllerRevision" => {
            const C: &[Column] = &[
                NAME,
                col("Controller", "Controller of the object"),
                col(
                    "Revision",
                    "Revision indicates the revision of the state represented by Data.",
                ),
                AGE,
            ];
            C
        }
        "PodDisruptionBudget" => {
            const C: &[Column] = &[
            NAME,
            col("Min Available", "The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\"."),
            col("Max Unavailable", "The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\"."),
            col("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
            AGE,
        ];
            C
        }
        "NetworkPolicy" => {
            const C: &[Column] = &[
            NAME,
            col("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace."),
            AGE,
        ];
            C
        }
        _ => {
            const C: &[Column] = &[NAME, AGE];
            C
        }
    }
}

/// Builds a `meta.k8s.io/v1` Table for objects of one kind. Rows have `cells` (and `conditions`
/// for finished pods); the caller adds each row's `object` as the request asked
/// (`includeObject=Metadata|Object|None`) and the list metadata.
pub fn table(kind: &str, objects: &[Value], now: Timestamp) -> Value {
    let defs: Vec<Value> = columns(kind)
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let rows: Vec<Value> = objects.iter().map(|o| row(kind, o, now)).collect();
    // Built as a map, not with `json!`, which would copy the rows through a serializer.
    object([
        ("kind", json!("Table")),
        ("apiVersion", json!("meta.k8s.io/v1")),
        ("metadata", json!({})),
        ("columnDefinitions", Value::Array(defs)),
        ("rows", Value::Array(rows)),
    ])
}

/// A JSON object of values already built. `json!` serialises each value it is given, so a
/// value that is itself JSON would be copied whole: a Table's rows, a pod's status.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// One Table row for one object.
pub fn row(kind: &str, obj: &Value, now: Timestamp) -> Value {
    let mut row = object([("cells", Value::Array(cells(kind, obj, now)))]);
    if kind == "Pod" {
        let cond = match str_at(obj, &["status", "phase"]) {
            "Succeeded" => Some(("Succeeded", "The pod has completed successfully.")),
            "Failed" => Some(("Failed", "The pod failed.")),
            _ => None,
        };
        if let Some((reason, message)) = cond {
            row["conditions"] = json!([{
                "type": "Completed", "status": "True", "reason": reason, "message": message,
            }]);
        }
    }
    row
}

fn name(obj: &Value) -> Value {
    Value::String(str_at(obj, &["metadata", "name"]).to_string())
}

fn age(obj: &Value, now: Timestamp) -> Value {
    Value::String(since(
        at(obj, &["metadata", "creationTimestamp"]).as_str(),
        now,
    ))
}

/// The cells of one object's row, wide columns included.
pub fn cells(kind: &str, obj: &Value, now: Timestamp) -> Vec<Value> {
    match kind {
        "Pod" => pod_cells(obj, now),
        "Deployment" => {
            let spec = at(obj, &["spec"]);
            let status = at(obj, &["status"]);
            let desired = spec.get("replicas").and_then(Value::as_i64).unwrap_or(0);
            let (names, images) = containers(at(spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(format!(
                    "{}/{}",
                    int_at(status, &["readyReplicas"]),
                    desired
                )),
                json!(int_at(status, &["updatedReplicas"])),
                json!(int_at(status, &["availableReplicas"])),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector_string(at(spec, &["selector"]))),
            ]
        }
        "ReplicaSet" => {
            let spec = at(obj, &["spec"]);
            let (names, images) = containers(at(spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(int_at(spec, &["replicas"])),
                json!(int_at(obj, &["status", "replicas"])),
                json!(int_at(obj, &["status", "readyReplicas"])),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector_string(at(spec, &["selector"]))),
            ]
        }
        "ReplicationController" => {
            let spec = at(obj, &["spec"]);
            let (names, images) = containers(at(spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(int_at(spec, &["replicas"])),
                json!(int_at(obj, &["status", "replicas"])),
                json!(int_at(obj, &["status", "readyReplicas"])),
                age(obj, now),
                json!(names),
                json!(images),
                json!(format_labels(at(spec, &["selector"]))),
            ]
        }
        "StatefulSet" => {
            let spec = at(obj, &["spec"]);
            let (names, images) = containers(at(spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(format!(
                    "{}/{}",
                    int_at(obj, &["status", "readyReplicas"]),
                    int_at(spec, &["replicas"])
                )),
                age(obj, now),
                json!(names),
                json!(images),
            ]
        }
        "DaemonSet" => {
            let spec = at(obj, &["spec"]);
            let st = at(obj, &["status"]);
            let (names, images) = containers(at(spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(int_at(st, &["desiredNumberScheduled"])),
                json!(int_at(st, &["currentNumberScheduled"])),
                json!(int_at(st, &["numberReady"])),
                json!(int_at(st, &["updatedNumberScheduled"])),
                json!(int_at(st, &["numberAvailable"])),
                json!(format_labels(at(
                    spec,
                    &["template", "spec", "nodeSelector"]
                ))),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector_string(at(spec, &["selector"]))),
            ]
        }
        "Job" => job_cells(obj, now),
        "CronJob" => {
            let spec = at(obj, &["spec"]);
            let last = match at(obj, &["status", "lastScheduleTime"]).as_str() {
                Some(t) => since(Some(t), now),
                None => "<none>".into(),
            };
            let tz = str_at(spec, &["timeZone"]);
            let suspend = match at(spec, &["suspend"]).as_bool() {
                None => "<unset>",
                Some(true) => "True",
                Some(false) => "False",
            };
            let job_spec = at(spec, &["jobTemplate", "spec"]);
            let (names, images) = containers(at(job_spec, &["template", "spec"]));
            vec![
                name(obj),
                json!(str_at(spec, &["schedule"])),
                json!(if tz.is_empty() { "<none>" } else { tz }),
                json!(suspend),
                json!(array_at(obj, &["status", "active"]).len()),
                json!(last),
                age(obj, now),
                json!(names),
                json!(images),
                json!(selector_string(at(job_spec, &["selector"]))),
            ]
        }
        "Service" => service_cells(obj, now),
        "Endpoints" => vec![name(obj), json!(format_endpoints(obj)), age(obj, now)],
        "EndpointSlice" => {
            let mut ports = Vec::new();
            let all_ports = array_at(obj, &["ports"]);
            for p in all_ports.iter().take(3) {
                ports.push(
                    match (
                        p.get("port").and_then(Value::as_i64),
                        p.get("name").and_then(Value::as_str),
                    ) {
                        (Some(n), _) => n.to_string(),
                        (None, Some(n)) => n.to_string(),
                        _ => "*".to_string(),
                    },
                );
            }
            let mut addrs = Vec::new();
            let mut count = 0;
            for ep in array_at(obj, &["endpoints"]) {
                for a in array_at(ep, &["addresses"]) {
                    if addrs.len() < 3 {
                        addrs.push(a.as_str().unwrap_or("").to_string());
                    }
                    count += 1;
                }
            }
            vec![
                name(obj),
                json!(str_at(obj, &["addressType"])),
                json!(list_with_more(&ports, all_ports.len())),
                json!(list_with_more(&addrs, count)),
                age(obj, now),
            ]
        }
        "Node" => node_cells(obj, now),
        "Namespace" => vec![
            name(obj),
            json!(str_at(obj, &["status", "phase"])),
            age(obj, now),
        ],
        "ConfigMap" => {
            let n = at(obj, &["data"]).as_object().map_or(0, |m| m.len())
                + at(obj, &["binaryData"]).as_object().map_or(0, |m| m.len());
            vec![name(obj), json!(n), age(obj, now)]
        }
        "Secret" => {
            let n = at(obj, &["data"]).as_object().map_or(0, |m| m.len());
            vec![
                name(obj),
                json!(str_at(obj, &["type"])),
                json!(n),
                age(obj, now),
            ]
        }
        "ServiceAccount" => vec![
            name(obj),
            json!(array_at(obj, &["secrets"]).len()),
            age(obj, now),
        ],
        "Event" => event_cells(obj, now),
        "PersistentVolumeClaim" => {
            let spec = at(obj, &["spec"]);
            let mut phase = str_at(obj, &["status", "phase"]);
            if !at(obj, &["metadata", "deletionTimestamp"]).is_null() {
                phase = "Terminating";
            }
            let volume = str_at(spec, &["volumeName"]);
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    str_at(obj, &["status", "capacity", "storage"]).to_string(),
                    access_modes(array_at(obj, &["status", "accessModes"])),
                )
            };
            let class = match at(
                obj,
                &[
                    "metadata",
                    "annotations",
                    "volume.beta.kubernetes.io/storage-class",
                ],
            )
            .as_str()
            {
                Some(c) => c,
                None => str_at(spec, &["storageClassName"]),
            };
            vec![
                name(obj),
                json!(phase),
                json!(volume),
                json!(capacity),
                json!(modes),
                json!(class),
                json!(unset_if_empty(str_at(spec, &["volumeAttributesClassName"]))),
                age(obj, now),
                json!(unset_if_empty(str_at(spec, &["volumeMode"]))),
            ]
        }
        "PersistentVolume" => {
            let spec = at(obj, &["spec"]);
            let claim = if spec.get("claimRef").is_some_and(|c| !c.is_null()) {
                format!(
                    "{}/{}",
                    str_at(spec, &["claimRef", "namespace"]),
                    str_at(spec, &["claimRef", "name"])
                )
            } else {
                String::new()
            };
            let mut phase = str_at(obj, &["status", "phase"]);
            if !at(obj, &["metadata", "deletionTimestamp"]).is_null() {
                phase = "Terminating";
            }
            let class = match at(
                obj,
                &[
                    "metadata",
                    "annotations",
                    "volume.beta.kubernetes.io/storage-class",
                ],
            )
            .as_str()
            {
                Some(c) => c,
                None => str_at(spec, &["storageClassName"]),
            };
            vec![
                name(obj),
                json!(str_at(spec, &["capacity", "storage"])),
                json!(access_modes(array_at(spec, &["accessModes"]))),
                json!(str_at(spec, &["persistentVolumeReclaimPolicy"])),
                json!(phase),
                json!(claim),
                json!(class),
                json!(unset_if_empty(str_at(spec, &["volumeAttributesClassName"]))),
                json!(str_at(obj, &["status", "reason"])),
                age(obj, now),
                json!(unset_if_empty(str_at(spec, &["volumeMode"]))),
            ]
        }
        "StorageClass" => {
            let annotations = at(obj, &["metadata", "annotations"]);
            let default = [
                "storageclass.kubernetes.io/is-default-class",
                "storageclass.beta.kubernetes.io/is-default-class",
            ]
            .iter()
            .any(|k| annotations.get(k).and_then(Value::as_str) == Some("true"));
            let mut n = str_at(obj, &["metadata", "name"]).to_string();
            if default {
                n.push_str(" (default)");
            }
            let reclaim = obj
                .get("reclaimPolicy")
                .and_then(Value::as_str)
                .unwrap_or("Delete");
            let binding = obj
                .get("volumeBindingMode")
                .and_then(Value::as_str)
                .unwrap_or("Immediate");
            vec![
                json!(n),
                json!(str_at(obj, &["provisioner"])),
                json!(reclaim),
                json!(binding),
                json!(obj
                    .get("allowVolumeExpansion")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)),
                age(obj, now),
            ]
        }
        "Ingress" => {
            let spec = at(obj, &["spec"]);
            let class = spec
                .get("ingressClassName")
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            let rules = array_at(spec, &["rules"]);
            let mut hosts = Vec::new();
            let mut more = false;
            for r in rules {
                if hosts.len() == 3 {
                    more = true;
                }
                let h = str_at(r, &["host"]);
                if !more && !h.is_empty() {
                    hosts.push(h.to_string());
                }
            }
            let hosts = if hosts.is_empty() {
                "*".to_string()
            } else if more {
                format!("{} + {} more...", hosts.join(","), rules.len() - 3)
            } else {
                hosts.join(",")
            };
            let ports = if array_at(spec, &["tls"]).is_empty() {
                "80"
            } else {
                "80, 443"
            };
            vec![
                name(obj),
                json!(class),
                json!(hosts),
                json!(load_balancer_string(
                    at(obj, &["status", "loadBalancer"]),
                    true
                )),
                json!(ports),
                age(obj, now),
            ]
        }
        "IngressClass" => {
            let params = at(obj, &["spec", "parameters"]);
            let parameters = if params.is_null() {
                "<none>".to_string()
            } else {
                let mut p = str_at(params, &["kind"]).to_string();
                if let Some(g) = params.get("apiGroup").and_then(Value::as_str) {
                    p.push('.');
                    p.push_str(g);
                }
                format!("{p}/{}", str_at(params, &["name"]))
            };
            vec![
                name(obj),
                json!(str_at(obj, &["spec", "controller"])),
                json!(parameters),
                age(obj, now),
            ]
        }
        "HorizontalPodAutoscaler" => hpa_cells(obj, now),
        "ResourceQuota" => {
            let hard = at(obj, &["status", "hard"]).as_object();
            let used = at(obj, &["status", "used"]);
            let mut names: Vec<&String> = hard.map(|h| h.keys().collect()).unwrap_or_default();
            names.sort();
            let (mut request, mut limit) = (Vec::new(), Vec::new());
            for r in names {
                let h = hard
                    .and_then(|h| h.get(r))
                    .map(quantity)
                    .unwrap_or_default();
                let u = used.get(r).map(quantity).unwrap_or_else(|| "0".into());
                let text = format!("{r}: {u}/{h}");
                if r.split('.').next() == Some("limits") && r.contains('.') {
                    limit.push(text);
                } else {
                    request.push(text);
                }
            }
            vec![
                name(obj),
                age(obj, now),
                json!(request.join(", ")),
                json!(limit.join(", ")),
            ]
        }
        "LimitRange" | "Role" | "ClusterRole" => {
            vec![
                name(obj),
                json!(str_at(obj, &["metadata", "creationTimestamp"])),
            ]
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let role = format!(
                "{}/{}",
                str_at(obj, &["roleRef", "kind"]),
                str_at(obj, &["roleRef", "name"])
            );
            let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
            for s in array_at(obj, &["subjects"]) {
                let n = str_at(s, &["name"]);
                match str_at(s, &["kind"]) {
                    "User" => users.push(n.to_string()),
                    "Group" => groups.push(n.to_string()),
                    "ServiceAccount" => {
                        let ns = str_at(s, &["namespace"]);
                        sas.push(if ns.is_empty() {
                            n.to_string()
                        } else {
                            format!("{ns}:{n}")
                        });
                    }
                    _ => {}
                }
            }
            vec![
                name(obj),
                json!(role),
                age(obj, now),
                json!(users.join(", ")),
                json!(groups.join(", ")),
                json!(sas.join(", ")),
            ]
        }
        "Lease" => vec![
            name(obj),
            json!(str_at(obj, &["spec", "holderIdentity"])),
            age(obj, now),
        ],
        "ControllerRevision" => {
            let controller = array_at(obj, &["metadata", "ownerReferences"])
                .iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                .map(|r| {
                    let group = str_at(r, &["apiVersion"])
                        .rsplit_once('/')
                        .map_or("", |(g, _)| g);
                    let kind = str_at(r, &["kind"]).to_lowercase();
                    let gk = if group.is_empty() {
                        kind
                    } else {
                        format!("{kind}.{group}")
                    };
                    format!("{gk}/{}", str_at(r, &["name"]))
                })
                .unwrap_or_else(|| "<none>".into());
            vec![
                name(obj),
                json!(controller),
                json!(int_at(obj, &["revision"])),
                age(obj, now),
            ]
        }
        "PodDisruptionBudget" => {
            let spec = at(obj, &["spec"]);
            let na = |k: &str| match spec.get(k) {
                Some(v) if !v.is_null() => int_or_string(v),
                _ => "N/A".into(),
            };
            vec![
                name(obj),
                json!(na("minAvailable")),
                json!(na("maxUnavailable")),
                json!(int_at(obj, &["status", "disruptionsAllowed"])),
                age(obj, now),
            ]
        }
        "NetworkPolicy" => vec![
            name(obj),
            json!(format_label_selector(at(obj, &["spec", "podSelector"]))),
            age(obj, now),
        ],
        _ => vec![name(obj), age(obj, now)],
    }
}

fn unset_if_empty(s: &str) -> &str {
    if s.is_empty() {
        "<unset>"
    } else {
        s
    }
}

fn quantity(v: &Value) -> String {
    int_or_string(v)
}

fn list_with_more(list: &[String], count: usize) -> String {
    let ret = list.join(",");
    if count > 3 {
        return format!("{ret} + {} more...", count - 3);
    }
    if ret.is_empty() {
        "<unset>".into()
    } else {
        ret
    }
}

/// `GetAccessModesAsString`: abbreviations in a fixed order.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    let mut out = Vec::new();
    for (mode, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(mode) {
            out.push(short);
        }
    }
    out.join(",")
}

/// Container names and images of a pod spec, comma-joined.
fn containers(pod_spec: &Value) -> (String, String) {
    let cs = array_at(pod_spec, &["containers"]);
    let names: Vec<&str> = cs.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = cs.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

fn is_restartable_init(spec: &Value, name: &str) -> bool {
    array_at(spec, &["initContainers"])
        .iter()
        .find(|c| str_at(c, &["name"]) == name)
        .is_some_and(|c| str_at(c, &["restartPolicy"]) == "Always")
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn last_terminated(status: &Value) -> Option<Timestamp> {
    at(status, &["lastState", "terminated", "finishedAt"])
        .as_str()
        .and_then(parse)
}

/// What [`row`] and [`pod_cells`] read of a Pod, as JSON: its metadata whole (the row's object
/// carries it), and of its spec and status only what the cells are made of. Converting a typed
/// object to JSON is most of the cost of a Table, and most of a pod's JSON (volumes,
/// tolerations, container details, the conditions' timestamps) is never printed; the API server
/// builds a pod's row from this instead of the whole pod. Whatever `pod_cells` starts to read
/// must be added here (the tests compare the two on pods in every state the printer tells apart).
pub fn pod_row_source(pod: &k8s_openapi::api::core::v1::Pod) -> Value {
    let mut v = object([(
        "metadata",
        serde_json::to_value(&pod.metadata).unwrap_or_default(),
    )]);
    if let Some(spec) = &pod.spec {
        let mut slim = object([(
            "containers",
            spec.containers
                .iter()
                .map(|c| json!({"name": c.name}))
                .collect(),
        )]);
        if let Some(init) = &spec.init_containers {
            slim["initContainers"] = init
                .iter()
                .map(|c| json!({"name": c.name, "restartPolicy": c.restart_policy}))
                .collect();
        }
        if let Some(node) = &spec.node_name {
            slim["nodeName"] = json!(node);
        }
        if let Some(gates) = &spec.readiness_gates {
            slim["readinessGates"] = serde_json::to_value(gates).unwrap_or_default();
        }
        v["spec"] = slim;
    }
    if let Some(status) = &pod.status {
        v["status"] = pod_status_source(status, pod.spec.as_ref());
    }
    v
}

fn pod_status_source(
    status: &k8s_openapi::api::core::v1::PodStatus,
    spec: Option<&k8s_openapi::api::core::v1::PodSpec>,
) -> Value {
    let containers = |statuses: &Option<Vec<k8s_openapi::api::core::v1::ContainerStatus>>| {
        statuses.as_ref().map(|all| {
            all.iter()
                .map(|c| {
                    object([
                        ("name", json!(c.name)),
                        ("ready", json!(c.ready)),
                        ("started", json!(c.started)),
                        ("restartCount", json!(c.restart_count)),
                        ("state", serde_json::to_value(&c.state).unwrap_or_default()),
                        (
                            "lastState",
                            serde_json::to_value(&c.last_state).unwrap_or_default(),
                        ),
                    ])
                })
                .collect::<Vec<_>>()
        })
    };
    // Only the conditions a cell reads: scheduling gates, Initialized and Ready, and the
    // readiness gates' (a pod has five or more, and they are a large part of its JSON).
    let gates = spec
        .and_then(|s| s.readiness_gates.as_ref())
        .map_or(&[][..], Vec::as_slice);
    let conditions = status.conditions.as_ref().map(|all| {
        all.iter()
            .filter(|c| {
                matches!(c.type_.as_str(), "PodScheduled" | "Initialized" | "Ready")
                    || gates.iter().any(|g| g.condition_type == c.type_)
            })
            .map(|c| json!({"type": c.type_, "status": c.status, "reason": c.reason}))
            .collect::<Vec<_>>()
    });
    let mut v = object([
        ("phase", json!(status.phase)),
        ("reason", json!(status.reason)),
        ("nominatedNodeName", json!(status.nominated_node_name)),
        (
            "podIPs",
            serde_json::to_value(&status.pod_ips).unwrap_or_default(),
        ),
        ("conditions", conditions.map_or(Value::Null, Value::Array)),
        (
            "initContainerStatuses",
            containers(&status.init_container_statuses).map_or(Value::Null, Value::Array),
        ),
        (
            "containerStatuses",
            containers(&status.container_statuses).map_or(Value::Null, Value::Array),
        ),
    ]);
    // Absent, as in the pod's own JSON, rather than null.
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !x.is_null());
    }
    v
}

/// `printPod`: READY, STATUS and RESTARTS from the container statuses, exactly as upstream
/// derives them (init containers first, then app containers from last to first).
fn pod_cells(pod: &Value, now: Timestamp) -> Vec<Value> {
    let spec = at(pod, &["spec"]);
    let status = at(pod, &["status"]);
    let init_specs = array_at(spec, &["initContainers"]);
    let mut total = array_at(spec, &["containers"]).len();
    total += init_specs
        .iter()
        .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
        .count();
    let mut ready = 0;
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;
    let phase = str_at(status, &["phase"]);
    let mut reason = match str_at(status, &["reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    for c in array_at(status, &["conditions"]) {
        if str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".into();
        }
    }

    let mut initializing = false;
    for (i, c) in array_at(status, &["initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = int_at(c, &["restartCount"]);
        restarts += count;
        last_restart = later(last_restart, last_terminated(c));
        let restartable = is_restartable_init(spec, str_at(c, &["name"]));
        if restartable {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, last_terminated(c));
        }
        let terminated = at(c, &["state", "terminated"]);
        let waiting_reason = str_at(c, &["state", "waiting", "reason"]);
        if !terminated.is_null() && int_at(terminated, &["exitCode"]) == 0 {
            continue;
        }
        if restartable && at(c, &["started"]).as_bool() == Some(true) {
            if at(c, &["ready"]).as_bool() == Some(true) {
                ready += 1;
            }
            continue;
        }
        if !terminated.is_null() {
            let r = str_at(terminated, &["reason"]);
            reason = if !r.is_empty() {
                format!("Init:{r}")
            } else if int_at(terminated, &["signal"]) != 0 {
                format!("Init:Signal:{}", int_at(terminated, &["signal"]))
            } else {
                format!("Init:ExitCode:{}", int_at(terminated, &["exitCode"]))
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    let initialized = array_at(status, &["conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == "Initialized" && str_at(c, &["status"]) == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in array_at(status, &["containerStatuses"]).iter().rev() {
            restarts += int_at(c, &["restartCount"]);
            last_restart = later(last_restart, last_terminated(c));
            let waiting = str_at(c, &["state", "waiting", "reason"]);
            let terminated = at(c, &["state", "terminated"]);
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if !terminated.is_null() {
                let r = str_at(terminated, &["reason"]);
                reason = if !r.is_empty() {
                    r.to_string()
                } else if int_at(terminated, &["signal"]) != 0 {
                    format!("Signal:{}", int_at(terminated, &["signal"]))
                } else {
                    format!("ExitCode:{}", int_at(terminated, &["exitCode"]))
                };
            } else if at(c, &["ready"]).as_bool() == Some(true)
                && !at(c, &["state", "running"]).is_null()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = array_at(status, &["conditions"])
                .iter()
                .any(|c| str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }

    let deleting = !at(pod, &["metadata", "deletionTimestamp"]).is_null();
    if deleting && str_at(status, &["reason"]) == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => {
            format!(
                "{restarts} ({} ago)",
                human_duration(seconds_between(t, now))
            )
        }
        _ => restarts.to_string(),
    };

    let ip = array_at(status, &["podIPs"])
        .first()
        .map(|p| str_at(p, &["ip"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("<none>");
    let node = match str_at(spec, &["nodeName"]) {
        "" => "<none>",
        n => n,
    };
    let nominated = match str_at(status, &["nominatedNodeName"]) {
        "" => "<none>",
        n => n,
    };
    let gates = array_at(spec, &["readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conditions = array_at(status, &["conditions"]);
        let true_count = gates
            .iter()
            .filter(|g| {
                let t = str_at(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == t)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };

    vec![
        name(pod),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        age(pod, now),
        json!(ip),
        json!(node),
        json!(nominated),
        json!(readiness_gates),
    ]
}

fn job_cells(obj: &Value, now: Timestamp) -> Vec<Value> {
    let spec = at(obj, &["spec"]);
    let status = at(obj, &["status"]);
    let succeeded = int_at(status, &["succeeded"]);
    let completions = match spec.get("completions").and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let p = spec.get("parallelism").and_then(Value::as_i64).unwrap_or(0);
            if p > 1 {
                format!("{succeeded}/1 of {p}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = at(status, &["startTime"]).as_str().and_then(parse);
    let done = at(status, &["completionTime"]).as_str().and_then(parse);
    let duration = match (start, done) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration(seconds_between(s, now)),
        (Some(s), Some(d)) => human_duration(seconds_between(s, d)),
    };
    let has = |t: &str| {
        array_at(status, &["conditions"])
            .iter()
            .any(|c| str_at(c, &["type"]) == t && str_at(c, &["status"]) == "True")
    };
    let state = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if !at(obj, &["metadata", "deletionTimestamp"]).is_null() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let (names, images) = containers(at(spec, &["template", "spec"]));
    vec![
        name(obj),
        json!(state),
        json!(completions),
        json!(duration),
        age(obj, now),
        json!(names),
        json!(images),
        json!(selector_string(at(spec, &["selector"]))),
    ]
}

/// `loadBalancerStatusStringer`: ingress IPs or hostnames; shortened to 16 characters unless wide.
fn load_balancer_string(lb: &Value, wide: bool) -> String {
    let list: Vec<&str> = array_at(lb, &["ingress"])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let host = str_at(i, &["hostname"]);
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect();
    let r = list.join(",");
    if !wide && r.len() > 16 {
        format!("{}...", &r[..13])
    } else {
        r
    }
}

fn service_cells(svc: &Value, now: Timestamp) -> Vec<Value> {
    let spec = at(svc, &["spec"]);
    let svc_type = str_at(spec, &["type"]);
    let cluster_ip = array_at(spec, &["clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let external_ips: Vec<&str> = array_at(spec, &["externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match svc_type {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            // The server renders with Wide=true.
            let lb = load_balancer_string(at(svc, &["status", "loadBalancer"]), true);
            if !external_ips.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    Vec::new()
                } else {
                    lb.split(',').collect()
                };
                all.extend(external_ips.iter());
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".into()
            }
        }
        "ExternalName" => str_at(spec, &["externalName"]).to_string(),
        _ => "<unknown>".into(),
    };
    let ports: Vec<String> = array_at(spec, &["ports"])
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let proto = str_at(p, &["protocol"]);
            match int_at(p, &["nodePort"]) {
                n if n > 0 => format!("{port}:{n}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        name(svc),
        json!(svc_type),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        age(svc, now),
        json!(format_labels(at(spec, &["selector"]))),
    ]
}

/// `formatEndpoints` with no port filter: up to three `ip:port`, then `+ N more...`.
fn format_endpoints(ep: &Value) -> String {
    let subsets = array_at(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".into();
    }
    let max = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addrs = array_at(ss, &["addresses"]);
        let ports = array_at(ss, &["ports"]);
        if ports.is_empty() {
            count += addrs.len();
            for a in addrs {
                if list.len() == max {
                    more = true;
                    break;
                }
                list.push(str_at(a, &["ip"]).to_string());
            }
        } else {
            for p in ports {
                count += addrs.len();
                for a in addrs {
                    if list.len() == max {
                        more = true;
                        break;
                    }
                    let ip = str_at(a, &["ip"]);
                    let port = int_at(p, &["port"]);
                    list.push(if ip.contains(':') {
                        format!("[{ip}]:{port}")
                    } else {
                        format!("{ip}:{port}")
                    });
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - max)
    } else {
        ret
    }
}

fn node_cells(node: &Value, now: Timestamp) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = array_at(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready")
    {
        status.push(if str_at(c, &["status"]) == "True" {
            "Ready".into()
        } else {
            "NotReady".into()
        });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if at(node, &["spec", "unschedulable"]).as_bool() == Some(true) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = at(node, &["metadata", "labels"]).as_object() {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role.to_string());
                }
            } else if k == "kubernetes.io/role" {
                if let Some(v) = v.as_str().filter(|v| !v.is_empty()) {
                    roles.push(v.to_string());
                }
            }
        }
    }
    roles.sort();
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let info = at(node, &["status", "nodeInfo"]);
    let addr = |t: &str| {
        array_at(node, &["status", "addresses"])
            .iter()
            .find(|a| str_at(a, &["type"]) == t)
            .map(|a| str_at(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".into())
    };
    let unknown = |k: &str| match str_at(info, &[k]) {
        "" => "<unknown>".to_string(),
        v => v.to_string(),
    };
    vec![
        name(node),
        json!(status.join(",")),
        json!(roles),
        age(node, now),
        json!(str_at(info, &["kubeletVersion"])),
        json!(addr("InternalIP")),
        json!(addr("ExternalIP")),
        json!(unknown("osImage")),
        json!(unknown("kernelVersion")),
        json!(unknown("containerRuntimeVersion")),
    ]
}

fn event_cells(ev: &Value, now: Timestamp) -> Vec<Value> {
    let first = match at(ev, &["firstTimestamp"]).as_str() {
        Some(t) => since(Some(t), now),
        None => since(at(ev, &["eventTime"]).as_str(), now),
    };
    let mut last = match at(ev, &["lastTimestamp"]).as_str() {
        Some(t) => since(Some(t), now),
        None => first.clone(),
    };
    let mut count = int_at(ev, &["count"]);
    let series = at(ev, &["series"]);
    if !series.is_null() {
        last = since(at(series, &["lastObservedTime"]).as_str(), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved = at(ev, &["involvedObject"]);
    let kind = str_at(involved, &["kind"]).to_lowercase();
    let target = match str_at(involved, &["name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = match str_at(ev, &["source", "component"]) {
        "" => str_at(ev, &["reportingComponent"]),
        c => c,
    };
    let host = match str_at(ev, &["source", "host"]) {
        "" => str_at(ev, &["reportingInstance"]),
        h => h,
    };
    let source = if component.is_empty() {
        String::new()
    } else if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last),
        json!(str_at(ev, &["type"])),
        json!(str_at(ev, &["reason"])),
        json!(target),
        json!(str_at(involved, &["fieldPath"])),
        json!(source),
        json!(str_at(ev, &["message"]).trim()),
        json!(first),
        json!(count),
        name(ev),
    ]
}

fn hpa_cells(obj: &Value, now: Timestamp) -> Vec<Value> {
    let spec = at(obj, &["spec"]);
    let status = at(obj, &["status"]);
    let reference = format!(
        "{}/{}",
        str_at(spec, &["scaleTargetRef", "kind"]),
        str_at(spec, &["scaleTargetRef", "name"])
    );
    let mut list: Vec<String> = Vec::new();
    let metrics = array_at(spec, &["metrics"]);
    let statuses = array_at(status, &["currentMetrics"]);
    if metrics.is_empty() {
        // autoscaling/v1: a CPU utilisation target (80% when unset).
        let target = spec
            .get("targetCPUUtilizationPercentage")
            .and_then(Value::as_i64)
            .map_or("<auto>".to_string(), |t| format!("{t}%"));
        if spec.get("targetCPUUtilizationPercentage").is_some()
            || status.get("currentCPUUtilizationPercentage").is_some()
        {
            let current = status
                .get("currentCPUUtilizationPercentage")
                .and_then(Value::as_i64)
                .map_or("<unknown>".to_string(), |c| format!("{c}%"));
            list.push(format!("cpu: {current}/{target}"));
        }
    }
    for (i, m) in metrics.iter().enumerate() {
        let st = statuses.get(i);
        let text = match str_at(m, &["type"]) {
            "Resource" | "ContainerResource" => {
                let key = if str_at(m, &["type"]) == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let res = at(m, &[key]);
                let rname = str_at(res, &["name"]);
                let cur = st.map(|s| at(s, &[key, "current"])).unwrap_or(&Value::Null);
                if let Some(av) = res.get("target").and_then(|t| t.get("averageValue")) {
                    let current = cur
                        .get("averageValue")
                        .map(quantity)
                        .unwrap_or_else(|| "<unknown>".into());
                    let prefix = if key == "resource" {
                        format!("{rname}")
                    } else {
                        format!("{rname}/{}", str_at(res, &["container"]))
                    };
                    format!("{prefix}: {current}/{}", quantity(av))
                } else {
                    let current = cur
                        .get("averageUtilization")
                        .and_then(Value::as_i64)
                        .map_or("<unknown>".to_string(), |c| format!("{c}%"));
                    let target = at(res, &["target", "averageUtilization"])
                        .as_i64()
                        .map_or("<auto>".to_string(), |t| format!("{t}%"));
                    let prefix = if key == "resource" {
                        rname.to_string()
                    } else {
                        format!("{rname}/{}", str_at(res, &["container"]))
                    };
                    format!("{prefix}: {current}/{target}")
                }
            }
            "Pods" => {
                let current = st
                    .and_then(|s| {
                        at(s, &["pods", "current", "averageValue"])
                            .as_str()
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| "<unknown>".into());
                format!(
                    "{current}/{}",
                    quantity(at(m, &["pods", "target", "averageValue"]))
                )
            }
            "Object" | "External" => {
                let key = if str_at(m, &["type"]) == "Object" {
                    "object"
                } else {
                    "external"
                };
                let target = at(m, &[key, "target"]);
                let cur = st.map(|s| at(s, &[key, "current"])).unwrap_or(&Value::Null);
                if let Some(av) = target.get("averageValue") {
                    let current = cur
                        .get("averageValue")
                        .map(quantity)
                        .unwrap_or_else(|| "<unknown>".into());
                    format!("{current}/{} (avg)", quantity(av))
                } else {
                    let current = cur
                        .get("value")
                        .map(quantity)
                        .unwrap_or_else(|| "<unknown>".into());
                    format!("{current}/{}", quantity(at(target, &["value"])))
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(text);
    }
    let targets = if list.is_empty() {
        "<none>".to_string()
    } else if list.len() > 2 {
        format!("{} + {} more...", list[..2].join(", "), list.len() - 2)
    } else {
        list.join(", ")
    };
    let min = spec
        .get("minReplicas")
        .and_then(Value::as_i64)
        .map_or(json!("<unset>"), |m| json!(m));
    vec![
        name(obj),
        json!(reference),
        json!(targets),
        min,
        json!(int_at(spec, &["maxReplicas"])),
        json!(int_at(status, &["currentReplicas"])),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests;
