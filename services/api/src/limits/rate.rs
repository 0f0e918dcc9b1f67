//! Requests a minute per user on the routes that start an upload
//! (`POST /uploads`, `POST /posts`): in memory, or shared by every replica in
//! Redis when `REDIS_URL` is set.

use imgup_limits::{Decision, RateLimiter};

use crate::auth::AuthUser;
use crate::error::ApiError;

/// How fast one user may start uploads.
#[derive(Clone, clap::Args)]
pub struct RateLimitSettings {
    /// Uploads one user may start a minute (`POST /uploads` and `POST /posts`
    /// together; admins too; 0: off).
    #[arg(
        long = "rate-limit-user-per-minute",
        env = "RATE_LIMIT_USER_PER_MINUTE",
        value_name = "RATE_LIMIT_USER_PER_MINUTE",
        default_value_t = 60
    )]
    pub user_per_minute: u32,
    /// Redis that holds the counters, shared by every replica (default: each
    /// replica counts in memory). Unreachable: each replica limits on its own.
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        value_name = "REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,
    /// Start of the API's keys in Redis.
    #[arg(
        long = "rate-limit-redis-prefix",
        env = "RATE_LIMIT_REDIS_PREFIX",
        value_name = "RATE_LIMIT_REDIS_PREFIX",
        default_value = "imgup:api:rate:"
    )]
    pub redis_prefix: String,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            user_per_minute: 60,
            redis_url: None,
            redis_prefix: "imgup:api:rate:".into(),
        }
    }
}

impl std::fmt::Debug for RateLimitSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitSettings")
            .field("user_per_minute", &self.user_per_minute)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<redacted>"))
            .field("redis_prefix", &self.redis_prefix)
            .finish()
    }
}

/// The per-user limit on starting uploads.
pub struct UploadRate {
    limiter: RateLimiter,
}

impl UploadRate {
    /// Must be called inside a Tokio runtime when `REDIS_URL` is set.
    pub fn new(settings: &RateLimitSettings) -> Result<Self, imgup_limits::Error> {
        let limiter = RateLimiter::new(
            settings.user_per_minute,
            settings.redis_url.as_deref(),
            &settings.redis_prefix,
        )?;
        Ok(Self { limiter })
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Counts one upload start for `user`; `RateLimited` past the limit.
    pub async fn admit(&self, user: &AuthUser) -> Result<(), ApiError> {
        match self.limiter.check(user.id()).await {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after_secs } => Err(ApiError::RateLimited {
                retry_after: retry_after_secs,
            }),
        }
    }
}
