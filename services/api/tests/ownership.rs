//! A post belongs to its owner: other users cannot see, complete or delete it;
//! an admin (role claim) can.

mod support;

use imgup_testkit::sample_image;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use support::{TestApp, error_of};

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn other_users_get_404_and_change_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let bob = app.tokens.user("bob");
    let post = app
        .upload_ready_post(&alice, "mine.png", "image/png", sample_image())
        .await;
    let id = post["id"].as_i64().unwrap();
    let key = post["objectKey"].as_str().unwrap();

    let show = app.get(&format!("/posts/{id}"), &bob).send().await.unwrap();
    assert_eq!(
        error_of(show, StatusCode::NOT_FOUND).await,
        "post not found"
    );
    let image = app
        .get(&format!("/images/{key}"), &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(image, StatusCode::NOT_FOUND).await,
        "image not found"
    );
    let complete = app
        .post(&format!("/posts/{id}/complete"), &bob)
        .send()
        .await
        .unwrap();
    error_of(complete, StatusCode::NOT_FOUND).await;
    let delete = app
        .delete(&format!("/posts/{id}"), &bob)
        .send()
        .await
        .unwrap();
    error_of(delete, StatusCode::NOT_FOUND).await;

    let list = app.get_json("/posts", &bob).await;
    assert_eq!(list["items"], serde_json::json!([]));

    assert!(app.object_exists(key).await, "bob's delete removed nothing");
    let still = app.get_json(&format!("/posts/{id}"), &alice).await;
    assert_eq!(still["status"], "ready");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_admin_sees_and_deletes_everyones_posts(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let bob = app.tokens.user("bob");
    let admin = app.tokens.admin("root");
    let a = app
        .upload_ready_post(&alice, "a.png", "image/png", sample_image())
        .await;
    let b = app.create_post(&bob, "b.png", "image/png", 10).await;

    let list = app.get_json("/posts", &admin).await;
    let owners: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ownerId"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["bob", "alice"]);

    let key = a["objectKey"].as_str().unwrap();
    let image = app
        .get(&format!("/images/{key}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);

    let deleted = app
        .delete(&format!("/posts/{}", b["id"]), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let deleted = app
        .delete(&format!("/posts/{}", a["id"]), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(!app.object_exists(key).await);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_raw_upload_key_is_readable_by_its_uploader_and_admins_only(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let image = sample_image();
    let ticket: Value = app
        .post("/uploads", &alice)
        .json(&serde_json::json!({ "filename": "cat.png", "contentType": "image/png", "size": image.len() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = ticket["objectKey"].as_str().unwrap();
    // Before the image is there, a stranger and its uploader both learn nothing more than 404.
    let early = app
        .get(&format!("/images/{key}"), &app.tokens.user("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), StatusCode::NOT_FOUND);
    app.put(ticket["presignedUrl"].as_str().unwrap(), "image/png", image)
        .await;

    let own = app
        .get(&format!("/images/{key}"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let admin = app
        .get(&format!("/images/{key}"), &app.tokens.admin("root"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    let other = app
        .get(&format!("/images/{key}"), &app.tokens.user("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(other, StatusCode::NOT_FOUND).await,
        "image not found"
    );
    // "alice" with another id prefix is another user: the key is bound to the exact id.
    let lookalike = app
        .get(&format!("/images/{key}"), &app.tokens.user("alice2"))
        .send()
        .await
        .unwrap();
    assert_eq!(lookalike.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn quotas_hold_at_upload_start_and_admins_are_exempt(pool: PgPool) {
    let image = sample_image();
    let size = image.len();
    let app = TestApp::builder(pool)
        .arg("--quota-user-posts=3")
        .arg(format!("--quota-user-bytes={}", 10 * size))
        .start()
        .await;
    let alice = app.tokens.user("alice");
    // A ready post, a pending one, and a rejected one (which does not count).
    app.upload_ready_post(&alice, "a.png", "image/png", image.clone())
        .await;
    app.create_post(&alice, "b.png", "image/png", size).await;
    let bad = app.create_post(&alice, "c.png", "image/png", 40).await;
    app.put(
        bad["presignedUrl"].as_str().unwrap(),
        "image/png",
        vec![b'x'; 40],
    )
    .await;
    let id = bad["id"].as_i64().unwrap();
    let rejected = app
        .post(&format!("/posts/{id}/complete"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let usage = app.get_json("/usage", &alice).await;
    assert_eq!(
        usage,
        serde_json::json!({"posts": 2, "bytes": 2 * size, "maxPosts": 3, "maxBytes": 10 * size})
    );

    // Too many bytes for what is left: refused, nothing recorded.
    let big = app
        .post("/posts", &alice)
        .json(&serde_json::json!({ "filename": "big.png", "contentType": "image/png", "size": 9 * size }))
        .send()
        .await
        .unwrap();
    let body = support::error_body(big, StatusCode::FORBIDDEN).await;
    assert_eq!(body["code"], "quota_exceeded");
    // The third post fits; a fourth does not, nor a raw upload.
    app.create_post(&alice, "d.png", "image/png", size).await;
    let fourth = app
        .post("/posts", &alice)
        .json(&serde_json::json!({ "filename": "e.png", "contentType": "image/png", "size": size }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        support::error_body(fourth, StatusCode::FORBIDDEN).await["code"],
        "quota_exceeded"
    );
    let raw = app
        .post("/uploads", &alice)
        .json(&serde_json::json!({ "filename": "f.png", "contentType": "image/png", "size": size }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        support::error_body(raw, StatusCode::FORBIDDEN).await["code"],
        "quota_exceeded"
    );
    // Someone else, and an admin, are not held by alice's use.
    app.create_post(&app.tokens.user("bob"), "g.png", "image/png", size)
        .await;
    let root = app.tokens.admin("root");
    for n in 0..4 {
        app.create_post(&root, &format!("r{n}.png"), "image/png", size)
            .await;
    }
    let admin_usage = app.get_json("/usage", &root).await;
    assert_eq!(admin_usage["maxPosts"], Value::Null);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn raw_tickets_taken_at_once_do_not_add_up_past_the_quota(pool: PgPool) {
    let image = sample_image();
    let app = TestApp::builder(pool)
        .arg("--quota-user-posts=1")
        .start()
        .await;
    let alice = app.tokens.user("alice");
    // Both tickets are handed out: neither upload is a post yet.
    let first = app
        .upload_ticket(&alice, "a.png", "image/png", image.len())
        .await;
    let second = app
        .upload_ticket(&alice, "b.png", "image/png", image.len())
        .await;
    for ticket in [&first, &second] {
        app.put(
            ticket["presignedUrl"].as_str().unwrap(),
            "image/png",
            image.clone(),
        )
        .await;
    }
    let read = |ticket: &Value| {
        let key = ticket["objectKey"].as_str().unwrap().to_owned();
        let app = &app;
        let alice = alice.clone();
        async move {
            app.get(&format!("/images/{key}"), &alice)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(read(&first).await.status(), StatusCode::OK);
    let over = read(&second).await;
    assert_eq!(
        support::error_body(over, StatusCode::FORBIDDEN).await["code"],
        "quota_exceeded"
    );
    // The upload past the quota is gone, not left for the sweeper, and one post is kept.
    let key = second["objectKey"].as_str().unwrap();
    assert!(!app.object_exists(&support::incoming(key)).await);
    assert!(!app.object_exists(key).await);
    assert_eq!(app.get_json("/usage", &alice).await["posts"], 1);
}
