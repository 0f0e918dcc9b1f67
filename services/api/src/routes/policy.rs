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
    /// Widest, tallest and largest (width × height) accepted image; 0: no limit.
    pub max_image_width: u32,
    pub max_image_height: u32,
    pub max_image_pixels: u64,
    /// Most frames of an animated image; 0: no limit.
    pub max_animation_frames: u32,
    /// The variants rendered for every image: preset name → long side in px.
    pub variants: std::collections::BTreeMap<String, u32>,
    /// `image/webp` or `image/jpeg`.
    pub variant_type: String,
}

/// The upload policy in force (public: it reveals no one's data).
#[utoipa::path(get, path = "/policy", tag = "uploads", responses((status = 200, body = PolicyView)))]
pub async fn show(State(state): State<AppState>) -> Json<PolicyView> {
    let allowed = &state.policy.allowed;
    let images = &state.pipeline.imaging;
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
        max_image_width: images.limits.max_width,
        max_image_height: images.limits.max_height,
        max_image_pixels: images.limits.max_pixels,
        max_animation_frames: images.limits.max_frames,
        variants: images
            .presets
            .0
            .iter()
            .map(|p| (p.name.clone(), p.long_side))
            .collect(),
        variant_type: images.variant_format.content_type().to_owned(),
    })
}
