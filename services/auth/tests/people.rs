//! Admins manage people: the paged list, roles, and disabling, which stops
//! sign-in, refresh and test tokens and ends every session.

mod support;

use oauth2::PkceCodeChallenge;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{Browser, OidcServer, TestAuth, google_args, landed_token, param, sign_in};

async fn test_token(auth: &TestAuth, email: &str) -> (StatusCode, Value) {
    let response = Client::new()
        .post(auth.url("/auth/oauth/test-token"))
        .query(&[("email", email)])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn signed_in(auth: &TestAuth, email: &str) -> Value {
    let (status, body) = test_token(auth, email).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn access(body: &Value) -> &str {
    body["access_token"].as_str().unwrap()
}

async fn list(auth: &TestAuth, token: &str, query: &str) -> (StatusCode, Value) {
    let response = Client::new()
        .get(auth.url(&format!("/auth/users{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn patch(auth: &TestAuth, token: &str, id: &Value, body: Value) -> (StatusCode, Value) {
    let response = Client::new()
        .patch(auth.url(&format!("/auth/users/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn refresh(auth: &TestAuth, body: &Value) -> (StatusCode, Value) {
    let response = Client::new()
        .post(auth.url("/auth/token/refresh"))
        .json(&json!({ "refresh_token": body["refresh_token"] }))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn development() -> Vec<String> {
    vec![
        "--environment=development".into(),
        "--admin-emails=root@example.com".into(),
    ]
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn admins_list_people_page_by_page_and_others_are_refused(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let root = signed_in(&auth, "root@example.com").await;
    let ada = signed_in(&auth, "ada@example.com").await;
    for n in 0..4 {
        signed_in(&auth, &format!("user{n}@example.com")).await;
    }

    let (status, body) = list(&auth, access(&ada), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
    let response = Client::new()
        .get(auth.url("/auth/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, all) = list(&auth, access(&root), "").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let users = all["users"].as_array().unwrap();
    assert_eq!(users.len(), 6);
    assert_eq!(all["nextCursor"], Value::Null);
    let first = &users[0];
    assert_eq!(first["email"], "root@example.com");
    assert_eq!(first["name"], "Test User");
    assert_eq!(first["role"], "admin");
    assert_eq!(first["adminByEmail"], true);
    assert_eq!(first["disabled"], false);
    assert!(first["createdAt"].is_string());
    assert!(first["lastSignInAt"].is_string());
    assert_eq!(users[1]["role"], "user");

    // Pages of two, following the cursor, see everyone once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = list(&auth, access(&root), &format!("?limit=2&cursor={cursor}")).await;
        assert_eq!(status, StatusCode::OK);
        let users = page["users"].as_array().unwrap();
        assert!(users.len() <= 2);
        seen.extend(
            users
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = users
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, expected);

    for query in ["?limit=0", "?limit=101", "?limit=ten", "?cursor=nope"] {
        let (status, body) = list(&auth, access(&root), query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], "bad_request");
    }
    let (status, page) = list(&auth, access(&root), "?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["users"].as_array().unwrap().len(), 6);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_stored_role_adds_to_admin_emails_and_shows_at_the_next_refresh(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let root = signed_in(&auth, "root@example.com").await;
    let ada = signed_in(&auth, "ada@example.com").await;
    let ada_id = &ada["user"]["user_id"];

    let (status, body) = patch(&auth, access(&ada), ada_id, json!({ "role": "admin" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");

    let (status, body) = patch(&auth, access(&root), ada_id, json!({ "role": "admin" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["storedRole"], "admin");
    assert_eq!(body["adminByEmail"], false);
    // Her old token still says user; the next refresh says admin.
    let (status, refreshed) = refresh(&auth, &ada).await;
    assert_eq!(status, StatusCode::OK);
    let claims = auth
        .state
        .verifier
        .verify(access(&refreshed))
        .await
        .unwrap();
    assert!(claims.is_admin());
    let (status, _) = list(&auth, access(&ada), "").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the database, not the token, decides"
    );

    // Taken back: her admin token no longer opens the list.
    let (status, _) = patch(&auth, access(&root), ada_id, json!({ "role": "user" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = list(&auth, access(&refreshed), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // ADMIN_EMAILS always grants admin, whatever the stored role.
    let root_id = &root["user"]["user_id"];
    let (status, body) = patch(&auth, access(&root), root_id, json!({ "role": "user" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&body["role"], &body["storedRole"]),
        (&json!("admin"), &json!("user"))
    );

    // Bad changes.
    for bad in [
        json!({ "role": "superuser" }),
        json!({ "disabled": "yes" }),
        json!({ "email": "x@example.com" }),
    ] {
        let (status, body) = patch(&auth, access(&root), ada_id, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], "bad_request");
    }
    let (status, body) = patch(&auth, access(&root), root_id, json!({ "disabled": true })).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an admin cannot lock themselves out"
    );
    assert!(body["error"].as_str().unwrap().contains("themselves"));
    let (status, body) = patch(&auth, access(&root), &json!(999_999), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_disabled_user_cannot_refresh_or_get_a_test_token_and_loses_every_session(pool: PgPool) {
    let auth = TestAuth::start(pool, &development()).await;
    let root = signed_in(&auth, "root@example.com").await;
    let laptop = signed_in(&auth, "ada@example.com").await;
    let phone = signed_in(&auth, "ada@example.com").await;
    let ada_id = &laptop["user"]["user_id"];

    let (status, body) = patch(&auth, access(&root), ada_id, json!({ "disabled": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(ada_id.as_i64().unwrap())
    .fetch_one(&auth.pool)
    .await
    .unwrap();
    assert_eq!(live, 0, "every session ended");

    for session in [&laptop, &phone] {
        let (status, body) = refresh(&auth, session).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "user_disabled");
    }
    let (status, body) = test_token(&auth, "ADA@example.com").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "user_disabled");

    // Enabled again: signing in works; the ended sessions stay ended.
    let (status, _) = patch(&auth, access(&root), ada_id, json!({ "disabled": false })).await;
    assert_eq!(status, StatusCode::OK);
    let again = signed_in(&auth, "ada@example.com").await;
    assert_eq!(refresh(&auth, &again).await.0, StatusCode::OK);
    assert_eq!(refresh(&auth, &laptop).await.0, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_disabled_user_cannot_sign_in_with_a_provider_nor_trade_a_code(pool: PgPool) {
    let issuer = OidcServer::start(&json!({
        "sub": "google-ada", "email": "ada@example.com", "email_verified": true, "name": "Ada"
    }));
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/google").await;
    assert!(landed_token(&landing).is_some());

    // A native app got its one-time code; then she is disabled.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let start = format!(
        "/auth/oauth/google?redirect_uri=http://127.0.0.1:49321/cb&state=s&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    );
    let (app_landing, _) = sign_in(&auth, &mut Browser::new(), &start).await;
    let code = param(&app_landing, "code").unwrap();
    let stamped: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_sign_in_at FROM users WHERE email = 'ada@example.com'")
            .fetch_one(&auth.pool)
            .await
            .unwrap();
    assert!(stamped.is_some(), "a sign-in is recorded");
    sqlx::query("UPDATE users SET disabled = true WHERE email = 'ada@example.com'")
        .execute(&auth.pool)
        .await
        .unwrap();
    let response = Client::new()
        .post(auth.url("/auth/oauth/token"))
        .form(&[
            ("code", code.as_str()),
            ("code_verifier", verifier.secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "user_disabled");

    // The browser sign-in lands on the frontend with the error, no token, and
    // the refused attempt is not counted as a sign-in.
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/google").await;
    assert_eq!(landed_token(&landing), None);
    assert_eq!(support::fragment_param(&landing, "refresh_token"), None);
    assert_eq!(landing.fragment(), None);
    assert_eq!(param(&landing, "error").as_deref(), Some("user_disabled"));
    let after: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_sign_in_at FROM users WHERE email = 'ada@example.com'")
            .fetch_one(&auth.pool)
            .await
            .unwrap();
    assert_eq!(after, stamped);
}
