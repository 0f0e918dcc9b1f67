//! The HTTP surface: one module a resource.

pub(crate) mod health;
pub(crate) mod images;
pub(crate) mod policy;
pub(crate) mod posts;
pub(crate) mod stats;
pub(crate) mod uploads;
pub(crate) mod usage;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use http::{HeaderName, HeaderValue, Method, header};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

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
        .route("/metrics", get(health::metrics))
        .fallback(health::not_found)
        // (one `layer` call: each is a box cloned for every request)
        .layer(
            ServiceBuilder::new()
                .layer(cors(&state.cors_origins))
                .layer(DefaultBodyLimit::max(MAX_JSON_BODY)),
        );
    let http_metrics = state.metrics.telemetry.http().clone();
    imgup_telemetry::with_http_layers(api.with_state(state), &http_metrics)
}

/// Browsers at the allowed origins may call the API with a bearer token (no
/// cookies); every other origin gets no CORS headers at all.
fn cors(origins: &[String]) -> CorsLayer {
    // A predicate over a shared list rather than `AllowOrigin::list`: the
    // layer is cloned for every request, and a list is a `Vec` to copy.
    let origins: Arc<[HeaderValue]> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origins.contains(origin)
        }))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}
