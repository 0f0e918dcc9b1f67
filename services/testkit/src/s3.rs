use std::net::SocketAddr;

use imgup_embedded_s3::{EmbeddedS3, EmbeddedS3Config};
use tempfile::TempDir;

/// An S3 server for one test, with SigV4 checks, serving one bucket from a
/// temporary folder.
pub struct TestS3 {
    server: Option<EmbeddedS3>,
    addr: SocketAddr,
    config: EmbeddedS3Config,
    _dir: TempDir,
}

impl TestS3 {
    pub const ACCESS_KEY: &str = "imgup-test-access";
    pub const SECRET_KEY: &str = "imgup-test-secret-key-0123456789";
    pub const REGION: &str = "us-east-1";

    pub async fn start(bucket: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let config = EmbeddedS3Config {
            root: dir.path().to_path_buf(),
            access_key: Self::ACCESS_KEY.into(),
            secret_key: Self::SECRET_KEY.into(),
            buckets: vec![bucket.into()],
            cors_allowed_origins: vec![],
        };
        let server = EmbeddedS3::bind(([127, 0, 0, 1], 0).into(), &config)
            .await
            .expect("start the test S3 server");
        Self {
            addr: server.local_addr(),
            server: Some(server),
            config,
            _dir: dir,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where the bucket's objects live on disk.
    pub fn bucket_dir(&self, bucket: &str) -> std::path::PathBuf {
        self.config.root.join(bucket)
    }

    /// Stops the server and drops its connections, as an outage would.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// Brings the server back on the same port with the same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        let server = EmbeddedS3::bind(self.addr, &self.config)
            .await
            .expect("restart the test S3 server on its old port");
        self.server = Some(server);
    }
}
