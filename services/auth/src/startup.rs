//! Turning a [`Config`] into a running service.

use std::sync::Arc;

use anyhow::Context;
use axum_extra::extract::cookie::Key;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::providers::Providers;
use crate::state::AppState;
use crate::users::PgUserStore;

pub fn state(config: &Config, pool: PgPool) -> anyhow::Result<AppState> {
    config.validate()?;
    Ok(AppState {
        users: Arc::new(PgUserStore::new(pool)),
        providers: Arc::new(
            Providers::new(&config.providers, &config.public_url).context("HTTP client")?,
        ),
        signer: Arc::new(config.jwt.signer()?),
        verifier: Arc::new(config.jwt.verifier()?),
        cookie_key: Key::derive_from(config.session_secret.as_bytes()),
        jwks: Arc::new(serde_json::to_value(config.jwt.jwks()?)?),
        config: Arc::new(config.clone()),
    })
}

pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = imgup_db::lazy_pool(&config.database_url)?;
    let state = state(&config, pool.clone())?;
    let listener = TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("cannot listen on BIND_ADDR {}", config.bind_addr))?;
    imgup_db::migrate(&pool).await?;
    if config.is_development() {
        tracing::warn!("ENVIRONMENT=development: the test-token endpoint is open");
    }
    tracing::info!(addr = %config.bind_addr, "imgup-auth listening");
    imgup_telemetry::serve(listener, crate::router(state), shutdown).await?;
    pool.close().await;
    Ok(())
}
