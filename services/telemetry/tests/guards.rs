//! The guards every service's router is wrapped in, over a real socket: a
//! request past its deadline, a handler that panics and a method a route does
//! not have are answered with the same `{error, code}` body as every other
//! error, and counted by that code; a connection that never speaks, or that
//! speaks HTTP/2, is not served.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use imgup_telemetry::{EdgeLimits, Metrics, serve_with, with_http_layers_and_deadline};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(metrics: &Metrics) -> SocketAddr {
    let router = Router::new()
        .route("/echo", post(|body: String| async move { body }))
        .route("/only-get", get(|| async { "ok" }))
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("a handler's bug");
                }
                "unreachable"
            }),
        );
    let router = with_http_layers_and_deadline(router, metrics.http(), Duration::from_millis(500));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = EdgeLimits {
        header_read_timeout: Duration::from_millis(500),
        ..EdgeLimits::default()
    };
    tokio::spawn(serve_with(listener, router, std::future::pending(), limits));
    addr
}

async fn error_of(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn a_body_trickled_past_the_deadline_is_answered_408_with_a_code_and_closed() {
    let metrics = Metrics::new("guards", |_| {});
    let addr = start(&metrics).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nten bytes.")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the connection outlived the request deadline")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        metrics
            .render()
            .contains(r#"http_errors_total{route="/echo",code="timeout"} 1"#),
        "{}",
        metrics.render()
    );
}

#[tokio::test]
async fn a_panic_and_a_missing_method_get_the_error_body() {
    let metrics = Metrics::new("guards", |_| {});
    let addr = start(&metrics).await;
    let panicked = reqwest::get(format!("http://{addr}/panic")).await.unwrap();
    assert_eq!(error_of(panicked, 500).await["code"], "internal");

    let wrong = reqwest::Client::new()
        .delete(format!("http://{addr}/only-get"))
        .send()
        .await
        .unwrap();
    let allow = wrong.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    assert_eq!(error_of(wrong, 405).await["code"], "method_not_allowed");
    // A handler's own answers pass as they are.
    let echoed = reqwest::Client::new()
        .post(format!("http://{addr}/echo"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_http2_is_not_spoken() {
    let metrics = Metrics::new("guards", |_| {});
    let addr = start(&metrics).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut sink = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), silent.read_to_end(&mut sink))
        .await
        .expect("a connection that sent nothing is still open")
        .unwrap();

    // HTTP/2 with prior knowledge (h2c): its preface is a malformed HTTP/1
    // request, answered 400 (an HTTP/2 server would send a SETTINGS frame).
    let mut h2 = TcpStream::connect(addr).await.unwrap();
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), h2.read_to_end(&mut answer))
        .await
        .expect("an HTTP/2 connection is still open")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
}
