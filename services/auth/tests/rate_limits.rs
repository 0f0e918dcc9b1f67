//! `RATE_LIMIT_IP_PER_MINUTE` on the sign-in start, code trade, refresh and
//! test-token routes, keyed by the socket's peer address unless
//! `TRUSTED_PROXY_HEADER` says which forwarded header to believe.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use reqwest::{Client, Response, StatusCode, header};
use serde_json::Value;
use sqlx::PgPool;
use support::TestAuth;

/// A client whose connections come from `127.0.0.<n>`.
fn client_from(n: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

async fn test_token(auth: &TestAuth, client: &Client, forwarded_for: Option<&str>) -> Response {
    let mut request = client.post(auth.url("/auth/oauth/test-token?email=ada@example.com"));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    request.send().await.unwrap()
}

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
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["error"].is_string(), "{body}");
}

async fn start(pool: PgPool, extra: &[&str]) -> TestAuth {
    let mut args = vec!["--environment=development".to_owned()];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    TestAuth::start(pool, &args).await
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_n_plus_first_request_from_one_address_is_refused(pool: PgPool) {
    let auth = start(pool, &["--rate-limit-ip-per-minute=4"]).await;
    let one = client_from(1);
    // The four routes draw on one allowance.
    assert_eq!(test_token(&auth, &one, None).await.status(), StatusCode::OK);
    let begin = one
        .get(auth.url("/auth/oauth/google"))
        .send()
        .await
        .unwrap();
    assert_ne!(begin.status(), StatusCode::TOO_MANY_REQUESTS);
    let trade = one
        .post(auth.url("/auth/oauth/token"))
        .form(&[("grant_type", "authorization_code"), ("code", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(trade.status(), StatusCode::BAD_REQUEST);
    let refresh = one
        .post(auth.url("/auth/token/refresh"))
        .json(&serde_json::json!({ "refresh_token": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    assert_limited(test_token(&auth, &one, None).await).await;
    assert_limited(
        one.post(auth.url("/auth/token/refresh"))
            .json(&serde_json::json!({ "refresh_token": "nope" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Another address is not held; unlimited routes stay open.
    assert_eq!(
        test_token(&auth, &client_from(2), None).await.status(),
        StatusCode::OK
    );
    let providers = one.get(auth.url("/auth/providers")).send().await.unwrap();
    assert_eq!(providers.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_spoofed_forwarded_for_does_not_help_without_a_trusted_proxy(pool: PgPool) {
    let auth = start(pool, &["--rate-limit-ip-per-minute=2"]).await;
    let one = client_from(1);
    for n in 0..2 {
        let spoof = format!("203.0.113.{n}");
        assert_eq!(
            test_token(&auth, &one, Some(&spoof)).await.status(),
            StatusCode::OK
        );
    }
    assert_limited(test_token(&auth, &one, Some("203.0.113.99")).await).await;
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn behind_a_trusted_proxy_its_right_most_address_counts(pool: PgPool) {
    let auth = start(
        pool,
        &[
            "--rate-limit-ip-per-minute=2",
            "--trusted-proxy-header=x-forwarded-for",
        ],
    )
    .await;
    // Every request comes from the proxy's socket; the header tells clients apart.
    let proxy = client_from(1);
    for _ in 0..2 {
        let response = test_token(&auth, &proxy, Some("198.51.100.1, 192.0.2.10")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // What the client wrote left of the proxy's entry changes nothing.
    assert_limited(test_token(&auth, &proxy, Some("198.51.100.2, 192.0.2.10")).await).await;
    let other = test_token(&auth, &proxy, Some("198.51.100.1, 192.0.2.11")).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn zero_turns_the_limit_off(pool: PgPool) {
    let auth = start(pool, &["--rate-limit-ip-per-minute=0"]).await;
    let one = client_from(1);
    for _ in 0..50 {
        assert_eq!(test_token(&auth, &one, None).await.status(), StatusCode::OK);
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn replicas_on_one_redis_share_the_limit(pool: PgPool) {
    const REDIS_URL: &str = "redis://127.0.0.1:6379";
    if let Err(why) = imgup_limits::ping_redis(REDIS_URL).await {
        panic!("{why}: start it with scripts/ensure-redis.sh (scripts/test.sh does)");
    }
    let prefix = format!(
        "--rate-limit-redis-prefix=imgup-test:{}:",
        uuid::Uuid::new_v4()
    );
    let redis = format!("--redis-url={REDIS_URL}");
    let args = [
        "--rate-limit-ip-per-minute=2",
        redis.as_str(),
        prefix.as_str(),
    ];
    let a = start(pool.clone(), &args).await;
    let b = start(pool, &args).await;
    let one = client_from(1);
    assert_eq!(test_token(&a, &one, None).await.status(), StatusCode::OK);
    assert_eq!(test_token(&b, &one, None).await.status(), StatusCode::OK);
    assert_limited(test_token(&a, &one, None).await).await;
    assert_eq!(
        test_token(&b, &client_from(2), None).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn refusals_show_in_the_metrics_by_route_and_code(pool: PgPool) {
    let auth = start(pool, &["--rate-limit-ip-per-minute=1"]).await;
    let one = client_from(1);
    assert_eq!(test_token(&auth, &one, None).await.status(), StatusCode::OK);
    assert_limited(test_token(&auth, &one, None).await).await;
    let text = one
        .get(auth.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = imgup_testkit::parse_metrics(&text);
    let value = |name, labels: &[(&str, &str)]| imgup_testkit::metric_value(&samples, name, labels);
    let route = ("route", "/auth/oauth/test-token");
    assert_eq!(
        value("http_requests_total", &[route, ("status", "200")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value("http_requests_total", &[route, ("status", "429")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value("http_errors_total", &[route, ("code", "rate_limited")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(
            "http_request_duration_seconds_count",
            &[route, ("method", "POST")]
        ),
        2.0,
        "{text}"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn metrics_switched_off_are_not_served(pool: PgPool) {
    let auth = start(pool, &["--metrics-enabled=false"]).await;
    let one = client_from(1);
    let response = one.get(auth.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "{body}");
    assert_eq!(test_token(&auth, &one, None).await.status(), StatusCode::OK);
}
