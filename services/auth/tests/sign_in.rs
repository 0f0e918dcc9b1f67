//! Browser-less sign-in flows against a real OIDC issuer and a GitHub-shaped
//! API, and the attacks a sign-in must withstand.

mod support;

use imgup_testkit::process::free_port;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{
    Browser, FRONTEND, GithubApi, OidcServer, TestAuth, fragment_param, google_args, landed_token,
    location, me, param, referer_visible, sign_in,
};

fn ada() -> Value {
    json!({ "sub": "google-ada", "email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace" })
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn google_sign_in_sends_state_and_pkce_and_lands_with_a_token(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let mut browser = Browser::new();

    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    assert!(
        to_provider
            .as_str()
            .starts_with(&format!("{}/authorize?", issuer.url))
    );
    assert_eq!(
        param(&to_provider, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        param(&to_provider, "client_id").as_deref(),
        Some("imgup-test-client")
    );
    assert_eq!(
        param(&to_provider, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        param(&to_provider, "code_challenge").map(|c| c.len()),
        Some(43)
    );
    assert!(param(&to_provider, "state").is_some_and(|s| s.len() >= 16));
    assert_eq!(
        param(&to_provider, "redirect_uri"),
        Some(auth.url("/auth/oauth/google/callback"))
    );
    assert_eq!(
        param(&to_provider, "scope").as_deref(),
        Some("openid email profile")
    );
    let cookie = browser.cookie.clone().expect("a browser-binding cookie");
    assert!(cookie.starts_with("imgup_signin="));

    let callback = location(&browser.get(to_provider.as_str()).await);
    let landing = location(&browser.get(callback.as_str()).await);
    assert_eq!(
        landing.as_str().split(['?', '#']).next(),
        Some(format!("{FRONTEND}/auth/callback").as_str())
    );
    let token = landed_token(&landing).expect("a token in the landing URL's fragment");
    let refresh_token =
        fragment_param(&landing, "refresh_token").expect("a refresh token beside it");
    assert!(fragment_param(&landing, "expires_in").is_some_and(|s| s.parse::<u64>().is_ok()));
    assert_eq!(
        fragment_param(&landing, "token_type").as_deref(),
        Some("bearer")
    );
    let refreshed = reqwest::Client::new()
        .post(auth.url("/auth/token/refresh"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);

    let user = me(&auth, &token).await;
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["role"], "user");
    let (provider, subject): (String, String) =
        sqlx::query_as("SELECT provider, provider_user_id FROM oauth_accounts WHERE user_id = $1")
            .bind(user["user_id"].as_i64().unwrap())
            .fetch_one(&auth.pool)
            .await
            .unwrap();
    assert_eq!(
        (provider.as_str(), subject.as_str()),
        ("google", "google-ada")
    );

    let claims = auth.state.verifier.verify(&token).await.unwrap();
    assert_eq!(claims.sub, user["user_id"].as_i64().unwrap().to_string());
    assert!(claims.jti.is_some() && claims.exp > claims.iat);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_web_landing_keeps_its_tokens_out_of_the_query_and_the_referer(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let mut browser = Browser::new();
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let response = browser.get(callback.as_str()).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let landing = location(&response);

    let access_token = landed_token(&landing).expect("an access token in the fragment");
    let refresh_token = fragment_param(&landing, "refresh_token").expect("a refresh token");
    // Nothing in the query: the page's server, its logs and anything the
    // page links to see the query.
    assert_eq!(landing.query(), None, "{landing}");
    for key in ["token", "access_token", "refresh_token", "expires_in"] {
        assert_eq!(param(&landing, key), None, "{key} in the query");
    }
    // A browser sends a URL on as `Referer` without its fragment: no token
    // may be left in what it sends.
    let visible = referer_visible(&landing);
    assert_eq!(visible, format!("{FRONTEND}/auth/callback"));
    for secret in [&access_token, &refresh_token] {
        assert!(!visible.contains(secret.as_str()), "{visible}");
    }
    assert_eq!(me(&auth, &access_token).await["email"], "ada@example.com");
}

/// The attributes of a `Set-Cookie` header, lower-cased, after its pair.
fn cookie_attributes(response: &reqwest::Response) -> (String, Vec<String>) {
    let header = response.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let mut parts = header.split(';').map(str::trim);
    let pair = parts.next().unwrap().to_owned();
    (pair, parts.map(str::to_ascii_lowercase).collect())
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn over_plain_http_the_sign_in_cookie_is_unprefixed_and_not_secure(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let response = Browser::new().get(&auth.url("/auth/oauth/google")).await;
    let (pair, attributes) = cookie_attributes(&response);
    assert!(pair.starts_with("imgup_signin="), "{pair}");
    assert!(
        attributes.contains(&"path=/auth/oauth".to_owned()),
        "{attributes:?}"
    );
    assert!(attributes.contains(&"httponly".to_owned()));
    assert!(attributes.contains(&"samesite=lax".to_owned()));
    assert!(!attributes.contains(&"secure".to_owned()), "{attributes:?}");
    assert!(!attributes.iter().any(|a| a.starts_with("domain=")));
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn over_https_the_sign_in_cookie_is_host_prefixed_secure_and_host_only(pool: PgPool) {
    // Served as https://auth.example behind a proxy that ends TLS.
    let issuer = OidcServer::start(&ada());
    let mut args = google_args(&issuer.url);
    args.push("--public-url=https://auth.example".into());
    let auth = TestAuth::start(pool, &args).await;
    let mut browser = Browser::new();
    let response = browser.get(&auth.url("/auth/oauth/google")).await;
    let (pair, attributes) = cookie_attributes(&response);
    assert!(pair.starts_with("__Host-imgup_signin="), "{pair}");
    // What browsers require of `__Host-`: Secure, Path=/, no Domain.
    assert!(attributes.contains(&"secure".to_owned()), "{attributes:?}");
    assert!(attributes.contains(&"path=/".to_owned()), "{attributes:?}");
    assert!(!attributes.iter().any(|a| a.starts_with("domain=")));
    assert!(attributes.contains(&"httponly".to_owned()));
    let to_provider = location(&response);
    assert_eq!(
        param(&to_provider, "redirect_uri").as_deref(),
        Some("https://auth.example/auth/oauth/google/callback")
    );

    // The provider sends the browser to the public callback; the proxy
    // hands it to the service.
    let public_callback = location(&browser.get(to_provider.as_str()).await);
    let callback = auth.url(&format!(
        "{}?{}",
        public_callback.path(),
        public_callback.query().unwrap()
    ));
    // The same value under the unprefixed name is not the binding.
    let mut unprefixed = Browser::new();
    unprefixed.cookie = Some(pair.replacen("__Host-", "", 1));
    assert_eq!(
        unprefixed.get(&callback).await.status(),
        StatusCode::BAD_REQUEST
    );
    // (That attempt spent the state; a fresh start for the real browser.)
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let public_callback = location(&browser.get(to_provider.as_str()).await);
    let callback = auth.url(&format!(
        "{}?{}",
        public_callback.path(),
        public_callback.query().unwrap()
    ));
    let landing = location(&browser.get(&callback).await);
    assert_eq!(
        me(&auth, &landed_token(&landing).unwrap()).await["email"],
        "ada@example.com"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn signing_in_twice_keeps_one_user_and_admin_emails_get_the_admin_role(pool: PgPool) {
    let issuer = OidcServer::start(
        &json!({ "sub": "g-boss", "email": "Boss@Example.com", "email_verified": true }),
    );
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let (first, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/google").await;
    let (second, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/google").await;
    let a = me(&auth, &landed_token(&first).unwrap()).await;
    let b = me(&auth, &landed_token(&second).unwrap()).await;
    assert_eq!(a["user_id"], b["user_id"]);
    assert_eq!(a["role"], "admin");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&auth.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn github_sign_in_uses_the_primary_verified_email(pool: PgPool) {
    let issuer = OidcServer::start(&json!({}));
    let github = GithubApi::start(
        json!({ "id": 583231, "login": "octocat", "name": null }),
        json!([
            { "email": "old@example.com", "primary": false, "verified": true },
            { "email": "octo@example.com", "primary": true, "verified": true },
        ]),
    )
    .await;
    let auth = TestAuth::start(
        pool,
        &[
            "--github-client-id=gh-client".into(),
            "--github-client-secret=gh-secret".into(),
            format!("--github-auth-url={}/authorize", issuer.url),
            format!("--github-token-url={}/token", issuer.url),
            format!("--github-api-url={}", github.url),
        ],
    )
    .await;
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/github").await;
    let user = me(&auth, &landed_token(&landing).expect("a token")).await;
    assert_eq!(user["email"], "octo@example.com");
    assert_eq!(user["name"], "octocat");
    let subject: String =
        sqlx::query_scalar("SELECT provider_user_id FROM oauth_accounts WHERE provider = 'github'")
            .fetch_one(&auth.pool)
            .await
            .unwrap();
    assert_eq!(subject, "583231");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_github_account_without_a_verified_primary_email_is_refused(pool: PgPool) {
    let issuer = OidcServer::start(&json!({}));
    let github = GithubApi::start(
        json!({ "id": 1, "login": "mallory" }),
        json!([{ "email": "victim@example.com", "primary": true, "verified": false }]),
    )
    .await;
    let auth = TestAuth::start(
        pool,
        &[
            "--github-client-id=gh-client".into(),
            "--github-client-secret=gh-secret".into(),
            format!("--github-auth-url={}/authorize", issuer.url),
            format!("--github-token-url={}/token", issuer.url),
            format!("--github-api-url={}", github.url),
        ],
    )
    .await;
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/github").await;
    assert_eq!(landed_token(&landing), None);
    assert_eq!(
        param(&landing, "error").as_deref(),
        Some("provider_refused")
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&auth.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn oidc_sign_in_discovers_the_provider(pool: PgPool) {
    let issuer = OidcServer::start(
        &json!({ "sub": "oidc-7", "email": "grace@example.com", "email_verified": "true", "name": "Grace" }),
    );
    let auth = TestAuth::start(
        pool,
        &[
            format!("--oidc-issuer-url={}", issuer.url),
            "--oidc-client-id=oidc-client".into(),
            "--oidc-client-secret=oidc-secret".into(),
        ],
    )
    .await;
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/oidc").await;
    let user = me(&auth, &landed_token(&landing).expect("a token")).await;
    assert_eq!(user["email"], "grace@example.com");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_unverified_email_is_refused(pool: PgPool) {
    let issuer = OidcServer::start(
        &json!({ "sub": "x", "email": "someone@example.com", "email_verified": false }),
    );
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let (landing, _) = sign_in(&auth, &mut Browser::new(), "/auth/oauth/google").await;
    assert_eq!(landed_token(&landing), None);
    assert_eq!(
        param(&landing, "error").as_deref(),
        Some("provider_refused")
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn forged_replayed_expired_and_foreign_states_are_refused(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;

    // Forged: a state we never issued.
    let mut browser = Browser::new();
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let mut forged = callback.clone();
    let code = param(&callback, "code").unwrap();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "forged-state-value");
    let response = browser.get(forged.as_str()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Replayed: the genuine callback works once, then never again.
    let first = browser.get(callback.as_str()).await;
    assert!(landed_token(&location(&first)).is_some());
    let replay = browser.get(callback.as_str()).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body: Value = replay.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("already used"));

    // Expired: a state older than ten minutes.
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    sqlx::query("UPDATE oauth_states SET expires_at = now() - interval '1 minute'")
        .execute(&auth.pool)
        .await
        .unwrap();
    let expired = browser.get(callback.as_str()).await;
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);

    // Foreign: the callback delivered to another browser (no binding cookie).
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let mut victim = Browser::new();
    let response = victim.get(callback.as_str()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // ... or with a cookie whose signature does not check out.
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let mut tamperer = Browser::new();
    tamperer.cookie = Some("imgup_signin=AAAAforgedvalue".into());
    assert_eq!(
        tamperer.get(callback.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn redirects_go_only_to_the_frontend_or_loopback(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let mut browser = Browser::new();
    for evil in [
        "https://evil.example/cb",
        "http://localhost.evil.example:5173/",
        "//evil.example",
        "http://127.0.0.2:8000/",
    ] {
        let url = format!(
            "{}?redirect_uri={}",
            auth.url("/auth/oauth/google"),
            urlencode(evil)
        );
        let response = browser.get(&url).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{evil}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "redirect_uri is not allowed");
    }

    let port = free_port();
    let challenge = oauth2::PkceCodeChallenge::new_random_sha256().0;
    let pkce = format!(
        "code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    );
    let desktop = format!("http://127.0.0.1:{port}/callback");
    let start = format!(
        "/auth/oauth/google?redirect_uri={}&{pkce}",
        urlencode(&desktop)
    );
    let (landing, _) = sign_in(&auth, &mut browser, &start).await;
    assert_eq!(landing.as_str().split('?').next(), Some(desktop.as_str()));
    assert!(param(&landing, "code").is_some());
    assert_eq!(landed_token(&landing), None);

    let ipv6 = format!("http://[::1]:{port}/cb");
    let start = format!(
        "/auth/oauth/google?redirect_uri={}&{pkce}",
        urlencode(&ipv6)
    );
    let (landing, _) = sign_in(&auth, &mut browser, &start).await;
    assert!(landing.as_str().starts_with(&ipv6));

    // The frontend's own origin, named outright, is the web flow.
    let page = format!("{FRONTEND}/elsewhere");
    let start = format!("/auth/oauth/google?redirect_uri={}", urlencode(&page));
    let (landing, _) = sign_in(&auth, &mut browser, &start).await;
    assert!(landing.as_str().starts_with(&format!("{page}#")));
    assert!(landed_token(&landing).is_some());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_loopback_redirect_without_the_apps_pkce_challenge_is_refused(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool, &google_args(&issuer.url)).await;
    let port = free_port();
    for loopback in [
        format!("http://127.0.0.1:{port}/callback"),
        format!("http://[::1]:{port}/cb"),
    ] {
        for extra in ["", "&state=app-state"] {
            let start = format!(
                "/auth/oauth/google?redirect_uri={}{extra}",
                urlencode(&loopback)
            );
            let response = Browser::new().get(&auth.url(&start)).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{start}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "invalid_request", "{start}");
            assert!(
                body["error"].as_str().unwrap().contains("code_challenge"),
                "{body}"
            );
        }
    }
    // Nothing was begun for them.
    let begun: i64 = sqlx::query_scalar("SELECT count(*) FROM oauth_states")
        .fetch_one(&auth.pool)
        .await
        .unwrap();
    assert_eq!(begun, 0);
    // `localhost` on a port that is not the frontend's is no app's address.
    let start = format!(
        "/auth/oauth/google?redirect_uri={}",
        urlencode(&format!("http://localhost:{port}/cb"))
    );
    let response = Browser::new().get(&auth.url(&start)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // With the challenge, the same start goes on to the provider.
    let challenge = oauth2::PkceCodeChallenge::new_random_sha256().0;
    let start = format!(
        "/auth/oauth/google?redirect_uri={}&code_challenge={}&code_challenge_method=S256",
        urlencode(&format!("http://127.0.0.1:{port}/callback")),
        challenge.as_str()
    );
    let to_provider = location(&Browser::new().get(&auth.url(&start)).await);
    assert!(to_provider.as_str().starts_with(&issuer.url));
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn denied_consent_bad_codes_and_a_down_provider_end_in_a_clear_error(pool: PgPool) {
    let issuer = OidcServer::start(&ada());
    let auth = TestAuth::start(pool.clone(), &google_args(&issuer.url)).await;
    let mut browser = Browser::new();

    // Denied consent: the provider comes back with error=access_denied.
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let state = param(&to_provider, "state").unwrap();
    let denied = format!(
        "{}?error=access_denied&state={state}",
        auth.url("/auth/oauth/google/callback")
    );
    let landing = location(&browser.get(&denied).await);
    assert!(
        landing
            .as_str()
            .starts_with(&format!("{FRONTEND}/auth/callback?"))
    );
    assert_eq!(param(&landing, "error").as_deref(), Some("access_denied"));
    assert_eq!(landed_token(&landing), None);

    // A code the provider never issued.
    let to_provider = location(&browser.get(&auth.url("/auth/oauth/google")).await);
    let state = param(&to_provider, "state").unwrap();
    let bogus = format!(
        "{}?code=bogus&state={state}",
        auth.url("/auth/oauth/google/callback")
    );
    let landing = location(&browser.get(&bogus).await);
    assert!(param(&landing, "error").is_some());
    assert_eq!(landed_token(&landing), None);

    // A provider whose token endpoint is down.
    let mut args = google_args(&issuer.url);
    args[3] = format!("--google-token-url=http://127.0.0.1:{}/token", free_port());
    let down = TestAuth::start(pool, &args).await;
    let mut browser = Browser::new();
    let to_provider = location(&browser.get(&down.url("/auth/oauth/google")).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let landing = location(&browser.get(callback.as_str()).await);
    assert_eq!(
        param(&landing, "error").as_deref(),
        Some("provider_unavailable")
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn unknown_and_unconfigured_providers_are_404(pool: PgPool) {
    let auth = TestAuth::start(pool, &[]).await;
    let mut browser = Browser::new();
    let unknown = browser.get(&auth.url("/auth/oauth/myspace")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    for provider in ["google", "github", "oidc"] {
        let response = browser
            .get(&auth.url(&format!("/auth/oauth/{provider}")))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"],
            format!("{provider} sign-in is not configured")
        );
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_provider_list_names_only_what_is_configured(pool: PgPool) {
    let providers = |auth: &TestAuth| {
        let url = auth.url("/auth/providers");
        async move {
            let response = reqwest::get(url).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let bare = TestAuth::start(pool.clone(), &[]).await;
    assert_eq!(
        providers(&bare).await,
        json!({ "providers": [], "testToken": false })
    );

    let mut args = google_args("http://127.0.0.1:9");
    args.extend([
        "--environment=development".to_owned(),
        "--oidc-issuer-url=http://127.0.0.1:9/issuer".to_owned(),
        "--oidc-client-id=oidc-client".to_owned(),
        "--oidc-client-secret=oidc-secret".to_owned(),
        // An id without a secret is not a configured provider.
        "--github-client-id=gh-client".to_owned(),
    ]);
    let some = TestAuth::start(pool.clone(), &args).await;
    assert_eq!(
        providers(&some).await,
        json!({ "providers": ["google", "oidc"], "testToken": true })
    );

    let github = TestAuth::start(
        pool,
        &[
            "--github-client-id=gh-client".into(),
            "--github-client-secret=gh-secret".into(),
        ],
    )
    .await;
    assert_eq!(
        providers(&github).await,
        json!({ "providers": ["github"], "testToken": false })
    );
}
