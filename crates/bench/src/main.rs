//! `wheelhouse-bench`: measures every performance figure of issue 9 and prints it next to its target.
//!
//! Run with `./x bench` (a release build). Each figure is measured in-process unless it says
//! otherwise; memory is counted by a counting global allocator, so it is exact and repeatable.
//! `wheelhouse-bench load URL` drives the WebSocket load test against a running server from this
//! separate process.

mod alloc;
mod load;
mod soak;
mod workload;

use std::time::{Duration, Instant};

use workload::{big_cluster, ten_object_manifest, Sandbox};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

fn main() {
    server::allocator::disable_transparent_huge_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") => load::main(&args[1..]),
        Some("soak") => soak::main(&args[1..]),
        Some(other) => {
            eprintln!("usage: wheelhouse-bench [load URL [--sessions N] [--sockets N] [--seconds N] [--aligned] | soak [--minutes N] [--sessions N] [--threads N]]; unknown {other:?}");
            std::process::exit(2);
        }
        None => in_process(),
    }
}

/// One result line: figure, measured value, target, verdict.
struct Report {
    failed: usize,
}

impl Report {
    fn line(&mut self, name: &str, measured: String, target: &str, ok: bool) {
        if !ok {
            self.failed += 1;
        }
        println!(
            "{:<58} {:>14}   target {:<12} {}",
            name,
            measured,
            target,
            if ok { "ok" } else { "MISSED" }
        );
    }

    fn info(&mut self, name: &str, measured: String) {
        println!("{:<58} {:>14}", name, measured);
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Percentile of a sorted sample.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn sample(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v
}

/// How many pods `kubectl get pods` lists as Running.
fn count_running(sb: &mut Sandbox) -> usize {
    let out = sb.run("kubectl get pods --no-headers --field-selector=status.phase=Running");
    out.stdout.lines().filter(|l| l.contains("Running")).count()
}

/// Scales a Deployment from 0 to `replicas`, fast-forwarding until all pods are Running.
fn scale_to_running(replicas: u32) -> (Duration, usize) {
    let mut sb = Sandbox::new(big_cluster(replicas));
    sb.must("kubectl create deployment web --image=nginx:1.27 --replicas=0");
    let started = Instant::now();
    sb.must(&format!(
        "kubectl scale deployment web --replicas={replicas}"
    ));
    for _ in 0..60 {
        sb.cluster.advance(jiff::SignedDuration::from_secs(10));
        let running = sb
            .cluster
            .list(
                cluster::resources::by_plural("", "pods").expect("pods are served"),
                Some("default"),
            )
            .iter()
            .filter(|p| {
                p.as_pod()
                    .and_then(|p| p.status.as_ref())
                    .and_then(|s| s.phase.as_deref())
                    == Some("Running")
            })
            .count();
        if running >= replicas as usize {
            return (started.elapsed(), running);
        }
    }
    let running = count_running(&mut sb);
    (started.elapsed(), running)
}

fn in_process() {
    let mut r = Report { failed: 0 };
    println!(
        "Wheelhouse benchmarks (in-process, {} build)",
        if cfg!(debug_assertions) {
            "DEBUG"
        } else {
            "release"
        }
    );
    println!();

    // New session with a ready default cluster.
    let registry = server::SessionRegistry::default();
    registry.create(); // builds the shared default cluster once, as server start-up does
    let s = sample(2000, || {
        registry.create();
    });
    r.line(
        "new session with a ready cluster, p99",
        ms(pct(&s, 0.99)),
        "< 2 ms",
        pct(&s, 0.99) < Duration::from_millis(2),
    );
    r.info("  p50", ms(pct(&s, 0.50)));

    // Idle memory per session, at two session counts.
    for n in [1_000usize, 10_000] {
        let registry = server::SessionRegistry::default();
        registry.create();
        let before = alloc::live_bytes();
        for _ in 0..n {
            registry.create();
        }
        let per = (alloc::live_bytes() - before) / n;
        if n == 10_000 {
            r.line(
                &format!("idle memory per session ({n} sessions)"),
                format!("{:.1} KiB", per as f64 / 1024.0),
                "< 64 KiB",
                per < 64 * 1024,
            );
        } else {
            r.info(
                &format!("idle memory per session ({n} sessions)"),
                format!("{:.1} KiB", per as f64 / 1024.0),
            );
        }
    }
    // The rest are timings: the allocator as the server has it.
    alloc::stop_counting();

    // kubectl get pods, by namespace size.
    for pods in [10u32, 100, 1000] {
        let mut sb = Sandbox::new(big_cluster(pods));
        sb.must(&format!(
            "kubectl create deployment web --image=nginx:1.27 --replicas={pods}"
        ));
        sb.cluster.advance(jiff::SignedDuration::from_secs(60));
        let n = if pods >= 1000 { 50 } else { 500 };
        let s = sample(n, || {
            let out = sb.run("kubectl get pods");
            assert_eq!(out.exit_code, 0);
        });
        let name = format!("terminal `kubectl get pods`, {pods}-pod namespace, p99");
        if pods == 100 {
            r.line(
                &name,
                ms(pct(&s, 0.99)),
                "< 1 ms",
                pct(&s, 0.99) < Duration::from_millis(1),
            );
        } else {
            r.info(&name, ms(pct(&s, 0.99)));
        }
    }

    // kubectl apply of a 10-object manifest, on a fresh session each time.
    let manifest = ten_object_manifest();
    let template = server::sessions::default_cluster();
    let mut boxes: Vec<Sandbox> = (0..200).map(|i| Sandbox::new(template.fork(i))).collect();
    for b in &mut boxes {
        b.files.insert("app.yaml".into(), manifest.clone());
    }
    let mut it = boxes.iter_mut();
    let s = sample(200, || {
        let b = it.next().expect("one sandbox per sample");
        let out = b.run("kubectl apply -f app.yaml");
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
    });
    r.line(
        "terminal `kubectl apply` of 10 objects, p99",
        ms(pct(&s, 0.99)),
        "< 2 ms",
        pct(&s, 0.99) < Duration::from_millis(2),
    );
    r.info("  p50", ms(pct(&s, 0.50)));

    // Scaling with the clock fast-forwarded: the median of three runs, and their range (one run
    // on this shared machine can be a third off).
    for (replicas, target) in [
        (100u32, None),
        (1_000, Some(Duration::from_millis(100))),
        (10_000, Some(Duration::from_secs(1))),
    ] {
        let runs: Vec<(Duration, usize)> = (0..3).map(|_| scale_to_running(replicas)).collect();
        let mut took: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        took.sort();
        let running = runs.iter().map(|r| r.1).min().unwrap_or(0);
        let name =
            format!("scale a Deployment to {replicas} pods, all Running ({running}), median of 3");
        match target {
            Some(t) => r.line(
                &name,
                ms(took[1]),
                &format!("< {}", ms(t)),
                took[1] < t && running >= replicas as usize,
            ),
            None => r.info(&name, ms(took[1])),
        }
        r.info(
            "  range",
            format!(
                "{:.0}-{:.0} ms",
                took[0].as_secs_f64() * 1e3,
                took[2].as_secs_f64() * 1e3
            ),
        );
    }

    println!();
    println!("WebSocket load (10,000 idle sessions, 1,000 terminals at one command a second): run");
    println!("  target/release/wheelhouse serve --addr 127.0.0.1:8099 &  target/release/wheelhouse-bench load http://127.0.0.1:8099");
    if r.failed > 0 {
        println!("\n{} figure(s) missed their target", r.failed);
    }
}
