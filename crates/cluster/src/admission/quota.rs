//! ResourceQuota admission and usage tracking, and the session's object cap.
//!
//! A create is refused when it would take any tracked resource of a quota in its namespace over
//! the hard limit: `pods "x" is forbidden: exceeded quota: compute, requested: requests.cpu=500m,
//! used: requests.cpu=1, limited: requests.cpu=1`. A quota on cpu or memory also requires every
//! container to say how much it needs: `failed quota: compute: must specify limits.cpu for: web`.
//! The quota's `status.used` is kept current after every write in its namespace (the quota
//! controller's job), so `kubectl describe quota` shows real numbers.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::forbidden;
use crate::object::Object;
use crate::quantity::{Format, Quantity};
use crate::resources::{self, ResourceType};
use crate::status::Status;
use crate::Cluster;

/// The most objects (Events aside) one session may hold: the simulation's own "quota",
/// reported like one.
pub const MAX_OBJECTS: usize = 20_000;

/// The pod count a workload asks for: `spec.replicas`, or a Job's `spec.parallelism`.
fn requested_pods(rt: &ResourceType, obj: &Value) -> Option<i64> {
    match rt.kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController" => {
            obj["spec"]["replicas"].as_i64()
        }
        "Job" => obj["spec"]["parallelism"].as_i64(),
        _ => None,
    }
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|_| Quantity::zero())
}

fn count(n: i128) -> Quantity {
    Quantity::from_milli(n * 1000, Format::DecimalSI)
}

/// The resource names an object of `kind` is counted under (`count/deployments.apps`, plus the
/// legacy names of core kinds).
fn count_names(rt: &ResourceType) -> Vec<String> {
    let mut names = vec![format!("count/{}", rt.qualified_plural())];
    let legacy = match rt.kind {
        "Pod" => Some("pods"),
        "Service" => Some("services"),
        "ConfigMap" => Some("configmaps"),
        "Secret" => Some("secrets"),
        "PersistentVolumeClaim" => Some("persistentvolumeclaims"),
        "ReplicationController" => Some("replicationcontrollers"),
        "ResourceQuota" => Some("resourcequotas"),
        _ => None,
    };
    names.extend(legacy.map(str::to_string));
    names
}

/// Whether a pod still counts against quota (not finished, not past its deletion).
fn pod_counts(v: &Value) -> bool {
    !matches!(v["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
}

/// The usage of one object, by quota resource name.
fn usage(rt: &ResourceType, v: &Value) -> BTreeMap<String, Quantity> {
    let mut u = BTreeMap::new();
    if rt.kind == "Pod" && !pod_counts(v) {
        return u;
    }
    for n in count_names(rt) {
        u.insert(n, count(1));
    }
    match rt.kind {
        "Pod" => {
            for (kind, names) in [
                (
                    "requests",
                    ["requests.cpu", "requests.memory", "cpu", "memory"],
                ),
                ("limits", ["limits.cpu", "limits.memory", "", ""]),
            ] {
                for (i, r) in ["cpu", "memory"].iter().enumerate() {
                    let total = v["spec"]["containers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c["resources"][kind][*r].as_str())
                        .map(q)
                        .fold(None::<Quantity>, |acc, x| Some(acc.map_or(x, |a| a + x)));
                    if let Some(t) = total {
                        u.insert(names[i].to_string(), t);
                        if !names[i + 2].is_empty() {
                            u.insert(names[i + 2].to_string(), t);
                        }
                    }
                }
            }
        }
        "Service" => {
            let ty = v["spec"]["type"].as_str().unwrap_or("ClusterIP");
            let ports = v["spec"]["ports"].as_array().map_or(0, Vec::len) as i128;
            if ty == "NodePort" || ty == "LoadBalancer" {
                u.insert("services.nodeports".into(), count(ports));
            }
            if ty == "LoadBalancer" {
                u.insert("services.loadbalancers".into(), count(1));
            }
        }
        "PersistentVolumeClaim" => {
            if let Some(s) = v["spec"]["resources"]["requests"]["storage"].as_str() {
                u.insert("requests.storage".into(), q(s));
            }
        }
        _ => {}
    }
    u
}

fn pretty(m: &BTreeMap<String, Quantity>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Cluster {
    /// The summed usage of every object of the kinds a quota tracks, in one namespace,
    /// optionally leaving one object out (the one being updated).
    fn namespace_usage(
        &self,
        ns: &str,
        hard: &BTreeMap<String, Quantity>,
        skip: Option<(&str, &str)>,
    ) -> BTreeMap<String, Quantity> {
        let mut used: BTreeMap<String, Quantity> = hard
            .keys()
            .map(|k| (k.clone(), Quantity::from_milli(0, hard[k].format)))
            .collect();
        for rt in resources::RESOURCES
            .iter()
            .filter(|r| r.namespaced() && !resources::is_virtual(r))
        {
            let names = count_names(rt);
            let tracked = hard.keys().any(|k| {
                names.contains(k)
                    || (rt.kind == "Pod" && (k.contains("cpu") || k.contains("memory")))
                    || (rt.kind == "Service" && k.starts_with("services."))
                    || (rt.kind == "PersistentVolumeClaim" && k == "requests.storage")
            });
            if !tracked {
                continue;
            }
            for o in self.store.list(rt.kind, Some(ns)) {
                if skip == Some((rt.kind, o.name())) {
                    continue;
                }
                for (k, v) in usage(rt, &o.to_value()) {
                    if let Some(total) = used.get_mut(&k) {
                        *total = *total + v;
                    }
                }
            }
        }
        used
    }

    fn quotas(&self, ns: &str) -> Vec<(String, BTreeMap<String, Quantity>)> {
        self.store
            .list("ResourceQuota", Some(ns))
            .map(|o| {
                let v = o.to_value();
                let hard = v["spec"]["hard"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, x)| (k.clone(), q(x.as_str().unwrap_or_default())))
                    .collect();
                (o.name().to_string(), hard)
            })
            .collect()
    }

    /// Refuses a workload that asks for more pods than the session could ever hold (`replicas:
    /// 1000000000`). Real clusters accept it and their controllers create pods until a quota
    /// stops them; here that would be thousands of doomed creates in one request, so the object
    /// cap answers at once, worded like the quota error the controller would have met.
    fn admit_replicas(&self, rt: &ResourceType, name: &str, obj: &Value) -> Result<(), Status> {
        match requested_pods(rt, obj) {
            Some(n) if n > MAX_OBJECTS as i64 => {
                let used = self.store.list("Pod", None).count();
                Err(forbidden(
                    rt,
                    name,
                    &format!(
                        "exceeded quota: session-object-limit, requested: count/pods={n}, used: count/pods={used}, limited: count/pods={MAX_OBJECTS}"
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The session's object cap, for a create.
    pub(crate) fn admit_object_cap(&self, rt: &ResourceType, name: &str) -> Result<(), Status> {
        // Events do not count: the recorder ages them out, like the API server's event TTL.
        // Counting them is only needed once the store is big, so the common path stays O(1).
        if rt.kind != "Event" && self.store.len() >= MAX_OBJECTS {
            let used = self.store.len() - self.store.event_count();
            if used >= MAX_OBJECTS {
                return Err(forbidden(
                    rt,
                    name,
                    &format!(
                        "exceeded quota: session-object-limit, requested: count/objects=1, used: count/objects={used}, limited: count/objects={MAX_OBJECTS}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// ResourceQuota and object-cap admission for a write of `obj` (`old` for updates).
    pub(crate) fn admit_quota(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        obj: &Value,
        old: Option<&Value>,
    ) -> Result<(), Status> {
        self.admit_replicas(rt, name, obj)?;
        if old.is_none() {
            self.admit_object_cap(rt, name)?;
        }
        let Some(ns) = ns else { return Ok(()) };
        // Only creates (and claims growing) change usage in ways learners meet.
        if old.is_some() && rt.kind != "PersistentVolumeClaim" {
            return Ok(());
        }
        let quotas = self.quotas(ns);
        if quotas.is_empty() {
            return Ok(());
        }
        let requested = usage(rt, obj);
        for (qname, hard) in &quotas {
            if rt.kind == "Pod" {
                let mut missing: Vec<String> = Vec::new();
                for r in hard.keys() {
                    let (kind, res) = match r.as_str() {
                        "requests.cpu" | "cpu" => ("requests", "cpu"),
                        "requests.memory" | "memory" => ("requests", "memory"),
                        "limits.cpu" => ("limits", "cpu"),
                        "limits.memory" => ("limits", "memory"),
                        _ => continue,
                    };
                    let lacking: Vec<&str> = obj["spec"]["containers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|c| c["resources"][kind][res].is_null())
                        .filter_map(|c| c["name"].as_str())
                        .collect();
                    if !lacking.is_empty() {
                        missing.push(format!("{r} for: {}", lacking.join(",")));
                    }
                }
                if !missing.is_empty() {
                    missing.sort();
                    return Err(forbidden(
                        rt,
                        name,
                        &format!("failed quota: {qname}: must specify {}", missing.join("; ")),
                    ));
                }
            }
            let relevant: BTreeMap<String, Quantity> = requested
                .iter()
                .filter(|(k, _)| hard.contains_key(*k))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            if relevant.is_empty() {
                continue;
            }
            let used = self.namespace_usage(ns, hard, Some((rt.kind, name)));
            let mut failed_req = BTreeMap::new();
            let mut failed_used = BTreeMap::new();
            let mut failed_hard = BTreeMap::new();
            for (k, req) in &relevant {
                let u = used.get(k).copied().unwrap_or_else(Quantity::zero);
                let h = hard[k];
                if u + *req > h {
                    failed_req.insert(k.clone(), *req);
                    failed_used.insert(k.clone(), u);
                    failed_hard.insert(k.clone(), h);
                }
            }
            if !failed_req.is_empty() {
                return Err(forbidden(
                    rt,
                    name,
                    &format!(
                        "exceeded quota: {qname}, requested: {}, used: {}, limited: {}",
                        pretty(&failed_req),
                        pretty(&failed_used),
                        pretty(&failed_hard)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Recomputes `status.hard`/`status.used` of the namespace's quotas after a write of `kind`
    /// (or of a quota itself). Nothing to do, and nothing scanned, in namespaces without quotas.
    pub(crate) fn refresh_quota_usage(&mut self, ns: &str, _kind: &str) {
        let quotas = self.quotas(ns);
        for (qname, hard) in quotas {
            let used = self.namespace_usage(ns, &hard, None);
            let key = crate::store::Key {
                kind: "ResourceQuota",
                namespace: ns.into(),
                name: qname.into(),
            };
            let Some(current) = self.store.get(&key).cloned() else {
                continue;
            };
            let mut v = current.to_value();
            let status = json!({
                "hard": v["spec"]["hard"].clone(),
                "used": used.iter().map(|(k, q)| (k.clone(), json!(q.to_string()))).collect::<serde_json::Map<_, _>>(),
            });
            if v["status"] != status {
                v["status"] = status;
                if let Ok(o) = Object::from_value("ResourceQuota", v) {
                    self.store.put(o);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_usage_counts_requests_and_limits() {
        let pods = resources::by_plural("", "pods").unwrap();
        let u = usage(
            pods,
            &json!({"spec": {"containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m"}}},
            {"resources": {"requests": {"cpu": "250m"}}}]}}),
        );
        assert_eq!(u["requests.cpu"].to_string(), "500m");
        assert_eq!(u["cpu"].to_string(), "500m");
        assert_eq!(u["memory"].to_string(), "64Mi");
        assert_eq!(u["limits.cpu"].to_string(), "500m");
        assert_eq!(u["pods"].to_string(), "1");
        assert_eq!(u["count/pods"].to_string(), "1");
        let done = usage(pods, &json!({"status": {"phase": "Succeeded"}}));
        assert!(done.is_empty());
    }

    #[test]
    fn a_workload_asking_for_more_pods_than_the_session_holds_is_refused_at_once() {
        let mut c = Cluster::new(&crate::ClusterConfig::default());
        let deploys = resources::by_plural("apps", "deployments").unwrap();
        let deployment = |name: &str, replicas: i64| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
        };
        let err = c
            .create(deploys, Some("default"), deployment("many", 1_000_000_000))
            .unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
        assert_eq!(
            err.message,
            "deployments.apps \"many\" is forbidden: exceeded quota: session-object-limit, requested: count/pods=1000000000, used: count/pods=7, limited: count/pods=20000"
        );
        // Scaling an existing one up that far is refused the same way, and nothing changes.
        c.create(deploys, Some("default"), deployment("web", 2))
            .unwrap();
        let err = c
            .patch_scale(
                &crate::api::User::admin(),
                deploys,
                Some("default"),
                "web",
                crate::patch::PatchType::Merge,
                &json!({"spec": {"replicas": 1_000_000_000}}),
                &crate::api::WriteOptions::default(),
            )
            .unwrap_err();
        assert!(
            err.message.contains("exceeded quota: session-object-limit"),
            "{}",
            err.message
        );
        let web = c.get(deploys, Some("default"), "web").unwrap().to_value();
        assert_eq!(web["spec"]["replicas"], 2);
        // At the cap itself is allowed.
        let jobs = resources::by_plural("batch", "jobs").unwrap();
        let job = |parallelism: i64| {
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": format!("j{parallelism}")},
                "spec": {"parallelism": parallelism, "template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "x", "image": "busybox"}]}}}})
        };
        assert!(c
            .create(jobs, Some("default"), job(MAX_OBJECTS as i64 + 1))
            .is_err());
        c.stop_control_plane(true);
        assert!(c
            .create(jobs, Some("default"), job(MAX_OBJECTS as i64))
            .is_ok());
    }
}
