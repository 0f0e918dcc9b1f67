//! `GET /metrics` read back by an independent, strict parser: the Prometheus
//! project's own (Python `prometheus_client`, installed by
//! `scripts/ensure-metrics-parser.sh`).

use std::io::Write;
use std::process::{Command, Stdio};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Sample {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// The samples of an OpenMetrics exposition; panics on any text the reference
/// parser refuses.
pub fn parse_metrics(text: &str) -> Vec<Sample> {
    let cache = std::env::var("IMGUP_CACHE")
        .unwrap_or_else(|_| format!("{}/.cache/imgup", std::env::var("HOME").unwrap_or_default()));
    let python = format!("{cache}/venv-metrics/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/src/metrics.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}; run scripts/ensure-metrics-parser.sh"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The sum of the samples named `name` whose labels include all of `labels`.
pub fn metric_value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}
