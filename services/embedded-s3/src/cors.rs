//! CORS as S3 and MinIO apply a bucket's rules: a page at an allowed origin
//! may GET, HEAD and PUT objects through presigned URLs (the browser upload
//! of the web client) and read the `ETag` of what it put; preflights are
//! answered without authentication, other origins get no CORS headers.

use std::time::Duration;

use http::{HeaderValue, Method, header};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::EmbeddedS3Error;

/// How long a browser may remember a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(3600);

pub fn layer(origins: &[String]) -> Result<CorsLayer, EmbeddedS3Error> {
    let origins = origins
        .iter()
        .map(|o| {
            is_origin(o)
                .then(|| HeaderValue::from_str(o).ok())
                .flatten()
                .ok_or_else(|| EmbeddedS3Error::Origin(o.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::HEAD, Method::PUT])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::ETAG])
        .max_age(PREFLIGHT_MAX_AGE))
}

/// `http(s)://host[:port]`, as a browser sends it in `Origin`: no path, no wildcard.
fn is_origin(o: &str) -> bool {
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    rest.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ', '*']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_origins_are_taken() {
        assert!(
            layer(&[
                "http://localhost:5173".into(),
                "https://app.example.com".into()
            ])
            .is_ok()
        );
        for bad in [
            "localhost:5173",
            "http://",
            "http://a/b",
            "*",
            "https://*.example.com",
        ] {
            assert!(layer(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
