//! The HTTP surface of the auth service.

mod health;
pub mod oauth;
pub mod people;
pub mod tokens;

use axum::Router;
use axum::routing::{get, patch, post};
use http::Method;

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
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed);
    let routes = if state.metrics.is_enabled() {
        routes.route("/metrics", state.metrics.route())
    } else {
        routes
    };
    let routes = routes.layer(imgup_telemetry::cors::layer(
        &state.config.cors_allowed_origins.0,
        &[Method::GET, Method::POST, Method::PATCH],
    ));
    let http_metrics = state.metrics.http().cloned();
    imgup_telemetry::with_http_layers(routes.with_state(state), http_metrics.as_ref())
}
