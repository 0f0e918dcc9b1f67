//! Real parts for tests: a running S3 server over a temporary folder that can be
//! stopped and brought back on the same port, token minting, and sample images
//! with genuine magic bytes, and a strict reader of `GET /metrics`.

mod images;
mod metrics;
mod oidc;
pub mod process;
mod proxy;
mod s3;
mod sqlite;
mod tokens;

pub use images::{exif_tags, phone_photo, real_image_of, sample_image, sample_image_of_len};
pub use metrics::{Sample, metric_value, parse_metrics};
pub use oidc::OidcServer;
pub use proxy::TcpProxy;
pub use s3::TestS3;
pub use sqlite::fresh_sqlite;
pub use tokens::{TEST_JWT_SECRET, TestTokens};
