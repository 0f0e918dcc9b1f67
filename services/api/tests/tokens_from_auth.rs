//! Tokens issued by imgup-auth verify here unchanged: with the shared HS256
//! secret, and with ES256 / EdDSA keys fetched from auth's JWKS, where the API
//! holds no signing secret at all.

mod support;

use clap::Parser;
use imgup_testkit::TEST_JWT_SECRET;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_of};

/// imgup-auth in development mode on a random port; returns its base URL.
async fn start_auth(pool: PgPool, jwt_args: &[String]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut args = vec![
        "imgup-auth".to_owned(),
        "--database-url=postgres://unused.invalid/unused".to_owned(),
        "--session-secret=test-session-secret-of-at-least-32-bytes".to_owned(),
        "--environment=development".to_owned(),
        format!("--public-url={base}"),
    ];
    args.extend(jwt_args.iter().cloned());
    let config = imgup_auth::Config::try_parse_from(args).expect("auth configuration");
    let router = imgup_auth::router(imgup_auth::startup::state(&config, pool).expect("auth state"));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

async fn test_token(auth: &str, email: &str) -> String {
    let issued: Value = reqwest::Client::new()
        .post(format!("{auth}/auth/oauth/test-token"))
        .query(&[("email", email)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    issued["access_token"].as_str().expect("a token").to_owned()
}

async fn upload_status(app: &TestApp, token: &str) -> StatusCode {
    app.post("/uploads", token)
        .json(&json!({ "filename": "cat.png", "contentType": "image/png", "size": 10 }))
        .send()
        .await
        .unwrap()
        .status()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn hs256_tokens_from_auth_are_accepted(pool: PgPool) {
    let auth = start_auth(pool.clone(), &[format!("--jwt-secret={TEST_JWT_SECRET}")]).await;
    let app = TestApp::start(pool).await;
    let token = test_token(&auth, "ada@example.com").await;
    assert_eq!(upload_status(&app, &token).await, StatusCode::OK);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn asymmetric_tokens_verify_against_the_jwks_without_any_shared_secret(pool: PgPool) {
    let keys = [
        ("ES256", include_str!("../../testkit/assets/test-es256.pem")),
        (
            "EdDSA",
            include_str!("../../testkit/assets/test-ed25519.pem"),
        ),
    ];
    for (algorithm, pem) in keys {
        let auth = start_auth(
            pool.clone(),
            &[
                format!("--jwt-algorithm={algorithm}"),
                format!("--jwt-private-key={pem}"),
            ],
        )
        .await;
        let jwks: Value = reqwest::get(format!("{auth}/.well-known/jwks.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "{algorithm}");
        assert!(
            jwks["keys"][0].get("d").is_none(),
            "{algorithm}: no private part published"
        );

        let app = TestApp::builder(pool.clone())
            .without_jwt_secret()
            .arg(format!("--jwt-algorithm={algorithm}"))
            .arg(format!("--jwt-jwks-url={auth}/.well-known/jwks.json"))
            .arg("--object-key-secret=object-key-secret-of-at-least-32-bytes")
            .start()
            .await;
        let token = test_token(&auth, "ada@example.com").await;
        assert_eq!(
            upload_status(&app, &token).await,
            StatusCode::OK,
            "{algorithm}"
        );

        // An HS256 token (even one keyed with the published key) is refused.
        let forged = imgup_testkit::TestTokens::new(&imgup_jwt::JwtSettings::hs256(
            jwks["keys"][0].to_string(),
        ))
        .user("1");
        let response = app
            .post("/uploads", &forged)
            .json(&json!({ "filename": "cat.png", "contentType": "image/png", "size": 10 }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(response, StatusCode::UNAUTHORIZED).await,
            "invalid token",
            "{algorithm}"
        );
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn without_a_jwt_secret_the_api_needs_an_object_key_secret(pool: PgPool) {
    let config = imgup_api::Config::try_parse_from([
        "imgup-api",
        "--database-url=postgres://unused.invalid/unused",
        "--jwt-algorithm=ES256",
        "--jwt-jwks-url=http://127.0.0.1:1/.well-known/jwks.json",
        "--s3-access-key=a",
        "--s3-secret-key=b",
    ])
    .unwrap();
    let err = imgup_api::startup::state(&config, pool)
        .err()
        .expect("start-up refused");
    assert!(err.to_string().contains("OBJECT_KEY_SECRET"), "{err}");
}
