//! The app's client against the real services: upload with progress, browse,
//! preview, download, delete, and every failure as a kind the UI explains.
//! Every upload is a real image (the API decodes it in full).

mod support;

use std::sync::{Arc, Mutex};

use imgup_admin::error::ErrorKind;
use imgup_admin::model::{ListQuery, NewUpload, PostStatus, Role, UploadPhase, UploadProgress};
use sqlx::PgPool;
use support::{ADMIN_EMAIL, Stack, fake_png, gradient_png, noise_png, small_png};

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

    // 400×300 of noise, about 360 KB: several 64 KiB pieces.
    let image = noise_png(400, 300);
    assert!(image.len() > 4 * 64 * 1024, "{} bytes", image.len());
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

    assert_eq!((post.width, post.height), (Some(400), Some(300)));

    // Listed, with an original URL that serves the very bytes (a PNG without
    // metadata comes back as it was sent), and a thumbnail.
    let page = client
        .list_posts(&token, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let listed = &page.items[0];
    assert_eq!(listed.id, post.id);
    let original = reqwest::get(listed.url.as_deref().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(original.as_ref(), image.as_slice());
    let thumb = &listed.variants["thumb"];
    assert_eq!((thumb.width, thumb.height), (320, 240));

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
    // Two at once never write into one file (each is created new).
    let (third, fourth) = tokio::join!(
        client.download(&token, &preview, downloads.path()),
        client.download(&token, &preview, downloads.path())
    );
    let (third, fourth) = (third.unwrap(), fourth.unwrap());
    assert_ne!(third, fourth);
    for path in [&third, &fourth] {
        assert_eq!(std::fs::read(path).unwrap(), image, "{}", path.display());
    }

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
            .upload(&ada, &name, file(&name, "image/png", small_png()), |_| {})
            .await
            .unwrap();
    }
    client
        .upload(
            &grace,
            "g",
            file("grace.png", "image/png", small_png()),
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
            file("big.png", "image/png", fake_png(5000)),
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
    let jpeg = imgup_testkit::real_image_of("image/jpeg");
    let err = client
        .upload(&token, "liar", file("liar.png", "image/png", jpeg), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert!(!err.message.is_empty());

    // PNG-headed filler: not an image, refused after a full decode, and the
    // post stays listed as rejected with its reason and code.
    let err = client
        .upload(
            &token,
            "filler",
            file("filler.png", "image/png", fake_png(2000)),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected, "{err:?}");
    let rejected = client
        .list_posts(
            &token,
            &ListQuery {
                status: Some(PostStatus::Rejected),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let filler = rejected
        .items
        .iter()
        .find(|p| p.filename == "filler.png")
        .expect("the rejected post is listed");
    assert!(filler.rejection_reason.is_some());
    assert!(filler.rejection_code.is_some(), "{filler:?}");
    assert!(filler.url.is_none() && filler.variants.is_empty());

    // S3 down: a network error. The API cannot remove the pending post while
    // its storage is down, so it stays listed as pending, and goes once S3 is back.
    let mut stack = stack;
    stack.s3.stop().await;
    let err = client
        .upload(
            &token,
            "down",
            file("down.png", "image/png", small_png()),
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

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_upload_ends_ready_measured_with_its_variants(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let client = stack.client();
    let token = stack.token("ada@example.com").await;

    let policy = client.policy().await.unwrap();
    assert_eq!(policy.variants.get("thumb"), Some(&320));
    assert_eq!(policy.variants.get("medium"), Some(&1280));
    assert!(policy.max_image_pixels > 0 && policy.max_image_width > 0);

    let image = gradient_png(640, 400);
    let post = client
        .upload(
            &token,
            "sunset",
            file("sunset.png", "image/png", image),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(post.status, PostStatus::Ready);
    assert_eq!((post.width, post.height), (Some(640), Some(400)));
    assert!(post.blurhash.as_deref().is_some_and(|h| h.len() >= 6));
    assert!(post.rejection_code.is_none());
    let thumb = &post.variants["thumb"];
    assert_eq!((thumb.width, thumb.height), (320, 200));
    let medium = &post.variants["medium"];
    assert_eq!((medium.width, medium.height), (640, 400), "never upscaled");
    let variant_type = policy.variant_type.as_deref().unwrap();
    assert_eq!(thumb.content_type, variant_type);

    // The thumbnail URL serves a small image of that type, not the original.
    let response = reqwest::get(&thumb.url).await.unwrap();
    assert!(response.status().is_success());
    let bytes = response.bytes().await.unwrap();
    match variant_type {
        "image/webp" => assert_eq!(&bytes[8..12], b"WEBP"),
        "image/jpeg" => assert_eq!(&bytes[..2], b"\xff\xd8"),
        other => panic!("variant type {other}"),
    }
    // And the list carries the same fields, so that the grid needs no extra call.
    let page = client
        .list_posts(&token, &ListQuery::default())
        .await
        .unwrap();
    let listed = &page.items[0];
    assert_eq!((listed.width, listed.height), (Some(640), Some(400)));
    assert_eq!(listed.blurhash, post.blurhash);
    assert_eq!(listed.variants["thumb"].width, 320);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_202_from_complete_is_an_upload_still_processing_not_an_error(pool: PgPool) {
    let mut stack = Stack::start_idle(pool, &["--complete-wait-ms=0"]).await;
    let client = stack.client();
    let token = stack.token("ada@example.com").await;

    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let log = seen.clone();
    let post = client
        .upload(
            &token,
            "slow",
            file("slow.png", "image/png", gradient_png(640, 400)),
            move |p| log.lock().unwrap().push(p),
        )
        .await
        .expect("202 processing is a success");
    assert_eq!(post.status, PostStatus::Processing);
    assert!(post.url.is_none() && post.variants.is_empty());
    assert_eq!(
        seen.lock().unwrap().last().unwrap().phase,
        UploadPhase::Checking
    );
    let listed = client
        .list_posts(
            &token,
            &ListQuery {
                status: Some(PostStatus::Processing),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);

    // What the grid does: ask again until it is ready.
    stack.start_workers();
    let mut ready = None;
    for _ in 0..200 {
        let fresh = client.post(&token, post.id).await.unwrap();
        if fresh.status != PostStatus::Processing {
            ready = Some(fresh);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ready = ready.expect("ready within 20 s");
    assert_eq!(ready.status, PostStatus::Ready);
    assert_eq!(ready.variants["thumb"].width, 320);
    assert!(ready.url.is_some());
}

/// The API accepts a type in any case and signs its own spelling of it; the
/// PUT must send the signed one, or S3 refuses the signature.
#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_upload_puts_the_content_type_that_was_signed(pool: PgPool) {
    let stack = Stack::start(pool).await;
    let client = stack.client();
    let token = stack.token("ada@example.com").await;
    let post = client
        .upload(
            &token,
            "upload-case",
            file("cat.png", " IMAGE/PNG ", small_png()),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(post.status, PostStatus::Ready);
    assert_eq!(post.content_type, "image/png");
}
