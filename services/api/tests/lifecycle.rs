//! Storage lifecycle against a real Postgres and a real S3 server: abandoned
//! uploads are swept with their objects, what is still wanted stays, and `gc`
//! finds and repairs drift between the database and the bucket.

mod support;

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use imgup_api::lifecycle::{Drift, Swept, find_drift, repair, sweep_once};
use imgup_api::store::{Lifecycle, PgPostStore};
use imgup_testkit::sample_image;
use reqwest::StatusCode;
use sqlx::PgPool;
use support::{TestApp, incoming};

const DAY: Duration = Duration::from_secs(86_400);

async fn raw_upload(app: &TestApp, token: &str) -> String {
    let image = sample_image();
    let ticket = app
        .upload_ticket(token, "a.png", "image/png", image.len())
        .await;
    app.put(ticket["presignedUrl"].as_str().unwrap(), "image/png", image)
        .await;
    ticket["objectKey"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn abandoned_uploads_go_after_the_ttl_and_nothing_wanted_does(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();

    // A post that was uploaded but never completed, one never uploaded, a raw
    // upload never read, a raw upload read (and so checked), and a ready post
    // whose old URL was used again after it was processed.
    let uncompleted = app
        .create_post(&token, "u.png", "image/png", image.len())
        .await;
    app.put(
        uncompleted["presignedUrl"].as_str().unwrap(),
        "image/png",
        image.clone(),
    )
    .await;
    let never_uploaded = app
        .create_post(&token, "n.png", "image/png", image.len())
        .await;
    let unread = raw_upload(&app, &token).await;
    let read = raw_upload(&app, &token).await;
    let seen = app
        .get(&format!("/images/{read}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    let ready = app
        .create_post(&token, "r.png", "image/png", image.len())
        .await;
    let ready_url = ready["presignedUrl"].as_str().unwrap();
    app.put(ready_url, "image/png", image.clone()).await;
    let ready_id = ready["id"].as_i64().unwrap();
    let done = app
        .post(&format!("/posts/{ready_id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    app.put(ready_url, "image/png", image.clone()).await;

    // Within the TTL nothing goes.
    assert_eq!(
        sweep_once(&app.state, DAY, Utc::now()).await.unwrap(),
        Swept::default()
    );

    let later = Utc::now() + TimeDelta::days(1) + TimeDelta::seconds(5);
    let swept = sweep_once(&app.state, DAY, later).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            expired_posts: 2,
            stray_uploads: 2
        }
    );
    for post in [&uncompleted, &never_uploaded] {
        let id = post["id"].as_i64().unwrap();
        let gone = app
            .get(&format!("/posts/{id}"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
    let uncompleted_key = uncompleted["objectKey"].as_str().unwrap();
    assert!(!app.object_exists(&incoming(uncompleted_key)).await);
    assert!(!app.object_exists(&incoming(&unread)).await);
    assert!(
        !app.object_exists(&incoming(ready["objectKey"].as_str().unwrap()))
            .await
    );
    // What was checked is still served.
    assert!(app.object_exists(&read).await);
    let still = app
        .get(&format!("/images/{read}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);
    let ready_now = app.get_json(&format!("/posts/{ready_id}"), &token).await;
    assert_eq!(ready_now["status"], "ready");
    // A second pass finds nothing more.
    assert_eq!(
        sweep_once(&app.state, DAY, later).await.unwrap(),
        Swept::default()
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_expired_upload_is_gone_within_the_sweep_interval(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--pending-upload-ttl-seconds=2")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .create_post(&token, "u.png", "image/png", image.len())
        .await;
    app.put(post["presignedUrl"].as_str().unwrap(), "image/png", image)
        .await;
    let id = post["id"].as_i64().unwrap();
    let key = incoming(post["objectKey"].as_str().unwrap());
    assert!(app.object_exists(&key).await);
    // TTL 2 s, a pass every second: gone within about 3 s (S3 times are in whole seconds).
    let mut gone = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let response = app
            .get(&format!("/posts/{id}"), &token)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
    }
    assert!(gone, "the pending post outlived its TTL by seconds");
    assert!(!app.object_exists(&key).await);
    // ... and the sweeper's work shows in the metrics.
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = imgup_testkit::parse_metrics(&text);
    assert_eq!(
        imgup_testkit::metric_value(&samples, "imgup_api_swept_posts_total", &[]),
        1.0,
        "{text}"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn one_replica_at_a_time_leads_the_sweeping(pool: PgPool) {
    let store = PgPostStore::new(pool);
    let now = Utc::now();
    let until = now + TimeDelta::seconds(30);
    assert!(store.try_lead("sweeper", "a", now, until).await.unwrap());
    assert!(!store.try_lead("sweeper", "b", now, until).await.unwrap());
    assert!(
        store.try_lead("sweeper", "a", now, until).await.unwrap(),
        "the leader renews"
    );
    let expired = until + TimeDelta::seconds(1);
    assert!(
        store
            .try_lead("sweeper", "b", expired, expired + TimeDelta::seconds(30))
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lead("sweeper", "a", expired, expired)
            .await
            .unwrap()
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn gc_finds_and_repairs_drift_between_the_database_and_the_bucket(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let kept = app
        .upload_ready_post(&token, "kept.png", "image/png", sample_image())
        .await;
    let lost = app
        .upload_ready_post(&token, "lost.png", "image/png", sample_image())
        .await;
    let lost_key = lost["objectKey"].as_str().unwrap();
    app.state.storage.delete(lost_key).await.unwrap();
    let orphan = "uploads/0123456789abcdef0123456789abcdef.png";
    app.state
        .storage
        .put(orphan, sample_image(), "image/png")
        .await
        .unwrap();

    // Fresh objects are left alone: a job may still be writing them.
    let now = Utc::now();
    let fresh = find_drift(&app.state, now).await.unwrap();
    assert_eq!(fresh.objects_without_post, Vec::<String>::new());

    let later = now + TimeDelta::hours(2);
    let drift = find_drift(&app.state, later).await.unwrap();
    let lost_id = lost["id"].as_i64().unwrap();
    assert_eq!(
        drift,
        Drift {
            objects_without_post: vec![orphan.to_owned()],
            posts_without_object: vec![lost_id],
        }
    );
    repair(&app.state, &drift).await.unwrap();
    assert!(!app.object_exists(orphan).await);
    let shown = app.get_json(&format!("/posts/{lost_id}"), &token).await;
    assert_eq!(shown["status"], "rejected");
    assert_eq!(shown["rejectionCode"], "missing_object");
    assert!(app.object_exists(kept["objectKey"].as_str().unwrap()).await);
    assert_eq!(
        find_drift(&app.state, later).await.unwrap(),
        Drift::default()
    );
}

/// `imgup-api gc [--dry-run]` as an operator runs it, against the test's
/// database and bucket: its JSON report on stdout.
async fn gc_command(app: &TestApp, dry_run: bool) -> serde_json::Value {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_imgup-api"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            imgup_testkit::process::database_url_of(&app.pool),
        )
        .env("JWT_SECRET", imgup_testkit::TEST_JWT_SECRET)
        .env("S3_ENDPOINT", app.s3.endpoint())
        .env("S3_ACCESS_KEY", imgup_testkit::TestS3::ACCESS_KEY)
        .env("S3_SECRET_KEY", imgup_testkit::TestS3::SECRET_KEY)
        .env("S3_BUCKET", support::BUCKET)
        .arg("gc");
    if dry_run {
        command.arg("--dry-run");
    }
    // The S3 server runs on this test's runtime: wait off it.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run imgup-api gc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_gc_command_reports_drift_on_a_dry_run_and_repairs_it_otherwise(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let lost = app
        .upload_ready_post(&token, "lost.png", "image/png", sample_image())
        .await;
    let lost_id = lost["id"].as_i64().unwrap();
    app.state
        .storage
        .delete(lost["objectKey"].as_str().unwrap())
        .await
        .unwrap();

    let report = gc_command(&app, true).await;
    assert_eq!(
        report["postsWithoutObject"],
        serde_json::json!([lost_id]),
        "{report}"
    );
    let shown = app.get_json(&format!("/posts/{lost_id}"), &token).await;
    assert_eq!(shown["status"], "ready", "a dry run changes nothing");

    let report = gc_command(&app, false).await;
    assert_eq!(
        report["postsWithoutObject"],
        serde_json::json!([lost_id]),
        "{report}"
    );
    let shown = app.get_json(&format!("/posts/{lost_id}"), &token).await;
    assert_eq!(shown["rejectionCode"], "missing_object");
    let report = gc_command(&app, true).await;
    assert_eq!(
        report["postsWithoutObject"],
        serde_json::json!([]),
        "{report}"
    );
}
