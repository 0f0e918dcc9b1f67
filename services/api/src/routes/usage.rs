use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Where the caller stands against the quotas.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// Posts kept: every one that is not rejected, pending ones included.
    pub posts: u64,
    /// Their declared bytes.
    pub bytes: u64,
    /// `QUOTA_USER_POSTS`; absent when unlimited (and for admins, who are exempt).
    pub max_posts: Option<u64>,
    /// `QUOTA_USER_BYTES`; absent when unlimited (and for admins).
    pub max_bytes: Option<u64>,
}

/// The caller's own usage and quotas.
#[utoipa::path(get, path = "/usage", tag = "posts",
    security(("bearer" = [])),
    responses((status = 200, body = UsageView), (status = 401, description = "missing or invalid token")))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<UsageView>, ApiError> {
    let usage = state.posts.usage(user.id()).await?;
    let limit = |max: u64| (max > 0 && !user.is_admin()).then_some(max);
    Ok(Json(UsageView {
        posts: usage.posts,
        bytes: usage.bytes,
        max_posts: limit(state.quota.settings.max_posts),
        max_bytes: limit(state.quota.settings.max_bytes),
    }))
}
