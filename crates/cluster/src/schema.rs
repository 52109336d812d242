//! The bundled Kubernetes 1.33 API definitions (crate `apidefs`), plus the lookup by served
//! resource type.
//!
//! Three parts of the API machinery walk these definitions instead of hand-written tables: strict
//! field validation (which fields exist), strategic merge patch (merge keys and strategies) and the
//! OpenAPI documents the REST layer serves.

pub use apidefs::{
    definition, definitions, for_gvk, has_type, items, patch_merge_key, patch_strategies, property,
    resolve,
};
use serde_json::Value;

use crate::resources::ResourceType;

/// The definition of a served resource type's object.
pub fn for_resource(rt: &ResourceType) -> Option<&'static Value> {
    for_gvk(rt.group, rt.version, rt.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;

    #[test]
    fn finds_kinds_and_follows_refs() {
        let pod = for_resource(by_plural("", "pods").unwrap()).unwrap();
        let containers = property(property(pod, "spec").unwrap(), "containers").unwrap();
        assert_eq!(patch_merge_key(containers), Some("name"));
        assert_eq!(patch_strategies(containers), ["merge"]);
        let container = items(containers).unwrap();
        assert!(property(container, "image").is_some());
        assert!(property(container, "bogus").is_none());
        assert!(for_gvk("autoscaling", "v1", "Scale").is_some());
    }

    #[test]
    fn every_served_stored_kind_has_a_definition() {
        for rt in crate::resources::RESOURCES {
            assert!(for_resource(rt).is_some(), "{}", rt.kind);
        }
    }
}
