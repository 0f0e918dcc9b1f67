//! Plumbing every imgup service shares: log set-up, the per-request layers
//! (request id, trace span, redacted credentials, panic guard), Prometheus
//! metrics and graceful
//! shutdown on SIGTERM or Ctrl-C.

mod layers;
mod logs;
pub mod metrics;
mod server;
mod shutdown;

pub use layers::with_http_layers;
pub use logs::{LogFormat, init_logs};
pub use metrics::{ErrorCode, HttpMetrics, Metrics};
pub use server::{EdgeLimits, PeerAddr, serve, serve_with};
pub use shutdown::shutdown_signal;
