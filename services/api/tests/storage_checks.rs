//! What the storage and `complete` refuse: the size limit and the declared type
//! are enforced by S3's own signature check and by inspecting what landed,
//! never by trusting the client.

mod support;

use std::time::{Duration, SystemTime};

use imgup_api::storage::Presign;
use imgup_testkit::{TestS3, real_image_of, sample_image, sample_image_of_len};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use support::{BUCKET, TestApp, error_body, error_of, incoming};

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn s3_refuses_a_body_of_another_length_or_type(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .create_post(&token, "cat.png", "image/png", image.len())
        .await;
    let url = post["presignedUrl"].as_str().unwrap();
    let key = post["objectKey"].as_str().unwrap();

    let mut longer = image.clone();
    longer.extend_from_slice(&[0; 4096]);
    let response = app.put(url, "image/png", longer).await;
    assert!(
        response.status().is_client_error(),
        "longer body accepted: {}",
        response.status()
    );

    let response = app
        .put(url, "image/png", image[..image.len() - 1].to_vec())
        .await;
    assert!(
        response.status().is_client_error(),
        "shorter body accepted: {}",
        response.status()
    );

    let response = app.put(url, "text/html", image.clone()).await;
    assert!(
        response.status().is_client_error(),
        "other type accepted: {}",
        response.status()
    );

    assert!(!app.object_exists(key).await, "nothing was stored");
    let response = app.put(url, "image/png", image).await;
    assert!(
        response.status().is_success(),
        "the declared upload still works"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn s3_refuses_an_expired_or_tampered_url(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .create_post(&token, "cat.png", "image/png", image.len())
        .await;
    let key = post["objectKey"].as_str().unwrap();

    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let expired = app
        .state
        .storage
        .presigner()
        .presign_at(
            key,
            Presign::Put {
                content_type: "image/png",
                content_length: image.len() as u64,
            },
            Duration::from_secs(900),
            two_hours_ago,
        )
        .unwrap();
    let response = app.put(&expired, "image/png", image.clone()).await;
    assert!(
        response.status().is_client_error(),
        "expired URL accepted: {}",
        response.status()
    );

    let url = post["presignedUrl"].as_str().unwrap();
    let tampered = url.replace(".png?", ".jpg?");
    let response = app.put(&tampered, "image/png", image.clone()).await;
    assert!(
        response.status().is_client_error(),
        "URL for another key accepted: {}",
        response.status()
    );
    assert!(!app.object_exists(key).await);
}

/// Writes an object with the bucket's own credentials, as a client that went
/// around the presigned URL (or a misbehaving tool) might.
async fn put_directly(app: &TestApp, key: &str, content_type: &str, bytes: Vec<u8>) {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(TestS3::REGION))
        .endpoint_url(app.s3.endpoint())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            TestS3::ACCESS_KEY,
            TestS3::SECRET_KEY,
            None,
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_s3::Client::from_conf(config)
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .content_type(content_type)
        .body(bytes.into())
        .send()
        .await
        .expect("direct put");
}

async fn complete(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.complete(token, id).await
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_file_that_is_not_the_declared_image_is_deleted_and_rejected(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let post = app
        .create_post(&token, "cat.png", "image/png", html.len())
        .await;
    let id = post["id"].as_i64().unwrap();
    let key = post["objectKey"].as_str().unwrap();
    let put = app
        .put(post["presignedUrl"].as_str().unwrap(), "image/png", html)
        .await;
    assert!(
        put.status().is_success(),
        "the storage cannot tell; complete must"
    );
    assert!(app.object_exists(&incoming(key)).await);
    assert!(!app.object_exists(key).await, "nothing unchecked is served");

    let body = error_body(
        complete(&app, &token, id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "not_an_image");
    let error = body["error"].as_str().unwrap();
    assert!(
        !app.object_exists(&incoming(key)).await,
        "the rejected object is deleted"
    );
    assert!(!app.object_exists(key).await);
    let shown: Value = app
        .get(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "rejected");
    assert_eq!(shown["rejectionReason"], error);
    assert_eq!(shown["rejectionCode"], "not_an_image");
    assert_eq!(shown["url"], Value::Null);

    let again = complete(&app, &token, id).await;
    assert_eq!(
        error_of(again, StatusCode::CONFLICT).await,
        format!("post was rejected: {error}")
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn another_format_than_declared_is_rejected(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let jpeg = real_image_of("image/jpeg");
    let post = app
        .create_post(&token, "cat.png", "image/png", jpeg.len())
        .await;
    let id = post["id"].as_i64().unwrap();
    app.put(post["presignedUrl"].as_str().unwrap(), "image/png", jpeg)
        .await;
    let body = error_body(
        complete(&app, &token, id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "wrong_format", "{body}");
    let key = post["objectKey"].as_str().unwrap();
    assert!(!app.object_exists(&incoming(key)).await);
    assert!(!app.object_exists(key).await);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_object_of_another_size_or_type_than_declared_is_rejected(pool: PgPool) {
    let app = TestApp::builder(pool)
        .arg("--max-upload-bytes=4096")
        .start()
        .await;
    let token = app.tokens.user("alice");
    // (declared size, stored type, stored size, the 422's code and error: exactly, or how it starts)
    let cases = [
        (
            1000,
            "image/png",
            1200,
            "size_mismatch",
            "the uploaded image is 1200 bytes, but 1000 were declared",
        ),
        (4096, "image/png", 5000, "file_too_large", "File too large"),
        (
            1000,
            "text/html",
            1000,
            "type_mismatch",
            "the uploaded image was stored as \"text/html\", but image/png was declared",
        ),
    ];
    for (declared, stored_type, stored_len, code, expected) in cases {
        let post = app
            .create_post(&token, "a.png", "image/png", declared)
            .await;
        let key = post["objectKey"].as_str().unwrap();
        put_directly(
            &app,
            &incoming(key),
            stored_type,
            sample_image_of_len("image/png", stored_len),
        )
        .await;
        let response = complete(&app, &token, post["id"].as_i64().unwrap()).await;
        let body = error_body(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["code"], code);
        let error = body["error"].as_str().unwrap();
        if expected == "File too large" {
            assert!(error.starts_with(expected), "{error}");
        } else {
            assert_eq!(error, expected);
        }
        assert!(
            !app.object_exists(&incoming(key)).await,
            "the mismatching object is deleted"
        );
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_size_limit_itself_is_allowed_end_to_end(pool: PgPool) {
    let image = real_image_of("image/webp");
    let limit = image.len();
    let app = TestApp::builder(pool)
        .arg(format!("--max-upload-bytes={limit}"))
        .start()
        .await;
    let token = app.tokens.user("alice");
    let post = app
        .upload_ready_post(&token, "edge.webp", "image/webp", image)
        .await;
    assert_eq!(post["status"], "ready");
    let over = app
        .post("/posts", &token)
        .json(&serde_json::json!({ "filename": "over.webp", "contentType": "image/webp", "size": limit + 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(over, StatusCode::BAD_REQUEST).await,
        "File too large"
    );
}
