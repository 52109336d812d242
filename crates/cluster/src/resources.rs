//! The registry of served resource types: what discovery advertises and what the API routes on.
//!
//! Each entry mirrors one line of `kubectl api-resources` on a v1.33 cluster: plural name, short
//! names, group/version, kind, scope, verbs, categories and subresources.

/// The scope of a resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// One served resource type (`pods`, `deployments.apps`, ...).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    /// API group; empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The plural resource name used in URLs (`pods`).
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub scope: Scope,
    pub verbs: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources served under `{plural}/{name}/{sub}`.
    pub subresources: &'static [&'static str],
}

impl ResourceType {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// `pods` for the core group, `deployments.apps` otherwise: the form used in messages such as
    /// `deployments.apps "web" not found`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Deployment.apps` for the core group-less `Pod`: the form used in `... is invalid` messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

const CRUD: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const READ_CREATE: &[&str] = &["create", "get", "list", "watch"];

macro_rules! resource {
    ($group:literal, $version:literal, $kind:literal, $plural:literal, $singular:literal,
     [$($short:literal),*], $scope:ident, $verbs:expr, [$($cat:literal),*], [$($sub:literal),*]) => {
        ResourceType {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            scope: Scope::$scope,
            verbs: $verbs,
            categories: &[$($cat),*],
            subresources: &[$($sub),*],
        }
    };
}

/// Every served resource type, in discovery order (core group first, then by group).
pub static RESOURCES: &[ResourceType] = &[
    // core/v1
    resource!(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        ["cm"],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        "endpoints",
        ["ep"],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "",
        "v1",
        "Event",
        "events",
        "event",
        ["ev"],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        "limitrange",
        ["limits"],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        ["ns"],
        Cluster,
        &["create", "delete", "get", "list", "patch", "update", "watch"],
        [],
        ["finalize", "status"]
    ),
    resource!(
        "",
        "v1",
        "Node",
        "nodes",
        "node",
        ["no"],
        Cluster,
        CRUD,
        [],
        ["proxy", "status"]
    ),
    resource!(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        ["pvc"],
        Namespaced,
        CRUD,
        [],
        ["status"]
    ),
    resource!(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        ["pv"],
        Cluster,
        CRUD,
        [],
        ["status"]
    ),
    resource!(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        ["po"],
        Namespaced,
        CRUD,
        ["all"],
        [
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "resize",
            "status"
        ]
    ),
    resource!(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        ["rc"],
        Namespaced,
        CRUD,
        ["all"],
        ["scale", "status"]
    ),
    resource!(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        ["quota"],
        Namespaced,
        CRUD,
        [],
        ["status"]
    ),
    resource!(
        "",
        "v1",
        "Secret",
        "secrets",
        "secret",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        Namespaced,
        CRUD,
        [],
        ["token"]
    ),
    resource!(
        "",
        "v1",
        "Service",
        "services",
        "service",
        ["svc"],
        Namespaced,
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ],
        ["all"],
        ["proxy", "status"]
    ),
    // apps/v1
    resource!(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        ["ds"],
        Namespaced,
        CRUD,
        ["all"],
        ["status"]
    ),
    resource!(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        ["deploy"],
        Namespaced,
        CRUD,
        ["all"],
        ["scale", "status"]
    ),
    resource!(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        ["rs"],
        Namespaced,
        CRUD,
        ["all"],
        ["scale", "status"]
    ),
    resource!(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        ["sts"],
        Namespaced,
        CRUD,
        ["all"],
        ["scale", "status"]
    ),
    // authorization.k8s.io/v1
    resource!(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        [],
        Cluster,
        &["create"],
        [],
        []
    ),
    resource!(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        [],
        Cluster,
        &["create"],
        [],
        []
    ),
    resource!(
        "authorization.k8s.io",
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        "subjectaccessreview",
        [],
        Cluster,
        &["create"],
        [],
        []
    ),
    // autoscaling/v2
    resource!(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        ["hpa"],
        Namespaced,
        CRUD,
        ["all"],
        ["status"]
    ),
    // batch/v1
    resource!(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        "cronjob",
        ["cj"],
        Namespaced,
        CRUD,
        ["all"],
        ["status"]
    ),
    resource!(
        "batch",
        "v1",
        "Job",
        "jobs",
        "job",
        [],
        Namespaced,
        CRUD,
        ["all"],
        ["status"]
    ),
    // coordination.k8s.io/v1
    resource!(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        "lease",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    // discovery.k8s.io/v1
    resource!(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    // networking.k8s.io/v1
    resource!(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        "ingressclass",
        [],
        Cluster,
        CRUD,
        [],
        []
    ),
    resource!(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        "ingress",
        ["ing"],
        Namespaced,
        CRUD,
        [],
        ["status"]
    ),
    resource!(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        ["netpol"],
        Namespaced,
        CRUD,
        [],
        []
    ),
    // policy/v1
    resource!(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        ["pdb"],
        Namespaced,
        CRUD,
        [],
        ["status"]
    ),
    // rbac.authorization.k8s.io/v1
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        [],
        Cluster,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        [],
        Cluster,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        "role",
        [],
        Namespaced,
        CRUD,
        [],
        []
    ),
    // storage.k8s.io/v1
    resource!(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        ["sc"],
        Cluster,
        CRUD,
        [],
        []
    ),
];

/// Served but not stored: review objects are answered and forgotten.
pub fn is_virtual(rt: &ResourceType) -> bool {
    rt.verbs == READ_CREATE || rt.verbs == ["create"]
}

/// Finds a resource type by group and plural name (the URL form).
pub fn by_plural(group: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
}

/// Kinds also served at an older version, as the API server serves several versions of one
/// resource: stored once, at the version in [`RESOURCES`], and converted on the way in and out
/// (the API server's `conversion` module). kubectl before 1.32 creates HorizontalPodAutoscalers
/// as autoscaling/v1, and many manifests still use it.
pub static ALSO_SERVED: &[ResourceType] = &[resource!(
    "autoscaling",
    "v1",
    "HorizontalPodAutoscaler",
    "horizontalpodautoscalers",
    "horizontalpodautoscaler",
    ["hpa"],
    Namespaced,
    CRUD,
    ["all"],
    ["status"]
)];

/// A resource type served at `version` though stored at another.
pub fn also_served(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    ALSO_SERVED
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource type by apiVersion and kind (the manifest form).
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in RESOURCES {
            for s in r.short_names {
                assert!(seen.insert(*s), "duplicate short name {s}");
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(by_plural("apps", "deployments").unwrap().kind, "Deployment");
        assert_eq!(by_kind("v1", "Pod").unwrap().plural, "pods");
        assert!(by_kind("v1", "ReplicaSet").is_none());
        assert_eq!(
            by_kind("apps/v1", "ReplicaSet").unwrap().qualified_plural(),
            "replicasets.apps"
        );
    }
}
