//! The `imgup-api` binary as an operator runs it: settings from the
//! environment, migrations at start-up, JSON logs without secrets, a clean exit
//! on SIGTERM, and a start-up error that names the bad setting.

use std::io::Read;
use std::process::{Command, Stdio};

use imgup_testkit::process::{database_url_of, free_port, terminate, wait_until_ready};
use imgup_testkit::{TEST_JWT_SECRET, TestS3, TestTokens};
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_imgup-api");

fn base_env(command: &mut Command) -> &mut Command {
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .env("S3_ACCESS_KEY", TestS3::ACCESS_KEY)
        .env("S3_SECRET_KEY", TestS3::SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
}

fn fails_naming(command: &mut Command, setting: &str) {
    let output = command.output().expect("run imgup-api");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(setting),
        "the error should name {setting}: {stderr}"
    );
    assert!(
        !stderr.contains(TEST_JWT_SECRET),
        "the error leaks the secret: {stderr}"
    );
}

#[test]
fn bad_or_missing_settings_stop_start_up_with_their_name() {
    fails_naming(
        base_env(&mut Command::new(BIN)).env("JWT_SECRET", "short"),
        "JWT_SECRET",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env_remove("JWT_SECRET"),
        "JWT_SECRET",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("JWT_ALGORITHM", "none"),
        "JWT_ALGORITHM",
    );
    fails_naming(
        base_env(&mut Command::new(BIN))
            .env_remove("JWT_SECRET")
            .env("JWT_ALGORITHM", "ES256"),
        "JWT_JWKS_URL",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env_remove("S3_ACCESS_KEY"),
        "S3_ACCESS_KEY",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env_remove("DATABASE_URL"),
        "DATABASE_URL",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("DATABASE_URL", "mysql://localhost/imgup"),
        "DATABASE_URL",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("MAX_UPLOAD_BYTES", "ten"),
        "MAX_UPLOAD_BYTES",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("ALLOWED_MIME_TYPES", "image/png,text/html"),
        "ALLOWED_MIME_TYPES",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("BIND_ADDR", "nowhere"),
        "BIND_ADDR",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("S3_PUBLIC_ENDPOINT", "not a url"),
        "S3_PUBLIC_ENDPOINT",
    );
}

#[sqlx::test(migrations = false)]
async fn the_binary_migrates_serves_logs_json_and_stops_on_sigterm(pool: PgPool) {
    let s3 = TestS3::start("uploads").await;
    let port = free_port();
    let mut child = base_env(&mut Command::new(BIN))
        .env("DATABASE_URL", database_url_of(&pool))
        .env("S3_ENDPOINT", s3.endpoint())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .spawn()
        .expect("start imgup-api");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    wait_until_ready(&format!("{base}/readyz")).await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'posts'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 1, "migrations ran at start-up");

    let token = TestTokens::default().user("alice");
    let response = http
        .post(format!("{base}/uploads"))
        .bearer_auth(&token)
        .header("x-request-id", "req-under-test")
        .json(&serde_json::json!({ "filename": "cat.png", "contentType": "image/png", "size": 10 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], "req-under-test");

    let exit = terminate(&mut child).await;
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");

    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"))
        })
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == "req-under-test"),
        "a log line carries the request id: {logs}"
    );
    assert!(
        !logs.contains(&token),
        "the bearer token leaked into the logs"
    );
    assert!(
        !logs.contains(TEST_JWT_SECRET) && !logs.contains(TestS3::SECRET_KEY),
        "a secret leaked into the logs"
    );
}
