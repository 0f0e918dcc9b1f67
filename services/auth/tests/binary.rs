//! The `imgup-auth` binary as an operator runs it: start-up errors that name
//! the setting, JSON logs that never carry secrets or tokens, SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};

use imgup_testkit::TEST_JWT_SECRET;
use imgup_testkit::process::{database_url_of, free_port, terminate, wait_until_ready};
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_imgup-auth");
const SESSION_SECRET: &str = "binary-test-session-secret-0123456789";
const GOOGLE_SECRET: &str = "google-client-secret-for-the-binary-test";

fn base_env(command: &mut Command) -> &mut Command {
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .env("SESSION_SECRET", SESSION_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
}

fn fails_naming(command: &mut Command, setting: &str) {
    let output = command.output().expect("run imgup-auth");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(setting),
        "the error should name {setting}: {stderr}"
    );
    assert!(
        !stderr.contains(TEST_JWT_SECRET) && !stderr.contains(SESSION_SECRET),
        "a secret leaked: {stderr}"
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
        base_env(&mut Command::new(BIN)).env("SESSION_SECRET", "short"),
        "SESSION_SECRET",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env_remove("SESSION_SECRET"),
        "SESSION_SECRET",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("ENVIRONMENT", "staging"),
        "ENVIRONMENT",
    );
    fails_naming(
        base_env(&mut Command::new(BIN)).env("FRONTEND_URL", "not a url"),
        "FRONTEND_URL",
    );
    fails_naming(
        base_env(&mut Command::new(BIN))
            .env("JWT_ALGORITHM", "ES256")
            .env_remove("JWT_SECRET"),
        "JWT_PRIVATE_KEY",
    );
    fails_naming(
        base_env(&mut Command::new(BIN))
            .env("JWT_ALGORITHM", "EdDSA")
            .env("JWT_PRIVATE_KEY", "garbage"),
        "JWT_PRIVATE_KEY",
    );
}

#[sqlx::test(migrations = false)]
async fn the_binary_serves_logs_no_secrets_and_stops_on_sigterm(pool: PgPool) {
    let port = free_port();
    let mut child = base_env(&mut Command::new(BIN))
        .env("DATABASE_URL", database_url_of(&pool))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("ENVIRONMENT", "development")
        .env("GOOGLE_CLIENT_ID", "google-client")
        .env("GOOGLE_CLIENT_SECRET", GOOGLE_SECRET)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .spawn()
        .expect("start imgup-auth");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    wait_until_ready(&format!("{base}/readyz")).await;

    let issued: serde_json::Value = http
        .post(format!(
            "{base}/auth/oauth/test-token?email=log@example.com"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap().to_owned();
    // ENVIRONMENT=development from the environment keeps a day's tokens.
    assert_eq!(issued["expires_in"], 86400);
    let refresh_token = issued["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = http
        .post(format!("{base}/auth/token/refresh"))
        .json(&serde_json::json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), reqwest::StatusCode::OK);
    let me = http
        .get(format!("{base}/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::OK);
    let start = http
        .get(format!("{base}/auth/oauth/google"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), reqwest::StatusCode::FOUND);

    let exit = terminate(&mut child).await;
    assert!(exit.success(), "{exit:?}");

    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.lines().count() > 3, "debug logs were written: {logs}");
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
    }
    for secret in [
        token.as_str(),
        refresh_token.as_str(),
        TEST_JWT_SECRET,
        SESSION_SECRET,
        GOOGLE_SECRET,
    ] {
        assert!(
            !logs.contains(secret),
            "a secret or token leaked into the logs"
        );
    }
}
