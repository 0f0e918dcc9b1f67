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
    /// The canonical MIME type the URL is signed for.
    pub content_type: String,
    pub expires_in: u64,
}

/// Asks for a presigned PUT URL for one image (the seed's raw flow: nothing is
/// recorded; use `POST /posts` for an upload the API tracks and checks).
#[utoipa::path(post, path = "/uploads", tag = "uploads", request_body = UploadBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UploadTicket),
        (status = 400, description = "`File too large`, `Unsupported file type` or another invalid field"),
        (status = 401, description = "missing or invalid token"),
        (status = 403, description = "`quota_exceeded`"),
        (status = 429, description = "`rate_limited`: more than `RATE_LIMIT_USER_PER_MINUTE` uploads started this minute; retry after `Retry-After`"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<Json<UploadTicket>, ApiError> {
    state.upload_rate.admit(&user).await?;
    let upload = NewUpload {
        filename: &body.filename,
        content_type: &body.content_type,
        size: body.size,
        title: None,
    };
    let prepared = upload_flow::prepare(&state, &user, &upload)?;
    state
        .quota
        .admit_cached(&state, &user, prepared.valid.size)
        .await?;
    Ok(Json(UploadTicket {
        presigned_url: prepared.presigned_url,
        object_key: prepared.key.to_string(),
        content_type: prepared.valid.content_type.to_owned(),
        expires_in: state.presign_expiry.as_secs(),
    }))
}
