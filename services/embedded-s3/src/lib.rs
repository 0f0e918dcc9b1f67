//! An S3-compatible endpoint served from a local folder (a bucket is a
//! sub-folder), with SigV4 authentication as strict as the real thing: presigned
//! URLs behave as they do against MinIO, CORS included.

mod cors;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower_http::timeout::TimeoutLayer;

#[derive(Debug, Clone)]
pub struct EmbeddedS3Config {
    /// Folder holding the buckets; created when missing.
    pub root: PathBuf,
    pub access_key: String,
    pub secret_key: String,
    /// Buckets to create (as folders) before serving.
    pub buckets: Vec<String>,
    /// Browser origins (`scheme://host[:port]`) that may GET, HEAD and PUT
    /// objects through presigned URLs, as a bucket's CORS rules allow them on
    /// S3 and MinIO. Empty: none.
    pub cors_allowed_origins: Vec<String>,
}

/// What the endpoint holds its clients to.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A connection that has not sent a whole request head by then is closed
    /// (slowloris).
    pub header_read_timeout: Duration,
    /// Longest a request may take, its body included, before it is answered
    /// 408 and its connection closed (a body trickled in a byte at a time).
    pub request_timeout: Duration,
    /// Connections served at once; past this, new ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            // Room for the largest upload on a slow link.
            request_timeout: Duration::from_secs(300),
            max_connections: 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedS3Error {
    #[error("cannot prepare the storage folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the storage folder: {0}")]
    Backend(String),
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
    #[error("not a browser origin: {0:?}")]
    Origin(String),
}

/// A running endpoint; dropping it (or [`EmbeddedS3::stop`]) closes the
/// listener and every open connection.
pub struct EmbeddedS3 {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl EmbeddedS3 {
    /// Serves on `listener` until stopped.
    pub fn start(
        listener: TcpListener,
        config: &EmbeddedS3Config,
    ) -> Result<Self, EmbeddedS3Error> {
        Self::start_with(listener, config, ConnectionLimits::default())
    }

    /// Serves on `listener` until stopped, with these connection limits.
    pub fn start_with(
        listener: TcpListener,
        config: &EmbeddedS3Config,
        limits: ConnectionLimits,
    ) -> Result<Self, EmbeddedS3Error> {
        let cors = cors::layer(&config.cors_allowed_origins)?;
        for bucket in &config.buckets {
            let path = config.root.join(bucket);
            std::fs::create_dir_all(&path)
                .map_err(|source| EmbeddedS3Error::Folder { path, source })?;
        }
        std::fs::create_dir_all(&config.root).map_err(|source| EmbeddedS3Error::Folder {
            path: config.root.clone(),
            source,
        })?;
        let fs = s3s_fs::FileSystem::new(&config.root)
            .map_err(|e| EmbeddedS3Error::Backend(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(
            config.access_key.clone(),
            config.secret_key.clone(),
        ));
        let service = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .layer(cors)
                .layer(TimeoutLayer::with_status_code(
                    http::StatusCode::REQUEST_TIMEOUT,
                    limits.request_timeout,
                ))
                .service(builder.build()),
        );
        let addr = listener.local_addr().map_err(EmbeddedS3Error::Listen)?;
        let task = tokio::spawn(async move {
            // HTTP/1.1 only, as S3 clients speak it: hyper's HTTP/2 server has
            // no deadline for an idle connection. A client that has not sent its
            // request head by then is dropped (slowloris).
            let mut http = http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut connections = JoinSet::new();
            loop {
                while connections.len() >= limits.max_connections.max(1) {
                    connections.join_next().await;
                }
                let socket = match listener.accept().await {
                    Ok((socket, _)) => socket,
                    Err(err) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(%err, "embedded S3: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let conn = http.serve_connection(TokioIo::new(socket), service.clone());
                connections.spawn(async move {
                    let _ = conn.await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self { addr, task })
    }

    /// Binds `addr` (port 0 picks a free one) and serves.
    pub async fn bind(
        addr: SocketAddr,
        config: &EmbeddedS3Config,
    ) -> Result<Self, EmbeddedS3Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(EmbeddedS3Error::Listen)?;
        Self::start(listener, config)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops listening and drops every connection, as a crashed server would.
    pub async fn stop(mut self) {
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        task.abort();
        let _ = task.await;
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}
