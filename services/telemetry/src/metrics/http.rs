//! Requests by route, method and status, and their latency, recorded by a
//! layer that each route carries: after the first request a route's layer
//! holds its own counters, so the hot path is a clock read and a few relaxed
//! atomic adds, with no lookup and no lock.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{Method, Request, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use tower::{Layer, Service};

use super::histogram::LatencyHistogram;

/// The route label of requests that matched no route (the 404 fallback).
const UNMATCHED: &str = "unmatched";
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];
const FIRST_STATUS: u16 = 100;
const STATUSES: usize = 500; // 100..=599

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

#[derive(Debug)]
struct ByMethod {
    statuses: Box<[AtomicU64; STATUSES]>,
    latency: LatencyHistogram,
}

impl Default for ByMethod {
    fn default() -> Self {
        Self {
            statuses: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            latency: LatencyHistogram::default(),
        }
    }
}

#[derive(Debug, Default)]
struct RouteMetrics {
    methods: [ByMethod; METHODS.len()],
    /// Refusals by their `code`: only error answers take this lock.
    errors: Mutex<BTreeMap<ErrorCode, u64>>,
}

impl RouteMetrics {
    fn record(&self, method: usize, status: u16, started: Instant) {
        let by_method = &self.methods[method];
        let slot = usize::from(status.saturating_sub(FIRST_STATUS)).min(STATUSES - 1);
        by_method.statuses[slot].fetch_add(1, Ordering::Relaxed);
        by_method.latency.observe(started.elapsed());
    }

    fn record_error(&self, code: &ErrorCode) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        match errors.get_mut(code) {
            Some(count) => *count += 1,
            None => {
                errors.insert(code.clone(), 1);
            }
        }
    }
}

/// The machine-readable `code` of an error answer, put in the response's
/// extensions by the service's error type so that refusals are counted by
/// kind (`quota_exceeded`, `rate_limited`, …).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ErrorCode(pub Cow<'static, str>);

/// `http_requests_total{method,route,status}` and
/// `http_request_duration_seconds{method,route}` for one service.
#[derive(Clone, Debug, Default)]
pub struct HttpMetrics {
    routes: Arc<Mutex<BTreeMap<String, Arc<RouteMetrics>>>>,
}

impl HttpMetrics {
    /// The layer to put on a router (`Router::layer`, so that it runs per
    /// route and sees the matched path).
    pub fn layer(&self) -> HttpMetricsLayer {
        HttpMetricsLayer {
            metrics: self.clone(),
        }
    }

    fn route(&self, path: &str) -> Arc<RouteMetrics> {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.entry(path.to_owned()).or_default().clone()
    }
}

impl Collector for HttpMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let routes: Vec<(String, Arc<RouteMetrics>)> = {
            let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            routes.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut requests = encoder.encode_descriptor(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            None,
            MetricType::Counter,
        )?;
        for (route, metrics) in &routes {
            for (method, by_method) in METHODS.iter().zip(&metrics.methods) {
                for (slot, count) in by_method.statuses.iter().enumerate() {
                    let count = count.load(Ordering::Relaxed);
                    if count == 0 {
                        continue;
                    }
                    let status = (FIRST_STATUS as usize + slot).to_string();
                    let labels = [
                        ("method", *method),
                        ("route", route.as_str()),
                        ("status", status.as_str()),
                    ];
                    requests
                        .encode_family(&labels)?
                        .encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(
                            &count, None,
                        )?;
                }
            }
        }
        let mut latency = encoder.encode_descriptor(
            "http_request_duration_seconds",
            "Time from a request's arrival at its route to its answer",
            None,
            MetricType::Histogram,
        )?;
        for (route, metrics) in &routes {
            for (method, by_method) in METHODS.iter().zip(&metrics.methods) {
                if by_method.latency.count() == 0 {
                    continue;
                }
                let labels = [("method", *method), ("route", route.as_str())];
                by_method
                    .latency
                    .encode_into(latency.encode_family(&labels)?)?;
            }
        }
        let mut errors = encoder.encode_descriptor(
            "http_errors",
            "Error answers by route and their machine-readable code",
            None,
            MetricType::Counter,
        )?;
        for (route, metrics) in &routes {
            let codes = metrics
                .errors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            for (code, count) in codes {
                let labels = [("route", route.as_str()), ("code", code.0.as_ref())];
                errors
                    .encode_family(&labels)?
                    .encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(
                        &count, None,
                    )?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct HttpMetricsLayer {
    metrics: HttpMetrics,
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered {
            inner,
            metrics: self.metrics.clone(),
            route: Arc::new(OnceLock::new()),
        }
    }
}

/// One route's service: `route` is shared by every clone of it and filled by
/// its first request.
#[derive(Clone, Debug)]
pub struct Metered<S> {
    inner: S,
    metrics: HttpMetrics,
    route: Arc<OnceLock<Arc<RouteMetrics>>>,
}

impl<S, B, ResBody> Service<Request<B>> for Metered<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = MeteredFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let method = method_index(request.method());
        let route = self
            .route
            .get_or_init(|| {
                let path = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or(UNMATCHED, MatchedPath::as_str);
                self.metrics.route(path)
            })
            .clone();
        MeteredFuture {
            answer: self.inner.call(request),
            route,
            method,
            started,
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, recorded when it is ready (a request dropped before
    /// its answer, its client gone, is not counted).
    pub struct MeteredFuture<F> {
        #[pin]
        answer: F,
        route: Arc<RouteMetrics>,
        method: usize,
        started: Instant,
    }
}

impl<F, ResBody, E> Future for MeteredFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.answer.poll(cx));
        if let Ok(response) = &answer {
            this.route
                .record(*this.method, response.status().as_u16(), *this.started);
            if let Some(code) = response.extensions().get::<ErrorCode>() {
                this.route.record_error(code);
            }
        }
        Poll::Ready(answer)
    }
}
