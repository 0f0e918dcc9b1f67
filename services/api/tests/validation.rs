//! Bad requests get a clear 4xx JSON error: never a 5xx, never a panic.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_of};

const MAX: u64 = 10 * 1024 * 1024;

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_validation_table_over_http(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let table: Vec<(Value, StatusCode, Option<&str>)> = vec![
        (
            json!({"filename": "cat.jpg", "contentType": "image/jpeg", "size": 123456}),
            StatusCode::OK,
            None,
        ),
        (
            json!({"filename": "CAT.JPEG", "contentType": "image/jpeg", "size": 1}),
            StatusCode::OK,
            None,
        ),
        (
            json!({"filename": "limit.png", "contentType": "image/png", "size": MAX}),
            StatusCode::OK,
            None,
        ),
        (
            json!({"filename": "x.avif", "contentType": "image/avif", "size": 5, "extra": true}),
            StatusCode::OK,
            None,
        ),
        (
            json!({"filename": "big.png", "contentType": "image/png", "size": MAX + 1}),
            StatusCode::BAD_REQUEST,
            Some("File too large"),
        ),
        (
            json!({"filename": "huge.png", "contentType": "image/png", "size": u64::MAX}),
            StatusCode::BAD_REQUEST,
            Some("File too large"),
        ),
        (
            json!({"filename": "cat.gif", "contentType": "image/gif", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("Unsupported file type"),
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/jpeg", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("Unsupported file type"),
        ),
        (
            json!({"filename": "cat.svg", "contentType": "image/svg+xml", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("Unsupported file type"),
        ),
        (
            json!({"filename": "cat", "contentType": "image/png", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("Unsupported file type"),
        ),
        (
            json!({"filename": "evil.html", "contentType": "text/html", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("Unsupported file type"),
        ),
        (
            json!({"filename": "empty.png", "contentType": "image/png", "size": 0}),
            StatusCode::BAD_REQUEST,
            Some("size must be greater than zero"),
        ),
        (
            json!({"filename": "", "contentType": "image/png", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("invalid filename: it is empty"),
        ),
        (
            json!({"filename": "a\nb.png", "contentType": "image/png", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("invalid filename: it contains control characters"),
        ),
        (
            json!({"filename": format!("{}.png", "x".repeat(5000)), "contentType": "image/png", "size": 10}),
            StatusCode::BAD_REQUEST,
            Some("invalid filename: it is longer than 255 bytes"),
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/png", "size": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/png", "size": 1.5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/png", "size": "12"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/png", "size": 1e30}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"filename": "cat.png", "contentType": "image/png"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"filename": 7, "contentType": "image/png", "size": 10}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"contentType": "image/png", "size": 10}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (json!([1, 2, 3]), StatusCode::UNPROCESSABLE_ENTITY, None),
        (json!(null), StatusCode::UNPROCESSABLE_ENTITY, None),
    ];
    for path in ["/uploads", "/posts"] {
        for (body, status, message) in &table {
            let response = app.post(path, &token).json(body).send().await.unwrap();
            let expected = if *status == StatusCode::OK && path == "/posts" {
                StatusCode::CREATED
            } else {
                *status
            };
            assert_eq!(response.status(), expected, "{path} {body}");
            let json: Value = response.json().await.expect("JSON body");
            match message {
                Some(message) => {
                    let code = match *message {
                        "File too large" => "file_too_large",
                        "Unsupported file type" => "unsupported_type",
                        _ => json["code"].as_str().unwrap_or("a code"),
                    };
                    assert_eq!(
                        json,
                        json!({ "error": message, "code": code }),
                        "{path} {body}"
                    );
                }
                None if status.is_success() => assert!(json["presignedUrl"].is_string()),
                None => assert!(
                    json["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "{path} {body}: {json}"
                ),
            }
        }
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn gif_is_accepted_only_when_enabled(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--allowed-mime-types=image/png,image/gif")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let gif = app
        .post("/uploads", &token)
        .json(&json!({"filename": "anim.gif", "contentType": "image/gif", "size": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(gif.status(), StatusCode::OK);
    let jpeg = app
        .post("/uploads", &token)
        .json(&json!({"filename": "cat.jpg", "contentType": "image/jpeg", "size": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(jpeg, StatusCode::BAD_REQUEST).await,
        "Unsupported file type"
    );

    // Clients learn the same policy, without signing in, before they send anything.
    let policy = policy_of(&app).await;
    assert_eq!(policy["allowedTypes"], json!(["image/png", "image/gif"]));
    assert_eq!(policy["extensions"]["image/gif"], json!(["gif"]));
    assert_eq!(policy["maxBytes"], 10 * 1024 * 1024);
}

/// `GET /policy`, asked without a token.
async fn policy_of(app: &TestApp) -> serde_json::Value {
    let response = reqwest::get(app.url("/policy")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_published_policy_is_the_one_enforced(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--max-upload-bytes=1000")
        .start()
        .await;
    let policy = policy_of(&app).await;
    assert_eq!(policy["maxBytes"], 1000);
    assert_eq!(
        policy["allowedTypes"],
        json!(["image/jpeg", "image/png", "image/webp", "image/avif"])
    );
    assert_eq!(policy["extensions"]["image/jpeg"], json!(["jpg", "jpeg"]));
    let token = app.tokens.user("alice");
    let at_limit = app
        .post("/uploads", &token)
        .json(&json!({"filename": "a.png", "contentType": "image/png", "size": policy["maxBytes"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(at_limit.status(), StatusCode::OK);
    let over = app
        .post("/uploads", &token)
        .json(&json!({"filename": "a.png", "contentType": "image/png", "size": 1001}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(over, StatusCode::BAD_REQUEST).await,
        "File too large"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn malformed_bodies_get_json_errors(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode)> = vec![
        (
            Some("application/json"),
            b"{\"filename\": ".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("application/json"),
            b"not json".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("application/json"),
            Vec::new(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("application/json"),
            vec![0xff, 0xfe, 0x00],
            StatusCode::BAD_REQUEST,
        ),
        (None, b"{}".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            Some("text/plain"),
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            Some("application/json"),
            vec![b' '; 200 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (content_type, body, status) in cases {
        let mut request = app.post("/uploads", &token).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = request.send().await.unwrap();
        let error = error_of(response, status).await;
        assert!(!error.is_empty());
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM posts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(total, 0, "no bad request left a post behind");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn missing_or_bad_tokens_get_401(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let body = json!({"filename": "cat.jpg", "contentType": "image/jpeg", "size": 10});
    let no_token = app
        .http
        .post(app.url("/uploads"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        error_of(no_token, StatusCode::UNAUTHORIZED).await,
        "missing bearer token"
    );

    let basic = app
        .http
        .post(app.url("/uploads"))
        .basic_auth("a", Some("b"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(basic, StatusCode::UNAUTHORIZED).await,
        "malformed authorization header"
    );

    let garbage = app
        .post("/uploads", "garbage")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(garbage, StatusCode::UNAUTHORIZED).await,
        "invalid token"
    );

    let other_secret = imgup_testkit::TestTokens::new(&imgup_jwt::JwtSettings::hs256(
        "another-secret-of-32-bytes-or-more!!",
    ));
    let forged = app
        .post("/uploads", &other_secret.admin("mallory"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(forged, StatusCode::UNAUTHORIZED).await,
        "invalid token"
    );

    let signer = app.tokens.signer();
    let mut claims = signer.claims_for(&imgup_jwt::TokenSubject {
        user_id: "alice".into(),
        email: "alice@example.com".into(),
        name: None,
        role: imgup_jwt::Role::User,
    });
    claims.exp = claims.iat - 3600;
    let expired = app
        .post("/uploads", &signer.sign_claims(&claims))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(expired, StatusCode::UNAUTHORIZED).await,
        "token expired"
    );

    for path in [
        "/posts",
        "/posts/1",
        "/images/uploads/0123456789abcdef0123456789abcdef.png",
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        error_of(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn malformed_keys_and_ids_get_4xx(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    for key in [
        "etc/passwd",
        "uploads/..%2F..%2Fetc%2Fpasswd",
        "%2Fuploads%2F0123456789abcdef0123456789abcdef.png",
        "other/0123456789abcdef0123456789abcdef.png",
        "uploads/0123456789abcdef0123456789abcdef.exe",
        "uploads/short.png",
    ] {
        let response = app
            .get(&format!("/images/{key}"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(response, StatusCode::BAD_REQUEST).await,
            "invalid object key",
            "{key}"
        );
    }
    let unknown = app
        .get(
            "/images/uploads/0123456789abcdef0123456789abcdef.png",
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(unknown, StatusCode::NOT_FOUND).await,
        "image not found"
    );

    for path in ["/posts/abc", "/posts/99999999999999999999", "/posts/1.5"] {
        let response = app.get(path, &token).send().await.unwrap();
        error_of(response, StatusCode::BAD_REQUEST).await;
    }
    let missing = app.get("/posts/424242", &token).send().await.unwrap();
    assert_eq!(
        error_of(missing, StatusCode::NOT_FOUND).await,
        "post not found"
    );
    let nowhere = app.get("/nowhere", &token).send().await.unwrap();
    assert_eq!(
        error_of(nowhere, StatusCode::NOT_FOUND).await,
        "route not found"
    );
}
