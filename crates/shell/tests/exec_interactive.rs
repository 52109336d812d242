//! `kubectl exec -it POD -- sh` in the terminal: an attached container shell, line by line.

mod support;

use serde_json::json;
use support::Session;

fn session_with_box() -> Session {
    let mut s = Session::new();
    s.create(
        "pods",
        "",
        Some("default"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "box"},
               "spec": {"containers": [{"name": "box", "image": "busybox", "command": ["sleep", "3600"]}]}}),
    );
    s.running_pod("web", json!({"app": "web"}), 80);
    s
}

#[test]
fn a_busybox_shell_takes_lines_until_exit() {
    let mut s = session_with_box();
    assert_eq!(s.shell.prompt(), None);
    let out = s.run("kubectl exec -it box -- sh");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("", "", 0)
    );
    assert_eq!(s.shell.prompt().as_deref(), Some("/ # "));
    let out = s.run("cd /tmp && echo hi > note; cat note");
    assert_eq!(out.stdout, "hi\n");
    assert_eq!(s.shell.prompt().as_deref(), Some("/tmp # "));
    // Not the learner's shell: kubectl does not exist in the container.
    let out = s.run("kubectl get pods");
    assert_eq!(
        (out.stdout.as_str(), out.exit_code),
        ("sh: kubectl: not found\n", 127)
    );
    let out = s.run("exit 3");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("command terminated with exit code 3\n", 3)
    );
    assert_eq!(s.shell.prompt(), None);
    // Back home: the learner's shell runs kubectl again; the file stays in the container.
    assert_eq!(s.run("kubectl exec box -- cat /tmp/note").stdout, "hi\n");
}

#[test]
fn bash_in_a_debian_image_and_ctrl_d() {
    let mut s = session_with_box();
    let out = s.run("kubectl exec -it web -- bash");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert_eq!(s.shell.prompt().as_deref(), Some("root@web:/# "));
    let out = s.run("nope");
    assert_eq!(out.stdout, "bash: nope: command not found\n");
    let out = s.run("\u{4}");
    assert_eq!((out.stdout.as_str(), out.exit_code), ("exit\n", 127));
    assert_eq!(s.shell.prompt(), None);
}

#[test]
fn a_command_that_is_not_a_shell_runs_at_once() {
    let mut s = session_with_box();
    let out = s.run("kubectl exec -it box -- ls /nope");
    assert_eq!(out.stdout, "ls: /nope: No such file or directory\n");
    assert_eq!(out.stderr, "command terminated with exit code 1\n");
    assert_eq!(s.shell.prompt(), None);
    let out = s.run("kubectl exec -it ghost -- sh");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): pods \"ghost\" not found\n"
    );
    assert_eq!(s.shell.prompt(), None);
}

#[test]
fn a_deleted_pod_ends_the_session() {
    let mut s = session_with_box();
    s.run("kubectl exec -it box -- sh");
    assert!(s.shell.prompt().is_some());
    s.run("\u{4}");
    s.run("kubectl exec -it box -- sh");
    let rt = cluster::resources::by_plural("", "pods").unwrap();
    s.rt.cluster
        .delete_with(
            &cluster::api::User::admin(),
            rt,
            Some("default"),
            "box",
            &Default::default(),
        )
        .unwrap();
    s.rt.cluster.advance(jiff::SignedDuration::from_secs(60));
    let out = s.run("ls");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("command terminated with exit code 137\n", 137)
    );
    assert_eq!(s.shell.prompt(), None);
}

#[test]
fn a_pipe_feeds_exec_dash_i() {
    let mut s = session_with_box();
    let out = s.run("echo 'hostname; echo $HOME' | kubectl exec -i box -- sh");
    assert_eq!(
        (out.stdout.as_str(), out.exit_code),
        ("box\n/root\n", 0),
        "{}",
        out.stderr
    );
    let out = s.run(r#"echo -e "a\nb" | kubectl exec -i box -- wc -l"#);
    assert_eq!(out.stdout, "2\n");
    // Without -i the pipe is not read.
    let out = s.run("echo ignored | kubectl exec box -- cat");
    assert_eq!((out.stdout.as_str(), out.exit_code), ("", 0));
    assert_eq!(s.run("kubectl exec box -- hostname").stdout, "box\n");
}
