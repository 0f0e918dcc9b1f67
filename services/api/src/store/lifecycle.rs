//! What the sweeper asks of the database: who leads, and which uploads were
//! abandoned.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Post, StoreError};

#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Takes or renews the lease `name` for `holder` until `until`; false when
    /// another holder's lease has not run out at `now`.
    async fn try_lead(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Posts still `pending` that were created before `before`, oldest first.
    async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Post>, StoreError>;
    /// Removes the post if it is still `pending`.
    async fn delete_pending(&self, id: i64) -> Result<bool, StoreError>;
    /// Every post's image key and status, for `gc` (ordered by id, a page after `after_id`).
    async fn keys_after(&self, after_id: i64, limit: u32) -> Result<Vec<Post>, StoreError>;
}
