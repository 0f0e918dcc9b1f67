//! The HTTP edge over real sockets: stalled clients (slowloris) neither block
//! others nor stay open past the header deadline, the connection cap holds,
//! and handlers see the peer's address.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use imgup_telemetry::{EdgeLimits, PeerAddr, serve_with};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: EdgeLimits) -> SocketAddr {
    let router = Router::new().route("/", get(|| async { "ok" })).route(
        "/peer",
        get(|peer: PeerAddr| async move { peer.0.to_string() }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_with(listener, router, std::future::pending(), limits));
    addr
}

/// Opens a connection that sends half a request head and then nothing.
async fn stalled(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.writable().await.unwrap();
    stream.try_write(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    stream
}

/// Whether the server has closed `stream` (after any answer it sent, the read
/// gives end of file or an error).
async fn closed(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        if tokio::time::timeout(Duration::from_millis(50), stream.readable())
            .await
            .is_err()
        {
            return false;
        }
        match stream.try_read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return true,
        }
    }
}

#[tokio::test]
async fn three_hundred_stalled_connections_neither_block_a_request_nor_outlive_the_deadline() {
    let limits = EdgeLimits {
        header_read_timeout: Duration::from_secs(1),
        ..EdgeLimits::default()
    };
    let addr = start(limits).await;
    let mut stalls = Vec::new();
    for _ in 0..300 {
        stalls.push(stalled(addr).await);
    }
    let started = Instant::now();
    let answer = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut open = 0;
    for stream in &stalls {
        if !closed(stream).await {
            open += 1;
        }
    }
    assert_eq!(
        open, 0,
        "stalled connections still open past the header deadline"
    );
}

#[tokio::test]
async fn past_the_connection_cap_new_clients_wait_for_a_free_slot() {
    let limits = EdgeLimits {
        header_read_timeout: Duration::from_millis(800),
        max_connections: 2,
        ..EdgeLimits::default()
    };
    let addr = start(limits).await;
    let _a = stalled(addr).await;
    let _b = stalled(addr).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let answer = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "served at once although both slots were taken: {waited:?}"
    );
}

#[tokio::test]
async fn handlers_see_the_peers_address() {
    let addr = start(EdgeLimits::default()).await;
    let stream = std::net::TcpStream::connect(addr).unwrap();
    let local = stream.local_addr().unwrap();
    drop(stream);
    let peer = reqwest::get(format!("http://{addr}/peer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    assert_eq!(peer.ip(), local.ip());
}
