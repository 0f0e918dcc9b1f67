//! The operator's own HTTP endpoint: `/metrics`, `/healthz`, `/readyz`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;

pub struct AppState {
    pub registry: Registry,
    /// False once the controller loop has stopped (the process is going).
    pub alive: AtomicBool,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(healthz))
        .with_state(state)
}

async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::encode(&s.registry),
    )
}

async fn healthz(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    if s.alive.load(Ordering::Relaxed) {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "stopping")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(app: &Router, path: &str) -> (StatusCode, String) {
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn serves_metrics_and_health() {
        let mut registry = Registry::default();
        let m = Metrics::register(&mut registry);
        m.observe(std::time::Duration::from_millis(5), None);
        let state = Arc::new(AppState {
            registry,
            alive: AtomicBool::new(true),
        });
        let app = router(state.clone());
        let (code, body) = get(&app, "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(body.contains("imgup_operator_reconciles_total{result=\"ok\"} 1"));
        assert_eq!(get(&app, "/healthz").await, (StatusCode::OK, "ok".into()));
        assert_eq!(get(&app, "/readyz").await.0, StatusCode::OK);
        state.alive.store(false, Ordering::Relaxed);
        assert_eq!(
            get(&app, "/healthz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
