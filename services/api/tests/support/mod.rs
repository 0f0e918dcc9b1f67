//! `TestApp`: the real API on a random port, over a fresh Postgres database
//! (from `#[sqlx::test]`) and a real S3 server, driven with a real HTTP client.
#![allow(dead_code)] // each test file uses its own part of the kit

use clap::Parser;
use imgup_api::{Config, startup};
use imgup_testkit::{TEST_JWT_SECRET, TestS3, TestTokens};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::task::JoinHandle;

pub const BUCKET: &str = "uploads";

pub struct TestApp {
    pub base: String,
    pub http: Client,
    pub tokens: TestTokens,
    pub s3: TestS3,
    pub state: imgup_api::AppState,
    pub pool: PgPool,
    server: JoinHandle<()>,
    workers: Option<tokio::task::JoinSet<()>>,
    config: Config,
    sweeper: Option<JoinHandle<()>>,
}

pub struct TestAppBuilder {
    pool: PgPool,
    extra_args: Vec<String>,
    jwt_secret: bool,
    s3_public_host: Option<String>,
    workers: bool,
}

impl TestApp {
    pub fn builder(pool: PgPool) -> TestAppBuilder {
        TestAppBuilder {
            pool,
            extra_args: Vec::new(),
            jwt_secret: true,
            s3_public_host: None,
            workers: true,
        }
    }

    pub async fn start(pool: PgPool) -> Self {
        Self::builder(pool).start().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(token)
    }

    pub fn delete(&self, path: &str, token: &str) -> RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(token)
    }

    /// A GET's JSON body, whatever its status.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path, token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `POST /posts/{id}/complete`.
    pub async fn complete(&self, token: &str, id: i64) -> Response {
        self.post(&format!("/posts/{id}/complete"), token)
            .send()
            .await
            .unwrap()
    }

    /// `POST /posts` for `bytes`' length; returns the created post.
    pub async fn create_post(
        &self,
        token: &str,
        filename: &str,
        content_type: &str,
        size: usize,
    ) -> Value {
        let response = self
            .post("/posts", token)
            .json(&json!({ "filename": filename, "contentType": content_type, "size": size }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    /// PUTs `bytes` to a presigned URL as a browser or curl would.
    pub async fn put(&self, presigned_url: &str, content_type: &str, bytes: Vec<u8>) -> Response {
        self.http
            .put(presigned_url)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// The whole happy path: create, upload, complete. Returns the ready post.
    pub async fn upload_ready_post(
        &self,
        token: &str,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let post = self
            .uploaded_post(token, filename, content_type, bytes)
            .await;
        let done = self.complete(token, post["id"].as_i64().unwrap()).await;
        assert_eq!(done.status(), StatusCode::OK, "{:?}", done.text().await);
        done.json().await.unwrap()
    }

    /// `POST /posts` and the PUT of `bytes` through its URL; not completed.
    pub async fn uploaded_post(
        &self,
        token: &str,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let post = self
            .create_post(token, filename, content_type, bytes.len())
            .await;
        let put = self
            .put(post["presignedUrl"].as_str().unwrap(), content_type, bytes)
            .await;
        assert!(put.status().is_success(), "PUT failed: {}", put.status());
        post
    }

    /// `POST /uploads` (the raw flow) for a file of `size` bytes: the ticket.
    pub async fn upload_ticket(
        &self,
        token: &str,
        filename: &str,
        content_type: &str,
        size: usize,
    ) -> Value {
        let response = self
            .post("/uploads", token)
            .json(&json!({ "filename": filename, "contentType": content_type, "size": size }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    /// The state of a second API process on the same database and bucket
    /// (serve it or start workers on it as a test needs).
    pub fn replica(&self) -> imgup_api::AppState {
        startup::state(&self.config, self.pool.clone()).expect("replica state")
    }

    /// Starts the image workers, as `imgup-api` does at start-up.
    pub fn start_workers(&mut self) {
        self.workers = Some(imgup_api::pipeline::spawn_workers(&self.state));
    }

    /// Stops the workers at once, mid-job, as a crash would: their leases stay.
    pub fn kill_workers(&mut self) {
        if let Some(mut workers) = self.workers.take() {
            workers.abort_all();
        }
    }

    /// Waits until the post has left `processing` (at most 20 s).
    pub async fn settled_post(&self, token: &str, id: i64) -> Value {
        for _ in 0..200 {
            let post = self.get_json(&format!("/posts/{id}"), token).await;
            if post["status"] != "processing" {
                return post;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("post {id} is still processing after 20 s");
    }

    /// The body behind a (presigned) URL, which must answer 200.
    pub async fn download(&self, url: &str) -> Vec<u8> {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        response.bytes().await.unwrap().to_vec()
    }

    /// Whether the object is in the bucket, asked of S3 itself.
    pub async fn object_exists(&self, key: &str) -> bool {
        self.state.storage.inspect(key).await.unwrap().is_some()
    }
}

impl TestAppBuilder {
    /// Extra command-line settings, e.g. `--max-upload-bytes=100`.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// No image workers: jobs stay queued until the test starts some with
    /// [`TestApp::start_workers`].
    pub fn without_workers(mut self) -> Self {
        self.workers = false;
        self
    }

    /// No `JWT_SECRET`: tokens must then be verified some other way (JWKS).
    pub fn without_jwt_secret(mut self) -> Self {
        self.jwt_secret = false;
        self
    }

    /// Presigned URLs name the S3 server by `host` (`S3_PUBLIC_ENDPOINT`) while
    /// the API reaches it at 127.0.0.1.
    pub fn s3_public_host(mut self, host: &str) -> Self {
        self.s3_public_host = Some(host.to_owned());
        self
    }

    pub async fn start(self) -> TestApp {
        let s3 = TestS3::start(BUCKET).await;
        let endpoint = s3.endpoint();
        let mut args = vec![
            "imgup-api".to_owned(),
            "--database-url=postgres://unused.invalid/unused".to_owned(),
            format!("--s3-endpoint={endpoint}"),
            format!("--s3-access-key={}", TestS3::ACCESS_KEY),
            format!("--s3-secret-key={}", TestS3::SECRET_KEY),
            format!("--s3-region={}", TestS3::REGION),
            format!("--s3-bucket={BUCKET}"),
        ];
        if let Some(host) = &self.s3_public_host {
            args.push(format!("--s3-public-endpoint=http://{host}:{}", s3.port()));
        }
        if self.jwt_secret {
            args.push(format!("--jwt-secret={TEST_JWT_SECRET}"));
        }
        args.extend(self.extra_args);
        let config = Config::try_parse_from(args).expect("test configuration");
        let state = startup::state(&config, self.pool.clone()).expect("test state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = imgup_api::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let sweeper = imgup_api::lifecycle::spawn_sweeper(&state);
        let mut app = TestApp {
            base,
            http: Client::new(),
            tokens: TestTokens::default(),
            s3,
            state,
            pool: self.pool,
            server,
            workers: None,
            config,
            sweeper,
        };
        if self.workers {
            app.start_workers();
        }
        app
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        self.kill_workers();
        if let Some(sweeper) = &self.sweeper {
            sweeper.abort();
        }
    }
}

/// The JSON error body of a response, checking its status on the way.
pub async fn error_of(response: Response, status: StatusCode) -> String {
    error_body(response, status).await["error"]
        .as_str()
        .expect("an `error` string")
        .to_owned()
}

/// The whole error body (`{error, code}`), checking the status and that both
/// fields are there.
pub async fn error_body(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error body");
    assert!(body["error"].is_string(), "{body}");
    assert!(body["code"].is_string(), "{body}");
    body
}

/// Where a client's PUT lands before the image is checked.
pub fn incoming(key: &str) -> String {
    key.replacen("uploads/", "incoming/", 1)
}
