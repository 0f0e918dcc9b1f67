//! The Redis backend against the Redis server at 127.0.0.1:6379
//! (`scripts/ensure-redis.sh` starts it).

use imgup_limits::{Decision, RateLimiter};

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Fails the test with a clear message when Redis is not running.
async fn require_redis() {
    if let Err(why) = imgup_limits::ping_redis(REDIS_URL).await {
        panic!("{why}: start it with scripts/ensure-redis.sh (scripts/test.sh does)");
    }
}

fn unique_prefix() -> String {
    format!("imgup-test:{}:", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn two_limiters_on_one_redis_share_the_count() {
    require_redis().await;
    let prefix = unique_prefix();
    let a = RateLimiter::redis(3, REDIS_URL, &prefix).unwrap();
    let b = RateLimiter::redis(3, REDIS_URL, &prefix).unwrap();
    assert_eq!(a.backend(), "redis");
    assert!(a.check("alice").await.is_allowed());
    assert!(b.check("alice").await.is_allowed());
    assert!(a.check("alice").await.is_allowed());
    let Decision::Limited { retry_after_secs } = b.check("alice").await else {
        panic!("the fourth request passed on the second replica");
    };
    assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}");
    assert!(a.check("bob").await.is_allowed());
}

#[tokio::test]
async fn prefixes_keep_limits_apart() {
    require_redis().await;
    let a = RateLimiter::redis(1, REDIS_URL, &unique_prefix()).unwrap();
    let b = RateLimiter::redis(1, REDIS_URL, &unique_prefix()).unwrap();
    assert!(a.check("alice").await.is_allowed());
    assert!(!a.check("alice").await.is_allowed());
    assert!(b.check("alice").await.is_allowed());
}
