//! What the API counts beside its HTTP requests (`imgup_telemetry`): the
//! image queue's work and the sweeper's. Quota and rate-limit refusals are
//! `http_errors_total{code="quota_exceeded"|"rate_limited"}`.

use std::sync::atomic::AtomicI64;

use imgup_telemetry::Metrics;
use imgup_telemetry::metrics::LatencyHistogram;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// `ready` or `rejected`.
    pub outcome: &'static str,
}

/// Cheap to clone: every field shares its counts.
#[derive(Clone, Debug)]
pub struct ApiMetrics {
    pub telemetry: Metrics,
    pub images: Family<OutcomeLabel, Counter>,
    pub image_job_retries: Counter,
    pub image_jobs_running: Gauge<i64, AtomicI64>,
    pub image_job_seconds: LatencyHistogram,
    pub swept_posts: Counter,
    pub swept_uploads: Counter,
}

impl ApiMetrics {
    pub fn new() -> Self {
        let images = Family::<OutcomeLabel, Counter>::default();
        let image_job_retries = Counter::default();
        let image_jobs_running = Gauge::<i64, AtomicI64>::default();
        let image_job_seconds = LatencyHistogram::default();
        let swept_posts = Counter::default();
        let swept_uploads = Counter::default();
        let telemetry = Metrics::new("imgup_api", |r| {
            r.register(
                "images",
                "Uploaded images checked, by outcome (ready or rejected)",
                images.clone(),
            );
            r.register(
                "image_job_retries",
                "Image jobs put back after a transient failure (S3 or the database down)",
                image_job_retries.clone(),
            );
            r.register(
                "image_jobs_running",
                "Image jobs being processed by this replica now",
                image_jobs_running.clone(),
            );
            r.register(
                "image_job_duration_seconds",
                "Time to process one image (decode, checks, clean, variants, S3)",
                image_job_seconds.clone(),
            );
            r.register(
                "swept_posts",
                "Pending posts removed after PENDING_UPLOAD_TTL_SECONDS",
                swept_posts.clone(),
            );
            r.register(
                "swept_uploads",
                "Incoming objects removed that no post was waiting for",
                swept_uploads.clone(),
            );
        });
        Self {
            telemetry,
            images,
            image_job_retries,
            image_jobs_running,
            image_job_seconds,
            swept_posts,
            swept_uploads,
        }
    }

    /// `METRICS_ENABLED`: see [`Metrics::enabled`].
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.telemetry = self.telemetry.enabled(enabled);
        self
    }

    pub fn image_checked(&self, outcome: &'static str) {
        self.images.get_or_create(&OutcomeLabel { outcome }).inc();
    }
}

impl Default for ApiMetrics {
    fn default() -> Self {
        Self::new()
    }
}
