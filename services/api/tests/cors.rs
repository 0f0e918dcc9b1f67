//! CORS: a page at an allowed origin may call the API with its bearer token;
//! any other origin gets no CORS headers, so the browser keeps the answer from it.

mod support;

use reqwest::{Method, StatusCode};
use sqlx::PgPool;
use support::TestApp;

const FRONTEND: &str = "http://localhost:5173";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.http
        .request(Method::OPTIONS, app.url("/posts"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_allowed_origin_may_call_the_api_and_others_may_not(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg(format!(
            "--cors-allowed-origins={FRONTEND},https://app.example.com"
        ))
        .start()
        .await;
    let allowed = preflight(&app, FRONTEND).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], FRONTEND);
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "bearer tokens, no cookies"
    );

    let evil = preflight(&app, "https://evil.example").await;
    assert!(evil.headers().get("access-control-allow-origin").is_none());

    let token = app.tokens.user("alice");
    let list = app
        .get("/posts", &token)
        .header("origin", FRONTEND)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(list.headers()["access-control-allow-origin"], FRONTEND);
    let foreign = app
        .get("/posts", &token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn without_the_setting_no_origin_is_allowed(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let response = preflight(&app, FRONTEND).await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
