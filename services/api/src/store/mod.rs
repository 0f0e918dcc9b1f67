//! Post metadata behind one interface, so handlers do not care which database
//! holds it: Postgres for deployments, SQLite for the embedded mode.

/// The column list every query returns, as a literal so that queries stay
/// static strings.
macro_rules! columns {
    () => {
        "id, user_id, image_key, title, filename, content_type, size_bytes, \
         status, rejection_reason, rejection_code, width, height, blurhash, variants, \
         created_at, updated_at"
    };
}

mod jobs;
mod lifecycle;
mod listing;
mod row;
mod sql;
mod stats;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use jobs::{ClaimedJob, ImageJobs};
pub use lifecycle::Lifecycle;
pub use listing::{After, ListQuery, OwnerFilter, SortKey, SortOrder};
pub use sql::{PgPostStore, SqlitePostStore};
pub use stats::{DayTotal, LibraryStats, OwnerTotal, StatusTotal, Total};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    /// Created; the client has yet to upload and call `complete`.
    Pending,
    /// Uploaded; queued or being decoded, checked, cleaned and rendered.
    Processing,
    /// The image was checked and cleaned, and its variants rendered.
    Ready,
    /// The object failed the checks and was deleted.
    Rejected,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(Self::Pending),
            "processing" => Some(Self::Processing),
            "ready" => Some(Self::Ready),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: i64,
    pub user_id: String,
    pub image_key: String,
    pub title: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub status: PostStatus,
    pub rejection_reason: Option<String>,
    /// A stable machine name for the rejection, e.g. `too_many_pixels`.
    pub rejection_code: Option<String>,
    /// What processing found, once the post is ready.
    pub image: Option<ImageFacts>,
    /// Who the owner is, where the query looked them up (lists and single reads).
    pub owner: Option<Owner>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The person behind a post's `user_id`, from the users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub email: String,
    pub name: Option<String>,
}

/// The checked image: its size as displayed, and where its variants are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub width: u32,
    pub height: u32,
    pub blurhash: Option<String>,
    pub variants: BTreeMap<String, StoredVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredVariant {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

/// Where a post goes next.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Ready(&'a ImageFacts),
    Rejected { code: &'a str, reason: &'a str },
}

#[derive(Debug, Clone)]
pub struct NewPost {
    pub user_id: String,
    pub image_key: String,
    pub title: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where post metadata lives.
#[async_trait]
pub trait PostStore: Send + Sync {
    async fn create(&self, post: NewPost) -> Result<Post, StoreError>;
    async fn get(&self, id: i64) -> Result<Option<Post>, StoreError>;
    async fn find_by_key(&self, image_key: &str) -> Result<Option<Post>, StoreError>;
    /// One page of posts in the query's order (ties broken by id).
    async fn list(&self, query: &ListQuery) -> Result<Vec<Post>, StoreError>;
    /// Sets or (with `None`) clears a post's title; false when it is gone.
    async fn set_title(&self, id: i64, title: Option<&str>) -> Result<bool, StoreError>;
    /// Totals across the library: by status, the biggest owners, uploads a day.
    async fn stats(&self, top_owners: u32, days: u32) -> Result<LibraryStats, StoreError>;
    /// Moves a post from `from` to `ready` or `rejected`; `None` when it was
    /// not in `from` (or is gone).
    async fn transition(
        &self,
        id: i64,
        from: PostStatus,
        to: Outcome<'_>,
    ) -> Result<Option<Post>, StoreError>;
    /// Moves a pending post to `processing` and queues its image job, in one
    /// transaction; `None` when it was not pending (or is gone).
    async fn queue_processing(&self, id: i64) -> Result<Option<Post>, StoreError>;
    /// What `user_id` stores: posts that are not rejected, and their declared bytes.
    async fn usage(&self, user_id: &str) -> Result<crate::limits::Usage, StoreError>;
    /// Removes a post; false when there was none.
    async fn delete(&self, id: i64) -> Result<bool, StoreError>;
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
