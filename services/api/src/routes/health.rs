use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Prometheus metrics (OpenMetrics text): requests by route, method and
/// status, their latency, error answers by `code`, the image queue, the sweeper.
#[utoipa::path(get, path = "/metrics", tag = "health", responses(
    (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
))]
pub async fn metrics(State(state): State<AppState>) -> axum::response::Response {
    state.metrics.telemetry.response()
}

/// Ready: Postgres and the bucket answer.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "dependencies reachable"),
    (status = 503, description = "a dependency is down"),
))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (database, storage) = tokio::join!(state.posts.ping(), state.storage.check_bucket());
    let describe = |ok: bool| if ok { "ok" } else { "unavailable" };
    let all_ok = database.is_ok() && storage.is_ok();
    if let Err(err) = &database {
        tracing::warn!("readiness: {err}");
    }
    if let Err(err) = &storage {
        tracing::warn!("readiness: {err}");
    }
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if all_ok { "ready" } else { "unavailable" },
        "database": describe(database.is_ok()),
        "storage": describe(storage.is_ok()),
    });
    (status, Json(body))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}
