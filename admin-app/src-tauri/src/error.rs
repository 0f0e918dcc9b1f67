//! One error type for every command, in the shape the UI reads:
//! `{ "kind": "tooLarge", "message": "…", "code": "file_too_large" }` (`code`:
//! the service's stable name of the error, where it gave one).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// No token, or the token expired: sign in again.
    Unauthorized,
    Forbidden,
    NotFound,
    /// Larger than the upload policy allows.
    TooLarge,
    /// A type the policy does not accept, or a name that does not match it.
    UnsupportedType,
    /// The server checked the uploaded object and refused it.
    Rejected,
    /// The service could not be reached.
    Network,
    /// The service failed (5xx) or answered something unexpected.
    Server,
    InvalidInput,
    SignInFailed,
    Cancelled,
    /// The token could not be kept or read on this machine.
    Storage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The service's `code` (`quota_exceeded`, `rate_limited`, …), for the UI's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub code: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// The error a service meant by `status` and its `{"error": …, "code": …}`
    /// body (`code` is newer: older servers are read by their sentence).
    pub fn from_status(status: reqwest::StatusCode, body: &str) -> Self {
        let json = serde_json::from_str::<serde_json::Value>(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name).and_then(|e| e.as_str()).map(str::to_owned))
        };
        let code = field("code").unwrap_or_default();
        let message = field("error").unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unexpected answer")
                .to_owned()
        });
        let kind = match status.as_u16() {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            413 => ErrorKind::TooLarge,
            422 => ErrorKind::Rejected,
            400 if code == "file_too_large" || message == "File too large" => ErrorKind::TooLarge,
            400 if code == "unsupported_type" || message == "Unsupported file type" => {
                ErrorKind::UnsupportedType
            }
            400..=499 => ErrorKind::InvalidInput,
            _ => ErrorKind::Server,
        };
        Self {
            code: Some(code).filter(|c| !c.is_empty()),
            ..Self::new(kind, message)
        }
    }
}

impl From<reqwest::Error> for AppError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_decode() {
            Self::new(
                ErrorKind::Server,
                format!("the service answered something unexpected: {err}"),
            )
        } else {
            // Connection refused, DNS, timeouts, TLS: the service is out of reach.
            let url = err.url().map(|u| u.origin().ascii_serialization());
            Self::new(
                ErrorKind::Network,
                match url {
                    Some(origin) => format!("cannot reach {origin}"),
                    None => "cannot reach the service".to_owned(),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn service_answers_become_kinds_the_ui_can_explain() {
        let cases = [
            (401, r#"{"error":"token expired"}"#, ErrorKind::Unauthorized),
            (403, r#"{"error":"not yours"}"#, ErrorKind::Forbidden),
            (
                403,
                r#"{"error":"over the quota","code":"quota_exceeded"}"#,
                ErrorKind::Forbidden,
            ),
            (404, r#"{"error":"not found"}"#, ErrorKind::NotFound),
            (400, r#"{"error":"File too large"}"#, ErrorKind::TooLarge),
            (
                400,
                r#"{"error":"Unsupported file type"}"#,
                ErrorKind::UnsupportedType,
            ),
            (
                400,
                r#"{"error":"title is too long"}"#,
                ErrorKind::InvalidInput,
            ),
            (
                422,
                r#"{"error":"the object is not a PNG"}"#,
                ErrorKind::Rejected,
            ),
            (
                400,
                r#"{"error":"too big, really","code":"file_too_large"}"#,
                ErrorKind::TooLarge,
            ),
            (
                400,
                r#"{"error":"no such type","code":"unsupported_type"}"#,
                ErrorKind::UnsupportedType,
            ),
            (
                422,
                r#"{"error":"the image is corrupt","code":"corrupt"}"#,
                ErrorKind::Rejected,
            ),
            (503, r#"{"error":"busy","code":"busy"}"#, ErrorKind::Server),
            (
                503,
                r#"{"error":"database unavailable"}"#,
                ErrorKind::Server,
            ),
            (502, "<html>bad gateway</html>", ErrorKind::Server),
        ];
        for (status, body, kind) in cases {
            let err = AppError::from_status(StatusCode::from_u16(status).unwrap(), body);
            assert_eq!(err.kind, kind, "{status} {body}");
        }
        let err = AppError::from_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"error":"the object is not a PNG"}"#,
        );
        assert_eq!(err.message, "the object is not a PNG");
        assert_eq!(
            AppError::from_status(StatusCode::BAD_GATEWAY, "<html>").message,
            "Bad Gateway"
        );
    }

    #[test]
    fn errors_serialise_as_the_ui_expects() {
        let json = serde_json::to_value(AppError::new(ErrorKind::TooLarge, "big")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "kind": "tooLarge", "message": "big" })
        );
        let quota = AppError::from_status(
            StatusCode::FORBIDDEN,
            r#"{"error":"you keep 100 posts","code":"quota_exceeded"}"#,
        );
        assert_eq!(
            serde_json::to_value(quota).unwrap(),
            serde_json::json!({ "kind": "forbidden", "message": "you keep 100 posts", "code": "quota_exceeded" })
        );
    }
}
