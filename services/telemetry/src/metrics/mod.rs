//! Prometheus metrics for a service: the HTTP requests every service answers
//! ([`HttpMetrics`]), whatever the service registers beside them, and the
//! `GET /metrics` answer (OpenMetrics text, which Prometheus reads).

mod histogram;
mod http;

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use prometheus_client::registry::Registry;

pub use histogram::{LATENCY_BUCKETS, LatencyHistogram};
pub use http::{ErrorCode, HttpMetrics, HttpMetricsLayer};

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `METRICS_ENABLED`, shared by the services' settings.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsSettings {
    /// Serve `GET /metrics` and count every request (false: neither).
    #[arg(
        long = "metrics-enabled",
        env = "METRICS_ENABLED",
        value_name = "METRICS_ENABLED",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub enabled: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// What a service exposes: built at start-up, read-only afterwards.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    http: HttpMetrics,
    enabled: bool,
}

impl Metrics {
    /// `register` adds the service's own metrics (under `prefix_`, e.g.
    /// `imgup_api`) to the HTTP ones.
    pub fn new(prefix: &str, register: impl FnOnce(&mut Registry)) -> Self {
        let http = HttpMetrics::default();
        let mut registry = Registry::default();
        registry.register_collector(Box::new(http.clone()));
        register(registry.sub_registry_with_prefix(prefix));
        Self {
            registry: Arc::new(registry),
            http,
            enabled: true,
        }
    }

    /// `METRICS_ENABLED=false`: no `GET /metrics` and nothing counted per
    /// request, for an instance that keeps no Prometheus (or that measures
    /// what the counting costs).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The per-request counters, when metrics are on.
    pub fn http(&self) -> Option<&HttpMetrics> {
        self.enabled.then_some(&self.http)
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// `GET /metrics` for any router.
    pub fn route<S: Clone + Send + Sync + 'static>(&self) -> MethodRouter<S> {
        let metrics = self.clone();
        get(move || async move { metrics.response() })
    }

    /// The `GET /metrics` answer.
    pub fn response(&self) -> Response {
        (
            [
                (::http::header::CONTENT_TYPE, CONTENT_TYPE),
                (::http::header::CACHE_CONTROL, "no-store"),
            ],
            self.render(),
        )
            .into_response()
    }
}
