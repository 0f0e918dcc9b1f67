//! The upload API: validates upload requests against the policy, records posts,
//! and hands out presigned S3 URLs so that image bytes never pass through here.

pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod lifecycle;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod store;
pub mod upload_flow;

pub use config::Config;
pub use routes::router;
pub use state::AppState;
