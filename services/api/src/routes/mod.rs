//! The HTTP surface: one module a resource.

pub(crate) mod health;
pub(crate) mod images;
pub(crate) mod policy;
pub(crate) mod posts;
pub(crate) mod uploads;
pub(crate) mod usage;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

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
        .route("/posts/{id}", get(posts::show).delete(posts::delete))
        .route("/posts/{id}/complete", post(posts::complete))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::document))
        .fallback(health::not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(state);
    imgup_telemetry::with_http_layers(api)
}
