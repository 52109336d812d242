//! Terminal latency of `kubectl get pods` and `kubectl apply -f`, in-process and without the server.
//!
//! Reproduces the two terminal figures of `wheelhouse-bench` (crates/bench) on the shell alone, so
//! they can be measured and profiled without building the server:
//!
//! ```text
//! cargo run --release -p shell --example latency            # both figures
//! cargo run --release -p shell --example latency -- get 100 # only `get pods` at 100 pods, for perf
//! cargo run --release -p shell --example latency -- apply   # only `apply`, for perf
//! ```
//!
//! `get N [ROUNDS]` and `apply [ROUNDS]` loop one measurement (default rounds: 500/200), which is
//! what `perf record -g` wants.

use std::time::{Duration, Instant};

use cluster::Cluster;

#[path = "../../bench/src/workload.rs"]
mod workload;
use workload::{big_cluster, ten_object_manifest, Sandbox};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
    match args.first().map(String::as_str) {
        Some("get") => get_pods(arg(1).unwrap_or(100) as u32, arg(2)),
        Some("apply") => apply(arg(1).unwrap_or(200)),
        None => {
            for pods in [10, 100, 1000] {
                get_pods(pods, None);
            }
            apply(200);
        }
        Some(other) => {
            eprintln!("usage: latency [get PODS [ROUNDS] | apply [ROUNDS]]; unknown {other:?}");
            std::process::exit(2);
        }
    }
}

fn get_pods(pods: u32, rounds: Option<usize>) {
    let mut sb = Sandbox::new(big_cluster(pods));
    sb.must(&format!(
        "kubectl create deployment web --image=nginx:1.27 --replicas={pods}"
    ));
    sb.cluster.advance(jiff::SignedDuration::from_secs(60));
    let rows = sb.must("kubectl get pods").stdout.lines().count() - 1;
    assert_eq!(rows, pods as usize, "every pod listed");
    let n = rounds.unwrap_or(if pods >= 1000 { 50 } else { 500 });
    let s = sample(n, || {
        sb.must("kubectl get pods");
    });
    report(&format!("kubectl get pods, {pods} pods"), &s);
}

fn apply(rounds: usize) {
    let manifest = ten_object_manifest();
    // The server's shared default cluster (`server::sessions::default_cluster`).
    let template = Cluster::started_before(jiff::Timestamp::now());
    let mut boxes: Vec<Sandbox> = (0..rounds as u64)
        .map(|i| Sandbox::new(template.fork(i)))
        .collect();
    for b in &mut boxes {
        b.files.insert("app.yaml".into(), manifest.clone());
    }
    let mut it = boxes.iter_mut();
    let s = sample(rounds, || {
        let b = it.next().expect("one sandbox per sample");
        let out = b.must("kubectl apply -f app.yaml");
        assert_eq!(out.stdout.lines().count(), 10, "{}", out.stdout);
    });
    report("kubectl apply -f (10 objects, fresh session)", &s);
}

/// Wall times of `n` runs, sorted, and the mean CPU time of a run (this thread's time on a
/// CPU, which other work on a shared machine disturbs far less than wall time).
fn sample(n: usize, mut f: impl FnMut()) -> (Vec<Duration>, Duration) {
    let cpu_before = thread_cpu();
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let cpu = thread_cpu().saturating_sub(cpu_before) / n as u32;
    v.sort();
    (v, cpu)
}

/// This thread's CPU time so far, from the scheduler's statistics (zero where there are none).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// Percentile of a sorted sample.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, (s, cpu): &(Vec<Duration>, Duration)) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<46} p50 {:>8.3} ms   p99 {:>8.3} ms   cpu {:>8.3} ms   ({} runs{})",
        ms(pct(s, 0.5)),
        ms(pct(s, 0.99)),
        ms(*cpu),
        s.len(),
        if cfg!(debug_assertions) {
            ", DEBUG"
        } else {
            ""
        }
    );
}
