//! Totals across the library, for admins: what each status holds, who stores
//! the most, and how many uploads each day brought.

use serde::{Deserialize, Serialize};

use super::PostStatus;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LibraryStats {
    /// Every post, rejected ones included.
    pub total: Total,
    /// Every status, zeros included, in lifecycle order.
    pub by_status: Vec<StatusTotal>,
    /// Owners by bytes kept (rejected posts left out), biggest first.
    pub top_owners: Vec<OwnerTotal>,
    /// Posts created on each UTC day of the window that had any, oldest first.
    pub per_day: Vec<DayTotal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Total {
    pub posts: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusTotal {
    pub status: PostStatus,
    pub posts: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerTotal {
    pub owner_id: String,
    pub owner_email: Option<String>,
    pub owner_name: Option<String>,
    pub posts: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayTotal {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub posts: u64,
    pub bytes: u64,
}

pub(super) const BY_STATUS: &str = "SELECT status, COUNT(*), CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM posts GROUP BY status";

pub(super) const TOP_OWNERS: &str = "SELECT t.user_id, t.posts, t.bytes, \
       (SELECT users.email FROM users WHERE CAST(users.id AS TEXT) = t.user_id), \
       (SELECT users.name FROM users WHERE CAST(users.id AS TEXT) = t.user_id) \
     FROM (SELECT user_id, COUNT(*) AS posts, CAST(SUM(size_bytes) AS BIGINT) AS bytes FROM posts \
           WHERE status <> 'rejected' GROUP BY user_id ORDER BY bytes DESC, user_id LIMIT $1) t \
     ORDER BY t.bytes DESC, t.user_id";

/// Per day since `$1`, with the backend's way of naming a timestamp's UTC day.
macro_rules! per_day_sql {
    ($day:literal) => {
        concat!(
            "SELECT ",
            $day,
            " AS day, COUNT(*), CAST(SUM(size_bytes) AS BIGINT) FROM posts \
             WHERE created_at >= $1 GROUP BY day ORDER BY day"
        )
    };
}
pub(super) use per_day_sql;

pub(super) fn total(by_status: &[StatusTotal]) -> Total {
    Total {
        posts: by_status.iter().map(|s| s.posts).sum(),
        bytes: by_status.iter().map(|s| s.bytes).sum(),
    }
}

pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Rows of `(status, posts, bytes)` as every status, zeros for those missing.
pub(super) fn by_status(rows: Vec<(String, i64, i64)>) -> Vec<StatusTotal> {
    [
        PostStatus::Pending,
        PostStatus::Processing,
        PostStatus::Ready,
        PostStatus::Rejected,
    ]
    .into_iter()
    .map(|status| {
        let (posts, bytes) = rows
            .iter()
            .find(|(name, ..)| name == status.as_str())
            .map_or((0, 0), |(_, posts, bytes)| (count(*posts), count(*bytes)));
        StatusTotal {
            status,
            posts,
            bytes,
        }
    })
    .collect()
}
