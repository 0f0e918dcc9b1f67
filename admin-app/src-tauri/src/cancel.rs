//! Cancelling an upload in flight: each upload registers under its
//! `x-upload-id` while it runs, and `upload_cancel` trips its switch, which
//! [`crate::client::ImgupClient::upload_cancellable`] watches (the PUT is
//! dropped mid-body and the half-made post deleted).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

/// The cancel switch one upload watches.
#[derive(Clone, Debug)]
pub struct UploadCancel(watch::Receiver<bool>);

impl UploadCancel {
    /// A switch and what watches it.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    /// One that is never tripped.
    pub fn never() -> Self {
        Self::new().1
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the switch is tripped (never, when nobody can trip it).
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|tripped| *tripped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Cancels remembered for uploads not registered yet, at most (a cancel may
/// arrive before the upload's bytes have crossed over to Rust).
const EARLY_CANCELS: usize = 256;

/// The uploads running now, by upload id.
#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, watch::Sender<bool>>>);

/// Unregisters its upload when dropped (finished, failed, or the command dropped).
pub struct Registered<'a> {
    uploads: &'a Uploads,
    id: String,
    pub cancel: UploadCancel,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.uploads.lock().remove(&self.id);
    }
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.0.lock().expect("not poisoned")
    }

    /// Registers an upload that starts now: already cancelled when
    /// [`Self::cancel`] named it first.
    pub fn start(&self, id: &str) -> Registered<'_> {
        let mut map = self.lock();
        let cancel = match map.get(id) {
            Some(early) => UploadCancel(early.subscribe()),
            None => {
                let (tx, cancel) = UploadCancel::new();
                map.insert(id.to_owned(), tx);
                cancel
            }
        };
        Registered {
            uploads: self,
            id: id.to_owned(),
            cancel,
        }
    }

    /// Cancels the upload `id`; `true` when it is running now. One not
    /// running yet is cancelled as soon as it starts.
    pub fn cancel(&self, id: &str) -> bool {
        let mut map = self.lock();
        if let Some(tx) = map.get(id) {
            tx.send_replace(true);
            return tx.receiver_count() > 0;
        }
        // No upload watches these: cancels that came early (or too late).
        let early = map.values().filter(|tx| tx.receiver_count() == 0).count();
        if early >= EARLY_CANCELS {
            map.retain(|_, tx| tx.receiver_count() > 0);
        }
        let (tx, _) = watch::channel(true);
        map.insert(id.to_owned(), tx);
        false
    }

    /// How many uploads are registered (running, or cancelled early).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_cancel_reaches_the_running_upload_and_only_it() {
        let uploads = Uploads::default();
        let a = uploads.start("a");
        let b = uploads.start("b");
        assert!(!a.cancel.is_cancelled());
        assert!(uploads.cancel("a"), "a is running");
        assert!(a.cancel.is_cancelled());
        tokio::time::timeout(Duration::from_secs(1), a.cancel.cancelled())
            .await
            .expect("the watcher wakes");
        assert!(!b.cancel.is_cancelled());
        drop(a);
        drop(b);
        assert!(uploads.is_empty(), "finished uploads are forgotten");
    }

    #[tokio::test]
    async fn a_cancel_that_comes_first_stops_the_upload_as_it_starts() {
        let uploads = Uploads::default();
        assert!(!uploads.cancel("early"), "not running yet");
        let started = uploads.start("early");
        assert!(started.cancel.is_cancelled());
        drop(started);
        assert!(uploads.is_empty());
        // A switch nobody can trip never fires.
        let never = UploadCancel::never();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), never.cancelled())
                .await
                .is_err()
        );
    }

    #[test]
    fn early_cancels_are_bounded() {
        let uploads = Uploads::default();
        let running = uploads.start("running");
        for n in 0..(3 * EARLY_CANCELS) {
            uploads.cancel(&format!("gone-{n}"));
        }
        assert!(uploads.len() <= EARLY_CANCELS + 1, "{}", uploads.len());
        assert!(uploads.cancel("running"));
        assert!(running.cancel.is_cancelled());
    }
}
