//! `RATE_LIMIT_USER_PER_MINUTE` on the routes that start an upload, in memory
//! and shared through Redis (127.0.0.1:6379; `scripts/ensure-redis.sh`).

mod support;

use reqwest::{Response, StatusCode, header};
use serde_json::json;
use sqlx::PgPool;
use support::TestApp;

const REDIS_URL: &str = "redis://127.0.0.1:6379";

async fn start_post(app: &TestApp, token: &str) -> Response {
    app.post("/posts", token)
        .json(&json!({ "filename": "a.png", "contentType": "image/png", "size": 100 }))
        .send()
        .await
        .unwrap()
}

async fn start_raw(app: &TestApp, token: &str) -> Response {
    app.post("/uploads", token)
        .json(&json!({ "filename": "a.png", "contentType": "image/png", "size": 100 }))
        .send()
        .await
        .unwrap()
}

/// A 429 with `Retry-After` (whole seconds, at least 1) and `rate_limited`.
async fn assert_limited(response: Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["error"].is_string(), "{body}");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_n_plus_first_upload_start_in_a_minute_is_refused(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--rate-limit-user-per-minute=3")
        .start()
        .await;
    let alice = app.tokens.user("alice");
    // Both routes draw on one allowance.
    assert_eq!(start_post(&app, &alice).await.status(), StatusCode::CREATED);
    assert_eq!(start_raw(&app, &alice).await.status(), StatusCode::OK);
    assert_eq!(start_post(&app, &alice).await.status(), StatusCode::CREATED);
    assert_limited(start_post(&app, &alice).await).await;
    assert_limited(start_raw(&app, &alice).await).await;
    // Nothing was recorded for the refused one.
    assert_eq!(app.get_json("/usage", &alice).await["posts"], 2);
    // Others are not held by alice; admins are limited too.
    let bob = app.tokens.user("bob");
    assert_eq!(start_post(&app, &bob).await.status(), StatusCode::CREATED);
    let root = app.tokens.admin("root");
    for _ in 0..3 {
        assert_eq!(start_raw(&app, &root).await.status(), StatusCode::OK);
    }
    assert_limited(start_raw(&app, &root).await).await;
    // Other routes are not limited.
    assert_eq!(
        app.get("/usage", &alice).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn zero_turns_the_limit_off(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--rate-limit-user-per-minute=0")
        .start()
        .await;
    let alice = app.tokens.user("alice");
    for _ in 0..100 {
        assert_eq!(start_raw(&app, &alice).await.status(), StatusCode::OK);
    }
}

/// Fails the test with a clear message when Redis is not running.
async fn require_redis() {
    if let Err(why) = imgup_limits::ping_redis(REDIS_URL).await {
        panic!("{why}: start it with scripts/ensure-redis.sh (scripts/test.sh does)");
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn replicas_on_one_redis_share_the_limit(pool: PgPool) {
    require_redis().await;
    let prefix = format!("imgup-test:{}:", uuid::Uuid::new_v4());
    let start = |pool: PgPool| {
        TestApp::builder(pool)
            .arg("--rate-limit-user-per-minute=3")
            .arg(format!("--redis-url={REDIS_URL}"))
            .arg(format!("--rate-limit-redis-prefix={prefix}"))
            .start()
    };
    let a = start(pool.clone()).await;
    let b = start(pool).await;
    assert_eq!(a.state.upload_rate.limiter().backend(), "redis");
    let alice = a.tokens.user("alice");
    assert_eq!(start_post(&a, &alice).await.status(), StatusCode::CREATED);
    assert_eq!(start_raw(&b, &alice).await.status(), StatusCode::OK);
    assert_eq!(start_post(&b, &alice).await.status(), StatusCode::CREATED);
    // The fourth, on either replica, is over.
    assert_limited(start_post(&a, &alice).await).await;
    assert_limited(start_raw(&b, &alice).await).await;
    let bob = a.tokens.user("bob");
    assert_eq!(start_raw(&b, &bob).await.status(), StatusCode::OK);
}
