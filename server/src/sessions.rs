//! Learner sessions: each owns a simulated cluster, a workspace of files and a terminal.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use cluster::Cluster;

/// Everything one session owns, behind one lock: requests to a session are serialised, which is
/// what a single API server with one etcd would do too.
pub struct SessionState {
    pub cluster: Cluster,
    /// The editor's files, which are also the shell's current directory.
    pub files: BTreeMap<String, String>,
    pub shell: shell::Shell,
    /// The learner's lesson progress (kept with the session, so it is snapshotted with it).
    pub progress: course::Progress,
    /// Whether the simulated clock is paused: it then stands still instead of following wall
    /// time, and moves only when fast-forwarded (kept with the snapshot, so a pause outlives a
    /// restart).
    pub clock_paused: bool,
}

pub struct Session {
    pub id: String,
    /// Bearer token for the session's Kubernetes API and the session cookie's value.
    pub token: String,
    pub state: Mutex<SessionState>,
    /// Woken after every write to the session's cluster, so open watches send their events.
    pub changed: tokio::sync::Notify,
    /// How far the learner has fast-forwarded the session's clock ahead of wall time, in ms.
    clock_offset_ms: std::sync::atomic::AtomicI64,
    /// Set when the simulation panicked: the state is a stand-in until persistence brings the
    /// last snapshot back (`Persistence::recover`).
    needs_restore: AtomicBool,
    /// Held while the last snapshot is brought back after a panic: requests that arrive
    /// meanwhile wait for it instead of running on the stand-in.
    pub restoring: tokio::sync::Mutex<()>,
    /// Test builds only: make the next [`Session::run`] panic after it ran (see
    /// [`Session::inject_panic`]).
    #[cfg(feature = "fault-injection")]
    inject_panic: AtomicBool,
    /// Test builds only: make the next [`Session::lock`] panic while holding the lock.
    #[cfg(feature = "fault-injection")]
    inject_lock_panic: AtomicBool,
}

/// The session's simulation panicked while serving a request. The request fails; the session
/// goes on from a stand-in state, then from its last snapshot (see [`Session::run`]).
#[derive(Clone, Debug)]
pub struct Panicked {
    /// The panic's message, for the log (never shown to the learner: it may name internals).
    pub message: String,
}

impl Panicked {
    /// What the terminal prints for the failed line.
    pub const TERMINAL_MESSAGE: &'static str = "error: the simulated cluster failed while running this command (a Wheelhouse bug, now logged); \
the session goes back to its last snapshot, so changes of the last moments may be lost\n";

    /// The `/k8s` answer: a 500 `InternalError` Status, as the API server gives for an internal
    /// failure (kubectl prints `Error from server (InternalError): Internal error occurred: ...`).
    pub fn status(&self) -> cluster::Status {
        cluster::Status::new(
            500,
            "InternalError",
            "Internal error occurred: the simulated cluster failed while serving this request; \
the session goes back to its last snapshot",
        )
    }
}

impl Session {
    /// Locks the session's state. [`Session::run`] contains panics of the simulation without
    /// poisoning the lock; a panic anywhere else while the lock was held leaves a poisoned lock
    /// and a state that may be half-written, so the next locker replaces the state as `run` does
    /// and clears the poison: one failed request, not a session (or a server) that fails forever.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        let guard = self.state.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            self.state.clear_poison();
            self.stand_in(&mut guard, "a panic while the session was locked");
            guard
        });
        #[cfg(feature = "fault-injection")]
        if self.inject_lock_panic.swap(false, Ordering::Relaxed) {
            // With the guard held, so the lock is poisoned as by a bug in a handler.
            panic!("fault injected into session {} while locked", self.id);
        }
        guard
    }

    /// Runs `f` on the session's state with its clock caught up to now: what every request that
    /// works on the simulation goes through. A panic inside (a bug in the cluster, the API server,
    /// kubectl or the shell, set off by what this learner did) is contained to this session: it is
    /// logged, the state (which may be half-written) is replaced by a stand-in that keeps the
    /// learner's files and progress with a fresh cluster, the session is marked for
    /// `Persistence::recover` to bring its last snapshot back, and the request gets `Err`.
    pub fn run<R>(&self, f: impl FnOnce(&mut SessionState) -> R) -> Result<R, Panicked> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.catch_up(st);
            let r = f(st);
            #[cfg(feature = "fault-injection")]
            if self.inject_panic.swap(false, Ordering::Relaxed) {
                panic!("fault injected into session {}", self.id);
            }
            r
        }));
        let panicked = outcome.map_err(|payload| {
            let message = panic_message(payload.as_ref());
            self.stand_in(st, &message);
            Panicked { message }
        });
        drop(guard);
        if panicked.is_err() {
            // Watches and the cluster view see the stand-in at once.
            self.changed.notify_waiters();
        }
        panicked
    }

    /// Replaces a state a panic may have left half-written: a fresh cluster, the same files,
    /// progress, clock mode and terminal history, until the last snapshot is restored.
    fn stand_in(&self, st: &mut SessionState, cause: &str) {
        tracing::error!(
            session = self.id,
            "the simulation panicked ({cause}); the session goes on from a fresh cluster until \
its last snapshot is restored"
        );
        let mut shell = shell::Shell::default();
        shell.history = std::mem::take(&mut st.shell.history);
        *st = SessionState {
            cluster: default_cluster().fork(fastrand::u64(..)),
            files: std::mem::take(&mut st.files),
            shell,
            progress: std::mem::take(&mut st.progress),
            clock_paused: st.clock_paused,
        };
        self.needs_restore.store(true, Ordering::Release);
    }

    /// Whether the session panicked and waits for its last snapshot; clears the mark.
    pub fn take_needs_restore(&self) -> bool {
        self.needs_restore.swap(false, Ordering::AcqRel)
    }

    /// Whether the session panicked and waits for its last snapshot.
    pub fn needs_restore(&self) -> bool {
        self.needs_restore.load(Ordering::Acquire)
    }

    /// Puts a state restored from the session's snapshot in place of the current one (after a
    /// panic), keeping the clock's lead as [`Session::with_state`] does.
    pub fn restore_state(&self, state: SessionState) {
        let lead = clock_lead(&state.cluster);
        let mut guard = self.lock();
        *guard = state;
        self.clock_offset_ms.store(lead, Ordering::Relaxed);
        drop(guard);
        self.changed.notify_waiters();
    }

    /// Test builds only (`fault-injection` feature): the next [`Session::run`] panics after its
    /// work, as a bug in the simulation would, mid-request and with the state already changed.
    #[cfg(feature = "fault-injection")]
    pub fn inject_panic(&self) {
        self.inject_panic.store(true, Ordering::Relaxed);
    }

    /// Test builds only (`fault-injection` feature): the next [`Session::lock`] panics while
    /// holding the lock, as a bug in a handler outside [`Session::run`] would.
    #[cfg(feature = "fault-injection")]
    pub fn inject_lock_panic(&self) {
        self.inject_lock_panic.store(true, Ordering::Relaxed);
    }
}

/// The answer to a request whose handler panicked outside [`Session::run`]: a 500
/// `InternalError` Status, which kubectl prints and the browser's API client shows.
pub fn panic_response(
    payload: Box<dyn std::any::Any + Send + 'static>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request panicked: {}", panic_message(payload.as_ref()));
    let status = cluster::Status::new(
        500,
        "InternalError",
        "Internal error occurred: the server failed while handling this request",
    );
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        status.to_value().to_string(),
    )
        .into_response()
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// How far a cluster's clock is ahead of wall time, in ms (a restored cluster may have been
/// fast-forwarded): its clock goes on from where it was instead of standing still until wall
/// time catches up.
fn clock_lead(cluster: &Cluster) -> i64 {
    cluster
        .now()
        .duration_since(jiff::Timestamp::now())
        .as_millis()
        .max(0) as i64
}

#[derive(Default)]
pub struct SessionRegistry {
    sessions: RwLock<HashMap<String, Arc<Session>>>,
}

/// A random hex string from the operating system's CSPRNG.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl SessionRegistry {
    pub fn create(&self) -> Arc<Session> {
        let session = Arc::new(Session::with_state(
            random_hex(8),
            random_hex(24),
            SessionState::fresh(),
        ));
        self.insert(session)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// The session whose token this is. Every session is compared, in constant time each, so
    /// neither the answer's time nor its absence says anything about other sessions' tokens.
    pub fn by_token(&self, token: &str) -> Option<Arc<Session>> {
        let sessions = self.sessions.read().unwrap_or_else(|p| p.into_inner());
        let mut found = None;
        for s in sessions.values() {
            if crate::routes::api::same_secret(token, &s.token) {
                found = Some(s.clone());
            }
        }
        found
    }

    pub fn len(&self) -> usize {
        self.sessions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The ready default cluster every new session starts from, built once per process. It starts a
/// few minutes before the process did and is settled, so a new session's system pods are already
/// Running; sessions fork it and share its objects until they change them.
pub fn default_cluster() -> &'static Cluster {
    static TEMPLATE: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| Cluster::started_before(jiff::Timestamp::now()))
}

/// Runs one line of the session's shell; `Err` if the simulation panicked (see
/// [`Session::run`]).
pub fn shell_line(session: &Session, line: &str) -> Result<shell::Output, Panicked> {
    let out = session.run(|st| st.shell.run_line(line, &mut st.cluster, &mut st.files));
    session.changed.notify_waiters();
    out
}

/// Longest a line run through `POST /shell` may keep running (`kubectl wait`, `rollout status`,
/// `get -w`, `sleep`) before it is interrupted as Ctrl-C would (exit 130).
pub const MAX_SHELL_LINE: Duration = Duration::from_secs(120);

/// How often a line waiting on the cluster looks again when no change wakes it.
const CHANGE_TICK: Duration = Duration::from_millis(250);

/// Runs one line of the session's shell to its end as the terminal would: a line that keeps
/// running waits, in real time while the session's clock runs, until it ends or
/// [`MAX_SHELL_LINE`] passes. The session is locked only while the shell works, never while
/// waiting. A line that would open the editor (`kubectl edit`) is cancelled, as nothing can edit.
pub async fn shell_line_to_end(session: &Session, line: &str) -> Result<shell::Output, Panicked> {
    let mut out = shell::Output::default();
    let deadline = tokio::time::Instant::now() + MAX_SHELL_LINE;
    let mut step = session.run(|st| st.shell.start(line, &mut st.cluster, &mut st.files))?;
    session.changed.notify_waiters();
    loop {
        let (stdout, stderr) = step.output();
        out.stdout.push_str(&stdout);
        out.stderr.push_str(&stderr);
        let wake = match step.state {
            shell::State::Exited(code) => {
                out.exit_code = code;
                return Ok(out);
            }
            shell::State::Running(wake) => wake,
        };
        let now = tokio::time::Instant::now();
        if step.edit.is_some() || now >= deadline {
            step = session.run(|st| st.shell.interrupt(&mut st.cluster, &mut st.files))?;
            session.changed.notify_waiters();
            continue;
        }
        let tick = match wake {
            shell::Wake::At(t) => tokio::time::Instant::from_std(t).saturating_duration_since(now),
            shell::Wake::OnChange => CHANGE_TICK,
        };
        let changed = session.changed.notified();
        tokio::select! {
            _ = changed, if wake == shell::Wake::OnChange => {}
            _ = tokio::time::sleep(tick.min(deadline - now)) => {}
        }
        step = session.run(|st| st.shell.poll(&mut st.cluster, &mut st.files))?;
        session.changed.notify_waiters();
    }
}

/// Runs one line of the session's shell; a panic of the simulation reads as the terminal shows it.
pub fn run_shell_line(session: &Session, line: &str) -> shell::Output {
    shell_line(session, line).unwrap_or_else(|_| shell::Output {
        stdout: String::new(),
        stderr: Panicked::TERMINAL_MESSAGE.to_string(),
        exit_code: 1,
    })
}

impl SessionState {
    /// A new session's state: a fresh minikube-like cluster, no files, a new terminal.
    pub fn fresh() -> SessionState {
        SessionState {
            cluster: default_cluster().fork(fastrand::u64(..)),
            files: BTreeMap::new(),
            shell: shell::Shell::default(),
            progress: course::Progress::default(),
            clock_paused: false,
        }
    }
}

impl Session {
    /// A session with the given identity and state (a restored or taken-over one).
    pub fn with_state(id: String, token: String, state: SessionState) -> Session {
        let lead = clock_lead(&state.cluster);
        Session {
            id,
            token,
            state: Mutex::new(state),
            changed: tokio::sync::Notify::new(),
            clock_offset_ms: std::sync::atomic::AtomicI64::new(lead),
            needs_restore: AtomicBool::new(false),
            restoring: tokio::sync::Mutex::new(()),
            #[cfg(feature = "fault-injection")]
            inject_panic: AtomicBool::new(false),
            #[cfg(feature = "fault-injection")]
            inject_lock_panic: AtomicBool::new(false),
        }
    }

    /// The session's simulated "now": wall time plus what the learner fast-forwarded.
    pub fn simulated_now(&self) -> jiff::Timestamp {
        let offset = self
            .clock_offset_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_millis(offset))
            .unwrap_or_else(|_| jiff::Timestamp::now())
    }

    /// Runs the session's cluster up to its simulated now. The clock runs with real time, but
    /// lazily: an idle session costs nothing, and catches up (firing every timer in order) on
    /// its next request.
    pub fn catch_up(&self, st: &mut SessionState) {
        if st.clock_paused {
            return;
        }
        let target = self.simulated_now();
        if target > st.cluster.now() {
            st.cluster.advance_to(target);
        }
    }

    /// Fast-forwards the session's clock by `seconds` and lets the controllers settle. A paused
    /// clock moves by exactly that much and stays paused.
    pub fn fast_forward(&self, st: &mut SessionState, seconds: u64) {
        if st.clock_paused {
            let step = jiff::SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX));
            if let Ok(target) = st.cluster.now().checked_add(step) {
                st.cluster.advance_to(target);
            }
            return;
        }
        let ms = i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.clock_offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
        self.catch_up(st);
    }

    /// Stops the simulated clock where it is now: timers (back-offs, probes, schedules) wait
    /// until it is resumed or fast-forwarded.
    pub fn pause_clock(&self, st: &mut SessionState) {
        self.catch_up(st);
        st.clock_paused = true;
    }

    /// Lets the simulated clock follow wall time again from where it stood, so the paused
    /// stretch is skipped rather than caught up on.
    pub fn resume_clock(&self, st: &mut SessionState) {
        if !st.clock_paused {
            return;
        }
        let behind = st.cluster.now().duration_since(jiff::Timestamp::now());
        self.clock_offset_ms.store(
            i64::try_from(behind.as_millis()).unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        st.clock_paused = false;
    }
}

/// What persistence (`crate::persistence`) needs of the registry: sessions come back from the
/// database and leave memory when idle.
impl SessionRegistry {
    /// Adds a session (restored from its snapshot), unless one with its id is already in memory,
    /// which wins; returns the one now registered.
    pub fn insert(&self, session: Arc<Session>) -> Arc<Session> {
        self.sessions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(session.id.clone())
            .or_insert(session)
            .clone()
    }

    /// Every session in memory.
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Removes a session from memory if no request is using it (only the registry and the
    /// caller hold it); returns it when removed.
    pub fn remove_if_unused(&self, id: &str) -> Option<Arc<Session>> {
        let mut map = self.sessions.write().unwrap_or_else(|p| p.into_inner());
        // One reference in the map; any other means a request is in flight.
        if Arc::strong_count(map.get(id)?) == 1 {
            map.remove(id)
        } else {
            None
        }
    }

    /// Removes a session from memory unconditionally (another replica took it over).
    pub fn remove(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
    }
}
