//! CORS for the services' browser clients: pages at the allowed origins may
//! call with a bearer token (no cookies); every other origin gets no CORS
//! headers at all, so its pages cannot read an answer.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Web origins (`scheme://host[:port]`, no path): `CORS_ALLOWED_ORIGINS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(pub Vec<String>);

/// A comma list of origins; anything else (a path, a trailing slash, a
/// user name, another scheme) is refused with the reason.
pub fn parse_origins(list: &str) -> Result<Origins, String> {
    let mut origins = Vec::new();
    for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let parsed = url::Url::parse(origin).map_err(|e| format!("{origin:?}: {e}"))?;
        let bare = matches!(parsed.scheme(), "http" | "https")
            && parsed.host_str().is_some()
            && parsed.path() == "/"
            && !origin.ends_with('/')
            && parsed.query().is_none()
            && parsed.username().is_empty();
        if !bare {
            return Err(format!(
                "{origin:?} is not an origin like https://app.example.com (scheme, host, optional port)"
            ));
        }
        origins.push(origin.to_owned());
    }
    Ok(Origins(origins))
}

/// The layer for `origins`, allowing `methods` with the `Authorization` and
/// `Content-Type` headers, and letting pages read `Retry-After` and the
/// request id.
pub fn layer(origins: &[String], methods: &[Method]) -> CorsLayer {
    // A predicate over a shared list rather than `AllowOrigin::list`: the
    // layer is cloned for every request, and a list is a `Vec` to copy.
    let origins: Arc<[HeaderValue]> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origins.contains(origin)
        }))
        .allow_methods(methods.to_vec())
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}
