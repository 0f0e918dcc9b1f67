//! A sign-in from start to finish: begin (state, PKCE, remember both, send the
//! browser to the provider) and finish (check the state, trade the code, learn
//! who it is, keep the user, issue a token, send the browser on).

use chrono::{Duration, Utc};
use imgup_jwt::{Role, TokenSubject};
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
use crate::users::{PendingSignIn, User};

/// How long a begun sign-in stays valid.
pub const SIGN_IN_TTL_MINUTES: i64 = 10;

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
) -> Result<Url, AuthError> {
    let redirect_uri = match redirect_uri {
        Some(candidate) => Some(
            redirect::allowed(candidate, &state.config.frontend_url)
                .ok_or_else(|| AuthError::BadRequest("redirect_uri is not allowed".into()))?,
        ),
        None => None,
    };
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

/// Finishes a sign-in: where to send the browser, with `token` or `error` in
/// the query. A state that is unknown, used, expired, or begun in another
/// browser is refused outright, since then there is no trusted place to go.
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
    match sign_in(state, kind, &pending, &callback).await {
        Ok(token) => Ok(redirect::with_param(target, "token", &token)),
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
) -> Result<String, SignInFailure> {
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
    let user = state
        .users
        .upsert_oauth(&identity)
        .await
        .map_err(|e| SignInFailure::Database(e.into()))?;
    Ok(issue_token(state, &user))
}

fn user_failure(err: ProviderError) -> SignInFailure {
    match err {
        ProviderError::Unavailable(reason) => SignInFailure::User("provider_unavailable", reason),
        other => SignInFailure::User("provider_refused", other.to_string()),
    }
}

/// A signed token for `user`, with the admin role when their email is listed.
pub fn issue_token(state: &AppState, user: &User) -> String {
    let role = if state.config.is_admin_email(&user.email) {
        Role::Admin
    } else {
        Role::User
    };
    state.signer.sign(&TokenSubject {
        user_id: user.id.to_string(),
        email: user.email.clone(),
        name: user.name.clone(),
        role,
    })
}
