//! The database side every imgup service shares: Postgres (`migrations/`) or,
//! for the embedded mode, SQLite (`migrations-sqlite/`), chosen by the scheme
//! of `DATABASE_URL`; a pool that survives outages; telling an outage from a
//! bug.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

/// The migrations of all services (one schema; sqlx serialises concurrent runs
/// with an advisory lock, so services may start together).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The same schema for the embedded mode's SQLite database.
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../../migrations-sqlite");

/// A pool that connects lazily and gives up on a connection quickly, so that a
/// database outage becomes a prompt 503 rather than a hung request, and that
/// reconnects by itself once the database is back.
pub fn lazy_pool(database_url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(database_url)
        .context("DATABASE_URL is not a valid Postgres URL")
}

/// A connection pool to either backend.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Database {
    /// A lazily connecting pool for `url`: `postgres://…` (or `postgresql://…`)
    /// or `sqlite:path/to/file.db` (the file is created when missing).
    pub fn connect_lazy(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid SQLite URL")?
                .create_if_missing(true)
                // Readers never wait for the writer; a writer waits its turn
                // rather than failing at once.
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            Ok(Self::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(3))
                    .connect_lazy_with(options),
            ))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            lazy_pool(url).map(Self::Postgres)
        } else {
            anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite:")
        }
    }

    /// Applies the backend's migrations; see [`migrate`].
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Postgres(pool) => migrate(pool).await,
            Self::Sqlite(pool) => {
                // SQLite has no advisory lock: services sharing one process
                // (`imgup dev`) take turns instead.
                static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
                let _turn = TURN.lock().await;
                SQLITE_MIGRATOR
                    .run(pool)
                    .await
                    .context("applying SQLite migrations")
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }
}

impl From<PgPool> for Database {
    fn from(pool: PgPool) -> Self {
        Self::Postgres(pool)
    }
}

impl From<SqlitePool> for Database {
    fn from(pool: SqlitePool) -> Self {
        Self::Sqlite(pool)
    }
}

/// Applies the migrations, waiting (with backoff) while the database is not up yet.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(250);
    loop {
        match MIGRATOR.run(pool).await {
            Ok(()) => return Ok(()),
            Err(MigrateError::Execute(err)) if is_unavailable(&err) => {
                tracing::warn!("database not reachable yet ({err}); retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(err) => return Err(err).context("applying database migrations"),
        }
    }
}

/// Whether `err` means the database cannot be reached right now (worth a 503
/// and a retry) rather than a mistake in a query.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // admin_shutdown, cannot_connect_now, too_many_connections
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P03" | "53300"))
        }
        _ => false,
    }
}
