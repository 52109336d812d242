//! Server-side apply: `PATCH` with `application/apply-patch+yaml`, and the `Update` ownership
//! other writes record once an object has `metadata.managedFields`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{json, Value};

use super::{scope_namespace, User, WriteOptions, Written};
use crate::patch::apply::{self as ssa, FieldSet};
use crate::patch::strategic;
use crate::resources::ResourceType;
use crate::schema;
use crate::status::Status;
use crate::Cluster;

/// One `metadata.managedFields` entry, decoded for ownership checks.
struct Manager {
    entry: Value,
    fields: FieldSet,
}

impl Manager {
    fn name(&self) -> &str {
        self.entry["manager"].as_str().unwrap_or_default()
    }
    fn is_apply(&self) -> bool {
        self.entry["operation"] == "Apply"
    }
    /// How conflict messages name a manager (fieldmanager's printManager: Update managers carry
    /// their subresource and apiVersion, appliers only their name).
    fn printed(&self) -> String {
        let mut s = format!("{:?}", self.name());
        if let Some(sub) = self.entry["subresource"].as_str() {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        if !self.is_apply() {
            s.push_str(&format!(
                " using {}",
                self.entry["apiVersion"].as_str().unwrap_or_default()
            ));
        }
        s
    }
}

fn managers(obj: &Value) -> Vec<Manager> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| Manager {
            entry: e.clone(),
            fields: ssa::from_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

/// The managedFields list for `managers`, dropping entries that own nothing.
fn encode_managers(managers: Vec<Manager>) -> Value {
    Value::Array(
        managers
            .into_iter()
            .filter(|m| !m.fields.is_empty())
            .map(|mut m| {
                m.entry["fieldsV1"] = ssa::to_fields_v1(&m.fields);
                m.entry
            })
            .collect(),
    )
}

fn conflict_error(conflicts: &[(String, String)]) -> Status {
    let message = if let [(manager, path)] = conflicts {
        format!("Apply failed with 1 conflict: conflict with {manager}: {path}")
    } else {
        let mut managers: Vec<&str> = conflicts.iter().map(|(m, _)| m.as_str()).collect();
        managers.sort();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            for (_, p) in conflicts.iter().filter(|(cm, _)| cm == m) {
                lines.push(format!("- {p}"));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": p}))
        .collect();
    let mut status = Status::new(409, "Conflict", message);
    status.details = Some(json!({"causes": causes}));
    status
}

impl Cluster {
    fn managed_entry(&self, manager: &str, operation: &str, rt: &ResourceType) -> Value {
        json!({
            "manager": manager,
            "operation": operation,
            "apiVersion": rt.api_version(),
            "time": serde_json::to_value(Time(self.now)).unwrap_or(Value::Null),
            "fieldsType": "FieldsV1",
        })
    }

    /// Server-side apply of `applied` by `opts.field_manager`: creates the object when absent,
    /// else merges it in (strategic-merge semantics), removes the fields this manager applied
    /// before and no longer applies, and fails with 409 on fields other managers own with a
    /// different value unless `force`. Returns whether the object was created, and the write.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_with(
        &mut self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
        applied: &Value,
        force: bool,
        opts: &WriteOptions,
    ) -> Result<(bool, Written), Status> {
        let Some(manager) = opts.field_manager.clone().filter(|m| !m.is_empty()) else {
            return Err(Status::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        };
        if !applied.is_object() {
            return Err(Status::bad_request(
                "error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}",
            ));
        }
        super::write::check_type(rt, applied)?;
        let ns = scope_namespace(rt, namespace)?;
        let schema = schema::for_resource(rt);
        let fields = ssa::field_set(applied, schema);
        let mut entry = self.managed_entry(&manager, "Apply", rt);
        entry["fieldsV1"] = ssa::to_fields_v1(&fields);

        if self.get(rt, ns.as_deref(), name).is_err() {
            self.authorize(user, "patch", rt, None, ns.as_deref(), Some(name))?;
            let mut body = applied.clone();
            body["metadata"]["name"] = json!(name);
            body["metadata"]["managedFields"] = json!([entry]);
            let written = self.create_with(user, rt, ns.as_deref(), body, opts)?;
            return Ok((true, written));
        }
        self.authorize(user, "patch", rt, None, ns.as_deref(), Some(name))?;
        let live = self.get(rt, ns.as_deref(), name)?.to_value();
        let mut others = managers(&live);
        if others.is_empty() {
            others.extend(self.client_side_applier(rt, &live));
        }
        let previous = others
            .iter()
            .position(|m| m.name() == manager && m.is_apply())
            .map(|i| others.remove(i).fields)
            .unwrap_or_default();

        // Conflicts: fields another manager owns, set here to a different value.
        let mut conflicts = Vec::new();
        for other in &mut others {
            let clashing: Vec<_> = other
                .fields
                .intersection(&fields)
                .filter(|p| ssa::value_at(&live, p) != ssa::value_at(applied, p))
                .cloned()
                .collect();
            if force {
                for p in &clashing {
                    other.fields.remove(p);
                }
            } else {
                conflicts.extend(
                    clashing
                        .iter()
                        .map(|p| (other.printed(), ssa::path_string(p))),
                );
            }
        }
        if !conflicts.is_empty() {
            return Err(conflict_error(&conflicts));
        }

        // Fields this manager stopped applying, that nobody else owns, go.
        let mut merged = live.clone();
        for dropped in previous.difference(&fields) {
            if others.iter().all(|o| !o.fields.contains(dropped)) {
                ssa::remove_at(&mut merged, dropped);
            }
        }
        let mut patch = applied.clone();
        if let Some(m) = patch["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
        strategic::merge(&mut merged, &patch, schema)?;
        others.push(Manager {
            entry,
            fields: fields.clone(),
        });
        merged["metadata"]["managedFields"] = encode_managers(others);
        let written = self.replace(rt, ns.as_deref(), name, merged, opts, false)?;
        Ok((false, written))
    }

    /// The owner of an object this simulation stored without managedFields (writes record them
    /// only once server-side apply has been used on an object): when `kubectl apply` created
    /// it, `kubectl-client-side-apply` owns the fields of its last-applied configuration, as
    /// the real server would have recorded.
    fn client_side_applier(&self, rt: &ResourceType, live: &Value) -> Option<Manager> {
        let last = live["metadata"]["annotations"]
            ["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()?;
        let config: Value = serde_json::from_str(last).ok()?;
        let mut entry = self.managed_entry("kubectl-client-side-apply", "Update", rt);
        entry["time"] = live["metadata"]["creationTimestamp"].clone();
        Some(Manager {
            entry,
            fields: ssa::field_set(&config, schema::for_resource(rt)),
        })
    }

    /// The `Update` ownership of a non-apply write to an object that already has managedFields:
    /// the writer takes the fields whose values it changed, as the real field manager does.
    pub(crate) fn record_update(
        &self,
        rt: &ResourceType,
        manager: Option<&str>,
        subresource: Option<&str>,
        old: &Value,
        new: &mut Value,
    ) {
        if old["metadata"]["managedFields"]
            .as_array()
            .is_none_or(Vec::is_empty)
            || new["metadata"]["managedFields"] != old["metadata"]["managedFields"]
        {
            return;
        }
        let schema = schema::for_resource(rt);
        let changed: FieldSet = ssa::field_set(new, schema)
            .into_iter()
            .filter(|p| ssa::value_at(old, p) != ssa::value_at(new, p))
            .filter(|p| p.first().map(String::as_str) != Some("f:metadata"))
            .collect();
        if changed.is_empty() {
            return;
        }
        let manager = manager.unwrap_or("unknown");
        let mut all = managers(old);
        for m in &mut all {
            m.fields.retain(|p| !changed.contains(p));
        }
        match all.iter_mut().find(|m| {
            m.name() == manager && !m.is_apply() && m.entry["subresource"].as_str() == subresource
        }) {
            Some(m) => {
                m.fields.extend(changed);
                m.entry["time"] = self.managed_entry(manager, "Update", rt)["time"].clone();
            }
            None => {
                let mut entry = self.managed_entry(manager, "Update", rt);
                if let Some(s) = subresource {
                    entry["subresource"] = json!(s);
                }
                all.push(Manager {
                    entry,
                    fields: changed,
                });
            }
        }
        new["metadata"]["managedFields"] = encode_managers(all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::PatchType;
    use crate::resources::by_plural;
    use crate::ClusterConfig;

    fn cluster() -> Cluster {
        let mut c = Cluster::new(&ClusterConfig::default());
        c.stop_control_plane(true);
        c
    }

    fn deployments() -> &'static ResourceType {
        by_plural("apps", "deployments").unwrap()
    }

    fn by(manager: &str) -> WriteOptions {
        WriteOptions {
            field_manager: Some(manager.into()),
            ..WriteOptions::default()
        }
    }

    fn web(replicas: i64, env: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx", "env": env}]}}}})
    }

    fn apply(
        c: &mut Cluster,
        body: &Value,
        manager: &str,
        force: bool,
    ) -> Result<(bool, Value), Status> {
        c.apply_with(
            &User::admin(),
            deployments(),
            Some("default"),
            "web",
            body,
            force,
            &by(manager),
        )
        .map(|(created, w)| (created, w.object.to_value()))
    }

    #[test]
    fn apply_creates_the_object_and_records_the_manager() {
        let mut c = cluster();
        let (created, obj) = apply(
            &mut c,
            &web(2, json!([{"name": "A", "value": "1"}])),
            "kubectl",
            false,
        )
        .unwrap();
        assert!(created);
        assert_eq!(obj["spec"]["replicas"], 2);
        let mf = &obj["metadata"]["managedFields"];
        assert_eq!(mf.as_array().unwrap().len(), 1);
        assert_eq!(mf[0]["manager"], "kubectl");
        assert_eq!(mf[0]["operation"], "Apply");
        assert_eq!(mf[0]["apiVersion"], "apps/v1");
        assert_eq!(mf[0]["fieldsType"], "FieldsV1");
        assert_eq!(mf[0]["fieldsV1"]["f:spec"]["f:replicas"], json!({}));
        let (created, _) = apply(
            &mut c,
            &web(2, json!([{"name": "A", "value": "1"}])),
            "kubectl",
            false,
        )
        .unwrap();
        assert!(!created);
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let mut c = cluster();
        apply(
            &mut c,
            &web(
                2,
                json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
            ),
            "kubectl",
            false,
        )
        .unwrap();
        let mut second = web(2, json!([{"name": "A", "value": "1"}]));
        second["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("tier");
        let (_, obj) = apply(&mut c, &second, "kubectl", false).unwrap();
        assert_eq!(obj["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}])
        );
        // A field another manager also applies stays.
        apply(&mut c, &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"owner": "x"}}}), "other", false).unwrap();
        let (_, obj) = apply(&mut c, &second, "kubectl", false).unwrap();
        assert_eq!(obj["metadata"]["labels"]["owner"], "x");
    }

    #[test]
    fn a_field_changed_by_another_writer_conflicts_unless_forced() {
        let mut c = cluster();
        apply(&mut c, &web(2, json!([])), "kubectl", false).unwrap();
        // kubectl scale: an Update by another manager takes spec.replicas.
        c.patch_with(
            &User::admin(),
            deployments(),
            Some("default"),
            "web",
            PatchType::Merge,
            &json!({"spec": {"replicas": 5}}),
            &by("kubectl-scale"),
        )
        .unwrap();
        let err = apply(&mut c, &web(3, json!([])), "kubectl", false).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.reason, "Conflict");
        assert_eq!(err.message, "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas");
        // The same value is no conflict (shared ownership).
        apply(&mut c, &web(5, json!([])), "kubectl", false).unwrap();
        let (_, obj) = apply(&mut c, &web(3, json!([])), "kubectl", true).unwrap();
        assert_eq!(obj["spec"]["replicas"], 3);
        let managers: Vec<&str> = obj["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["manager"].as_str().unwrap())
            .collect();
        assert_eq!(
            managers,
            ["kubectl"],
            "the forced apply took the only field kubectl-scale owned"
        );
    }

    #[test]
    fn an_object_made_by_client_side_apply_is_owned_by_its_applier() {
        let mut c = cluster();
        let mut body = web(2, json!([]));
        let config = serde_json::to_string(&body).unwrap();
        body["metadata"]["annotations"] =
            json!({"kubectl.kubernetes.io/last-applied-configuration": config});
        c.create_with(
            &User::admin(),
            deployments(),
            Some("default"),
            body,
            &by("kubectl-client-side-apply"),
        )
        .unwrap();
        let err = apply(&mut c, &web(3, json!([])), "kubectl", false).unwrap_err();
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        // kubectl scale through the scale subresource takes .spec.replicas from every owner.
        let scale = json!({"spec": {"replicas": 7}});
        let (_, _) = apply(&mut c, &web(2, json!([])), "kubectl", false).unwrap();
        c.patch_scale(
            &User::admin(),
            deployments(),
            Some("default"),
            "web",
            PatchType::Merge,
            &scale,
            &by("kubectl"),
        )
        .unwrap();
        let err = apply(&mut c, &web(3, json!([])), "mine", false).unwrap_err();
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"
        );
    }

    #[test]
    fn the_applied_kind_must_match_the_url() {
        let mut c = cluster();
        let mut body = web(1, json!([]));
        body["kind"] = json!("StatefulSet");
        let err = apply(&mut c, &body, "kubectl", false).unwrap_err();
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .contains("kind in the data (StatefulSet) does not match"),
            "{}",
            err.message
        );
    }

    #[test]
    fn field_manager_is_required_and_dry_run_stores_nothing() {
        let mut c = cluster();
        let err = c
            .apply_with(
                &User::admin(),
                deployments(),
                Some("default"),
                "web",
                &web(1, json!([])),
                false,
                &WriteOptions::default(),
            )
            .unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(err.message, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        let dry = WriteOptions {
            dry_run: true,
            ..by("kubectl")
        };
        c.apply_with(
            &User::admin(),
            deployments(),
            Some("default"),
            "web",
            &web(1, json!([])),
            false,
            &dry,
        )
        .unwrap();
        assert!(c.get(deployments(), Some("default"), "web").is_err());
    }
}
