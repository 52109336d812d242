//! What the scaling measurements share (`performance.rs`, `allocations.rs`): a Deployment `web`
//! running one replica, scaled with the clock fast-forwarded.

use cluster::api::{User, WriteOptions};
use cluster::minikube::Shape;
use cluster::patch::PatchType;
use cluster::{resources, Cluster, ClusterConfig, Object};
use jiff::SignedDuration;
use serde_json::json;

/// A cluster whose one node fits `pods` pods, with the Deployment `web` running one replica.
pub fn one_running_replica(pods: u32) -> Cluster {
    let shape = Shape {
        control_plane_pods: pods,
        control_plane_cpu: "64".into(),
        control_plane_memory: "256Gi".into(),
        ..Shape::default()
    };
    let mut c = Cluster::with_shape(&ClusterConfig::default(), &shape);
    c.create_with(&User::admin(), deployments(), Some("default"), json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}
    }), &WriteOptions::internal()).unwrap();
    c.advance(SignedDuration::from_secs(10));
    c
}

/// Scales `web` to `n` replicas and fast-forwards 30 s, time enough for every pod to run.
pub fn scale_web(c: &mut Cluster, n: usize) {
    c.patch_with(
        &User::admin(),
        deployments(),
        Some("default"),
        "web",
        PatchType::Merge,
        &json!({"spec": {"replicas": n}}),
        &WriteOptions::internal(),
    )
    .unwrap();
    c.advance(SignedDuration::from_secs(30));
}

/// How many pods of the default namespace are Running.
pub fn running_pods(c: &Cluster) -> usize {
    c.store()
        .list("Pod", Some("default"))
        .filter(|o| matches!(o.as_ref(), Object::Pod(p) if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
        .count()
}

fn deployments() -> &'static resources::ResourceType {
    resources::by_kind("apps/v1", "Deployment").unwrap()
}
