use std::sync::Arc;

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;
use imgup_jwt::{JwtSigner, JwtVerifier};

use crate::config::Config;
use crate::providers::Providers;
use crate::rate::IpRate;
use crate::sessions::SessionStore;
use crate::users::UserStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub providers: Arc<Providers>,
    pub signer: Arc<JwtSigner>,
    pub verifier: Arc<JwtVerifier>,
    pub cookie_key: Key,
    /// The public keys at `/.well-known/jwks.json` (none with HS256).
    pub jwks: Arc<serde_json::Value>,
    /// Requests a minute per client address on the unauthenticated routes.
    pub ip_rate: Arc<IpRate>,
    /// What `GET /metrics` shows: requests, latencies and refusals by `code`
    /// (`rate_limited`, `invalid_grant`, `user_disabled`, …).
    pub metrics: imgup_telemetry::Metrics,
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Self {
        state.cookie_key.clone()
    }
}
