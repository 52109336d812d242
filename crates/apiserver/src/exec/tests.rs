use cluster::api::{User, WriteOptions};
use cluster::{resources, Cluster, ClusterConfig};
use kubectl::rest::Request;
use serde_json::{json, Value};

use super::*;

pub(super) fn cluster() -> Cluster {
    let mut c = Cluster::new(&ClusterConfig::default());
    let pods = resources::by_plural("", "pods").unwrap();
    c.create_with(
        &User::admin(),
        pods,
        Some("default"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "box"},
               "spec": {"containers": [{"name": "box", "image": "busybox", "command": ["sleep", "3600"],
                        "env": [{"name": "COLOR", "value": "blue"}]}]}}),
        &WriteOptions::default(),
    )
    .unwrap();
    c.advance(jiff::SignedDuration::from_secs(30));
    c
}

fn exec_request(query: &str, body: &str) -> Request {
    let mut r = Request::new(
        "POST",
        format!("/api/v1/namespaces/default/pods/box/exec?{query}"),
    )
    .header(FRAMES_HEADER, "frames");
    r.body = body.as_bytes().to_vec();
    r
}

fn messages(c: &mut Cluster, query: &str, body: &str) -> Vec<(u8, String)> {
    let resp = crate::handle(c, &exec_request(query, body));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    split_frames(&resp.body)
        .into_iter()
        .map(|m| (m[0], String::from_utf8_lossy(&m[1..]).into_owned()))
        .collect()
}

#[test]
fn options_come_from_the_query_like_pod_exec_options() {
    let r = exec_request(
        "command=sh&command=-c&command=echo%20hi&container=box&stdin=true&stdout=true&tty=true",
        "",
    );
    let o = ExecOptions::from_request(&r);
    assert_eq!(o.command, ["sh", "-c", "echo hi"]);
    assert_eq!(o.container.as_deref(), Some("box"));
    assert!(o.stdin && o.stdout && o.tty && !o.stderr);
}

#[test]
fn output_and_the_final_status_travel_on_their_channels() {
    let mut c = cluster();
    let m = messages(
        &mut c,
        "command=sh&command=-c&command=echo%20$COLOR;%20nope;%20exit%203&stdout=true&stderr=true",
        "",
    );
    assert_eq!(m[0], (STDOUT, "blue\n".to_string()));
    assert_eq!(m[1], (STDERR, "sh: nope: not found\n".to_string()));
    let status: Value = serde_json::from_str(&m[2].1).unwrap();
    assert_eq!(m[2].0, ERROR);
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(
        status["details"]["causes"][0],
        json!({"reason": "ExitCode", "message": "3"})
    );
    let ok = messages(&mut c, "command=true&stdout=true&stderr=true", "");
    assert_eq!(
        ok,
        vec![(ERROR, r#"{"metadata":{},"status":"Success"}"#.to_string())]
    );
}

#[test]
fn stdin_is_the_body_and_unwanted_streams_are_dropped() {
    let mut c = cluster();
    let m = messages(
        &mut c,
        "command=sh&stdin=true&stdout=true",
        "hostname\nnope\n",
    );
    assert_eq!(m[0], (STDOUT, "box\n".to_string()));
    assert_eq!(m.len(), 2, "stderr was not asked for: {m:?}");
}

#[test]
fn refusals_are_the_real_answers() {
    let mut c = cluster();
    let plain = Request::new(
        "POST",
        "/api/v1/namespaces/default/pods/box/exec?command=env&stdout=true",
    );
    let r = crate::handle(&mut c, &plain);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body_json().unwrap()["message"],
        "Upgrade request required"
    );
    let r = crate::handle(
        &mut c,
        &exec_request("command=env&stdout=true&container=nope", ""),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body_json().unwrap()["message"],
        "container nope is not valid for pod box"
    );
    let mut forbidden = exec_request("command=env&stdout=true", "");
    forbidden.headers.push((
        "impersonate-user".into(),
        "system:serviceaccount:default:default".into(),
    ));
    let r = crate::handle(&mut c, &forbidden);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body_json().unwrap()["message"],
        "pods \"box\" is forbidden: User \"system:serviceaccount:default:default\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\""
    );
    assert_eq!(
        Refusal::Kubelet("container not found (\"box\")".into())
            .response()
            .status,
        500
    );
}

#[test]
fn the_terminal_echoes_edits_and_interrupts() {
    let mut t = Tty::default();
    assert_eq!(
        t.feed("lx\u{7f}s\r"),
        vec![
            TtyEvent::Echo("lx\u{8} \u{8}s\r\n".into()),
            TtyEvent::Line("ls".into())
        ]
    );
    assert_eq!(
        t.feed("\u{1b}[Aab\u{3}"),
        vec![TtyEvent::Echo("ab".into()), TtyEvent::Interrupt]
    );
    assert_eq!(t.feed("\u{4}"), vec![TtyEvent::Eof]);
}

#[test]
fn a_terminal_session_prompts_echoes_and_exits() {
    let mut c = cluster();
    let options = ExecOptions {
        command: vec!["sh".into()],
        stdin: true,
        stdout: true,
        tty: true,
        ..ExecOptions::default()
    };
    let (mut s, first) = start(&mut c, &User::admin(), "default", "box", options).unwrap();
    assert_eq!(first, vec![message(STDOUT, b"/ # ")]);
    let out = s.receive(&mut c, &message(STDIN, b"echo hi\r"));
    assert_eq!(out, vec![message(STDOUT, b"echo hi\r\nhi\r\n/ # ")]);
    let out = s.receive(&mut c, &message(STDIN, b"exit 2\r"));
    assert_eq!(out[0], message(STDOUT, b"exit 2\r\n"));
    assert_eq!(out[1][0], ERROR);
    assert!(s.is_done());
}

fn kubectl(c: &mut Cluster, line: &str) -> kubectl::Output {
    // `\t` stands for a space inside one argument.
    let args: Vec<String> = line.split(' ').map(|a| a.replace('\t', " ")).collect();
    let files = Default::default();
    let mut transport = crate::InProcess { cluster: c };
    let mut ctx = kubectl::Context {
        transport: &mut transport,
        files: &files,
        namespace: "default".into(),
    };
    kubectl::run(&args, &mut ctx)
}

#[test]
fn the_emulated_kubectl_execs_through_the_api() {
    let mut c = cluster();
    let out = kubectl(&mut c, "exec box -- printenv COLOR");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("blue\n", "", 0)
    );
    let out = kubectl(&mut c, "exec box -- sh -c exit\t7");
    assert_eq!(out.exit_code, 7);
    assert_eq!(out.stderr, "command terminated with exit code 7\n");
    let out = kubectl(&mut c, "exec box hostname");
    // kubectl 1.33 refuses the form without `--`.
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("", "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n", 1)
    );
    let out = kubectl(&mut c, "exec box");
    assert_eq!(
        out.stderr,
        "error: you must specify at least one command for the container\n"
    );
    let out = kubectl(&mut c, "exec ghost -- env");
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): pods \"ghost\" not found\n"
    );
    let out = kubectl(&mut c, "exec box -c nope -- env");
    assert_eq!(
        out.stderr,
        "Error from server (BadRequest): container nope is not valid for pod box\n"
    );
    let out = kubectl(&mut c, "exec -it box -- hostname");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "box\n",
            "Unable to use a TTY - input is not a terminal or the right kind of file\n"
        )
    );
    let out = kubectl(&mut c, "exec box -- bash");
    assert_eq!(out.exit_code, 126);
    assert_eq!(out.stderr, "command terminated with exit code 126\n");
}
