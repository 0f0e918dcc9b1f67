use std::sync::Arc;
use std::time::Duration;

use imgup_jwt::CachedVerifier;
use imgup_policy::{KeyMinter, UploadPolicy};

use crate::limits::{Quota, UploadRate};
use crate::metrics::ApiMetrics;
use crate::pipeline::Pipeline;
use crate::storage::ObjectStorage;
use crate::store::{ImageJobs, Lifecycle, PostStore};

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub posts: Arc<dyn PostStore>,
    pub jobs: Arc<dyn ImageJobs>,
    pub pipeline: Arc<Pipeline>,
    pub quota: Arc<Quota>,
    /// Upload starts a minute per user.
    pub upload_rate: Arc<UploadRate>,
    pub lifecycle: Arc<dyn Lifecycle>,
    /// Pending uploads older than this are swept away; `None`: never.
    pub pending_ttl: Option<Duration>,
    pub storage: Arc<ObjectStorage>,
    pub verifier: Arc<CachedVerifier>,
    pub policy: Arc<UploadPolicy>,
    pub keys: Arc<KeyMinter>,
    pub presign_expiry: Duration,
    /// Browser origins allowed to call the API (`CORS_ALLOWED_ORIGINS`).
    pub cors_origins: Arc<[String]>,
    /// What `GET /metrics` shows (one `Arc`: the state is cloned for every
    /// request, and the metrics are several handles).
    pub metrics: Arc<ApiMetrics>,
}
