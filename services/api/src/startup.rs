//! Turning a [`Config`] into a running service.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use imgup_jwt::CachedVerifier;
use imgup_policy::KeyMinter;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::AppState;
use crate::storage::ObjectStorage;
use crate::store::PgPostStore;

/// Verified tokens remembered (about 5 MB at most).
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// The Postgres migrations shared by imgup's services.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// A pool that connects lazily and gives up on a connection quickly, so that a
/// database outage becomes a prompt 503 rather than a hung request, and that
/// reconnects by itself once the database is back.
pub fn pool(database_url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(database_url)
        .context("DATABASE_URL is not a valid Postgres URL")
}

/// Applies the migrations, retrying while the database is not up yet.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(250);
    loop {
        match MIGRATOR.run(pool).await {
            Ok(()) => return Ok(()),
            Err(sqlx::migrate::MigrateError::Execute(err)) if is_connection_error(&err) => {
                tracing::warn!("database not reachable yet ({err}); retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(err) => return Err(err).context("applying database migrations"),
        }
    }
}

fn is_connection_error(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
    )
}

/// Builds the state from the configuration and the pool.
pub fn state(config: &Config, pool: PgPool) -> anyhow::Result<AppState> {
    let verifier = config.jwt.verifier().context("JWT settings")?;
    let storage = ObjectStorage::new(&config.s3).context("S3 settings")?;
    Ok(AppState {
        posts: Arc::new(PgPostStore::new(pool)),
        storage: Arc::new(storage),
        verifier: Arc::new(CachedVerifier::new(verifier, TOKEN_CACHE_CAPACITY)),
        policy: Arc::new(config.policy.upload_policy()),
        keys: Arc::new(KeyMinter::new(config.jwt.secret.as_bytes())),
        presign_expiry: config.policy.presign_expiry(),
    })
}

/// Runs the API until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = pool(&config.database_url)?;
    let state = state(&config, pool.clone())?;
    let listener = TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("cannot listen on BIND_ADDR {}", config.bind_addr))?;
    migrate(&pool).await?;
    tracing::info!(addr = %config.bind_addr, "imgup-api listening");
    imgup_telemetry::serve(listener, crate::router(state), shutdown).await?;
    pool.close().await;
    Ok(())
}
