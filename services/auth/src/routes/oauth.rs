use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::SignedCookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use http::{StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::flow::{self, AppRequest, Callback, SIGN_IN_TTL_MINUTES};
use crate::providers::ProviderKind;
use crate::rate::RateLimited;
use crate::routes::tokens::{TokenResponse, Tokens, no_store};
use crate::state::AppState;

/// Ties a sign-in to the browser that began it; signed with `SESSION_SECRET`.
/// Over plain HTTP (local development) it is `imgup_signin` on `/auth/oauth`.
const BINDING_COOKIE: &str = "imgup_signin";
/// … and over HTTPS `__Host-imgup_signin`: Secure, `Path=/` and no `Domain`,
/// which browsers demand of the prefix, so that no sibling subdomain or
/// plain-HTTP page can plant or shadow it (RFC 6265bis §4.1.3.2).
const HOST_BINDING_COOKIE: &str = "__Host-imgup_signin";

/// The binding cookie's name and path for this service's `PUBLIC_URL`.
fn binding_cookie(config: &crate::Config) -> (&'static str, &'static str) {
    if config.serves_https() {
        (HOST_BINDING_COOKIE, "/")
    } else {
        (BINDING_COOKIE, "/auth/oauth")
    }
}

#[derive(Debug, Deserialize)]
pub struct BeginQuery {
    redirect_uri: Option<String>,
    /// A native app's own state, echoed on its redirect.
    state: Option<String>,
    /// A native app's PKCE challenge: its redirect then carries a one-time
    /// `code` for `POST /auth/oauth/token` instead of the token.
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    /// `authorization_code` when given (RFC 6749 §4.1.3).
    grant_type: Option<String>,
    code: String,
    code_verifier: String,
}

fn provider(name: &str) -> Result<ProviderKind, AuthError> {
    ProviderKind::parse(name)
        .ok_or_else(|| AuthError::NotFound(format!("unknown sign-in provider {name:?}")))
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// `GET /auth/oauth/{provider}`: off to the provider, with state and PKCE.
pub async fn begin(
    _: RateLimited,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<BeginQuery>,
    jar: SignedCookieJar,
) -> Result<(SignedCookieJar, Response), AuthError> {
    let kind = provider(&name)?;
    let app = AppRequest::new(
        query.state,
        query.code_challenge,
        query.code_challenge_method.as_deref(),
    )?;
    let (name, path) = binding_cookie(&state.config);
    let binding = jar
        .get(name)
        .map(|c| c.value().to_owned())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let url = flow::begin(&state, kind, query.redirect_uri.as_deref(), &binding, app).await?;
    // Never a Domain: the cookie stays with this host alone.
    let cookie = Cookie::build((name, binding))
        .path(path)
        .http_only(true)
        .secure(state.config.serves_https())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(SIGN_IN_TTL_MINUTES));
    Ok((jar.add(cookie), found(url.as_str())))
}

/// `GET /auth/oauth/{provider}/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(callback): Query<Callback>,
    jar: SignedCookieJar,
) -> Result<Response, AuthError> {
    let kind = provider(&name)?;
    let (name, _) = binding_cookie(&state.config);
    let binding = jar.get(name).map(|c| c.value().to_owned());
    let target = flow::finish(&state, kind, callback, binding.as_deref()).await?;
    // The target may carry a token or a one-time code.
    let mut response = found(target.as_str());
    no_store(&mut response);
    Ok(response)
}

/// `POST /auth/oauth/token` (form: `code`, `code_verifier`): a native app
/// trades the one-time code from its redirect for a token.
pub async fn token(
    _: RateLimited,
    State(state): State<AppState>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Tokens, AuthError> {
    let Form(request) = form.map_err(|err| AuthError::InvalidRequest(err.body_text()))?;
    if request
        .grant_type
        .as_deref()
        .is_some_and(|grant| grant != "authorization_code")
    {
        return Err(AuthError::InvalidRequest(
            "grant_type must be authorization_code".into(),
        ));
    }
    let user = flow::redeem(&state, &request.code, &request.code_verifier).await?;
    Ok(Tokens(TokenResponse::sign_in(&state, &user).await?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderList {
    /// `google`, `github`, `oidc`: only those configured.
    pub providers: Vec<String>,
    /// Whether `POST /auth/oauth/test-token` is open (development).
    pub test_token: bool,
}

/// `GET /auth/providers`: what a sign-in page can offer; no auth needed.
pub async fn providers(State(state): State<AppState>) -> Json<ProviderList> {
    Json(ProviderList {
        providers: state
            .providers
            .configured()
            .into_iter()
            .map(|kind| kind.name().to_owned())
            .collect(),
        test_token: state.config.is_development(),
    })
}
