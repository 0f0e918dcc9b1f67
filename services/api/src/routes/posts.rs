use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A presigned GET URL, once the image is `ready`.
    pub url: Option<String>,
    /// Lifetime of `url` in seconds.
    pub expires_in: Option<u64>,
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

fn view(state: &AppState, post: Post) -> Result<PostView, ApiError> {
    let url = match post.status {
        PostStatus::Ready => Some(state.storage.presign(
            &post.image_key,
            Presign::Get {
                content_disposition: None,
            },
            state.presign_expiry,
        )?),
        _ => None,
    };
    Ok(PostView {
        id: post.id,
        expires_in: url.as_ref().map(|_| state.presign_expiry.as_secs()),
        url,
        object_key: post.image_key,
        status: post.status,
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
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CreatePostBody>,
) -> Result<(StatusCode, Json<PostCreated>), ApiError> {
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

/// Checks the uploaded image and marks the post `ready`, or deletes it and marks the post `rejected`.
#[utoipa::path(post, path = "/posts/{id}/complete", tag = "posts",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PostView),
        (status = 404, description = "no such post, or not the caller's"),
        (status = 409, description = "not uploaded yet, or already rejected"),
        (status = 422, description = "the stored object failed the checks and was deleted"),
    ))]
pub async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>, ApiError> {
    let post = upload_flow::complete(&state, &user, id).await?;
    Ok(Json(view(&state, post)?))
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
