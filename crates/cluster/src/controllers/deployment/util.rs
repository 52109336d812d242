//! Pure helpers of the Deployment controller (upstream `deployment/util`).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `rand.SafeEncodeString`: maps each byte onto the no-vowel alphabet.
pub fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHABET[b as usize % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// The pod-template-hash: FNV-32a over the template (with any hash label removed) and the
/// collision count, printed in decimal and safe-encoded, as `ComputeHash` does.
pub fn pod_template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    // A template is copied only when it carries the label (a Deployment's rarely does).
    let mut bytes = if labels.is_some_and(|l| l.contains_key(POD_TEMPLATE_HASH)) {
        let mut t = template.clone();
        if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            l.remove(POD_TEMPLATE_HASH);
        }
        serde_json::to_vec(&t)
    } else {
        serde_json::to_vec(template)
    }
    .unwrap_or_default();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(c.to_string().as_bytes());
    }
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    safe_encode(&h.to_string())
}

/// Templates equal apart from the pod-template-hash label (`EqualIgnoreHash`). The typed
/// values are compared (as their JSON would be, field by field), in place: every Deployment
/// sync asks this of each of its ReplicaSets.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec && meta_equal_ignore_hash(a.metadata.as_ref(), b.metadata.as_ref())
}

/// Metadata equal once the hash label is dropped (and `labels` with it, if nothing else was in
/// it). Field by field, so that nothing is copied; naming every field makes a new one a
/// compile error here rather than a field silently left out of the comparison.
fn meta_equal_ignore_hash(a: Option<&ObjectMeta>, b: Option<&ObjectMeta>) -> bool {
    let (a, b) = match (a, b) {
        (None, None) => return true,
        (Some(a), Some(b)) => (a, b),
        _ => return false,
    };
    let ObjectMeta {
        annotations,
        creation_timestamp,
        deletion_grace_period_seconds,
        deletion_timestamp,
        finalizers,
        generate_name,
        generation,
        labels,
        managed_fields,
        name,
        namespace,
        owner_references,
        resource_version,
        self_link,
        uid,
    } = a;
    *annotations == b.annotations
        && *creation_timestamp == b.creation_timestamp
        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
        && *deletion_timestamp == b.deletion_timestamp
        && *finalizers == b.finalizers
        && *generate_name == b.generate_name
        && *generation == b.generation
        && labels_equal_ignore_hash(labels.as_ref(), b.labels.as_ref())
        && *managed_fields == b.managed_fields
        && *name == b.name
        && *namespace == b.namespace
        && *owner_references == b.owner_references
        && *resource_version == b.resource_version
        && *self_link == b.self_link
        && *uid == b.uid
}

/// Labels equal apart from the hash label; no labels and an empty map are the same.
fn labels_equal_ignore_hash(
    a: Option<&BTreeMap<String, String>>,
    b: Option<&BTreeMap<String, String>>,
) -> bool {
    fn without_hash(
        l: Option<&BTreeMap<String, String>>,
    ) -> impl Iterator<Item = (&String, &String)> {
        l.into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != POD_TEMPLATE_HASH)
    }
    without_hash(a).eq(without_hash(b))
}

pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

pub fn revision(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn scaled(v: &IntOrString, total: i32, round_up: bool) -> i32 {
    match v {
        IntOrString::Int(n) => *n,
        IntOrString::String(s) => {
            let pct: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
            let x = pct * total as f64 / 100.0;
            if round_up {
                x.ceil() as i32
            } else {
                x.floor() as i32
            }
        }
    }
}

/// `ResolveFenceposts`: (maxSurge, maxUnavailable), surge rounded up, unavailable down, and
/// never both zero.
pub fn fenceposts(d: &Deployment) -> (i32, i32) {
    let total = replicas(d);
    let ru = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let surge = ru
        .and_then(|r| r.max_surge.clone())
        .unwrap_or(IntOrString::String("25%".into()));
    let unavailable = ru
        .and_then(|r| r.max_unavailable.clone())
        .unwrap_or(IntOrString::String("25%".into()));
    let s = scaled(&surge, total, true);
    let mut u = scaled(&unavailable, total, false);
    if s == 0 && u == 0 {
        u = 1;
    }
    (s, u)
}

pub fn is_recreate(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        == Some("Recreate")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    fn deployment(replicas: i32, surge: IntOrString, unavailable: IntOrString) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(surge),
                        max_unavailable: Some(unavailable),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn fenceposts_round_like_upstream() {
        let pct = |s: &str| IntOrString::String(s.into());
        assert_eq!(fenceposts(&deployment(3, pct("25%"), pct("25%"))), (1, 0));
        assert_eq!(fenceposts(&deployment(10, pct("25%"), pct("25%"))), (3, 2));
        assert_eq!(
            fenceposts(&deployment(1, IntOrString::Int(0), IntOrString::Int(0))),
            (0, 1)
        );
    }

    #[test]
    fn hashes_use_the_safe_alphabet() {
        let h = pod_template_hash(&PodTemplateSpec::default(), None);
        assert!(
            h.len() >= 8 && h.bytes().all(|b| SAFE_ALPHABET.contains(&b)),
            "{h}"
        );
        assert_ne!(h, pod_template_hash(&PodTemplateSpec::default(), Some(1)));
    }

    #[test]
    fn templates_equal_ignoring_only_the_hash_label() {
        let template = |labels: serde_json::Value, image: &str| -> PodTemplateSpec {
            serde_json::from_value(serde_json::json!({
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            }))
            .unwrap()
        };
        let plain = template(serde_json::json!({"app": "web"}), "nginx:1.27");
        let hashed = template(
            serde_json::json!({"app": "web", POD_TEMPLATE_HASH: "766486c5b6"}),
            "nginx:1.27",
        );
        assert!(equal_ignore_hash(&plain, &hashed));
        assert!(equal_ignore_hash(&hashed, &plain));
        // Only the hash label goes: other labels, and the spec, still count.
        let other_label = template(serde_json::json!({"app": "api"}), "nginx:1.27");
        assert!(!equal_ignore_hash(&plain, &other_label));
        let other_image = template(serde_json::json!({"app": "web"}), "nginx:1.28");
        assert!(!equal_ignore_hash(&hashed, &other_image));
        // A template whose only label was the hash equals one without labels.
        let only_hash = template(serde_json::json!({POD_TEMPLATE_HASH: "x"}), "nginx:1.27");
        let mut no_labels = only_hash.clone();
        no_labels.metadata.as_mut().unwrap().labels = None;
        assert!(equal_ignore_hash(&only_hash, &no_labels));
        // Metadata other than labels counts in full (an annotation, a missing metadata).
        let mut annotated = plain.clone();
        annotated.metadata.as_mut().unwrap().annotations =
            Some([("team".to_string(), "a".to_string())].into());
        assert!(!equal_ignore_hash(&plain, &annotated));
        assert!(!equal_ignore_hash(&annotated, &hashed));
        let mut no_metadata = plain.clone();
        no_metadata.metadata = None;
        assert!(!equal_ignore_hash(&plain, &no_metadata));
        assert!(equal_ignore_hash(&no_metadata, &no_metadata.clone()));
    }
}
