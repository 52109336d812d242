//! Commands run in containers of a real simulated cluster: what learners type after
//! `kubectl exec`, and every way an exec is refused.

use jiff::SignedDuration;
use serde_json::{json, Value};

use super::{ExecError, ExecProcess, Stream};
use crate::api::{User, WriteOptions};
use crate::{resources, Cluster, ClusterConfig};

fn create(c: &mut Cluster, v: Value) {
    let kind = v["kind"].as_str().unwrap();
    let rt = resources::by_kind(v["apiVersion"].as_str().unwrap(), kind).expect("served kind");
    let ns = rt.namespaced().then_some("default");
    c.create_with(&User::admin(), rt, ns, v, &WriteOptions::default())
        .unwrap();
}

fn pod(name: &str, image: &str, extra: Value) -> Value {
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": name, "image": image}]}
    });
    if let Value::Object(m) = extra {
        for (k, v) in m {
            p["spec"]["containers"][0][k] = v;
        }
    }
    p
}

/// A cluster with a `web` Service (created first, so pods get its variables), a ConfigMap, and
/// an nginx pod `web` with the ConfigMap as env and as a volume.
fn cluster() -> Cluster {
    let mut c = Cluster::new(&ClusterConfig::default());
    create(
        &mut c,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    );
    create(
        &mut c,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"},
               "data": {"color": "blue", "mode": "dev"}}),
    );
    let mut web = pod(
        "web",
        "nginx:1.27",
        json!({
            "env": [{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "color"}}}],
            "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}, {"name": "scratch", "mountPath": "/scratch"}]
        }),
    );
    web["spec"]["volumes"] = json!([
        {"name": "config", "configMap": {"name": "app-config"}},
        {"name": "scratch", "emptyDir": {}}
    ]);
    create(&mut c, web);
    create(
        &mut c,
        pod("box", "busybox:1.36", json!({"command": ["sleep", "3600"]})),
    );
    c.advance(SignedDuration::from_secs(30));
    c
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

fn run(c: &mut Cluster, pod: &str, words: &[&str]) -> super::ExecOutput {
    c.exec("default", pod, None, &argv(words), "").unwrap()
}

#[test]
fn env_shows_image_container_and_service_variables() {
    let mut c = cluster();
    let out = run(&mut c, "web", &["env"]);
    let text = out.stdout();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert_eq!(lines[1], "HOSTNAME=web");
    assert!(lines.contains(&"NGINX_VERSION=1.27.5"));
    assert!(lines.contains(&"COLOR=blue"));
    assert!(lines.contains(&"KUBERNETES_SERVICE_HOST=10.96.0.1"));
    assert!(lines.iter().any(|l| l.starts_with("WEB_SERVICE_HOST=10.")));
    assert_eq!(*lines.last().unwrap(), "HOME=/root");
    assert_eq!(out.exit_code, 0);
    assert_eq!(
        run(&mut c, "web", &["printenv", "COLOR"]).stdout(),
        "blue\n"
    );
    assert_eq!(run(&mut c, "web", &["printenv", "NOPE"]).exit_code, 1);
}

#[test]
fn mounted_and_kubelet_files_can_be_read() {
    let mut c = cluster();
    assert_eq!(
        run(&mut c, "web", &["cat", "/etc/config/color"]).stdout(),
        "blue"
    );
    assert_eq!(
        run(&mut c, "web", &["ls", "/etc/config"]).stdout(),
        "color\nmode\n"
    );
    assert_eq!(
        run(&mut c, "web", &["cat", "/etc/hostname"]).stdout(),
        "web\n"
    );
    assert_eq!(run(&mut c, "web", &["hostname"]).stdout(), "web\n");
    let resolv = run(&mut c, "web", &["cat", "/etc/resolv.conf"]).stdout();
    assert_eq!(
        resolv,
        "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
    );
    assert!(
        run(&mut c, "web", &["cat", "/etc/nginx/conf.d/default.conf"])
            .stdout()
            .contains("root   /usr/share/nginx/html;")
    );
    let missing = run(&mut c, "web", &["cat", "/nope"]);
    assert_eq!(missing.stderr(), "cat: /nope: No such file or directory\n");
    assert_eq!(missing.exit_code, 1);
    let bb = run(&mut c, "box", &["cat", "/nope"]);
    assert_eq!(
        bb.stderr(),
        "cat: can't open '/nope': No such file or directory\n"
    );
}

#[test]
fn shell_scripts_run_with_operators_pipes_and_redirections() {
    let mut c = cluster();
    let out = run(
        &mut c,
        "web",
        &["sh", "-c", "echo one; echo two && false || echo three"],
    );
    assert_eq!(out.stdout(), "one\ntwo\nthree\n");
    let out = run(&mut c, "web", &["sh", "-c", "env | grep COLOR | wc -l"]);
    assert_eq!(out.stdout(), "1\n");
    let out = run(&mut c, "web", &["sh", "-c", "ls /etc/config | head -n 1"]);
    assert_eq!(out.stdout(), "color\n");
    let out = run(
        &mut c,
        "web",
        &[
            "sh",
            "-c",
            "echo hi > /scratch/x; echo more >> /scratch/x; cat /scratch/x",
        ],
    );
    assert_eq!(out.stdout(), "hi\nmore\n");
    // The file stays in the pod's emptyDir for later execs.
    assert_eq!(
        run(&mut c, "web", &["cat", "/scratch/x"]).stdout(),
        "hi\nmore\n"
    );
    let out = run(
        &mut c,
        "web",
        &["sh", "-c", "echo $COLOR-${HOSTNAME}; exit 3"],
    );
    assert_eq!((out.stdout().as_str(), out.exit_code), ("blue-web\n", 3));
    let out = run(&mut c, "web", &["sh", "-c", "echo x > /etc/config/new"]);
    assert_eq!(
        out.stderr(),
        "sh: 1: cannot create /etc/config/new: Read-only file system\n"
    );
    assert_eq!(out.exit_code, 2);
}

#[test]
fn unknown_commands_fail_like_each_shell() {
    let mut c = cluster();
    let dash = run(&mut c, "web", &["sh", "-c", "foo"]);
    assert_eq!(
        (dash.stderr().as_str(), dash.exit_code),
        ("sh: 1: foo: not found\n", 127)
    );
    let bash = run(&mut c, "web", &["bash", "-c", "foo"]);
    assert_eq!(bash.stderr(), "bash: line 1: foo: command not found\n");
    let ash = run(&mut c, "box", &["sh", "-c", "foo"]);
    assert_eq!(ash.stderr(), "sh: foo: not found\n");
    // No shell involved: the container runtime refuses the program.
    let direct = run(&mut c, "box", &["bash"]);
    assert_eq!(
        direct.stdout(),
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown\n"
    );
    assert_eq!(direct.exit_code, 126);
}

#[test]
fn distroless_images_have_no_shell() {
    let mut c = cluster();
    let coredns = c
        .store()
        .list("Pod", Some("kube-system"))
        .find(|o| o.name().starts_with("coredns"))
        .map(|o| o.name().to_string())
        .unwrap();
    let out = c
        .exec("kube-system", &coredns, None, &argv(&["sh"]), "")
        .unwrap();
    assert_eq!(out.exit_code, 126);
    assert!(out
        .stdout()
        .contains("exec: \"sh\": executable file not found in $PATH"));
}

#[test]
fn refusals_come_from_the_api_server_or_the_kubelet() {
    let mut c = cluster();
    let err = |e: ExecError| match e {
        ExecError::Api(s) => format!("{} {}", s.code, s.message),
        ExecError::Kubelet(t) => format!("kubelet {t}"),
    };
    let e = c
        .exec("default", "nope", None, &argv(&["env"]), "")
        .unwrap_err();
    assert_eq!(err(e), "404 pods \"nope\" not found");
    let e = c
        .exec("default", "web", Some("side"), &argv(&["env"]), "")
        .unwrap_err();
    assert_eq!(err(e), "400 container side is not valid for pod web");
    create(&mut c, pod("pulling", "nginx:does-not-exist", json!({})));
    c.advance(SignedDuration::from_secs(5));
    let e = c
        .exec("default", "pulling", None, &argv(&["env"]), "")
        .unwrap_err();
    assert_eq!(err(e), "kubelet container not found (\"pulling\")");
}

#[test]
fn network_tools_reach_services_by_name() {
    let mut c = cluster();
    let out = run(&mut c, "web", &["curl", "-s", "http://web"]);
    assert!(out.stdout().contains("Welcome to nginx!"));
    let out = run(&mut c, "web", &["curl", "-s", "http://nope"]);
    assert_eq!(out.exit_code, 6);
    let out = run(&mut c, "web", &["curl", "http://nope"]);
    assert_eq!(out.stderr(), "curl: (6) Could not resolve host: nope\n");
    let out = run(
        &mut c,
        "box",
        &["wget", "-qO-", "http://web.default.svc.cluster.local"],
    );
    assert!(out.stdout().contains("Welcome to nginx!"));
    let out = run(&mut c, "box", &["nslookup", "web"]);
    assert!(out
        .stdout()
        .contains("Name:\tweb.default.svc.cluster.local\nAddress: 10."));
    assert!(out
        .stdout()
        .starts_with("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"));
    let out = run(&mut c, "box", &["wget", "-qO-", "http://ghost"]);
    assert_eq!(
        (out.stderr().as_str(), out.exit_code),
        ("wget: bad address 'ghost'\n", 1)
    );
    // nginx has curl but not ps; busybox the other way round.
    assert_eq!(run(&mut c, "box", &["curl", "http://web"]).exit_code, 126);
    let ps = run(&mut c, "box", &["ps"]).stdout();
    assert!(ps.starts_with("PID   USER     TIME  COMMAND\n    1 root      0:00 sleep 3600\n"));
}

#[test]
fn the_image_answers_version_queries() {
    let mut c = cluster();
    let out = run(&mut c, "web", &["nginx", "-v"]);
    assert_eq!(
        out.chunks,
        vec![(Stream::Stderr, "nginx version: nginx/1.27.5\n".to_string())]
    );
}

#[test]
fn a_persistent_volume_outlives_the_pod_that_wrote_it() {
    let mut c = cluster();
    create(
        &mut c,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    let with_claim = |name: &str| {
        let mut p = pod(
            name,
            "busybox:1.36",
            json!({"command": ["sleep", "3600"], "volumeMounts": [{"name": "d", "mountPath": "/data"}]}),
        );
        p["spec"]["volumes"] =
            json!([{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]);
        p
    };
    create(&mut c, with_claim("writer"));
    c.advance(SignedDuration::from_secs(30));
    let out = run(&mut c, "writer", &["sh", "-c", "echo hi > /data/x"]);
    assert_eq!(out.exit_code, 0, "{out:?}");
    let pods = resources::by_plural("", "pods").unwrap();
    c.delete_with(
        &User::admin(),
        pods,
        Some("default"),
        "writer",
        &Default::default(),
    )
    .unwrap();
    c.advance(SignedDuration::from_secs(60));
    create(&mut c, with_claim("reader"));
    c.advance(SignedDuration::from_secs(30));
    assert_eq!(run(&mut c, "reader", &["cat", "/data/x"]).stdout(), "hi\n");
    // An emptyDir, by contrast, starts empty in every pod.
    assert_eq!(run(&mut c, "web", &["ls", "/scratch"]).stdout(), "");
}

#[test]
fn an_interactive_shell_reads_line_by_line_until_exit() {
    let mut c = cluster();
    let container = c.exec_container("default", "box", None, true).unwrap();
    let (mut p, first) = ExecProcess::start(&mut c, container, &argv(&["sh"]), true, true);
    assert_eq!(first.stdout(), "/ # ");
    let out = p.line(&mut c, "cd /tmp");
    assert_eq!(out.stdout(), "/tmp # ");
    let out = p.line(&mut c, "pwd; nope");
    assert_eq!(
        out.chunks,
        vec![
            (Stream::Stdout, "/tmp\n".to_string()),
            (Stream::Stderr, "sh: nope: not found\n".to_string()),
            (Stream::Stdout, "/tmp # ".to_string()),
        ]
    );
    let out = p.line(&mut c, "exit 4");
    assert_eq!((out.stdout().as_str(), p.exit_code()), ("", Some(4)));
    let container = c.exec_container("default", "web", None, true).unwrap();
    let (p, first) = ExecProcess::start(&mut c, container, &argv(&["bash"]), true, true);
    assert_eq!(first.stdout(), "root@web:/# ");
    assert!(!p.is_done());
}

#[test]
fn stdin_without_a_terminal_is_read_to_its_end() {
    let mut c = cluster();
    let out = c
        .exec(
            "default",
            "box",
            None,
            &argv(&["sh"]),
            "echo from stdin\nhostname\n",
        )
        .unwrap();
    assert_eq!(out.stdout(), "from stdin\nbox\n");
    let out = c
        .exec("default", "box", None, &argv(&["wc", "-l"]), "a\nb\nc\n")
        .unwrap();
    assert_eq!(out.stdout(), "3\n");
}

#[test]
fn written_files_survive_a_snapshot_and_restore() {
    let mut c = cluster();
    run(
        &mut c,
        "web",
        &["sh", "-c", "echo kept > /scratch/note; echo also > /tmp/t"],
    );
    let mut restored = Cluster::restore(&c.snapshot()).unwrap();
    assert_eq!(
        run(&mut restored, "web", &["cat", "/scratch/note"]).stdout(),
        "kept\n"
    );
    assert_eq!(
        run(&mut restored, "web", &["cat", "/tmp/t"]).stdout(),
        "also\n"
    );
}
