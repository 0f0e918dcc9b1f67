use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::upload_flow::{self, NewUpload};

/// An upload as the client declares it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadBody {
    /// The file's name; only its extension matters (it must agree with the type).
    pub filename: String,
    /// One of the allowed MIME types.
    pub content_type: String,
    /// Exact size in bytes, 1 to `MAX_UPLOAD_BYTES`.
    pub size: u64,
}

/// Where to PUT the file.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    /// PUT the bytes here with exactly the declared `Content-Type` and `Content-Length`.
    pub presigned_url: String,
    pub object_key: String,
    /// The post that records this upload; `POST /posts/{id}/complete` checks it.
    pub post_id: i64,
    /// The canonical MIME type the URL is signed for.
    pub content_type: String,
    pub expires_in: u64,
}

/// Asks for a presigned PUT URL for one image.
#[utoipa::path(post, path = "/uploads", tag = "uploads", request_body = UploadBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UploadTicket),
        (status = 400, description = "`File too large`, `Unsupported file type` or another invalid field"),
        (status = 401, description = "missing or invalid token"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<Json<UploadTicket>, ApiError> {
    let started = upload_flow::start(
        &state,
        &user,
        NewUpload {
            filename: &body.filename,
            content_type: &body.content_type,
            size: body.size,
            title: None,
        },
    )
    .await?;
    Ok(Json(UploadTicket {
        presigned_url: started.presigned_url,
        object_key: started.post.image_key,
        post_id: started.post.id,
        content_type: started.post.content_type,
        expires_in: state.presign_expiry.as_secs(),
    }))
}
