//! The development token, `/auth/verify` and `/auth/me`, and the production default.

mod support;

use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use support::TestAuth;

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_test_token_is_off_unless_the_environment_says_development(pool: PgPool) {
    let production = TestAuth::start(pool.clone(), &[]).await;
    let http = Client::new();
    let response = http
        .post(production.url("/auth/oauth/test-token?email=test@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");

    let explicit = TestAuth::start(pool, &["--environment=production".into()]).await;
    let response = http
        .post(explicit.url("/auth/oauth/test-token?email=test@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_seed_token_flow_in_development(pool: PgPool) {
    let auth = TestAuth::start(
        pool,
        &[
            "--environment=development".into(),
            "--admin-emails=root@example.com".into(),
        ],
    )
    .await;
    let http = Client::new();
    let response = http
        .post(auth.url("/auth/oauth/test-token?email=test@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let issued: Value = response.json().await.unwrap();
    assert_eq!(issued["token_type"], "bearer");
    assert_eq!(issued["user"]["email"], "test@example.com");
    assert_eq!(issued["user"]["name"], "Test User");
    let user_id = issued["user"]["user_id"]
        .as_i64()
        .expect("a numeric user id");
    let token = issued["access_token"].as_str().unwrap();

    let verified: Value = http
        .post(auth.url("/auth/verify"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        verified,
        serde_json::json!({ "user_id": user_id, "email": "test@example.com" })
    );

    let me: Value = http
        .get(auth.url("/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user_id"], user_id);
    assert_eq!(me["role"], "user");

    let again: Value = http
        .post(auth.url("/auth/oauth/test-token?email=TEST@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["user"]["user_id"], user_id,
        "emails are matched without regard to case"
    );

    let admin: Value = http
        .post(auth.url("/auth/oauth/test-token?email=root@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = auth
        .state
        .verifier
        .verify(admin["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(claims.is_admin());

    for bad in ["", "no-at-sign", "a@b", "a b@example.com", "@example.com"] {
        let response = http
            .post(auth.url("/auth/oauth/test-token"))
            .query(&[("email", bad)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request", "{bad:?}");
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn verify_and_me_refuse_bad_tokens(pool: PgPool) {
    let auth = TestAuth::start(pool, &[]).await;
    let http = Client::new();
    let other = imgup_testkit::TestTokens::new(&imgup_jwt::JwtSettings::hs256(
        "some-other-secret-of-32-bytes-or-more",
    ));
    let cases = [None, Some("garbage".to_owned()), Some(other.user("1"))];
    for token in cases {
        for (method, path) in [("POST", "/auth/verify"), ("GET", "/auth/me")] {
            let mut request = http.request(method.parse().unwrap(), auth.url(path));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{path} {token:?}"
            );
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "unauthorized", "{path} {token:?}");
        }
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn every_error_body_has_a_stable_code(pool: PgPool) {
    let auth = TestAuth::start(pool, &[]).await;
    let http = Client::new();
    for (method, path, status, code) in [
        ("GET", "/nowhere", StatusCode::NOT_FOUND, "not_found"),
        (
            "GET",
            "/auth/oauth/myspace",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "GET",
            "/auth/oauth/google",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "GET",
            "/auth/oauth/token",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "POST",
            "/auth/oauth/token",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let response = http
            .request(method.parse().unwrap(), auth.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn health_and_readiness(pool: PgPool) {
    let auth = TestAuth::start(pool, &[]).await;
    let http = Client::new();
    assert_eq!(
        http.get(auth.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let ready: Value = http
        .get(auth.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_page_at_an_allowed_origin_may_refresh_and_others_get_no_cors_headers(pool: PgPool) {
    let auth = TestAuth::start(
        pool,
        &["--cors-allowed-origins=https://app.example.com".to_owned()],
    )
    .await;
    let preflight = |origin: &'static str| {
        Client::new()
            .request(reqwest::Method::OPTIONS, auth.url("/auth/token/refresh"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(
        allowed.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    // Credentials (the sign-in cookie) are never shared with a page.
    assert!(
        !allowed
            .headers()
            .contains_key("access-control-allow-credentials")
    );
}
