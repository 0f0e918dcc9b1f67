//! The image job queue, in the same database as the posts: durable across
//! restarts, and safe with several API replicas (a claimed job is leased, and
//! only the lease holder may finish it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A job this worker holds until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub post_id: i64,
    /// How many times the job has been claimed, this time included.
    pub attempts: u32,
    pub lease_token: String,
}

#[async_trait]
pub trait ImageJobs: Send + Sync {
    /// Takes the oldest due job, leasing it until `lease_until`; a job whose
    /// worker died becomes due again when its lease runs out.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease_token: &str,
    ) -> Result<Option<ClaimedJob>, StoreError>;
    /// Removes the job, if this worker still holds it.
    async fn finish(&self, job: &ClaimedJob) -> Result<(), StoreError>;
    /// Gives the job back, due again at `run_after`.
    async fn retry(
        &self,
        job: &ClaimedJob,
        run_after: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Jobs queued or running.
    async fn depth(&self) -> Result<u64, StoreError>;
    /// Puts `ready` posts whose image was never checked (recorded before the
    /// image pipeline existed, or by an older replica during an upgrade) back
    /// to `processing`, each with a job: at most `limit`, or only post `only`.
    /// Returns the ids it queued.
    async fn queue_unchecked(
        &self,
        only: Option<i64>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;
}
