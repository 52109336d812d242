//! The schema, as numbered migrations applied in order on start.
//!
//! Each migration is written once for both databases; the only dialect difference is the binary
//! column type (`BLOB` in SQLite, `BYTEA` in PostgreSQL), spelled `{blob}` below. Times are Unix
//! seconds in `BIGINT`s and flags are `BIGINT` 0/1, which both databases and sqlx's `Any` driver
//! handle identically.

/// `(version, statements)`; never edit a released migration, add a new one.
pub const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            // A learner's (or an instructor's presenter) session. The token is kept because the server
            // hands it out again in kubeconfigs; the database is inside the trust boundary.
            "CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            cluster {blob},
            files TEXT NOT NULL DEFAULT '{}',
            shell TEXT NOT NULL DEFAULT '{}',
            progress TEXT NOT NULL DEFAULT '{}',
            owner TEXT,
            lease_until BIGINT NOT NULL DEFAULT 0
        )",
            "CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (owner)",
            "CREATE TABLE IF NOT EXISTS classrooms (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            lessons TEXT NOT NULL DEFAULT '[]',
            join_code TEXT NOT NULL UNIQUE,
            instructor_token TEXT NOT NULL,
            size_limit BIGINT NOT NULL,
            locked BIGINT NOT NULL DEFAULT 0,
            ended BIGINT NOT NULL DEFAULT 0,
            pushed TEXT,
            presenter_session TEXT,
            created_at BIGINT NOT NULL
        )",
            // The roster: who joined which class, under which display name, with which session.
            "CREATE TABLE IF NOT EXISTS roster (
            classroom_id TEXT NOT NULL REFERENCES classrooms (id),
            session_id TEXT NOT NULL,
            name TEXT NOT NULL,
            joined_at BIGINT NOT NULL,
            PRIMARY KEY (classroom_id, session_id)
        )",
            // Every graded check of a session's exercise, as the check endpoint answered it: the
            // dashboard's attempts, "stuck" and most common failing check come from here.
            "CREATE TABLE IF NOT EXISTS check_results (
            session_id TEXT NOT NULL,
            exercise TEXT NOT NULL,
            passed BIGINT NOT NULL,
            failing TEXT NOT NULL DEFAULT '[]',
            at BIGINT NOT NULL
        )",
            "CREATE INDEX IF NOT EXISTS check_results_session ON check_results (session_id)",
        ],
    ),
    (
        2,
        &[
            // The session's simulated clock (paused or following wall time), as JSON.
            "ALTER TABLE sessions ADD COLUMN clock TEXT NOT NULL DEFAULT '{}'",
        ],
    ),
    (
        3,
        &[
            // Clusters that session snapshots are taken over (each server's default cluster, as
            // a compressed whole snapshot): a session's snapshot then holds only what differs.
            "CREATE TABLE IF NOT EXISTS cluster_bases (
            id TEXT PRIMARY KEY,
            cluster {blob} NOT NULL,
            created_at BIGINT NOT NULL
        )",
            // The base a session's cluster snapshot was taken over; NULL for a whole snapshot.
            "ALTER TABLE sessions ADD COLUMN cluster_base TEXT",
            // Each replica's lease, renewed every flush: it extends the leases of all the sessions
            // the replica owns at the cost of one row (renewing every session row rewrote each
            // one, snapshot included, every second).
            "CREATE TABLE IF NOT EXISTS replicas (
            id TEXT PRIMARY KEY,
            lease_until BIGINT NOT NULL
        )",
        ],
    ),
];
