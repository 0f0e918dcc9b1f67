//! Posts: create one and upload its image, complete it, read, retitle and
//! delete it; the list is in `list`.

mod list;
mod view;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::PostStatus;
use crate::upload_flow::{self, NewUpload};
use view::view;

pub use list::{__path_list, PostList, list};
pub use view::PostView;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePostBody {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub title: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostCreated {
    #[serde(flatten)]
    pub post: PostView,
    /// PUT the image here with exactly the declared `Content-Type` and `Content-Length`.
    pub presigned_url: String,
}

/// Records a pending post and returns where to PUT its image.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = CreatePostBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PostCreated),
        (status = 400, description = "`File too large`, `Unsupported file type` or another invalid field"),
        (status = 403, description = "`quota_exceeded`: the caller keeps as much as `QUOTA_USER_POSTS` / `QUOTA_USER_BYTES` allow"),
        (status = 429, description = "`rate_limited`: more than `RATE_LIMIT_USER_PER_MINUTE` uploads started this minute; retry after `Retry-After`"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CreatePostBody>,
) -> Result<(StatusCode, Json<PostCreated>), ApiError> {
    state.upload_rate.admit(&user).await?;
    let started = upload_flow::start(
        &state,
        &user,
        NewUpload {
            filename: &body.filename,
            content_type: &body.content_type,
            size: body.size,
            title: body.title.as_deref(),
        },
    )
    .await?;
    let created = PostCreated {
        post: view(&state, &user, started.post)?,
        presigned_url: started.presigned_url,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Checks the uploaded image, then decodes, cleans and renders it; answers the
/// `ready` post, or `202` with the post still `processing` when that takes
/// longer than `COMPLETE_WAIT_MS` (poll `GET /posts/{id}`). A bad image is
/// deleted and the post marked `rejected`.
#[utoipa::path(post, path = "/posts/{id}/complete", tag = "posts",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PostView, description = "ready"),
        (status = 202, body = PostView, description = "still processing: poll `GET /posts/{id}`"),
        (status = 404, description = "no such post, or not the caller's"),
        (status = 409, description = "`not_uploaded` yet"),
        (status = 422, description = "the image failed the checks and was deleted; `code` says why (`too_many_pixels`, `corrupt`, `not_an_image`, …)"),
        (status = 503, description = "`busy`: the image queue is full, retry after `Retry-After`"),
    ))]
pub async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let post = upload_flow::complete(&state, &user, id).await?;
    let status = match post.status {
        PostStatus::Processing => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(view(&state, &user, post)?)))
}

/// One post, with a presigned GET URL once it is ready.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = PostView), (status = 404, description = "no such post, or not the caller's")))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>, ApiError> {
    let post = upload_flow::visible_post(&state, &user, id).await?;
    Ok(Json(view(&state, &user, post)?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePostBody {
    /// The new title (at most 200 characters); `null` or empty clears it.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(required = true)]
    pub title: Option<String>,
}

/// Changes a post's title (owner or admin).
#[utoipa::path(patch, path = "/posts/{id}", tag = "posts", request_body = UpdatePostBody,
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PostView),
        (status = 400, description = "a title that is too long or holds control characters"),
        (status = 404, description = "no such post, or not the caller's"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdatePostBody>,
) -> Result<Json<PostView>, ApiError> {
    let post = upload_flow::visible_post(&state, &user, id).await?;
    let title = body
        .title
        .as_deref()
        .map(upload_flow::check_title)
        .transpose()?
        .filter(|title| !title.is_empty());
    let gone = || ApiError::NotFound("post");
    if !state.posts.set_title(post.id, title.as_deref()).await? {
        return Err(gone());
    }
    let post = state.posts.get(post.id).await?.ok_or_else(gone)?;
    Ok(Json(view(&state, &user, post)?))
}

/// Deletes the post and its image.
#[utoipa::path(delete, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 404, description = "no such post, or not the caller's")))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    upload_flow::remove(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
