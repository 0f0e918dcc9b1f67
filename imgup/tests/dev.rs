//! `imgup dev` as a newcomer runs it: an empty folder, one command, then the
//! seed's curl flow against what it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use imgup_testkit::process::free_ports;
use serde_json::{Value, json};
use sqlx::migrate::MigrateDatabase;

struct Running {
    child: Child,
    database_url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn imgup_dev_runs_the_seed_flow_from_an_empty_folder() {
    let folder = tempfile::tempdir().unwrap();
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&format!("imgup_dev_test_{}", uuid::Uuid::new_v4().simple()));
    let database_url = url.to_string();
    let [api_port, auth_port, s3_port] = free_ports::<3>();

    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_imgup"))
        .current_dir(folder.path())
        .args([
            "dev",
            "--api-port",
            &api_port.to_string(),
            "--auth-port",
            &auth_port.to_string(),
            "--s3-port",
            &s3_port.to_string(),
        ])
        .env("DATABASE_URL", &database_url)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(folder.path().join("imgup.log")).unwrap())
        .spawn()
        .expect("start imgup dev");
    let mut running = Running {
        child,
        database_url,
    };

    let mut stdout = BufReader::new(running.child.stdout.take().unwrap()).lines();
    let token = stdout
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.trim().strip_prefix("export TOKEN=").map(str::to_owned))
        .expect("imgup dev prints a token");
    // Keep reading, as a terminal would: a closed stdout would stop imgup dev.
    std::thread::spawn(move || stdout.for_each(drop));

    let http = reqwest::Client::new();
    let api = format!("http://127.0.0.1:{api_port}");
    loop {
        if let Ok(r) = http.get(format!("{api}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        let exited = running.child.try_wait().unwrap();
        if exited.is_some() || started.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(folder.path().join("imgup.log")).unwrap_or_default();
            panic!("imgup dev did not become ready ({exited:?}):\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let image = imgup_testkit::sample_image();
    let ticket: Value = http
        .post(format!("{api}/uploads"))
        .bearer_auth(&token)
        .json(&json!({ "filename": "cat.png", "contentType": "image/png", "size": image.len() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let presigned = ticket["presignedUrl"].as_str().expect("a presigned URL");
    assert!(
        presigned.starts_with(&format!("http://127.0.0.1:{s3_port}/")),
        "{presigned}"
    );
    let put = http
        .put(presigned)
        .header("content-type", "image/png")
        .body(image.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());

    let key = ticket["objectKey"].as_str().unwrap();
    let view: Value = http
        .get(format!("{api}/images/{key}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bytes = http
        .get(view["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), image.as_slice());
    assert!(
        folder.path().join("imgup-data").is_dir(),
        "data lives under ./imgup-data"
    );

    // The auth service runs beside it in development mode, with the same secret.
    let issued: Value = http
        .post(format!(
            "http://127.0.0.1:{auth_port}/auth/oauth/test-token?email=new@example.com"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_auth = issued["access_token"]
        .as_str()
        .expect("a development token");
    let listed = http
        .get(format!("{api}/posts"))
        .bearer_auth(from_auth)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), reqwest::StatusCode::OK);

    let _ = running.child.kill();
    let _ = running.child.wait();
    sqlx::Postgres::drop_database(&running.database_url)
        .await
        .unwrap();
}
