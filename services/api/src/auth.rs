use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::header::AUTHORIZATION;
use http::request::Parts;
use imgup_jwt::{Claims, VerifyError};

use crate::error::ApiError;
use crate::state::AppState;

/// The caller, proven by a valid bearer token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Arc<Claims>);

impl AuthUser {
    pub fn id(&self) -> &str {
        &self.0.sub
    }

    pub fn is_admin(&self) -> bool {
        self.0.is_admin()
    }

    /// Whether the caller may see or change what `owner_id` owns.
    pub fn may_access(&self, owner_id: &str) -> bool {
        self.is_admin() || self.id() == owner_id
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("missing bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(imgup_jwt::bearer_token)
            .ok_or(ApiError::Unauthorized("malformed authorization header"))?;
        match state.verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(VerifyError::Expired) => Err(ApiError::Unauthorized("token expired")),
            Err(VerifyError::Invalid) => Err(ApiError::Unauthorized("invalid token")),
        }
    }
}
