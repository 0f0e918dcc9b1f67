//! Turning a [`Config`] into a running service.

use std::sync::Arc;

use anyhow::Context;
use axum_extra::extract::cookie::Key;
use imgup_db::Database;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::providers::Providers;
use crate::rate::IpRate;
use crate::sessions::{PgSessionStore, SessionStore, SqliteSessionStore};
use crate::state::AppState;
use crate::users::{PgUserStore, SqliteUserStore, UserStore};

pub fn state(config: &Config, db: impl Into<Database>) -> anyhow::Result<AppState> {
    config.validate()?;
    let (users, sessions): (Arc<dyn UserStore>, Arc<dyn SessionStore>) = match db.into() {
        Database::Postgres(pool) => (
            Arc::new(PgUserStore::new(pool.clone())),
            Arc::new(PgSessionStore::new(pool)),
        ),
        Database::Sqlite(pool) => (
            Arc::new(SqliteUserStore::new(pool.clone())),
            Arc::new(SqliteSessionStore::new(pool)),
        ),
    };
    Ok(AppState {
        users,
        sessions,
        providers: Arc::new(
            Providers::new(&config.providers, &config.public_url).context("HTTP client")?,
        ),
        signer: Arc::new(config.jwt.signer()?),
        verifier: Arc::new(config.jwt.verifier()?),
        cookie_key: Key::derive_from(config.session_secret.as_bytes()),
        jwks: Arc::new(serde_json::to_value(config.jwt.jwks()?)?),
        ip_rate: Arc::new(IpRate::new(&config.rate_limit).context("REDIS_URL")?),
        config: Arc::new(config.clone()),
        metrics: imgup_telemetry::Metrics::new("imgup_auth", |_| {})
            .enabled(config.metrics.enabled),
    })
}

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
    if config.is_development() {
        tracing::warn!("ENVIRONMENT=development: the test-token endpoint is open");
    }
    tracing::info!(addr = %config.bind_addr, "imgup-auth listening");
    imgup_telemetry::serve(listener, crate::router(state), shutdown).await?;
    db.close().await;
    Ok(())
}
