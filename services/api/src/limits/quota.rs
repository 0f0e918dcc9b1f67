use std::time::{Duration, Instant};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// How long `POST /uploads` trusts a user's counted usage: it never waits for
/// the database, so it may run a few seconds behind.
const USAGE_CACHE_FOR: Duration = Duration::from_secs(5);
const USAGE_CACHE_CAPACITY: usize = 10_000;

/// Per-user quotas; `0` means unlimited.
#[derive(Debug, Clone, clap::Args)]
pub struct QuotaSettings {
    /// Posts one user may keep (every post not rejected, pending included; 0: unlimited).
    #[arg(
        long = "quota-user-posts",
        env = "QUOTA_USER_POSTS",
        value_name = "QUOTA_USER_POSTS",
        default_value_t = 1000
    )]
    pub max_posts: u64,
    /// Bytes one user may keep, declared sizes of pending uploads included (0: unlimited).
    #[arg(long = "quota-user-bytes", env = "QUOTA_USER_BYTES", value_name = "QUOTA_USER_BYTES", default_value_t = 1 << 30)]
    pub max_bytes: u64,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        Self {
            max_posts: 1000,
            max_bytes: 1 << 30,
        }
    }
}

/// What a user stores: every post that is not rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub posts: u64,
    pub bytes: u64,
}

pub struct Quota {
    pub settings: QuotaSettings,
    recent: quick_cache::sync::Cache<String, (Instant, Usage)>,
}

impl Quota {
    pub fn new(settings: QuotaSettings) -> Self {
        Self {
            settings,
            recent: quick_cache::sync::Cache::new(USAGE_CACHE_CAPACITY),
        }
    }

    fn unlimited(&self) -> bool {
        self.settings.max_posts == 0 && self.settings.max_bytes == 0
    }

    /// Refuses with `quota_exceeded` when one more upload of `size` bytes
    /// would take `usage` past a quota.
    fn check(&self, usage: Usage, size: u64) -> Result<(), ApiError> {
        let QuotaSettings {
            max_posts,
            max_bytes,
        } = self.settings;
        if max_posts > 0 && usage.posts >= max_posts {
            return Err(ApiError::QuotaExceeded(format!(
                "quota exceeded: you keep {} posts, the limit is {max_posts}",
                usage.posts
            )));
        }
        if max_bytes > 0 && usage.bytes.saturating_add(size) > max_bytes {
            return Err(ApiError::QuotaExceeded(format!(
                "quota exceeded: you keep {} bytes, this upload needs {size} more, the limit is {max_bytes}",
                usage.bytes
            )));
        }
        Ok(())
    }

    /// For `POST /posts`: the usage counted now.
    pub async fn admit(
        &self,
        state: &AppState,
        user: &AuthUser,
        size: u64,
    ) -> Result<(), ApiError> {
        if user.is_admin() || self.unlimited() {
            return Ok(());
        }
        let usage = state.posts.usage(user.id()).await?;
        self.recent
            .insert(user.id().to_owned(), (Instant::now(), usage));
        self.check(usage, size)
    }

    /// For `POST /uploads`, which touches no database on its hot path: the
    /// usage counted in the last few seconds.
    pub async fn admit_cached(
        &self,
        state: &AppState,
        user: &AuthUser,
        size: u64,
    ) -> Result<(), ApiError> {
        if user.is_admin() || self.unlimited() {
            return Ok(());
        }
        let usage = match self.recent.get(user.id()) {
            Some((counted, usage)) if counted.elapsed() < USAGE_CACHE_FOR => usage,
            _ => {
                let usage = state.posts.usage(user.id()).await?;
                self.recent
                    .insert(user.id().to_owned(), (Instant::now(), usage));
                usage
            }
        };
        self.check(usage, size)
    }
}
