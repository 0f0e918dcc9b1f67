use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// What may be uploaded, so that clients can refuse a file before sending it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// Largest accepted image, in bytes.
    pub max_bytes: u64,
    /// Accepted MIME types.
    pub allowed_types: Vec<String>,
    /// Accepted file extensions for each type, e.g. `image/jpeg` → `jpg`, `jpeg`.
    pub extensions: std::collections::BTreeMap<String, Vec<String>>,
    /// Lifetime of presigned URLs, in seconds.
    pub presign_expires_seconds: u64,
}

/// The upload policy in force (public: it reveals no one's data).
#[utoipa::path(get, path = "/policy", tag = "uploads", responses((status = 200, body = PolicyView)))]
pub async fn show(State(state): State<AppState>) -> Json<PolicyView> {
    let allowed = &state.policy.allowed;
    Json(PolicyView {
        max_bytes: state.policy.max_bytes,
        allowed_types: allowed.iter().map(|f| f.mime_type().to_owned()).collect(),
        extensions: allowed
            .iter()
            .map(|f| {
                let extensions = f.extensions().iter().map(|e| (*e).to_owned()).collect();
                (f.mime_type().to_owned(), extensions)
            })
            .collect(),
        presign_expires_seconds: state.presign_expiry.as_secs(),
    })
}
