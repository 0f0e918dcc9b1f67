use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

/// Every error the service answers: `{"error": "<text>", "code": "<stable snake_case>"}`.
/// The text is for people and may change; the code is for programs and does not.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    BadRequest(String),
    /// A malformed OAuth request (RFC 6749 §5.2 `invalid_request`), such as a
    /// `code_verifier` that is not 43–128 unreserved characters.
    #[error("{0}")]
    InvalidRequest(String),
    /// A one-time code that is unknown, used, expired or not the verifier's
    /// (RFC 6749 §5.2 `invalid_grant`, a 400 at the code trade).
    #[error("{0}")]
    InvalidCode(String),
    /// A refresh token that is unknown, expired, revoked or already used.
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("this account is disabled")]
    UserDisabled,
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    ProviderUnavailable(String),
    /// Too many requests from the client's address this minute.
    #[error("too many requests; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("database unavailable")]
    DatabaseUnavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::InvalidRequest(_) | Self::InvalidCode(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized(_) | Self::InvalidGrant(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::UserDisabled => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::DatabaseUnavailable | Self::ProviderUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code of the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidCode(_) | Self::InvalidGrant(_) => "invalid_grant",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::UserDisabled => "user_disabled",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RateLimited { .. } => "rate_limited",
            Self::ProviderUnavailable(_) => "provider_unavailable",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(err: sqlx::Error) -> Self {
        if imgup_db::is_unavailable(&err) {
            Self::DatabaseUnavailable
        } else {
            Self::Internal(err.into())
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(err) => tracing::error!("internal error: {err:#}"),
            Self::DatabaseUnavailable => tracing::warn!("{self}"),
            _ => tracing::debug!(%status, code = self.code(), "{self}"),
        }
        let body = json!({ "error": self.to_string(), "code": self.code() });
        let mut response = (status, Json(body)).into_response();
        response
            .extensions_mut()
            .insert(imgup_telemetry::ErrorCode(self.code().into()));
        match status {
            StatusCode::UNAUTHORIZED => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                if let Self::RateLimited { retry_after } = self {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
                }
            }
            _ => {}
        }
        response
    }
}
