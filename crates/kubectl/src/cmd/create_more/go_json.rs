//! `-o json` of a generated object as kubectl prints it: the typed Go struct marshalled, so
//! fields come in the order of their Go struct (`kind`, `apiVersion`, `metadata`, ...), not
//! sorted; maps (labels, data, ...) are sorted, as Go marshals maps.

use serde_json::Value;

use crate::printers::json::to_compact;

/// The Go struct a JSON object decodes into, for the kinds the generators make.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Struct {
    /// A top-level object of the given kind.
    Object(&'static str),
    ObjectMeta,
    OwnerReference,
    DeploymentSpec,
    JobSpec,
    CronJobSpec,
    Template,
    PodSpec,
    Container,
    ContainerPort,
    LabelSelector,
    Requirement,
    PolicyRule,
    AggregationRule,
    Subject,
    RoleRef,
    IngressSpec,
    IngressTls,
    IngressRule,
    HttpRuleValue,
    HttpPath,
    Backend,
    ServiceBackend,
    BackendPort,
    IngressStatus,
    ServiceSpec,
    ServicePort,
    ServiceStatus,
    QuotaSpec,
    PdbSpec,
    PdbStatus,
    /// A map or anything else: keys sorted.
    Map,
}

const KINDS: &[&str] = &[
    "Deployment",
    "Job",
    "CronJob",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Ingress",
    "ResourceQuota",
    "PodDisruptionBudget",
    "PriorityClass",
    "Secret",
    "ConfigMap",
    "Namespace",
    "ServiceAccount",
    "Service",
];

/// The fields of a struct in declaration order.
fn fields(s: Struct) -> Option<&'static [&'static str]> {
    use Struct::*;
    Some(match s {
        Object("Role" | "ClusterRole") => {
            &["kind", "apiVersion", "metadata", "rules", "aggregationRule"]
        }
        Object("RoleBinding" | "ClusterRoleBinding") => {
            &["kind", "apiVersion", "metadata", "subjects", "roleRef"]
        }
        Object("Secret") => &[
            "kind",
            "apiVersion",
            "metadata",
            "immutable",
            "data",
            "stringData",
            "type",
        ],
        Object("ConfigMap") => &[
            "kind",
            "apiVersion",
            "metadata",
            "immutable",
            "data",
            "binaryData",
        ],
        Object("ServiceAccount") => &[
            "kind",
            "apiVersion",
            "metadata",
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        Object("PriorityClass") => &[
            "kind",
            "apiVersion",
            "metadata",
            "value",
            "globalDefault",
            "description",
            "preemptionPolicy",
        ],
        Object(_) => &["kind", "apiVersion", "metadata", "spec", "status"],
        ObjectMeta => &[
            "name",
            "generateName",
            "namespace",
            "selfLink",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ],
        OwnerReference => &[
            "apiVersion",
            "kind",
            "name",
            "uid",
            "controller",
            "blockOwnerDeletion",
        ],
        DeploymentSpec => &[
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
            "revisionHistoryLimit",
            "paused",
            "progressDeadlineSeconds",
        ],
        JobSpec => &[
            "parallelism",
            "completions",
            "activeDeadlineSeconds",
            "podFailurePolicy",
            "successPolicy",
            "backoffLimit",
            "backoffLimitPerIndex",
            "maxFailedIndexes",
            "selector",
            "manualSelector",
            "template",
            "ttlSecondsAfterFinished",
            "completionMode",
            "suspend",
            "podReplacementPolicy",
            "managedBy",
        ],
        CronJobSpec => &[
            "schedule",
            "timeZone",
            "startingDeadlineSeconds",
            "concurrencyPolicy",
            "suspend",
            "jobTemplate",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        ],
        Template => &["metadata", "spec"],
        PodSpec => &[
            "volumes",
            "initContainers",
            "containers",
            "ephemeralContainers",
            "restartPolicy",
            "terminationGracePeriodSeconds",
            "activeDeadlineSeconds",
            "dnsPolicy",
            "nodeSelector",
            "serviceAccountName",
            "serviceAccount",
            "automountServiceAccountToken",
            "nodeName",
        ],
        Container => &[
            "name",
            "image",
            "command",
            "args",
            "workingDir",
            "ports",
            "envFrom",
            "env",
            "resources",
            "resizePolicy",
            "restartPolicy",
            "volumeMounts",
            "volumeDevices",
            "livenessProbe",
            "readinessProbe",
            "startupProbe",
            "lifecycle",
            "terminationMessagePath",
            "terminationMessagePolicy",
            "imagePullPolicy",
            "securityContext",
            "stdin",
            "stdinOnce",
            "tty",
        ],
        ContainerPort => &["name", "hostPort", "containerPort", "protocol", "hostIP"],
        LabelSelector => &["matchLabels", "matchExpressions"],
        Requirement => &["key", "operator", "values"],
        PolicyRule => &[
            "verbs",
            "apiGroups",
            "resources",
            "resourceNames",
            "nonResourceURLs",
        ],
        AggregationRule => &["clusterRoleSelectors"],
        Subject => &["kind", "apiGroup", "name", "namespace"],
        RoleRef => &["apiGroup", "kind", "name"],
        IngressSpec => &["ingressClassName", "defaultBackend", "tls", "rules"],
        IngressTls => &["hosts", "secretName"],
        IngressRule => &["host", "http"],
        HttpRuleValue => &["paths"],
        HttpPath => &["path", "pathType", "backend"],
        Backend => &["service", "resource"],
        ServiceBackend => &["name", "port"],
        BackendPort => &["name", "number"],
        IngressStatus | ServiceStatus => &["loadBalancer", "conditions"],
        ServiceSpec => &[
            "ports",
            "selector",
            "clusterIP",
            "clusterIPs",
            "type",
            "externalIPs",
            "sessionAffinity",
            "loadBalancerIP",
            "loadBalancerSourceRanges",
            "externalName",
            "externalTrafficPolicy",
        ],
        ServicePort => &[
            "name",
            "protocol",
            "appProtocol",
            "port",
            "targetPort",
            "nodePort",
        ],
        QuotaSpec => &["hard", "scopes", "scopeSelector"],
        PdbSpec => &[
            "minAvailable",
            "selector",
            "maxUnavailable",
            "unhealthyPodEvictionPolicy",
        ],
        PdbStatus => &[
            "observedGeneration",
            "disruptedPods",
            "disruptionsAllowed",
            "currentHealthy",
            "desiredHealthy",
            "expectedPods",
            "conditions",
        ],
        Map => return None,
    })
}

/// The struct behind `key` of a value of struct `parent` (array items take the element type).
fn child(parent: Struct, key: &str) -> Struct {
    use Struct::*;
    match (parent, key) {
        (Object(_) | Template, "metadata") => ObjectMeta,
        (Object("Deployment"), "spec") => DeploymentSpec,
        (Object("Job"), "spec") => JobSpec,
        (Object("CronJob"), "spec") => CronJobSpec,
        (Object("Ingress"), "spec") => IngressSpec,
        (Object("Ingress"), "status") => IngressStatus,
        (Object("Service"), "spec") => ServiceSpec,
        (Object("Service"), "status") => ServiceStatus,
        (Object("ResourceQuota"), "spec") => QuotaSpec,
        (Object("PodDisruptionBudget"), "spec") => PdbSpec,
        (Object("PodDisruptionBudget"), "status") => PdbStatus,
        (Object(_), "rules") => PolicyRule,
        (Object(_), "aggregationRule") => AggregationRule,
        (Object(_), "subjects") => Subject,
        (Object(_), "roleRef") => RoleRef,
        (ObjectMeta, "ownerReferences") => OwnerReference,
        (DeploymentSpec | JobSpec | PdbSpec, "selector") => LabelSelector,
        (AggregationRule, "clusterRoleSelectors") => LabelSelector,
        (LabelSelector, "matchExpressions") => Requirement,
        (DeploymentSpec | JobSpec, "template") => Template,
        (CronJobSpec, "jobTemplate") => Template,
        (Template, "spec") => PodSpec,
        (PodSpec, "containers" | "initContainers") => Container,
        (Container, "ports") => ContainerPort,
        (IngressSpec, "defaultBackend") | (HttpPath, "backend") => Backend,
        (IngressSpec, "tls") => IngressTls,
        (IngressSpec, "rules") => IngressRule,
        (IngressRule, "http") => HttpRuleValue,
        (HttpRuleValue, "paths") => HttpPath,
        (Backend, "service") => ServiceBackend,
        (ServiceBackend, "port") => BackendPort,
        (ServiceSpec, "ports") => ServicePort,
        _ => Map,
    }
}

/// A job template's spec is a `JobSpec`, not a pod spec.
fn child_in(parent: Struct, grand: Option<Struct>, key: &str) -> Struct {
    if parent == Struct::Template && key == "spec" && grand == Some(Struct::CronJobSpec) {
        return Struct::JobSpec;
    }
    child(parent, key)
}

/// Whether the emulation knows the Go field order of `kind`.
pub fn knows(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// `json.MarshalIndent(obj, "", "    ")` plus a newline, in Go struct order.
pub fn to_string(obj: &Value) -> String {
    let kind = KINDS
        .iter()
        .find(|k| obj["kind"].as_str() == Some(**k))
        .copied()
        .unwrap_or("");
    let mut out = String::new();
    write(&mut out, obj, Struct::Object(kind), None, 0);
    out.push('\n');
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.push_str(&"    ".repeat(depth));
}

fn write(out: &mut String, v: &Value, s: Struct, parent: Option<Struct>, depth: usize) {
    match v {
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            match fields(s) {
                Some(order) => keys.sort_by_key(|k| {
                    (
                        order.iter().position(|f| f == k).unwrap_or(usize::MAX),
                        (*k).clone(),
                    )
                }),
                None => keys.sort(),
            }
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                out.push_str(&to_compact(&Value::String((*k).clone())));
                out.push_str(": ");
                let c = if fields(s).is_some() {
                    child_in(s, parent, k)
                } else {
                    Struct::Map
                };
                write(out, &map[*k], c, Some(s), depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write(out, item, s, parent, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        scalar => out.push_str(&to_compact(scalar)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cron_job_prints_in_go_field_order() {
        let cj = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "c", "creationTimestamp": null},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"metadata": {"name": "c", "creationTimestamp": null},
                "spec": {"template": {"metadata": {"creationTimestamp": null},
                    "spec": {"containers": [{"resources": {}, "name": "c", "image": "busybox", "command": ["date"]}], "restartPolicy": "OnFailure"}}}}},
            "status": {}});
        // What kubectl 1.33 prints for `create cronjob c --image=busybox --schedule='* * * * *' -o json -- date`.
        let want = r#"{
    "kind": "CronJob",
    "apiVersion": "batch/v1",
    "metadata": {
        "name": "c",
        "creationTimestamp": null
    },
    "spec": {
        "schedule": "* * * * *",
        "jobTemplate": {
            "metadata": {
                "name": "c",
                "creationTimestamp": null
            },
            "spec": {
                "template": {
                    "metadata": {
                        "creationTimestamp": null
                    },
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "image": "busybox",
                                "command": [
                                    "date"
                                ],
                                "resources": {}
                            }
                        ],
                        "restartPolicy": "OnFailure"
                    }
                }
            }
        }
    },
    "status": {}
}
"#;
        assert_eq!(to_string(&cj), want);
    }

    #[test]
    fn maps_stay_sorted() {
        let cm = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}, "data": {"b": "2", "a": "1"}});
        assert!(to_string(&cm)
            .contains("\"data\": {\n        \"a\": \"1\",\n        \"b\": \"2\"\n    }"));
    }
}
