use std::any::Any;

use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, Request, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::metrics::{ErrorCode, HttpMetrics};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest a request may take, body included, before it is answered 408: past
/// the longest wait a handler does on purpose (`COMPLETE_WAIT_MS`, at most 60 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// Wraps a router in the layers every service wants, outermost first: a request
/// id (kept from the client or made up) echoed in the response, a trace span per
/// request carrying that id, credentials hidden from logs, a panic guard that
/// answers 500 with a JSON error instead of dropping the connection, and a
/// deadline for the whole request; `metrics` (when on) counts and times every
/// answer, the guards' 408 and 500 included. The guards' answers, and axum's
/// own 405, carry the same `{error, code}` body as every other error.
pub fn with_http_layers(router: Router, metrics: Option<&HttpMetrics>) -> Router {
    with_http_layers_and_deadline(router, metrics, REQUEST_TIMEOUT)
}

/// [`with_http_layers`] with another deadline for the whole request.
pub fn with_http_layers_and_deadline(
    router: Router,
    metrics: Option<&HttpMetrics>,
    deadline: Duration,
) -> Router {
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
            .option_layer(metrics.map(HttpMetrics::layer))
            .layer(CatchPanicLayer::custom(panic_response))
            .map_response(explain_bare_refusal)
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                deadline,
            )),
    )
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        "internal",
    )
}

/// `{"error": …, "code": …}`, counted by its code like the services' own errors.
fn error_response(status: StatusCode, error: &str, code: &'static str) -> Response {
    let body = serde_json::json!({ "error": error, "code": code });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .extensions_mut()
        .insert(ErrorCode(std::borrow::Cow::Borrowed(code)));
    response
}

/// The deadline's 408 and axum's 405 (a route without that method) come with
/// no body; give them the one every other error has, keeping their headers
/// (`Allow`).
fn explain_bare_refusal(response: Response) -> Response {
    let (error, code) = match response.status() {
        StatusCode::REQUEST_TIMEOUT => ("the request took too long", "timeout"),
        StatusCode::METHOD_NOT_ALLOWED => ("method not allowed", "method_not_allowed"),
        _ => return response,
    };
    if response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let explained = error_response(parts.status, error, code);
    let (explained_parts, body) = explained.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.extensions.extend(explained_parts.extensions);
    Response::from_parts(parts, body)
}
