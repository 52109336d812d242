//! Differential test: the terminal's kubectl emulation against the real kubectl 1.33.
//!
//! For each state block of `tests/differential/corpus.txt` and `corpus/*.txt`, two sessions are created and set up
//! identically (setup lines run with the real kubectl on both). Each command line then runs once
//! with the real kubectl against session A (over HTTPS, with the session's kubeconfig) and once in
//! the emulation's shell (`POST /api/sessions/{id}/shell`): on session A too for commands that only
//! read (so generated names agree), on the twin session B for commands that change the cluster. stdout, stderr and the exit code must
//! agree byte for byte after normalising AGE values only (and the session id, which differs).
//!
//! Corpus syntax: `== name` starts a state (fresh sessions); `! args` is a setup kubectl command run
//! on both; `+ N` advances both clocks by N seconds; `kubectl ...` lines are compared; `#` comments.
//! Files under `tests/differential/files/` are the working directory of the real kubectl and are
//! uploaded to session B's workspace.
//!
//! The pass count is recorded in `tests/differential/RESULTS.md`; the test fails when agreement
//! drops more than a few timing-dependent lines below it. `UPDATE_DIFFERENTIAL=1` rewrites the record; a report of every disagreement is
//! written to `target/differential-report.txt`. `DIFFERENTIAL_FILTER=text` runs only matching lines.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{kubectl, server, target_dir};

struct Session {
    id: String,
    token: String,
    kubeconfig: PathBuf,
}

fn new_session(dir: &Path, n: usize) -> Session {
    let srv = server();
    let s = srv.state.sessions.create();
    let kubeconfig = dir.join(format!("kubeconfig-{n}"));
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: wheelhouse\n  cluster:\n    server: {}/k8s/{}\n    certificate-authority: {}\ncontexts:\n- name: wheelhouse\n  context:\n    cluster: wheelhouse\n    user: learner\n    namespace: default\ncurrent-context: wheelhouse\nusers:\n- name: learner\n  user:\n    token: {}\n",
        srv.base,
        s.id,
        srv.ca.display(),
        s.token
    );
    std::fs::write(&kubeconfig, text).unwrap();
    Session {
        id: s.id.clone(),
        token: s.token.clone(),
        kubeconfig,
    }
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn files_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/files")
}

/// The real kubectl under the name `kubectl` (a link beside the cache): `--record` writes the
/// program's name into the change-cause annotation, which `rollout history` prints.
fn kubectl_named_kubectl(cache: &Path) -> PathBuf {
    let link = cache.join("bin").join("kubectl");
    if !link.exists() {
        std::fs::create_dir_all(cache.join("bin")).unwrap();
        std::os::unix::fs::symlink(kubectl().expect("kubectl 1.33"), &link).unwrap();
    }
    link
}

fn real(session: &Session, args: &[String], cache: &Path) -> Run {
    let mut cmd = Command::new(kubectl_named_kubectl(cache));
    cmd.args(args)
        .env("KUBECONFIG", &session.kubeconfig)
        .env("HOME", cache)
        .env("KUBECACHEDIR", cache.join("cache"))
        .current_dir(files_dir())
        .stdin(Stdio::null());
    let out = cmd.output().expect("kubectl runs");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn curl(session: &Session, method: &str, path: &str, body: &str) -> String {
    let srv = server();
    let out = Command::new("curl")
        .args(["-sS", "-X", method, "--cacert"])
        .arg(&srv.ca)
        .args(["-H", &format!("Authorization: Bearer {}", session.token)])
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ])
        .arg(format!("{}{path}", srv.base))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn emulated(session: &Session, line: &str) -> Run {
    let body = serde_json::json!({ "line": line }).to_string();
    let text = curl(
        session,
        "POST",
        &format!("/api/sessions/{}/shell", session.id),
        &body,
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    Run {
        stdout: v["stdout"].as_str().unwrap_or("").to_string(),
        stderr: v["stderr"].as_str().unwrap_or(&text).to_string(),
        code: v["exit_code"].as_i64().unwrap_or(-1) as i32,
    }
}

/// Splits a command line like a POSIX shell does for simple quoting.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                if !matches!(e, '"' | '\\' | '$' | '`') {
                                    cur.push('\\');
                                }
                                cur.push(e);
                            }
                        }
                        d => cur.push(d),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Ages (`5s`, `2m3s`, `7h`, `3d4h`, `4y`), the only thing allowed to differ; and session ids.
fn normalise(text: &str, sessions: &[&Session]) -> String {
    let mut t = text.to_string();
    for s in sessions {
        t = t.replace(&s.id, "SESSION");
        t = t.replace(&s.token, "TOKEN");
    }
    // `kubectl diff`: the real one diffs two temporary directories with random names, and
    // prints their files' times; only those are replaced.
    let temp_dirs = regex::Regex::new(r"/tmp/(LIVE|MERGED)-\d+").unwrap();
    t = temp_dirs.replace_all(&t, "/tmp/$1-XXXX").into_owned();
    let file_times =
        regex::Regex::new(r"(?m)^((?:---|\+\+\+) /tmp/\S+)\t\d{4}-\d\d-\d\d [\d:.]+ [+-]\d{4}$")
            .unwrap();
    t = file_times.replace_all(&t, "$1\tTIME").into_owned();
    // klog's line header (`W1122 00:12:38.819626    7235 diff.go:723]`): wall time and pid.
    let klog = regex::Regex::new(r"(?m)^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ").unwrap();
    t = klog.replace_all(&t, "${1}MMDD TIME PID ").into_owned();
    let age = regex::Regex::new(r"\b\d+[smhdy](\d+[smhd])?\b").unwrap();
    events_table(&age.replace_all(&t, "AGE"))
}

/// `kubectl describe`'s events table: the real kubectl measures event ages on the wall clock, the
/// emulation on the session's simulated clock (ahead of it, so the real one may even print
/// `<invalid>`), and the Age column's width follows those ages. Inside an `Events:` table, ages
/// become AGE and runs of spaces one space; alignment there is unit-tested in the emulation.
fn events_table(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if line == "Events:\n" {
            inside = true;
        } else if inside && line.starts_with("  ") {
            let line = line.replace("<invalid>", "AGE");
            let collapsed: Vec<&str> = line.split_whitespace().collect();
            out.push_str("  ");
            out.push_str(&collapsed.join(" "));
            out.push('\n');
            continue;
        } else {
            inside = false;
        }
        out.push_str(line);
    }
    out
}

/// Runs of spaces as one, line by line, and `<invalid>` (an age on a clock behind the session's)
/// as AGE: for tables whose ages and widths follow the client's clock.
fn collapse_spaces(text: &str) -> String {
    text.replace("<invalid>", "AGE")
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
        .collect()
}

/// Whether a command line changes the cluster (so it must not run twice on one session).
fn mutates(args: &[String]) -> bool {
    let dry_client = args.iter().any(|a| a == "--dry-run=client");
    let command = args.first().map(String::as_str).unwrap_or("");
    let sub = args.get(1).map(String::as_str).unwrap_or("");
    if dry_client || args.iter().any(|a| a == "--help" || a == "-h") {
        return false;
    }
    match command {
        "apply" | "create" | "delete" | "scale" | "label" | "annotate" | "patch" | "replace"
        | "run" | "expose" | "edit" | "set" | "autoscale" | "cordon" | "uncordon" | "drain"
        | "taint" => true,
        "rollout" => matches!(sub, "undo" | "restart" | "pause" | "resume"),
        _ => false,
    }
}

fn upload_files(session: &Session) {
    for entry in std::fs::read_dir(files_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        curl(
            session,
            "PUT",
            &format!("/api/sessions/{}/files/{name}", session.id),
            &text,
        );
    }
}

/// `corpus.txt`, then every `corpus/*.txt` in name order (one file per topic, so each state block
/// starts with its own `== state` line).
fn read_corpus() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut text = std::fs::read_to_string(root.join("corpus.txt")).unwrap();
    let mut extra: Vec<PathBuf> = std::fs::read_dir(root.join("corpus"))
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    extra.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    extra.sort();
    for p in extra {
        text.push('\n');
        text.push_str(&std::fs::read_to_string(p).unwrap());
    }
    text
}

#[test]
fn emulation_agrees_with_real_kubectl() {
    let corpus = read_corpus();
    let dir = target_dir()
        .join("differential")
        .join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut pair: Option<(Session, Session)> = None;
    let mut n = 0;
    let (mut total, mut passed) = (0, 0);
    let mut report = String::new();
    let mut state = String::new();
    // `DIFFERENTIAL_FILTER=text` compares only the lines containing `text` (for development).
    let filter = std::env::var("DIFFERENTIAL_FILTER").ok();
    for raw in corpus.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("== ") {
            state = name.to_string();
            let a = new_session(&dir, n);
            let b = new_session(&dir, n + 1);
            n += 2;
            // Both sessions get the files: reads such as `describe -f` run on session A.
            upload_files(&a);
            upload_files(&b);
            pair = Some((a, b));
            continue;
        }
        let (a, b) = pair.as_ref().expect("corpus starts with a `== state` line");
        if let Some(setup) = line.strip_prefix("! ") {
            for s in [a, b] {
                let r = real(s, &words(setup), &dir);
                // A setup the server rejects is a server gap, reported; the state's lines still run.
                if r.code != 0 {
                    report.push_str(&format!(
                        "!!! [{state}] setup `{setup}` failed: {}\n",
                        r.stderr
                    ));
                }
            }
            continue;
        }
        if let Some(secs) = line.strip_prefix("+ ") {
            for s in [a, b] {
                let body = format!("{{\"advance_seconds\": {secs}}}");
                curl(s, "POST", &format!("/api/sessions/{}/clock", s.id), &body);
            }
            continue;
        }
        if filter.as_deref().is_some_and(|f| !line.contains(f)) {
            continue;
        }
        let w = words(line);
        assert_eq!(
            w.first().map(String::as_str),
            Some("kubectl"),
            "corpus line: {line}"
        );
        total += 1;
        let r = real(a, &w[1..], &dir);
        // Reads run on the same session (same objects, same generated names); a change runs on
        // the twin session, which has seen the same changes so far.
        let target = if mutates(&w[1..]) { b } else { a };
        let e = emulated(target, line);
        let mut norm_r = (
            normalise(&r.stdout, &[a]),
            normalise(&r.stderr, &[a]),
            r.code,
        );
        let mut norm_e = (
            normalise(&e.stdout, &[target]),
            normalise(&e.stderr, &[target]),
            e.code,
        );
        if w.get(1).map(String::as_str) == Some("events") {
            // `kubectl events` measures LAST SEEN on the client's clock, like describe's events.
            norm_r.0 = collapse_spaces(&norm_r.0);
            norm_e.0 = collapse_spaces(&norm_e.0);
        }
        if norm_r == norm_e {
            passed += 1;
        } else {
            report.push_str(&format!(
                "### [{state}] {line}\n--- real (exit {}):\n{}--- real stderr:\n{}--- emulated (exit {}):\n{}--- emulated stderr:\n{}\n",
                r.code, r.stdout, r.stderr, e.code, e.stdout, e.stderr
            ));
        }
    }
    std::fs::write(target_dir().join("differential-report.txt"), &report).unwrap();
    println!("differential: {passed}/{total} command lines agree");
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/RESULTS.md");
    let recorded: usize = std::fs::read_to_string(&results)
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("Passing: ")
                    .and_then(|r| r.split('/').next()?.trim().parse().ok())
            })
        })
        .unwrap_or(0);
    if filter.is_some() {
        return;
    }
    if std::env::var_os("UPDATE_DIFFERENTIAL").is_some() {
        std::fs::write(
            &results,
            format!(
                "# Differential test results\n\nThe terminal's kubectl emulation against the real kubectl 1.33 on identical sessions\n(`cargo test -p server --test differential`; `UPDATE_DIFFERENTIAL=1` rewrites this file).\nA line passes when stdout, stderr and exit code agree byte for byte after normalising AGE values.\n\nPassing: {passed}/{total}\n"
            ),
        )
        .unwrap();
    } else {
        // A few lines depend on timing or on generated names: the clock runs in real time between
        // the real kubectl's run and the emulation's (a pod may finish Terminating in between),
        // and `--sort-by=.metadata.name` over random pod suffixes orders some name pairs
        // differently (see the note on issue 5). They may disagree on one run and not the next,
        // so a regression is more than FLAKY_LINES below the record.
        const FLAKY_LINES: usize = 4;
        assert!(
            passed + FLAKY_LINES >= recorded,
            "agreement regressed: {passed}/{total} lines agree, {recorded} recorded (see target/differential-report.txt)"
        );
    }
}

/// `kubectl get pods` on a 100-pod namespace, in-process through the session's shell. Prints the
/// mean time per command; run with `--release --ignored` for the figure that matters (target: under
/// 1 ms). It asserts the output is the full table, not a time (debug builds are far slower).
#[test]
#[ignore]
fn get_pods_on_100_pods_timing() {
    let state = server::AppState::new(server::Config::default());
    let session = state.sessions.create();
    for i in 0..100 {
        let out = server::sessions::run_shell_line(
            &session,
            &format!("kubectl run p{i:03} --image=nginx"),
        );
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
    }
    let runs = 50;
    let start = std::time::Instant::now();
    let mut lines = 0;
    for _ in 0..runs {
        let out = server::sessions::run_shell_line(&session, "kubectl get pods");
        lines = out.stdout.lines().count();
    }
    let per = start.elapsed() / runs;
    assert_eq!(lines, 101);
    println!("kubectl get pods, 100 pods: {per:?} per command");
    for line in [
        "kubectl api-versions",
        "kubectl get ns",
        "kubectl version --client",
    ] {
        let start = std::time::Instant::now();
        for _ in 0..runs {
            server::sessions::run_shell_line(&session, line);
        }
        println!("{line}: {:?} per command", start.elapsed() / runs);
    }
}
