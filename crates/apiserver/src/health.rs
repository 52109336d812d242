//! `/healthz`, `/livez` and `/readyz`: the API server's health checks, which `kubectl get --raw`
//! and monitoring read. A simulated control plane is always healthy, so every check passes; the
//! names are the checks a v1.33 API server runs (its etcd, its log, and the post-start hooks).

use kubectl::rest::Response;

/// The checks behind `/livez` (and `/healthz`); `/readyz` adds the readiness ones.
const LIVE: &[&str] = &[
    "ping",
    "log",
    "etcd",
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
];
const READY_ONLY: &[&str] = &["etcd-readiness", "informer-sync", "shutdown"];

pub fn is_health_path(path: &str) -> bool {
    // Asked of every API request: compare without allocating.
    ["/healthz", "/livez", "/readyz"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|r| r.is_empty() || r.starts_with('/'))
    })
}

/// The answer to a health path: `ok`, the verbose list, or one named check. `None` for a check
/// that does not exist (404).
pub fn answer(path: &str, verbose: bool) -> Option<Response> {
    let (endpoint, check) = match path.trim_start_matches('/').split_once('/') {
        Some((e, c)) => (e, Some(c)),
        None => (path.trim_start_matches('/'), None),
    };
    let checks: Vec<&str> = match endpoint {
        "readyz" => {
            let mut c = LIVE[..3].to_vec();
            c.extend(READY_ONLY);
            c.extend(&LIVE[3..]);
            c
        }
        _ => LIVE.to_vec(),
    };
    let body = match check {
        Some(c) if checks.contains(&c) => "ok".to_string(),
        Some(_) => return None,
        None if verbose => {
            let mut b: String = checks.iter().map(|c| format!("[+]{c} ok\n")).collect();
            b.push_str(&format!("{endpoint} check passed\n"));
            b
        }
        None => "ok".to_string(),
    };
    Some(Response {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/plain; charset=utf-8".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: body.into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str, verbose: bool) -> Option<String> {
        answer(path, verbose).map(|r| String::from_utf8(r.body).unwrap())
    }

    #[test]
    fn every_check_passes_and_can_be_asked_for_by_name() {
        assert_eq!(text("/livez", false).unwrap(), "ok");
        let verbose = text("/readyz", true).unwrap();
        assert!(verbose.starts_with("[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n"));
        assert!(verbose.ends_with(
            "[+]poststarthook/apiservice-openapiv3-controller ok\nreadyz check passed\n"
        ));
        assert!(!text("/livez", true).unwrap().contains("informer-sync"));
        assert_eq!(text("/livez/etcd", false).unwrap(), "ok");
        assert_eq!(text("/readyz/shutdown", false).unwrap(), "ok");
        assert!(text("/livez/shutdown", false).is_none());
        assert!(is_health_path("/healthz") && !is_health_path("/healthzz"));
    }
}
