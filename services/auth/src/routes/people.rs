//! Admins manage people: `GET /auth/users` (paged) and `PATCH /auth/users/{id}`.
//! The caller's admin role is read from the database, not from the token, so
//! a demoted or disabled admin stops at once.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use chrono::{DateTime, Utc};
use http::request::Parts;
use imgup_jwt::Role;
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::routes::tokens::Bearer;
use crate::state::AppState;
use crate::users::{ROLES, User, UserChange};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// The caller, an admin as the database says now.
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let Bearer(claims) = Bearer::from_request_parts(parts, state).await?;
        let id = claims
            .sub
            .parse()
            .map_err(|_| AuthError::Unauthorized("invalid token"))?;
        let user = state
            .users
            .get(id)
            .await?
            .ok_or(AuthError::Unauthorized("the user no longer exists"))?;
        if user.disabled {
            return Err(AuthError::UserDisabled);
        }
        if state.config.role_of(&user) != Role::Admin {
            return Err(AuthError::Forbidden("only admins manage users"));
        }
        Ok(Self(user))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserItem {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// The role their tokens carry.
    pub role: Role,
    /// The role an admin set; `role` is admin regardless when `adminByEmail`.
    pub stored_role: String,
    /// Their email is in `ADMIN_EMAILS`.
    pub admin_by_email: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl UserItem {
    fn new(state: &AppState, user: User) -> Self {
        Self {
            role: state.config.role_of(&user),
            admin_by_email: state.config.is_admin_email(&user.email),
            id: user.id,
            email: user.email,
            name: user.name,
            stored_role: user.role,
            disabled: user.disabled,
            created_at: user.created_at,
            last_sign_in_at: user.last_sign_in_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub users: Vec<UserItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `GET /auth/users?limit=&cursor=`: everyone, oldest first.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<UserPage>, AuthError> {
    let Query(query) = query.map_err(|err| AuthError::BadRequest(err.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AuthError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let after =
        match query.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
                AuthError::BadRequest("cursor is not one this service gave".into())
            })?),
            None => None,
        };
    let mut users = state.users.list(after, limit + 1).await?;
    let next_cursor = if users.len() as i64 > limit {
        users.truncate(limit as usize);
        users.last().map(|u| u.id.to_string())
    } else {
        None
    };
    Ok(Json(UserPage {
        users: users
            .into_iter()
            .map(|u| UserItem::new(&state, u))
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    role: Option<String>,
    disabled: Option<bool>,
}

/// `PATCH /auth/users/{id}` `{role?, disabled?}`. Disabling also ends every
/// session of the user; an admin cannot disable themselves.
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Change>, JsonRejection>,
) -> Result<Json<UserItem>, AuthError> {
    let Path(id) = id.map_err(|_| AuthError::NotFound("no such user".into()))?;
    let Json(change) = body.map_err(|err| AuthError::BadRequest(err.body_text()))?;
    if let Some(role) = &change.role
        && !ROLES.contains(&role.as_str())
    {
        return Err(AuthError::BadRequest(
            "role must be \"user\" or \"admin\"".into(),
        ));
    }
    if id == admin.id && change.disabled == Some(true) {
        return Err(AuthError::BadRequest(
            "an admin cannot disable themselves".into(),
        ));
    }
    let user = state
        .users
        .update(
            id,
            &UserChange {
                role: change.role,
                disabled: change.disabled,
            },
        )
        .await?
        .ok_or_else(|| AuthError::NotFound("no such user".into()))?;
    if change.disabled == Some(true) {
        let revoked = state.sessions.revoke_user(user.id, Utc::now()).await?;
        tracing::info!(
            user_id = user.id,
            by = admin.id,
            revoked,
            "user disabled; sessions revoked"
        );
    }
    Ok(Json(UserItem::new(&state, user)))
}
