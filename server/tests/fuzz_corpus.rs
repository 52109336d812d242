//! The fuzz corpus, replayed on stable (issue 9). `fuzz/` (cargo-fuzz, nightly) keeps a minimised
//! corpus per target in `fuzz/corpus/<target>/` and every input that once crashed or hung in
//! `fuzz/regressions/<target>/`; this test runs each file through the same entry points
//! (`fuzz/harness.rs`), so CI catches a regression on any of them without nightly or libFuzzer.
//! Each input must finish within a time bound, and none may panic.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest one input may take (a debug build; the fuzzer itself allows 10 s in release).
const BOUND: Duration = Duration::from_secs(10);

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("manifest", harness::manifest),
    ("api_body", harness::api_body),
    ("patch", harness::patch),
    ("kubectl_args", harness::kubectl_args),
    ("shell_line", harness::shell_line),
    ("port_forward", harness::port_forward),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file of `dir`, in name order (none if it does not exist).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

/// Runs one target over its corpus and regressions on a worker thread, so that an input that
/// hangs fails the test by name instead of hanging it. Returns how many inputs ran.
fn replay(name: &'static str, target: Target) -> usize {
    let mut files = inputs(&fuzz_dir().join("corpus").join(name));
    files.extend(inputs(&fuzz_dir().join("regressions").join(name)));
    let count = files.len();
    let (tx, rx) = mpsc::channel::<(PathBuf, Result<Duration, String>)>();
    std::thread::spawn(move || {
        for file in files {
            let data = std::fs::read(&file).expect("corpus files are readable");
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| target(&data))
                .map(|()| started.elapsed())
                .map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
            if tx.send((file, outcome)).is_err() {
                return;
            }
        }
    });
    let mut done = 0;
    while done < count {
        match rx.recv_timeout(BOUND) {
            Ok((file, Ok(took))) => {
                assert!(took < BOUND, "{name}: {} took {took:?}", file.display());
                done += 1;
            }
            Ok((file, Err(panic))) => panic!("{name}: {} panicked: {panic}", file.display()),
            Err(_) => {
                panic!("{name}: an input ran longer than {BOUND:?} (the one after {done} files)")
            }
        }
    }
    count
}

#[test]
fn every_kept_fuzz_input_runs_without_panic_within_the_bound() {
    let mut total = 0;
    for (name, target) in TARGETS {
        let n = replay(name, target);
        assert!(n > 0, "fuzz/corpus/{name} is empty");
        total += n;
    }
    println!("{total} fuzz inputs replayed");
}
