//! The HTTP surface of the auth service.

mod health;
pub mod oauth;
pub mod people;
pub mod tokens;

use axum::Router;
use axum::routing::{get, patch, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/auth/providers", get(oauth::providers))
        .route("/auth/oauth/test-token", post(tokens::test_token))
        .route("/auth/oauth/token", post(oauth::token))
        .route("/auth/oauth/{provider}", get(oauth::begin))
        .route("/auth/oauth/{provider}/callback", get(oauth::callback))
        .route("/auth/token/refresh", post(tokens::refresh))
        .route("/auth/logout", post(tokens::logout))
        .route("/auth/users", get(people::list))
        .route("/auth/users/{id}", patch(people::update))
        .route("/auth/verify", post(tokens::verify))
        .route("/auth/me", get(tokens::me))
        .route("/.well-known/jwks.json", get(tokens::jwks))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", state.metrics.route())
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed);
    let http_metrics = state.metrics.http().clone();
    imgup_telemetry::with_http_layers(routes.with_state(state), &http_metrics)
}
