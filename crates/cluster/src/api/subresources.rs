//! The `scale` and `status` subresources.
//!
//! Scale is served as `autoscaling/v1` `Scale` for Deployments, ReplicaSets, StatefulSets and
//! ReplicationControllers: `spec.replicas` in, `status.replicas` and the selector string out.
//! `kubectl scale` PATCHes it with a merge patch (or PUTs it with a resourceVersion precondition
//! when `--resource-version` is given).

use serde_json::{json, Value};

use super::{scope_namespace, User, WriteOptions, Written};
use crate::object::Object;
use crate::patch::{self, PatchType};
use crate::resources::ResourceType;
use crate::schema;
use crate::selector::LabelSelectorSet;
use crate::status::{FieldError, Status};
use crate::Cluster;

fn scale_of(o: &Object) -> Value {
    let v = o.to_value();
    let selector = serde_json::from_value(v["spec"]["selector"].clone())
        .ok()
        .and_then(|s| LabelSelectorSet::from_label_selector(&s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let meta = &v["metadata"];
    let mut status = json!({"replicas": v["status"]["replicas"].as_i64().unwrap_or(0)});
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"]
        },
        "spec": {"replicas": v["spec"]["replicas"].as_i64().unwrap_or(0)},
        "status": status
    })
}

fn check_scalable(rt: &ResourceType) -> Result<(), Status> {
    if rt.subresources.contains(&"scale") {
        Ok(())
    } else {
        Err(Status::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ))
    }
}

impl Cluster {
    /// GET `.../{name}/scale`.
    pub fn get_scale(
        &self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, Status> {
        check_scalable(rt)?;
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "get", rt, Some("scale"), ns.as_deref(), Some(name))?;
        Ok(scale_of(&*self.get(rt, ns.as_deref(), name)?))
    }

    /// PUT `.../{name}/scale` with a Scale body.
    pub fn update_scale(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        scale: &Value,
        opts: &WriteOptions,
    ) -> Result<Value, Status> {
        check_scalable(rt)?;
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "update", rt, Some("scale"), ns.as_deref(), Some(name))?;
        self.apply_scale(rt, ns.as_deref(), name, scale, opts)
    }

    /// PATCH `.../{name}/scale`.
    #[allow(clippy::too_many_arguments)]
    pub fn patch_scale(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        patch_type: PatchType,
        body: &Value,
        opts: &WriteOptions,
    ) -> Result<Value, Status> {
        check_scalable(rt)?;
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "patch", rt, Some("scale"), ns.as_deref(), Some(name))?;
        let current = scale_of(&*self.get(rt, ns.as_deref(), name)?);
        let scale_schema = schema::for_gvk("autoscaling", "v1", "Scale");
        let patched = patch::apply(rt, scale_schema, patch_type, &current, body)?;
        self.apply_scale(rt, ns.as_deref(), name, &patched, opts)
    }

    fn apply_scale(
        &mut self,
        rt: &'static ResourceType,
        ns: Option<&str>,
        name: &str,
        scale: &Value,
        opts: &WriteOptions,
    ) -> Result<Value, Status> {
        let current = self.get(rt, ns, name)?;
        if let Some(rv) = scale["metadata"]["resourceVersion"].as_str() {
            if !rv.is_empty() && Some(rv) != current.meta().resource_version.as_deref() {
                return Err(Status::conflict(rt, name));
            }
        }
        let replicas = &scale["spec"]["replicas"];
        match replicas.as_i64() {
            Some(n) if n >= 0 => {}
            _ => {
                let scale_rt = ScaleType::of(rt);
                return Err(Status::invalid(
                    &scale_rt,
                    name,
                    &[FieldError::invalid(
                        "spec.replicas",
                        replicas,
                        "must be greater than or equal to 0",
                    )],
                ));
            }
        }
        let mut v = current.to_value();
        v["spec"]["replicas"] = replicas.clone();
        let opts = WriteOptions {
            subresource: Some("scale"),
            ..opts.clone()
        };
        let written = self.replace(rt, ns, name, v, &opts, false)?;
        Ok(scale_of(&written.object))
    }

    /// PUT `.../{name}/status`: only `status` changes.
    pub fn update_status(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written, Status> {
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(
            user,
            "update",
            rt,
            Some("status"),
            ns.as_deref(),
            Some(name),
        )?;
        self.replace(rt, ns.as_deref(), name, body, opts, true)
    }

    /// PATCH `.../{name}/status`.
    #[allow(clippy::too_many_arguments)]
    pub fn patch_status(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        patch_type: PatchType,
        body: &Value,
        opts: &WriteOptions,
    ) -> Result<Written, Status> {
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "patch", rt, Some("status"), ns.as_deref(), Some(name))?;
        let current = self.get(rt, ns.as_deref(), name)?;
        let patched = patch::apply(rt, None, patch_type, &current.to_value(), body)?;
        self.replace(rt, ns.as_deref(), name, patched, opts, true)
    }
}

/// A stand-in resource type for messages about Scale objects (`Scale.autoscaling "web" is
/// invalid: ...`).
struct ScaleType;

impl ScaleType {
    fn of(_rt: &ResourceType) -> ResourceType {
        ResourceType {
            group: "autoscaling",
            version: "v1",
            kind: "Scale",
            plural: "scale",
            singular: "scale",
            short_names: &[],
            scope: crate::resources::Scope::Namespaced,
            verbs: &[],
            categories: &[],
            subresources: &[],
        }
    }
}
