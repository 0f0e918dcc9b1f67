//! `GET /posts`: the library, filtered, sorted and paged by an opaque cursor
//! that carries where the last page ended (so pages neither skip nor repeat
//! posts while others are added or removed).

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::view::{PostView, view};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::store::{After, ListQuery, OwnerFilter, Post, PostStatus, SortKey, SortOrder};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
/// Longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostList {
    pub items: Vec<PostView>,
    /// Pass as `cursor` (with the same filters and sort) for the next page;
    /// absent on the last page.
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
    /// Only posts whose filename or title contains this, in any case.
    pub q: Option<String>,
    /// Only this owner's posts, by user id or email (admins; others may name only themselves).
    pub owner: Option<String>,
    /// `created` (default), `size` or `filename`.
    pub sort: Option<SortKey>,
    /// `asc` or `desc`; by default newest and largest first, names A to Z.
    pub order: Option<SortOrder>,
}

/// The caller's posts (an admin's: everyone's), newest first unless sorted otherwise.
#[utoipa::path(get, path = "/posts", tag = "posts", params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PostList),
        (status = 400, description = "bad limit, cursor, status, sort or search"),
        (status = 403, description = "`forbidden`: `owner` names someone else and the caller is not an admin"),
    ))]
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
    let sort = params.sort.unwrap_or_default();
    let order = params.order.unwrap_or(sort.default_order());
    let after = params
        .cursor
        .as_deref()
        .map(|cursor| decode_cursor(cursor, sort, order))
        .transpose()?;
    let query = ListQuery {
        owner: owner_filter(&user, params.owner.as_deref())?,
        status: params.status,
        search: search(params.q.as_deref())?,
        sort,
        order,
        after,
        limit,
    };
    let posts = state.posts.list(&query).await?;
    let next_cursor = (posts.len() == limit as usize)
        .then(|| posts.last().map(|last| encode_cursor(last, sort, order)))
        .flatten();
    let items = posts
        .into_iter()
        .map(|post| view(&state, &user, post))
        .collect::<Result<_, _>>()?;
    Ok(Json(PostList { items, next_cursor }))
}

/// Whose posts the caller may list: an admin anyone's (everyone's by default),
/// anyone else only their own.
fn owner_filter(user: &AuthUser, owner: Option<&str>) -> Result<Option<OwnerFilter>, ApiError> {
    let named = owner.map(str::trim).filter(|o| !o.is_empty()).map(|o| {
        if o.contains('@') {
            OwnerFilter::Email(o.to_owned())
        } else {
            OwnerFilter::Id(o.to_owned())
        }
    });
    if user.is_admin() {
        return Ok(named);
    }
    let own = |filter: &OwnerFilter| match filter {
        OwnerFilter::Id(id) => id == user.id(),
        OwnerFilter::Email(email) => email.eq_ignore_ascii_case(&user.0.email),
    };
    match named {
        Some(filter) if !own(&filter) => Err(ApiError::Forbidden(
            "only admins may list other people's posts",
        )),
        _ => Ok(Some(OwnerFilter::Id(user.id().to_owned()))),
    }
}

fn search(q: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::BadRequest(format!(
            "q is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    Ok(Some(q.to_owned()))
}

/// What a cursor holds: the sort it belongs to and where the page ended.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "s")]
    sort: SortKey,
    #[serde(rename = "o")]
    order: SortOrder,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    value: Option<CursorValue>,
    id: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum CursorValue {
    Size(i64),
    Filename(String),
}

fn encode_cursor(last: &Post, sort: SortKey, order: SortOrder) -> String {
    // The default list's cursor stays what it always was: the last id.
    if (sort, order) == (SortKey::Created, SortOrder::Desc) {
        return last.id.to_string();
    }
    let value = match sort {
        SortKey::Created => None,
        SortKey::Size => Some(CursorValue::Size(last.size_bytes)),
        SortKey::Filename => Some(CursorValue::Filename(last.filename.clone())),
    };
    let cursor = Cursor {
        sort,
        order,
        value,
        id: last.id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

fn decode_cursor(cursor: &str, sort: SortKey, order: SortOrder) -> Result<After, ApiError> {
    let invalid = || ApiError::BadRequest("invalid cursor".into());
    // The default list's cursor: the last id.
    if let Ok(id) = cursor.parse::<i64>() {
        return match (sort, order) {
            (SortKey::Created, SortOrder::Desc) if id > 0 => Ok(After::Created { id }),
            _ => Err(invalid()),
        };
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor.sort != sort || cursor.order != order {
        return Err(ApiError::BadRequest(
            "the cursor belongs to another sort or order".into(),
        ));
    }
    let id = cursor.id;
    match (sort, cursor.value) {
        (SortKey::Created, None) => Ok(After::Created { id }),
        (SortKey::Size, Some(CursorValue::Size(size))) => Ok(After::Size { size, id }),
        (SortKey::Filename, Some(CursorValue::Filename(filename))) => {
            Ok(After::Filename { filename, id })
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_its_sort() {
        let cursor = URL_SAFE_NO_PAD.encode(br#"{"s":"size","o":"desc","v":42,"id":7}"#);
        assert_eq!(
            decode_cursor(&cursor, SortKey::Size, SortOrder::Desc).unwrap(),
            After::Size { size: 42, id: 7 }
        );
        assert!(decode_cursor(&cursor, SortKey::Size, SortOrder::Asc).is_err());
        assert!(decode_cursor(&cursor, SortKey::Filename, SortOrder::Desc).is_err());
    }

    #[test]
    fn bad_cursors_are_refused() {
        for cursor in ["", "abc", "-3", "0", "e30", "eyJzIjoic2l6ZSJ9"] {
            assert!(
                decode_cursor(cursor, SortKey::Created, SortOrder::Desc).is_err(),
                "{cursor}"
            );
        }
        assert_eq!(
            decode_cursor("12", SortKey::Created, SortOrder::Desc).unwrap(),
            After::Created { id: 12 }
        );
    }
}
