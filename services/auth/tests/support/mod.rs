//! Real parts for the sign-in tests: an OIDC issuer (oauth2-mock-server under
//! Node), a GitHub-shaped user API, and the auth service on a random port over
//! a fresh Postgres database.
#![allow(dead_code)] // each test file uses its own part of the kit

use axum::Json;
use axum::routing::get;
use clap::Parser;
use imgup_auth::{Config, startup};
use imgup_testkit::TEST_JWT_SECRET;
use reqwest::{Client, Response, StatusCode, header};
use serde_json::Value;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use url::Url;

pub const SESSION_SECRET: &str = "test-session-secret-of-at-least-32-bytes";
pub const FRONTEND: &str = "http://localhost:5173";

/// Settings that send Google sign-ins to the test issuer at `issuer`
/// (boss@example.com is an admin).
pub fn google_args(issuer: &str) -> Vec<String> {
    vec![
        "--google-client-id=imgup-test-client".into(),
        "--google-client-secret=imgup-test-secret".into(),
        format!("--google-auth-url={issuer}/authorize"),
        format!("--google-token-url={issuer}/token"),
        format!("--google-userinfo-url={issuer}/userinfo"),
        "--admin-emails=boss@example.com".into(),
    ]
}

/// The test OIDC issuer, whose userinfo answers with `user`.
pub struct OidcServer(imgup_testkit::OidcServer);

impl OidcServer {
    pub fn start(user: &Value) -> Self {
        Self(imgup_testkit::OidcServer::start(&user.to_string()))
    }
}

impl std::ops::Deref for OidcServer {
    type Target = imgup_testkit::OidcServer;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A GitHub-shaped API: `/user` and `/user/emails`, for any bearer token.
pub struct GithubApi {
    pub url: String,
    task: JoinHandle<()>,
}

impl GithubApi {
    pub async fn start(user: Value, emails: Value) -> Self {
        let router = axum::Router::new()
            .route("/user", get(move || async move { Json(user) }))
            .route("/user/emails", get(move || async move { Json(emails) }))
            .layer(axum::middleware::from_fn(require_bearer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, task }
    }
}

async fn require_bearer(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let authorized = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > 20);
    if authorized {
        next.run(request).await
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

impl Drop for GithubApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub struct TestAuth {
    pub base: String,
    pub pool: PgPool,
    pub state: imgup_auth::AppState,
    task: JoinHandle<()>,
}

impl TestAuth {
    /// The service with these extra settings (`--name=value`).
    pub async fn start(pool: PgPool, extra: &[String]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut args = vec![
            "imgup-auth".to_owned(),
            "--database-url=postgres://unused.invalid/unused".to_owned(),
            format!("--jwt-secret={TEST_JWT_SECRET}"),
            format!("--session-secret={SESSION_SECRET}"),
            format!("--frontend-url={FRONTEND}"),
        ];
        // The service's own URL unless the test names another (as behind a
        // TLS-terminating proxy).
        if !extra.iter().any(|a| a.starts_with("--public-url=")) {
            args.push(format!("--public-url={base}"));
        }
        args.extend(extra.iter().cloned());
        let config = Config::try_parse_from(args).expect("test configuration");
        let state = startup::state(&config, pool.clone()).expect("test state");
        // Peer addresses on every request, as `imgup_telemetry::serve` gives them.
        let app = imgup_auth::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            pool,
            state,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestAuth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A browser that does not follow redirects and keeps the one cookie it is given.
pub struct Browser {
    pub http: Client,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    pub async fn get(&mut self, url: &str) -> Response {
        let mut request = self.http.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
        response
    }
}

pub fn location(response: &Response) -> Url {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    Url::parse(response.headers()[header::LOCATION].to_str().unwrap()).unwrap()
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A value of the URL's fragment (`#k=v&…`), where the web sign-in puts its tokens.
pub fn fragment_param(url: &Url, name: &str) -> Option<String> {
    url::form_urlencoded::parse(url.fragment()?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The access token a web sign-in landed with.
pub fn landed_token(landing: &Url) -> Option<String> {
    fragment_param(landing, "access_token")
}

/// What a browser may tell others of a URL: its `Referer` form, with no
/// fragment and no user info (Fetch §"referrer"); the query stays.
pub fn referer_visible(url: &Url) -> String {
    let mut visible = url.clone();
    visible.set_fragment(None);
    let _ = visible.set_username("");
    let _ = visible.set_password(None);
    visible.to_string()
}

/// Runs a whole sign-in the way a browser would; returns where it ends and the
/// provider's callback URL (for replays).
pub async fn sign_in(auth: &TestAuth, browser: &mut Browser, start: &str) -> (Url, Url) {
    let to_provider = location(&browser.get(&auth.url(start)).await);
    let callback = location(&browser.get(to_provider.as_str()).await);
    let landing = location(&browser.get(callback.as_str()).await);
    (landing, callback)
}

pub async fn me(auth: &TestAuth, token: &str) -> Value {
    let response = Client::new()
        .get(auth.url("/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}
