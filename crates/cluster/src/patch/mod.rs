//! The patch formats of `PATCH` requests; server-side apply's field ownership is in [`apply`].
//!
//! - `application/json-patch+json` (RFC 6902), applied by the `json-patch` crate; `kubectl rollout
//!   undo` and `kubectl patch --type=json` send it.
//! - `application/merge-patch+json` (RFC 7386): maps merge, `null` deletes, lists are replaced;
//!   `kubectl label`/`annotate`/`scale` send it.
//! - `application/strategic-merge-patch+json`: like a merge patch, but lists marked with
//!   `x-kubernetes-patch-strategy: merge` in the API definitions merge element by element on
//!   their merge key (containers by `name`, ports by `containerPort`, ...), with the `$patch`,
//!   `$retainKeys`, `$setElementOrder/...` and `$deleteFromPrimitiveList/...` directives.
//!   `kubectl apply`, `set image`, `rollout restart` and `edit` send it. See [`strategic`].

pub mod apply;
pub mod strategic;

use serde_json::Value;

use crate::resources::ResourceType;
use crate::schema;
use crate::status::Status;

/// The patch format, from the request's Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
    /// Server-side apply (`application/apply-patch+yaml`), served by `Cluster::apply_with`
    /// (it upserts and tracks field ownership, so it is not a plain document transformation).
    Apply,
}

impl PatchType {
    /// Maps a Content-Type (parameters ignored) to a patch type.
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        match ct.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Applies `patch` to `original` (the stored object as JSON) and returns the patched document.
/// `rt` selects the schema for strategic merge; `schema_override` is used for subresources whose
/// body is not the resource's own kind (Scale).
pub fn apply(
    rt: &ResourceType,
    schema_override: Option<&'static Value>,
    patch_type: PatchType,
    original: &Value,
    patch: &Value,
) -> Result<Value, Status> {
    let mut doc = original.clone();
    match patch_type {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| Status::bad_request(e.to_string()))?;
            json_patch::patch(&mut doc, &ops)
                .map_err(|e| Status::new(422, "Invalid", e.to_string()))?;
        }
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(Status::bad_request(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}",
                ));
            }
            json_patch::merge(&mut doc, patch);
        }
        PatchType::StrategicMerge => {
            let schema = schema_override.or_else(|| schema::for_resource(rt));
            strategic::merge(&mut doc, patch, schema)?;
        }
        PatchType::Apply => {
            // The main resource is applied by `Cluster::apply_with`; the status and scale
            // subresources are applied as a strategic merge of the applied fields.
            let schema = schema_override.or_else(|| schema::for_resource(rt));
            strategic::merge(&mut doc, patch, schema)?;
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;
    use serde_json::json;

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(PatchType::from_content_type("text/plain"), None);
    }

    #[test]
    fn merge_patch_replaces_lists_and_deletes_nulls() {
        let deploy = by_plural("apps", "deployments").unwrap();
        let orig = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": [1, 2]}});
        let out = apply(
            deploy,
            None,
            PatchType::Merge,
            &orig,
            &json!({"metadata": {"labels": {"a": null, "c": "3"}}, "spec": {"x": [3]}}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"b": "2", "c": "3"}}, "spec": {"x": [3]}})
        );
    }

    #[test]
    fn json_patch_applies_and_reports_failures() {
        let deploy = by_plural("apps", "deployments").unwrap();
        let orig = json!({"spec": {"replicas": 1}});
        let out = apply(
            deploy,
            None,
            PatchType::Json,
            &orig,
            &json!([{"op": "replace", "path": "/spec/replicas", "value": 3}]),
        )
        .unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        let err = apply(
            deploy,
            None,
            PatchType::Json,
            &orig,
            &json!([{"op": "test", "path": "/spec/replicas", "value": 2}]),
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
        let err = apply(deploy, None, PatchType::Json, &orig, &json!({"op": "x"})).unwrap_err();
        assert_eq!(err.code, 400);
    }
}
