//! The real services the app talks to: imgup-auth (development mode, Google
//! pointed at a real OIDC issuer) and imgup-api over one fresh Postgres
//! database and an S3 server on a temporary folder.
#![allow(dead_code)] // each test file uses its own part of the kit

use clap::Parser;
use imgup_admin::client::ImgupClient;
use imgup_admin::settings::Settings;
use imgup_testkit::{OidcServer, TEST_JWT_SECRET, TestS3};
use sqlx::PgPool;
use tokio::task::JoinHandle;

pub const ADMIN_EMAIL: &str = "boss@example.com";
const BUCKET: &str = "uploads";

pub struct Stack {
    pub settings: Settings,
    pub s3: TestS3,
    pub oidc: OidcServer,
    pub pool: PgPool,
    /// The API's state, to start its image workers on (as `imgup-api` does).
    pub api: imgup_api::AppState,
    workers: Option<tokio::task::JoinSet<()>>,
    tasks: Vec<JoinHandle<()>>,
}

async fn serve(router: axum::Router) -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, task)
}

impl Stack {
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, &[]).await
    }

    /// The stack with extra API settings (`--name=value`).
    pub async fn start_with(pool: PgPool, api_args: &[&str]) -> Self {
        let mut stack = Self::start_idle(pool, api_args).await;
        stack.start_workers();
        stack
    }

    /// The stack without image workers: completed uploads stay `processing`
    /// until [`Stack::start_workers`].
    pub async fn start_idle(pool: PgPool, api_args: &[&str]) -> Self {
        let oidc = OidcServer::start(
            r#"{"sub":"google-ada","email":"ada@example.com","email_verified":true,"name":"Ada Lovelace"}"#,
        );
        let auth_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let auth_base = format!("http://{}", auth_listener.local_addr().unwrap());
        let auth_config = imgup_auth::Config::try_parse_from([
            "imgup-auth".to_owned(),
            "--database-url=postgres://unused.invalid/unused".to_owned(),
            "--session-secret=test-session-secret-of-at-least-32-bytes".to_owned(),
            "--environment=development".to_owned(),
            format!("--jwt-secret={TEST_JWT_SECRET}"),
            format!("--public-url={auth_base}"),
            format!("--admin-emails={ADMIN_EMAIL}"),
            "--google-client-id=imgup-test-client".to_owned(),
            "--google-client-secret=imgup-test-secret".to_owned(),
            format!("--google-auth-url={}/authorize", oidc.url),
            format!("--google-token-url={}/token", oidc.url),
            format!("--google-userinfo-url={}/userinfo", oidc.url),
        ])
        .expect("auth configuration");
        let auth_router =
            imgup_auth::router(imgup_auth::startup::state(&auth_config, pool.clone()).unwrap());
        let auth_task =
            tokio::spawn(async move { axum::serve(auth_listener, auth_router).await.unwrap() });

        let s3 = TestS3::start(BUCKET).await;
        let mut args = vec![
            "imgup-api".to_owned(),
            "--database-url=postgres://unused.invalid/unused".to_owned(),
            format!("--jwt-secret={TEST_JWT_SECRET}"),
            format!("--s3-endpoint={}", s3.endpoint()),
            format!("--s3-access-key={}", TestS3::ACCESS_KEY),
            format!("--s3-secret-key={}", TestS3::SECRET_KEY),
            format!("--s3-region={}", TestS3::REGION),
            format!("--s3-bucket={BUCKET}"),
        ];
        args.extend(api_args.iter().map(|a| (*a).to_owned()));
        let api_config = imgup_api::Config::try_parse_from(args).expect("api configuration");
        let api_state = imgup_api::startup::state(&api_config, pool.clone()).unwrap();
        let (api_base, api_task) = serve(imgup_api::router(api_state.clone())).await;

        Self {
            settings: Settings {
                api_url: api_base,
                auth_url: auth_base,
            },
            s3,
            oidc,
            pool,
            api: api_state,
            workers: None,
            tasks: vec![auth_task, api_task],
        }
    }

    /// Starts the API's image workers, as `imgup-api` does at start-up.
    pub fn start_workers(&mut self) {
        self.workers = Some(imgup_api::pipeline::spawn_workers(&self.api));
    }

    pub fn client(&self) -> ImgupClient {
        ImgupClient::new(&self.settings)
    }

    /// A development token for `email`, through the app's own client.
    pub async fn token(&self, email: &str) -> String {
        self.client().test_token(email).await.unwrap().access_token
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(workers) = &mut self.workers {
            workers.abort_all();
        }
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// PNG magic and filler, `len` bytes: no image. Only for what is refused
/// before any byte is sent (the API decodes every upload in full).
pub fn fake_png(len: usize) -> Vec<u8> {
    imgup_testkit::sample_image_of_len("image/png", len)
}

/// A real, small PNG (16×16, from the testkit).
pub fn small_png() -> Vec<u8> {
    imgup_testkit::sample_image()
}

/// ImageMagick (Debian's, not any stand-in earlier on the PATH).
const CONVERT: &str = "/usr/bin/convert";

/// An image drawn by ImageMagick: `convert <args…> <out.ext>`, its bytes.
pub fn magick(args: &[&str], ext: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("image.{ext}"));
    let status = std::process::Command::new(CONVERT)
        .args(args)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{CONVERT} (Debian's imagemagick): {e}"));
    assert!(status.success(), "{CONVERT} {args:?} failed");
    std::fs::read(&out).unwrap()
}

/// A `w`×`h` PNG of random RGB noise (it hardly compresses: about 3 bytes a
/// pixel) with no ancillary chunks, so that the cleaned original the API
/// serves is the very file sent.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let size = format!("{w}x{h}");
    magick(
        &[
            "-size",
            &size,
            "xc:gray",
            "+noise",
            "Random",
            "-strip",
            "-define",
            "png:exclude-chunk=all",
            "-depth",
            "8",
            "-define",
            "png:color-type=2",
        ],
        "png",
    )
}

/// A `w`×`h` gradient PNG, photo-like.
pub fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    let size = format!("{w}x{h}");
    magick(
        &[
            "-size",
            &size,
            "gradient:#f97316-#4f46e5",
            "-strip",
            "-define",
            "png:exclude-chunk=all",
        ],
        "png",
    )
}
