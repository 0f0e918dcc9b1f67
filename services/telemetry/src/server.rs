//! The HTTP edge every service listens behind: a deadline for a client to
//! send its request headers, a cap on open connections, an accept loop that
//! backs off instead of spinning on errors, and graceful shutdown. Requests
//! carry the peer's address as `ConnectInfo<SocketAddr>`.
//!
//! HTTP/1.1 only: hyper's HTTP/2 server has no deadline for an idle
//! connection, so a client that opens one and answers pings would hold a
//! slot for ever. Nothing here needs HTTP/2 (TLS and HTTP/2 end at the proxy
//! in front, which speaks HTTP/1.1 to the services).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How much a client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct EdgeLimits {
    /// A connection that has not sent a whole request head by then is closed
    /// (slowloris); also the idle time allowed between keep-alive requests.
    pub header_read_timeout: Duration,
    /// Connections served at once; past this, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long open requests may take to finish at shutdown.
    pub drain_timeout: Duration,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, EdgeLimits::default()).await
}

/// [`serve`] with other limits.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: EdgeLimits,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after the drain timeout; closing them");
    }
    Ok(())
}

/// The peer address type requests carry.
pub type PeerAddr = ConnectInfo<SocketAddr>;
