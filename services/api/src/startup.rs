//! Turning a [`Config`] into a running service.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use imgup_db::Database;
use imgup_jwt::CachedVerifier;
use imgup_policy::KeyMinter;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::lifecycle;
use crate::limits::{Quota, UploadRate};
use crate::metrics::ApiMetrics;
use crate::pipeline::{self, Pipeline};
use crate::state::{AppState, Services};
use crate::storage::ObjectStorage;
use crate::store::{ImageJobs, Lifecycle, PgPostStore, PostStore, SqlitePostStore};

/// How long running image jobs may take to finish at shut-down; the rest are
/// taken up again when their lease runs out.
const WORKER_GRACE: Duration = Duration::from_secs(10);

/// Verified tokens remembered (about 5 MB at most).
const TOKEN_CACHE_CAPACITY: usize = 10_000;

fn object_key_secret(config: &Config) -> anyhow::Result<&str> {
    match (&config.object_key_secret, &config.jwt.secret) {
        (Some(secret), _) | (None, Some(secret)) if secret.len() >= 32 => Ok(secret),
        (Some(_), _) => anyhow::bail!("OBJECT_KEY_SECRET must be at least 32 bytes"),
        _ => anyhow::bail!(
            "OBJECT_KEY_SECRET (at least 32 bytes) is required when JWT_SECRET is not set"
        ),
    }
}

/// Builds the state from the configuration and the database.
pub fn state(config: &Config, db: impl Into<Database>) -> anyhow::Result<AppState> {
    type Stores = (Arc<dyn PostStore>, Arc<dyn ImageJobs>, Arc<dyn Lifecycle>);
    let (posts, jobs, lifecycle): Stores = match db.into() {
        Database::Postgres(pool) => {
            let store = Arc::new(PgPostStore::new(pool));
            (store.clone(), store.clone(), store)
        }
        Database::Sqlite(pool) => {
            let store = Arc::new(SqlitePostStore::new(pool));
            (store.clone(), store.clone(), store)
        }
    };
    let verifier = config.jwt.verifier().context("JWT settings")?;
    let storage = ObjectStorage::new(&config.s3).context("S3 settings")?;
    Ok(AppState::new(Services {
        posts,
        jobs,
        pipeline: Arc::new(Pipeline::new(&config.images)),
        quota: Arc::new(Quota::new(config.quota.clone())),
        upload_rate: Arc::new(UploadRate::new(&config.rate_limit).context("REDIS_URL")?),
        lifecycle,
        pending_ttl: (config.pending_upload_ttl_seconds > 0)
            .then(|| Duration::from_secs(config.pending_upload_ttl_seconds)),
        storage: Arc::new(storage),
        verifier: Arc::new(CachedVerifier::new(verifier, TOKEN_CACHE_CAPACITY)),
        policy: Arc::new(config.policy.upload_policy()),
        keys: Arc::new(KeyMinter::new(object_key_secret(config)?.as_bytes())),
        presign_expiry: config.policy.presign_expiry(),
        cors_origins: config.cors_allowed_origins.0.clone().into(),
        metrics: ApiMetrics::new().enabled(config.metrics.enabled),
    }))
}

/// `imgup-api gc`: reports the drift between the database and the bucket, and
/// repairs it unless `dry_run`.
pub async fn gc(config: Config, dry_run: bool) -> anyhow::Result<lifecycle::Drift> {
    let db = Database::connect_lazy(&config.database_url)?;
    db.migrate().await?;
    let state = state(&config, db.clone())?;
    let drift = lifecycle::find_drift(&state, chrono::Utc::now()).await?;
    if !dry_run {
        lifecycle::repair(&state, &drift).await?;
    }
    db.close().await;
    Ok(drift)
}

/// Runs the API until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = Database::connect_lazy(&config.database_url)?;
    let state = state(&config, db.clone())?;
    let listener = TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("cannot listen on BIND_ADDR {}", config.bind_addr))?;
    db.migrate().await?;
    let mut workers = pipeline::spawn_workers(&state);
    let sweeper = lifecycle::spawn_sweeper(&state);
    tracing::info!(addr = %config.bind_addr, workers = state.pipeline.workers, "imgup-api listening");
    let served = imgup_telemetry::serve(listener, crate::router(state.clone()), shutdown).await;
    state.pipeline.stop();
    if tokio::time::timeout(WORKER_GRACE, async {
        while workers.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("image jobs still running at shut-down; their leases will run out");
    }
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    served?;
    db.close().await;
    Ok(())
}
