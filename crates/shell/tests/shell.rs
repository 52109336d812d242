//! The shell end to end: lines in, terminal output out, on a real cluster.

mod support;

use serde_json::json;
use shell::runtime::Endpoint;
use shell::{State, Stream};
use support::Session;

fn ok(out: &shell::Output) -> &str {
    assert_eq!(out.exit_code, 0, "stderr: {}", out.stderr);
    &out.stdout
}

// --- pipes, redirections, lists ---

#[test]
fn pipes_through_text_tools() {
    let mut s = Session::new();
    assert_eq!(
        ok(&s.run(
            r#"echo -e "web-1 Running\nweb-2 Pending\ndb-0 Running" | grep -v Pending | wc -l"#
        )),
        "2\n"
    );
    assert_eq!(
        ok(&s.run(r#"echo -e "Alpha\nbeta\nALPHA" | grep -i alpha"#)),
        "Alpha\nALPHA\n"
    );
    assert_eq!(
        ok(&s.run(r#"echo -e "a1\nb22\nc" | grep -E '[0-9]+$' -c"#)),
        "2\n"
    );
    assert_eq!(
        ok(&s.run(r#"echo -e "a+b\nab" | grep 'a+b'"#)),
        "a+b\n",
        "BRE: + is literal"
    );
    assert_eq!(ok(&s.run(r#"echo -e "1\n2\n3\n4" | head -n 2"#)), "1\n2\n");
    assert_eq!(ok(&s.run(r#"echo -e "1\n2\n3\n4" | tail -1"#)), "4\n");
    assert_eq!(ok(&s.run(r#"echo -e "1\n2\n3\n4" | tail -n +3"#)), "3\n4\n");
    assert_eq!(
        ok(&s.run(r#"echo -e "b\na\nb" | sort | uniq -c"#)),
        "      1 a\n      2 b\n"
    );
    let out = s.run("echo hello | grep nothing");
    assert_eq!((out.stdout.as_str(), out.exit_code), ("", 1));
}

#[test]
fn base64_round_trip_and_errors() {
    let mut s = Session::new();
    assert_eq!(ok(&s.run("echo -n admin | base64")), "YWRtaW4=\n");
    assert_eq!(ok(&s.run("echo YWRtaW4= | base64 -d")), "admin");
    assert_eq!(
        ok(&s.run("echo -n 'p@ss w0rd' | base64 | base64 --decode")),
        "p@ss w0rd"
    );
    let bad = s.run("echo '!!!' | base64 -d");
    assert_eq!(
        (bad.stderr.as_str(), bad.exit_code),
        ("base64: invalid input\n", 1)
    );
    let long = s.run(&format!("echo {} | base64", "x".repeat(100)));
    assert!(long.stdout.lines().all(|l| l.len() <= 76) && long.stdout.lines().count() == 2);
}

#[test]
fn redirections_write_workspace_files() {
    let mut s = Session::new();
    ok(&s.run("echo one > notes.txt"));
    ok(&s.run("echo two >> notes.txt"));
    assert_eq!(s.files["notes.txt"], "one\ntwo\n");
    assert_eq!(ok(&s.run("cat notes.txt | wc -l")), "2\n");
    assert_eq!(ok(&s.run("wc -l < notes.txt")), "2\n");
    // stderr can be dropped or joined into the pipe.
    assert_eq!(s.run("cat missing.yaml 2>/dev/null").stderr, "");
    assert_eq!(
        ok(&s.run("cat missing.yaml 2>&1 | grep -c 'No such file'")),
        "1\n"
    );
    let out = s.run("cat missing.yaml");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("cat: missing.yaml: No such file or directory\n", 1)
    );
    let out = s.run("echo x > /etc/passwd");
    assert_eq!(out.stderr, "bash: /etc/passwd: Permission denied\n");
    ok(&s.run("touch a.yaml b.yaml && rm a.yaml"));
    assert!(!s.files.contains_key("a.yaml") && s.files.contains_key("b.yaml"));
}

#[test]
fn lists_status_and_expansions() {
    let mut s = Session::new();
    assert_eq!(
        ok(&s.run("false || echo rescued; true && echo chained")),
        "rescued\nchained\n"
    );
    assert_eq!(s.run("false && echo never").stdout, "");
    assert_eq!(ok(&s.run("nosuch 2>/dev/null; echo $?")), "127\n");
    ok(&s.run("export NS=kube-system; GREETING='hi there'"));
    assert_eq!(
        ok(&s.run(r#"echo "$GREETING from $NS" '$NS'"#)),
        "hi there from kube-system $NS\n"
    );
    assert!(ok(&s.run("env")).contains("NS=kube-system\n"));
    assert!(!ok(&s.run("env")).contains("GREETING"), "not exported");
    assert_eq!(ok(&s.run("echo $(echo -e 'a\\nb' | tail -1)-x")), "b-x\n");
    ok(&s.run("touch pod.yaml svc.yaml"));
    assert_eq!(ok(&s.run("echo *.yaml")), "pod.yaml svc.yaml\n");
    assert_eq!(ok(&s.run("echo '*.yaml'")), "*.yaml\n");
}

#[test]
fn unknown_commands_answer_like_bash() {
    let mut s = Session::new();
    let out = s.run("helm install x");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("bash: helm: command not found\n", 127)
    );
    let out = s.run("./deploy.sh");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("bash: ./deploy.sh: No such file or directory\n", 127)
    );
    let out = s.run("echo 'unterminated");
    assert_eq!(out.exit_code, 2);
    assert_eq!(
        out.stderr,
        "bash: unexpected EOF while looking for matching `''\n"
    );
}

// --- builtins ---

#[test]
fn alias_history_clear_and_ls() {
    let mut s = Session::new();
    assert_eq!(ok(&s.run("alias")), "alias k='kubectl'\n");
    let k = s.run("k get nodes");
    let kubectl = s.run("kubectl get nodes");
    assert_eq!(k, kubectl);
    assert!(k.stdout.starts_with("NAME"), "{k:?}");
    ok(&s.run("alias kgp='kubectl get pods'"));
    assert_eq!(s.run("kgp"), s.run("kubectl get pods"));
    assert_eq!(
        ok(&s.run("history 3")),
        "    5  kgp\n    6  kubectl get pods\n    7  history 3\n"
    );
    assert_eq!(ok(&s.run("clear")), "\x1b[H\x1b[2J\x1b[3J");
    ok(&s.run("touch deploy.yaml k8s/svc.yaml"));
    assert_eq!(ok(&s.run("ls")), "deploy.yaml  k8s\n");
    assert_eq!(ok(&s.run("ls k8s")), "svc.yaml\n");
    assert_eq!(
        s.run("ls nope").stderr,
        "ls: cannot access 'nope': No such file or directory\n"
    );
}

// --- streaming, Ctrl-C, background jobs ---

#[test]
fn sleep_blocks_then_the_line_goes_on() {
    let mut s = Session::new();
    let step = s.start("sleep 0.05 && echo awake");
    assert!(matches!(step.state, State::Running(shell::Wake::At(_))));
    let (out, _, code) = s.wait(step);
    assert_eq!((out.as_str(), code), ("awake\n", 0));
}

#[test]
fn ctrl_c_stops_the_line_and_the_rest_of_it() {
    let mut s = Session::new();
    let step = s.start("sleep 30; echo after");
    assert!(matches!(step.state, State::Running(_)));
    assert!(s.shell.is_running());
    let stop = s.interrupt();
    assert_eq!(stop.state, State::Exited(130));
    assert_eq!(stop.output().0, "");
    assert!(!s.shell.is_running());
    assert_eq!(ok(&s.run("echo $?")), "130\n");
    // POST semantics: a blocking line is interrupted at once.
    let out = s.run("echo before; sleep 600; echo never");
    assert_eq!((out.stdout.as_str(), out.exit_code), ("before\n", 130));
}

#[test]
fn background_jobs_report_when_done_and_can_be_killed() {
    let mut s = Session::new();
    let out = s.run("sleep 0.01 &");
    assert_eq!(out.stderr, "[1] 4187\n");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = s.run("echo next");
    assert_eq!(out.stdout, "next\n");
    assert_eq!(out.stderr, "[1]+  Done                    sleep 0.01\n");
    s.run("sleep 100 &");
    assert_eq!(
        ok(&s.run("jobs")),
        "[1]+  Running                 sleep 100 &\n"
    );
    let out = s.run("kill %1");
    assert_eq!(out.stderr, "[1]+  Terminated              sleep 100\n");
    assert_eq!(s.run("kill %1").stderr, "bash: kill: %1: no such job\n");
}

// --- minikube, kind, docker, curl, port-forward ---

#[test]
fn minikube_status_stop_start() {
    let mut s = Session::new();
    assert_eq!(ok(&s.run("minikube status")), "minikube\ntype: Control Plane\nhost: Running\nkubelet: Running\napiserver: Running\nkubeconfig: Configured\n\n");
    assert!(ok(&s.run("minikube stop")).contains("🛑  1 node stopped."));
    assert_eq!(s.run("minikube status").exit_code, 7);
    let out = s.run("kubectl get pods");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("The connection to the server 192.168.49.2:8443 was refused - did you specify the right host or port?\n", 1)
    );
    let start = s.run("minikube start");
    assert!(ok(&start).starts_with("😄  minikube v1.36.0 on Ubuntu 22.04\n"));
    assert!(start.stdout.ends_with("🏄  Done! kubectl is now configured to use \"minikube\" cluster and \"default\" namespace by default\n"));
    assert_eq!(s.run("kubectl get pods").exit_code, 0);
    assert_eq!(ok(&s.run("minikube ip")), "192.168.49.2\n");
}

#[test]
fn minikube_service_url_and_curl_to_the_node_port() {
    let mut s = Session::new();
    s.running_pod("web-1", json!({"app": "web"}), 80);
    s.node_port_service("web", "web", json!(80), 30080);
    assert_eq!(
        ok(&s.run("minikube service web --url")),
        "http://192.168.49.2:30080\n"
    );
    assert_eq!(
        ok(&s.run("curl $(minikube service web --url)")),
        "hello from service web\n"
    );
    assert_eq!(
        s.rt.requests.last().unwrap().0,
        Endpoint::Node {
            ip: "192.168.49.2".into(),
            port: 30080
        }
    );
    let out = s.run("curl -i http://192.168.49.2:30080/");
    assert!(
        out.stdout
            .starts_with("HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\n"),
        "{:?}",
        out.stdout
    );
    let out = s.run("curl -f http://192.168.49.2:30080/missing");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("curl: (22) The requested URL returned error: 404\n", 22)
    );
    let out = s.run("curl http://192.168.49.2:31999/");
    assert_eq!(out.exit_code, 7);
    assert_eq!(out.stderr, "curl: (7) Failed to connect to 192.168.49.2 port 31999 after 0 ms: Couldn't connect to server\n");
    // Service DNS names do not resolve on the laptop.
    let out = s.run("curl http://web.default.svc.cluster.local");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        (
            "curl: (6) Could not resolve host: web.default.svc.cluster.local\n",
            6
        )
    );
    let out = s.run("minikube service nope --url");
    assert!(out.stderr.contains("SVC_NOT_FOUND"), "{}", out.stderr);
}

#[test]
fn curl_to_a_cluster_ip_hangs_until_its_timeout() {
    let mut s = Session::new();
    let step = s.start("curl --connect-timeout 0.05 http://10.96.12.7");
    assert!(matches!(step.state, State::Running(shell::Wake::At(_))));
    let (_, err, code) = s.wait(step);
    assert_eq!(
        (err.as_str(), code),
        (
            "curl: (28) Connection timed out after 51 milliseconds\n",
            28
        )
    );
}

#[test]
fn port_forward_in_the_background_serves_localhost() {
    let mut s = Session::new();
    s.running_pod("web-1", json!({"app": "web"}), 8080);
    s.node_port_service("web", "web", json!("http"), 30080);
    let out = s.run("kubectl port-forward svc/web 8080:80 &");
    assert_eq!(out.stderr, "[1] 4187\n");
    assert_eq!(
        out.stdout,
        "Forwarding from 127.0.0.1:8080 -> 8080\nForwarding from [::1]:8080 -> 8080\n"
    );
    let step = s.start("curl localhost:8080");
    assert_eq!(
        step.chunks,
        [shell::Chunk {
            stream: Stream::Stdout,
            data: "Handling connection for 8080\nhello from pod web-1 port 8080\n".into()
        }]
    );
    assert_eq!(
        s.rt.requests.last().unwrap().0,
        Endpoint::Pod {
            namespace: "default".into(),
            name: "web-1".into(),
            port: 8080
        }
    );
    // A second forward on the same port fails as the real one does.
    let out = s.run("kubectl port-forward pod/web-1 8080:8080");
    assert!(
        out.stderr.starts_with("Unable to listen on port 8080:"),
        "{}",
        out.stderr
    );
    s.run("kill %1");
    let out = s.run("curl -s localhost:8080");
    assert_eq!((out.stderr.as_str(), out.exit_code), ("", 7));
    let out = s.run("kubectl port-forward svc/nope 8080:80");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): services \"nope\" not found\n"
    );
}

#[test]
fn port_forward_in_the_foreground_runs_until_ctrl_c() {
    let mut s = Session::new();
    s.running_pod("web-1", json!({"app": "web"}), 80);
    let step = s.start("kubectl port-forward web-1 9000:80");
    assert_eq!(
        step.output().0,
        "Forwarding from 127.0.0.1:9000 -> 80\nForwarding from [::1]:9000 -> 80\n"
    );
    assert_eq!(step.state, State::Running(shell::Wake::OnChange));
    assert_eq!(s.interrupt().state, State::Exited(130));
}

#[test]
fn docker_build_images_tag_push() {
    let mut s = Session::new();
    s.files.insert("backend/Dockerfile".into(), "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci\nEXPOSE 3000\nCMD [\"node\", \"server.js\"]\n".into());
    s.files
        .insert("backend/server.js".into(), "console.log('hi')\n".into());
    let out = s.run("docker build -t mon-user/api:v1 backend");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(" => [4/4] RUN npm ci"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(" => => naming to docker.io/mon-user/api:v1"),
        "{}",
        out.stderr
    );
    let images = ok(&s.run("docker images")).to_string();
    let mut lines = images.lines();
    assert_eq!(
        lines.next().unwrap(),
        "REPOSITORY                 TAG       IMAGE ID       CREATED                  SIZE"
    );
    let row: Vec<&str> = lines
        .next()
        .unwrap()
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(row[0], "mon-user/api");
    assert_eq!(row[1], "v1");
    assert_eq!(row[2].len(), 12);
    assert_eq!(row[3], "Less than a second ago");
    assert_eq!(row[4], "50MB");
    assert!(
        images.contains("\nnode-app                   v1 "),
        "{images}"
    );
    let missing = s.run("docker build -t x .");
    assert!(missing.stderr.ends_with("ERROR: failed to build: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory\n"), "{}", missing.stderr);
    // Pushing needs a login as the repository's namespace.
    let denied = s.run("docker push mon-user/api:v1");
    assert_eq!(
        (denied.stderr.as_str(), denied.exit_code),
        ("denied: requested access to the resource is denied\n", 1)
    );
    assert!(s.rt.pushed.is_empty());
    let login = s.run("echo secret | docker login -u mon-user --password-stdin");
    assert_eq!(ok(&login), "Login Succeeded\n");
    let push = s.run("docker push mon-user/api:v1");
    assert!(
        ok(&push).starts_with("The push refers to repository [docker.io/mon-user/api]\n"),
        "{}",
        push.stdout
    );
    assert!(push.stdout.contains(": Mounted from library/node\n"));
    assert_eq!(s.rt.pushed[0].reference, "mon-user/api:v1");
    assert_eq!(s.rt.pushed[0].exposed_ports, [3000]);
    assert_eq!(s.rt.pushed[0].base.as_deref(), Some("node:18"));
    // Pushing again finds the layers there.
    assert!(ok(&s.run("docker push mon-user/api:v1")).contains("Layer already exists"));
    ok(&s.run("docker tag mon-user/api:v1 mon-user/api:latest"));
    assert_eq!(
        s.run("docker tag nope:v1 x:v1").stderr,
        "Error response from daemon: No such image: nope:v1\n"
    );
    assert_eq!(
        s.run("docker push nope:v9").stderr,
        "An image does not exist locally with the tag: nope\n"
    );
}

#[test]
fn minikube_image_load_and_kind_load_reach_the_nodes() {
    let mut s = Session::new();
    assert_eq!(
        ok(&s.run("minikube image load mon-user/devops-backend:latest")),
        ""
    );
    assert_eq!(s.rt.loaded[0].reference, "mon-user/devops-backend:latest");
    let out = s.run("minikube image load never-built:v1");
    assert!(out.stderr.contains("GUEST_IMAGE_LOAD"), "{}", out.stderr);
    let out = s.run("kind load docker-image --name kube-demo node-app:v1");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("ERROR: no nodes found for cluster \"kube-demo\"\n", 1)
    );
    let created = s.run("kind create cluster --name kube-demo");
    assert!(created
        .stderr
        .starts_with("Creating cluster \"kube-demo\" ...\n"));
    assert_eq!(ok(&s.run("kind get clusters")), "kube-demo\n");
    let out = s.run("kind load docker-image --name kube-demo node-app:v1");
    assert!(
        out.stderr
            .starts_with("Image: \"node-app:v1\" with ID \"sha256:"),
        "{}",
        out.stderr
    );
    assert!(out
        .stderr
        .ends_with("not yet present on node \"kube-demo-control-plane\", loading...\n"));
    assert_eq!(s.rt.loaded[1].reference, "node-app:v1");
    let out = s.run("kind load docker-image --name kube-demo ghost:v1");
    assert_eq!(
        out.stderr,
        "ERROR: image: \"ghost:v1\" not present locally\n"
    );
}

// --- completion ---

#[test]
fn tab_completion() {
    let mut s = Session::new();
    s.running_pod("web-1", json!({"app": "web"}), 80);
    s.running_pod("worker-1", json!({"app": "worker"}), 80);
    s.files.insert("deploy.yaml".into(), String::new());
    s.files.insert("k8s/svc.yaml".into(), String::new());
    let mut c = |line: &str| s.shell.complete(line, line.len(), &mut s.rt, &s.files);
    assert_eq!(c("kube").candidates, ["kubectl"]);
    assert_eq!(c("kubectl ge").candidates, ["get"]);
    assert_eq!(c("k ro").candidates, ["rollout"]);
    assert!(c("kubectl get deploy")
        .candidates
        .contains(&"deployments".to_string()));
    let names = c("kubectl get pods w");
    assert_eq!(
        (names.start, names.candidates),
        (17, vec!["web-1".to_string(), "worker-1".into()])
    );
    assert_eq!(c("kubectl logs wo").candidates, ["worker-1"]);
    assert_eq!(c("kubectl describe po/we").candidates, ["po/web-1"]);
    assert_eq!(
        c("kubectl get pods -n kube-").candidates,
        ["kube-node-lease", "kube-public", "kube-system"]
    );
    assert_eq!(c("kubectl apply -f ").candidates, ["deploy.yaml", "k8s/"]);
    assert_eq!(c("kubectl apply -f k8s/").candidates, ["k8s/svc.yaml"]);
    assert_eq!(c("kubectl get pods -o j").candidates, ["json", "jsonpath="]);
    assert_eq!(c("kubectl rollout st").candidates, ["status"]);
    assert_eq!(
        c("minikube image load node").candidates,
        ["node-app:v1", "node-demo:v1"]
    );
    assert_eq!(c("docker pu").candidates, ["pull", "push"]);
    assert_eq!(c("cat de").candidates, ["deploy.yaml"]);
    assert_eq!(c("echo x | gr").candidates, ["grep"]);
}

// --- hostile input ---

#[test]
fn hostile_input_is_handled_safely() {
    let mut s = Session::new();
    let long = "a".repeat(shell::syntax::MAX_LINE_BYTES + 1);
    assert_eq!(s.run(&long).stderr, "bash: line too long\n");
    let out = s.run(&format!("echo {}", "b".repeat(60_000)));
    assert_eq!(out.stdout.len(), 60_001);
    // Control characters and invalid-looking bytes are just characters.
    let out = s.run("echo \u{0}\u{7}\u{1b}[31m\u{fffd}");
    assert_eq!(out.exit_code, 0);
    // Metacharacters never reach a real shell.
    assert_eq!(
        s.run("rm -rf /").stderr,
        "rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n"
    );
    assert_eq!(
        s.run("rm /etc/hosts").stderr,
        "rm: cannot remove '/etc/hosts': No such file or directory\n"
    );
    assert_eq!(
        s.run(":(){ :|:& };:").stderr,
        "bash: syntax error near unexpected token `('\n"
    );
    assert_eq!(
        s.run("cat /etc/passwd").stderr,
        "cat: /etc/passwd: No such file or directory\n"
    );
    assert_eq!(s.run("cat ../../etc/shadow").exit_code, 1);
    assert_eq!(s.run("echo `id`").exit_code, 2);
    // Deep or wide constructs are bounded.
    assert_eq!(
        s.run(&format!("echo {}x{}", "$(echo ".repeat(20), ")".repeat(20)))
            .exit_code,
        2
    );
    let out = s.run(&vec!["echo x"; 2000].join(" | "));
    assert_eq!(out.stdout, "x\n");
    let out = s.run(&vec!["true"; 5000].join(" && "));
    assert_eq!(out.exit_code, 0);
    let out = s.run("grep '(((((((((((((((((((((((((((((a*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)' deploy.yaml");
    assert!(out.exit_code == 2, "{out:?}");
    let out = s.run("curl 'http://[::1'");
    assert_eq!(out.exit_code, 3);
    let out = s.run("kubectl port-forward 'pod/x;rm' 80");
    assert_eq!(out.exit_code, 1);
    // A runaway output is capped, not held whole.
    ok(&s.run(&format!("echo {} > big", "y".repeat(1000))));
    for _ in 0..10 {
        ok(&s.run("cat big big big big big big big big big big >> big2 && cat big2 > big"));
    }
    assert!(s.files["big"].len() <= shell::workspace::MAX_FILE_BYTES);
}

#[test]
fn the_workspace_and_job_table_are_bounded() {
    let mut s = Session::new();
    let names: Vec<String> = (0..shell::workspace::MAX_FILES + 5)
        .map(|i| format!("f{i}"))
        .collect();
    let out = s.run(&format!("touch {}", names.join(" ")));
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr
            .ends_with("touch: cannot touch 'f504': No space left on device\n"),
        "{}",
        out.stderr
    );
    assert_eq!(s.files.len(), shell::workspace::MAX_FILES);
    let out = s.run("echo x > one-more");
    assert_eq!(out.stderr, "bash: one-more: No space left on device\n");
    let mut s = Session::new();
    for _ in 0..16 {
        s.run("sleep 100 &");
    }
    let out = s.run("sleep 100 &");
    assert_eq!(
        out.stderr,
        "bash: fork: retry: Resource temporarily unavailable\n"
    );
}

#[test]
fn mkdir_and_cd_move_around_the_workspace() {
    let mut s = Session::new();
    // The first lines of the course's first lesson.
    ok(&s.run("mkdir -p ~/devops-k8s"));
    ok(&s.run("cd ~/devops-k8s"));
    assert_eq!(ok(&s.run("pwd")), "/home/learner/devops-k8s\n");
    assert_eq!(ok(&s.run("echo $PWD")), "/home/learner/devops-k8s\n");
    ok(&s.run("echo 'apiVersion: v1' > pod.yaml"));
    assert_eq!(s.files["devops-k8s/pod.yaml"], "apiVersion: v1\n");
    assert_eq!(ok(&s.run("ls")), "pod.yaml\n");
    assert_eq!(
        ok(&s.run("cat ~/devops-k8s/pod.yaml ../devops-k8s/pod.yaml")),
        "apiVersion: v1\napiVersion: v1\n"
    );
    let c = s.shell.complete("cat po", 6, &mut s.rt, &s.files);
    assert_eq!(c.candidates, ["pod.yaml"]);
    ok(&s.run("cd"));
    assert_eq!(ok(&s.run("ls")), "devops-k8s\n");
    ok(&s.run("mkdir empty"));
    assert_eq!(ok(&s.run("ls")), "devops-k8s  empty\n");
    assert_eq!(
        s.run("mkdir empty").stderr,
        "mkdir: cannot create directory 'empty': File exists\n"
    );
    assert_eq!(
        s.run("mkdir a/b").stderr,
        "mkdir: cannot create directory 'a/b': No such file or directory\n"
    );
    assert_eq!(
        s.run("cd nowhere").stderr,
        "bash: cd: nowhere: No such file or directory\n"
    );
    assert_eq!(
        s.run("cd devops-k8s/pod.yaml").stderr,
        "bash: cd: devops-k8s/pod.yaml: Not a directory\n"
    );
    ok(&s.run("rmdir empty"));
    assert_eq!(ok(&s.run("ls")), "devops-k8s\n");
}

#[test]
fn rollout_status_follows_the_cluster_until_the_rollout_is_done() {
    let mut s = Session::new();
    ok(&s.run("kubectl create deployment web --image=nginx:latest --replicas=2"));
    let step = s.start("kubectl rollout status deployment/web");
    assert_eq!(step.state, State::Running(shell::Wake::OnChange));
    let (first, _) = step.output();
    assert!(first.starts_with("Waiting for "), "{first}");
    // Nothing changed: no new line, still running.
    let step = s.poll();
    assert_eq!(step.output().0, "");
    assert_eq!(step.state, State::Running(shell::Wake::OnChange));
    s.rt.cluster.advance(jiff::SignedDuration::from_secs(60));
    let step = s.poll();
    let (out, err, code) = s.wait(step);
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(
        out.ends_with("deployment \"web\" successfully rolled out\n"),
        "{out}"
    );
}

#[test]
fn rollout_status_times_out_on_the_cluster_clock() {
    let mut s = Session::new();
    ok(&s.run("kubectl create deployment web --image=nginx:latest --replicas=2"));
    let step = s.start("kubectl rollout status deployment/web --timeout=1s");
    assert_eq!(step.state, State::Running(shell::Wake::OnChange));
    s.rt.cluster.advance(jiff::SignedDuration::from_secs(2));
    let step = s.poll();
    let (_, err, code) = s.wait(step);
    assert_eq!(
        (err.as_str(), code),
        ("error: timed out waiting for the condition\n", 1)
    );
}

// --- kubectl's kubeconfig outlives a line ---

#[test]
fn kubectl_contexts_and_namespace_persist_across_lines() {
    let mut s = Session::new();
    ok(&s.run("kubectl create namespace dev"));
    ok(&s.run("kubectl config set-context --current --namespace=dev"));
    ok(&s.run("kubectl run web --image=nginx:1.25"));
    assert_eq!(
        ok(&s.run("kubectl get pods -n dev -o name")),
        "pod/web\n",
        "the pod went to the context's namespace"
    );
    assert_eq!(
        ok(&s.run("kubectl config set-context staging --cluster=minikube --user=minikube --namespace=kube-system")),
        "Context \"staging\" created.\n"
    );
    assert_eq!(
        ok(&s.run("kubectl config use-context staging")),
        "Switched to context \"staging\".\n"
    );
    assert_eq!(ok(&s.run("kubectl config current-context")), "staging\n");
    assert_eq!(
        ok(&s.run("kubectl config view --minify -o jsonpath='{..namespace}'")),
        "kube-system"
    );
    ok(&s.run("kubectl config use-context minikube"));
    assert_eq!(
        ok(&s.run("kubectl config view --minify -o jsonpath='{..namespace}'")),
        "dev"
    );
}

#[test]
fn kubectl_config_errors_match_the_real_kubectl() {
    let mut s = Session::new();
    let out = s.run("kubectl config get-contexts nope");
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        out.stdout,
        "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n"
    );
    assert_eq!(out.stderr, "error: context nope not found\n");
    ok(&s.run("kubectl config set-context staging --cluster=minikube"));
    assert_eq!(
        ok(&s.run("kubectl config rename-context staging st2")),
        "Context \"staging\" renamed to \"st2\".\n"
    );
    let out = s.run("kubectl config rename-context st2 minikube");
    assert_eq!(
        out.stderr,
        "error: cannot rename the context \"st2\", the context \"minikube\" already exists in /home/learner/.kube/config\n"
    );
    assert_eq!(
        ok(&s.run("kubectl config delete-context st2")),
        "deleted context st2 from /home/learner/.kube/config\n"
    );
    let out = s.run("kubectl config delete-context minikube");
    assert_eq!(out.stderr, "warning: this removed your active context, use \"kubectl config use-context\" to select a different one\n");
    let out = s.run("kubectl config view --minify");
    assert_eq!(
        (out.exit_code, out.stderr.as_str()),
        (1, "error: cannot locate context minikube\n")
    );
}

// --- kubectl get in chunks ---

/// kubectl lists `--chunk-size` items at a time (500 by default) and follows the list's
/// `continue` token: every object is printed, under one header, in the same columns and order
/// as an unchunked list.
#[test]
fn kubectl_get_follows_continue_tokens() {
    let mut s = Session::new();
    for i in 0..5 {
        ok(&s.run(&format!(
            "kubectl create configmap cm-{i} --from-literal=k=v"
        )));
    }
    let whole = ok(&s.run("kubectl get configmaps")).to_string();
    assert_eq!(
        whole.lines().count(),
        1 + 6,
        "header, kube-root-ca.crt, cm-0..4"
    );
    assert_eq!(ok(&s.run("kubectl get configmaps --chunk-size=2")), whole);
    let names = ok(&s.run("kubectl get configmaps --chunk-size=2 -o name")).to_string();
    assert_eq!(names.lines().count(), 6, "{names}");
    let json: serde_json::Value =
        serde_json::from_str(ok(&s.run("kubectl get configmaps --chunk-size=4 -o json"))).unwrap();
    assert_eq!(json["items"].as_array().map(Vec::len), Some(6));
}
