//! Plumbing every imgup service shares: log set-up, the per-request layers
//! (request id, trace span, redacted credentials, panic guard, deadline),
//! CORS, Prometheus metrics, the HTTP edge and graceful shutdown on SIGTERM or
//! Ctrl-C.

pub mod cors;
mod layers;
mod logs;
pub mod metrics;
mod server;
mod shutdown;

pub use layers::{REQUEST_TIMEOUT, with_http_layers, with_http_layers_and_deadline};
pub use logs::{LogFormat, init_command_logs, init_logs};
pub use metrics::{ErrorCode, HttpMetrics, Metrics, MetricsSettings};
pub use server::{EdgeLimits, PeerAddr, serve, serve_with};
pub use shutdown::shutdown_signal;
