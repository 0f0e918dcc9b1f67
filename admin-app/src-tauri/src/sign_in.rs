//! Signing in through the system browser, as RFC 8252 asks of native apps:
//! a loopback redirect on a free port, the app's own `state`, and PKCE, so
//! that the redirect carries only a one-time code useless to anyone without
//! the verifier.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use crate::error::{AppError, ErrorKind};

/// How long the app waits for the browser.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

pub const PROVIDERS: [&str; 3] = ["google", "github", "oidc"];

/// A sign-in waiting for its browser round trip.
pub struct LoopbackSignIn {
    /// Open this in the system browser.
    pub start_url: Url,
    listener: TcpListener,
    state: String,
    verifier: PkceCodeVerifier,
}

/// What the loopback redirect brought back: trade `code` with `verifier`.
pub struct Redirected {
    pub code: String,
    pub verifier: PkceCodeVerifier,
}

type Outcome = Result<String, AppError>;

#[derive(Clone)]
struct Waiting {
    state: String,
    done: Arc<Mutex<Option<oneshot::Sender<Outcome>>>>,
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>imgup admin</title>\
<body style=\"font:16px system-ui;margin:4em auto;max-width:32em\"><h1>You are signed in</h1>\
<p>You can close this tab and go back to imgup admin.</p>";

const FAILED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>imgup admin</title>\
<body style=\"font:16px system-ui;margin:4em auto;max-width:32em\"><h1>Sign-in failed</h1>\
<p>Go back to imgup admin to see why and try again.</p>";

async fn callback(
    State(waiting): State<Waiting>,
    Query(query): Query<CallbackQuery>,
) -> (axum::http::StatusCode, Html<&'static str>) {
    // Another page (or program) calling the port without our state is ignored.
    if query.state.as_deref() != Some(waiting.state.as_str()) {
        return (axum::http::StatusCode::BAD_REQUEST, Html(FAILED_PAGE));
    }
    let outcome = match (query.code, query.error) {
        (Some(code), None) => Ok(code),
        (_, error) => Err(AppError::new(
            ErrorKind::SignInFailed,
            query
                .error_description
                .or(error)
                .unwrap_or_else(|| "the sign-in came back without a code".into()),
        )),
    };
    let page = if outcome.is_ok() {
        DONE_PAGE
    } else {
        FAILED_PAGE
    };
    if let Some(done) = waiting.done.lock().expect("not poisoned").take() {
        let _ = done.send(outcome);
    }
    (axum::http::StatusCode::OK, Html(page))
}

impl LoopbackSignIn {
    /// Listens on a free loopback port and builds the start URL for `provider`.
    pub async fn begin(auth_base: &str, provider: &str) -> Result<Self, AppError> {
        if !PROVIDERS.contains(&provider) {
            return Err(AppError::new(
                ErrorKind::InvalidInput,
                format!("unknown sign-in provider {provider:?}"),
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            AppError::new(
                ErrorKind::SignInFailed,
                format!("cannot listen on a loopback port: {e}"),
            )
        })?;
        let port = listener.local_addr().expect("a bound socket").port();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random().into_secret();
        let mut start_url = Url::parse(&format!("{auth_base}/auth/oauth/{provider}"))
            .map_err(|_| AppError::new(ErrorKind::InvalidInput, "the auth URL is not a URL"))?;
        start_url
            .query_pairs_mut()
            .append_pair("redirect_uri", &format!("http://127.0.0.1:{port}/callback"))
            .append_pair("state", &state)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        Ok(Self {
            start_url,
            listener,
            state,
            verifier,
        })
    }

    /// Waits for the browser to come back (or `cancelled`, or the timeout).
    pub async fn wait(self, cancelled: oneshot::Receiver<()>) -> Result<Redirected, AppError> {
        let (done, outcome) = oneshot::channel();
        let waiting = Waiting {
            state: self.state,
            done: Arc::new(Mutex::new(Some(done))),
        };
        let app = axum::Router::new()
            .route("/callback", axum::routing::get(callback))
            .with_state(waiting);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(self.listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let result = tokio::select! {
            outcome = outcome => outcome.unwrap_or_else(|_| Err(AppError::new(ErrorKind::SignInFailed, "the sign-in listener stopped"))),
            _ = cancelled => Err(AppError::new(ErrorKind::Cancelled, "sign-in cancelled")),
            () = tokio::time::sleep(SIGN_IN_TIMEOUT) => Err(AppError::new(ErrorKind::SignInFailed, "the browser did not come back within five minutes")),
        };
        let _ = stop.send(());
        // A browser may hold its connection open; do not wait on it for long.
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
        result.map(|code| Redirected {
            code,
            verifier: self.verifier,
        })
    }
}
