//! The seed README's flow end to end: ask for a URL, PUT the file straight to
//! S3, get it back through a presigned GET; and the posts workflow around it.

mod support;

use imgup_testkit::{real_image_of, sample_image};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_of};

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_seed_flow_uploads_and_reads_back_an_image(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();

    let response = app
        .post("/uploads", &token)
        .json(&json!({ "filename": "cat.png", "contentType": "image/png", "size": image.len() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ticket: Value = response.json().await.unwrap();
    let key = ticket["objectKey"].as_str().unwrap();
    assert!(
        key.starts_with("uploads/") && key.ends_with(".png"),
        "{key}"
    );
    let presigned = ticket["presignedUrl"].as_str().unwrap();
    assert!(presigned.starts_with(&app.s3.endpoint()), "{presigned}");

    let put = app.put(presigned, "image/png", image.clone()).await;
    assert!(put.status().is_success(), "{}", put.status());

    let response = app
        .get(&format!("/images/{key}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["key"], key);
    assert_eq!(view["expiresIn"], 900);
    assert_eq!(view["download"], false);
    let fetched = app
        .http
        .get(view["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), image.as_slice());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_post_goes_from_pending_to_ready_and_is_deleted_with_its_object(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();

    let created = app
        .post("/posts", &token)
        .json(&json!({ "filename": "sunset.png", "contentType": "image/png", "size": image.len(), "title": "Sunset" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "pending");
    assert_eq!(created["title"], "Sunset");
    assert_eq!(created["ownerId"], "alice");
    assert_eq!(
        created["url"],
        Value::Null,
        "no GET URL before the image is there"
    );
    let id = created["id"].as_i64().unwrap();
    let key = created["objectKey"].as_str().unwrap().to_owned();

    let early = app
        .post(&format!("/posts/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(early, StatusCode::CONFLICT).await,
        "the image has not been uploaded yet"
    );

    let put = app
        .put(
            created["presignedUrl"].as_str().unwrap(),
            "image/png",
            image.clone(),
        )
        .await;
    assert!(put.status().is_success());
    let done = app
        .post(&format!("/posts/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["status"], "ready");

    let again = app
        .post(&format!("/posts/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK, "complete is idempotent");

    let shown: Value = app
        .get(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "ready");
    assert_eq!(shown["size"], image.len());
    let bytes = app
        .http
        .get(shown["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), image.as_slice());

    let deleted = app
        .delete(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(
        !app.object_exists(&key).await,
        "the object goes with the post"
    );
    let gone = app
        .get(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let old_url = app
        .http
        .get(shown["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(old_url.status().is_client_error());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn every_allowed_format_completes(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--allowed-mime-types=image/jpeg,image/png,image/webp,image/avif,image/gif")
        .start()
        .await;
    let token = app.tokens.user("alice");
    for (name, mime) in [
        ("a.jpg", "image/jpeg"),
        ("b.JPEG", "image/jpeg"),
        ("c.png", "image/png"),
        ("d.webp", "image/webp"),
        ("e.avif", "image/avif"),
        ("f.gif", "image/gif"),
    ] {
        let post = app
            .upload_ready_post(&token, name, mime, real_image_of(mime))
            .await;
        assert_eq!(post["status"], "ready", "{name}");
        assert_eq!(post["contentType"], mime);
        assert!(post["width"].as_u64().unwrap() > 0, "{name}: {post}");
        // AVIF is checked and cleaned, but no decoder builds here to render variants from it.
        if mime != "image/avif" {
            assert!(
                post["variants"]["thumb"]["url"].is_string(),
                "{name}: {post}"
            );
        }
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_download_url_names_the_file_safely(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let post = app
        .upload_ready_post(&token, "cat.png", "image/png", sample_image())
        .await;
    let key = post["objectKey"].as_str().unwrap();

    let name = "고양이 \"best\"\r\nX-Evil: 1.png";
    let response = app
        .get(&format!("/images/{key}"), &token)
        .query(&[("as_download", "true"), ("filename", name)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["download"], true);
    let fetched = app
        .http
        .get(view["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    let disposition = fetched.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(disposition, imgup_policy::attachment(name));
    assert!(fetched.headers().get("x-evil").is_none());
    assert_eq!(fetched.headers()["content-type"], "image/png");

    // The served type is pinned in the URL, not taken from the stored object:
    // one stored as HTML (S3 keeps what a writer declared) is still served as
    // the post's image type, which browsers will not run.
    app.state
        .storage
        .put(key, sample_image(), "text/html")
        .await
        .unwrap();
    let fetched = app
        .http
        .get(view["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["content-type"], "image/png");

    let default_name = app
        .get(&format!("/images/{key}?as_download=true"), &token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let fetched = app
        .http
        .get(default_name["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        fetched.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"cat.png\"; filename*=UTF-8''cat.png"
    );

    // Our S3 domain never hands out an .exe: the download keeps the image's extension.
    let renamed: Value = app
        .get(&format!("/images/{key}"), &token)
        .query(&[("as_download", "true"), ("filename", "invoice.exe")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fetched = app
        .http
        .get(renamed["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        fetched.headers()["content-disposition"].to_str().unwrap(),
        imgup_policy::attachment("invoice.png")
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn posts_are_listed_newest_first_a_page_at_a_time(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let bob = app.tokens.user("bob");
    let mut ids = Vec::new();
    for i in 0..5 {
        let post = app
            .create_post(&alice, &format!("p{i}.png"), "image/png", 10)
            .await;
        ids.push(post["id"].as_i64().unwrap());
    }
    app.create_post(&bob, "bob.png", "image/png", 10).await;
    ids.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = app.get("/posts", &alice).query(&[("limit", "2")]);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let page: Value = request.send().await.unwrap().json().await.unwrap();
        pages += 1;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(
        seen, ids,
        "alice sees exactly her posts, newest first, each once"
    );
    assert_eq!(pages, 3);

    let pending: Value = app
        .get("/posts?status=ready", &alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending["items"].as_array().unwrap().len(), 0);

    for bad in [
        "/posts?limit=0",
        "/posts?limit=101",
        "/posts?cursor=abc",
        "/posts?cursor=-4",
        "/posts?status=lost",
        "/posts?limit=x",
    ] {
        let response = app.get(bad, &alice).send().await.unwrap();
        error_of(response, StatusCode::BAD_REQUEST).await;
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn health_and_the_openapi_document_are_served(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alive = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    assert!(alive.headers().contains_key("x-request-id"));
    let ready: Value = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready,
        json!({ "status": "ready", "database": "ok", "storage": "ok" })
    );

    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/uploads",
        "/images/{key}",
        "/posts",
        "/posts/{id}",
        "/posts/{id}/complete",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["UploadBody"].is_object());
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn presigned_urls_name_the_public_s3_endpoint(pool: PgPool) {
    let app = TestApp::builder(pool)
        .s3_public_host("localhost")
        .start()
        .await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .upload_ready_post(&token, "cat.png", "image/png", image.clone())
        .await;
    let url = post["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("http://localhost:{}/uploads/", app.s3.port())),
        "{url}"
    );
    // The signature covers the public host, and S3 accepts it there.
    let fetched = app.http.get(url).send().await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), image.as_slice());
}
