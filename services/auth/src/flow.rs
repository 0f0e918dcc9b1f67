//! A sign-in from start to finish: begin (state, PKCE, remember both, send the
//! browser to the provider) and finish (check the state, trade the code, learn
//! who it is, keep the user, issue a token, send the browser on).

use chrono::{Duration, Utc};
use imgup_jwt::TokenSubject;
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    TokenResponse,
};
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::AuthError;
use crate::providers::{ProviderError, ProviderKind};
use crate::redirect;
use crate::state::AppState;
use crate::users::{PendingSignIn, SignInCode, User};

/// How long a begun sign-in stays valid.
pub const SIGN_IN_TTL_MINUTES: i64 = 10;

/// How long a native app has to trade its one-time code.
pub const CODE_TTL_SECONDS: i64 = 60;

/// What a native app adds to a sign-in (RFC 8252): its own `state`, echoed on
/// the redirect, and a PKCE challenge (RFC 7636, S256), with which the
/// redirect carries a one-time code instead of the token, so that another
/// program that sees the loopback redirect gains nothing. A loopback
/// `redirect_uri` without a challenge is refused.
#[derive(Debug, Default, Clone)]
pub struct AppRequest {
    pub state: Option<String>,
    pub code_challenge: Option<String>,
}

impl AppRequest {
    /// Checks the parameters as they arrive on `GET /auth/oauth/{provider}`.
    pub fn new(
        state: Option<String>,
        code_challenge: Option<String>,
        method: Option<&str>,
    ) -> Result<Self, AuthError> {
        if state
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > 512)
        {
            return Err(AuthError::BadRequest(
                "state must be 1 to 512 characters".into(),
            ));
        }
        match (&code_challenge, method) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(AuthError::BadRequest(
                    "code_challenge_method without code_challenge".into(),
                ));
            }
            (Some(_), method) if method != Some("S256") => {
                return Err(AuthError::BadRequest(
                    "code_challenge_method must be S256".into(),
                ));
            }
            (Some(challenge), _) => {
                // base64url of a SHA-256 digest, without padding.
                let well_formed = challenge.len() == 43
                    && challenge
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !well_formed {
                    return Err(AuthError::BadRequest(
                        "code_challenge must be the base64url SHA-256 of the verifier (43 characters)"
                            .into(),
                    ));
                }
            }
        }
        Ok(Self {
            state,
            code_challenge,
        })
    }
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

fn binding_hash(binding: &str) -> String {
    hex::encode(Sha256::digest(binding.as_bytes()))
}

fn provider_error(err: ProviderError) -> AuthError {
    match err {
        ProviderError::NotConfigured(_) => AuthError::NotFound(err.to_string()),
        other => AuthError::BadRequest(other.to_string()),
    }
}

/// Where the browser goes to sign in at the provider.
pub async fn begin(
    state: &AppState,
    kind: ProviderKind,
    redirect_uri: Option<&str>,
    binding: &str,
    app: AppRequest,
) -> Result<Url, AuthError> {
    let redirect_uri = match redirect_uri {
        Some(candidate) => Some(
            redirect::allowed(candidate, &state.config.frontend_url)
                .ok_or_else(|| AuthError::BadRequest("redirect_uri is not allowed".into()))?,
        ),
        None => None,
    };
    // Any program on the machine can listen on a loopback port, so a native
    // app's redirect only ever carries a code that needs the app's verifier
    // (RFC 8252 §8.1); RFC 7636 §4.4.1 names the refusal `invalid_request`.
    if let Some(target) = &redirect_uri
        && redirect::is_native_app(target, &state.config.frontend_url)
        && app.code_challenge.is_none()
    {
        return Err(AuthError::InvalidRequest(
            "a loopback redirect_uri requires the app's PKCE code_challenge (S256)".into(),
        ));
    }
    let client = match state.providers.client(kind).await {
        Ok(client) => client,
        Err(ProviderError::Unavailable(reason)) => {
            tracing::warn!(
                provider = kind.name(),
                "provider discovery failed: {reason}"
            );
            return Err(AuthError::ProviderUnavailable(format!(
                "{} sign-in is unavailable right now",
                kind.name()
            )));
        }
        Err(other) => return Err(provider_error(other)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .oauth
        .authorize_url(CsrfToken::new_random)
        .add_scopes(client.scopes().iter().map(|s| Scope::new((*s).to_owned())))
        .set_pkce_challenge(challenge)
        .url();
    state
        .users
        .save_sign_in(&PendingSignIn {
            state: csrf.secret().clone(),
            provider: kind.name().to_owned(),
            pkce_verifier: verifier.secret().clone(),
            redirect_uri: redirect_uri.map(String::from),
            binding_hash: binding_hash(binding),
            expires_at: Utc::now() + Duration::minutes(SIGN_IN_TTL_MINUTES),
            client_state: app.state,
            code_challenge: app.code_challenge,
        })
        .await?;
    Ok(url)
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Finishes a sign-in: where to send the browser. The web frontend gets
/// `#access_token=…&token_type=bearer&refresh_token=…&expires_in=…` in the
/// fragment; a native app (which sent a PKCE challenge) a one-time `code` in
/// the query, which is worthless without its verifier; a failure `error` and
/// `error_description` in the query; an app's `state` is echoed in the query.
/// A state that is unknown, used, expired, or begun in another browser is
/// refused outright, since then there is no trusted place to go.
pub async fn finish(
    state: &AppState,
    kind: ProviderKind,
    callback: Callback,
    binding: Option<&str>,
) -> Result<Url, AuthError> {
    let state_param = callback
        .state
        .as_deref()
        .ok_or_else(|| AuthError::BadRequest("the callback carries no state".into()))?;
    let pending = state
        .users
        .take_sign_in(state_param)
        .await?
        .ok_or_else(|| {
            AuthError::BadRequest(
                "unknown or already used sign-in state; please sign in again".into(),
            )
        })?;
    if pending.provider != kind.name() {
        return Err(AuthError::BadRequest(
            "the sign-in state belongs to another provider".into(),
        ));
    }
    if pending.expires_at < Utc::now() {
        return Err(AuthError::BadRequest(
            "the sign-in took too long; please sign in again".into(),
        ));
    }
    if binding.map(binding_hash).as_deref() != Some(pending.binding_hash.as_str()) {
        return Err(AuthError::BadRequest(
            "the sign-in was started in another browser".into(),
        ));
    }
    let target = match &pending.redirect_uri {
        Some(uri) => redirect::allowed(uri, &state.config.frontend_url)
            .ok_or_else(|| AuthError::BadRequest("redirect_uri is not allowed".into()))?,
        None => redirect::frontend_callback(&state.config.frontend_url),
    };
    let target = match &pending.client_state {
        Some(client_state) => redirect::with_param(target, "state", client_state),
        None => target,
    };
    let signed_in = sign_in(state, kind, &pending, &callback)
        .await
        .and_then(|user| {
            if user.disabled {
                Err(SignInFailure::User(
                    "user_disabled",
                    "this account is disabled".into(),
                ))
            } else {
                Ok(user)
            }
        });
    match signed_in {
        Ok(user) => match &pending.code_challenge {
            Some(challenge) => {
                let code = CsrfToken::new_random_len(32).into_secret();
                state
                    .users
                    .save_code(&SignInCode {
                        code_hash: code_hash(&code),
                        user_id: user.id,
                        code_challenge: challenge.clone(),
                        expires_at: Utc::now() + Duration::seconds(CODE_TTL_SECONDS),
                    })
                    .await?;
                Ok(redirect::with_param(target, "code", &code))
            }
            None => {
                // The web frontend: the tokens go in the fragment, never the
                // query, so that no server, log or `Referer` ever sees them.
                let access_token = issue_token(state, &user);
                let refresh_token = crate::refresh::start(state, &user).await?;
                let expires_in = state.signer.ttl_seconds().to_string();
                Ok(redirect::with_fragment(
                    target,
                    &[
                        ("access_token", &access_token),
                        ("token_type", "bearer"),
                        ("refresh_token", &refresh_token),
                        ("expires_in", &expires_in),
                    ],
                ))
            }
        },
        Err(SignInFailure::Database(err)) => Err(err),
        Err(SignInFailure::User(code, reason)) => {
            tracing::info!(provider = kind.name(), code, "sign-in failed: {reason}");
            Ok(redirect::with_param(
                redirect::with_param(target, "error", code),
                "error_description",
                &reason,
            ))
        }
    }
}

/// Trades a native app's one-time code and PKCE verifier for its user. The
/// code is spent by the attempt, right or wrong.
pub async fn redeem(state: &AppState, code: &str, verifier: &str) -> Result<User, AuthError> {
    check_verifier(verifier)?;
    let refused = || AuthError::InvalidCode("unknown, used or expired code".into());
    let stored = state
        .users
        .take_code(&code_hash(code))
        .await?
        .ok_or_else(refused)?;
    if stored.expires_at < Utc::now() {
        return Err(refused());
    }
    let expected =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_owned()));
    if expected.as_str() != stored.code_challenge {
        return Err(AuthError::InvalidCode(
            "code_verifier does not match the code_challenge".into(),
        ));
    }
    let user = state.users.get(stored.user_id).await?.ok_or_else(refused)?;
    if user.disabled {
        return Err(AuthError::UserDisabled);
    }
    Ok(user)
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`. Checked before
/// the verifier reaches the PKCE code, which asserts the length.
pub fn check_verifier(verifier: &str) -> Result<(), AuthError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if well_formed {
        Ok(())
    } else {
        Err(AuthError::InvalidRequest(
            "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'"
                .into(),
        ))
    }
}

enum SignInFailure {
    /// Told to the user on the page they land on.
    User(&'static str, String),
    Database(AuthError),
}

async fn sign_in(
    state: &AppState,
    kind: ProviderKind,
    pending: &crate::users::PendingSignIn,
    callback: &Callback,
) -> Result<User, SignInFailure> {
    if let Some(error) = &callback.error {
        let code = if error == "access_denied" {
            "access_denied"
        } else {
            "provider_error"
        };
        return Err(SignInFailure::User(
            code,
            format!("the provider answered {error:?}"),
        ));
    }
    let code = callback.code.clone().ok_or_else(|| {
        SignInFailure::User("invalid_request", "the callback carries no code".into())
    })?;
    let client = state.providers.client(kind).await.map_err(user_failure)?;
    let token = client
        .oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(state.providers.http())
        .await
        .map_err(|err| match err {
            RequestTokenError::ServerResponse(response) => SignInFailure::User(
                "provider_refused",
                format!("the provider refused the code ({})", response.error()),
            ),
            other => SignInFailure::User(
                "provider_unavailable",
                format!("the provider could not be reached: {other}"),
            ),
        })?;
    let identity = state
        .providers
        .identity(&client, token.access_token().secret())
        .await
        .map_err(user_failure)?;
    state
        .users
        .upsert_oauth(&identity)
        .await
        .map_err(|e| SignInFailure::Database(e.into()))
}

fn user_failure(err: ProviderError) -> SignInFailure {
    match err {
        ProviderError::Unavailable(reason) => SignInFailure::User("provider_unavailable", reason),
        other => SignInFailure::User("provider_refused", other.to_string()),
    }
}

/// A signed token for `user`, with the role [`crate::Config::role_of`] gives.
pub fn issue_token(state: &AppState, user: &User) -> String {
    state.signer.sign(&TokenSubject {
        user_id: user.id.to_string(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: state.config.role_of(user),
    })
}
