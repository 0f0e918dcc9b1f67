//! The Postgres side every imgup service shares: the migrations in
//! `migrations/`, a pool that survives outages, and telling an outage from a
//! bug.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgPoolOptions;

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
