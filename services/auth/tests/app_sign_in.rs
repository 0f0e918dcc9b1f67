//! A native app's sign-in (RFC 8252): a loopback redirect on any port, the
//! app's own state echoed back, and a one-time code that only the holder of
//! the PKCE verifier can trade for a token.

mod support;

use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{Browser, OidcServer, TestAuth, google_args, location, me, param, sign_in};

const LOOPBACK: &str = "http://127.0.0.1:49321/callback";

/// The start URL an app builds, and its verifier.
fn app_start(state: &str) -> (String, PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let start = url::Url::parse_with_params(
        "http://unused/auth/oauth/google",
        [
            ("redirect_uri", LOOPBACK),
            ("state", state),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    (
        format!("/auth/oauth/google?{}", start.query().unwrap()),
        verifier,
    )
}

async fn trade(auth: &TestAuth, code: &str, verifier: &str) -> (StatusCode, Value) {
    let response = Client::new()
        .post(auth.url("/auth/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_app_gets_a_one_time_code_for_its_verifier_never_the_token(pool: PgPool) {
    let issuer = OidcServer::start(&json!({
        "sub": "google-ada", "email": "ada@example.com", "email_verified": true, "name": "Ada"
    }));
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;

    let (start, verifier) = app_start("app-state-1");
    let (landing, _) = sign_in(&auth, &mut Browser::new(), &start).await;
    assert_eq!(landing.as_str().split('?').next(), Some(LOOPBACK));
    assert_eq!(param(&landing, "state").as_deref(), Some("app-state-1"));
    assert_eq!(param(&landing, "token"), None, "no token in the redirect");
    let code = param(&landing, "code").expect("a one-time code");

    let response = Client::new()
        .post(auth.url("/auth/oauth/token"))
        .form(&[
            ("code", code.as_str()),
            ("code_verifier", verifier.secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 40)
    );
    let user = me(&auth, body["access_token"].as_str().unwrap()).await;
    assert_eq!(user["email"], "ada@example.com");

    // Spent: a second trade, even with the right verifier, is refused.
    let (status, body) = trade(&auth, &code, verifier.secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_grant");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_short_long_or_foreign_verifier_is_a_400_not_a_panic(pool: PgPool) {
    let issuer = OidcServer::start(&json!({
        "sub": "google-ada", "email": "ada@example.com", "email_verified": true
    }));
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let (start, verifier) = app_start("s");
    let (landing, _) = sign_in(&auth, &mut Browser::new(), &start).await;
    let code = param(&landing, "code").unwrap();
    let non_ascii = "é".repeat(30); // 60 bytes, 30 characters, none of them allowed
    for bad in [
        String::new(),
        "0123456789".to_owned(),
        "a".repeat(200),
        non_ascii,
        format!("{}+/=", "a".repeat(43)),
    ] {
        let (status, body) = trade(&auth, &code, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["code"], "invalid_request", "{bad:?}");
        assert!(body["error"].as_str().unwrap().contains("code_verifier"));
    }
    // The malformed attempts were refused before the code was looked at: the
    // service still answers, and the code still works with its verifier.
    let (status, body) = trade(&auth, &code, verifier.secret()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_code_without_its_verifier_is_worthless_and_spent(pool: PgPool) {
    let issuer = OidcServer::start(&json!({
        "sub": "google-ada", "email": "ada@example.com", "email_verified": true
    }));
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;

    let (start, verifier) = app_start("s");
    let (landing, _) = sign_in(&auth, &mut Browser::new(), &start).await;
    let code = param(&landing, "code").unwrap();
    let (_, stranger) = PkceCodeChallenge::new_random_sha256();
    let (status, body) = trade(&auth, &code, stranger.secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("code_verifier"));
    assert_eq!(body["code"], "invalid_grant");
    // The wrong guess spent the code: the right verifier no longer helps.
    let (status, _) = trade(&auth, &code, verifier.secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An expired code is refused too.
    let (start, verifier) = app_start("s2");
    let (landing, _) = sign_in(&auth, &mut Browser::new(), &start).await;
    sqlx::query("UPDATE sign_in_codes SET expires_at = now() - interval '1 second'")
        .execute(&auth.pool)
        .await
        .unwrap();
    let code = param(&landing, "code").unwrap();
    let (status, body) = trade(&auth, &code, verifier.secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("expired"));

    // Made-up codes and malformed requests are clear 400s.
    let (status, _) = trade(&auth, "made-up", verifier.secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for form in [
        vec![("code", "x")],
        vec![
            ("code", "x"),
            ("code_verifier", "y"),
            ("grant_type", "password"),
        ],
    ] {
        let response = Client::new()
            .post(auth.url("/auth/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{form:?}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
        assert_eq!(body["code"], "invalid_request", "{form:?}");
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn malformed_app_parameters_are_refused_before_the_provider(pool: PgPool) {
    let auth = TestAuth::start(pool, &google_args("http://127.0.0.1:9")).await;
    let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for query in [
        format!("code_challenge={good}&code_challenge_method=plain"),
        format!("code_challenge={good}"),
        "code_challenge=short&code_challenge_method=S256".to_owned(),
        "code_challenge_method=S256".to_owned(),
        format!("state=&code_challenge={good}&code_challenge_method=S256"),
        format!("state={}", "x".repeat(513)),
    ] {
        let response = Browser::new()
            .get(&auth.url(&format!(
                "/auth/oauth/google?redirect_uri={LOOPBACK}&{query}"
            )))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    let fine = Browser::new()
        .get(&auth.url(&format!(
            "/auth/oauth/google?redirect_uri={LOOPBACK}&state=s&code_challenge={good}&code_challenge_method=S256"
        )))
        .await;
    assert_eq!(location(&fine).path(), "/authorize");
}
