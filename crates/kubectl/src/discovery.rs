//! Resource types as kubectl learns them: aggregated discovery of `/api` and `/apis`, and the
//! rules that turn what was typed (`po`, `pods`, `Pod`, `deploy.apps`) into a REST mapping.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::rest::{Request, Transport};

/// Accept header kubectl 1.33 sends for discovery.
pub const AGGREGATED_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// One served resource type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
}

impl Mapping {
    /// `pods` or `deployments.apps`: the form in messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `pod` or `deployment.apps`: `kubectl get -o name` and `kind/name` prefixes.
    pub fn kind_prefix(&self) -> String {
        let k = self.kind.to_lowercase();
        if self.group.is_empty() {
            k
        } else {
            format!("{k}.{}", self.group)
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path, in a namespace when the type is namespaced and one is given.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    pub fn object_path(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}/{name}", self.collection_path(namespace))
    }
}

/// The aggregated discovery documents of `/api` and `/apis`, as served.
type Documents = [Vec<u8>; 2];

/// Everything discovery returned, in discovery order.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub mappings: Vec<Mapping>,
}

impl Discovery {
    /// GETs `/api` and `/apis` (aggregated), as kubectl does when its cache is cold.
    pub fn fetch(transport: &mut dyn Transport) -> Discovery {
        Discovery::parse(&Discovery::get_documents(transport))
    }

    /// [`Discovery::fetch`], shared: every session's API server serves the same documents
    /// until its served types change, so the documents last parsed in this process are kept
    /// with what they gave, and a fetch that reads the same bytes again gets that (comparing
    /// the bytes costs far less than parsing them).
    pub fn fetch_shared(transport: &mut dyn Transport) -> Arc<Discovery> {
        static LAST: Mutex<Option<(Documents, Arc<Discovery>)>> = Mutex::new(None);
        let docs = Discovery::get_documents(transport);
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((seen, parsed)) = last.as_ref() {
            if *seen == docs {
                return parsed.clone();
            }
        }
        let parsed = Arc::new(Discovery::parse(&docs));
        *last = Some((docs, parsed.clone()));
        parsed
    }

    /// The bodies of `/api` and `/apis` (empty for a failed request).
    fn get_documents(transport: &mut dyn Transport) -> Documents {
        ["/api", "/apis"].map(|path| {
            let resp = transport.call(Request::get(path).header("accept", AGGREGATED_ACCEPT));
            if resp.status == 200 {
                resp.body
            } else {
                Vec::new()
            }
        })
    }

    fn parse(docs: &Documents) -> Discovery {
        let mut mappings = Vec::new();
        for body in docs {
            let Ok(doc) = serde_json::from_slice::<Value>(body) else {
                continue;
            };
            for group in doc["items"].as_array().into_iter().flatten() {
                let gname = group["metadata"]["name"].as_str().unwrap_or("");
                // The first version listed is the preferred one.
                let Some(version) = group["versions"].as_array().and_then(|v| v.first()) else {
                    continue;
                };
                let vname = version["version"].as_str().unwrap_or("");
                for r in version["resources"].as_array().into_iter().flatten() {
                    mappings.push(mapping(gname, vname, r));
                }
            }
        }
        Discovery { mappings }
    }

    /// Resolves a typed resource name (`po`, `pods`, `pod`, `Pod`, `deployments.apps`, `deploy.apps`).
    pub fn resolve(&self, typed: &str) -> Option<&Mapping> {
        let lower = typed.to_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n.to_string(), Some(g.to_string())),
            None => (lower.clone(), None),
        };
        let group_ok = |m: &Mapping| match &group {
            None => true,
            Some(g) => &m.group == g || m.group.starts_with(&format!("{g}.")),
        };
        let by = |f: &dyn Fn(&Mapping) -> bool| self.mappings.iter().find(|m| group_ok(m) && f(m));
        by(&|m| m.plural == name)
            .or_else(|| by(&|m| m.singular == name))
            .or_else(|| by(&|m| m.short_names.iter().any(|s| *s == name)))
            .or_else(|| by(&|m| m.kind.to_lowercase() == name))
    }

    /// The types in a category (`all`), in discovery order.
    pub fn category(&self, name: &str) -> Vec<&Mapping> {
        self.mappings
            .iter()
            .filter(|m| m.categories.iter().any(|c| c == name))
            .collect()
    }

    /// The mapping for an object's apiVersion and kind.
    pub fn for_kind(&self, api_version: &str, kind: &str) -> Option<&Mapping> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        self.mappings
            .iter()
            .find(|m| m.group == group && m.kind == kind && m.version == version)
            .or_else(|| {
                self.mappings
                    .iter()
                    .find(|m| m.group == group && m.kind == kind)
            })
    }
}

/// kubectl's discovery cache (`~/.kube/cache/discovery/<server>/`), held by a session's shell so
/// that a command does not fetch `/api` and `/apis` again. The real kubectl trusts its cache for
/// six hours and refetches when a typed resource is not in it; here the served types are fixed
/// for the life of the server (no CustomResourceDefinitions), so an entry never goes stale, and
/// the entry is keyed by the server like the cache's directories are.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    entry: Option<(String, Arc<Discovery>)>,
}

impl Cache {
    /// What was discovered from `server`, if it is cached.
    pub fn lookup(&self, server: &str) -> Option<Arc<Discovery>> {
        self.entry
            .as_ref()
            .filter(|(s, _)| s == server)
            .map(|(_, d)| d.clone())
    }

    /// Keeps what was discovered from `server`; an empty answer (the server refused or failed)
    /// is not worth keeping.
    pub fn store(&mut self, server: &str, discovery: Arc<Discovery>) {
        if !discovery.mappings.is_empty() {
            self.entry = Some((server.to_string(), discovery));
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn mapping(group: &str, version: &str, r: &Value) -> Mapping {
    Mapping {
        group: group.to_string(),
        version: version.to_string(),
        kind: r["responseKind"]["kind"].as_str().unwrap_or("").to_string(),
        plural: r["resource"].as_str().unwrap_or("").to_string(),
        singular: r["singularResource"].as_str().unwrap_or("").to_string(),
        short_names: strings(&r["shortNames"]),
        namespaced: r["scope"].as_str() == Some("Namespaced"),
        categories: strings(&r["categories"]),
        verbs: strings(&r["verbs"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::Response;
    use crate::{Context, KubeConfig};

    /// A server that serves pods only, and counts the discovery requests it answers.
    #[derive(Default)]
    struct PodsOnly {
        discovery_requests: usize,
    }

    impl Transport for PodsOnly {
        fn call(&mut self, request: Request) -> Response {
            match request.path_only() {
                "/api" | "/apis" => {
                    self.discovery_requests += 1;
                    let items = if request.path_only() == "/api" {
                        serde_json::json!([{"metadata": {}, "versions": [{"version": "v1", "resources": [
                            {"resource": "pods", "singularResource": "pod", "shortNames": ["po"],
                             "scope": "Namespaced", "verbs": ["get", "list"],
                             "responseKind": {"group": "", "version": "v1", "kind": "Pod"}}]}]}])
                    } else {
                        serde_json::json!([])
                    };
                    Response::json(
                        200,
                        &serde_json::json!({"kind": "APIGroupDiscoveryList", "items": items}),
                    )
                }
                _ => Response::json(
                    200,
                    &serde_json::json!({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []}),
                ),
            }
        }
    }

    fn get_pods(server: &mut PodsOnly, config: &mut KubeConfig, cache: Option<&mut Cache>) {
        let files = Default::default();
        let mut ctx = Context {
            transport: server,
            files: &files,
            namespace: "default".into(),
        };
        let args = ["get".to_string(), "po".to_string()];
        let crate::Step::Done(out) = crate::start(&args, &mut ctx, config, cache) else {
            panic!("get does not keep running");
        };
        assert_eq!(out.stderr, "No resources found in default namespace.\n");
    }

    #[test]
    fn a_cache_saves_discovery_between_commands_to_the_same_server() {
        let mut server = PodsOnly::default();
        let mut config = KubeConfig::default();
        let mut cache = Cache::default();
        get_pods(&mut server, &mut config, Some(&mut cache));
        assert_eq!(server.discovery_requests, 2, "cold: /api and /apis");
        get_pods(&mut server, &mut config, Some(&mut cache));
        assert_eq!(server.discovery_requests, 2, "warm: nothing fetched");
        // Another server has its own cache entry.
        config.server = "https://127.0.0.1:6443".into();
        get_pods(&mut server, &mut config, Some(&mut cache));
        assert_eq!(server.discovery_requests, 4);
        // Without a cache every command discovers.
        get_pods(&mut server, &mut config, None);
        assert_eq!(server.discovery_requests, 6);
    }

    #[test]
    fn an_empty_discovery_is_not_cached() {
        let mut cache = Cache::default();
        cache.store("s", Arc::new(Discovery::default()));
        assert!(cache.lookup("s").is_none());
    }

    /// Serves `/api` with one core type whose kind is `kind`, and no groups.
    struct OneKind(&'static str);

    impl Transport for OneKind {
        fn call(&mut self, request: Request) -> Response {
            let items = if request.path_only() == "/api" {
                serde_json::json!([{"metadata": {}, "versions": [{"version": "v1", "resources": [
                    {"resource": self.0.to_lowercase() + "s", "scope": "Namespaced",
                     "responseKind": {"group": "", "version": "v1", "kind": self.0}}]}]}])
            } else {
                serde_json::json!([])
            };
            Response::json(200, &serde_json::json!({"items": items}))
        }
    }

    #[test]
    fn the_same_documents_share_one_parse_and_other_documents_get_their_own() {
        // Other tests fetch discovery at the same time and may replace the kept parse between
        // two fetches here, so sharing is asked of one of many back-to-back pairs.
        let shared = (0..100).any(|_| {
            let first = Discovery::fetch_shared(&mut OneKind("Shared"));
            let again = Discovery::fetch_shared(&mut OneKind("Shared"));
            Arc::ptr_eq(&first, &again)
        });
        assert!(shared, "the same bytes share one parse");
        let other = Discovery::fetch_shared(&mut OneKind("Other"));
        assert_eq!(other.mappings.len(), 1);
        assert_eq!(other.mappings[0].kind, "Other", "other bytes are parsed");
        let first = Discovery::fetch_shared(&mut OneKind("Shared"));
        assert_eq!(first.mappings[0].kind, "Shared");
    }
}
