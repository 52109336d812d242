//! Bad input, hostile requests and isolation (issue 9): each attack gets a clear, kubectl-style
//! answer within a bounded time, and never hurts the server or another session.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

/// Every attack must be answered within this.
const BOUND: Duration = Duration::from_secs(5);

struct Client {
    app: axum::Router,
}

struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Client {
    fn new() -> Client {
        Client {
            app: server::app(server::AppState::new(server::Config::default())),
        }
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let started = Instant::now();
        let res = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router always answers");
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        assert!(
            started.elapsed() < BOUND,
            "answer took {:?}",
            started.elapsed()
        );
        Reply { status, body }
    }

    async fn session(&self) -> (String, String) {
        let r = self
            .send(Request::post("/api/sessions").body(Body::empty()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let v = r.json();
        (
            v["id"].as_str().unwrap().to_string(),
            v["token"].as_str().unwrap().to_string(),
        )
    }

    async fn shell(&self, (id, token): &(String, String), line: &str) -> Value {
        let r = self
            .send(
                Request::post(format!("/api/sessions/{id}/shell"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({ "line": line }).to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{line}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    async fn put_file(&self, (id, token): &(String, String), path: &str, body: Vec<u8>) -> Reply {
        self.send(
            Request::put(format!("/api/sessions/{id}/files/{path}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn k8s(
        &self,
        (id, token): &(String, String),
        method: &str,
        path: &str,
        ctype: &str,
        body: Vec<u8>,
    ) -> Reply {
        self.send(
            Request::builder()
                .method(method)
                .uri(format!("/k8s/{id}{path}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, ctype)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let c = Client::new();
    let r = c
        .send(
            Request::post("/api/sessions")
                .header(header::HOST, "wheelhouse.test")
                .header(header::ORIGIN, "https://evil.test")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(
            Request::post("/api/sessions")
                .header(header::HOST, "wheelhouse.test")
                .header(header::ORIGIN, "http://wheelhouse.test")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn session_creation_is_rate_limited_per_address() {
    let c = Client::new();
    let from: SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let mut refused = None;
    for i in 0..200 {
        let mut req = Request::post("/api/sessions").body(Body::empty()).unwrap();
        req.extensions_mut().insert(ConnectInfo(from));
        let r = c.send(req).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(i);
            break;
        }
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let i = refused.expect("a burst of 200 sessions from one address is refused at some point");
    assert!(
        i >= 30,
        "a classroom behind one address still gets its sessions (refused after {i})"
    );
    // Another address is not affected.
    let mut req = Request::post("/api/sessions").body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("198.51.100.1:1".parse::<SocketAddr>().unwrap()));
    assert_eq!(c.send(req).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn one_sessions_token_never_opens_another() {
    let c = Client::new();
    let a = c.session().await;
    let b = c.session().await;
    let stolen = (b.0.clone(), a.1.clone());
    for path in ["/api/v1/namespaces/default/pods", "/api/v1/nodes"] {
        let r = c
            .k8s(&stolen, "GET", path, "application/json", vec![])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = c
        .send(
            Request::get(format!("/api/sessions/{}/files/pod.yaml", b.0))
                .header(header::AUTHORIZATION, format!("Bearer {}", a.1))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .send(
            Request::post(format!("/api/sessions/{}/shell", b.0))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"line":"kubectl get pods"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "no token at all");
    // Session ids and tokens are long random strings.
    assert!(a.0.len() >= 16 && a.1.len() >= 32 && a.1 != b.1);
}

#[tokio::test]
async fn yaml_alias_bomb_is_refused_quickly() {
    let c = Client::new();
    let s = c.session().await;
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 \"lol\"\n",
    );
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("  a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    assert_eq!(
        c.put_file(&s, "bomb.yaml", bomb.into_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    let out = c.shell(&s, "kubectl apply -f bomb.yaml").await;
    assert_ne!(out["exit_code"], 0);
    assert!(
        out["stderr"].as_str().unwrap().starts_with("error"),
        "{out}"
    );
    // The server is still fine.
    assert_eq!(
        c.shell(&s, "kubectl get nodes -o name").await["stdout"],
        "node/minikube\n"
    );
}

#[tokio::test]
async fn deeply_nested_yaml_is_refused_quickly() {
    let c = Client::new();
    let s = c.session().await;
    let depth = 100_000;
    let doc = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\nx: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let r = c.put_file(&s, "deep.yaml", doc.into_bytes()).await;
    if r.status == StatusCode::NO_CONTENT {
        let out = c.shell(&s, "kubectl apply -f deep.yaml").await;
        assert_ne!(out["exit_code"], 0);
        assert!(
            out["stderr"].as_str().unwrap().starts_with("error"),
            "{out}"
        );
    } else {
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn oversized_and_invalid_bodies() {
    let c = Client::new();
    let s = c.session().await;
    // A workspace file over the limit.
    assert_eq!(
        c.put_file(&s, "big.yaml", vec![b'a'; 2 * 1024 * 1024])
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Invalid UTF-8 and binary junk.
    let r = c
        .put_file(&s, "junk.yaml", vec![0xff, 0xfe, 0x00, 0x80])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // An API body over the limit is refused with a Status.
    let huge = vec![b' '; 4 * 1024 * 1024];
    let r = c
        .k8s(
            &s,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            huge,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["kind"], "Status");
    // Junk where JSON is expected.
    let r = c
        .k8s(
            &s,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            b"\x00\x01{{{".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["kind"], "Status");
}

#[tokio::test]
async fn malformed_patches_get_status_errors() {
    let c = Client::new();
    let s = c.session().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let r = c
        .k8s(
            &s,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            cm.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    for (ctype, body) in [
        (
            "application/json-patch+json",
            r#"[{"op":"explode","path":"/data"}]"#,
        ),
        ("application/json-patch+json", r#"{"not":"a list"}"#),
        (
            "application/json-patch+json",
            r#"[{"op":"remove","path":"/data/missing"}]"#,
        ),
        ("application/merge-patch+json", r#"[1,2"#),
        ("application/strategic-merge-patch+json", r#"{"data": 5}"#),
    ] {
        let r = c
            .k8s(
                &s,
                "PATCH",
                "/api/v1/namespaces/default/configmaps/c",
                ctype,
                body.as_bytes().to_vec(),
            )
            .await;
        assert!(r.status.is_client_error(), "{ctype} {body}: {}", r.status);
        assert_eq!(r.json()["kind"], "Status", "{ctype} {body}");
    }
    // The object is unharmed.
    let r = c
        .k8s(
            &s,
            "GET",
            "/api/v1/namespaces/default/configmaps/c",
            "application/json",
            vec![],
        )
        .await;
    assert_eq!(r.json()["data"]["a"], "1");
}

#[tokio::test]
async fn huge_names_are_refused() {
    let c = Client::new();
    let s = c.session().await;
    let name = "a".repeat(300);
    let out = c
        .shell(&s, &format!("kubectl create configmap {name}"))
        .await;
    assert_ne!(out["exit_code"], 0);
    assert!(
        out["stderr"]
            .as_str()
            .unwrap()
            .contains("must be no more than 253 characters"),
        "{out}"
    );
    let out = c
        .shell(&s, &format!("kubectl run {} --image=nginx", "b".repeat(64)))
        .await;
    assert_ne!(out["exit_code"], 0, "{out}");
}

/// Scaling to a billion replicas answers at once with the session's object cap, worded as a quota
/// error, and leaves the session usable; so does a manifest asking for as many.
#[tokio::test]
async fn a_billion_replicas_stay_bounded() {
    let c = Client::new();
    let s = c.session().await;
    let out = c
        .shell(&s, "kubectl create deployment many --image=nginx:1.27")
        .await;
    assert_eq!(out["exit_code"], 0, "{out}");
    let out = c
        .shell(&s, "kubectl scale deployment many --replicas=1000000000")
        .await;
    assert_eq!(out["exit_code"], 1, "{out}");
    assert_eq!(
        out["stderr"],
        "Error from server (Forbidden): deployments.apps \"many\" is forbidden: exceeded quota: session-object-limit, requested: count/pods=1000000000, used: count/pods=8, limited: count/pods=20000\n"
    );
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: more\nspec:\n  replicas: 1000000000\n  selector:\n    matchLabels: {app: more}\n  template:\n    metadata:\n      labels: {app: more}\n    spec:\n      containers:\n      - {name: web, image: nginx}\n";
    assert_eq!(
        c.put_file(&s, "more.yaml", manifest.as_bytes().to_vec())
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let out = c.shell(&s, "kubectl apply -f more.yaml").await;
    assert_eq!(out["exit_code"], 1, "{out}");
    assert!(
        out["stderr"]
            .as_str()
            .unwrap()
            .contains("exceeded quota: session-object-limit, requested: count/pods=1000000000"),
        "{out}"
    );
    let out = c
        .shell(
            &s,
            "kubectl get deployment many -o jsonpath={.spec.replicas}",
        )
        .await;
    assert_eq!(out["stdout"], "1", "the refused scale changed nothing");
    let out = c.shell(&s, "kubectl get nodes -o name").await;
    assert_eq!(
        out["stdout"], "node/minikube\n",
        "the session still answers"
    );
}

#[tokio::test]
async fn shell_metacharacters_and_hostile_arguments() {
    let c = Client::new();
    let s = c.session().await;
    for line in [
        "echo $(rm -rf /); cat /etc/passwd",
        "kubectl get pods; rm -rf / && :(){ :|:& };:",
        "`reboot`",
        "kubectl get pods > /etc/passwd",
        "cat ../../../../etc/shadow",
        "kubectl get pods -o jsonpath='{range .items[*]}{.metadata.name' ",
        "kubectl get pods -o go-template='{{range .}}'",
        "kubectl --kubeconfig=/etc/shadow get pods",
        "kubectl get pods --server=http://169.254.169.254/",
        &format!("kubectl get {}", "x".repeat(100_000)),
        "kubectl \u{0}\u{7f}\u{1b}[31m",
    ] {
        let out = c.shell(&s, line).await;
        assert!(out["exit_code"].is_i64(), "{line}");
        let text = format!("{}{}", out["stdout"], out["stderr"]);
        assert!(!text.contains("root:x:0:0"), "{line} leaked a host file");
        assert!(!text.to_lowercase().contains("panicked"), "{line}: {text}");
    }
    assert_eq!(
        c.shell(&s, "kubectl get nodes -o name").await["stdout"],
        "node/minikube\n"
    );
}

#[tokio::test]
async fn root_api_paths_serve_only_the_tokens_session_and_are_rate_limited() {
    // `kubectl --raw` sends `/api/v1/...` at the server's root: the token picks the session.
    let c = Client::new();
    let a = c.session().await;
    let b = c.session().await;
    let get = |token: Option<&str>, path: &str| {
        let mut r = Request::get(path);
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        r.body(Body::empty()).unwrap()
    };
    let r = c.send(get(Some(&a.1), "/api/v1/namespaces/default")).await;
    assert_eq!(r.status, StatusCode::OK);
    for unauthorised in [get(None, "/api/v1/namespaces"), get(Some("nope"), "/apis")] {
        assert_eq!(c.send(unauthorised).await.status, StatusCode::UNAUTHORIZED);
    }
    // The browser's cookie does not count at the root (only a bearer token does).
    let r = c
        .send(
            Request::get("/api/v1/namespaces")
                .header(header::COOKIE, format!("wheelhouse_session={}", a.1))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A burst from one token is slowed with the API server's own 429; another token is not.
    let mut refused = None;
    for i in 0..1000 {
        let r = c.send(get(Some(&a.1), "/version")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.json()["reason"], "TooManyRequests");
            refused = Some(i);
            break;
        }
    }
    let i = refused.expect("a burst of 1,000 requests is limited");
    assert!(i >= 300, "kubectl's normal bursts pass (refused after {i})");
    assert_eq!(
        c.send(get(Some(&b.1), "/version")).await.status,
        StatusCode::OK
    );
}
