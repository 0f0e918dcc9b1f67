use axum::Json;
use axum::extract::State;
use imgup_policy::ObjectKey;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::storage::Presign;
use crate::upload_flow;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImageQuery {
    /// Ask the browser to save the file instead of showing it.
    #[serde(default)]
    pub as_download: bool,
    /// The name to save it under (default: the name it was uploaded with).
    pub filename: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageUrl {
    pub url: String,
    pub key: String,
    pub expires_in: u64,
    pub download: bool,
}

/// A presigned GET URL for an image the caller may see, once it has been
/// checked and cleaned (an image of the raw flow is checked at its first read).
#[utoipa::path(get, path = "/images/{key}", tag = "images",
    params(("key" = String, Path, description = "object key, e.g. uploads/<id>.jpg"), ImageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ImageUrl),
        (status = 400, description = "malformed key"),
        (status = 404, description = "no such image, or not the caller's"),
        (status = 409, description = "`not_uploaded` yet"),
        (status = 422, description = "the image failed the checks and was deleted; `code` says why"),
        (status = 503, description = "`processing`: retry after `Retry-After`"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<ImageQuery>,
) -> Result<Json<ImageUrl>, ApiError> {
    let key =
        ObjectKey::parse(&key).map_err(|_| ApiError::BadRequest("invalid object key".into()))?;
    // A key checked before needs no database round trip (ownership is in the key).
    let minted_by_caller = state.keys.is_owned_by(&key, user.id());
    let post = if (minted_by_caller || user.is_admin()) && state.pipeline.is_served(key.as_str()) {
        None
    } else {
        Some(upload_flow::served_post(&state, &user, &key, minted_by_caller).await?)
    };
    let disposition = if query.as_download {
        let filename = match (query.filename, post) {
            (Some(name), _) => name,
            (None, Some(post)) => post.filename,
            (None, None) => match state.posts.find_by_key(key.as_str()).await? {
                Some(post) => post.filename,
                None => key.file_name().to_owned(),
            },
        };
        Some(imgup_policy::attachment(&imgup_policy::download_name(
            &filename,
            key.format(),
        )))
    } else {
        None
    };
    let url = state.storage.presign(
        key.as_str(),
        Presign::Get {
            content_disposition: disposition.as_deref(),
            content_type: Some(key.format().mime_type()),
        },
        state.presign_expiry,
    )?;
    Ok(Json(ImageUrl {
        url,
        key: key.as_str().to_owned(),
        expires_in: state.presign_expiry.as_secs(),
        download: query.as_download,
    }))
}
