//! Images stored before the image pipeline existed: the client PUT them
//! straight to the served key and they became `ready` unchecked, metadata and
//! all. After the upgrade nobody is served them until the pipeline has
//! checked and cleaned them, and then they are served like any other.

mod support;

use imgup_testkit::{exif_tags, phone_photo};
use reqwest::StatusCode;
use sqlx::PgPool;
use support::TestApp;

fn exif_text(bytes: &[u8]) -> String {
    exif_tags(bytes).to_string()
}

/// An object as the first release stored it: a key minted for `user`, the
/// client's bytes PUT at the served key itself.
async fn stored_the_old_way(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let ticket = app
        .upload_ticket(token, "phone.jpg", "image/jpeg", bytes.len())
        .await;
    let key = ticket["objectKey"].as_str().unwrap().to_owned();
    app.state
        .storage
        .put(&key, bytes.to_vec(), "image/jpeg")
        .await
        .unwrap();
    key
}

/// A post as the first release recorded it: `ready`, no dimensions.
async fn old_ready_post(app: &TestApp, user: &str, key: &str, size: usize) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO posts (user_id, image_key, filename, content_type, size_bytes, status) \
         VALUES ($1, $2, 'phone.jpg', 'image/jpeg', $3, 'ready') RETURNING id",
    )
    .bind(user)
    .bind(key)
    .bind(i64::try_from(size).unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn ready_posts_from_before_the_pipeline_are_checked_before_anyone_is_served_them(
    pool: PgPool,
) {
    let mut app = TestApp::builder(pool).without_workers().start().await;
    let token = app.tokens.user("alice");
    let photo = phone_photo();
    assert!(exif_text(&photo).contains("GPS"), "the fixture has GPS");
    let read_first = old_ready_post(
        &app,
        "alice",
        &stored_the_old_way(&app, &token, &photo).await,
        photo.len(),
    )
    .await;
    let found_later = old_ready_post(
        &app,
        "alice",
        &stored_the_old_way(&app, &token, &photo).await,
        photo.len(),
    )
    .await;

    // Unchecked: no URL anywhere, neither alone nor in the list.
    let post = app.get_json(&format!("/posts/{read_first}"), &token).await;
    assert_eq!(post["status"], "processing", "{post}");
    assert!(post["url"].is_null(), "{post}");
    let list = app.get_json("/posts", &token).await;
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["status"], "processing", "{item}");
        assert!(item["url"].is_null(), "{item}");
    }
    let key = post["objectKey"].as_str().unwrap().to_owned();
    let waiting = app
        .get(&format!("/images/{key}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(waiting.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(waiting.headers().contains_key("retry-after"));

    // The workers check both: the one a reader asked for, and the one the
    // search for unchecked images finds at start-up.
    app.start_workers();
    for id in [read_first, found_later] {
        let post = app.settled_post(&token, id).await;
        assert_eq!(post["status"], "ready", "{post}");
        assert_eq!(
            (post["width"].as_u64(), post["height"].as_u64()),
            (Some(40), Some(60)),
            "measured and upright: {post}"
        );
        assert!(post["variants"]["thumb"]["url"].is_string(), "{post}");
        let served = app.download(post["url"].as_str().unwrap()).await;
        let tags = exif_text(&served);
        assert!(
            !tags.contains("GPS") && !tags.contains("Jane Secret"),
            "{tags}"
        );
    }
    let view = app.get_json(&format!("/images/{key}"), &token).await;
    assert!(view["url"].is_string(), "{view}");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_raw_upload_from_before_the_pipeline_is_served_cleaned(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let photo = phone_photo();
    let key = stored_the_old_way(&app, &token, &photo).await;
    let view = app.get_json(&format!("/images/{key}"), &token).await;
    let served = app.download(view["url"].as_str().unwrap()).await;
    assert!(served.starts_with(&[0xff, 0xd8]));
    assert!(!exif_text(&served).contains("GPS"));
    // Someone else still cannot read it.
    let other = app.tokens.user("mallory");
    let refused = app
        .get(&format!("/images/{key}"), &other)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}
