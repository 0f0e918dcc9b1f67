//! The embedded S3 endpoint over real sockets: stalled clients neither block
//! others nor outlive the header deadline, a trickled body meets the request
//! deadline, and CORS answers as a bucket's rules do on S3 (an allowed origin
//! may PUT, others get nothing).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use imgup_embedded_s3::{ConnectionLimits, EmbeddedS3, EmbeddedS3Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ORIGIN: &str = "http://localhost:5173";
const ACCESS_KEY: &str = "edge-access";
const SECRET_KEY: &str = "edge-secret-0123456789";

async fn start(limits: ConnectionLimits) -> (EmbeddedS3, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = EmbeddedS3Config {
        root: dir.path().to_path_buf(),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        buckets: vec!["uploads".into()],
        cors_allowed_origins: vec![ORIGIN.into()],
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = EmbeddedS3::start_with(listener, &config, limits).unwrap();
    (server, dir)
}

/// Opens a connection that sends half a request head and then nothing.
async fn stalled(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.writable().await.unwrap();
    stream
        .try_write(b"PUT /uploads/k HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stream
}

/// Whether the server has closed `stream`.
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
    let (server, _dir) = start(ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    })
    .await;
    let addr = server.local_addr();
    let mut stalls = Vec::new();
    for _ in 0..300 {
        stalls.push(stalled(addr).await);
    }
    let started = Instant::now();
    // Unsigned: S3 refuses it, at once.
    let answer = reqwest::get(format!("{}/uploads/k", server.endpoint()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
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
    let (server, _dir) = start(ConnectionLimits {
        header_read_timeout: Duration::from_millis(800),
        max_connections: 2,
        ..ConnectionLimits::default()
    })
    .await;
    let _a = stalled(server.local_addr()).await;
    let _b = stalled(server.local_addr()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let answer = reqwest::get(format!("{}/uploads/k", server.endpoint()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "served at once although both slots were taken: {waited:?}"
    );
}

fn preflight(endpoint: &str, origin: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{endpoint}/uploads/incoming/k.png?X-Amz-Signature=abc"),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "content-type")
}

#[tokio::test]
async fn an_allowed_origin_may_put_and_read_the_etag_and_others_get_no_cors_headers() {
    let (server, _dir) = start(ConnectionLimits::default()).await;
    let endpoint = server.endpoint();

    let ok = preflight(&endpoint, ORIGIN).send().await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("PUT") && methods.contains("GET"),
        "{methods}"
    );
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    assert!(h.contains_key("access-control-max-age"));

    // What S3 answers (here a refusal of an unsigned request) is readable by
    // the page, the ETag of a successful PUT too.
    let refused = reqwest::Client::new()
        .get(format!("{endpoint}/uploads/k"))
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["access-control-allow-origin"], ORIGIN);
    assert!(
        refused.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("etag")
    );

    for other in ["http://evil.example", "http://localhost:5174", "null"] {
        let answer = preflight(&endpoint, other).send().await.unwrap();
        assert!(
            !answer.headers().contains_key("access-control-allow-origin"),
            "{other}"
        );
        let answer = reqwest::Client::new()
            .get(format!("{endpoint}/uploads/k"))
            .header("Origin", other)
            .send()
            .await
            .unwrap();
        assert!(
            !answer.headers().contains_key("access-control-allow-origin"),
            "{other}"
        );
    }
}

/// The head of a PUT signed as an S3 client signs it (SigV4 in the
/// `Authorization` header, unsigned payload), for a body of `length` bytes.
fn signed_put_head(addr: SocketAddr, path: &str, length: usize) -> String {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    let identity: Identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://{addr}{path}");
    let length = length.to_string();
    let headers = [
        ("host", addr.to_string()),
        ("content-length", length),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_owned()),
    ];
    let signable = SignableRequest::new(
        "PUT",
        &url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::UnsignedPayload,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder()
        .method("PUT")
        .uri(&url)
        .body(())
        .unwrap();
    for (name, value) in &headers {
        request
            .headers_mut()
            .insert(*name, value.parse::<http::HeaderValue>().unwrap());
    }
    instructions.apply_to_request_http1x(&mut request);
    let mut head = format!("PUT {path} HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

#[tokio::test]
async fn a_body_trickled_in_is_answered_408_and_closed_at_the_request_deadline() {
    let (server, _dir) = start(ConnectionLimits {
        request_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    })
    .await;
    let addr = server.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = signed_put_head(addr, "/uploads/incoming/slow.png", 1000);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[0u8; 10]).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    // The server answers and closes; the client never sends the rest.
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the connection outlived the request deadline")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_deadline() {
    let (server, _dir) = start(ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    })
    .await;
    let stream = TcpStream::connect(server.local_addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(closed(&stream).await, "an idle connection is still open");
}
