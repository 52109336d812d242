//! Container configuration the kubelet assembles before starting a container: environment from
//! `env`/`envFrom` (ConfigMaps, Secrets, the downward API) and files from ConfigMap/Secret
//! volumes. Missing objects and keys fail exactly as the kubelet reports them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret};

use crate::object::Object;
use crate::store::{Key, Store};

fn config_map<'a>(store: &'a Store, ns: &str, name: &str) -> Option<&'a ConfigMap> {
    let key = Key {
        kind: "ConfigMap",
        namespace: ns.into(),
        name: name.into(),
    };
    match store.get(&key).map(|o| o.as_ref()) {
        Some(Object::ConfigMap(c)) => Some(c),
        _ => None,
    }
}

fn secret<'a>(store: &'a Store, ns: &str, name: &str) -> Option<&'a Secret> {
    let key = Key {
        kind: "Secret",
        namespace: ns.into(),
        name: name.into(),
    };
    match store.get(&key).map(|o| o.as_ref()) {
        Some(Object::Secret(s)) => Some(s),
        _ => None,
    }
}

fn cm_data(cm: &ConfigMap) -> BTreeMap<String, String> {
    let mut out = cm.data.clone().unwrap_or_default();
    for (k, v) in cm.binary_data.iter().flatten() {
        out.insert(k.clone(), String::from_utf8_lossy(&v.0).into_owned());
    }
    out
}

fn secret_data(s: &Secret) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = s
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
        .collect();
    for (k, v) in s.string_data.iter().flatten() {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// Resolves the container's environment, in the order the kubelet builds it: `envFrom` first,
/// then `env` (later entries win). Errors are the kubelet's `CreateContainerConfigError` messages.
pub fn environment(
    store: &Store,
    pod: &Pod,
    c: &Container,
    pod_ip: &str,
    host_ip: &str,
) -> Result<Vec<(String, String)>, String> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
        if let Some(e) = env.iter_mut().find(|(n, _)| *n == k) {
            e.1 = v;
        } else {
            env.push((k, v));
        }
    };
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        if let Some(r) = &from.config_map_ref {
            match config_map(store, ns, &r.name) {
                Some(cm) => {
                    for (k, v) in cm_data(cm) {
                        set(&mut env, format!("{prefix}{k}"), v);
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(format!("configmap \"{}\" not found", r.name)),
            }
        }
        if let Some(r) = &from.secret_ref {
            match secret(store, ns, &r.name) {
                Some(s) => {
                    for (k, v) in secret_data(s) {
                        set(&mut env, format!("{prefix}{k}"), v);
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(format!("secret \"{}\" not found", r.name)),
            }
        }
    }
    for e in c.env.iter().flatten() {
        let value = if let Some(v) = &e.value {
            expand_refs(v, &env)
        } else if let Some(from) = &e.value_from {
            if let Some(r) = &from.config_map_key_ref {
                match config_map(store, ns, &r.name) {
                    Some(cm) => match cm_data(cm).get(&r.key) {
                        Some(v) => v.clone(),
                        None if r.optional == Some(true) => continue,
                        None => {
                            return Err(format!(
                                "couldn't find key {} in ConfigMap {ns}/{}",
                                r.key, r.name
                            ))
                        }
                    },
                    None if r.optional == Some(true) => continue,
                    None => return Err(format!("configmap \"{}\" not found", r.name)),
                }
            } else if let Some(r) = &from.secret_key_ref {
                match secret(store, ns, &r.name) {
                    Some(s) => match secret_data(s).get(&r.key) {
                        Some(v) => v.clone(),
                        None if r.optional == Some(true) => continue,
                        None => {
                            return Err(format!(
                                "couldn't find key {} in Secret {ns}/{}",
                                r.key, r.name
                            ))
                        }
                    },
                    None if r.optional == Some(true) => continue,
                    None => return Err(format!("secret \"{}\" not found", r.name)),
                }
            } else if let Some(f) = &from.field_ref {
                field_ref(pod, &f.field_path, pod_ip, host_ip)
            } else if let Some(r) = &from.resource_field_ref {
                resource_ref(c, &r.resource)
            } else {
                String::new()
            }
        } else {
            String::new()
        };
        set(&mut env, e.name.clone(), value);
    }
    Ok(env)
}

/// `$(VAR)` references to earlier variables, as the kubelet expands them.
fn expand_refs(v: &str, env: &[(String, String)]) -> String {
    let mut out = v.to_string();
    for (k, val) in env {
        out = out.replace(&format!("$({k})"), val);
    }
    out
}

fn field_ref(pod: &Pod, path: &str, pod_ip: &str, host_ip: &str) -> String {
    let spec = pod.spec.as_ref();
    match path {
        "metadata.name" => pod.metadata.name.clone().unwrap_or_default(),
        "metadata.namespace" => pod.metadata.namespace.clone().unwrap_or_default(),
        "metadata.uid" => pod.metadata.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.podIP" => pod_ip.to_string(),
        "status.hostIP" => host_ip.to_string(),
        p => {
            let lookup = |prefix: &str, map: Option<&BTreeMap<String, String>>| {
                p.strip_prefix(prefix)
                    .and_then(|r| r.strip_suffix("']"))
                    .and_then(|k| map.and_then(|m| m.get(k)).cloned())
            };
            lookup("metadata.labels['", pod.metadata.labels.as_ref())
                .or_else(|| lookup("metadata.annotations['", pod.metadata.annotations.as_ref()))
                .unwrap_or_default()
        }
    }
}

fn resource_ref(c: &Container, resource: &str) -> String {
    let r = c.resources.as_ref();
    let (section, name) = resource.split_once('.').unwrap_or(("limits", resource));
    let map = if section == "requests" {
        r.and_then(|r| r.requests.as_ref())
    } else {
        r.and_then(|r| r.limits.as_ref())
    };
    match map.and_then(|m| m.get(name)) {
        Some(q) if name == "cpu" => ((crate::quantity::millicores(q) + 999) / 1000).to_string(),
        Some(q) => crate::quantity::value(q).to_string(),
        // Without a limit the node's allocatable is reported.
        None if name == "cpu" => "2".into(),
        None => "8217994176".into(),
    }
}

/// Files a container sees from ConfigMap and Secret volumes, by absolute path. Errors are the
/// kubelet's `FailedMount` messages (without the `MountVolume.SetUp failed` prefix's volume).
pub fn volume_files(
    store: &Store,
    pod: &Pod,
    c: &Container,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut files = BTreeMap::new();
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    for m in c.volume_mounts.iter().flatten() {
        let Some(v) = volumes.and_then(|vs| vs.iter().find(|v| v.name == m.name)) else {
            continue;
        };
        let (data, items, kind, name, optional) = if let Some(cmv) = &v.config_map {
            (
                config_map(store, ns, &cmv.name).map(cm_data),
                cmv.items.as_ref(),
                "configmap",
                cmv.name.clone(),
                cmv.optional,
            )
        } else if let Some(sv) = &v.secret {
            let n = sv.secret_name.clone().unwrap_or_default();
            (
                secret(store, ns, &n).map(secret_data),
                sv.items.as_ref(),
                "secret",
                n,
                sv.optional,
            )
        } else {
            continue;
        };
        let Some(data) = data else {
            if optional == Some(true) {
                continue;
            }
            return Err((v.name.clone(), format!("{kind} \"{name}\" not found")));
        };
        let base = m.mount_path.trim_end_matches('/');
        match items {
            Some(items) => {
                for it in items {
                    match data.get(&it.key) {
                        Some(val) => {
                            files.insert(format!("{base}/{}", it.path), val.clone());
                        }
                        None => {
                            return Err((
                                v.name.clone(),
                                format!("{kind} references non-existent config key: {}", it.key),
                            ))
                        }
                    }
                }
            }
            None => match &m.sub_path {
                Some(sub) if !sub.is_empty() => {
                    if let Some(val) = data.get(sub) {
                        files.insert(base.to_string(), val.clone());
                    }
                }
                _ => {
                    for (k, val) in data {
                        files.insert(format!("{base}/{k}"), val);
                    }
                }
            },
        }
    }
    Ok(files)
}
