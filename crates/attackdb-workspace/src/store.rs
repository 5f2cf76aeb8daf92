//! Opening a workspace: the database URL, the connection settings of each backend, and the
//! schema's versioned migrations, applied at open (a newer schema is refused, never altered).

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

use crate::error::{Error, Result};

/// Which database holds the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server, which several `attackdb serve` replicas may share.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The team's workspace: one database, shared by every front end.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(crate) pool: AnyPool,
    backend: Backend,
    location: String,
}

/// The migrations, oldest first: version `i + 1` is `MIGRATIONS[i]`. Each is written once for
/// both backends; `{id}` and `{real}` are filled in per backend.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_workspace.sql")];

/// The newest schema version this program knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl Workspace {
    /// Opens (creating when needed) the workspace at `url`: `postgres://...` (or
    /// `postgresql://`), `sqlite:PATH`, or a plain file path (SQLite). Applies the migrations the
    /// database lacks; a schema newer than [`SCHEMA_VERSION`] is refused.
    pub async fn open(url: &str) -> Result<Workspace> {
        sqlx::any::install_default_drivers();
        let (backend, connect) =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                (Backend::Postgres, url.to_string())
            } else {
                let path = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"));
                let path = path.unwrap_or(url);
                if path.is_empty() {
                    return Err(Error::Invalid(
                        "the workspace database path is empty".to_string(),
                    ));
                }
                (Backend::Sqlite, format!("sqlite://{path}?mode=rwc"))
            };
        let options = AnyConnectOptions::from_str(&connect)
            .map_err(|e| Error::Invalid(format!("cannot read the database URL: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Writers wait for each other rather than fail; every commit is on
                        // disk before it is acknowledged; foreign keys hold.
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| Error::from_db("open", e))?;
        let workspace = Workspace {
            pool,
            backend,
            location: redact(url),
        };
        if backend == Backend::Sqlite {
            // WAL lets readers go on while one writer writes; a read-only file keeps its mode.
            let _ = sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&workspace.pool)
                .await;
        }
        workspace.migrate().await?;
        Ok(workspace)
    }

    /// Opens the SQLite workspace at `path`.
    pub async fn open_file(path: &Path) -> Result<Workspace> {
        Workspace::open(&format!("sqlite:{}", path.display())).await
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where it is (a PostgreSQL URL without its password).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM attackdb_schema")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| Error::from_db("read", e))?;
        row.try_get::<i64, _>("v")
            .map_err(|e| Error::from_db("read", e))
    }

    /// Runs one statement as it is (administration and tests: the audit log's guard, a schema
    /// written by a later version).
    pub async fn raw_execute(&self, sql: &str) -> Result<u64> {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| Error::from_db("run a statement", e))
    }

    /// Every text column of every row of `table`, one line per row (tests read what is kept).
    pub async fn raw_dump(&self, table: &str) -> Result<String> {
        if !table.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(Error::Invalid(format!("{table:?} is not a table name")));
        }
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| Error::from_db("read", e))?;
        let mut out = String::new();
        for row in rows {
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    out.push_str(&text);
                    out.push('\t');
                }
            }
            out.push('\n');
        }
        Ok(out)
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("open", e))?;
        if self.backend == Backend::Postgres {
            // Replicas starting together: one migrates, the others wait and find it done.
            sqlx::query("SELECT pg_advisory_xact_lock(7305672657)")
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_db("open", e))?;
        }
        let exists = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'attackdb_schema'",
            Backend::Postgres => "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'attackdb_schema'",
        };
        let n: i64 = sqlx::query(exists)
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(|e| Error::from_db("open", e))?;
        let current = if n == 0 {
            0
        } else {
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM attackdb_schema")
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get::<i64, _>("v"))
                .map_err(|e| Error::from_db("open", e))?
        };
        if current > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return tx.commit().await.map_err(|e| Error::from_db("open", e));
        }
        if n == 0 {
            sqlx::query(
                "CREATE TABLE attackdb_schema (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::from_db("create the schema", e))?;
        }
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= current {
                continue;
            }
            for statement in self.statements(migration) {
                sqlx::query(&statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Error::from_db("migrate the schema", e))?;
            }
            sqlx::query("INSERT INTO attackdb_schema (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_db("migrate the schema", e))?;
        }
        tx.commit()
            .await
            .map_err(|e| Error::from_db("migrate the schema", e))
    }

    /// A migration's statements for this backend. A statement ends at a line ending in `;`,
    /// but a trigger's or function's body (`BEGIN` ... `END;`, `$$` ... `$$;`) is one; the
    /// statements after a `-- sqlite:` or `-- postgres:` line are for that backend only.
    fn statements(&self, migration: &str) -> Vec<String> {
        let id = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let real = match self.backend {
            Backend::Sqlite => "REAL",
            Backend::Postgres => "DOUBLE PRECISION",
        };
        let mut out = Vec::new();
        let mut only: Option<Backend> = None;
        let mut current = String::new();
        let mut in_body = false;
        for line in migration.lines() {
            let trimmed = line.trim();
            match trimmed {
                "-- sqlite:" => only = Some(Backend::Sqlite),
                "-- postgres:" => only = Some(Backend::Postgres),
                _ if !in_body && (trimmed.starts_with("--") || trimmed.is_empty()) => {}
                _ => {
                    if only.is_some_and(|b| b != self.backend) {
                        continue;
                    }
                    current.push_str(line);
                    current.push('\n');
                    let opens = trimmed == "BEGIN" || trimmed.ends_with("AS $$");
                    if opens {
                        in_body = true;
                    }
                    let ends = if in_body {
                        trimmed == "END;" && !current.contains("$$") || trimmed == "$$;"
                    } else {
                        trimmed.ends_with(';')
                    };
                    if ends {
                        in_body = false;
                        out.push(current.replace("{id}", id).replace("{real}", real));
                        current.clear();
                    }
                }
            }
        }
        out
    }
}

/// Milliseconds since 1970, the workspace's clock.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A database URL without its password (for messages and logs).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://team:secret@db:5432/attackdb"),
            "postgres://team:***@db:5432/attackdb"
        );
        assert_eq!(redact("/tmp/w.db"), "/tmp/w.db");
    }
}
