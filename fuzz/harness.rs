//! What the fuzz targets do with one input. Shared, through `#[path]`, by the libFuzzer targets in
//! `fuzz_targets/` and by the stable replay test `server/tests/fuzz_corpus.rs`, so the kept corpus
//! goes through exactly the same code in CI as under the fuzzer.
//!
//! A panic is a bug (the server would answer it with a 500 and restore the session), and so is an
//! error that is not a Kubernetes `Status` or an API answer of 500: both are asserted here, so the
//! fuzzer reports them as crashes.

#![allow(dead_code)] // each target uses one entry point

use std::collections::BTreeMap;
use std::sync::OnceLock;

use cluster::{Cluster, ClusterConfig};
use kubectl::rest::{Request, Response};

/// A settled single-node cluster with something to act on (a Deployment `web` with its pods, a
/// Service `web`, a ConfigMap `settings`), built once; each input works on its own clone.
fn template() -> &'static Cluster {
    static TEMPLATE: OnceLock<Cluster> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut c = Cluster::new(&ClusterConfig::default());
        let create = |c: &mut Cluster, group: &str, plural: &str, body: serde_json::Value| {
            let rt = cluster::resources::by_plural(group, plural).expect("served");
            c.create(rt, Some("default"), body)
                .expect("valid seed object");
        };
        create(
            &mut c,
            "apps",
            "deployments",
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}]}]}}}}),
        );
        create(
            &mut c,
            "",
            "services",
            serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}}),
        );
        create(
            &mut c,
            "",
            "configmaps",
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "settings"}, "data": {"mode": "fast"}}),
        );
        c.advance(jiff::SignedDuration::from_secs(120));
        c
    })
}

/// The workspace files a command may name.
fn files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        "pod.yaml".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [\"sleep\", \"3600\"]\n".to_string(),
    );
    files.insert(
        "cm.yaml".to_string(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n".to_string(),
    );
    files
}

/// Every error the API answers is a `Status`, and none is a 500.
fn check_api_answer(req: &Request, resp: &Response) {
    assert_ne!(
        resp.status,
        500,
        "{} {}: internal error: {}",
        req.method,
        req.path,
        String::from_utf8_lossy(&resp.body)
    );
    if resp.status >= 400 {
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: error {} is not JSON ({e}): {}",
                req.method,
                req.path,
                resp.status,
                String::from_utf8_lossy(&resp.body)
            )
        });
        assert_eq!(
            body["kind"], "Status",
            "{} {}: {body}",
            req.method, req.path
        );
    }
}

/// `kubectl apply -f` of an untrusted file: the bounded YAML decoder.
pub fn manifest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(docs) = kubectl::manifest::parse_documents(&text) {
        // What kubectl does next with each document: look at its kind and name.
        for doc in docs {
            let _ = (doc["kind"].as_str(), doc["metadata"]["name"].as_str());
        }
    }
}

/// A request body for create and update, as the API server decodes it: the first byte picks the
/// resource, the method and the encoding (JSON or protobuf), the rest is the body.
pub fn api_body(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    const TARGETS: [(&str, &str); 6] = [
        ("/api/v1/namespaces/default/configmaps", "settings"),
        ("/api/v1/namespaces/default/pods", "p"),
        ("/apis/apps/v1/namespaces/default/deployments", "web"),
        ("/api/v1/namespaces/default/services", "web"),
        ("/apis/batch/v1/namespaces/default/jobs", "j"),
        ("/api/v1/namespaces", "default"),
    ];
    let (collection, name) = TARGETS[usize::from(selector) % TARGETS.len()];
    let (method, path) = if selector & 0x40 == 0 {
        ("POST", collection.to_string())
    } else {
        ("PUT", format!("{collection}/{name}"))
    };
    let content_type = if selector & 0x80 == 0 {
        "application/json"
    } else {
        "application/vnd.kubernetes.protobuf"
    };
    let mut cluster = template().clone();
    let mut req = Request::new(method, format!("{path}?fieldValidation=Strict"))
        .header("content-type", content_type);
    req.body = body.to_vec();
    let resp = apiserver::handle(&mut cluster, &req);
    check_api_answer(&req, &resp);
}

/// A PATCH of an existing object: the first byte picks the object and the patch type
/// (JSON, merge, strategic merge, apply), the rest is the patch.
pub fn patch(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    const OBJECTS: [&str; 4] = [
        "/apis/apps/v1/namespaces/default/deployments/web",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        "/api/v1/namespaces/default/services/web",
        "/api/v1/namespaces/default/configmaps/settings",
    ];
    const TYPES: [&str; 4] = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    ];
    let path = OBJECTS[usize::from(selector & 3)];
    let content_type = TYPES[usize::from((selector >> 2) & 3)];
    let mut cluster = template().clone();
    let mut req = Request::new("PATCH", format!("{path}?fieldManager=fuzz"))
        .header("content-type", content_type);
    req.body = body.to_vec();
    let resp = apiserver::handle(&mut cluster, &req);
    check_api_answer(&req, &resp);
}

/// The arguments of one `kubectl` invocation (one per line of the input), parsed and dispatched
/// against a cluster through the in-process transport, as the terminal runs them.
pub fn kubectl_args(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut cluster = template().clone();
    let files = files();
    let mut transport = apiserver::InProcess {
        cluster: &mut cluster,
    };
    let mut ctx = kubectl::Context {
        transport: &mut transport,
        files: &files,
        namespace: "default".to_string(),
    };
    let mut config = kubectl::KubeConfig::default();
    match kubectl::start(&args, &mut ctx, &mut config, None) {
        kubectl::Step::Done(out) => check_kubectl_output(&args, &out),
        kubectl::Step::Running(out, mut running) => {
            check_kubectl_output(&args, &out);
            // A long-running command looks at the cluster again as the shell would poll it.
            let (out, _) = running.poll(ctx.transport);
            check_kubectl_output(&args, &out);
        }
    }
}

fn check_kubectl_output(args: &[String], out: &kubectl::Output) {
    if out.exit_code != 0 {
        assert!(
            !out.stderr.is_empty(),
            "kubectl {args:?} failed ({}) without saying why",
            out.exit_code
        );
    }
}

/// One line typed into the terminal: parsed by the shell's syntax, then run to completion (a
/// line that would block is interrupted, as `Shell::run_line` does for scripts).
pub fn shell_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    let _ = shell::syntax::parse(&line);
    let mut cluster = template().clone();
    let mut files = files();
    let mut sh = shell::Shell::default();
    let _ = sh.run_line(&line, &mut cluster, &mut files);
}

/// A `kubectl port-forward` session (the SPDY framing, header inflation, stream pairing and the
/// forwarded HTTP): the input is what kubectl would send, cut into WebSocket messages of the size
/// the first byte gives. A protocol error ends the session, as the server closes the connection;
/// whatever is sent back must be whole SPDY frames.
pub fn port_forward(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let c = template();
    let pods = cluster::resources::by_plural("", "pods").expect("served");
    let pod = c.list(pods, Some("default"))[0].name().to_string();
    let mut tunnel = apiserver::portforward::open(c, &cluster::api::User::admin(), "default", &pod)
        .expect("the pod is there");
    for message in bytes.chunks(usize::from(cut).max(1)) {
        match tunnel.receive(c, message) {
            Ok(out) => check_spdy_frames(&out),
            Err(_) => return,
        }
    }
}

fn check_spdy_frames(mut out: &[u8]) {
    while !out.is_empty() {
        assert!(out.len() >= 8, "a truncated frame header was sent");
        let len = (u32::from_be_bytes(out[4..8].try_into().unwrap()) & 0xff_ffff) as usize;
        assert!(
            out.len() >= 8 + len,
            "a frame shorter than its length was sent"
        );
        out = &out[8 + len..];
    }
}
