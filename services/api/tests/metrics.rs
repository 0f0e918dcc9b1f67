//! `GET /metrics`: the Prometheus exposition that an operator scrapes, read
//! back with an independent parser (`prometheus-parse`).

mod support;

use imgup_testkit::{Sample, metric_value as value, parse_metrics};
use reqwest::{StatusCode, header};
use serde_json::json;
use sqlx::PgPool;
use support::TestApp;

async fn scrape(app: &TestApp) -> (Vec<Sample>, String) {
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    (parse_metrics(&text), text)
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn requests_are_counted_by_route_method_and_status_and_refusals_by_code(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--rate-limit-user-per-minute=2")
        .arg("--quota-user-posts=1")
        .start()
        .await;
    let alice = app.tokens.user("alice");
    let bob = app.tokens.user("bob");
    let start = |token: String, content_type: &'static str| {
        let app = &app;
        async move {
            app.post("/posts", &token)
                .json(&json!({ "filename": "a.png", "contentType": content_type, "size": 100 }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(start(alice.clone(), "image/png").await, StatusCode::CREATED);
    // Over the quota of one post, then over the rate limit of two starts.
    assert_eq!(
        start(alice.clone(), "image/png").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        start(alice.clone(), "image/png").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        start(bob.clone(), "text/html").await,
        StatusCode::BAD_REQUEST
    );
    for id in [1, 2] {
        let response = app
            .get(&format!("/posts/{}", id + 1000), &bob)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let nowhere = app.http.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);

    let (scrape, text) = scrape(&app).await;
    let requests = |route, method, status| {
        value(
            &scrape,
            "http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/posts", "POST", "201"), 1.0, "{text}");
    assert_eq!(requests("/posts", "POST", "403"), 1.0, "{text}");
    assert_eq!(requests("/posts", "POST", "429"), 1.0, "{text}");
    assert_eq!(requests("/posts", "POST", "400"), 1.0, "{text}");
    // Routes are labelled by their pattern, never by the ids in the path.
    assert_eq!(requests("/posts/{id}", "GET", "404"), 2.0, "{text}");
    assert_eq!(requests("unmatched", "GET", "404"), 1.0, "{text}");
    assert!(!text.contains("/posts/1001"), "{text}");

    let errors = |code| value(&scrape, "http_errors_total", &[("code", code)]);
    assert_eq!(errors("quota_exceeded"), 1.0, "{text}");
    assert_eq!(errors("rate_limited"), 1.0, "{text}");
    assert_eq!(errors("unsupported_type"), 1.0, "{text}");
    assert_eq!(errors("not_found"), 3.0, "{text}");

    // One latency observation per answer, in seconds.
    let count = value(
        &scrape,
        "http_request_duration_seconds_count",
        &[("route", "/posts"), ("method", "POST")],
    );
    assert_eq!(count, 4.0, "{text}");
    let sum = value(
        &scrape,
        "http_request_duration_seconds_sum",
        &[("route", "/posts"), ("method", "POST")],
    );
    assert!(sum > 0.0 && sum < 10.0, "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    // Bucket counts are cumulative: the +Inf one holds every answer.
    let all = value(
        &scrape,
        "http_request_duration_seconds_bucket",
        &[("route", "/posts"), ("method", "POST"), ("le", "+Inf")],
    );
    assert_eq!(all, 4.0, "{text}");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_image_queue_and_its_outcomes_are_counted(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let png = imgup_testkit::real_image_of("image/png");
    let post = app
        .upload_ready_post(&alice, "a.png", "image/png", png)
        .await;
    assert_eq!(post["status"], "ready", "{post}");
    let (scrape, text) = scrape(&app).await;
    assert_eq!(
        value(&scrape, "imgup_api_images_total", &[("outcome", "ready")]),
        1.0,
        "{text}"
    );
    let jobs = value(&scrape, "imgup_api_image_job_duration_seconds_count", &[]);
    assert_eq!(jobs, 1.0, "{text}");
    assert_eq!(
        value(&scrape, "imgup_api_image_jobs_running", &[]),
        0.0,
        "{text}"
    );
    assert!(text.contains("imgup_api_swept_posts_total 0"), "{text}");
    assert!(
        text.contains("imgup_api_image_job_retries_total 0"),
        "{text}"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn metrics_switched_off_are_not_served_and_the_api_still_works(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--metrics-enabled=false")
        .start()
        .await;
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    let body = support::error_body(response, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "not_found", "{body}");
    let alice = app.tokens.user("alice");
    let response = app
        .post("/posts", &alice)
        .json(&json!({ "filename": "a.png", "contentType": "image/png", "size": 100 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}
