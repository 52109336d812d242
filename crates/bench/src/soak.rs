//! `wheelhouse-bench soak [--minutes N] [--sessions N] [--threads N]`: many sessions doing lesson
//! work for N minutes, with memory printed every minute and checked for steadiness (issue 9).
//!
//! Each session repeats a lesson's round: write a manifest into its workspace, `kubectl apply`
//! it, fast-forward the clock so the pods come up, `get`, `scale`, `logs`, `describe`, `get
//! events`, `delete`, and fast-forward again so the deletions finish. Sessions run through the
//! server's own path (`server::sessions::shell_line`, the code behind `POST /shell` and the
//! terminal), a tenth of them are replaced by new ones every minute (sessions come and go), and
//! worker threads share them as the server's runtime would.
//!
//! Memory is the counting allocator's live bytes (exact) and the process RSS (what the operating
//! system sees, allocator caches included). After the first minute (warm-up: the shared default
//! cluster, caches, the sessions' first objects), live bytes must stay within
//! [`GROWTH_BOUND`] of the warm-up figure, or the command fails.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server::{Session, SessionRegistry};

use crate::alloc;

/// How much live memory may grow past the warm-up figure (as a fraction) before the soak fails.
const GROWTH_BOUND: f64 = 0.15;

const MANIFEST: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef:
            name: web-config
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
";

/// One lesson round, as lines typed into the terminal, with fast-forwards between.
enum Act {
    Line(&'static str),
    FastForward(u64),
}

const ROUND: &[Act] = &[
    Act::Line("kubectl apply -f web.yaml"),
    Act::FastForward(30),
    Act::Line("kubectl get pods -o wide"),
    Act::Line("kubectl scale deployment web --replicas=4"),
    Act::FastForward(20),
    Act::Line("kubectl get deploy,rs,svc"),
    Act::Line("kubectl logs deploy/web --tail=5"),
    Act::Line("kubectl describe deployment web"),
    Act::Line("kubectl set image deployment/web web=nginx:1.28"),
    Act::FastForward(60),
    Act::Line("kubectl rollout history deployment/web"),
    Act::Line("kubectl get events --sort-by=.lastTimestamp"),
    Act::Line("kubectl delete -f web.yaml"),
    Act::FastForward(60),
    Act::Line("kubectl get all"),
];

struct Options {
    minutes: u64,
    sessions: usize,
    threads: usize,
}

fn parse(args: &[String]) -> Options {
    let mut o = Options {
        minutes: 10,
        sessions: 200,
        threads: 2,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = |it: &mut std::slice::Iter<String>| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{a} needs a number")))
        };
        match a.as_str() {
            "--minutes" => o.minutes = value(&mut it).max(1),
            "--sessions" => o.sessions = value(&mut it).max(1) as usize,
            "--threads" => o.threads = value(&mut it).max(1) as usize,
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    o
}

fn usage(problem: &str) -> ! {
    eprintln!("usage: wheelhouse-bench soak [--minutes N] [--sessions N] [--threads N]: {problem}");
    std::process::exit(2);
}

/// The process's resident set, from `/proc/self/statm` (0 where there is none).
fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A session of the soak and where it is in its round.
struct Learner {
    session: Arc<Session>,
    step: usize,
}

impl Learner {
    fn new(registry: &SessionRegistry) -> Learner {
        let session = registry.create();
        session
            .lock()
            .files
            .insert("web.yaml".into(), MANIFEST.to_string());
        Learner { session, step: 0 }
    }

    /// Does the next act of the round; returns how long a typed line took (None for a
    /// fast-forward).
    fn act(&mut self) -> Option<Duration> {
        let act = &ROUND[self.step % ROUND.len()];
        self.step += 1;
        match act {
            Act::Line(line) => {
                let started = Instant::now();
                let out = server::sessions::shell_line(&self.session, line)
                    .unwrap_or_else(|p| panic!("{line}: the simulation panicked: {}", p.message));
                let took = started.elapsed();
                assert!(
                    out.exit_code == 0,
                    "{line}: exit {}: {}",
                    out.exit_code,
                    out.stderr
                );
                Some(took)
            }
            Act::FastForward(seconds) => {
                let mut st = self.session.lock();
                self.session.fast_forward(&mut st, *seconds);
                None
            }
        }
    }
}

pub fn main(args: &[String]) {
    let o = parse(args);
    println!(
        "soak: {} sessions doing lesson rounds on {} threads for {} min ({} build)",
        o.sessions,
        o.threads,
        o.minutes,
        if cfg!(debug_assertions) {
            "DEBUG"
        } else {
            "release"
        }
    );
    let registry = Arc::new(SessionRegistry::default());
    let learners: Arc<Vec<Mutex<Learner>>> = Arc::new(
        (0..o.sessions)
            .map(|_| Mutex::new(Learner::new(&registry)))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let commands = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..o.threads)
        .map(|_| {
            let (learners, stop, commands, latencies, next) = (
                learners.clone(),
                stop.clone(),
                commands.clone(),
                latencies.clone(),
                next.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed) % learners.len();
                    let Ok(mut learner) = learners[i].try_lock() else {
                        continue;
                    };
                    if let Some(took) = learner.act() {
                        commands.fetch_add(1, Ordering::Relaxed);
                        latencies.lock().unwrap().push(took);
                    }
                }
            })
        })
        .collect();

    println!(
        "{:>6} {:>10} {:>12} {:>12} {:>12} {:>10}",
        "minute", "sessions", "commands", "p99 command", "live heap", "RSS"
    );
    let mut live = Vec::new();
    let started = Instant::now();
    for minute in 1..=o.minutes {
        let due = started + Duration::from_secs(60 * minute);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        // Sessions come and go: a tenth are replaced by new ones, the old ones dropped.
        for i in (0..learners.len()).filter(|i| i % 10 == minute as usize % 10) {
            let mut learner = learners[i].lock().unwrap();
            let old = std::mem::replace(&mut *learner, Learner::new(&registry));
            registry.remove(&old.session.id);
        }
        let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
        lat.sort();
        let p99 = crate::pct(&lat, 0.99);
        let bytes = alloc::live_bytes();
        live.push(bytes);
        println!(
            "{:>6} {:>10} {:>12} {:>12} {:>12} {:>10}",
            minute,
            registry.len(),
            commands.swap(0, Ordering::Relaxed),
            crate::ms(p99),
            mib(bytes),
            mib(rss_bytes())
        );
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a soak worker panicked");
    }

    let warm = live[0];
    let peak_after = live.iter().skip(1).copied().max().unwrap_or(warm);
    let growth = peak_after as f64 / warm as f64 - 1.0;
    let steady = live.len() < 2 || growth <= GROWTH_BOUND;
    println!(
        "live heap after warm-up {} → highest later {} ({:+.1}%, bound +{:.0}%): {}",
        mib(warm),
        mib(peak_after),
        growth * 100.0,
        GROWTH_BOUND * 100.0,
        if steady { "steady" } else { "GROWING" }
    );
    if !steady {
        std::process::exit(1);
    }
}
