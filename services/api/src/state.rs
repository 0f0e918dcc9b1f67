use std::sync::Arc;
use std::time::Duration;

use imgup_jwt::CachedVerifier;
use imgup_policy::{KeyMinter, UploadPolicy};

use crate::limits::{Quota, UploadRate};
use crate::metrics::ApiMetrics;
use crate::pipeline::Pipeline;
use crate::storage::ObjectStorage;
use crate::store::{ImageJobs, Lifecycle, PostStore};

/// What every handler can reach. One `Arc`: the state is cloned (and
/// dropped) for every request, and a dozen reference counts cost more than
/// one (3 % of a `POST /uploads` in a profile).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The parts of the state.
pub struct Services {
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
    /// What `GET /metrics` shows.
    pub metrics: ApiMetrics,
}
