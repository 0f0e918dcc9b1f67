use axum::Json;
use axum::extract::State;
use imgup_policy::ObjectKey;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::storage::Presign;

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

/// A presigned GET URL for an image the caller may see.
#[utoipa::path(get, path = "/images/{key}", tag = "images",
    params(("key" = String, Path, description = "object key, e.g. uploads/<id>.jpg"), ImageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ImageUrl),
        (status = 400, description = "malformed key"),
        (status = 404, description = "no such image, or not the caller's"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<ImageQuery>,
) -> Result<Json<ImageUrl>, ApiError> {
    let key =
        ObjectKey::parse(&key).map_err(|_| ApiError::BadRequest("invalid object key".into()))?;
    // The caller's own keys and admins need no database round trip; anything
    // else must be a post the caller may see.
    let minted_by_caller = state.keys.is_owned_by(&key, user.id());
    let post = if minted_by_caller || user.is_admin() {
        None
    } else {
        match state.posts.find_by_key(key.as_str()).await? {
            Some(post) if user.may_access(&post.user_id) => Some(post),
            _ => return Err(ApiError::NotFound("image")),
        }
    };
    let disposition = if query.as_download {
        let filename = match (query.filename, post) {
            (Some(name), _) => name,
            (None, Some(post)) => post.filename,
            (None, None) => match state.posts.find_by_key(key.as_str()).await? {
                Some(post) => post.filename,
                None => key.as_str().trim_start_matches("uploads/").to_owned(),
            },
        };
        Some(imgup_policy::attachment(&filename))
    } else {
        None
    };
    let url = state.storage.presign(
        key.as_str(),
        Presign::Get {
            content_disposition: disposition.as_deref(),
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
