use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::storage::Presign;
use crate::store::{ListQuery, Post, PostStatus};
use crate::upload_flow::{self, NewUpload};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePostBody {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub title: Option<String>,
}

/// A post as clients see it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub id: i64,
    pub object_key: String,
    pub status: PostStatus,
    pub title: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub owner_id: String,
    pub rejection_reason: Option<String>,
    /// A stable name for the rejection, e.g. `too_many_pixels`, `corrupt`, `not_an_image`.
    pub rejection_code: Option<String>,
    /// As displayed (after the EXIF orientation), once the image is `ready`.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A BlurHash of the image, to paint a placeholder while it loads.
    pub blurhash: Option<String>,
    /// The rendered variants by preset name (`IMAGE_VARIANTS`), once `ready`.
    #[serde(default)]
    pub variants: BTreeMap<String, VariantView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A presigned GET URL, once the image is `ready`.
    pub url: Option<String>,
    /// Lifetime of `url` in seconds.
    pub expires_in: Option<u64>,
}

/// One rendered variant of a ready image.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariantView {
    /// A presigned GET URL, valid as long as the post's `url`.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostCreated {
    #[serde(flatten)]
    pub post: PostView,
    /// PUT the image here with exactly the declared `Content-Type` and `Content-Length`.
    pub presigned_url: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostList {
    pub items: Vec<PostView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only posts in this state.
    pub status: Option<PostStatus>,
}

/// A GET URL that makes S3 answer with `content_type`, whatever the object's
/// own metadata says.
fn presign_get(state: &AppState, key: &str, content_type: &str) -> Result<String, ApiError> {
    Ok(state.storage.presign(
        key,
        Presign::Get {
            content_disposition: None,
            content_type: Some(content_type),
        },
        state.presign_expiry,
    )?)
}

fn view(state: &AppState, post: Post) -> Result<PostView, ApiError> {
    // A post made ready before the image pipeline existed was never checked:
    // it is shown as processing, without a URL, until the pipeline has run.
    let status = match post.status {
        PostStatus::Ready if post.image.is_none() => PostStatus::Processing,
        status => status,
    };
    let ready = status == PostStatus::Ready;
    let url = ready
        .then(|| presign_get(state, &post.image_key, &post.content_type))
        .transpose()?;
    let image = post.image.filter(|_| ready);
    let variants = match &image {
        Some(image) => image
            .variants
            .iter()
            .map(|(name, v)| {
                Ok((
                    name.clone(),
                    VariantView {
                        url: presign_get(state, &v.key, &v.content_type)?,
                        width: v.width,
                        height: v.height,
                        content_type: v.content_type.clone(),
                    },
                ))
            })
            .collect::<Result<_, ApiError>>()?,
        None => BTreeMap::new(),
    };
    Ok(PostView {
        width: image.as_ref().map(|i| i.width),
        height: image.as_ref().map(|i| i.height),
        blurhash: image.and_then(|i| i.blurhash),
        variants,
        rejection_code: post.rejection_code,
        id: post.id,
        expires_in: url.as_ref().map(|_| state.presign_expiry.as_secs()),
        url,
        object_key: post.image_key,
        status,
        title: post.title,
        filename: post.filename,
        content_type: post.content_type,
        size: post.size_bytes,
        owner_id: post.user_id,
        rejection_reason: post.rejection_reason,
        created_at: post.created_at,
        updated_at: post.updated_at,
    })
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
        post: view(&state, started.post)?,
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
    Ok((status, Json(view(&state, post)?)))
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
    Ok(Json(view(&state, post)?))
}

/// The caller's posts (an admin's: everyone's), newest first.
#[utoipa::path(get, path = "/posts", tag = "posts", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = PostList), (status = 400, description = "bad limit, cursor or status")))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PostList>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let before_id = params
        .cursor
        .map(|cursor| cursor.parse::<i64>().ok().filter(|id| *id > 0))
        .map(|id| id.ok_or_else(|| ApiError::BadRequest("invalid cursor".into())))
        .transpose()?;
    let query = ListQuery {
        owner: (!user.is_admin()).then(|| user.id().to_owned()),
        status: params.status,
        before_id,
        limit,
    };
    let posts = state.posts.list(&query).await?;
    let next_cursor = (posts.len() == limit as usize)
        .then(|| posts.last().map(|p| p.id.to_string()))
        .flatten();
    let items = posts
        .into_iter()
        .map(|post| view(&state, post))
        .collect::<Result<_, _>>()?;
    Ok(Json(PostList { items, next_cursor }))
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
