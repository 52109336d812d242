//! The data-access layer: every query the server makes, over embedded SQLite (the default, a file
//! under the data directory) or PostgreSQL (when `--database-url`/`DATABASE_URL` names one).
//!
//! One code path serves both through sqlx's `Any` driver: the SQL is the common subset (`$N`
//! parameters, `INSERT ... ON CONFLICT`, `BIGINT` times), and [`migrations`] create the schema on
//! start, so neither database needs any set-up.

pub mod migrations;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

/// A database failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be opened or reached.
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    /// A migration failed on start.
    #[error("database migration {version} failed: {source}")]
    Migrate { version: i64, source: sqlx::Error },
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a connection pool and its dialect.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    pub backend: Backend,
}

/// One stored session (see the `sessions` table).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub token: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The compressed cluster snapshot; `None` before the first flush.
    pub cluster: Option<Vec<u8>>,
    /// The workspace files, as a JSON object path → text.
    pub files: String,
    /// The terminal's state, as JSON.
    pub shell: String,
    /// Lesson progress, as JSON.
    pub progress: String,
    /// The simulated clock's state (whether it is paused), as JSON.
    pub clock: String,
    /// The `cluster_bases` row `cluster` was taken over, if it is not a whole snapshot.
    pub cluster_base: Option<String>,
    /// The replica that holds the session in memory, if any, and until when its lease runs.
    pub owner: Option<String>,
    pub lease_until: i64,
}

/// One classroom (see the `classrooms` table).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassroomRow {
    pub id: String,
    pub title: String,
    /// Lesson ids, as a JSON array.
    pub lessons: String,
    pub join_code: String,
    pub instructor_token: String,
    pub size_limit: i64,
    pub locked: bool,
    pub ended: bool,
    /// What the instructor last pushed to the class, as JSON.
    pub pushed: Option<String>,
    /// The instructor's own playground session (presenter mode).
    pub presenter_session: Option<String>,
    pub created_at: i64,
}

/// One learner on a roster.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterEntry {
    pub session_id: String,
    pub name: String,
    pub joined_at: i64,
}

/// What a claim on a session found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This replica owns it now.
    Owned,
    /// Another replica holds a live lease until the given time.
    Busy { owner: String, lease_until: i64 },
    /// No such session in the database.
    Missing,
}

const SESSION_COLUMNS: &str =
    "id, token, created_at, updated_at, cluster, files, shell, progress, owner, lease_until, clock, cluster_base";
const CLASSROOM_COLUMNS: &str = "id, title, lessons, join_code, instructor_token, size_limit, locked, ended, pushed, presenter_session, created_at";

impl Db {
    /// Opens (creating if needed) the database and brings its schema up to date: PostgreSQL when
    /// `url` is a `postgres://`/`postgresql://` URL, otherwise SQLite at `<data>/wheelhouse.db`.
    pub async fn open(data: &Path, url: Option<&str>) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (u.to_string(), Backend::Postgres)
            }
            Some(u) if u.starts_with("sqlite:") => (u.to_string(), Backend::Sqlite),
            Some(u) => {
                return Err(DbError::Open {
                    url: u.to_string(),
                    source: sqlx::Error::Configuration(
                        "expected a postgres:// or sqlite: URL".into(),
                    ),
                })
            }
            None => {
                std::fs::create_dir_all(data).map_err(|e| DbError::Open {
                    url: data.display().to_string(),
                    source: sqlx::Error::Io(e),
                })?;
                let file = data.join("wheelhouse.db");
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Backend::Sqlite,
                )
            }
        };
        let open_err = |source| DbError::Open {
            url: redact(&url),
            source,
        };
        let options = AnyConnectOptions::from_str(&url).map_err(open_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(open_err)?;
        let db = Db { pool, backend };
        if backend == Backend::Sqlite {
            // WAL lets the dashboard read while the flusher writes; the setting lives in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&db.pool)
                .await
                .map_err(open_err)?;
        }
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the migrations not yet recorded. Safe when several replicas start at once: every
    /// statement is idempotent and the version row is inserted with `ON CONFLICT DO NOTHING`.
    async fn migrate(&self) -> Result<(), DbError> {
        let blob = match self.backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        let fail = |version| move |source| DbError::Migrate { version, source };
        sqlx::query("CREATE TABLE IF NOT EXISTS wheelhouse_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&self.pool)
            .await
            .map_err(fail(0))?;
        for (version, statements) in migrations::MIGRATIONS {
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM wheelhouse_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(fail(*version))?;
            if done.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await.map_err(fail(*version))?;
            for sql in *statements {
                sqlx::query(sqlx::AssertSqlSafe(sql.replace("{blob}", blob)))
                    .execute(&mut *tx)
                    .await
                    .map_err(fail(*version))?;
            }
            sqlx::query("INSERT INTO wheelhouse_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING")
                .bind(*version)
                .bind(unix_now())
                .execute(&mut *tx)
                .await
                .map_err(fail(*version))?;
            tx.commit().await.map_err(fail(*version))?;
        }
        Ok(())
    }

    // ---- sessions ----

    /// Writes a session's state if this replica (`row.owner`) still owns it, or nobody does.
    /// Returns false when another replica has taken the session over: the caller must drop its
    /// copy instead of overwriting newer state (the lease is the fence).
    pub async fn save_session(&self, row: &SessionRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, token, created_at, updated_at, cluster, files, shell, progress, owner, lease_until, clock, cluster_base)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET
                updated_at = excluded.updated_at, cluster = excluded.cluster, cluster_base = excluded.cluster_base, files = excluded.files,
                shell = excluded.shell, progress = excluded.progress, clock = excluded.clock,
                owner = excluded.owner, lease_until = excluded.lease_until
             WHERE sessions.owner IS NULL OR sessions.owner = excluded.owner",
        )
        .bind(&row.id)
        .bind(&row.token)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(row.cluster.clone())
        .bind(&row.files)
        .bind(&row.shell)
        .bind(&row.progress)
        .bind(row.owner.clone())
        .bind(row.lease_until)
        .bind(&row.clock)
        .bind(row.cluster_base.clone())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn load_session(&self, id: &str) -> Result<Option<SessionRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SessionRow {
            id: r.get(0),
            token: r.get(1),
            created_at: r.get(2),
            updated_at: r.get(3),
            cluster: r.get(4),
            files: r.get(5),
            shell: r.get(6),
            progress: r.get(7),
            owner: r.get(8),
            lease_until: r.get(9),
            clock: r.get(10),
            cluster_base: r.get(11),
        }))
    }

    /// Stores a base cluster (a compressed whole snapshot) under `id`, unless it is there.
    pub async fn save_cluster_base(&self, id: &str, cluster: &[u8]) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO cluster_bases (id, cluster, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(cluster.to_vec())
        .bind(unix_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A base cluster stored by [`Db::save_cluster_base`].
    pub async fn cluster_base(&self, id: &str) -> Result<Option<Vec<u8>>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT cluster FROM cluster_bases WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Progress of many sessions at once (for dashboards), without loading their clusters.
    pub async fn session_progress(&self, id: &str) -> Result<Option<String>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT progress FROM sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Takes ownership of a session for `replica` until `lease_until`, unless another replica
    /// holds a lease that has not yet run out at `now`. A session's lease is its own (set when
    /// it is claimed or written) or, while that replica renews it, its owner's.
    pub async fn claim_session(
        &self,
        id: &str,
        replica: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Claim, DbError> {
        let done = sqlx::query(
            "UPDATE sessions SET owner = $2, lease_until = $3
             WHERE id = $1 AND (owner IS NULL OR owner = $2 OR (lease_until < $4
                AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = sessions.owner AND r.lease_until >= $4)))",
        )
        .bind(id)
        .bind(replica)
        .bind(lease_until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Claim::Owned);
        }
        let row = sqlx::query(
            "SELECT s.owner, CASE WHEN r.lease_until > s.lease_until THEN r.lease_until ELSE s.lease_until END
             FROM sessions s LEFT JOIN replicas r ON r.id = s.owner WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => Claim::Missing,
            Some(r) => Claim::Busy {
                owner: r.get::<Option<String>, _>(0).unwrap_or_default(),
                lease_until: r.get(1),
            },
        })
    }

    /// Extends every lease `replica` holds (its own row in `replicas`).
    pub async fn renew_leases(&self, replica: &str, lease_until: i64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO replicas (id, lease_until) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
        )
        .bind(replica)
        .bind(lease_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives a session up (eviction, shutdown), so any replica may load it at once.
    pub async fn release_session(&self, id: &str, replica: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE sessions SET owner = NULL, lease_until = 0 WHERE id = $1 AND owner = $2",
        )
        .bind(id)
        .bind(replica)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sessions this replica owned in an earlier life (same replica id), to reload on start.
    pub async fn sessions_owned_by(&self, replica: &str) -> Result<Vec<String>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM sessions WHERE owner = $1 ORDER BY id")
                .bind(replica)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn session_count(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&self.pool)
            .await?)
    }

    // ---- classrooms ----

    pub async fn insert_classroom(&self, c: &ClassroomRow) -> Result<(), DbError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO classrooms ({CLASSROOM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&c.id)
        .bind(&c.title)
        .bind(&c.lessons)
        .bind(&c.join_code)
        .bind(&c.instructor_token)
        .bind(c.size_limit)
        .bind(c.locked as i64)
        .bind(c.ended as i64)
        .bind(c.pushed.clone())
        .bind(c.presenter_session.clone())
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes a classroom's changeable fields.
    pub async fn update_classroom(&self, c: &ClassroomRow) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE classrooms SET title = $2, lessons = $3, join_code = $4, size_limit = $5,
                locked = $6, ended = $7, pushed = $8, presenter_session = $9 WHERE id = $1",
        )
        .bind(&c.id)
        .bind(&c.title)
        .bind(&c.lessons)
        .bind(&c.join_code)
        .bind(c.size_limit)
        .bind(c.locked as i64)
        .bind(c.ended as i64)
        .bind(c.pushed.clone())
        .bind(c.presenter_session.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn classroom(&self, id: &str) -> Result<Option<ClassroomRow>, DbError> {
        self.classroom_where("id", id).await
    }

    pub async fn classroom_by_code(&self, code: &str) -> Result<Option<ClassroomRow>, DbError> {
        self.classroom_where("join_code", code).await
    }

    async fn classroom_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<ClassroomRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLASSROOM_COLUMNS} FROM classrooms WHERE {column} = $1"
        )))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ClassroomRow {
            id: r.get(0),
            title: r.get(1),
            lessons: r.get(2),
            join_code: r.get(3),
            instructor_token: r.get(4),
            size_limit: r.get(5),
            locked: r.get::<i64, _>(6) != 0,
            ended: r.get::<i64, _>(7) != 0,
            pushed: r.get(8),
            presenter_session: r.get(9),
            created_at: r.get(10),
        }))
    }

    /// Adds a learner to a roster unless the class is full; false when it is. The count and the
    /// insert are one statement; on PostgreSQL the classroom row is locked first, so concurrent
    /// joins (on any replica) are counted one after the other. (SQLite runs one writer at a time.)
    pub async fn join_roster(
        &self,
        classroom: &str,
        session: &str,
        name: &str,
        size_limit: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM classrooms WHERE id = $1 FOR UPDATE")
                .bind(classroom)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query(
            "INSERT INTO roster (classroom_id, session_id, name, joined_at)
             SELECT $1, $2, $3, $4
             WHERE (SELECT COUNT(*) FROM roster WHERE classroom_id = $1) < $5",
        )
        .bind(classroom)
        .bind(session)
        .bind(name)
        .bind(unix_now_ms())
        .bind(size_limit)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// A classroom's learners, in the order they joined.
    pub async fn roster(&self, classroom: &str) -> Result<Vec<RosterEntry>, DbError> {
        let rows = sqlx::query(
            "SELECT session_id, name, joined_at FROM roster WHERE classroom_id = $1 ORDER BY joined_at, name, session_id",
        )
        .bind(classroom)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RosterEntry {
                session_id: r.get(0),
                name: r.get(1),
                joined_at: r.get(2),
            })
            .collect())
    }
}

/// One graded check, as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRecord {
    pub session_id: String,
    pub exercise: String,
    pub passed: bool,
    /// Names of the checks that failed, as a JSON array.
    pub failing: String,
    pub at: i64,
}

impl Db {
    pub async fn record_check(&self, c: &CheckRecord) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO check_results (session_id, exercise, passed, failing, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&c.session_id)
        .bind(&c.exercise)
        .bind(c.passed as i64)
        .bind(&c.failing)
        .bind(c.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every check recorded for a classroom's learners, oldest first.
    pub async fn classroom_checks(&self, classroom: &str) -> Result<Vec<CheckRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT c.session_id, c.exercise, c.passed, c.failing, c.at FROM check_results c
             JOIN roster r ON r.session_id = c.session_id WHERE r.classroom_id = $1
             ORDER BY c.at",
        )
        .bind(classroom)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| CheckRecord {
                session_id: r.get(0),
                exercise: r.get(1),
                passed: r.get::<i64, _>(2) != 0,
                failing: r.get(3),
                at: r.get(4),
            })
            .collect())
    }

    /// The classroom a session joined, if any.
    pub async fn classroom_of(&self, session: &str) -> Result<Option<String>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT classroom_id FROM roster WHERE session_id = $1")
                .bind(session)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Seconds since the Unix epoch, by the wall clock (leases and bookkeeping only; clusters keep
/// their own simulated time).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (orders check results within a second).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://wh:secret@db:5432/wh"),
            "postgres://wh:***@db:5432/wh"
        );
        assert_eq!(
            redact("sqlite://data/wheelhouse.db"),
            "sqlite://data/wheelhouse.db"
        );
    }

    #[tokio::test]
    async fn sqlite_sessions_claims_and_rosters() {
        let dir = std::env::temp_dir().join(format!("wh-db-{}", crate::sessions::random_hex(6)));
        let db = Db::open(&dir, None).await.unwrap();
        assert!(dir.join("wheelhouse.db").exists());
        // Opening again re-runs nothing and keeps the data.
        let row = SessionRow {
            id: "s1".into(),
            token: "t".into(),
            files: "{}".into(),
            shell: "{}".into(),
            progress: "{}".into(),
            cluster: Some(vec![1, 2, 3]),
            owner: Some("a".into()),
            lease_until: 100,
            ..Default::default()
        };
        assert!(db.save_session(&row).await.unwrap());
        let db = Db::open(&dir, None).await.unwrap();
        assert_eq!(db.load_session("s1").await.unwrap().unwrap(), row);
        // Another replica cannot take a live lease, but can take a lapsed one.
        assert_eq!(
            db.claim_session("s1", "b", 50, 80).await.unwrap(),
            Claim::Busy {
                owner: "a".into(),
                lease_until: 100
            }
        );
        // The owner's renewals (one row for all its sessions) keep it live past its own lease.
        db.renew_leases("a", 200).await.unwrap();
        assert_eq!(
            db.claim_session("s1", "b", 150, 180).await.unwrap(),
            Claim::Busy {
                owner: "a".into(),
                lease_until: 200
            }
        );
        assert_eq!(
            db.claim_session("s1", "b", 250, 280).await.unwrap(),
            Claim::Owned
        );
        // The old owner's write is fenced off.
        assert!(!db.save_session(&row).await.unwrap());
        assert_eq!(
            db.claim_session("nope", "b", 0, 1).await.unwrap(),
            Claim::Missing
        );
        let class = ClassroomRow {
            id: "c1".into(),
            title: "K8s".into(),
            lessons: "[]".into(),
            join_code: "ABC".into(),
            instructor_token: "x".into(),
            size_limit: 1,
            ..Default::default()
        };
        db.insert_classroom(&class).await.unwrap();
        assert_eq!(db.classroom_by_code("ABC").await.unwrap().unwrap(), class);
        assert!(db.join_roster("c1", "s1", "Ada", 1).await.unwrap());
        assert!(!db.join_roster("c1", "s2", "Bob", 1).await.unwrap());
        assert_eq!(db.roster("c1").await.unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).ok();
    }
}
