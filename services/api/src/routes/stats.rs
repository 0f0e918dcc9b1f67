//! `GET /stats`: the library's totals, for admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::store::LibraryStats;

pub const DEFAULT_TOP: u32 = 10;
pub const MAX_TOP: u32 = 100;
pub const DEFAULT_DAYS: u32 = 30;
pub const MAX_DAYS: u32 = 366;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatsParams {
    /// How many of the biggest owners to list, 1 to 100 (default 10).
    pub top: Option<u32>,
    /// How many days of uploads to count, today (UTC) included, 1 to 366 (default 30).
    pub days: Option<u32>,
}

/// Posts and bytes by status, the biggest owners, uploads a day (admins only).
#[utoipa::path(get, path = "/stats", tag = "posts", params(StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LibraryStats),
        (status = 400, description = "`top` or `days` out of range"),
        (status = 403, description = "`forbidden`: the caller is not an admin"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Json<LibraryStats>, ApiError> {
    if !user.is_admin() {
        return Err(ApiError::Forbidden(
            "only admins may see the library's totals",
        ));
    }
    let top = within("top", params.top.unwrap_or(DEFAULT_TOP), MAX_TOP)?;
    let days = within("days", params.days.unwrap_or(DEFAULT_DAYS), MAX_DAYS)?;
    Ok(Json(state.posts.stats(top, days).await?))
}

fn within(name: &str, value: u32, max: u32) -> Result<u32, ApiError> {
    if (1..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::BadRequest(format!(
            "{name} must be between 1 and {max}"
        )))
    }
}
