//! The image pipeline through the API, against a real Postgres and a real S3
//! server: what is served has been decoded, checked and cleaned, and nothing
//! a client PUTs can replace it. Sample images come from ImageMagick and
//! exiftool (`services/testkit/assets/make.sh`); metadata is read back with
//! exiftool.

mod support;

use std::process::Command;
use std::time::Duration;

use imgup_testkit::{exif_tags, phone_photo, real_image_of, sample_image};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_body, incoming};

async fn fetch(app: &TestApp, url: &Value) -> Vec<u8> {
    let response = app.http.get(url.as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

fn dimensions(bytes: &[u8], format: imgup_imaging::ImageFormat) -> (u32, u32) {
    let probe = imgup_imaging::probe(bytes, format, &imgup_imaging::Limits::default())
        .expect("a valid image");
    (probe.width, probe.height)
}

async fn complete(app: &TestApp, token: &str, post: &Value) -> reqwest::Response {
    app.complete(token, post["id"].as_i64().unwrap()).await
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_phone_photo_is_served_upright_without_its_location_camera_or_author(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let original = phone_photo();
    let before = exif_tags(&original);
    assert!(
        before["GPS:GPSLatitude"].is_string(),
        "the fixture has GPS: {before}"
    );
    assert_eq!(
        dimensions(&original, imgup_imaging::ImageFormat::Jpeg),
        (60, 40)
    );

    let post = app
        .upload_ready_post(&token, "phone.jpg", "image/jpeg", original)
        .await;
    assert_eq!(post["status"], "ready");
    assert_eq!(
        (post["width"].as_u64(), post["height"].as_u64()),
        (Some(40), Some(60))
    );
    assert!(
        post["blurhash"].as_str().is_some_and(|h| h.len() >= 6),
        "{post}"
    );

    let served = fetch(&app, &post["url"]).await;
    assert!(served.starts_with(&[0xff, 0xd8]), "a JPEG stays a JPEG");
    assert_eq!(
        dimensions(&served, imgup_imaging::ImageFormat::Jpeg),
        (40, 60),
        "portrait pixels"
    );
    let tags = exif_tags(&served);
    let text = tags.to_string();
    for gone in [
        "GPS",
        "imgupPhone",
        "SN-0042",
        "Jane Secret",
        "taken at home",
        "Orientation",
    ] {
        assert!(
            !text.contains(gone),
            "{gone} is still in the served image: {tags}"
        );
    }
    for needle in [&b"Jane Secret"[..], b"imgupPhone", b"GPS"] {
        assert!(!served.windows(needle.len()).any(|w| w == needle));
    }

    // Both presets, never upscaled (the photo is smaller than either), WebP, clean.
    for preset in ["thumb", "medium"] {
        let variant = &post["variants"][preset];
        assert_eq!(variant["contentType"], "image/webp", "{post}");
        assert_eq!(
            (variant["width"].as_u64(), variant["height"].as_u64()),
            (Some(40), Some(60))
        );
        let bytes = fetch(&app, &variant["url"]).await;
        assert_eq!(
            dimensions(&bytes, imgup_imaging::ImageFormat::Webp),
            (40, 60)
        );
        let tags = exif_tags(&bytes).to_string();
        assert!(!tags.contains("GPS") && !tags.contains("Jane"), "{tags}");
    }

    // The list carries the same fields, so a grid needs no other call.
    let list = app.get_json("/posts", &token).await;
    let listed = &list["items"][0];
    assert_eq!(listed["width"], 40);
    assert!(listed["variants"]["thumb"]["url"].is_string());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn variants_have_the_presets_long_side(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--image-variants=tiny=16,small=24")
        .arg("--variant-format=jpeg")
        .start()
        .await;
    let token = app.tokens.user("alice");
    // 64×48: tiny → 16×12, small → 24×18.
    let post = app
        .upload_ready_post(
            &token,
            "photo.jpg",
            "image/jpeg",
            real_image_of("image/jpeg"),
        )
        .await;
    for (preset, size) in [("tiny", (16, 12)), ("small", (24, 18))] {
        let variant = &post["variants"][preset];
        assert_eq!(variant["contentType"], "image/jpeg");
        let bytes = fetch(&app, &variant["url"]).await;
        assert_eq!(
            dimensions(&bytes, imgup_imaging::ImageFormat::Jpeg),
            size,
            "{preset}"
        );
        assert_eq!(
            (variant["width"].as_u64(), variant["height"].as_u64()),
            (Some(u64::from(size.0)), Some(u64::from(size.1)))
        );
    }
    let policy: Value = app
        .http
        .get(app.url("/policy"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policy["variants"], json!({"tiny": 16, "small": 24}));
    assert_eq!(policy["variantType"], "image/jpeg");
    assert_eq!(policy["maxImagePixels"], 40_000_000);
    assert_eq!(policy["maxImageWidth"], 10_000);
    assert_eq!(policy["maxAnimationFrames"], 100);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn hostile_files_are_rejected_with_a_code_and_deleted(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--max-image-pixels=3000")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let png = sample_image();
    let mut polyglot = png.clone();
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let mut magic_then_html = b"\x89PNG\r\n\x1a\n".to_vec();
    magic_then_html.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let phone = phone_photo();
    let truncated = phone[..phone.len() * 2 / 3].to_vec();
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00evil.html<script>".to_vec();
    let cases: [(&str, &str, Vec<u8>, &[&str]); 6] = [
        ("polyglot.png", "image/png", polyglot, &["trailing_data"]),
        (
            "magic.png",
            "image/png",
            magic_then_html,
            &["corrupt", "not_an_image", "truncated"],
        ),
        (
            "half.jpg",
            "image/jpeg",
            truncated,
            &["truncated", "corrupt"],
        ),
        ("archive.png", "image/png", zip, &["not_an_image"]),
        ("photo.png", "image/png", phone, &["wrong_format"]),
        // 64×48 = 3072 pixels, over the 3000 allowed here.
        (
            "big.jpg",
            "image/jpeg",
            real_image_of("image/jpeg"),
            &["too_many_pixels"],
        ),
    ];
    for (name, mime, bytes, codes) in cases {
        let post = app.uploaded_post(&token, name, mime, bytes).await;
        let key = post["objectKey"].as_str().unwrap();
        let body = error_body(
            complete(&app, &token, &post).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let code = body["code"].as_str().unwrap();
        assert!(codes.contains(&code), "{name}: {body}");
        assert!(
            !app.object_exists(&incoming(key)).await,
            "{name}: the upload is deleted"
        );
        assert!(!app.object_exists(key).await, "{name}: nothing is served");
        let id = post["id"].as_i64().unwrap();
        let shown = app.get_json(&format!("/posts/{id}"), &token).await;
        assert_eq!(shown["status"], "rejected");
        assert_eq!(shown["rejectionCode"], code);
        assert_eq!(shown["rejectionReason"], body["error"]);
        assert_eq!(shown["url"], Value::Null);
        let image = app
            .get(&format!("/images/{key}"), &token)
            .send()
            .await
            .unwrap();
        assert!(
            image.status().is_client_error(),
            "{name}: GET /images answers {}",
            image.status()
        );
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_put_through_the_old_url_after_ready_changes_nothing_served(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .uploaded_post(&token, "cat.png", "image/png", image.clone())
        .await;
    let ready: Value = complete(&app, &token, &post).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let served = fetch(&app, &ready["url"]).await;

    let random: Vec<u8> = (0..image.len()).map(|i| (i * 7919 % 251) as u8).collect();
    let put = app
        .put(
            post["presignedUrl"].as_str().unwrap(),
            "image/png",
            random.clone(),
        )
        .await;
    assert!(
        put.status().is_success(),
        "S3 still takes the PUT: {}",
        put.status()
    );
    let again: Value = complete(&app, &token, &post).await.json().await.unwrap();
    assert_eq!(again["status"], "ready");
    let id = post["id"].as_i64().unwrap();
    let shown = app.get_json(&format!("/posts/{id}"), &token).await;
    assert_eq!(fetch(&app, &shown["url"]).await, served);
    let key = post["objectKey"].as_str().unwrap();
    let image_url = app.get_json(&format!("/images/{key}"), &token).await;
    assert_eq!(fetch(&app, &image_url["url"]).await, served);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_raw_flow_serves_a_cleaned_image_and_refuses_a_bad_one(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let photo = phone_photo();
    let ticket = app
        .upload_ticket(&token, "phone.jpg", "image/jpeg", photo.len())
        .await;
    let key = ticket["objectKey"].as_str().unwrap();
    assert!(
        ticket["presignedUrl"]
            .as_str()
            .unwrap()
            .contains("/incoming/"),
        "{ticket}"
    );
    app.put(
        ticket["presignedUrl"].as_str().unwrap(),
        "image/jpeg",
        photo,
    )
    .await;
    let view = app.get_json(&format!("/images/{key}"), &token).await;
    let served = fetch(&app, &view["url"]).await;
    assert_eq!(
        dimensions(&served, imgup_imaging::ImageFormat::Jpeg),
        (40, 60)
    );
    assert!(!exif_tags(&served).to_string().contains("GPS"));
    assert!(!app.object_exists(&incoming(key)).await);

    // A bad file through the raw flow: deleted, and its GET is a 4xx.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let ticket = app
        .upload_ticket(&token, "x.png", "image/png", html.len())
        .await;
    let key = ticket["objectKey"].as_str().unwrap();
    app.put(ticket["presignedUrl"].as_str().unwrap(), "image/png", html)
        .await;
    let refused = app
        .get(&format!("/images/{key}"), &token)
        .send()
        .await
        .unwrap();
    let body = error_body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "not_an_image");
    assert!(!app.object_exists(&incoming(key)).await);
    let again = app
        .get(&format!("/images/{key}"), &token)
        .send()
        .await
        .unwrap();
    assert!(again.status().is_client_error());
    // Nothing uploaded yet under a fresh key: 404, not a URL to nothing.
    let ticket = app.upload_ticket(&token, "y.png", "image/png", 10).await;
    let missing = app
        .get(
            &format!("/images/{}", ticket["objectKey"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn deleting_a_post_removes_the_original_and_every_variant(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let post = app
        .upload_ready_post(
            &token,
            "photo.jpg",
            "image/jpeg",
            real_image_of("image/jpeg"),
        )
        .await;
    let key = post["objectKey"].as_str().unwrap();
    let id = post["id"].as_i64().unwrap();
    let variant_keys: Vec<String> = ["thumb", "medium"]
        .iter()
        .map(|preset| {
            let url = post["variants"][preset]["url"].as_str().unwrap();
            let path = url::Url::parse(url).unwrap().path().to_owned();
            path.trim_start_matches("/uploads/").to_owned()
        })
        .collect();
    for variant in &variant_keys {
        assert!(variant.starts_with("variants/"), "{variant}");
        assert!(app.object_exists(variant).await, "{variant}");
    }
    let deleted = app
        .delete(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(!app.object_exists(key).await);
    for variant in &variant_keys {
        assert!(
            !app.object_exists(variant).await,
            "{variant} outlived its post"
        );
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_slow_job_answers_202_and_the_post_becomes_ready_by_itself(pool: PgPool) {
    let mut app = TestApp::builder(pool)
        .without_workers()
        .arg("--complete-wait-ms=0")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let post = app
        .uploaded_post(&token, "cat.png", "image/png", sample_image())
        .await;
    let response = complete(&app, &token, &post).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "processing");
    assert_eq!(body["url"], Value::Null, "nothing unchecked is served");
    let key = post["objectKey"].as_str().unwrap();
    let early = app
        .get(&format!("/images/{key}"), &token)
        .send()
        .await
        .unwrap();
    let early_status = early.status();
    assert!(early.headers().contains_key("retry-after"));
    assert_eq!(error_body(early, early_status).await["code"], "processing");

    app.start_workers();
    let id = post["id"].as_i64().unwrap();
    assert_eq!(app.settled_post(&token, id).await["status"], "ready");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_job_whose_worker_died_is_finished_by_another(pool: PgPool) {
    let mut app = TestApp::builder(pool)
        .without_workers()
        .arg("--complete-wait-ms=0")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let post = app
        .uploaded_post(&token, "cat.png", "image/png", sample_image())
        .await;
    assert_eq!(
        complete(&app, &token, &post).await.status(),
        StatusCode::ACCEPTED
    );
    // A worker takes the job with a two-second lease, then dies.
    let now = chrono::Utc::now();
    let lease = now + chrono::TimeDelta::seconds(2);
    let claimed = app
        .state
        .jobs
        .claim(now, lease, "dead-worker")
        .await
        .unwrap();
    assert!(claimed.is_some());

    app.start_workers();
    let id = post["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let shown = app.get_json(&format!("/posts/{id}"), &token).await;
    assert_eq!(shown["status"], "processing", "nobody takes a leased job");
    assert_eq!(app.settled_post(&token, id).await["status"], "ready");
    app.kill_workers();
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn two_api_processes_on_one_database_process_each_post_once(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--complete-wait-ms=0")
        .arg("--image-workers=2")
        .start()
        .await;
    let replica = app.replica();
    let mut replica_workers = imgup_api::pipeline::spawn_workers(&replica);
    let token = app.tokens.user("alice");
    let mut ids = Vec::new();
    for n in 0..12 {
        let post = app
            .uploaded_post(&token, &format!("p{n}.png"), "image/png", sample_image())
            .await;
        let status = complete(&app, &token, &post).await.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::ACCEPTED,
            "{status}"
        );
        ids.push(post["id"].as_i64().unwrap());
    }
    for id in &ids {
        assert_eq!(app.settled_post(&token, *id).await["status"], "ready");
    }
    let processed = app.state.pipeline.processed() + replica.pipeline.processed();
    assert_eq!(processed, 12, "every post processed exactly once");
    replica_workers.abort_all();
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_s3_outage_during_processing_is_retried_until_ready(pool: PgPool) {
    let mut app = TestApp::builder(pool)
        .without_workers()
        .arg("--complete-wait-ms=0")
        .arg("--image-retry-base-ms=100")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let post = app
        .uploaded_post(&token, "cat.png", "image/png", sample_image())
        .await;
    assert_eq!(
        complete(&app, &token, &post).await.status(),
        StatusCode::ACCEPTED
    );
    app.s3.stop().await;
    app.start_workers();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let id = post["id"].as_i64().unwrap();
    let shown = app.get_json(&format!("/posts/{id}"), &token).await;
    assert_eq!(
        shown["status"], "processing",
        "a transient failure rejects nothing"
    );
    app.s3.restart().await;
    assert_eq!(app.settled_post(&token, id).await["status"], "ready");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_full_queue_answers_503_with_retry_after(pool: PgPool) {
    let app = TestApp::builder(pool)
        .without_workers()
        .arg("--complete-wait-ms=0")
        .arg("--image-queue-max=1")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let first = app
        .uploaded_post(&token, "a.png", "image/png", sample_image())
        .await;
    assert_eq!(
        complete(&app, &token, &first).await.status(),
        StatusCode::ACCEPTED
    );
    let second = app
        .uploaded_post(&token, "b.png", "image/png", sample_image())
        .await;
    let busy = complete(&app, &token, &second).await;
    assert!(busy.headers().contains_key("retry-after"));
    assert_eq!(
        error_body(busy, StatusCode::SERVICE_UNAVAILABLE).await["code"],
        "busy"
    );
    let id = second["id"].as_i64().unwrap();
    let shown = app.get_json(&format!("/posts/{id}"), &token).await;
    assert_eq!(
        shown["status"], "pending",
        "the client may complete it later"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_small_memory_budget_makes_jobs_take_turns_and_never_stalls_them(pool: PgPool) {
    // A 16 MiB budget: the 16×16 image's job fits beside others, a 2400×1600
    // image's estimate (about 24 MiB) is over the whole budget, so it runs alone.
    let app = TestApp::builder(pool)
        .arg("--image-memory-mb=16")
        .arg("--image-workers=2")
        .arg("--complete-wait-ms=0")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let big = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.png");
        let status = Command::new("/usr/bin/convert")
            .args(["-size", "2400x1600", "gradient:navy-gold"])
            .arg(&path)
            .status()
            .expect("ImageMagick is needed (apt-get install imagemagick)");
        assert!(status.success());
        std::fs::read(path).unwrap()
    };
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("a.png", big.clone()),
        ("b.png", sample_image()),
        ("c.png", big),
    ] {
        let post = app.uploaded_post(&token, name, "image/png", bytes).await;
        let status = complete(&app, &token, &post).await.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::ACCEPTED,
            "{status}"
        );
        ids.push(post["id"].as_i64().unwrap());
    }
    for id in ids {
        assert_eq!(app.settled_post(&token, id).await["status"], "ready");
    }
}
