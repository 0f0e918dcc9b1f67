use std::sync::Arc;
use std::time::Duration;

use imgup_jwt::JwtVerifier;
use imgup_policy::UploadPolicy;

use crate::storage::ObjectStorage;
use crate::store::PostStore;

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub posts: Arc<dyn PostStore>,
    pub storage: Arc<ObjectStorage>,
    pub verifier: Arc<JwtVerifier>,
    pub policy: Arc<UploadPolicy>,
    pub presign_expiry: Duration,
}
