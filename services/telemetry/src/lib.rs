//! Plumbing every imgup service shares: log set-up, the per-request layers
//! (request id, trace span, redacted credentials, panic guard) and graceful
//! shutdown on SIGTERM or Ctrl-C.

mod layers;
mod logs;
mod server;
mod shutdown;

pub use layers::with_http_layers;
pub use logs::{LogFormat, init_logs};
pub use server::{EdgeLimits, PeerAddr, serve, serve_with};
pub use shutdown::shutdown_signal;
