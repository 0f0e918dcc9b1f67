//! The HTTP surface: one module a resource.

pub(crate) mod health;
pub(crate) mod images;
pub(crate) mod policy;
pub(crate) mod posts;
pub(crate) mod stats;
pub(crate) mod uploads;
pub(crate) mod usage;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use http::Method;
use tower::ServiceBuilder;

pub use images::ImageUrl;
pub use policy::PolicyView;
pub use posts::{PostCreated, PostList, PostView};
pub use uploads::{UploadBody, UploadTicket};
pub use usage::UsageView;

use crate::openapi;
use crate::state::AppState;

/// Request bodies are small JSON documents; image bytes go straight to S3.
const MAX_JSON_BODY: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/uploads", post(uploads::create))
        .route("/policy", get(policy::show))
        .route("/usage", get(usage::show))
        .route("/images/{*key}", get(images::show))
        .route("/posts", post(posts::create).get(posts::list))
        .route(
            "/posts/{id}",
            get(posts::show).patch(posts::update).delete(posts::delete),
        )
        .route("/stats", get(stats::show))
        .route("/posts/{id}/complete", post(posts::complete))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::document))
        .fallback(health::not_found);
    let api = if state.metrics.telemetry.is_enabled() {
        api.route("/metrics", get(health::metrics))
    } else {
        api
    };
    let api = api
        // (one `layer` call: each is a box cloned for every request)
        .layer(
            ServiceBuilder::new()
                .layer(imgup_telemetry::cors::layer(
                    &state.cors_origins,
                    &[Method::GET, Method::POST, Method::PATCH, Method::DELETE],
                ))
                .layer(DefaultBodyLimit::max(MAX_JSON_BODY)),
        );
    let http_metrics = state.metrics.telemetry.http().cloned();
    imgup_telemetry::with_http_layers(api.with_state(state), http_metrics.as_ref())
}
