//! What happens to an upload after `complete`: a durable job in the database,
//! taken by one of a bounded set of workers, which decodes, checks, cleans and
//! renders the image off the async runtime (see `imgup-imaging`) and only then
//! lets anyone read it.

mod backfill;
mod checks;
mod job;
mod waiter;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, watch};

pub use backfill::queue_unchecked;
pub use checks::{mismatch, reject, uploaded};
pub use waiter::Waiter;
pub use worker::spawn_workers;

use crate::config::ImageSettings;

/// Served keys remembered as checked, so that `GET /images/{key}` of a ready
/// image costs no database round trip (about 10 MB at most).
const SERVED_CACHE_CAPACITY: usize = 100_000;

/// The pipeline's settings and the signals between requests and workers.
pub struct Pipeline {
    pub imaging: Arc<imgup_imaging::Settings>,
    pub workers: usize,
    /// Jobs that may wait before `complete` answers 503 (0: no bound).
    pub queue_max: u64,
    pub complete_wait: Duration,
    pub lease: Duration,
    pub retry_base: Duration,
    /// Pixel memory in MiB, shared by the workers.
    memory: Arc<Semaphore>,
    memory_mb: u32,
    wake: Notify,
    finished: broadcast::Sender<i64>,
    stop: watch::Sender<bool>,
    served: quick_cache::sync::Cache<String, ()>,
    processed: AtomicU64,
}

impl Pipeline {
    pub fn new(settings: &ImageSettings) -> Self {
        Self {
            imaging: Arc::new(settings.imaging()),
            workers: settings.workers(),
            queue_max: settings.queue_max,
            complete_wait: Duration::from_millis(settings.complete_wait_ms),
            lease: Duration::from_secs(settings.lease_seconds),
            retry_base: Duration::from_millis(settings.retry_base_ms),
            memory: Arc::new(Semaphore::new(settings.memory_mb as usize)),
            memory_mb: settings.memory_mb,
            wake: Notify::new(),
            finished: broadcast::channel(1024).0,
            stop: watch::channel(false).0,
            served: quick_cache::sync::Cache::new(SERVED_CACHE_CAPACITY),
            processed: AtomicU64::new(0),
        }
    }

    /// Tells a local worker that a job was queued (others find it by polling).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts listening for finished jobs; take it before queueing, so that
    /// no result can slip past.
    pub fn subscribe(&self) -> Waiter {
        Waiter::new(self.finished.subscribe(), self.complete_wait)
    }

    /// Becomes true when the service stops.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Workers take no new job after this; running ones finish.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Waits until the pixel memory `probe`'s image needs is free. The estimate
    /// is what decoding, turning and rendering such an image was measured to
    /// hold at its peak (about 1.6 × four bytes a pixel), plus the file itself.
    pub async fn reserve_memory(
        &self,
        probe: &imgup_imaging::Probe,
        file_len: usize,
    ) -> OwnedSemaphorePermit {
        let pixels = u64::from(probe.width) * u64::from(probe.height);
        let bytes = pixels * 4 * 8 / 5 + 2 * file_len as u64;
        let mib = bytes.div_ceil(1 << 20).clamp(1, u64::from(self.memory_mb));
        self.memory
            .clone()
            .acquire_many_owned(mib as u32)
            .await
            .expect("the memory semaphore is never closed")
    }

    /// Images this process has decoded (accepted or rejected) since it started.
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    pub fn is_served(&self, key: &str) -> bool {
        self.served.get(key).is_some()
    }

    pub fn mark_served(&self, key: &str) {
        self.served.insert(key.to_owned(), ());
    }

    pub fn forget_served(&self, key: &str) {
        self.served.remove(key);
    }
}
