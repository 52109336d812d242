//! Scale targets (issue 9): a Deployment scaled to 1,000 replicas reaches all Running, with time
//! fast-forwarded, in under 100 ms; 10,000 in under 1 s (release build, one core).
//!
//! The timing assertions only apply to optimised builds. Both tests are ignored by default:
//! the targets are NOT met yet (in release on a loaded 2-core machine, about 0.3 to 0.5 s for
//! 1,000 replicas and 3.5 to 4.5 s for 10,000), and 10,000 replicas take minutes in a debug
//! build. Run them with
//! `cargo test --release -p cluster --test performance -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use cluster::api::{User, WriteOptions};
use cluster::minikube::Shape;
use cluster::patch::PatchType;
use cluster::{resources, Cluster, ClusterConfig, Object};
use jiff::SignedDuration;
use serde_json::json;

/// Scales a running one-replica Deployment to `n` and fast-forwards until every pod runs.
fn scale_to(n: usize) -> Duration {
    let shape = Shape {
        control_plane_pods: 20_000,
        control_plane_cpu: "64".into(),
        control_plane_memory: "256Gi".into(),
        ..Shape::default()
    };
    let mut c = Cluster::with_shape(&ClusterConfig::default(), &shape);
    let deploys = resources::by_kind("apps/v1", "Deployment").unwrap();
    let admin = User::admin();
    let opts = WriteOptions::internal();
    c.create_with(&admin, deploys, Some("default"), json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}
    }), &opts).unwrap();
    c.advance(SignedDuration::from_secs(10));
    let start = Instant::now();
    c.patch_with(
        &admin,
        deploys,
        Some("default"),
        "web",
        PatchType::Merge,
        &json!({"spec": {"replicas": n}}),
        &opts,
    )
    .unwrap();
    c.advance(SignedDuration::from_secs(30));
    let took = start.elapsed();
    let running = c
        .store()
        .list("Pod", Some("default"))
        .filter(|o| matches!(o.as_ref(), Object::Pod(p) if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
        .count();
    assert_eq!(running, n, "all replicas run");
    took
}

#[test]
#[ignore = "target not met yet; run in release with --ignored"]
fn scaling_to_a_thousand_replicas_is_fast() {
    let took = scale_to(1_000);
    println!("1,000 replicas: {took:?}");
    if !cfg!(debug_assertions) {
        assert!(took < Duration::from_millis(100), "took {took:?}");
    }
}

#[test]
#[ignore = "target not met yet; run in release with --ignored"]
fn scaling_to_ten_thousand_replicas_is_fast() {
    let took = scale_to(10_000);
    println!("10,000 replicas: {took:?}");
    if !cfg!(debug_assertions) {
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
}
