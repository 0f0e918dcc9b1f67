use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::{Instant, MissedTickBehavior};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Post, PostStatus};

/// Another replica's worker sends us nothing: look at the database this often.
const RECHECK: Duration = Duration::from_millis(250);

/// Waits, for a bounded time, until a post has left `processing`.
pub struct Waiter {
    finished: broadcast::Receiver<i64>,
    timeout: Duration,
}

impl Waiter {
    pub(super) fn new(finished: broadcast::Receiver<i64>, timeout: Duration) -> Self {
        Self { finished, timeout }
    }

    /// The post once it is `ready` or `rejected`, or as it is when the time is
    /// up (still `processing`); `None` when it is gone.
    pub async fn wait(mut self, state: &AppState, id: i64) -> Result<Option<Post>, ApiError> {
        let deadline = Instant::now() + self.timeout;
        let mut recheck = tokio::time::interval_at(Instant::now() + RECHECK, RECHECK);
        recheck.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let post = state.posts.get(id).await?;
            match &post {
                Some(post) if post.status == PostStatus::Processing => {}
                _ => return Ok(post),
            }
            if Instant::now() >= deadline {
                return Ok(post);
            }
            self.next_signal(id, deadline, &mut recheck).await;
        }
    }

    /// Returns when our job may have finished: its id was announced, the
    /// announcements overflowed, a recheck is due, or time is up.
    async fn next_signal(
        &mut self,
        id: i64,
        deadline: Instant,
        recheck: &mut tokio::time::Interval,
    ) {
        loop {
            tokio::select! {
                finished = self.finished.recv() => match finished {
                    Ok(done) if done != id => {}
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => {
                        recheck.tick().await;
                        return;
                    }
                },
                _ = recheck.tick() => return,
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }
}
