//! `kubectl get -w` side by side: the real kubectl 1.33 (a child process streaming over HTTPS) and
//! the terminal's emulation (the session's own shell, polled as the cluster changes) watch the same
//! namespace of one session while it changes; they must print the same rows in the same order.
//!
//! The real command never ends by itself: it is killed once the changes have settled. Only AGE
//! values are normalised (the two read the clock at slightly different moments).

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{kubectl, kubectl_run as k, server};

/// Polls the session's shell (as the terminal does on every change) for `wall` time.
fn pump_emulation(session: &server::sessions::Session, out: &mut String, wall: Duration) {
    let until = Instant::now() + wall;
    while Instant::now() < until {
        {
            let mut guard = session.lock();
            session.catch_up(&mut guard);
            let st = &mut *guard;
            let step = st.shell.poll(&mut st.cluster, &mut st.files);
            out.push_str(&step.output().0);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ages(text: &str) -> String {
    let age = regex::Regex::new(r"\b\d+[smhd](\d+[smh])?\b").unwrap();
    age.replace_all(text, "AGE").into_owned()
}

fn watch_both(ns: &str, args: &[&str], change: impl Fn()) -> (String, String) {
    watch_command_both("get", ns, args, change)
}

/// `kubectl <command> -n <ns> <args>` run by both until killed / interrupted.
fn watch_command_both(
    command: &str,
    ns: &str,
    args: &[&str],
    change: impl Fn(),
) -> (String, String) {
    let srv = server();
    // The real kubectl, streaming.
    let mut child = Command::new(kubectl().expect("kubectl 1.33"))
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args([command, "-n", ns])
        .args(args)
        .env("HOME", &srv.dir)
        .env("KUBECACHEDIR", srv.dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl starts");
    // The emulation, started on the session's shell as if typed into the terminal.
    let session = srv.state.sessions.get(&srv.session_id).unwrap();
    let line = format!("kubectl {command} -n {ns} {}", args.join(" "));
    let mut emulated = {
        let mut guard = session.lock();
        session.catch_up(&mut guard);
        let st = &mut *guard;
        let step = st.shell.start(&line, &mut st.cluster, &mut st.files);
        assert!(
            matches!(step.state, shell::State::Running(_)),
            "{:?}",
            step.output()
        );
        step.output().0
    };
    // Both have listed before anything changes.
    std::thread::sleep(Duration::from_millis(1500));
    change();
    pump_emulation(&session, &mut emulated, Duration::from_secs(8));
    let _ = child.kill();
    let mut real = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut real)
        .unwrap();
    let _ = child.wait();
    {
        let mut guard = session.lock();
        let st = &mut *guard;
        let stop = st.shell.interrupt(&mut st.cluster, &mut st.files);
        assert_eq!(stop.state, shell::State::Exited(130));
    }
    eprintln!("--- real kubectl {command} {}:\n{real}", args.join(" "));
    (ages(&real), ages(&emulated))
}

/// The tests share the session's one terminal shell, whose foreground holds one line at a time.
static SHELL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn shell_turn() -> std::sync::MutexGuard<'static, ()> {
    SHELL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn get_watch_prints_the_rows_the_real_kubectl_prints() {
    let _turn = shell_turn();
    pods_created_started_and_deleted();
    a_rolling_update_in_wide_output();
    other_printers();
    events_as_they_happen();
}

/// `kubectl events -w`: the events that exist, then new ones, one row each. LAST SEEN is measured
/// on each client's clock, so runs of spaces count as one.
fn events_as_they_happen() {
    let ns = "t-events-watch";
    assert_eq!(k(&["create", "namespace", ns]).code, 0);
    assert_eq!(k(&["run", "early", "--image=nginx", "-n", ns]).code, 0);
    std::thread::sleep(Duration::from_secs(5));
    let (real, emulated) = watch_command_both("events", ns, &["-w"], || {
        assert_eq!(k(&["run", "late", "--image=nginx", "-n", ns]).code, 0);
    });
    let collapse = |t: &str| -> String {
        t.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
            .collect()
    };
    assert!(
        real.contains("Pod/early") && real.contains("Pod/late"),
        "{real}"
    );
    assert_eq!(collapse(&emulated), collapse(&real));
}

/// The printers besides the table: custom columns, YAML documents, and `--output-watch-events`.
fn other_printers() {
    let ns = "t-watch-printers";
    assert_eq!(k(&["create", "namespace", ns]).code, 0);
    assert_eq!(k(&["run", "first", "--image=nginx", "-n", ns]).code, 0);
    std::thread::sleep(Duration::from_secs(5));
    for (n, args) in [
        &[
            "pods",
            "-w",
            "-o",
            "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
        ][..],
        &["pods", "-w", "-o", "yaml"][..],
        &["pods", "-w", "--output-watch-events"][..],
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("p{n}");
        let (real, emulated) = watch_both(ns, args, || {
            assert_eq!(k(&["run", &name, "--image=nginx", "-n", ns]).code, 0);
        });
        assert!(real.contains(&name), "{real}");
        assert_eq!(emulated, real, "kubectl get {}", args.join(" "));
    }
}

fn pods_created_started_and_deleted() {
    let ns = "t-watch-rows";
    assert_eq!(k(&["create", "namespace", ns]).code, 0);
    assert_eq!(k(&["run", "old", "--image=nginx", "-n", ns]).code, 0);
    std::thread::sleep(Duration::from_secs(5));
    let (real, emulated) = watch_both(ns, &["pods", "-w"], || {
        // A new pod goes Pending -> ContainerCreating -> Running; the old one is deleted.
        assert_eq!(k(&["run", "new", "--image=nginx", "-n", ns]).code, 0);
        assert_eq!(
            k(&["delete", "pod", "old", "-n", ns, "--wait=false"]).code,
            0
        );
    });
    assert!(real.lines().count() > 4, "{real}");
    assert!(
        real.contains("ContainerCreating") && real.contains("Terminating"),
        "{real}"
    );
    assert_eq!(emulated, real);
}

fn a_rolling_update_in_wide_output() {
    let ns = "t-watch-roll";
    assert_eq!(k(&["create", "namespace", ns]).code, 0);
    assert_eq!(
        k(&[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "--replicas=2",
            "-n",
            ns
        ])
        .code,
        0
    );
    std::thread::sleep(Duration::from_secs(5));
    let update = || {
        let r = k(&[
            "set",
            "image",
            "deployment/web",
            "nginx=nginx:1.28",
            "-n",
            ns,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    let (real, emulated) = watch_both(ns, &["deployments", "-w", "-o", "wide"], update);
    assert!(real.lines().count() > 2, "{real}");
    assert_eq!(emulated, real);
}

/// `kubectl logs -f` of a container that writes, sleeps, writes and exits: both print the lines as
/// they come and end with the container, by themselves.
#[test]
fn logs_follow_ends_with_the_container_like_the_real_kubectl() {
    let _turn = shell_turn();
    let srv = server();
    let ns = "t-logs-follow";
    assert_eq!(k(&["create", "namespace", ns]).code, 0);
    let r = k(&[
        "run",
        "once",
        "--image=busybox",
        "--restart=Never",
        "-n",
        ns,
        "--",
        "sh",
        "-c",
        "echo first; sleep 3; echo second; sleep 2; echo third",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Until the container runs (its image is pulled first).
    let deadline = Instant::now() + Duration::from_secs(20);
    while k(&[
        "get",
        "pod",
        "once",
        "-n",
        ns,
        "-o",
        "jsonpath={.status.phase}",
    ])
    .stdout
        != "Running"
    {
        assert!(Instant::now() < deadline, "the pod did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    let child = Command::new(kubectl().expect("kubectl 1.33"))
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args(["logs", "-f", "once", "-n", ns])
        .env("HOME", &srv.dir)
        .env("KUBECACHEDIR", srv.dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl starts");
    let session = srv.state.sessions.get(&srv.session_id).unwrap();
    let (mut emulated, mut state) = {
        let mut guard = session.lock();
        session.catch_up(&mut guard);
        let st = &mut *guard;
        let step = st.shell.start(
            &format!("kubectl logs -f once -n {ns}"),
            &mut st.cluster,
            &mut st.files,
        );
        (step.output().0, step.state)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while matches!(state, shell::State::Running(_)) {
        assert!(Instant::now() < deadline, "logs -f did not end: {emulated}");
        std::thread::sleep(Duration::from_millis(50));
        let mut guard = session.lock();
        session.catch_up(&mut guard);
        let st = &mut *guard;
        let step = st.shell.poll(&mut st.cluster, &mut st.files);
        emulated.push_str(&step.output().0);
        state = step.state;
    }
    let real = support::Run::from(child.wait_with_output().unwrap());
    assert_eq!(
        (real.stdout.as_str(), real.code),
        ("first\nsecond\nthird\n", 0),
        "{}",
        real.stderr
    );
    assert_eq!(
        (emulated.as_str(), state),
        (real.stdout.as_str(), shell::State::Exited(0))
    );
}
