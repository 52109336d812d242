//! The request-level API of a [`Cluster`]: what the REST layer (`crates/apiserver`) calls for
//! every Kubernetes API request, and what the control plane's own components call.
//!
//! Each request runs the real API server's pipeline, in its order:
//! authorization (RBAC, [`crate::rbac`]) → decoding with field validation
//! ([`crate::fieldvalidation`]) → defaulting ([`crate::defaults`]) → mutating admission
//! ([`crate::admission`]: namespace lifecycle, ServiceAccount, LimitRanger, priority, default
//! tolerations, default StorageClass, Service IP and NodePort allocation) → validation
//! ([`crate::validation`]) → validating admission (ResourceQuota, LimitRange maxima, the
//! session's object cap) → storage, with resourceVersion, uid, generation and creationTimestamp.
//!
//! Two forms of each verb exist:
//! - `*_with(user, ..., options)` is the full request: the REST layer passes the requesting
//!   [`User`] (impersonation already resolved) and the query parameters as options;
//! - the short forms ([`Cluster::create`], [`Cluster::get`], [`Cluster::list`],
//!   [`Cluster::delete`]) are the control plane's own calls (controllers, the default cluster),
//!   made as a privileged user with default options. They run the same admission and validation,
//!   so a ReplicaSet's pods are defaulted, quota-checked and given their token volume exactly
//!   like a user's.
//!
//! Pod deletion is graceful, as in Kubernetes: a bound, running pod gets `deletionTimestamp`
//! (now + grace) and `deletionGracePeriodSeconds` and stays in the store (kubectl shows it
//! `Terminating`). The kubelet finishes the job by deleting it again with a grace period of 0
//! (`DeleteOptions { grace_period_seconds: Some(0), .. }`), or by removing it from the store and
//! then calling [`Cluster::collect_garbage`].

mod apply;
mod delete;
mod pods;
mod read;
mod subresources;
mod write;

use std::sync::Arc;

use serde_json::Value;

use crate::fieldvalidation::FieldValidation;
use crate::object::Object;
use crate::resources::ResourceType;
use crate::status::Status;

pub use delete::{DeleteOptions, Deleted, Propagation};
pub use read::{ListOptions, ListResult};

/// Who makes a request: a user name and groups, as authentication (or impersonation) gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub username: String,
    pub groups: Vec<String>,
}

/// The group whose members may do anything (bound to `cluster-admin`, and short-circuited by the
/// API server's privileged-group authorizer).
pub const SYSTEM_MASTERS: &str = "system:masters";

impl User {
    /// The session's own user: the kubeconfig user of a minikube cluster, a cluster admin.
    pub fn admin() -> User {
        User {
            username: "minikube-user".into(),
            groups: vec![SYSTEM_MASTERS.into(), "system:authenticated".into()],
        }
    }

    /// A control-plane component (`system:kube-controller-manager`, `system:kube-scheduler`,
    /// `system:node:<name>`): privileged in the simulation.
    pub fn system(component: &str) -> User {
        User {
            username: component.into(),
            groups: vec![SYSTEM_MASTERS.into(), "system:authenticated".into()],
        }
    }

    /// A named user with the given groups (and `system:authenticated`, which every
    /// authenticated user has).
    pub fn named(username: &str, groups: &[&str]) -> User {
        let mut g: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
        if !g.iter().any(|x| x == "system:authenticated") {
            g.push("system:authenticated".into());
        }
        User {
            username: username.into(),
            groups: g,
        }
    }

    /// The user a ServiceAccount authenticates as, with its groups.
    pub fn service_account(namespace: &str, name: &str) -> User {
        User {
            username: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// The user named by `kubectl --as=<name> [--as-group=<g>...]` (the `Impersonate-User` and
    /// `Impersonate-Group` headers). `system:serviceaccount:ns:name` gets the ServiceAccount
    /// groups, as the real impersonation filter adds them.
    pub fn impersonated(name: &str, groups: &[String]) -> User {
        if groups.is_empty() {
            if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
                if let Some((ns, sa)) = rest.split_once(':') {
                    return User::service_account(ns, sa);
                }
            }
        }
        let g: Vec<&str> = groups.iter().map(String::as_str).collect();
        User::named(name, &g)
    }

    pub fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == SYSTEM_MASTERS)
    }
}

/// Options of a write (POST, PUT, PATCH): the `dryRun`, `fieldValidation` and `fieldManager`
/// query parameters.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// `?dryRun=All`: run every step, store nothing.
    pub dry_run: bool,
    pub field_validation: FieldValidation,
    pub field_manager: Option<String>,
    /// The subresource written through (`scale`), recorded in managedFields `Update` entries.
    pub subresource: Option<&'static str>,
    /// Paths of duplicate fields in the raw request body, found by the REST layer with
    /// [`crate::fieldvalidation::duplicate_fields`] (a parsed `Value` no longer has them).
    pub duplicate_fields: Vec<String>,
    /// The body was serialised from the API's own types (a controller's pod template), so it
    /// has no unknown fields: the decode round trip that would drop them is skipped. Only for
    /// the control plane's writes, with field validation off.
    pub typed_body: bool,
}

impl WriteOptions {
    /// The options the control plane's own writes use: no field validation warnings.
    pub fn internal() -> WriteOptions {
        WriteOptions {
            field_validation: FieldValidation::Ignore,
            ..WriteOptions::default()
        }
    }
}

/// A successful write: the stored (or, for dry runs, would-be-stored) object, and the warnings
/// to return as `Warning: 299 - "..."` headers.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    pub object: Arc<Object>,
    pub warnings: Vec<String>,
}

/// Resolves a manifest's apiVersion and kind to a served type, or the message kubectl prints
/// when discovery has no such mapping: `no matches for kind "ReplicaSet" in version "v1"`.
pub fn lookup_kind(api_version: &str, kind: &str) -> Result<&'static ResourceType, String> {
    crate::resources::by_kind(api_version, kind)
        .ok_or_else(|| format!("no matches for kind {kind:?} in version {api_version:?}"))
}

/// Kinds whose registry keeps `metadata.generation` (bumped on spec changes only).
pub fn has_generation(kind: &str) -> bool {
    matches!(
        kind,
        "Pod"
            | "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "Ingress"
            | "NetworkPolicy"
            | "PodDisruptionBudget"
            | "HorizontalPodAutoscaler"
            | "IngressClass"
    )
}

/// The part of an object a generation tracks: `spec` (or, for spec-less kinds, everything but
/// metadata and status).
fn generation_part(v: &Value) -> Value {
    match v.get("spec") {
        Some(s) => s.clone(),
        None => {
            let mut c = v.clone();
            if let Some(m) = c.as_object_mut() {
                m.remove("metadata");
                m.remove("status");
            }
            c
        }
    }
}

/// `the server could not find the requested resource`-style check that the URL's namespace
/// fits the resource's scope, and the namespace to use.
fn scope_namespace(rt: &ResourceType, namespace: Option<&str>) -> Result<Option<String>, Status> {
    if rt.namespaced() {
        Ok(Some(
            namespace
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .to_string(),
        ))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
