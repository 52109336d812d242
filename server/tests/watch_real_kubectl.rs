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
    let srv = server();
    // The real kubectl, streaming.
    let mut child = Command::new(kubectl().expect("kubectl 1.33"))
        .arg("--kubeconfig")
        .arg(&srv.kubeconfig)
        .args(["get", "-n", ns])
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
    let line = format!("kubectl get -n {ns} {}", args.join(" "));
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
    eprintln!("--- real kubectl get {}:\n{real}", args.join(" "));
    (ages(&real), ages(&emulated))
}

/// The scenarios share the session's one terminal shell, so they run one after the other.
#[test]
fn get_watch_prints_the_rows_the_real_kubectl_prints() {
    pods_created_started_and_deleted();
    a_rolling_update_in_wide_output();
    other_printers();
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
