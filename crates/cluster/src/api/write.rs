//! POST, PUT and PATCH: decoding, defaulting, admission, validation, storage.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{json, Value};

use super::{generation_part, has_generation, scope_namespace, User, WriteOptions, Written};
use crate::admission;
use crate::defaults;
use crate::fieldvalidation;
use crate::object::Object;
use crate::patch::{self, PatchType};
use crate::resources::ResourceType;
use crate::status::Status;
use crate::store::Key;
use crate::validation;
use crate::Cluster;

/// The first failure of decoding a body into its typed form, worded like the real decoder.
fn decode_error(rt: &ResourceType, e: impl std::fmt::Display) -> Status {
    Status::bad_request(format!(
        "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}",
        kind = rt.kind,
        version = rt.version
    ))
}

/// Checks the body's apiVersion and kind against the URL's resource, as the decoder does.
pub(super) fn check_type(rt: &ResourceType, body: &Value) -> Result<(), Status> {
    if let Some(av) = body["apiVersion"].as_str() {
        if av != rt.api_version() {
            return Err(Status::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                rt.api_version()
            )));
        }
    }
    if let Some(kind) = body["kind"].as_str() {
        if kind != rt.kind {
            return Err(decode_error(
                rt,
                format!(
                    "kind in the data ({kind}) does not match the expected kind ({})",
                    rt.kind
                ),
            ));
        }
    }
    if !body.is_object() {
        return Err(decode_error(
            rt,
            "json: cannot unmarshal into Go value of type struct",
        ));
    }
    Ok(())
}

/// Field validation (unknown and duplicate fields), then the decode round trip that drops what
/// the API does not know: the body as the typed API sees it, and the warnings.
fn decode(
    rt: &ResourceType,
    body: Value,
    opts: &WriteOptions,
) -> Result<(Value, Vec<String>), Status> {
    if opts.typed_body && opts.field_validation == fieldvalidation::FieldValidation::Ignore {
        return Ok((body, Vec::new()));
    }
    let unknown = match opts.field_validation {
        fieldvalidation::FieldValidation::Ignore => Vec::new(),
        _ => fieldvalidation::unknown_fields(rt, &body),
    };
    let problems = fieldvalidation::messages(&unknown, &opts.duplicate_fields);
    let warnings = fieldvalidation::enforce(rt, opts.field_validation, problems)?;
    let typed = Object::from_value(rt.kind, body).map_err(|e| decode_error(rt, e))?;
    Ok((typed.to_value(), warnings))
}

fn encode(rt: &ResourceType, v: Value) -> Result<Object, Status> {
    Object::from_value(rt.kind, v).map_err(|e| decode_error(rt, e))
}

fn name_of(v: &Value) -> &str {
    v["metadata"]["name"].as_str().unwrap_or_default()
}

/// The status a new object starts with: what the user sent is ignored for kinds with a status
/// subresource, as their registry strategies reset it.
fn initial_status(rt: &ResourceType, obj: &mut Value) {
    if !rt.subresources.contains(&"status") {
        return;
    }
    let status = match rt.kind {
        "Pod" => json!({"phase": "Pending", "qosClass": admission::qos_class(&obj["spec"])}),
        "PersistentVolumeClaim" | "PersistentVolume" => json!({"phase": "Pending"}),
        "Namespace" => json!({"phase": "Active"}),
        "Service" => json!({"loadBalancer": {}}),
        "Node" if obj.get("status").is_some() => return,
        _ => json!({}),
    };
    obj["status"] = status;
}

impl Cluster {
    /// POST as `user`.
    pub fn create_with(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written, Status> {
        let ns = scope_namespace(rt, namespace)?;
        check_type(rt, &body)?;
        if let (Some(url_ns), Some(body_ns)) = (&ns, body["metadata"]["namespace"].as_str()) {
            if !body_ns.is_empty() && body_ns != url_ns {
                return Err(Status::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
        self.authorize(user, "create", rt, None, ns.as_deref(), None)?;
        let (mut obj, warnings) = decode(rt, body, opts)?;
        // Object identity.
        obj["metadata"]["namespace"] = match &ns {
            Some(n) => json!(n),
            None => Value::Null,
        };
        if name_of(&obj).is_empty() {
            match obj["metadata"]["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => {
                    let name = format!("{prefix}{}", self.name_suffix());
                    obj["metadata"]["name"] = json!(name);
                }
                _ => {
                    return Err(Status::invalid(
                        rt,
                        "",
                        &[crate::status::FieldError::required(
                            "metadata.name",
                            "name or generateName is required",
                        )],
                    ))
                }
            }
        }
        let name = name_of(&obj).to_string();
        if let Some(ns) = &ns {
            self.admit_namespace_lifecycle(rt, ns, &name)?;
        }
        if self
            .store
            .get(&Key::new(rt, ns.as_deref(), &name))
            .is_some()
        {
            return Err(Status::already_exists(rt, &name));
        }
        for field in [
            "uid",
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove(field);
            }
        }
        initial_status(rt, &mut obj);
        defaults::apply(rt.kind, &mut obj);
        self.admit_create(rt, ns.as_deref(), &mut obj)?;
        let errors = validation::validate_create(rt, &obj);
        if !errors.is_empty() {
            return Err(Status::invalid(rt, &name, &errors));
        }
        self.admit_quota(rt, ns.as_deref(), &name, &obj, None)?;
        let uid = self.new_uid();
        if rt.kind == "Job" {
            defaults::job_selector(&mut obj, &uid);
        }
        let mut object = encode(rt, obj)?;
        let meta = object.meta_mut();
        meta.uid = Some(uid);
        meta.creation_timestamp = Some(Time(self.now));
        meta.generation = has_generation(rt.kind).then_some(1);
        if opts.dry_run {
            return Ok(Written {
                object: Arc::new(object),
                warnings,
            });
        }
        let stored = self.store.put(object);
        self.after_write(rt, &stored);
        Ok(Written {
            object: stored,
            warnings,
        })
    }

    /// PUT as `user`: replaces the object, with optimistic concurrency on
    /// `metadata.resourceVersion` (a stale one fails with 409 Conflict; none means
    /// "unconditionally"). `status` is kept from the stored object for kinds with a status
    /// subresource.
    pub fn update_with(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written, Status> {
        let ns = scope_namespace(rt, namespace)?;
        check_type(rt, &body)?;
        self.authorize(user, "update", rt, None, ns.as_deref(), Some(name))?;
        self.replace(rt, ns.as_deref(), name, body, opts, false)
    }

    /// PATCH as `user`, in any of the three patch formats.
    #[allow(clippy::too_many_arguments)]
    pub fn patch_with(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
        opts: &WriteOptions,
    ) -> Result<Written, Status> {
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "patch", rt, None, ns.as_deref(), Some(name))?;
        let current = self.get(rt, ns.as_deref(), name)?;
        let patched = patch::apply(rt, None, patch_type, &current.to_value(), patch)?;
        check_type(rt, &patched)?;
        self.replace(rt, ns.as_deref(), name, patched, opts, false)
    }

    /// The shared update path of PUT, PATCH and the status subresource.
    pub(crate) fn replace(
        &mut self,
        rt: &'static ResourceType,
        ns: Option<&str>,
        name: &str,
        body: Value,
        opts: &WriteOptions,
        status_only: bool,
    ) -> Result<Written, Status> {
        let body_name = name_of(&body);
        if !body_name.is_empty() && body_name != name {
            return Err(Status::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        if let (Some(url_ns), Some(body_ns)) = (ns, body["metadata"]["namespace"].as_str()) {
            if !body_ns.is_empty() && body_ns != url_ns {
                return Err(Status::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
        let current = self.get(rt, ns, name)?;
        let old = current.to_value();
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str() {
            if !rv.is_empty() && Some(rv) != current.meta().resource_version.as_deref() {
                return Err(Status::conflict(rt, name));
            }
        }
        let (mut obj, warnings) = decode(rt, body, opts)?;
        // What the client may not change through this endpoint.
        {
            let meta = obj["metadata"]
                .as_object_mut()
                .expect("decoded objects have metadata");
            for field in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "namespace",
                "name",
            ] {
                match old["metadata"].get(field) {
                    Some(v) => meta.insert(field.into(), v.clone()),
                    None => meta.remove(field),
                };
            }
        }
        if status_only {
            // The status subresource changes status only.
            let status = obj.get("status").cloned().unwrap_or(Value::Null);
            obj = old.clone();
            obj["status"] = status;
        } else if rt.subresources.contains(&"status") && rt.kind != "Namespace" {
            match old.get("status") {
                Some(s) => obj["status"] = s.clone(),
                None => {
                    obj.as_object_mut().map(|m| m.remove("status"));
                }
            }
        } else if rt.kind == "Namespace" {
            obj["status"] = old["status"].clone();
        }
        defaults::apply(rt.kind, &mut obj);
        let subresource = opts.subresource.or(status_only.then_some("status"));
        self.record_update(
            rt,
            opts.field_manager.as_deref(),
            subresource,
            &old,
            &mut obj,
        );
        self.admit_update(rt, ns, &mut obj, &old)?;
        let errors = validation::validate_update(rt, &obj, &old);
        if !errors.is_empty() {
            return Err(Status::invalid(rt, name, &errors));
        }
        if has_generation(rt.kind) && generation_part(&obj) != generation_part(&old) {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            obj["metadata"]["generation"] = json!(g);
        }
        // Nothing changed: the real server answers with the stored object and no new version.
        let mut unchanged = obj.clone();
        unchanged["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
        if unchanged == old {
            return Ok(Written {
                object: current,
                warnings,
            });
        }
        self.admit_quota(rt, ns, name, &obj, Some(&old))?;
        let object = encode(rt, obj)?;
        if opts.dry_run {
            return Ok(Written {
                object: Arc::new(object),
                warnings,
            });
        }
        // Removing the last finalizer of an object being deleted completes its deletion.
        let finished = object.meta().deletion_timestamp.is_some()
            && object.meta().finalizers.as_ref().is_none_or(Vec::is_empty)
            && !(rt.kind == "Pod" && object.meta().deletion_grace_period_seconds.unwrap_or(0) > 0);
        let stored = self.store.put(object);
        if finished {
            self.remove_now(&Key::of(&stored));
        } else {
            self.after_write(rt, &stored);
        }
        Ok(Written {
            object: stored,
            warnings,
        })
    }

    /// Bookkeeping after a stored write: the per-namespace objects the real controllers create
    /// within milliseconds, and quota usage.
    pub(crate) fn after_write(&mut self, rt: &'static ResourceType, stored: &Arc<Object>) {
        if rt.kind == "Namespace" {
            self.populate_namespace(stored.name());
        }
        if let Some(ns) = stored.namespace().map(str::to_string) {
            self.refresh_quota_usage(&ns, rt.kind);
        }
        // Let the controllers, scheduler and kubelets react before the next request (a no-op
        // when the write came from a controller: the settle loop is already running).
        self.settle();
    }
}
