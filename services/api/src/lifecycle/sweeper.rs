use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use imgup_policy::ObjectKey;
use tokio::task::JoinHandle;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::PostStatus;

const LEASE_NAME: &str = "sweeper";
/// Pending posts handled per pass; the next pass takes the rest.
const BATCH: u32 = 500;

/// What one pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Posts left `pending` past the TTL, with whatever their URL put.
    pub expired_posts: u64,
    /// Uploads in `incoming/` that nothing will read: raw uploads never read,
    /// and bytes PUT again through an old URL after the post was processed.
    pub stray_uploads: u64,
}

/// How often the sweeper runs: a quarter of the TTL, between 1 s and a minute,
/// so that an expired upload is gone within a minute of expiring.
fn interval(ttl: Duration) -> Duration {
    (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Runs the sweeper until the pipeline stops; only the replica that holds the
/// database lease sweeps. Nothing runs when the TTL is 0.
pub fn spawn_sweeper(state: &AppState) -> Option<JoinHandle<()>> {
    let ttl = state.pending_ttl?;
    let state = state.clone();
    Some(tokio::spawn(async move {
        let every = interval(ttl);
        let holder = uuid::Uuid::new_v4().simple().to_string();
        let mut stop = state.pipeline.stopped();
        let mut ticks = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.changed() => return,
            }
            let now = Utc::now();
            let lease = now + TimeDelta::from_std(every * 3).unwrap_or(TimeDelta::MAX);
            match state
                .lifecycle
                .try_lead(LEASE_NAME, &holder, now, lease)
                .await
            {
                Ok(true) => match sweep_once(&state, ttl, now).await {
                    Ok(swept) if swept != Swept::default() => {
                        state.metrics.swept_posts.inc_by(swept.expired_posts);
                        state.metrics.swept_uploads.inc_by(swept.stray_uploads);
                        tracing::info!(
                            expired_posts = swept.expired_posts,
                            stray_uploads = swept.stray_uploads,
                            "swept abandoned uploads"
                        );
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!("sweep failed, will try again: {err}"),
                },
                Ok(false) => {}
                Err(err) => tracing::warn!("cannot take the sweeper lease: {err}"),
            }
        }
    }))
}

/// One pass: everything abandoned for longer than `ttl` at `now` is removed.
pub async fn sweep_once(
    state: &AppState,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Swept, ApiError> {
    let cutoff = now - TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
    let mut swept = Swept::default();
    for post in state.lifecycle.pending_before(cutoff, BATCH).await? {
        // The object first: a failure leaves the post, and the next pass retries.
        if let Ok(key) = ObjectKey::parse(&post.image_key) {
            state.storage.delete(&key.incoming()).await?;
        }
        if state.lifecycle.delete_pending(post.id).await? {
            swept.expired_posts += 1;
        }
    }
    for object in state.storage.list("incoming/").await? {
        if object.last_modified >= cutoff {
            continue;
        }
        let served = object.key.replacen("incoming/", "uploads/", 1);
        let still_wanted = match state.posts.find_by_key(&served).await? {
            Some(post) => matches!(post.status, PostStatus::Pending | PostStatus::Processing),
            None => false,
        };
        if !still_wanted {
            state.storage.delete(&object.key).await?;
            swept.stray_uploads += 1;
        }
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweeper_runs_at_least_once_a_minute_and_sooner_for_a_short_ttl() {
        assert_eq!(
            interval(Duration::from_secs(86_400)),
            Duration::from_secs(60)
        );
        assert_eq!(interval(Duration::from_secs(20)), Duration::from_secs(5));
        assert_eq!(interval(Duration::from_secs(1)), Duration::from_secs(1));
    }
}
