//! Streaming kubectl in the shell: `get -w`, `logs -f`, `wait` and `events -w` print as the
//! simulated clock advances, and stop when done or on Ctrl-C.

mod support;

use jiff::SignedDuration;
use serde_json::json;
use shell::{State, Step};
use support::Session;

fn advance(s: &mut Session, seconds: i64) -> Step {
    s.rt.cluster.advance(SignedDuration::from_secs(seconds));
    s.poll()
}

fn pod(s: &mut Session, name: &str, image: &str, command: Option<&str>) {
    let mut container = json!({"name": "app", "image": image});
    if let Some(c) = command {
        container["command"] = json!(["sh", "-c", c]);
    }
    s.create(
        "pods",
        "",
        Some("default"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
               "spec": {"containers": [container]}}),
    );
}

/// The cells of each printed line (split on runs of spaces).
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn get_pods_watch_streams_rows_as_the_clock_advances_until_ctrl_c() {
    let mut s = Session::new();
    pod(&mut s, "web", "nginx", None);
    let step = s.start("kubectl get pods -w");
    assert!(matches!(step.state, State::Running(_)), "{:?}", step.state);
    let (first, err) = step.output();
    assert_eq!(err, "");
    assert_eq!(
        rows(&first),
        [
            vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            vec!["web", "0/1", "ContainerCreating", "0", "0s"]
        ]
    );

    // Nothing changed: nothing printed.
    assert_eq!(s.poll().output().0, "");

    // The pod is scheduled, its image pulled and its container started: one row per change, no
    // new header, and the rows line up under the remembered column widths.
    let mut streamed = String::new();
    for _ in 0..30 {
        let step = advance(&mut s, 1);
        assert!(matches!(step.state, State::Running(_)));
        streamed.push_str(&step.output().0);
    }
    assert!(!streamed.contains("NAME"), "{streamed}");
    assert!(rows(&streamed).iter().all(|r| r[0] == "web"), "{streamed}");
    assert_eq!(rows(&streamed).last().unwrap()[1..3], ["1/1", "Running"]);
    // `ContainerCreating` widened the STATUS column for every later row.
    let last = streamed.lines().last().unwrap();
    assert!(
        last.starts_with("web    1/1     Running             0 "),
        "{last:?}"
    );

    // Deleting the pod: Terminating rows, then the DELETED event's row.
    let pods = cluster::resources::by_plural("", "pods").unwrap();
    s.rt.cluster.delete(pods, Some("default"), "web").unwrap();
    let mut deleting = String::new();
    for _ in 0..40 {
        deleting.push_str(&advance(&mut s, 1).output().0);
    }
    assert!(deleting.lines().count() >= 2, "{deleting}");
    assert!(
        rows(&deleting).iter().all(|r| r[2] == "Terminating"),
        "{deleting}"
    );

    // Ctrl-C ends it; later changes print nothing.
    let stop = s.interrupt();
    assert_eq!(stop.state, State::Exited(130));
    pod(&mut s, "api", "nginx", None);
    assert_eq!(advance(&mut s, 5).output().0, "");
    assert_eq!(s.run("echo $?").stdout, "130\n");
}

#[test]
fn get_watch_only_a_named_object_and_the_single_type_rule() {
    let mut s = Session::new();
    pod(&mut s, "web", "nginx", None);
    pod(&mut s, "api", "nginx", None);
    // One named object: its row, then only its own changes.
    let step = s.start("kubectl get pod web -w -o name");
    assert_eq!(step.output().0, "pod/web\n");
    let mut more = String::new();
    for _ in 0..10 {
        more.push_str(&advance(&mut s, 1).output().0);
    }
    assert!(
        !more.is_empty() && more.lines().all(|l| l == "pod/web"),
        "{more}"
    );
    s.interrupt();

    // --watch-only: no listing, only what changes afterwards.
    let step = s.start("kubectl get pods --watch-only -l app=late");
    assert_eq!(step.output(), (String::new(), String::new()));
    pod(&mut s, "late", "nginx", None);
    let (out, _) = advance(&mut s, 1).output();
    assert_eq!(rows(&out)[0][0], "NAME", "{out}");
    assert!(rows(&out)[1..].iter().all(|r| r[0] == "late"), "{out}");
    s.interrupt();

    let out = s.run("kubectl get pods,services -w");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("error: you may only specify a single resource type\n", 1)
    );
    let out = s.run("kubectl get pods web api -w");
    assert_eq!(out.exit_code, 1);
    assert!(out.stdout.starts_with("NAME"), "{}", out.stdout);
    assert_eq!(
        out.stderr,
        "error: you may only watch a single resource or type of resource at a time\n"
    );
}

#[test]
fn logs_follow_prints_new_lines_until_the_container_stops() {
    let mut s = Session::new();
    pod(
        &mut s,
        "ticker",
        "busybox",
        Some("while true; do echo tick; sleep 5; done"),
    );
    s.rt.cluster.advance(SignedDuration::from_secs(30));
    let before = s.run("kubectl logs ticker").stdout.lines().count();
    assert!(before > 0);
    let step = s.start("kubectl logs -f ticker --tail=1");
    assert_eq!(step.output().0, "tick\n");
    assert!(matches!(step.state, State::Running(_)));
    let mut streamed = String::new();
    for _ in 0..4 {
        streamed.push_str(&advance(&mut s, 5).output().0);
    }
    assert_eq!(streamed, "tick\n".repeat(4));
    let stop = s.interrupt();
    assert_eq!(stop.state, State::Exited(130));

    // A container that exits: the follow ends with it.
    pod(
        &mut s,
        "once",
        "busybox",
        Some("echo starting; sleep 20; echo done; exit 0"),
    );
    s.rt.cluster.advance(SignedDuration::from_secs(10));
    let step = s.start("kubectl logs -f once");
    assert_eq!(step.output().0, "starting\n");
    s.rt.cluster.advance(SignedDuration::from_secs(30));
    let step = s.poll();
    let (out, err, code) = s.wait(step);
    assert_eq!((out.as_str(), err.as_str(), code), ("done\n", "", 0));
}

#[test]
fn wait_streams_until_the_condition_or_the_timeout() {
    let mut s = Session::new();
    pod(&mut s, "web", "nginx", None);
    let step = s.start("kubectl wait --for=condition=Ready pod/web");
    assert!(matches!(step.state, State::Running(_)));
    assert_eq!(step.output(), (String::new(), String::new()));
    let mut out = String::new();
    let mut state = step.state;
    for _ in 0..20 {
        let step = advance(&mut s, 1);
        out.push_str(&step.output().0);
        state = step.state;
        if !matches!(state, State::Running(_)) {
            break;
        }
    }
    assert_eq!(
        (out.as_str(), state),
        ("pod/web condition met\n", State::Exited(0))
    );

    // Already met: done at once.
    let out = s.run("kubectl wait --for=jsonpath={.status.phase}=Running pod/web");
    assert_eq!(
        (out.stdout.as_str(), out.exit_code),
        ("pod/web condition met\n", 0)
    );

    // Never met: the timeout is on the simulated clock.
    let step = s.start("kubectl wait --for=condition=Ready=False pod/web --timeout=10s");
    assert!(matches!(step.state, State::Running(_)));
    assert!(matches!(advance(&mut s, 5).state, State::Running(_)));
    let step = advance(&mut s, 6);
    assert_eq!(step.state, State::Exited(1));
    assert_eq!(
        step.output().1,
        "error: timed out waiting for the condition on pods/web\n"
    );

    // Deletion.
    let step = s.start("kubectl wait --for=delete pod/web --timeout=2m");
    assert!(matches!(step.state, State::Running(_)));
    let pods = cluster::resources::by_plural("", "pods").unwrap();
    s.rt.cluster.delete(pods, Some("default"), "web").unwrap();
    let step = advance(&mut s, 60);
    let (out, _, code) = s.wait(step);
    assert_eq!((out.as_str(), code), ("pod/web condition met\n", 0));
    let out = s.run("kubectl wait --for=delete pod/web");
    assert_eq!((out.stdout.as_str(), out.exit_code), ("", 0));
    let out = s.run("kubectl wait --for=condition=Ready pod -l app=none");
    assert_eq!(out.stderr, "error: no matching resources found\n");
}

#[test]
fn events_watch_prints_new_events_as_they_happen() {
    let mut s = Session::new();
    let step = s.start("kubectl events -w");
    assert!(matches!(step.state, State::Running(_)));
    assert_eq!(step.output().0, "");
    pod(&mut s, "web", "nginx", None);
    let mut out = String::new();
    for _ in 0..20 {
        out.push_str(&advance(&mut s, 1).output().0);
    }
    let r = rows(&out);
    assert_eq!(
        r[0],
        ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    );
    let reasons: Vec<&str> = r[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(reasons[0], "Scheduled", "{out}");
    assert!(reasons.contains(&"Started"), "{out}");
    assert!(r[1..].iter().all(|r| r[3] == "Pod/web"), "{out}");
    assert_eq!(s.interrupt().state, State::Exited(130));
}

#[test]
fn get_watch_ends_at_its_request_timeout_on_the_simulated_clock() {
    let mut s = Session::new();
    pod(&mut s, "web", "nginx", None);
    let step = s.start("kubectl get pods -w --request-timeout=5s");
    assert!(matches!(step.state, State::Running(_)));
    assert!(matches!(advance(&mut s, 3).state, State::Running(_)));
    let step = advance(&mut s, 3);
    assert_eq!(step.state, State::Exited(0));
    let out = s.run("kubectl get pods -w --request-timeout=soon");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("", "error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)\n", 1)
    );
}

#[test]
fn logs_follow_a_deployment_with_timestamps_and_a_container() {
    let mut s = Session::new();
    s.create(
        "deployments",
        "apps",
        Some("default"),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ticker"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "ticker"}},
                        "template": {"metadata": {"labels": {"app": "ticker"}},
                                     "spec": {"containers": [{"name": "tick", "image": "busybox",
                                         "command": ["sh", "-c", "while true; do echo tick; sleep 5; done"]}]}}}}),
    );
    s.rt.cluster.advance(SignedDuration::from_secs(30));
    let step = s.start("kubectl logs -f deployment/ticker -c tick --timestamps --tail=0");
    assert!(
        matches!(step.state, State::Running(_)),
        "{:?}",
        step.output()
    );
    assert_eq!(step.output().0, "");
    let (out, _) = advance(&mut s, 5).output();
    // `2026-...T...Z tick`: RFC 3339 with nanoseconds, then the line.
    let line = out.lines().next().unwrap_or_default().to_string();
    let (stamp, text) = line.split_once(' ').unwrap();
    assert_eq!(text, "tick", "{out}");
    assert!(
        stamp.ends_with('Z') && stamp.contains('T') && stamp.contains('.'),
        "{stamp}"
    );
    assert_eq!(s.interrupt().state, State::Exited(130));
}
