//! The app's client against the real services: upload with progress, browse,
//! preview, download, delete, and every failure as a kind the UI explains.

mod support;

use std::sync::{Arc, Mutex};

use imgup_admin::error::ErrorKind;
use imgup_admin::model::{ListQuery, NewUpload, PostStatus, Role, UploadPhase, UploadProgress};
use sqlx::PgPool;
use support::{ADMIN_EMAIL, Stack, png};

fn file(name: &str, content_type: &str, bytes: Vec<u8>) -> NewUpload {
    NewUpload {
        filename: name.into(),
        content_type: content_type.into(),
        title: Some(format!("title of {name}")),
        bytes,
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_upload_reports_progress_and_lands_ready(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let client = stack.client();
    let token = stack.token("ada@example.com").await;

    let policy = client.policy().await.unwrap();
    assert_eq!(policy.max_bytes, 10 * 1024 * 1024);
    assert!(policy.allowed_types.contains(&"image/png".to_owned()));

    let image = png(300 * 1024);
    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let log = seen.clone();
    let post = client
        .upload(
            &token,
            "upload-1",
            file("cat.png", "image/png", image.clone()),
            move |p| log.lock().unwrap().push(p),
        )
        .await
        .unwrap();
    assert_eq!(post.status, PostStatus::Ready);
    assert_eq!(post.filename, "cat.png");
    assert_eq!(post.title.as_deref(), Some("title of cat.png"));
    assert_eq!(post.size, image.len() as i64);

    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|p| p.upload_id == "upload-1" && p.total == image.len() as u64)
    );
    assert_eq!(seen.first().unwrap().phase, UploadPhase::Creating);
    assert_eq!(seen.last().unwrap().phase, UploadPhase::Checking);
    let sent: Vec<u64> = seen
        .iter()
        .filter(|p| p.phase == UploadPhase::Uploading)
        .map(|p| p.sent)
        .collect();
    assert!(sent.len() >= 4, "one report per 64 KiB: {sent:?}");
    assert!(sent.windows(2).all(|w| w[0] < w[1]), "{sent:?}");
    assert_eq!(*sent.last().unwrap(), image.len() as u64);

    // Listed, with a thumbnail URL that serves the very bytes.
    let page = client
        .list_posts(&token, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let listed = &page.items[0];
    assert_eq!(listed.id, post.id);
    let thumb = reqwest::get(listed.url.as_deref().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(thumb.as_ref(), image.as_slice());

    // Preview with a fresh URL, then a download that keeps both copies apart.
    let preview = client.post(&token, post.id).await.unwrap();
    assert!(preview.url.is_some());
    let downloads = tempfile::tempdir().unwrap();
    let first = client
        .download(&token, &preview, downloads.path())
        .await
        .unwrap();
    let second = client
        .download(&token, &preview, downloads.path())
        .await
        .unwrap();
    assert_eq!(first, downloads.path().join("cat.png"));
    assert_eq!(second, downloads.path().join("cat (2).png"));
    assert_eq!(std::fs::read(&first).unwrap(), image);

    // Deleted: gone from the list and from the API.
    client.delete_post(&token, post.id).await.unwrap();
    let err = client.post(&token, post.id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let page = client
        .list_posts(&token, &ListQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn pages_filters_and_the_admin_view(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let client = stack.client();
    let ada = stack.token("ada@example.com").await;
    let grace = stack.token("grace@example.com").await;
    let boss = stack.token(ADMIN_EMAIL).await;
    assert_eq!(client.me(&boss).await.unwrap().role, Role::Admin);
    assert_eq!(client.me(&ada).await.unwrap().role, Role::User);

    for n in 0..3 {
        let name = format!("ada-{n}.png");
        client
            .upload(&ada, &name, file(&name, "image/png", png(100)), |_| {})
            .await
            .unwrap();
    }
    client
        .upload(
            &grace,
            "g",
            file("grace.png", "image/png", png(100)),
            |_| {},
        )
        .await
        .unwrap();

    // Two pages of two and one, newest first.
    let first = client
        .list_posts(
            &ada,
            &ListQuery {
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let names: Vec<&str> = first.items.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(names, ["ada-2.png", "ada-1.png"]);
    let second = client
        .list_posts(
            &ada,
            &ListQuery {
                limit: Some(2),
                cursor: first.next_cursor.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let names: Vec<&str> = second.items.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(names, ["ada-0.png"]);
    assert_eq!(second.next_cursor, None);

    // A user sees their own posts; the admin sees everyone's.
    let all = client
        .list_posts(&boss, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 4);
    let ready = client
        .list_posts(
            &boss,
            &ListQuery {
                status: Some(PostStatus::Ready),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ready.items.len(), 4);
    let pending = client
        .list_posts(
            &boss,
            &ListQuery {
                status: Some(PostStatus::Pending),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(pending.items.is_empty());
    // Grace may not delete Ada's post; the admin may.
    let adas = &first.items[0];
    let err = client.delete_post(&grace, adas.id).await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Forbidden | ErrorKind::NotFound),
        "{err:?}"
    );
    client.delete_post(&boss, adas.id).await.unwrap();
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn failures_come_back_as_kinds_the_ui_can_explain(pool: PgPool) {
    let stack = Stack::start_with(pool, &["--max-upload-bytes=4096"]).await;
    let client = stack.client();
    let token = stack.token("ada@example.com").await;

    let err = client
        .upload(
            &token,
            "big",
            file("big.png", "image/png", png(5000)),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge);
    let err = client
        .upload(
            &token,
            "txt",
            file("notes.txt", "text/plain", b"hello".to_vec()),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedType);

    // Declared a PNG, is a JPEG: the API checks the bytes and refuses them.
    let jpeg = imgup_testkit::sample_image_of_len("image/jpeg", 500);
    let err = client
        .upload(&token, "liar", file("liar.png", "image/png", jpeg), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert!(!err.message.is_empty());

    // S3 down: a network error. The API cannot remove the pending post while
    // its storage is down, so it stays listed as pending, and goes once S3 is back.
    let mut stack = stack;
    stack.s3.stop().await;
    let err = client
        .upload(
            &token,
            "down",
            file("down.png", "image/png", png(200)),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network, "{err:?}");
    stack.s3.restart().await;
    let pending = client
        .list_posts(
            &token,
            &ListQuery {
                status: Some(PostStatus::Pending),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let names: Vec<&str> = pending.items.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(names, ["down.png"]);
    client
        .delete_post(&token, pending.items[0].id)
        .await
        .unwrap();

    // A token that is not one, and an API that is not there.
    let err = client
        .list_posts("not-a-token", &ListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    let nowhere = imgup_admin::client::ImgupClient::new(&imgup_admin::settings::Settings {
        api_url: format!("http://127.0.0.1:{}", imgup_testkit::process::free_port()),
        auth_url: stack.settings.auth_url.clone(),
    });
    let err = nowhere.policy().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
}
