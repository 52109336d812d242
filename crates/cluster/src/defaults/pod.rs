//! Pod spec and container defaults (`SetDefaults_PodSpec`, `SetDefaults_Container`, probes,
//! volumes), shared by pods and every pod template.

use serde_json::{json, Value};

use super::{each_mut, object_at, set_default};

pub fn default_pod_spec(spec: &mut Value) {
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    for list in ["initContainers", "containers"] {
        for c in each_mut(spec, list) {
            default_container(c);
        }
    }
    for v in each_mut(spec, "volumes") {
        for source in ["configMap", "secret", "projected", "downwardAPI"] {
            if v[source].is_object() {
                set_default(&mut v[source], "defaultMode", json!(420));
            }
        }
        if v["hostPath"].is_object() {
            set_default(&mut v["hostPath"], "type", json!(""));
        }
    }
}

/// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests count as tags).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => "Always",
        Some((_, "latest")) => "Always",
        Some(_) => "IfNotPresent",
    }
}

pub fn default_container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or_default().to_string();
    set_default(c, "imagePullPolicy", json!(image_pull_policy(&image)));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
    for p in each_mut(c, "ports") {
        set_default(p, "protocol", json!("TCP"));
    }
    for e in each_mut(c, "env") {
        if e["valueFrom"]["fieldRef"].is_object() {
            set_default(&mut e["valueFrom"]["fieldRef"], "apiVersion", json!("v1"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if c[probe].is_object() {
            let p = object_at(c, probe);
            set_default(p, "timeoutSeconds", json!(1));
            set_default(p, "periodSeconds", json!(10));
            set_default(p, "successThreshold", json!(1));
            set_default(p, "failureThreshold", json!(3));
            if p["httpGet"].is_object() {
                set_default(&mut p["httpGet"], "scheme", json!("HTTP"));
                set_default(&mut p["httpGet"], "path", json!("/"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(image_pull_policy("nginx:latest"), "Always");
        assert_eq!(image_pull_policy("nginx:1.27"), "IfNotPresent");
        assert_eq!(image_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(image_pull_policy("localhost:5000/app:v1"), "IfNotPresent");
        assert_eq!(image_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn pod_spec_defaults_match_kubectl_get_yaml() {
        let mut spec = json!({"containers": [{"name": "web", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}],
            "readinessProbe": {"httpGet": {"port": 80}}}]});
        default_pod_spec(&mut spec);
        assert_eq!(
            spec,
            json!({
                "containers": [{"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}], "resources": {},
                    "readinessProbe": {"httpGet": {"port": 80, "scheme": "HTTP", "path": "/"}, "timeoutSeconds": 1,
                        "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "securityContext": {}, "terminationGracePeriodSeconds": 30
            })
        );
    }
}
