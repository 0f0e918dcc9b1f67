use std::any::Any;

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, Request, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::metrics::HttpMetrics;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest a request may take, body included, before it is answered 408: past
/// the longest wait a handler does on purpose (`COMPLETE_WAIT_MS`, at most 60 s).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Wraps a router in the layers every service wants, outermost first: a request
/// id (kept from the client or made up) echoed in the response, a trace span per
/// request carrying that id, credentials hidden from logs, a panic guard that
/// answers 500 with a JSON error instead of dropping the connection, and a
/// deadline for the whole request; `metrics` counts and times every answer,
/// the guards' 408 and 500 included.
pub fn with_http_layers(router: Router, metrics: &HttpMetrics) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %request_id,
            )
        })
        // One access-log line per request costs as much as the request itself at
        // high rates, so it is opt-in (`RUST_LOG=info,tower_http=debug`); 5xx
        // answers are always logged, and every log line inside a request carries
        // its id through the span.
        .on_response(DefaultOnResponse::new().level(Level::DEBUG));
    // One stack, added with one `Router::layer`: axum boxes each route once
    // per `layer` call and clones that box for every request, so seven
    // separate calls cost seven allocations a request (4 % of a `POST
    // /uploads` in a profile) where one costs one.
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(trace)
            .layer(metrics.layer())
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            )),
    )
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    let body = serde_json::json!({ "error": "internal error" });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}
