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
}

pub struct Session {
    pub id: String,
    /// Bearer token for the session's Kubernetes API and the session cookie's value.
    pub token: String,
    pub state: Mutex<SessionState>,
    /// Woken after every write to the session's cluster, so open watches send their events.
    pub changed: tokio::sync::Notify,
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
        let id = random_hex(8);
        let token = random_hex(24);
        let config = ClusterConfig {
            start: jiff::Timestamp::now(),
            seed: fastrand::u64(..),
        };
        let session = Arc::new(Session {
            id: id.clone(),
            token,
            state: Mutex::new(SessionState {
                cluster: Cluster::new(&config),
                files: BTreeMap::new(),
                shell: shell::Shell::default(),
                progress: course::Progress::default(),
            }),
            changed: tokio::sync::Notify::new(),
        });
        self.sessions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, session.clone());
        session
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

/// Runs one line of the session's shell.
pub fn run_shell_line(session: &Session, line: &str) -> shell::Output {
    let mut guard = session.lock();
    let st = &mut *guard;
    let out = st.shell.run_line(line, &mut st.cluster, &mut st.files);
    drop(guard);
    session.changed.notify_waiters();
    out
}

impl SessionState {
    /// A new session's state: a fresh minikube-like cluster, no files, a new terminal.
    pub fn fresh() -> SessionState {
        let config = ClusterConfig {
            start: jiff::Timestamp::now(),
            seed: fastrand::u64(..),
        };
        SessionState {
            cluster: Cluster::new(&config),
            files: BTreeMap::new(),
            shell: shell::Shell::default(),
            progress: course::Progress::default(),
        }
    }
}

impl Session {
    /// A session with the given identity and state (a restored or taken-over one).
    pub fn with_state(id: String, token: String, state: SessionState) -> Session {
        Session {
            id,
            token,
            state: Mutex::new(state),
            changed: tokio::sync::Notify::new(),
        }
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
