//! Prometheus metrics: reconciles by result, their durations, errors by
//! kind, writes sent, and whether this replica leads.

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    pub error: String,
}

#[derive(Clone)]
pub struct Metrics {
    pub reconciles: Family<ResultLabel, Counter>,
    pub duration: Histogram,
    pub errors: Family<ErrorLabel, Counter>,
    pub writes: Counter,
    pub leader: Gauge<i64, AtomicI64>,
}

impl Metrics {
    /// Creates the metrics and registers them (prefix `imgup_operator_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            reconciles: Family::default(),
            duration: Histogram::new(exponential_buckets(0.005, 2.0, 12)),
            errors: Family::default(),
            writes: Counter::default(),
            leader: Gauge::default(),
        };
        let r = registry.sub_registry_with_prefix("imgup_operator");
        r.register(
            "reconciles",
            "Reconciles of ImageUploadStacks by result",
            m.reconciles.clone(),
        );
        r.register(
            "reconcile_duration_seconds",
            "How long one reconcile took",
            m.duration.clone(),
        );
        r.register(
            "reconcile_errors",
            "Failed reconciles by error",
            m.errors.clone(),
        );
        r.register(
            "api_writes",
            "Create, patch and delete calls sent",
            m.writes.clone(),
        );
        r.register(
            "leader",
            "1 while this replica holds the leader Lease",
            m.leader.clone(),
        );
        m
    }

    pub fn observe(&self, took: Duration, error: Option<String>) {
        self.duration.observe(took.as_secs_f64());
        let result = if error.is_some() { "error" } else { "ok" };
        self.reconciles.get_or_create(&ResultLabel { result }).inc();
        if let Some(error) = error {
            self.errors.get_or_create(&ErrorLabel { error }).inc();
        }
    }
}

/// The registry in the Prometheus text format.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, registry).expect("writing to a String");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciles_errors_and_durations_are_exported() {
        let mut registry = Registry::default();
        let m = Metrics::register(&mut registry);
        m.observe(Duration::from_millis(20), None);
        m.observe(Duration::from_millis(30), Some("api_500".into()));
        m.leader.set(1);
        let text = encode(&registry);
        assert!(
            text.contains("imgup_operator_reconciles_total{result=\"ok\"} 1"),
            "{text}"
        );
        assert!(text.contains("imgup_operator_reconciles_total{result=\"error\"} 1"));
        assert!(text.contains("imgup_operator_reconcile_errors_total{error=\"api_500\"} 1"));
        assert!(text.contains("imgup_operator_reconcile_duration_seconds_count 2"));
        assert!(text.contains("imgup_operator_leader 1"));
    }
}
