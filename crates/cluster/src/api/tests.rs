//! Scenario tests of the request API: each rule, with the real message.

use serde_json::{json, Value};

use super::*;
use crate::fieldvalidation::FieldValidation;
use crate::patch::PatchType;
use crate::resources::by_plural;
use crate::{Cluster, ClusterConfig};

fn rt(group: &str, plural: &str) -> &'static ResourceType {
    by_plural(group, plural).unwrap()
}

fn pods() -> &'static ResourceType {
    rt("", "pods")
}

fn cluster() -> Cluster {
    // The API machinery alone: no controller, scheduler or kubelet reacts to these writes.
    let mut c = Cluster::new(&ClusterConfig::default());
    c.stop_control_plane(true);
    c
}

fn admin() -> User {
    User::admin()
}

fn opts() -> WriteOptions {
    WriteOptions::default()
}

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
}

fn deployment(name: &str, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]}}}})
}

fn create(
    c: &mut Cluster,
    rt: &'static ResourceType,
    ns: Option<&str>,
    body: Value,
) -> Result<Written, Status> {
    c.create_with(&admin(), rt, ns, body, &opts())
}

#[test]
fn pod_create_is_defaulted_and_admitted_like_v1_33() {
    let mut c = cluster();
    let p = create(&mut c, pods(), Some("default"), pod("web"))
        .unwrap()
        .object
        .to_value();
    let spec = &p["spec"];
    assert_eq!(spec["dnsPolicy"], "ClusterFirst");
    assert_eq!(spec["enableServiceLinks"], true);
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(spec["priority"], 0);
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(spec["securityContext"], json!({}));
    assert_eq!(spec["serviceAccount"], "default");
    assert_eq!(spec["serviceAccountName"], "default");
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["tolerations"].as_array().unwrap().len(), 2);
    assert_eq!(spec["tolerations"][0]["tolerationSeconds"], 300);
    let c0 = &spec["containers"][0];
    assert_eq!(c0["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c0["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c0["terminationMessagePolicy"], "File");
    let volume = spec["volumes"][0]["name"].as_str().unwrap();
    assert!(volume.starts_with("kube-api-access-") && volume.len() == "kube-api-access-".len() + 5);
    assert_eq!(
        c0["volumeMounts"][0],
        json!({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": volume, "readOnly": true})
    );
    assert_eq!(
        p["status"],
        json!({"phase": "Pending", "qosClass": "BestEffort"})
    );
    assert_eq!(p["metadata"]["generation"], 1);
    assert!(p["metadata"]["resourceVersion"].is_string());
}

#[test]
fn names_are_validated_with_the_real_message() {
    let mut c = cluster();
    let err = create(&mut c, pods(), Some("default"), pod("Foo")).unwrap_err();
    assert_eq!(err.code, 422);
    assert_eq!(
        err.message,
        r#"Pod "Foo" is invalid: metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
    );
}

#[test]
fn strict_field_validation_fails_and_warn_warns() {
    let mut c = cluster();
    let mut body = pod("web");
    body["spec"]["foo"] = json!(1);
    let strict = WriteOptions {
        field_validation: FieldValidation::Strict,
        ..opts()
    };
    let err = c
        .create_with(&admin(), pods(), Some("default"), body.clone(), &strict)
        .unwrap_err();
    assert_eq!(err.code, 400);
    assert_eq!(err.reason, "BadRequest");
    assert_eq!(
        err.message,
        r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo""#
    );
    let w = c
        .create_with(&admin(), pods(), Some("default"), body, &opts())
        .unwrap();
    assert_eq!(w.warnings, [r#"unknown field "spec.foo""#]);
    assert!(w.object.to_value()["spec"].get("foo").is_none());
}

#[test]
fn wrong_kind_for_the_url_and_namespace_mismatch() {
    let mut c = cluster();
    let err = create(&mut c, pods(), Some("default"), deployment("web", "nginx")).unwrap_err();
    assert_eq!(
        err.message,
        "the API version in the data (apps/v1) does not match the expected API version (v1)"
    );
    let mut p = pod("web");
    p["metadata"]["namespace"] = json!("other");
    let err = create(&mut c, pods(), Some("default"), p).unwrap_err();
    assert_eq!(
        err.message,
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    let err = create(&mut c, pods(), Some("nope"), pod("web")).unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (404, r#"namespaces "nope" not found"#)
    );
}

#[test]
fn deployment_selector_must_match_and_is_immutable() {
    let mut c = cluster();
    let deploys = rt("apps", "deployments");
    let mut bad = deployment("web", "nginx");
    bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "x"});
    let err = create(&mut c, deploys, Some("default"), bad).unwrap_err();
    assert_eq!(
        err.message,
        r#"Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#
    );
    let d = create(&mut c, deploys, Some("default"), deployment("web", "nginx"))
        .unwrap()
        .object
        .to_value();
    assert_eq!(
        d["spec"]["strategy"]["rollingUpdate"],
        json!({"maxSurge": "25%", "maxUnavailable": "25%"})
    );
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    let err = c
        .patch_with(&admin(), deploys, Some("default"), "web", PatchType::Merge,
            &json!({"spec": {"selector": {"matchLabels": {"app": "nginx2"}}, "template": {"metadata": {"labels": {"app": "nginx2"}}}}}), &opts())
        .unwrap_err();
    assert_eq!(
        err.message,
        r#"Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
    );
}

#[test]
fn generation_moves_with_spec_only_and_conflicts_are_detected() {
    let mut c = cluster();
    let deploys = rt("apps", "deployments");
    create(
        &mut c,
        deploys,
        Some("default"),
        deployment("web", "nginx:1.26"),
    )
    .unwrap();
    let w = c
        .patch_with(
            &admin(),
            deploys,
            Some("default"),
            "web",
            PatchType::Merge,
            &json!({"metadata": {"labels": {"team": "a"}}}),
            &opts(),
        )
        .unwrap();
    assert_eq!(w.object.meta().generation, Some(1));
    let stale = w.object.meta().resource_version.clone().unwrap();
    let w = c
        .patch_with(&admin(), deploys, Some("default"), "web", PatchType::StrategicMerge,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}), &opts())
        .unwrap();
    let v = w.object.to_value();
    assert_eq!(v["metadata"]["generation"], 2);
    assert_eq!(
        v["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    let mut body = v.clone();
    body["metadata"]["resourceVersion"] = json!(stale);
    let err = c
        .update_with(&admin(), deploys, Some("default"), "web", body, &opts())
        .unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        r#"Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again"#
    );
    // A no-op update keeps the resourceVersion.
    let same = c
        .update_with(
            &admin(),
            deploys,
            Some("default"),
            "web",
            v.clone(),
            &opts(),
        )
        .unwrap();
    assert_eq!(
        same.object.meta().resource_version,
        w.object.meta().resource_version
    );
}

#[test]
fn pod_spec_updates_are_forbidden_except_images() {
    let mut c = cluster();
    create(&mut c, pods(), Some("default"), pod("web")).unwrap();
    let ok = c
        .patch_with(
            &admin(),
            pods(),
            Some("default"),
            "web",
            PatchType::StrategicMerge,
            &json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}),
            &opts(),
        )
        .unwrap();
    assert_eq!(
        ok.object.to_value()["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    let err = c
        .patch_with(
            &admin(),
            pods(),
            Some("default"),
            "web",
            PatchType::StrategicMerge,
            &json!({"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]}}),
            &opts(),
        )
        .unwrap_err();
    assert!(err.message.starts_with(
        "Pod \"web\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
    ), "{}", err.message);
}

#[test]
fn scale_subresource() {
    let mut c = cluster();
    let deploys = rt("apps", "deployments");
    create(&mut c, deploys, Some("default"), deployment("web", "nginx")).unwrap();
    let s = c
        .get_scale(&admin(), deploys, Some("default"), "web")
        .unwrap();
    assert_eq!(s["kind"], "Scale");
    assert_eq!(s["apiVersion"], "autoscaling/v1");
    assert_eq!(s["spec"]["replicas"], 2);
    assert_eq!(s["status"]["selector"], "app=web");
    let s = c
        .patch_scale(
            &admin(),
            deploys,
            Some("default"),
            "web",
            PatchType::Merge,
            &json!({"spec": {"replicas": 5}}),
            &opts(),
        )
        .unwrap();
    assert_eq!(s["spec"]["replicas"], 5);
    assert_eq!(
        c.get(deploys, Some("default"), "web").unwrap().to_value()["spec"]["replicas"],
        5
    );
    let err = c
        .patch_scale(
            &admin(),
            deploys,
            Some("default"),
            "web",
            PatchType::Merge,
            &json!({"spec": {"replicas": -1}}),
            &opts(),
        )
        .unwrap_err();
    assert_eq!(
        err.message,
        r#"Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#
    );
    let err = c
        .get_scale(&admin(), rt("", "configmaps"), Some("default"), "x")
        .unwrap_err();
    assert_eq!(err.code, 404);
}

#[test]
fn status_subresource_changes_status_only() {
    let mut c = cluster();
    let deploys = rt("apps", "deployments");
    create(&mut c, deploys, Some("default"), deployment("web", "nginx")).unwrap();
    let w = c
        .patch_status(
            &admin(),
            deploys,
            Some("default"),
            "web",
            PatchType::Merge,
            &json!({"spec": {"replicas": 9}, "status": {"replicas": 2}}),
            &opts(),
        )
        .unwrap();
    let v = w.object.to_value();
    assert_eq!(v["status"]["replicas"], 2);
    assert_eq!(v["spec"]["replicas"], 2);
    // And the main resource ignores status.
    let mut body = v.clone();
    body["status"]["replicas"] = json!(7);
    let w = c
        .update_with(&admin(), deploys, Some("default"), "web", body, &opts())
        .unwrap();
    assert_eq!(w.object.to_value()["status"]["replicas"], 2);
}

#[test]
fn deleting_returns_status_or_object_and_pods_terminate_gracefully() {
    let mut c = cluster();
    let cms = rt("", "configmaps");
    create(
        &mut c,
        cms,
        Some("default"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}),
    )
    .unwrap();
    let d = c
        .delete_with(
            &admin(),
            cms,
            Some("default"),
            "cfg",
            &DeleteOptions::default(),
        )
        .unwrap();
    let body = d.response_body();
    assert_eq!(body["status"], "Success");
    assert_eq!(body["details"]["kind"], "configmaps");
    assert_eq!(
        c.get(cms, Some("default"), "cfg").unwrap_err().message,
        r#"configmaps "cfg" not found"#
    );

    // An unscheduled pod goes at once; a bound one gets a deletionTimestamp.
    create(&mut c, pods(), Some("default"), pod("loose")).unwrap();
    let mut bound = pod("bound");
    bound["spec"]["nodeName"] = json!("minikube");
    bound["spec"]["terminationGracePeriodSeconds"] = json!(10);
    create(&mut c, pods(), Some("default"), bound).unwrap();
    assert!(matches!(
        c.delete_with(
            &admin(),
            pods(),
            Some("default"),
            "loose",
            &DeleteOptions::default()
        )
        .unwrap(),
        Deleted::Removed(_)
    ));
    let d = c
        .delete_with(
            &admin(),
            pods(),
            Some("default"),
            "bound",
            &DeleteOptions::default(),
        )
        .unwrap();
    let Deleted::Pending(p) = d else {
        panic!("bound pods terminate gracefully")
    };
    assert_eq!(p.meta().deletion_grace_period_seconds, Some(10));
    assert_eq!(
        p.meta().deletion_timestamp.as_ref().unwrap().0,
        c.now()
            .checked_add(jiff::SignedDuration::from_secs(10))
            .unwrap()
    );
    // The kubelet's final delete with grace 0 removes it.
    let gone = c
        .delete_with(
            &admin(),
            pods(),
            Some("default"),
            "bound",
            &DeleteOptions {
                grace_period_seconds: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(gone, Deleted::Removed(_)));
    let err = c
        .delete_with(
            &admin(),
            pods(),
            Some("default"),
            "bound",
            &DeleteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.message, r#"pods "bound" not found"#);
}

#[test]
fn finalizers_block_removal_until_removed() {
    let mut c = cluster();
    let cms = rt("", "configmaps");
    create(
        &mut c,
        cms,
        Some("default"),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg", "finalizers": ["example.com/keep"]}}),
    )
    .unwrap();
    let d = c
        .delete_with(
            &admin(),
            cms,
            Some("default"),
            "cfg",
            &DeleteOptions::default(),
        )
        .unwrap();
    assert!(matches!(d, Deleted::Pending(_)));
    assert!(c
        .get(cms, Some("default"), "cfg")
        .unwrap()
        .meta()
        .deletion_timestamp
        .is_some());
    c.patch_with(
        &admin(),
        cms,
        Some("default"),
        "cfg",
        PatchType::Merge,
        &json!({"metadata": {"finalizers": null}}),
        &opts(),
    )
    .unwrap();
    assert!(c.get(cms, Some("default"), "cfg").is_err());
}

/// Deployment → ReplicaSet → ConfigMap ownership chain, built by hand (no controllers needed).
fn owned_chain(c: &mut Cluster) -> (String, String) {
    let deploys = rt("apps", "deployments");
    let rss = rt("apps", "replicasets");
    let d = create(c, deploys, Some("default"), deployment("web", "nginx"))
        .unwrap()
        .object;
    let owner = |o: &Object| {
        json!([{"apiVersion": o.api_version(), "kind": o.kind(), "name": o.name(),
        "uid": o.meta().uid, "controller": true, "blockOwnerDeletion": true}])
    };
    let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-1", "ownerReferences": owner(&d)},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}});
    rs["metadata"]["labels"] = json!({"app": "web"});
    let rs = create(c, rss, Some("default"), rs).unwrap().object;
    create(
        c,
        rt("", "configmaps"),
        Some("default"),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "leaf", "ownerReferences": owner(&rs)}}),
    )
    .unwrap();
    (d.name().to_string(), rs.name().to_string())
}

#[test]
fn background_deletion_cascades() {
    let mut c = cluster();
    owned_chain(&mut c);
    c.delete_with(
        &admin(),
        rt("apps", "deployments"),
        Some("default"),
        "web",
        &DeleteOptions::default(),
    )
    .unwrap();
    assert!(c
        .get(rt("apps", "replicasets"), Some("default"), "web-1")
        .is_err());
    assert!(c
        .get(rt("", "configmaps"), Some("default"), "leaf")
        .is_err());
}

#[test]
fn orphan_deletion_keeps_dependents_without_owner_references() {
    let mut c = cluster();
    owned_chain(&mut c);
    let o = DeleteOptions {
        propagation_policy: Some(Propagation::Orphan),
        ..Default::default()
    };
    c.delete_with(
        &admin(),
        rt("apps", "deployments"),
        Some("default"),
        "web",
        &o,
    )
    .unwrap();
    assert!(c
        .get(rt("apps", "deployments"), Some("default"), "web")
        .is_err());
    let rs = c
        .get(rt("apps", "replicasets"), Some("default"), "web-1")
        .unwrap();
    assert!(rs.meta().owner_references.is_none());
    assert!(c.get(rt("", "configmaps"), Some("default"), "leaf").is_ok());
}

#[test]
fn foreground_deletion_waits_for_dependents() {
    let mut c = cluster();
    owned_chain(&mut c);
    // A finalizer on the leaf keeps the chain in place: the owners wait in foreground.
    c.patch_with(
        &admin(),
        rt("", "configmaps"),
        Some("default"),
        "leaf",
        PatchType::Merge,
        &json!({"metadata": {"finalizers": ["example.com/hold"]}}),
        &opts(),
    )
    .unwrap();
    let o = DeleteOptions {
        propagation_policy: Some(Propagation::Foreground),
        ..Default::default()
    };
    let d = c
        .delete_with(
            &admin(),
            rt("apps", "deployments"),
            Some("default"),
            "web",
            &o,
        )
        .unwrap();
    let Deleted::Pending(d) = d else {
        panic!("foreground owners wait")
    };
    assert_eq!(
        d.meta().finalizers.as_deref(),
        Some(&["foregroundDeletion".to_string()][..])
    );
    assert!(c
        .get(rt("apps", "replicasets"), Some("default"), "web-1")
        .unwrap()
        .meta()
        .deletion_timestamp
        .is_some());
    c.patch_with(
        &admin(),
        rt("", "configmaps"),
        Some("default"),
        "leaf",
        PatchType::Merge,
        &json!({"metadata": {"finalizers": null}}),
        &opts(),
    )
    .unwrap();
    c.collect_garbage();
    assert!(c
        .get(rt("apps", "replicasets"), Some("default"), "web-1")
        .is_err());
    assert!(c
        .get(rt("apps", "deployments"), Some("default"), "web")
        .is_err());
}

#[test]
fn namespaces_terminate_and_refuse_new_content() {
    let mut c = cluster();
    let ns = rt("", "namespaces");
    let n = create(
        &mut c,
        ns,
        None,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
    )
    .unwrap();
    let v = n.object.to_value();
    assert_eq!(
        v["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "dev"
    );
    assert_eq!(v["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(v["status"]["phase"], "Active");
    assert!(c
        .get(rt("", "serviceaccounts"), Some("dev"), "default")
        .is_ok());
    assert!(c
        .get(rt("", "configmaps"), Some("dev"), "kube-root-ca.crt")
        .is_ok());
    let mut bound = pod("web");
    bound["spec"]["nodeName"] = json!("minikube");
    create(&mut c, pods(), Some("dev"), bound).unwrap();
    let d = c
        .delete_with(&admin(), ns, None, "dev", &DeleteOptions::default())
        .unwrap();
    let Deleted::Pending(n) = d else {
        panic!("the pod is still terminating")
    };
    assert_eq!(n.to_value()["status"]["phase"], "Terminating");
    assert!(c
        .get(rt("", "configmaps"), Some("dev"), "kube-root-ca.crt")
        .is_err());
    let conditions = c.get(ns, None, "dev").unwrap().to_value()["status"]["conditions"].clone();
    assert_eq!(conditions[3]["type"], "NamespaceContentRemaining");
    assert_eq!(
        conditions[3]["message"],
        "Some resources are remaining: pods. has 1 resource instances"
    );
    assert_eq!(
        conditions[4]["message"],
        "All content-preserving finalizers finished"
    );
    let err = create(
        &mut c,
        rt("", "configmaps"),
        Some("dev"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
    )
    .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            403,
            r#"configmaps "x" is forbidden: unable to create new content in namespace dev because it is being terminated"#
        )
    );
    c.delete_with(
        &admin(),
        pods(),
        Some("dev"),
        "web",
        &DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    c.collect_garbage();
    assert!(c.get(ns, None, "dev").is_err());
    let err = c
        .delete_with(&admin(), ns, None, "default", &DeleteOptions::default())
        .unwrap_err();
    assert_eq!(
        err.message,
        r#"namespaces "default" is forbidden: this namespace may not be deleted"#
    );
}

#[test]
fn resource_quota_rejects_with_the_real_messages() {
    let mut c = cluster();
    create(
        &mut c,
        rt("", "resourcequotas"),
        Some("default"),
        json!({"apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "compute"}, "spec": {"hard": {"requests.cpu": "1", "pods": "2"}}}),
    )
    .unwrap();
    let err = create(&mut c, pods(), Some("default"), pod("nocpu")).unwrap_err();
    assert_eq!(
        err.message,
        r#"pods "nocpu" is forbidden: failed quota: compute: must specify requests.cpu for: web"#
    );
    let with_cpu = |name: &str, cpu: &str| {
        let mut p = pod(name);
        p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": cpu}});
        p
    };
    create(&mut c, pods(), Some("default"), with_cpu("a", "600m")).unwrap();
    let err = create(&mut c, pods(), Some("default"), with_cpu("b", "500m")).unwrap_err();
    assert_eq!(err.code, 403);
    assert_eq!(
        err.message,
        r#"pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1"#
    );
    let q = c
        .get(rt("", "resourcequotas"), Some("default"), "compute")
        .unwrap()
        .to_value();
    assert_eq!(
        q["status"]["used"],
        json!({"pods": "1", "requests.cpu": "600m"})
    );
    assert_eq!(
        q["status"]["hard"],
        json!({"pods": "2", "requests.cpu": "1"})
    );
}

#[test]
fn limit_ranges_default_requests_and_limits() {
    let mut c = cluster();
    create(&mut c, rt("", "limitranges"), Some("default"), json!({"apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": "defaults"}, "spec": {"limits": [{"type": "Container",
            "default": {"cpu": "500m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m"}, "max": {"cpu": "1"}}]}})).unwrap();
    let p = create(&mut c, pods(), Some("default"), pod("web"))
        .unwrap()
        .object
        .to_value();
    assert_eq!(
        p["spec"]["containers"][0]["resources"],
        json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}})
    );
    assert_eq!(p["metadata"]["annotations"]["kubernetes.io/limit-ranger"], "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web");
    assert_eq!(p["status"]["qosClass"], "Burstable");
    let mut big = pod("big");
    big["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "2"}});
    let err = create(&mut c, pods(), Some("default"), big).unwrap_err();
    assert_eq!(
        err.message,
        r#"pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2"#
    );
}

#[test]
fn rbac_denies_and_allows_service_accounts() {
    let mut c = cluster();
    let sa = User::impersonated("system:serviceaccount:default:reader", &[]);
    let err = c
        .list_with(&sa, pods(), Some("default"), &ListOptions::default())
        .unwrap_err();
    assert_eq!(err.code, 403);
    assert_eq!(
        err.message,
        r#"pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default""#
    );
    let err = c
        .get_with(&sa, rt("", "nodes"), None, "minikube")
        .unwrap_err();
    assert_eq!(
        err.message,
        r#"nodes "minikube" is forbidden: User "system:serviceaccount:default:reader" cannot get resource "nodes" in API group "" at the cluster scope"#
    );
    create(&mut c, rt("rbac.authorization.k8s.io", "roles"), Some("default"), json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-reader"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]})).unwrap();
    create(&mut c, rt("rbac.authorization.k8s.io", "rolebindings"), Some("default"), json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "read-pods"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}]})).unwrap();
    assert!(c
        .list_with(&sa, pods(), Some("default"), &ListOptions::default())
        .is_ok());
    assert!(c
        .list_with(&sa, pods(), Some("kube-system"), &ListOptions::default())
        .is_err());
    let review = |verb: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "default", "verb": verb, "resource": "pods"}}})
    };
    let yes = c.access_review(&sa, &review("list"));
    assert_eq!(yes["status"]["allowed"], true);
    assert_eq!(
        yes["status"]["reason"],
        r#"RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to User "system:serviceaccount:default:reader""#
    );
    assert_eq!(
        c.access_review(&sa, &review("delete"))["status"]["allowed"],
        false
    );
    assert_eq!(
        c.access_review(&admin(), &review("delete"))["status"]["allowed"],
        true
    );
    let rules = c.rules_review(&sa, &json!({"spec": {"namespace": "default"}}));
    assert!(rules["status"]["resourceRules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["resources"] == json!(["pods"])));
}

#[test]
fn lists_page_with_limit_and_continue_and_filter_by_selectors() {
    let mut c = cluster();
    for i in 0..5 {
        let mut p = pod(&format!("p{i}"));
        p["metadata"]["labels"] = json!({"app": if i % 2 == 0 { "even" } else { "odd" }});
        create(&mut c, pods(), Some("default"), p).unwrap();
    }
    let page = c
        .list_with(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                limit: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    let names = |r: &ListResult| {
        r.items
            .iter()
            .map(|o| o.name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&page), ["p0", "p1"]);
    assert_eq!(page.remaining_item_count, Some(3));
    let next = c
        .list_with(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                limit: Some(2),
                continue_token: page.continue_token.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(names(&next), ["p2", "p3"]);
    let last = c
        .list_with(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                limit: Some(2),
                continue_token: next.continue_token.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(names(&last), ["p4"]);
    assert!(last.continue_token.is_none());
    let even = c
        .list_with(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                label_selector: "app in (even)".into(),
                field_selector: "metadata.name!=p0".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(names(&even), ["p2", "p4"]);
    let err = c
        .list_with(
            &admin(),
            pods(),
            None,
            &ListOptions {
                field_selector: "spec.foo=x".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.message, "field label not supported: spec.foo");
}

#[test]
fn watches_replay_from_a_version_and_expire() {
    let mut c = cluster();
    let start = c.store().resource_version();
    create(&mut c, pods(), Some("default"), pod("a")).unwrap();
    create(
        &mut c,
        rt("", "configmaps"),
        Some("default"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
    )
    .unwrap();
    c.delete(pods(), Some("default"), "a").unwrap();
    let events = c
        .watch(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                resource_version: Some(start.to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        kinds,
        [
            crate::store::EventType::Added,
            crate::store::EventType::Deleted
        ]
    );
    let initial = c
        .watch(
            &admin(),
            rt("", "namespaces"),
            None,
            &ListOptions::default(),
        )
        .unwrap();
    assert_eq!(initial.len(), 4);
    for i in 0..crate::store::WATCH_LOG_CAPACITY {
        let _ = c.patch_with(
            &admin(),
            rt("", "configmaps"),
            Some("default"),
            "x",
            PatchType::Merge,
            &json!({"data": {"n": i.to_string()}}),
            &opts(),
        );
    }
    let err = c
        .watch(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                resource_version: Some(start.to_string()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code, 410);
    assert_eq!(
        err.message,
        format!(
            "too old resource version: {start} ({})",
            c.store().oldest_watchable() + 1
        )
    );
}

#[test]
fn services_get_cluster_ips_and_node_ports() {
    let mut c = cluster();
    let svcs = rt("", "services");
    let svc = |name: &str, extra: Value| {
        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]}});
        if let Some(np) = extra.as_i64() {
            s["spec"]["ports"][0]["nodePort"] = json!(np);
        }
        s
    };
    let s = create(&mut c, svcs, Some("default"), svc("web", Value::Null))
        .unwrap()
        .object
        .to_value();
    let ip: std::net::Ipv4Addr = s["spec"]["clusterIP"].as_str().unwrap().parse().unwrap();
    assert!(
        u32::from(ip) >= u32::from(std::net::Ipv4Addr::new(10, 96, 1, 0))
            && u32::from(ip) < u32::from(std::net::Ipv4Addr::new(10, 112, 0, 0))
    );
    assert_eq!(s["spec"]["clusterIPs"], json!([ip.to_string()]));
    assert_eq!(s["spec"]["ipFamilies"], json!(["IPv4"]));
    assert_eq!(s["spec"]["ipFamilyPolicy"], "SingleStack");
    assert_eq!(s["spec"]["ports"][0]["targetPort"], 80);
    let np = s["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&np));
    let err = create(&mut c, svcs, Some("default"), svc("dup", json!(np))).unwrap_err();
    assert_eq!(
        err.message,
        format!(
            r#"Service "dup" is invalid: spec.ports[0].nodePort: Invalid value: {np}: provided port is already allocated"#
        )
    );
    // A replace that leaves the address out keeps it.
    let mut again = svc("web", Value::Null);
    again["spec"]["sessionAffinity"] = json!("ClientIP");
    let w = c
        .update_with(&admin(), svcs, Some("default"), "web", again, &opts())
        .unwrap();
    assert_eq!(
        w.object.to_value()["spec"]["clusterIP"],
        s["spec"]["clusterIP"]
    );
    assert_eq!(w.object.to_value()["spec"]["ports"][0]["nodePort"], np);
    let mut taken = svc("taken", Value::Null);
    taken["spec"]["clusterIP"] = json!("10.96.0.10");
    let err = create(&mut c, svcs, Some("default"), taken).unwrap_err();
    assert_eq!(
        err.message,
        r#"Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"#
    );
}

#[test]
fn dry_run_stores_nothing() {
    let mut c = cluster();
    let rv = c.store().resource_version();
    let w = c
        .create_with(
            &admin(),
            pods(),
            Some("default"),
            pod("web"),
            &WriteOptions {
                dry_run: true,
                ..opts()
            },
        )
        .unwrap();
    assert_eq!(w.object.name(), "web");
    assert!(c.get(pods(), Some("default"), "web").is_err());
    assert_eq!(c.store().resource_version(), rv);
}

#[test]
fn jobs_get_a_uid_selector_and_an_immutable_template() {
    let mut c = cluster();
    let jobs = rt("batch", "jobs");
    let j = create(&mut c, jobs, Some("default"), json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}})).unwrap().object;
    let v = j.to_value();
    let uid = j.meta().uid.clone().unwrap();
    assert_eq!(
        v["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid
    );
    assert_eq!(
        v["spec"]["template"]["metadata"]["labels"]["job-name"],
        "pi"
    );
    assert_eq!(v["spec"]["backoffLimit"], 6);
    let err = c
        .patch_with(&admin(), jobs, Some("default"), "pi", PatchType::StrategicMerge,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "pi", "image": "perl:2"}]}}}}), &opts())
        .unwrap_err();
    assert!(
        err.message.contains(
            "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"
        ),
        "{}",
        err.message
    );
}

#[test]
fn pvcs_get_the_default_storage_class() {
    let mut c = cluster();
    let pvc = create(&mut c, rt("", "persistentvolumeclaims"), Some("default"), json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})).unwrap().object.to_value();
    assert_eq!(pvc["spec"]["storageClassName"], "standard");
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
    assert_eq!(pvc["status"]["phase"], "Pending");
    let none = create(&mut c, rt("", "persistentvolumeclaims"), Some("default"), json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "manual"}, "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})).unwrap().object.to_value();
    assert_eq!(none["spec"]["storageClassName"], "");
}

#[test]
fn missing_service_account_is_refused() {
    let mut c = cluster();
    let mut p = pod("web");
    p["spec"]["serviceAccountName"] = json!("builder");
    let err = create(&mut c, pods(), Some("default"), p).unwrap_err();
    assert_eq!(
        err.message,
        r#"pods "web" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found"#
    );
}

/// 10,000 pods through the whole pipeline. Run with `--ignored --release` to measure.
#[test]
#[ignore]
fn ten_thousand_pods() {
    let mut c = cluster();
    let start = std::time::Instant::now();
    for i in 0..10_000 {
        create(&mut c, pods(), Some("default"), pod(&format!("p{i}"))).unwrap();
    }
    let took = start.elapsed();
    eprintln!("10,000 pod creates: {took:?}");
    let start = std::time::Instant::now();
    for i in 0..10_000 {
        c.delete(pods(), Some("default"), &format!("p{i}")).unwrap();
    }
    eprintln!("10,000 pod deletes: {:?}", start.elapsed());
}

#[test]
fn unknown_kinds_get_kubectls_no_matches_message() {
    assert_eq!(
        lookup_kind("apps/v1", "ReplicaSet").unwrap().plural,
        "replicasets"
    );
    assert_eq!(
        lookup_kind("v1", "ReplicaSet").unwrap_err(),
        r#"no matches for kind "ReplicaSet" in version "v1""#
    );
    assert_eq!(
        lookup_kind("apps/v1beta1", "Deployment").unwrap_err(),
        r#"no matches for kind "Deployment" in version "apps/v1beta1""#
    );
}

#[test]
fn label_selected_watches_see_objects_enter_and_leave() {
    let mut c = cluster();
    let start = c.store().resource_version();
    create(&mut c, pods(), Some("default"), pod("a")).unwrap();
    let relabel = |c: &mut Cluster, app: &str| {
        c.patch_with(
            &admin(),
            pods(),
            Some("default"),
            "a",
            PatchType::Merge,
            &json!({"metadata": {"labels": {"app": app}}}),
            &opts(),
        )
        .unwrap();
    };
    relabel(&mut c, "db");
    relabel(&mut c, "web");
    c.patch_with(
        &admin(),
        pods(),
        Some("default"),
        "a",
        PatchType::Merge,
        &json!({"metadata": {"annotations": {"x": "y"}}}),
        &opts(),
    )
    .unwrap();
    c.delete(pods(), Some("default"), "a").unwrap();
    let events = c
        .watch(
            &admin(),
            pods(),
            Some("default"),
            &ListOptions {
                label_selector: "app=web".into(),
                resource_version: Some(start.to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    use crate::store::EventType::*;
    let kinds: Vec<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, [Added, Deleted, Added, Modified, Deleted]);
}

/// Stored objects as `kubectl get -o yaml` would show them right after creation (before any
/// controller ran), compared with golden files in `src/api/golden/`. Generated values (uid,
/// resourceVersion, token volume suffix, ClusterIP, NodePort) are normalised. Regenerate with
/// `UPDATE_GOLDEN=1 cargo test -p cluster --lib golden`.
#[test]
fn golden_defaulted_objects() {
    let mut c = cluster();
    let objects = [
        ("pod", create(&mut c, pods(), Some("default"), pod("web")).unwrap()),
        ("deployment", create(&mut c, rt("apps", "deployments"), Some("default"), deployment("web", "nginx:1.27")).unwrap()),
        ("service", create(&mut c, rt("", "services"), Some("default"), json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"}, "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]}})).unwrap()),
        ("job", create(&mut c, rt("batch", "jobs"), Some("default"), json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi"}, "spec": {"template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "pi", "image": "perl:5.34", "command": ["perl", "-e", "print 1"]}]}}}})).unwrap()),
        ("namespace", create(&mut c, rt("", "namespaces"), None, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})).unwrap()),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/golden");
    for (name, written) in objects {
        let uid = written.object.meta().uid.clone().unwrap_or_default();
        let mut text = serde_yaml_ng::to_string(&written.object.to_value()).unwrap();
        text = text.replace(&uid, "<uid>");
        let v = written.object.to_value();
        if let Some(ip) = v["spec"]["clusterIP"].as_str() {
            text = text.replace(ip, "<cluster-ip>");
        }
        if let Some(np) = v["spec"]["ports"][0]["nodePort"].as_i64() {
            text = text.replace(&format!("nodePort: {np}"), "nodePort: <node-port>");
        }
        let normalised: Vec<String> = text
            .lines()
            .map(|l| {
                if let Some(i) = l.find("kube-api-access-") {
                    format!("{}kube-api-access-<suffix>", &l[..i])
                } else if l.trim_start().starts_with("resourceVersion:") {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    format!("{indent}resourceVersion: <rv>")
                } else {
                    l.to_string()
                }
            })
            .collect();
        let text = normalised.join("\n") + "\n";
        let path = dir.join(format!("{name}.yaml"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", path.display()));
        assert_eq!(text, want, "{name} differs from {}", path.display());
    }
}
