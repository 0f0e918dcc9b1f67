use std::borrow::Cow;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use imgup_policy::ValidationError;
use imgup_telemetry::ErrorCode;
use serde_json::json;

use crate::storage::StorageError;
use crate::store::StoreError;

/// Every way a request can fail, each with its status; the body is always
/// `{"error": "<sentence>", "code": "<stable snake_case name>"}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller is known but may not do this (an admin's route).
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The post is not in a state that allows the request; the first field is the code.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The stored object failed the checks; it has been deleted.
    #[error("{reason}")]
    Rejected { code: String, reason: String },
    /// The image is still being processed; ask again shortly.
    #[error("the image is still being processed")]
    Processing,
    /// The caller keeps as much as their quota allows.
    #[error("{0}")]
    QuotaExceeded(String),
    /// The caller started too many uploads this minute.
    #[error("too many requests; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The image queue is full; ask again shortly.
    #[error("too many images are waiting to be processed")]
    Busy,
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("database unavailable")]
    DatabaseUnavailable,
    #[error("storage unavailable")]
    StorageUnavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::QuotaExceeded(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(..) => StatusCode::CONFLICT,
            Self::Rejected { .. } | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::DatabaseUnavailable
            | Self::StorageUnavailable
            | Self::Processing
            | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable name of the error, stable across releases.
    pub fn code(&self) -> &str {
        match self {
            Self::Rejected { code, .. } => code,
            other => other.static_code(),
        }
    }

    fn static_code(&self) -> &'static str {
        match self {
            Self::Validation(ValidationError::FileTooLarge) => "file_too_large",
            Self::Validation(ValidationError::UnsupportedFileType) => "unsupported_type",
            Self::Validation(ValidationError::EmptyFile) => "empty_file",
            Self::Validation(ValidationError::InvalidFilename(_)) => "invalid_filename",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::QuotaExceeded(_) => "quota_exceeded",
            Self::RateLimited { .. } => "rate_limited",
            Self::Conflict(code, _) => code,
            Self::Rejected { .. } => "rejected",
            Self::Processing => "processing",
            Self::Busy => "busy",
            Self::Unprocessable(_) => "unprocessable",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(err) => tracing::error!("internal error: {err:#}"),
            Self::DatabaseUnavailable | Self::StorageUnavailable | Self::Busy => {
                tracing::warn!("{self}")
            }
            _ => tracing::debug!(%status, "{self}"),
        }
        let body = json!({ "error": self.to_string(), "code": self.code() });
        let mut response = (status, Json(body)).into_response();
        let code = match &self {
            Self::Rejected { code, .. } => Cow::Owned(code.clone()),
            _ => Cow::Borrowed(self.static_code()),
        };
        response.extensions_mut().insert(ErrorCode(code));
        let headers = response.headers_mut();
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                let seconds = if matches!(self, Self::Processing) {
                    "1"
                } else {
                    "5"
                };
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                if let Self::RateLimited { retry_after } = self {
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
                }
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self::DatabaseUnavailable,
            StoreError::Other(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Unavailable(_) => Self::StorageUnavailable,
            StorageError::Other(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}
