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
