//! Images that were never checked: posts made `ready` before the pipeline
//! existed, whose objects are what their clients PUT (metadata and all, at
//! the served key). They go through the pipeline like a new upload, and until
//! they come out of it nobody is served them. Every replica looks for them at
//! start and then once a minute, since an older replica may still make them
//! during a rolling upgrade.

use std::time::Duration;

use chrono::Utc;

use crate::error::ApiError;
use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(60);
/// Posts queued per pass (the next pass takes the rest).
const BATCH: u32 = 500;

pub(super) async fn run(state: AppState) {
    let mut stop = state.pipeline.stopped();
    loop {
        match queue_unchecked(&state, None).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::info!(queued, "unchecked images from before the pipeline queued")
            }
            Err(err) => tracing::warn!("cannot look for unchecked images: {err}"),
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Queues unchecked posts, or only post `only`; returns how many. A pass
/// leaves half the job queue's bound free for new uploads.
pub async fn queue_unchecked(state: &AppState, only: Option<i64>) -> Result<usize, ApiError> {
    let mut limit = BATCH;
    let queue_max = state.pipeline.queue_max;
    if only.is_none() && queue_max > 0 {
        let room = (queue_max / 2).saturating_sub(state.jobs.depth().await?);
        limit = limit.min(u32::try_from(room).unwrap_or(u32::MAX));
        if limit == 0 {
            return Ok(0);
        }
    }
    let queued = state.jobs.queue_unchecked(only, limit, Utc::now()).await?;
    if !queued.is_empty() {
        state.pipeline.wake();
    }
    Ok(queued.len())
}
