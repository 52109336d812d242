//! Learner sessions: each owns a simulated cluster, a workspace of files and a terminal.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use cluster::{Cluster, ClusterConfig};

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
}

impl Session {
    /// Locks the session's state. A panic while the lock was held poisons it; the state is still
    /// the last consistent value written, so it is used as is.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
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
    TEMPLATE.get_or_init(|| {
        let now = jiff::Timestamp::now();
        let start = now
            .checked_sub(jiff::SignedDuration::from_secs(300))
            .unwrap_or(now);
        let mut cluster = Cluster::new(&ClusterConfig { start, seed: 0 });
        cluster.advance_to(now);
        cluster
    })
}

/// Runs one line of the session's shell.
pub fn run_shell_line(session: &Session, line: &str) -> shell::Output {
    let mut guard = session.lock();
    let st = &mut *guard;
    session.catch_up(st);
    let out = st.shell.run_line(line, &mut st.cluster, &mut st.files);
    drop(guard);
    session.changed.notify_waiters();
    out
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
        // A restored cluster may have been fast-forwarded past wall time: keep its lead, so its
        // clock goes on from where it was instead of standing still until wall time catches up.
        let lead = state
            .cluster
            .now()
            .duration_since(jiff::Timestamp::now())
            .as_millis()
            .max(0) as i64;
        Session {
            id,
            token,
            state: Mutex::new(state),
            changed: tokio::sync::Notify::new(),
            clock_offset_ms: std::sync::atomic::AtomicI64::new(lead),
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
