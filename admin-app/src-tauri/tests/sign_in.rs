//! Signing in as the app does: a development token, and the system-browser
//! flow with a loopback redirect, the app's own state and PKCE, against the
//! real auth service and a real OIDC issuer. The session outlives a restart
//! and sign-out forgets it.

mod support;

use imgup_admin::error::ErrorKind;
use imgup_admin::model::TokenFileReason;
use imgup_admin::session::AdminState;
use imgup_admin::sign_in::LoopbackSignIn;
use imgup_admin::token_store::TokenStore;
use reqwest::{StatusCode, header};
use sqlx::PgPool;
use support::Stack;
use url::Url;

/// Follows redirects like a browser, carrying the one cookie auth sets.
async fn browse(start: &Url) -> reqwest::Response {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut url = start.to_string();
    let mut cookie: Option<String> = None;
    for _ in 0..10 {
        let mut request = http.get(&url);
        if let Some(c) = &cookie {
            request = request.header(header::COOKIE, c);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_owned());
        }
        if response.status() != StatusCode::FOUND {
            return response;
        }
        url = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
    }
    panic!("too many redirects");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_browser_sign_in_comes_back_to_the_loopback_with_a_code(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let pending = LoopbackSignIn::begin(&stack.settings.auth_url, "google")
        .await
        .unwrap();
    let start = pending.start_url.clone();
    let redirect = start
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));
    let (_keep, cancelled) = tokio::sync::oneshot::channel();
    let waiting = tokio::spawn(pending.wait(cancelled));

    // Someone else knocking on the port without the app's state is turned away.
    let stranger = reqwest::get(format!("{redirect}?code=forged&state=guess"))
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);

    let landed = browse(&start).await;
    assert_eq!(landed.status(), StatusCode::OK);
    assert!(landed.text().await.unwrap().contains("signed in"));
    let redirected = waiting.await.unwrap().expect("a code");
    assert_ne!(redirected.code, "forged");

    let client = stack.client();
    let grant = client
        .redeem(&redirected.code, redirected.verifier.secret())
        .await
        .unwrap();
    let me = client.me(&grant.access_token).await.unwrap();
    assert_eq!(me.email, "ada@example.com");
    // The code worked once.
    let again = client
        .redeem(&redirected.code, redirected.verifier.secret())
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidInput);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_sign_in_can_be_cancelled_and_unknown_providers_are_refused(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let pending = LoopbackSignIn::begin(&stack.settings.auth_url, "github")
        .await
        .unwrap();
    let (cancel, cancelled) = tokio::sync::oneshot::channel();
    let waiting = tokio::spawn(pending.wait(cancelled));
    cancel.send(()).unwrap();
    let err = waiting.await.unwrap().err().expect("cancelled");
    assert_eq!(err.kind, ErrorKind::Cancelled);

    let err = LoopbackSignIn::begin(&stack.settings.auth_url, "myspace")
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind, ErrorKind::InvalidInput);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_session_survives_a_restart_and_sign_out_forgets_it(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let config = tempfile::tempdir().unwrap();
    let open = || {
        let state = AdminState::new(
            config.path().to_owned(),
            TokenStore::File(config.path().join("token"), TokenFileReason::Setting),
        );
        state.save_settings(stack.settings.clone()).unwrap();
        state
    };

    let app = open();
    assert!(app.current().await.unwrap().is_none(), "nobody yet");
    let grant = app.client().test_token("ada@example.com").await.unwrap();
    assert!(
        grant.refresh_token.is_some(),
        "the auth service issues refresh tokens"
    );
    let session = app.adopt(grant).await.unwrap();
    assert_eq!(session.user.email, "ada@example.com");

    // Restarted: still signed in, and the settings are still there.
    let app = AdminState::new(
        config.path().to_owned(),
        TokenStore::File(config.path().join("token"), TokenFileReason::Setting),
    );
    assert_eq!(app.settings(), stack.settings);
    let session = app.current().await.unwrap().expect("still signed in");
    assert_eq!(session.user.email, "ada@example.com");

    app.sign_out().unwrap();
    assert!(app.current().await.unwrap().is_none());
    assert!(!config.path().join("token").exists());
    let restarted = open();
    assert!(restarted.current().await.unwrap().is_none());

    // A token the service no longer accepts is dropped, not kept around.
    std::fs::write(config.path().join("token"), "eyJ.not.valid").unwrap();
    let app = open();
    assert!(app.current().await.unwrap().is_none());
    assert!(!config.path().join("token").exists());

    // A token is checked with the auth service before it is kept.
    let garbage = imgup_admin::model::TokenGrant {
        access_token: "garbage".into(),
        refresh_token: None,
    };
    let err = app.adopt(garbage).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
}

/// A session renews itself with its refresh token before the access token
/// runs out (here at once: the margin is longer than a token lives), one
/// renewal at a time, across a restart; a disabled person's session ends at
/// the next renewal, and signing out kills the refresh token on the server.
#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_session_renews_itself_and_ends_when_it_should(pool: PgPool) {
    let stack = Stack::start(pool.clone()).await;
    let config = tempfile::tempdir().unwrap();
    let open = || {
        let state = AdminState::new(
            config.path().to_owned(),
            TokenStore::File(config.path().join("token"), TokenFileReason::Setting),
        )
        .with_renew_margin(std::time::Duration::from_secs(10 * 24 * 3600));
        state.save_settings(stack.settings.clone()).unwrap();
        state
    };
    let app = open();
    let grant = app.client().test_token("ada@example.com").await.unwrap();
    let first_refresh = grant.refresh_token.clone().unwrap();
    app.adopt(grant).await.unwrap();

    // Two calls at once renew once: the second finds the token renewed.
    let (a, b) = tokio::join!(app.token(), app.token());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "one renewal for both");
    let renewed = app.refresh_token().unwrap();
    assert_ne!(renewed, first_refresh, "the refresh token rotated");
    let posts = app.client().list_posts(&a, &Default::default()).await;
    assert!(posts.is_ok(), "the renewed token works: {posts:?}");

    // Kept across a restart, renewed again from what was stored.
    let app = open();
    app.current().await.unwrap().expect("still signed in");
    assert_ne!(app.refresh_token().unwrap(), renewed);

    // The spent refresh token is refused by the server (and presenting it
    // ends that session family: reuse detection).
    let reuse = app.client().refresh(&first_refresh).await.unwrap_err();
    assert_eq!(reuse.kind, ErrorKind::Unauthorized);

    // Signed in again, disabled by an admin: the next renewal ends the session here.
    let app = open();
    app.adopt(app.client().test_token("grace@example.com").await.unwrap())
        .await
        .unwrap();
    sqlx::query("UPDATE users SET disabled = true WHERE email = 'grace@example.com'")
        .execute(&pool)
        .await
        .unwrap();
    let ended = app.token().await.unwrap_err();
    assert!(
        matches!(ended.kind, ErrorKind::Forbidden | ErrorKind::Unauthorized),
        "{ended:?}"
    );
    assert!(app.current().await.unwrap().is_none());
    assert!(!config.path().join("token").exists(), "forgotten");

    // Sign-out ends the session on the server: its refresh token is dead.
    let app = open();
    app.adopt(app.client().test_token("lin@example.com").await.unwrap())
        .await
        .unwrap();
    let refresh = app.refresh_token().unwrap();
    app.sign_out_everywhere().await.unwrap();
    let dead = app.client().refresh(&refresh).await.unwrap_err();
    assert_eq!(dead.kind, ErrorKind::Unauthorized);
}
