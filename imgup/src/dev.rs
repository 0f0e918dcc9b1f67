//! `imgup dev`: the API, the auth service and an embedded S3 endpoint in one
//! process, with objects and metadata (SQLite) under one folder, for trying
//! imgup with nothing but Rust.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser as _;
use imgup_api::config::{
    ImageSettings, PolicySettings, QuotaSettings, RateLimitSettings, S3Settings,
};
use imgup_embedded_s3::{EmbeddedS3, EmbeddedS3Config};
use imgup_jwt::{JwtSettings, Role, TokenSubject};
use imgup_telemetry::LogFormat;
use sqlx::migrate::MigrateDatabase;

const ACCESS_KEY: &str = "minio";
const SECRET_KEY: &str = "minio123";
const BUCKET: &str = "uploads";

#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// Where uploaded objects, the metadata database and the development
    /// secrets are kept.
    #[arg(long, default_value = "./imgup-data")]
    data_dir: PathBuf,
    /// Keep metadata in this database instead of `<data-dir>/imgup.db`
    /// (`postgres://…`, created when missing, or `sqlite:…`). Deliberately not
    /// read from `DATABASE_URL`, so that an exported variable never points a
    /// development run at another database.
    #[arg(long)]
    database_url: Option<String>,
    /// Address the services listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    #[arg(long, default_value_t = 8080)]
    api_port: u16,
    #[arg(long, default_value_t = 8001)]
    auth_port: u16,
    #[arg(long, default_value_t = 9000)]
    s3_port: u16,
    /// Browser origins that may call the API and PUT to its presigned URLs
    /// (comma-separated); by default the web frontend's and the admin UI's
    /// development server.
    #[arg(long, value_delimiter = ',', default_value = "http://localhost:5173")]
    cors_allowed_origins: Vec<String>,
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    imgup_telemetry::init_logs(LogFormat::Text);
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create the data folder {}", args.data_dir.display()))?;
    let jwt = JwtSettings::hs256(dev_secret(&args.data_dir, "dev-jwt-secret")?);

    let s3_addr = SocketAddr::new(args.host, args.s3_port);
    let s3 = EmbeddedS3::bind(
        s3_addr,
        &EmbeddedS3Config {
            root: args.data_dir.join("s3"),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            buckets: vec![BUCKET.into()],
            cors_allowed_origins: args.cors_allowed_origins.clone(),
        },
    )
    .await
    .with_context(|| format!("cannot start the embedded S3 endpoint on {s3_addr}"))?;

    let database_url = match args.database_url {
        Some(url) => {
            create_postgres_database(&url).await?;
            url
        }
        None => format!("sqlite:{}", args.data_dir.join("imgup.db").display()),
    };

    let api_addr = SocketAddr::new(args.host, args.api_port);
    let config = imgup_api::Config {
        bind_addr: api_addr,
        database_url: database_url.clone(),
        log_format: LogFormat::Text,
        jwt: jwt.clone(),
        object_key_secret: None,
        s3: S3Settings {
            endpoint: s3.endpoint(),
            public_endpoint: None,
            region: "us-east-1".into(),
            bucket: BUCKET.into(),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            force_path_style: true,
        },
        policy: PolicySettings::default(),
        images: ImageSettings::default(),
        quota: QuotaSettings::default(),
        // One person on their own machine: no rate limit.
        rate_limit: RateLimitSettings {
            user_per_minute: 0,
            ..RateLimitSettings::default()
        },
        metrics: imgup_telemetry::MetricsSettings::default(),
        pending_upload_ttl_seconds: 86_400,
        cors_allowed_origins: imgup_api::config::Origins(args.cors_allowed_origins.clone()),
        command: None,
    };
    let token = jwt.signer()?.sign(&TokenSubject {
        user_id: "dev".into(),
        email: "dev@example.com".into(),
        name: Some("Development User".into()),
        role: Role::Admin,
    });
    let auth_addr = SocketAddr::new(args.host, args.auth_port);
    let auth_config = imgup_auth::Config::try_parse_from([
        "imgup-auth".to_owned(),
        format!("--bind-addr={auth_addr}"),
        format!("--database-url={database_url}"),
        "--environment=development".to_owned(),
        // One person on their own machine: no rate limit.
        "--rate-limit-ip-per-minute=0".to_owned(),
        format!(
            "--cors-allowed-origins={}",
            args.cors_allowed_origins.join(",")
        ),
        format!("--public-url=http://{auth_addr}"),
        format!(
            "--session-secret={}",
            dev_secret(&args.data_dir, "dev-session-secret")?
        ),
        format!("--jwt-secret={}", jwt.secret.as_deref().unwrap_or_default()),
    ])
    .context("auth settings")?;
    print_banner(
        &api_addr,
        &auth_addr,
        &s3.endpoint(),
        &args.data_dir,
        &describe_database(&database_url),
        &token,
    );

    // One Ctrl-C or SIGTERM stops both services.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        imgup_telemetry::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    tokio::try_join!(
        imgup_api::startup::run(config, until_stopped(stopped.clone())),
        imgup_auth::startup::run(auth_config, until_stopped(stopped)),
    )?;
    s3.stop().await;
    Ok(())
}

/// Creates the Postgres database behind `url` when it is missing.
async fn create_postgres_database(url: &str) -> anyhow::Result<()> {
    if !url.starts_with("postgres") || sqlx::Postgres::database_exists(url).await.unwrap_or(false) {
        return Ok(());
    }
    sqlx::Postgres::create_database(url)
        .await
        .context("cannot create the development database (is Postgres running at --database-url?)")
}

/// A random secret made on first start and kept in the data folder, so that
/// tokens and sign-ins survive a restart.
fn dev_secret(data_dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = data_dir.join(name);
    if let Ok(secret) = std::fs::read_to_string(&path)
        && secret.trim().len() >= imgup_jwt::MIN_SECRET_BYTES
    {
        return Ok(secret.trim().to_owned());
    }
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    std::fs::write(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret)
}

/// Where metadata lives, without any password the URL carries.
fn describe_database(url: &str) -> String {
    match url.strip_prefix("sqlite:") {
        Some(path) => format!("SQLite {path}"),
        None => "Postgres (--database-url)".to_owned(),
    }
}

fn print_banner(
    api: &SocketAddr,
    auth: &SocketAddr,
    s3: &str,
    data_dir: &Path,
    database: &str,
    token: &str,
) {
    println!(
        "\nimgup dev is starting (development only: fixed S3 credentials, an admin token below)\n\
         \n  API          http://{api}\n  auth         http://{auth}   (test tokens: curl -X POST 'http://{auth}/auth/oauth/test-token?email=you@example.com')\n  S3           {s3}   (access key {ACCESS_KEY}, secret {SECRET_KEY}, bucket {BUCKET})\n  data         {}\n  metadata     {database}\n\
         \nTry it:\n\n  export TOKEN={token}\n  curl -s -X POST http://{api}/uploads -H \"Authorization: Bearer $TOKEN\" \\\n       -H 'Content-Type: application/json' -d '{{\"filename\":\"cat.png\",\"contentType\":\"image/png\",\"size\":1234}}'\n",
        data_dir.display()
    );
}
