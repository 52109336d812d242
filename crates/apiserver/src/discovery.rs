//! API discovery: `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}` and `/version`.
//!
//! Two forms are served, as by a v1.33 API server: the aggregated `apidiscovery.k8s.io/v2`
//! document (one request for every group, used by kubectl ≥ 1.30 when the `Accept` header asks for
//! it and the reply's `Content-Type` says it is one), and the legacy `APIVersions` /
//! `APIGroupList` / `APIResourceList` documents that older clients walk group by group.

use cluster::resources::{ResourceType, Scope, ALSO_SERVED, RESOURCES};
use serde_json::{json, Value};

/// The media type of the aggregated discovery document; the reply's `Content-Type` must carry it
/// or client-go falls back to the legacy documents.
pub const AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// The version a served resource type's subresource answers with.
struct Subresource {
    name: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
}

/// What `{plural}/{sub}` answers, following the v1.33 API server's registry. `None` means "the
/// parent's own kind" (status, ephemeralcontainers, resize, log).
fn subresource(rt: &ResourceType, sub: &'static str) -> Subresource {
    let own = |verbs: &'static [&'static str]| Subresource {
        name: sub,
        group: rt.group,
        version: rt.version,
        kind: rt.kind,
        verbs,
    };
    let other = |group, version, kind, verbs| Subresource {
        name: sub,
        group,
        version,
        kind,
        verbs,
    };
    const GPU: &[&str] = &["get", "patch", "update"];
    const CONNECT: &[&str] = &["create", "get"];
    const PROXY: &[&str] = &["create", "delete", "get", "patch", "update"];
    match (rt.kind, sub) {
        (_, "status" | "ephemeralcontainers" | "resize") => own(GPU),
        (_, "scale") => other("autoscaling", "v1", "Scale", GPU),
        ("Pod", "log") => own(&["get"]),
        ("Pod", "exec") => other("", "v1", "PodExecOptions", CONNECT),
        ("Pod", "attach") => other("", "v1", "PodAttachOptions", CONNECT),
        ("Pod", "portforward") => other("", "v1", "PodPortForwardOptions", CONNECT),
        ("Pod", "proxy") => other("", "v1", "PodProxyOptions", PROXY),
        ("Pod", "binding") => other("", "v1", "Binding", &["create"]),
        ("Pod", "eviction") => other("policy", "v1", "Eviction", &["create"]),
        ("Node", "proxy") => other("", "v1", "NodeProxyOptions", PROXY),
        ("Service", "proxy") => other("", "v1", "ServiceProxyOptions", PROXY),
        ("Namespace", "finalize") => own(&["update"]),
        ("ServiceAccount", "token") => {
            other("authentication.k8s.io", "v1", "TokenRequest", &["create"])
        }
        _ => own(GPU),
    }
}

/// The served group-versions, core first then by group name, each once.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut gvs: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().chain(ALSO_SERVED) {
        if !gvs.contains(&(r.group, r.version)) {
            gvs.push((r.group, r.version));
        }
    }
    gvs.push((METRICS_GROUP, METRICS_VERSION));
    // Core first, then groups by name; within a group the stored (preferred) version first.
    gvs.sort_by_key(|(g, v)| (!g.is_empty(), *g, !is_preferred(g, v)));
    gvs
}

/// Whether `version` is the version a group's resources are stored at (its preferred version).
fn is_preferred(group: &str, version: &str) -> bool {
    !ALSO_SERVED
        .iter()
        .any(|r| r.group == group && r.version == version)
        || RESOURCES
            .iter()
            .any(|r| r.group == group && r.version == version)
}

/// The served groups, each with its versions, preferred first.
fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (g, v) in group_versions() {
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, versions)) => versions.push(v),
            None => groups.push((g, vec![v])),
        }
    }
    groups
}

/// The resource metrics API (`kubectl top`), served beside the stored kinds.
pub const METRICS_GROUP: &str = "metrics.k8s.io";
pub const METRICS_VERSION: &str = "v1beta1";

/// One resource of the metrics API: (plural, singular, kind, scope).
const METRICS_RESOURCES: &[(&str, &str, &str, Scope)] = &[
    ("nodes", "", "NodeMetrics", Scope::Cluster),
    ("pods", "", "PodMetrics", Scope::Namespaced),
];

fn resources_of<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceType> + 'a {
    RESOURCES
        .iter()
        .chain(ALSO_SERVED)
        .filter(move |r| r.group == group && r.version == version)
}

fn scope_str(scope: Scope) -> &'static str {
    match scope {
        Scope::Namespaced => "Namespaced",
        Scope::Cluster => "Cluster",
    }
}

fn gv_string(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `GET /api` (legacy form).
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// `GET /apis` (legacy form).
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": gv_string(g, v), "version": v}))
                .collect();
            json!({"name": g, "preferredVersion": versions[0], "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /api/v1` or `/apis/{group}/{version}`: `None` if that group-version is not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    if !group_versions().contains(&(group, version)) {
        return None;
    }
    let mut resources = Vec::new();
    if group == METRICS_GROUP {
        for (plural, singular, kind, scope) in METRICS_RESOURCES {
            resources.push(json!({
                "name": plural, "singularName": singular, "namespaced": *scope == Scope::Namespaced,
                "kind": kind, "verbs": ["get", "list"],
            }));
        }
    }
    for rt in resources_of(group, version) {
        let mut r = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced(),
            "kind": rt.kind,
            "verbs": rt.verbs,
        });
        if !rt.short_names.is_empty() {
            r["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            r["categories"] = json!(rt.categories);
        }
        resources.push(r);
        for sub in rt.subresources {
            let s = subresource(rt, sub);
            let mut r = json!({
                "name": format!("{}/{}", rt.plural, s.name),
                "singularName": "",
                "namespaced": rt.namespaced(),
                "kind": s.kind,
                "verbs": s.verbs,
            });
            if (s.group, s.version) != (rt.group, rt.version) {
                r["group"] = json!(s.group);
                r["version"] = json!(s.version);
            }
            resources.push(r);
        }
    }
    let mut list = json!({
        "kind": "APIResourceList",
        "groupVersion": gv_string(group, version),
        "resources": resources,
    });
    if !group.is_empty() {
        list["apiVersion"] = json!("v1");
    }
    Some(list)
}

/// Whether an `Accept` header asks for the aggregated v2 discovery document.
pub fn wants_aggregated(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|range| {
            let params: Vec<&str> = range.split(';').map(str::trim).collect();
            params.contains(&"g=apidiscovery.k8s.io")
                && params.contains(&"v=v2")
                && params.contains(&"as=APIGroupDiscoveryList")
        })
    })
}

fn aggregated_resource(rt: &ResourceType) -> Value {
    let mut r = json!({
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": scope_str(rt.scope),
        "singularResource": rt.singular,
        "verbs": rt.verbs,
    });
    if !rt.short_names.is_empty() {
        r["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        r["categories"] = json!(rt.categories);
    }
    let subs: Vec<Value> = rt
        .subresources
        .iter()
        .map(|sub| {
            let s = subresource(rt, sub);
            json!({
                "subresource": s.name,
                "responseKind": {"group": s.group, "version": s.version, "kind": s.kind},
                "verbs": s.verbs,
            })
        })
        .collect();
    if !subs.is_empty() {
        r["subresources"] = json!(subs);
    }
    r
}

fn aggregated_version(group: &str, version: &str) -> Value {
    let mut resources: Vec<Value> = resources_of(group, version)
        .map(aggregated_resource)
        .collect();
    if group == METRICS_GROUP {
        for (plural, singular, kind, scope) in METRICS_RESOURCES {
            resources.push(json!({
                "resource": plural,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "scope": scope_str(*scope), "singularResource": singular, "verbs": ["get", "list"],
            }));
        }
    }
    json!({"version": version, "resources": resources, "freshness": "Current"})
}

fn aggregated_group(group: &str, versions: &[&str]) -> Value {
    let mut metadata = json!({"creationTimestamp": null});
    if !group.is_empty() {
        metadata["name"] = json!(group);
    }
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| aggregated_version(group, v))
        .collect();
    json!({"metadata": metadata, "versions": versions})
}

/// `GET /api` (core group only) or `GET /apis` (every named group) in the aggregated form.
pub fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| aggregated_group(g, &versions))
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// [`aggregated`], serialised once: the served types are fixed for the life of the process, and
/// every terminal kubectl command whose discovery cache is cold asks for both documents.
pub fn aggregated_bytes(core: bool) -> &'static [u8] {
    static CORE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    static GROUPS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let cell = if core { &CORE } else { &GROUPS };
    cell.get_or_init(|| serde_json::to_vec(&aggregated(core)).expect("JSON values serialise"))
}

/// `GET /version`: the version of Kubernetes the simulation is faithful to.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "emulationMajor": "1",
        "emulationMinor": "33",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32",
        "gitVersion": "v1.33.1",
        "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
        "gitTreeState": "clean",
        "buildDate": "2025-05-15T08:19:08Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cached_aggregated_documents_are_the_computed_ones() {
        for core in [true, false] {
            let cached: Value = serde_json::from_slice(aggregated_bytes(core)).unwrap();
            assert_eq!(cached, aggregated(core));
        }
    }

    #[test]
    fn accept_negotiation_follows_client_go() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(Some(kubectl)));
        assert!(!wants_aggregated(Some("application/json")));
        assert!(!wants_aggregated(None));
    }

    #[test]
    fn deployments_scale_answers_with_autoscaling_v1_scale() {
        let apps = api_resource_list("apps", "v1").unwrap();
        let scale = apps["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
        let agg = aggregated(false);
        let apps = agg["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["metadata"]["name"] == "apps")
            .unwrap();
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["categories"], json!(["all"]));
        assert_eq!(deploy["subresources"][0]["responseKind"]["kind"], "Scale");
    }

    #[test]
    fn core_group_is_only_under_api() {
        assert_eq!(aggregated(true)["items"].as_array().unwrap().len(), 1);
        assert!(api_group_list()["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["name"] != ""));
        assert!(api_resource_list("nope", "v1").is_none());
        let pods = api_resource_list("", "v1").unwrap();
        assert!(pods["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "pods/exec" && r["kind"] == "PodExecOptions"));
    }
}
