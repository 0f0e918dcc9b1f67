//! "N requests per minute" per key (a user id, a client address), answered with
//! the seconds to wait when the key is over its limit.
//!
//! Two backends behind one [`RateLimiter`]:
//! - in memory (the default): [`governor`]'s keyed GCRA over a sharded map, so
//!   the hot path takes no global lock; each replica counts on its own;
//! - Redis (`REDIS_URL`): a fixed one-minute window per key (`INCR` and
//!   `EXPIRE` in one Lua script), shared by every replica.
//!
//! When Redis cannot answer (down, or slower than [`REDIS_TIMEOUT`]) the
//! limiter fails open *to the local limit*: it logs a warning (at most every
//! ten seconds) and decides with its own in-memory limiter, so an outage
//! neither refuses every request nor lifts the limit altogether: it becomes
//! per replica until Redis is back. Rate limiting is not an authentication
//! control, so refusing everyone while Redis is down would be the worse choice.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;

/// Longest a check waits for Redis before it decides locally.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// How often (in checks) the in-memory limiter drops keys that are back to a
/// full allowance, so that its map does not grow without end.
const SWEEP_EVERY: u64 = 1 << 14;

/// The answer of [`RateLimiter::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit: a request is allowed again in this many seconds (≥ 1),
    /// the value of `Retry-After`.
    Limited {
        retry_after_secs: u64,
    },
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Allowed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    InvalidRedisUrl(#[source] redis::RedisError),
    #[error("cannot set up the Redis connection: {0}")]
    Redis(#[source] redis::RedisError),
}

/// A per-key limiter of `per_minute` requests a minute; `0` lets everything
/// through. Cheap to clone (the counters are shared).
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    per_minute: u32,
    backend: Backend,
}

enum Backend {
    Off,
    Memory(MemoryLimiter),
    Redis(RedisLimiter),
}

impl RateLimiter {
    /// A limiter that allows everything.
    pub fn off() -> Self {
        Self::wrap(0, Backend::Off)
    }

    /// `per_minute` a minute per key, counted in this process.
    pub fn memory(per_minute: u32) -> Self {
        match NonZeroU32::new(per_minute) {
            None => Self::off(),
            Some(n) => Self::wrap(per_minute, Backend::Memory(MemoryLimiter::new(n))),
        }
    }

    /// `per_minute` a minute per key, counted in Redis at `url` under keys
    /// that start with `prefix` (so that limits of different services or
    /// tests do not meet). Connects lazily; must be called inside a Tokio
    /// runtime.
    pub fn redis(per_minute: u32, url: &str, prefix: &str) -> Result<Self, Error> {
        let Some(n) = NonZeroU32::new(per_minute) else {
            return Ok(Self::off());
        };
        let client = redis::Client::open(url).map_err(Error::InvalidRedisUrl)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let connection = redis::aio::ConnectionManager::new_lazy_with_config(client, config)
            .map_err(Error::Redis)?;
        Ok(Self::wrap(
            per_minute,
            Backend::Redis(RedisLimiter {
                connection,
                script: redis::Script::new(WINDOW_SCRIPT),
                prefix: prefix.to_owned(),
                fallback: MemoryLimiter::new(n),
                last_warning: AtomicU64::new(0),
            }),
        ))
    }

    /// Redis when `redis_url` is given, else in memory.
    pub fn new(per_minute: u32, redis_url: Option<&str>, prefix: &str) -> Result<Self, Error> {
        match redis_url.filter(|url| !url.is_empty()) {
            Some(url) => Self::redis(per_minute, url, prefix),
            None => Ok(Self::memory(per_minute)),
        }
    }

    fn wrap(per_minute: u32, backend: Backend) -> Self {
        Self {
            inner: Arc::new(Inner {
                per_minute,
                backend,
            }),
        }
    }

    /// The limit, requests a minute per key (`0`: off).
    pub fn per_minute(&self) -> u32 {
        self.inner.per_minute
    }

    /// Where the counters live: `off`, `memory` or `redis`.
    pub fn backend(&self) -> &'static str {
        match self.inner.backend {
            Backend::Off => "off",
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// Counts one request for `key` and says whether it may go on.
    pub async fn check(&self, key: &str) -> Decision {
        match &self.inner.backend {
            Backend::Off => Decision::Allowed,
            Backend::Memory(memory) => memory.check(key),
            Backend::Redis(redis) => redis.check(self.inner.per_minute, key).await,
        }
    }

    /// The in-memory check without the future, for callers (and the bench)
    /// that know the backend is local; `None` for Redis.
    pub fn check_local(&self, key: &str) -> Option<Decision> {
        match &self.inner.backend {
            Backend::Off => Some(Decision::Allowed),
            Backend::Memory(memory) => Some(memory.check(key)),
            Backend::Redis(_) => None,
        }
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_minute", &self.inner.per_minute)
            .field("backend", &self.backend())
            .finish()
    }
}

type Keyed = governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// GCRA: a burst of `n`, then one more every `60 / n` seconds.
struct MemoryLimiter {
    limiter: Keyed,
    checks: AtomicU64,
}

impl MemoryLimiter {
    fn new(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    fn check(&self, key: &str) -> Decision {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key(&key.to_owned()) {
            Ok(()) => Decision::Allowed,
            Err(not_until) => Decision::Limited {
                retry_after_secs: ceil_secs(not_until.wait_time_from(self.limiter.clock().now())),
            },
        }
    }
}

fn ceil_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Counts the request in the key's current window (which starts at the
/// window's first request and lasts `ARGV[1]` seconds); answers the count and
/// the seconds left in the window.
const WINDOW_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

struct RedisLimiter {
    connection: redis::aio::ConnectionManager,
    script: redis::Script,
    prefix: String,
    fallback: MemoryLimiter,
    /// Unix seconds of the last "Redis is unreachable" warning.
    last_warning: AtomicU64,
}

impl RedisLimiter {
    async fn check(&self, per_minute: u32, key: &str) -> Decision {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation.arg(60);
        let answer = tokio::time::timeout(
            REDIS_TIMEOUT,
            invocation.invoke_async::<(u64, i64)>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok((count, ttl))) if count > u64::from(per_minute) => Decision::Limited {
                retry_after_secs: u64::try_from(ttl).unwrap_or(1).max(1),
            },
            Ok(Ok(_)) => Decision::Allowed,
            Ok(Err(err)) => self.fail_open(key, &err.to_string()),
            Err(_) => self.fail_open(key, "timed out"),
        }
    }

    fn fail_open(&self, key: &str, why: &str) -> Decision {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_warning.load(Ordering::Relaxed);
        if now >= last + 10
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                error = why,
                "rate limit: Redis is unreachable; limiting per replica until it is back"
            );
        }
        self.fallback.check(key)
    }
}

/// Whether Redis at `url` answers a `PING` within two seconds; the error says
/// why not (for start-up checks and tests that need Redis).
pub async fn ping_redis(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|err| format!("{url}: {err}"))?;
    let ping = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
    };
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(format!("Redis at {url} is not reachable: {err}")),
        Err(_) => Err(format!("Redis at {url} did not answer within 2 s")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_n_plus_first_request_waits() {
        let limiter = RateLimiter::memory(3);
        for _ in 0..3 {
            assert_eq!(limiter.check("alice").await, Decision::Allowed);
        }
        let Decision::Limited { retry_after_secs } = limiter.check("alice").await else {
            panic!("the fourth request passed");
        };
        // One more is allowed every 20 s.
        assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
        assert_eq!(limiter.check("bob").await, Decision::Allowed);
    }

    #[tokio::test]
    async fn zero_is_off() {
        let limiter = RateLimiter::new(0, None, "").unwrap();
        assert_eq!(limiter.backend(), "off");
        for _ in 0..1000 {
            assert!(limiter.check("alice").await.is_allowed());
        }
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::ZERO), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1001)), 2);
        assert_eq!(ceil_secs(Duration::from_secs(20)), 20);
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_the_local_limit() {
        // Nothing listens on port 1.
        let limiter = RateLimiter::redis(2, "redis://127.0.0.1:1", "imgup-test:").unwrap();
        assert!(limiter.check("alice").await.is_allowed());
        assert!(limiter.check("alice").await.is_allowed());
        assert!(!limiter.check("alice").await.is_allowed());
        assert!(limiter.check("bob").await.is_allowed());
    }
}
