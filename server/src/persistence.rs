//! Sessions outlive the process: snapshots to the database, restore on return, idle eviction,
//! and ownership leases for running several replicas on one database.
//!
//! - **Snapshot on change, with bounded delay.** Requests that may change a session mark it dirty
//!   (see [`track`]); a flusher task writes dirty sessions every `flush_interval` (1 s by default),
//!   so a crash loses at most that much. It also writes sessions that changed without such a
//!   request (the terminal's WebSocket, the cluster's own clock: see [`fingerprint`]) and
//!   sessions never written yet.
//! - **Restore on first access.** A request for a session that is not in memory (after a restart,
//!   an eviction, or on another replica) loads it from its snapshot before the handler runs. A
//!   corrupt cluster snapshot is logged and replaced by a fresh cluster; the learner keeps their
//!   files and progress and the server keeps running.
//! - **Snapshots over a base.** Every session starts as a fork of the server's default cluster
//!   and shares its objects, so its snapshot leaves those out ([`cluster::Cluster::snapshot_over`]):
//!   the default cluster is stored once in `cluster_bases`, and each session row names the base
//!   its snapshot was taken over. Writing the 10,000 fresh sessions of the load test then costs a
//!   fifth of what whole snapshots did. A restored session keeps the base it came from (it shares
//!   that base's objects); one whose base cannot be read restarts from a fresh cluster, as for a
//!   corrupt snapshot.
//! - **Idle eviction.** Sessions untouched for `idle_evict` are written, released and dropped from
//!   memory.
//! - **Ownership.** Each replica has an id; a session in memory is owned by one replica, recorded in
//!   the database with a lease the flusher renews (one `replicas` row per replica). A replica takes a session over only when no one
//!   owns it or the owner's lease has lapsed (the owner died), and a replica that lost a session
//!   cannot overwrite it (saves are fenced on the owner column).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::db::{unix_now, Claim, Db, DbError, SessionRow};
use crate::sessions::{default_cluster, Session, SessionRegistry, SessionState};
use crate::AppState;

/// How persistence behaves (from the command line).
#[derive(Clone, Debug)]
pub struct PersistenceConfig {
    /// This replica's id in ownership records.
    pub replica: String,
    /// Longest time between a change and its snapshot.
    pub flush_interval: Duration,
    /// Sessions idle this long leave memory (they come back from their snapshot on return).
    pub idle_evict: Duration,
    /// How long an ownership lease lasts without renewal; another replica takes a session over
    /// this long after its owner died.
    pub lease: Duration,
}

impl Default for PersistenceConfig {
    fn default() -> Self {
        PersistenceConfig {
            replica: "local".into(),
            flush_interval: Duration::from_secs(1),
            idle_evict: Duration::from_secs(30 * 60),
            lease: Duration::from_secs(15),
        }
    }
}

/// Bookkeeping for one session in memory.
#[derive(Debug)]
struct Tracking {
    dirty: bool,
    last_access: Instant,
    /// The [`fingerprint`] of the state at the last write, and when it was taken; `None` before
    /// the first.
    saved: Option<(Fingerprint, Instant)>,
    /// The base cluster the session's snapshots are taken over; `None` for this process's
    /// default cluster (what new sessions are forked from).
    base: Option<String>,
}

/// The terminal's state as stored: the whole [`shell::Shell`] (kubeconfig contexts, history,
/// variables, aliases, the simulated laptop's images and clusters, the current directory) but its
/// running processes. Rows written before it was whole hold `{"namespace", "history"}`, which
/// still read.
fn decode_shell(text: &str) -> Result<shell::Shell, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let legacy_namespace = value["namespace"].as_str().map(str::to_string);
    let mut shell: shell::Shell = serde_json::from_value(value)?;
    if let Some(ns) = legacy_namespace {
        shell.kubeconfig.set_namespace(&ns);
    }
    Ok(shell)
}

/// The simulated clock's state as stored.
#[derive(Serialize, Deserialize, Default)]
struct ClockRecord {
    #[serde(default)]
    paused: bool,
}

/// Sizes of the last snapshot written, for `/api/persistence` and tests.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SnapshotSize {
    pub cluster_json: usize,
    pub cluster_compressed: usize,
}

pub struct Persistence {
    pub db: Db,
    pub config: PersistenceConfig,
    tracking: Mutex<HashMap<String, Tracking>>,
    last_size: Mutex<SnapshotSize>,
    /// Base clusters by id: this process's default cluster and those restored sessions were
    /// written over (see [`cluster::Cluster::snapshot_over`]).
    bases: Mutex<HashMap<String, Arc<cluster::Cluster>>>,
    /// The id of this process's default cluster once it is stored (`None` if storing failed:
    /// snapshots are then whole).
    own_base: tokio::sync::OnceCell<Option<String>>,
}

/// A base cluster and its id.
type Base = (String, Arc<cluster::Cluster>);

/// Why a session could not be brought into memory.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("no such session")]
    Missing,
    /// Another replica serves it; the ingress should have sent the request there.
    #[error("session {id} is served by replica {owner} (lease for {seconds} more seconds)")]
    Busy {
        id: String,
        owner: String,
        seconds: i64,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Persistence {
    pub fn new(db: Db, config: PersistenceConfig) -> Persistence {
        Persistence {
            db,
            config,
            tracking: Mutex::new(HashMap::new()),
            last_size: Mutex::new(SnapshotSize::default()),
            bases: Mutex::new(HashMap::new()),
            own_base: tokio::sync::OnceCell::new(),
        }
    }

    fn bases(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<cluster::Cluster>>> {
        self.bases.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This process's default cluster as a base, stored on first use. Its id is a hash of its
    /// snapshot, so replicas or restarts that build the same cluster share one row.
    async fn own_base(&self) -> Option<Base> {
        let id = self
            .own_base
            .get_or_init(|| async {
                let (id, bytes) = tokio::task::spawn_blocking(|| {
                    use std::hash::{Hash, Hasher};
                    let json = default_cluster().snapshot();
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    json.hash(&mut h);
                    (format!("default-{:016x}", h.finish()), compress(&json))
                })
                .await
                .expect("encoding does not panic");
                match self.db.save_cluster_base(&id, &bytes).await {
                    Ok(()) => {
                        self.bases()
                            .insert(id.clone(), Arc::new(default_cluster().clone()));
                        Some(id)
                    }
                    Err(e) => {
                        tracing::error!("the default cluster was not stored as a base, snapshots stay whole: {e}");
                        None
                    }
                }
            })
            .await
            .clone()?;
        let cluster = self.bases().get(&id)?.clone();
        Some((id, cluster))
    }

    /// A stored base cluster, read from the database on first use.
    async fn base(&self, id: &str) -> Result<Arc<cluster::Cluster>, String> {
        if let Some(c) = self.bases().get(id) {
            return Ok(c.clone());
        }
        let bytes = self
            .db
            .cluster_base(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no stored base cluster {id:?}"))?;
        let cluster = tokio::task::spawn_blocking(move || {
            decompress(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|json| cluster::Cluster::restore(&json).map_err(|e| e.to_string()))
        })
        .await
        .map_err(|e| e.to_string())??;
        let cluster = Arc::new(cluster);
        self.bases().insert(id.to_string(), cluster.clone());
        Ok(cluster)
    }

    /// The base a row's snapshot was taken over, if it names one (a base that cannot be read is
    /// logged; decoding then reports the snapshot unreadable).
    async fn base_of(&self, row: &SessionRow) -> Option<Base> {
        let id = row.cluster_base.as_ref()?;
        match self.base(id).await {
            Ok(c) => Some((id.clone(), c)),
            Err(e) => {
                tracing::error!(session = row.id, "base cluster {id} unreadable: {e}");
                None
            }
        }
    }

    fn tracking(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tracking>> {
        self.tracking.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lease_until(&self) -> i64 {
        unix_now() + self.config.lease.as_secs().max(1) as i64
    }

    /// Notes a request to a session (keeps it from eviction).
    pub fn touch(&self, id: &str) {
        self.tracking()
            .entry(id.to_string())
            .or_insert_with(|| Tracking {
                dirty: true,
                last_access: Instant::now(),
                saved: None,
                base: None,
            })
            .last_access = Instant::now();
    }

    /// Marks a session as changed: it is written within one flush interval.
    pub fn mark_dirty(&self, id: &str) {
        if let Some(t) = self.tracking().get_mut(id) {
            t.dirty = true;
        }
    }

    pub fn last_snapshot_size(&self) -> SnapshotSize {
        *self.last_size.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads a session from the database into `sessions` (taking ownership), unless it is
    /// already there.
    pub async fn restore(
        &self,
        sessions: &SessionRegistry,
        id: &str,
    ) -> Result<Arc<Session>, RestoreError> {
        if let Some(s) = sessions.get(id) {
            return Ok(s);
        }
        let now = unix_now();
        match self
            .db
            .claim_session(id, &self.config.replica, now, self.lease_until())
            .await?
        {
            Claim::Owned => {}
            Claim::Missing => return Err(RestoreError::Missing),
            Claim::Busy { owner, lease_until } => {
                return Err(RestoreError::Busy {
                    id: id.to_string(),
                    owner,
                    seconds: (lease_until - now).max(1),
                })
            }
        }
        let row = self
            .db
            .load_session(id)
            .await?
            .ok_or(RestoreError::Missing)?;
        let base = self.base_of(&row).await;
        let base_id = base.as_ref().map(|(id, _)| id.clone());
        let saved;
        let session = {
            let (state, problem) = tokio::task::spawn_blocking(move || decode(&row, base.as_ref()))
                .await
                .expect("decoding does not panic");
            if let Some(problem) = &problem {
                tracing::error!(
                    session = id,
                    "{problem}; the session restarts from a fresh cluster"
                );
            }
            // A replaced cluster must be written back even if nobody touches the session.
            saved = problem
                .is_none()
                .then(|| (fingerprint(&state.1), Instant::now()));
            Arc::new(Session::with_state(id.to_string(), state.0, state.1))
        };
        let session = sessions.insert(session);
        self.tracking().insert(
            id.to_string(),
            Tracking {
                dirty: saved.is_none(),
                last_access: Instant::now(),
                // A cluster that came back shares its base's objects; a fresh one the default's.
                base: if saved.is_some() { base_id } else { None },
                saved,
            },
        );
        Ok(session)
    }

    /// Brings back the last snapshot of a session whose simulation panicked (see
    /// `Session::run`), in place of the stand-in state it went on with meanwhile. A session
    /// never written yet, or whose snapshot cannot be read, keeps the stand-in (a fresh cluster
    /// with the learner's files and progress). Does nothing for a session that did not panic.
    pub async fn recover(&self, session: &Arc<Session>) {
        // One restoration at a time; whoever waited finds it done. The mark stays up until the
        // state is back, so requests keep waiting here rather than use the stand-in.
        let _restoring = session.restoring.lock().await;
        if !session.needs_restore() {
            return;
        }
        self.bring_back(session).await;
        session.take_needs_restore();
    }

    async fn bring_back(&self, session: &Arc<Session>) {
        let row = match self.db.load_session(&session.id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                tracing::warn!(
                    session = session.id,
                    "no snapshot to restore after the panic; the session keeps a fresh cluster"
                );
                return;
            }
            Err(e) => {
                tracing::error!(
                    session = session.id,
                    "snapshot not restored after the panic: {e}"
                );
                return;
            }
        };
        let base = self.base_of(&row).await;
        let base_id = base.as_ref().map(|(id, _)| id.clone());
        let (state, problem) =
            match tokio::task::spawn_blocking(move || decode(&row, base.as_ref())).await {
                Ok(((_, state), problem)) => (state, problem),
                Err(e) => {
                    tracing::error!(
                        session = session.id,
                        "snapshot not restored after the panic: {e}"
                    );
                    return;
                }
            };
        if let Some(problem) = problem {
            tracing::error!(
                session = session.id,
                "{problem}; after the panic the session keeps a fresh cluster"
            );
            return;
        }
        let print = fingerprint(&state);
        session.restore_state(state);
        // What is in memory is what the database holds.
        if let Some(t) = self.tracking().get_mut(&session.id) {
            t.saved = Some((print, Instant::now()));
            t.dirty = false;
            t.base = base_id;
        }
        tracing::info!(
            session = session.id,
            "restored from its last snapshot after the panic"
        );
    }

    /// Writes one session if it changed since its last write. Returns false if this replica no
    /// longer owns it (it was taken over), in which case it is dropped from memory.
    async fn flush_one(&self, sessions: &SessionRegistry, session: &Arc<Session>) -> bool {
        // A session that panicked holds a stand-in, which must not overwrite its last snapshot:
        // bring the snapshot back instead (the terminal's WebSocket has no request for `track`).
        if session.needs_restore() {
            self.recover(session).await;
            return true;
        }
        let (needed, saved, base_id) = {
            let mut tracking = self.tracking();
            let t = tracking
                .entry(session.id.clone())
                .or_insert_with(|| Tracking {
                    dirty: true,
                    last_access: Instant::now(),
                    saved: None,
                    base: None,
                });
            let needed = t.dirty || t.saved.is_none();
            t.dirty = false;
            (needed, t.saved, t.base.clone())
        };
        // Capture under the session's lock: cloning a cluster is cheap (persistent maps).
        let (captured, print) = {
            let st = session.lock();
            let print = fingerprint(&st);
            if !needed && saved.is_some_and(|(s, at)| !print.worth_writing(&s, at.elapsed())) {
                return true;
            }
            (Captured::of(&st), print)
        };
        let base = match base_id {
            Some(id) => self.base(&id).await.ok().map(|c| (id, c)),
            None => self.own_base().await,
        };
        let id = session.id.clone();
        let token = session.token.clone();
        let (mut row, size) = tokio::task::spawn_blocking(move || captured.encode(id, token, base))
            .await
            .expect("encoding does not panic");
        row.owner = Some(self.config.replica.clone());
        row.lease_until = self.lease_until();
        *self.last_size.lock().unwrap_or_else(|p| p.into_inner()) = size;
        match self.db.save_session(&row).await {
            Ok(true) => {
                if let Some(t) = self.tracking().get_mut(&session.id) {
                    t.saved = Some((print, Instant::now()));
                }
                true
            }
            Ok(false) => {
                tracing::warn!(
                    session = session.id,
                    "another replica took this session over; dropping the local copy"
                );
                sessions.remove(&session.id);
                self.tracking().remove(&session.id);
                false
            }
            Err(e) => {
                tracing::error!(session = session.id, "snapshot not written (retrying): {e}");
                if let Some(t) = self.tracking().get_mut(&session.id) {
                    t.dirty = true;
                }
                true
            }
        }
    }

    /// One round of the flusher: write what changed, evict what is idle, renew leases.
    pub async fn flush(&self, sessions: &SessionRegistry) {
        for (i, session) in sessions.all().into_iter().enumerate() {
            // Looking at a session that has not changed never awaits: with tens of thousands
            // of them, give the terminals' tasks a turn now and then.
            if i % 256 == 255 {
                tokio::task::yield_now().await;
            }
            if !self.flush_one(sessions, &session).await {
                continue;
            }
            let idle = self
                .tracking()
                .get(&session.id)
                .is_some_and(|t| t.last_access.elapsed() >= self.config.idle_evict && !t.dirty);
            if idle {
                let id = session.id.clone();
                drop(session);
                if let Some(evicted) = sessions.remove_if_unused(&id) {
                    // Written just above; write again in case a request slipped in meanwhile.
                    self.tracking().get_mut(&id).map(|t| t.dirty = true);
                    self.flush_one(sessions, &evicted).await;
                    self.tracking().remove(&id);
                    if let Err(e) = self.db.release_session(&id, &self.config.replica).await {
                        tracing::warn!(session = id, "lease not released: {e}");
                    }
                    tracing::info!(session = id, "evicted after being idle");
                }
            }
        }
        if let Err(e) = self
            .db
            .renew_leases(&self.config.replica, self.lease_until())
            .await
        {
            tracing::error!("leases not renewed: {e}");
        }
    }

    /// Writes every session and gives up their ownership (graceful shutdown).
    pub async fn flush_all_and_release(&self, sessions: &SessionRegistry) {
        for session in sessions.all() {
            self.mark_dirty(&session.id);
            self.flush_one(sessions, &session).await;
            if let Err(e) = self
                .db
                .release_session(&session.id, &self.config.replica)
                .await
            {
                tracing::warn!(session = session.id, "lease not released: {e}");
            }
        }
    }

    /// Runs the flusher until `stop` is notified.
    pub async fn run(
        self: Arc<Self>,
        sessions: Arc<SessionRegistry>,
        stop: Arc<tokio::sync::Notify>,
    ) {
        let mut tick = tokio::time::interval(self.config.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.flush(&sessions).await,
                _ = stop.notified() => return,
            }
        }
    }
}

/// How long a change that only moves a running clock or the terminal's history may wait to be
/// written.
const DRIFT_INTERVAL: Duration = Duration::from_secs(30);

/// What changes when a session changes, cheaply. It catches changes that did not come through a
/// request [`track`] saw (the terminal's WebSocket, the cluster's own clock), in two parts:
/// - `state`: the cluster's resourceVersion, the files, the kubeconfig, the clock mode (and a
///   paused clock's time): written within a flush interval, like a tracked change;
/// - `drift`: a running clock's time and the terminal's history, which every read-only command
///   moves: written at most every [`DRIFT_INTERVAL`]. Writing a whole cluster after each
///   `kubectl get` kept a busy server's cores encoding snapshots (the load test's 1,000
///   terminals at a command a second), and a restored running clock catches up with wall time
///   anyway, firing the same timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    state: u64,
    drift: u64,
}

impl Fingerprint {
    /// Whether a session with this fingerprint must be written, given the fingerprint `saved`
    /// written `since` ago.
    fn worth_writing(&self, saved: &Fingerprint, since: Duration) -> bool {
        self.state != saved.state || (self.drift != saved.drift && since >= DRIFT_INTERVAL)
    }
}

fn fingerprint(st: &SessionState) -> Fingerprint {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    st.cluster.store().resource_version().hash(&mut h);
    st.files.hash(&mut h);
    st.shell.kubeconfig.hash(&mut h);
    st.clock_paused.hash(&mut h);
    if st.clock_paused {
        st.cluster.now().as_nanosecond().hash(&mut h);
    }
    let state = h.finish();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    st.cluster.now().as_nanosecond().hash(&mut h);
    st.shell.history.len().hash(&mut h);
    st.shell.history.last().hash(&mut h);
    Fingerprint {
        state,
        drift: h.finish(),
    }
}

/// A session's state taken under its lock, encoded after the lock is released.
struct Captured {
    cluster: cluster::Cluster,
    files: BTreeMap<String, String>,
    shell: shell::Shell,
    progress: course::Progress,
    clock: ClockRecord,
}

impl Captured {
    fn of(st: &SessionState) -> Captured {
        Captured {
            cluster: st.cluster.clone(),
            files: st.files.clone(),
            shell: st.shell.clone(),
            progress: st.progress.clone(),
            clock: ClockRecord {
                paused: st.clock_paused,
            },
        }
    }

    /// The session's row; the cluster is taken over `base` if there is one.
    fn encode(self, id: String, token: String, base: Option<Base>) -> (SessionRow, SnapshotSize) {
        let json = match &base {
            Some((base_id, base)) => self.cluster.snapshot_over(base, base_id),
            None => self.cluster.snapshot(),
        };
        let compressed = compress(&json);
        let size = SnapshotSize {
            cluster_json: json.len(),
            cluster_compressed: compressed.len(),
        };
        let now = unix_now();
        let row = SessionRow {
            id,
            token,
            created_at: now,
            updated_at: now,
            cluster: Some(compressed),
            files: serde_json::to_string(&self.files).expect("strings serialise"),
            shell: serde_json::to_string(&self.shell).expect("strings serialise"),
            progress: serde_json::to_string(&self.progress).expect("progress serialises"),
            clock: serde_json::to_string(&self.clock).expect("a flag serialises"),
            cluster_base: base.map(|(id, _)| id),
            owner: None,
            lease_until: 0,
        };
        (row, size)
    }
}

/// A session's token and state from its row, and what was wrong with the row if anything: a
/// missing or corrupt cluster snapshot gives a fresh cluster, unreadable files or terminal state
/// give empty ones.
fn decode(row: &SessionRow, base: Option<&Base>) -> ((String, SessionState), Option<String>) {
    let mut state = SessionState::fresh();
    let mut problems = Vec::new();
    let base = base.map(|(id, c)| (id.as_str(), &**c));
    match &row.cluster {
        None => problems.push("the cluster snapshot is missing".to_string()),
        Some(bytes) => match decompress(bytes)
            .map_err(|e| format!("the cluster snapshot is corrupt: {e}"))
            .and_then(|json| cluster::Cluster::restore_over(&json, base).map_err(|e| e.to_string()))
        {
            Ok(c) => state.cluster = c,
            Err(e) => problems.push(e),
        },
    }
    match serde_json::from_str(&row.files) {
        Ok(files) => state.files = files,
        Err(e) => problems.push(format!("the workspace files are unreadable: {e}")),
    }
    match decode_shell(&row.shell) {
        Ok(shell) => state.shell = shell,
        Err(e) => problems.push(format!("the terminal state is unreadable: {e}")),
    }
    match serde_json::from_str(match row.progress.trim() {
        "" | "{}" => "{\"exercises\": {}}",
        text => text,
    }) {
        Ok(progress) => state.progress = progress,
        Err(e) => problems.push(format!("the lesson progress is unreadable: {e}")),
    }
    // Rows written before the clock was stored have none: a running clock.
    match serde_json::from_str::<ClockRecord>(match row.clock.trim() {
        "" => "{}",
        text => text,
    }) {
        Ok(clock) => state.clock_paused = clock.paused,
        Err(e) => problems.push(format!("the clock state is unreadable: {e}")),
    }
    let problem =
        (!problems.is_empty()).then(|| format!("session {}: {}", row.id, problems.join("; ")));
    ((row.token.clone(), state), problem)
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(bytes).expect("writing to memory");
    z.finish().expect("writing to memory")
}

fn decompress(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// The session ids a request names: in its path (`/api/sessions/{id}/...`, `/k8s/{id}/...`) or
/// in its session cookie.
fn session_ids(req: &Request) -> Vec<String> {
    let mut ids = Vec::new();
    let path = req.uri().path();
    for prefix in ["/api/sessions/", "/k8s/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let id = rest.split('/').next().unwrap_or_default();
            if !id.is_empty() {
                ids.push(id.to_string());
            }
        }
    }
    for value in req.headers().get_all(header::COOKIE).iter() {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some(v) = pair.trim().strip_prefix(concat!("wheelhouse_session", "=")) {
                let id = v.split_once('.').map_or(v, |(id, _)| id);
                if !id.is_empty() && !ids.iter().any(|i| i == id) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// Middleware: brings the sessions a request names into memory before it runs, and marks them
/// dirty after a request that may have changed them.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(p) = state.persistence.clone() else {
        return next.run(req).await;
    };
    let ids = session_ids(&req);
    for id in &ids {
        match p.restore(&state.sessions, id).await {
            Ok(_) => p.touch(id),
            // Unknown ids are the handlers' business (404/401 as usual).
            Err(RestoreError::Missing) => {}
            Err(RestoreError::Busy { seconds, .. }) => {
                let msg = RestoreError::Busy {
                    id: id.clone(),
                    owner: String::new(),
                    seconds,
                };
                tracing::debug!("{msg}");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, seconds.to_string())],
                    axum::Json(serde_json::json!({
                        "error": format!("session {id} is active on another server; retry in {seconds} s")
                    })),
                )
                    .into_response();
            }
            Err(RestoreError::Db(e)) => {
                tracing::error!(session = id, "cannot restore: {e}");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({"error": "session storage is unavailable"})),
                )
                    .into_response();
            }
        }
    }
    // A session still coming back from a panic is waited for.
    for id in &ids {
        if let Some(session) = state.sessions.get(id).filter(|s| s.needs_restore()) {
            p.recover(&session).await;
        }
    }
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if mutating {
        for id in &ids {
            p.mark_dirty(id);
        }
    }
    // A request whose session panicked answers only once the session is back to its last
    // snapshot, so the learner's next request sees it.
    for id in &ids {
        let Some(session) = state.sessions.get(id) else {
            continue;
        };
        if session.state.is_poisoned() {
            // The handler panicked holding the lock: locking puts the stand-in in place.
            drop(session.lock());
        }
        if session.needs_restore() {
            p.recover(&session).await;
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_commands_wait_for_the_drift_interval_and_writes_do_not() {
        let mut st = SessionState::fresh();
        let saved = fingerprint(&st);
        // A `kubectl get` moves the history and, as time passes, the running clock.
        st.shell.history.push("kubectl get pods".into());
        st.cluster.advance(jiff::SignedDuration::from_millis(1));
        let read = fingerprint(&st);
        assert_eq!(read.state, saved.state);
        assert!(!read.worth_writing(&saved, Duration::from_secs(1)));
        assert!(read.worth_writing(&saved, DRIFT_INTERVAL));
        // A file or an object written is worth writing at once.
        st.files.insert("pod.yaml".into(), "kind: Pod".into());
        assert!(fingerprint(&st).worth_writing(&saved, Duration::ZERO));
        // A paused clock's time is state (only a fast-forward moves it).
        st.clock_paused = true;
        let paused = fingerprint(&st);
        st.cluster.advance(jiff::SignedDuration::from_secs(60));
        assert!(fingerprint(&st).worth_writing(&paused, Duration::ZERO));
    }

    #[test]
    fn a_corrupt_snapshot_gives_a_fresh_cluster_and_keeps_the_files() {
        let row = SessionRow {
            id: "s".into(),
            token: "t".into(),
            cluster: Some(b"not zlib".to_vec()),
            files: r#"{"pod.yaml":"kind: Pod"}"#.into(),
            shell: r#"{"namespace":"dev","history":["kubectl get pods"]}"#.into(),
            ..Default::default()
        };
        let ((token, state), problem) = decode(&row, None);
        assert_eq!(token, "t");
        assert_eq!(state.files["pod.yaml"], "kind: Pod");
        assert_eq!(state.shell.namespace(), "dev");
        assert!(problem.unwrap().contains("the cluster snapshot is corrupt"));
        // The fresh cluster is a usable default cluster.
        assert!(state.cluster.store().len() > 0);
    }

    #[test]
    fn sessions_named_by_path_and_cookie() {
        let req = Request::builder()
            .uri("/k8s/abc/api/v1/pods")
            .header(header::COOKIE, "x=1; wheelhouse_session=def.tok")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(session_ids(&req), ["abc", "def"]);
    }

    #[test]
    fn snapshots_round_trip_through_compression() {
        let captured = Captured::of(&SessionState::fresh());
        let rv = captured.cluster.store().resource_version();
        let (row, size) = captured.encode("s".into(), "t".into(), None);
        assert!(size.cluster_compressed < size.cluster_json);
        assert_eq!(row.cluster_base, None);
        let ((_, state), problem) = decode(&row, None);
        assert_eq!(problem, None);
        assert_eq!(state.cluster.store().resource_version(), rv);
    }

    #[test]
    fn a_fresh_session_is_snapshotted_over_the_default_cluster() {
        let base: Base = ("b".into(), Arc::new(default_cluster().clone()));
        let fresh = SessionState::fresh();
        let whole = Captured::of(&fresh).encode("s".into(), "t".into(), None).1;
        let (row, over) = Captured::of(&fresh).encode("s".into(), "t".into(), Some(base.clone()));
        assert_eq!(row.cluster_base.as_deref(), Some("b"));
        assert!(
            over.cluster_json * 4 < whole.cluster_json,
            "{over:?} is not much smaller than {whole:?}"
        );
        let ((_, state), problem) = decode(&row, Some(&base));
        assert_eq!(problem, None);
        assert_eq!(state.cluster.snapshot(), fresh.cluster.snapshot());
        // Without the base the snapshot cannot be read: a fresh cluster, and the reason.
        let ((_, _), problem) = decode(&row, None);
        assert!(problem
            .unwrap()
            .contains("taken over base \"b\", which is not available"));
    }
}
