//! DELETE and DELETE-collection: graceful pod termination, finalizers, propagation policies.

use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{json, Value};

use super::{read::ListOptions, scope_namespace, User};
use crate::gc::{FOREGROUND_DELETION, ORPHAN};
use crate::object::Object;
use crate::resources::ResourceType;
use crate::status::Status;
use crate::store::Key;
use crate::Cluster;

/// `propagationPolicy` of DeleteOptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents afterwards.
    Background,
    /// Delete dependents first; the owner stays (with `foregroundDeletion`) until they are gone.
    Foreground,
    /// Delete the owner and leave dependents, removing their ownerReferences.
    Orphan,
}

impl Propagation {
    pub fn parse(s: &str) -> Result<Propagation, Status> {
        match s {
            "Background" => Ok(Propagation::Background),
            "Foreground" => Ok(Propagation::Foreground),
            "Orphan" => Ok(Propagation::Orphan),
            other => Err(Status::invalid_delete_options(&format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            ))),
        }
    }
}

/// DeleteOptions (body or query parameters).
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub propagation_policy: Option<Propagation>,
    /// Overrides the pod's `terminationGracePeriodSeconds`; 0 deletes at once (`--force
    /// --grace-period=0`, and the kubelet's final delete).
    pub grace_period_seconds: Option<i64>,
    /// `preconditions.uid` and `preconditions.resourceVersion`.
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

/// The outcome of a DELETE.
#[derive(Clone, Debug, PartialEq)]
pub enum Deleted {
    /// The object is still there, being deleted (grace period, finalizers, foreground
    /// dependents); the response body is the object.
    Pending(Arc<Object>),
    /// The object is gone. Its last state is kept for the response.
    Removed(Arc<Object>),
}

impl Deleted {
    pub fn object(&self) -> &Arc<Object> {
        match self {
            Deleted::Pending(o) | Deleted::Removed(o) => o,
        }
    }

    /// The response body the real server sends: the object while deletion is pending and for
    /// kinds whose registry returns deleted objects (pods, services, namespaces); otherwise a
    /// `Status` of `Success` naming what was deleted.
    pub fn response_body(&self) -> Value {
        match self {
            Deleted::Pending(o) => o.to_value(),
            Deleted::Removed(o) if matches!(o.kind(), "Pod" | "Service" | "Namespace") => {
                o.to_value()
            }
            Deleted::Removed(o) => {
                let rt = o.resource_type();
                let mut details = json!({"name": o.name(), "kind": rt.plural, "uid": o.meta().uid});
                if !rt.group.is_empty() {
                    details["group"] = json!(rt.group);
                }
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
            }
        }
    }
}

impl Status {
    fn invalid_delete_options(detail: &str) -> Status {
        Status::new(
            422,
            "Invalid",
            format!("DeleteOptions.meta.k8s.io \"\" is invalid: {detail}"),
        )
    }
}

/// Namespaces that can never be deleted.
const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

impl Cluster {
    /// DELETE as `user`.
    pub fn delete_with(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, Status> {
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "delete", rt, None, ns.as_deref(), Some(name))?;
        let deleted = self.delete_object(rt, ns.as_deref(), name, opts);
        // Controllers react at once (a deleted pod is replaced, a deleted Service's endpoints go).
        self.settle();
        deleted
    }

    /// DELETE of every object selected by `list` (`deletecollection`), each as a single delete.
    pub fn delete_collection(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        list: &ListOptions,
        opts: &DeleteOptions,
    ) -> Result<Vec<Deleted>, Status> {
        self.authorize(user, "deletecollection", rt, None, namespace, None)?;
        let selected = self.list_with(&User::system("system:apiserver"), rt, namespace, list)?;
        let mut out = Vec::new();
        for o in selected.items {
            match self.delete_object(rt, o.namespace(), o.name(), opts) {
                Ok(d) => out.push(d),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        self.settle();
        Ok(out)
    }

    pub(crate) fn delete_object(
        &mut self,
        rt: &'static ResourceType,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, Status> {
        let key = Key::new(rt, ns, name);
        let current = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| Status::not_found(rt, name))?;
        if rt.kind == "Namespace" && IMMORTAL_NAMESPACES.contains(&name) {
            return Err(Status::new(
                403,
                "Forbidden",
                format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            ));
        }
        let meta = current.meta();
        if let Some(uid) = &opts.precondition_uid {
            if meta.uid.as_ref() != Some(uid) {
                return Err(Status::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        rt.qualified_plural(),
                        meta.uid.as_deref().unwrap_or_default()
                    ),
                ));
            }
        }
        if let Some(rv) = &opts.precondition_resource_version {
            if meta.resource_version.as_ref() != Some(rv) {
                return Err(Status::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {}",
                        rt.qualified_plural(),
                        meta.resource_version.as_deref().unwrap_or_default()
                    ),
                ));
            }
        }
        if opts.dry_run {
            return Ok(Deleted::Pending(current));
        }
        let mut object = (*current).clone();
        let already_deleting = object.meta().deletion_timestamp.is_some();

        // Namespaces terminate: contents first, then the namespace (see gc).
        if rt.kind == "Namespace" {
            if !already_deleting {
                if let Object::Namespace(n) = &mut object {
                    n.metadata.deletion_timestamp = Some(Time(self.now));
                    n.metadata.deletion_grace_period_seconds = Some(0);
                    n.status.get_or_insert_with(Default::default).phase =
                        Some("Terminating".into());
                }
                let stored = self.store.put(object);
                self.collect_garbage();
                return Ok(match self.store.get(&key) {
                    Some(o) => Deleted::Pending(o.clone()),
                    None => Deleted::Removed(stored),
                });
            }
            return Ok(Deleted::Pending(current));
        }

        // Graceful pod termination.
        if let Object::Pod(pod) = &object {
            let spec = pod.spec.as_ref();
            let bound = spec
                .and_then(|s| s.node_name.as_deref())
                .is_some_and(|n| !n.is_empty());
            let finished = matches!(
                pod.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            );
            let default_grace = spec
                .and_then(|s| s.termination_grace_period_seconds)
                .unwrap_or(30);
            let grace = if !bound || finished {
                0
            } else {
                opts.grace_period_seconds.unwrap_or(default_grace).max(0)
            };
            let current_grace = object.meta().deletion_grace_period_seconds;
            // A second delete may only shorten the grace period.
            if grace > 0 && current_grace.is_none_or(|g| grace < g) {
                let m = object.meta_mut();
                m.deletion_timestamp = Some(Time(
                    self.now
                        .checked_add(SignedDuration::from_secs(grace))
                        .unwrap_or(self.now),
                ));
                m.deletion_grace_period_seconds = Some(grace);
                self.add_propagation_finalizer(&mut object, opts);
                return Ok(Deleted::Pending(self.store.put(object)));
            }
            if grace > 0 {
                return Ok(Deleted::Pending(current));
            }
        }

        // Finalizers (including the propagation ones) keep the object until they are removed.
        let m = object.meta_mut();
        if !already_deleting {
            m.deletion_timestamp = Some(Time(self.now));
        }
        m.deletion_grace_period_seconds = Some(0);
        self.add_propagation_finalizer(&mut object, opts);
        if object
            .meta()
            .finalizers
            .as_ref()
            .is_some_and(|f| !f.is_empty())
        {
            let stored = self.store.put(object);
            self.collect_garbage();
            return Ok(match self.store.get(&key) {
                Some(o) => Deleted::Pending(o.clone()),
                None => Deleted::Removed(stored),
            });
        }
        let removed = self.remove_now(&key).unwrap_or(current);
        Ok(Deleted::Removed(removed))
    }

    /// Adds `foregroundDeletion` or `orphan` for those policies (once, on the first delete).
    fn add_propagation_finalizer(&self, object: &mut Object, opts: &DeleteOptions) {
        let finalizer = match opts.propagation_policy {
            Some(Propagation::Foreground) => FOREGROUND_DELETION,
            Some(Propagation::Orphan) => ORPHAN,
            _ => return,
        };
        let f = object.meta_mut().finalizers.get_or_insert_with(Vec::new);
        if !f.iter().any(|x| x == finalizer) {
            f.push(finalizer.to_string());
        }
    }
}
