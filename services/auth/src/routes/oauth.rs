use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::SignedCookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use http::{StatusCode, header};
use serde::Deserialize;

use crate::error::AuthError;
use crate::flow::{self, Callback, SIGN_IN_TTL_MINUTES};
use crate::providers::ProviderKind;
use crate::state::AppState;

/// Ties a sign-in to the browser that began it; signed with `SESSION_SECRET`.
const BINDING_COOKIE: &str = "imgup_signin";

#[derive(Debug, Deserialize)]
pub struct BeginQuery {
    redirect_uri: Option<String>,
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
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<BeginQuery>,
    jar: SignedCookieJar,
) -> Result<(SignedCookieJar, Response), AuthError> {
    let kind = provider(&name)?;
    let binding = jar
        .get(BINDING_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let url = flow::begin(&state, kind, query.redirect_uri.as_deref(), &binding).await?;
    let cookie = Cookie::build((BINDING_COOKIE, binding))
        .path("/auth/oauth")
        .http_only(true)
        .secure(state.config.public_url.scheme() == "https")
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
    let binding = jar.get(BINDING_COOKIE).map(|c| c.value().to_owned());
    let target = flow::finish(&state, kind, callback, binding.as_deref()).await?;
    Ok(found(target.as_str()))
}
