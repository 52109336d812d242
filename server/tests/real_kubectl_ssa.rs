//! Server-side apply with the real kubectl 1.33 against a Wheelhouse session: `kubectl apply
//! --server-side` (upsert, removal of fields no longer applied, conflicts, `--force-conflicts`,
//! `--dry-run=server`) and `kubectl diff --server-side`.

mod support;

use support::kubectl_run as k;

fn namespace(name: &str) -> String {
    let r = k(&["create", "namespace", name]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    name.to_string()
}

fn manifest(dir: &str, replicas: u32, labels: &str) -> String {
    let path = support::server().dir.join(dir).join("web.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n{labels}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n"
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

fn jsonpath(ns: &str, path: &str) -> String {
    k(&[
        "get",
        "deploy",
        "web",
        "-n",
        ns,
        "-o",
        &format!("jsonpath={path}"),
    ])
    .stdout
}

#[test]
fn apply_server_side_twice_removes_a_dropped_field() {
    let ns = namespace("t-ssa-remove");
    let f = manifest("ssa-remove", 2, "    app: web\n    tier: front\n");
    let r = k(&["apply", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(
        r.stdout, "deployment.apps/web serverside-applied\n",
        "{}",
        r.stderr
    );
    assert_eq!(jsonpath(&ns, "{.metadata.labels.tier}"), "front");
    assert_eq!(
        jsonpath(
            &ns,
            "{.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}"
        ),
        "kubectl/Apply"
    );
    let f = manifest("ssa-remove", 2, "    app: web\n");
    let r = k(&["apply", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(
        r.stdout, "deployment.apps/web serverside-applied\n",
        "{}",
        r.stderr
    );
    assert_eq!(jsonpath(&ns, "{.metadata.labels}"), r#"{"app":"web"}"#);
    // A server dry run changes nothing.
    let f = manifest("ssa-remove", 4, "    app: web\n");
    let r = k(&[
        "apply",
        "--server-side",
        "--dry-run=server",
        "-f",
        &f,
        "-n",
        &ns,
    ]);
    assert_eq!(
        r.stdout, "deployment.apps/web serverside-applied (server dry run)\n",
        "{}",
        r.stderr
    );
    assert_eq!(jsonpath(&ns, "{.spec.replicas}"), "2");
    // diff --server-side shows what the apply would change.
    let r = k(&["diff", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("-  replicas: 2\n+  replicas: 4\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_conflict_after_kubectl_scale_and_force_conflicts() {
    let ns = namespace("t-ssa-conflict");
    let f = manifest("ssa-conflict", 2, "    app: web\n");
    let r = k(&["apply", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&["scale", "deploy/web", "--replicas=5", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = manifest("ssa-conflict", 3, "    app: web\n");
    let r = k(&["apply", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    // The server names kubectl scale's write after the binary kubectl runs as (here
    // `kubectl.1.33` or `kubectl`): normalised so the golden holds for both.
    support::golden(
        "ssa-conflict",
        &r.stderr.replace("\"kubectl.1.33\"", "\"kubectl\""),
    );
    assert_eq!(jsonpath(&ns, "{.spec.replicas}"), "5");
    let r = k(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        &f,
        "-n",
        &ns,
    ]);
    assert_eq!(
        r.stdout, "deployment.apps/web serverside-applied\n",
        "{}",
        r.stderr
    );
    assert_eq!(jsonpath(&ns, "{.spec.replicas}"), "3");
}

#[test]
fn a_conflict_with_client_side_apply() {
    let ns = namespace("t-ssa-csa");
    let f = manifest("ssa-csa", 2, "    app: web\n");
    let r = k(&["apply", "-f", &f, "-n", &ns]);
    assert_eq!(r.stdout, "deployment.apps/web created\n", "{}", r.stderr);
    let f = manifest("ssa-csa", 3, "    app: web\n");
    let r = k(&["apply", "--server-side", "-f", &f, "-n", &ns]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    support::golden("ssa-conflict-client-side", &r.stderr);
}

#[test]
fn apply_patches_need_a_field_manager() {
    let ns = namespace("t-ssa-manager");
    let f = manifest("ssa-manager", 1, "    app: web\n");
    let r = k(&[
        "apply",
        "--server-side",
        "--field-manager=",
        "-f",
        &f,
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("fieldManager: Required value: is required for apply patch"),
        "{}",
        r.stderr
    );
}
