use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;

use super::job;
use crate::state::AppState;
use crate::store::ClaimedJob;

/// An idle worker looks for jobs queued by other replicas this often.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Longest wait before a transient failure is retried.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// Starts the pipeline's workers, and the search for images from before the
/// pipeline; they run until [`super::Pipeline::stop`].
pub fn spawn_workers(state: &AppState) -> JoinSet<()> {
    let mut workers = JoinSet::new();
    for _ in 0..state.pipeline.workers {
        workers.spawn(work(state.clone()));
    }
    workers.spawn(super::backfill::run(state.clone()));
    workers
}

async fn work(state: AppState) {
    let pipeline = &state.pipeline;
    let mut stop = pipeline.stop.subscribe();
    while !*stop.borrow_and_update() {
        let now = Utc::now();
        let lease_until = now + pipeline.lease;
        let token = uuid::Uuid::new_v4().simple().to_string();
        match state.jobs.claim(now, lease_until, &token).await {
            Ok(Some(job)) => handle(&state, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = pipeline.wake.notified() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(err) => {
                tracing::warn!("cannot take an image job: {err}");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

async fn handle(state: &AppState, job: ClaimedJob) {
    let post = job.post_id;
    let metrics = &state.metrics;
    metrics.image_jobs_running.inc();
    let started = std::time::Instant::now();
    let result = job::run(state, post).await;
    metrics.image_jobs_running.dec();
    metrics.image_job_seconds.observe(started.elapsed());
    match result {
        Ok(()) => {
            if let Err(err) = state.jobs.finish(&job).await {
                // The lease runs out and the job is done again, harmlessly.
                tracing::warn!(post, "cannot remove a finished image job: {err}");
            }
            let _ = state.pipeline.finished.send(post);
        }
        Err(err) => {
            metrics.image_job_retries.inc();
            let delay = retry_delay(state.pipeline.retry_base, job.attempts);
            tracing::warn!(
                post,
                attempt = job.attempts,
                ?delay,
                "image job failed, will retry: {err}"
            );
            let run_after = Utc::now() + delay;
            if let Err(err) = state.jobs.retry(&job, run_after, &err.to_string()).await {
                tracing::warn!(post, "cannot reschedule an image job: {err}");
            }
        }
    }
}

/// `base`, doubled for every attempt after the first, at most five minutes.
fn retry_delay(base: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    base.saturating_mul(1 << doublings).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_five_minutes() {
        let base = Duration::from_secs(1);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(1));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(2));
        assert_eq!(retry_delay(base, 5), Duration::from_secs(16));
        assert_eq!(retry_delay(base, 30), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(base, u32::MAX), MAX_RETRY_DELAY);
    }
}
