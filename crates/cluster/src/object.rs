//! Stored objects, typed with the real Kubernetes API types from `k8s-openapi`.
//!
//! Like the real API server, objects are decoded into their typed form on the way in: every field
//! of the v1.33 API round-trips, and fields the API does not know are dropped (or rejected, under
//! strict field validation, before decoding).

use k8s_openapi::api::{
    apps, autoscaling, batch, coordination, core, discovery, networking, policy, rbac, storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;
use serde_json::Value;

use crate::resources::{self, ResourceType};

macro_rules! objects {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        /// One stored Kubernetes object of any served kind.
        ///
        /// Each variant is boxed: the API types are large (a bare enum would be as big as its
        /// biggest type, about 3.5 KB, for every Event and every move), and a box keeps each
        /// stored object no bigger than its own type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Object {
            $($variant(Box<$ty>)),*
        }

        impl Object {
            pub fn meta(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => o.metadata()),* }
            }

            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$variant(o) => o.metadata_mut()),* }
            }

            pub fn kind(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$ty as k8s_openapi::Resource>::KIND),* }
            }

            pub fn api_version(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$ty as k8s_openapi::Resource>::API_VERSION),* }
            }

            /// Serialises to the JSON the API serves (apiVersion and kind included).
            pub fn to_value(&self) -> Value {
                let v = match self { $(Object::$variant(o) => serde_json::to_value(o)),* };
                v.expect("API types always serialise")
            }

            /// Decodes JSON of the given kind into its typed form. Unknown fields are dropped here;
            /// strict validation reports them before this is called.
            pub fn from_value(kind: &str, value: Value) -> Result<Object, serde_json::Error> {
                match kind {
                    $(<$ty as k8s_openapi::Resource>::KIND => serde_json::from_value::<$ty>(value).map(|o| Object::$variant(Box::new(o))),)*
                    _ => Err(serde::de::Error::custom(format!("no type for kind {kind:?}"))),
                }
            }
        }

        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Object { Object::$variant(Box::new(o)) }
            }

            impl TryFrom<Object> for $ty {
                type Error = Object;
                fn try_from(o: Object) -> Result<$ty, Object> {
                    match o { Object::$variant(x) => Ok(*x), other => Err(other) }
                }
            }

            impl<'a> TryFrom<&'a Object> for &'a $ty {
                type Error = ();
                fn try_from(o: &'a Object) -> Result<&'a $ty, ()> {
                    match o { Object::$variant(x) => Ok(&**x), _ => Err(()) }
                }
            }
        )*
    };
}

objects! {
    ConfigMap => core::v1::ConfigMap,
    Endpoints => core::v1::Endpoints,
    Event => core::v1::Event,
    LimitRange => core::v1::LimitRange,
    Namespace => core::v1::Namespace,
    Node => core::v1::Node,
    PersistentVolumeClaim => core::v1::PersistentVolumeClaim,
    PersistentVolume => core::v1::PersistentVolume,
    Pod => core::v1::Pod,
    ReplicationController => core::v1::ReplicationController,
    ResourceQuota => core::v1::ResourceQuota,
    Secret => core::v1::Secret,
    ServiceAccount => core::v1::ServiceAccount,
    Service => core::v1::Service,
    ControllerRevision => apps::v1::ControllerRevision,
    DaemonSet => apps::v1::DaemonSet,
    Deployment => apps::v1::Deployment,
    ReplicaSet => apps::v1::ReplicaSet,
    StatefulSet => apps::v1::StatefulSet,
    HorizontalPodAutoscaler => autoscaling::v2::HorizontalPodAutoscaler,
    CronJob => batch::v1::CronJob,
    Job => batch::v1::Job,
    Lease => coordination::v1::Lease,
    EndpointSlice => discovery::v1::EndpointSlice,
    IngressClass => networking::v1::IngressClass,
    Ingress => networking::v1::Ingress,
    NetworkPolicy => networking::v1::NetworkPolicy,
    PodDisruptionBudget => policy::v1::PodDisruptionBudget,
    ClusterRoleBinding => rbac::v1::ClusterRoleBinding,
    ClusterRole => rbac::v1::ClusterRole,
    RoleBinding => rbac::v1::RoleBinding,
    Role => rbac::v1::Role,
    StorageClass => storage::v1::StorageClass,
}

impl Object {
    /// The served resource type of this object.
    pub fn resource_type(&self) -> &'static ResourceType {
        resources::by_kind(self.api_version(), self.kind()).expect("every stored kind is served")
    }

    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.meta().namespace.as_deref()
    }

    pub fn labels(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        self.meta().labels.as_ref()
    }

    pub fn as_pod(&self) -> Option<&core::v1::Pod> {
        <&core::v1::Pod>::try_from(self).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_known_fields_and_drops_unknown_ones() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "bogus": 1}],
                     "terminationGracePeriodSeconds": 5}
        });
        let o = Object::from_value("Pod", pod).unwrap();
        assert_eq!(o.name(), "web");
        assert_eq!(o.resource_type().plural, "pods");
        let back = o.to_value();
        assert_eq!(back["spec"]["terminationGracePeriodSeconds"], 5);
        assert!(back["spec"]["containers"][0].get("bogus").is_none());
        assert_eq!(back["apiVersion"], "v1");
    }

    #[test]
    fn every_served_stored_kind_has_a_type() {
        for rt in resources::RESOURCES
            .iter()
            .filter(|r| !resources::is_virtual(r))
        {
            let v = serde_json::json!({"apiVersion": rt.api_version(), "kind": rt.kind, "metadata": {"name": "x"}});
            let o = Object::from_value(rt.kind, v).unwrap_or_else(|e| panic!("{}: {e}", rt.kind));
            assert_eq!(o.resource_type(), rt);
        }
    }
}
