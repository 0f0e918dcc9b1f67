use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{self, AUTHORIZATION, HeaderValue};
use http::request::Parts;
use imgup_jwt::{Claims, Role, VerifyError};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::flow::issue_token;
use crate::rate::RateLimited;
use crate::refresh;
use crate::state::AppState;
use crate::users::User;

/// The caller, proven by a valid bearer token.
pub struct Bearer(pub Claims);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AuthError::Unauthorized("missing bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(imgup_jwt::bearer_token)
            .ok_or(AuthError::Unauthorized("malformed authorization header"))?;
        match state.verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(VerifyError::Expired) => Err(AuthError::Unauthorized("token expired")),
            Err(VerifyError::Invalid) => Err(AuthError::Unauthorized("invalid token")),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct UserView {
    pub user_id: i64,
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Trades for the next pair at `POST /auth/token/refresh`; single use.
    pub refresh_token: String,
    pub user: UserView,
}

impl TokenResponse {
    /// A fresh access token for `user`, beside `refresh_token`.
    pub fn new(state: &AppState, user: &User, refresh_token: String) -> Self {
        Self {
            access_token: issue_token(state, user),
            token_type: "bearer".into(),
            expires_in: state.signer.ttl_seconds(),
            refresh_token,
            user: UserView {
                user_id: user.id,
                email: user.email.clone(),
                name: user.name.clone(),
            },
        }
    }

    /// A sign-in's tokens: a new session for `user`.
    pub async fn sign_in(state: &AppState, user: &User) -> Result<Self, AuthError> {
        let refresh_token = refresh::start(state, user).await?;
        Ok(Self::new(state, user, refresh_token))
    }
}

#[derive(Debug, Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

fn refresh_request(
    body: Result<Json<RefreshRequest>, JsonRejection>,
) -> Result<RefreshRequest, AuthError> {
    body.map(|Json(request)| request)
        .map_err(|err| AuthError::BadRequest(err.body_text()))
}

/// `POST /auth/token/refresh` `{refresh_token}`: the next pair; the presented
/// refresh token is used up. Presented again, it revokes its whole session.
pub async fn refresh(
    _: RateLimited,
    State(state): State<AppState>,
    body: Result<Json<RefreshRequest>, JsonRejection>,
) -> Result<Tokens, AuthError> {
    let request = refresh_request(body)?;
    let (user, next) = refresh::rotate(&state, &request.refresh_token).await?;
    Ok(Tokens(TokenResponse::new(&state, &user, next)))
}

/// `POST /auth/logout` `{refresh_token}`: ends the session (204, known or not).
pub async fn logout(
    State(state): State<AppState>,
    body: Result<Json<RefreshRequest>, JsonRejection>,
) -> Result<StatusCode, AuthError> {
    let request = refresh_request(body)?;
    refresh::end(&state, &request.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token response: JSON that no cache may keep (RFC 6749 §5.1).
pub struct Tokens(pub TokenResponse);

impl IntoResponse for Tokens {
    fn into_response(self) -> Response {
        let mut response = Json(self.0).into_response();
        no_store(&mut response);
        response
    }
}

/// Marks a response that carries a token as not to be cached.
pub fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

#[derive(Debug, Deserialize)]
pub struct TestTokenQuery {
    email: Option<String>,
}

/// `POST /auth/oauth/test-token?email=…`: development only; a 404 elsewhere.
pub async fn test_token(
    _: RateLimited,
    State(state): State<AppState>,
    query: Result<Query<TestTokenQuery>, QueryRejection>,
) -> Result<Tokens, AuthError> {
    if !state.config.is_development() {
        return Err(AuthError::NotFound("not found".into()));
    }
    let Query(query) = query.map_err(|err| AuthError::BadRequest(err.body_text()))?;
    let email = query
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| valid_email(e))
        .ok_or_else(|| AuthError::BadRequest("email must be an email address".into()))?;
    let user = state.users.upsert_by_email(&email, "Test User").await?;
    if user.disabled {
        return Err(AuthError::UserDisabled);
    }
    Ok(Tokens(TokenResponse::sign_in(&state, &user).await?))
}

fn valid_email(email: &str) -> bool {
    email.len() <= 254
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@'))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Verified {
    pub user_id: i64,
    pub email: String,
}

fn user_id(claims: &Claims) -> Result<i64, AuthError> {
    claims
        .sub
        .parse()
        .map_err(|_| AuthError::Unauthorized("invalid token"))
}

/// `GET /.well-known/jwks.json`: the public keys tokens are signed with
/// (ES256 or EdDSA); empty with HS256, whose secret is never published.
pub async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json((*state.jwks).clone())
}

/// `POST /auth/verify`: who the token is for.
pub async fn verify(Bearer(claims): Bearer) -> Result<Json<Verified>, AuthError> {
    Ok(Json(Verified {
        user_id: user_id(&claims)?,
        email: claims.email,
    }))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub user_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

/// `GET /auth/me`: the signed-in user, as stored.
pub async fn me(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
) -> Result<Json<Me>, AuthError> {
    let user = state
        .users
        .get(user_id(&claims)?)
        .await?
        .ok_or(AuthError::Unauthorized("the user no longer exists"))?;
    Ok(Json(Me {
        user_id: user.id,
        role: claims.role,
        email: user.email,
        name: user.name,
    }))
}
