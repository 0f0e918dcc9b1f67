//! Sessions: refresh tokens beside every access token, rotation, reuse
//! detection, logout, and a role read afresh at every refresh.

mod support;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use support::TestAuth;

async fn test_token(auth: &TestAuth, email: &str) -> Value {
    let response = Client::new()
        .post(auth.url("/auth/oauth/test-token"))
        .query(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn refresh(auth: &TestAuth, token: &str) -> (StatusCode, Value) {
    let response = Client::new()
        .post(auth.url("/auth/token/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap())
}

async fn logout(auth: &TestAuth, token: &str) -> StatusCode {
    Client::new()
        .post(auth.url("/auth/logout"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
        .status()
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh_token")
        .to_owned()
}

fn development() -> Vec<String> {
    vec![
        "--environment=development".into(),
        "--admin-emails=root@example.com".into(),
    ]
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_refresh_rotates_and_a_rotated_token_presented_again_revokes_the_family(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let signed_in = test_token(&auth, "ada@example.com").await;
    let first = refresh_token(&signed_in);
    assert!(first.len() >= 40, "a long random token: {first}");
    assert!(signed_in["expires_in"].as_u64().unwrap() > 0);

    // Only the SHA-256 is kept.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&auth.pool)
        .await
        .unwrap();
    assert_eq!(stored, vec![hex::encode(Sha256::digest(first.as_bytes()))]);

    let (status, rotated) = refresh(&auth, &first).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = refresh_token(&rotated);
    assert_ne!(second, first);
    assert_ne!(rotated["access_token"], signed_in["access_token"]);
    assert_eq!(rotated["token_type"], "bearer");
    assert_eq!(rotated["user"]["email"], "ada@example.com");
    let claims = auth
        .state
        .verifier
        .verify(rotated["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.sub, signed_in["user"]["user_id"].to_string());

    let (status, third_body) = refresh(&auth, &second).await;
    assert_eq!(status, StatusCode::OK);
    let third = refresh_token(&third_body);

    // Someone replays the first token: refused, and the whole family with it,
    // so the thief's copy and the rightful holder's latest token both stop.
    let (status, body) = refresh(&auth, &first).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_grant");
    let (status, body) = refresh(&auth, &third).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_grant");

    // Another sign-in is another family, untouched.
    let other = refresh_token(&test_token(&auth, "ada@example.com").await);
    let (status, _) = refresh(&auth, &other).await;
    assert_eq!(status, StatusCode::OK);

    // Made up, empty and expired tokens are refused; a malformed body is a 400.
    for bad in ["made-up", ""] {
        let (status, body) = refresh(&auth, bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(body["code"], "invalid_grant");
    }
    let expiring = refresh_token(&test_token(&auth, "ada@example.com").await);
    sqlx::query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
    )
    .bind(hex::encode(Sha256::digest(expiring.as_bytes())))
    .execute(&auth.pool)
    .await
    .unwrap();
    let (status, _) = refresh(&auth, &expiring).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for body in [json!({}), json!({ "refresh_token": 7 })] {
        let response = Client::new()
            .post(auth.url("/auth/token/refresh"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn two_refreshes_racing_with_one_token_get_one_pair_and_revoke_the_family(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let token = refresh_token(&test_token(&auth, "ada@example.com").await);
    let (a, b) = tokio::join!(refresh(&auth, &token), refresh(&auth, &token));
    let statuses = [a.0, b.0];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::UNAUTHORIZED),
        "one wins, one is reuse: {statuses:?}"
    );
    let winner = if a.0 == StatusCode::OK { a.1 } else { b.1 };
    let (status, _) = refresh(&auth, &refresh_token(&winner)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the family is revoked");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn logout_revokes_the_session_and_only_that_one(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let laptop = refresh_token(&test_token(&auth, "ada@example.com").await);
    let phone = refresh_token(&test_token(&auth, "ada@example.com").await);
    let (_, rotated) = refresh(&auth, &laptop).await;
    let laptop_now = refresh_token(&rotated);

    // Logging out with an older token of the family ends the family too.
    assert_eq!(logout(&auth, &laptop).await, StatusCode::NO_CONTENT);
    let (status, _) = refresh(&auth, &laptop_now).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&auth, &phone).await;
    assert_eq!(status, StatusCode::OK);

    // Logging out twice, or with a token never issued, is still a 204.
    assert_eq!(logout(&auth, &laptop_now).await, StatusCode::NO_CONTENT);
    assert_eq!(logout(&auth, "never-issued").await, StatusCode::NO_CONTENT);
    let response = Client::new()
        .post(auth.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_refresh_reads_the_email_and_role_afresh(pool: PgPool) {
    let auth = TestAuth::start(pool.clone(), &development()).await;
    let signed_in = test_token(&auth, "root@example.com").await;
    let admin = auth
        .state
        .verifier
        .verify(signed_in["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(admin.is_admin());

    // root@ is taken off ADMIN_EMAILS (a restart with new settings) and their
    // email changes: the next refresh says so.
    drop(auth);
    let restarted = TestAuth::start(pool, &["--environment=development".into()]).await;
    sqlx::query(
        "UPDATE users SET email = 'root@new.example' WHERE lower(email) = 'root@example.com'",
    )
    .execute(&restarted.pool)
    .await
    .unwrap();
    let (status, body) = refresh(&restarted, &refresh_token(&signed_in)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = restarted
        .state
        .verifier
        .verify(body["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(!claims.is_admin(), "no longer an admin");
    assert_eq!(claims.email, "root@new.example");
    assert_eq!(body["user"]["email"], "root@new.example");
}

#[tokio::test]
async fn access_tokens_last_an_hour_unless_set_or_in_development() {
    use clap::Parser;
    let base = [
        "imgup-auth",
        "--database-url=postgres://unused.invalid/unused",
        "--session-secret=x",
    ];
    let minutes = |extra: &[&str]| {
        let args = base.iter().chain(extra).copied();
        imgup_auth::Config::try_parse_from(args)
            .unwrap()
            .jwt
            .expire_minutes
    };
    assert_eq!(minutes(&[]), 60);
    assert_eq!(minutes(&["--environment=production"]), 60);
    assert_eq!(minutes(&["--environment=development"]), 1440);
    assert_eq!(minutes(&["--jwt-expire-minutes=15"]), 15);
    assert_eq!(
        minutes(&["--environment=development", "--jwt-expire-minutes=5"]),
        5
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_production_sign_in_says_its_token_lasts_an_hour(pool: PgPool) {
    let issuer = support::OidcServer::start(&json!({
        "sub": "g-1", "email": "ada@example.com", "email_verified": true
    }));
    let auth = TestAuth::start(pool, &support::google_args(&issuer.url)).await;
    let (landing, _) =
        support::sign_in(&auth, &mut support::Browser::new(), "/auth/oauth/google").await;
    assert_eq!(
        support::fragment_param(&landing, "expires_in").as_deref(),
        Some("3600")
    );
    let token = support::landed_token(&landing).unwrap();
    let claims = auth.state.verifier.verify(&token).await.unwrap();
    assert_eq!(claims.exp - claims.iat, 3600);
    let refresh_token = support::fragment_param(&landing, "refresh_token").unwrap();
    let (status, body) = refresh(&auth, &refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 3600);
}
