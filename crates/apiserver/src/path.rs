//! Parsing of resource URLs: `/api/v1/namespaces/{ns}/pods/{name}/log`, `/apis/apps/v1/deployments`.

/// A resource URL, split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiPath {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub plural: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl ApiPath {
    pub fn parse(path: &str) -> Option<ApiPath> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match segs.as_slice() {
            ["api", version, rest @ ..] => (String::new(), version.to_string(), rest),
            ["apis", group, version, rest @ ..] => (group.to_string(), version.to_string(), rest),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            // `/api/v1/namespaces/{ns}` alone is the namespace object itself.
            ["namespaces", ns, plural, rest @ ..] => (
                Some(ns.to_string()),
                std::iter::once(*plural)
                    .chain(rest.iter().copied())
                    .collect::<Vec<_>>(),
            ),
            other => (None, other.to_vec()),
        };
        let (plural, name, subresource) = match rest.as_slice() {
            [plural] => (plural, None, None),
            [plural, name] => (plural, Some(name.to_string()), None),
            [plural, name, sub] => (plural, Some(name.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        Some(ApiPath {
            group,
            version,
            namespace,
            plural: plural.to_string(),
            name,
            subresource,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_url_forms() {
        let p = ApiPath::parse("/api/v1/namespaces/default/pods/web/log").unwrap();
        assert_eq!(
            (p.group.as_str(), p.namespace.as_deref(), p.plural.as_str()),
            ("", Some("default"), "pods")
        );
        assert_eq!(
            (p.name.as_deref(), p.subresource.as_deref()),
            (Some("web"), Some("log"))
        );
        let p = ApiPath::parse("/apis/apps/v1/deployments").unwrap();
        assert_eq!(
            (p.group.as_str(), p.namespace, p.name),
            ("apps", None, None)
        );
        let p = ApiPath::parse("/api/v1/namespaces/kube-system").unwrap();
        assert_eq!(
            (p.plural.as_str(), p.name.as_deref(), p.namespace),
            ("namespaces", Some("kube-system"), None)
        );
        assert!(ApiPath::parse("/version").is_none());
    }
}
