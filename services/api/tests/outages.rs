//! When S3 or Postgres goes away, requests get a prompt 503 with a clear error,
//! nothing stored is lost, and the service recovers by itself.

mod support;

use std::time::Duration;

use imgup_testkit::{TcpProxy, sample_image};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_of};

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_s3_outage_is_a_503_and_the_api_recovers(pool: PgPool) {
    let mut app = TestApp::start(pool).await;
    let token = app.tokens.user("alice");
    let image = sample_image();
    let post = app
        .create_post(&token, "cat.png", "image/png", image.len())
        .await;
    let id = post["id"].as_i64().unwrap();
    app.put(
        post["presignedUrl"].as_str().unwrap(),
        "image/png",
        image.clone(),
    )
    .await;

    app.s3.stop().await;
    let complete = app
        .post(&format!("/posts/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert!(complete.headers().contains_key("retry-after"));
    assert_eq!(
        error_of(complete, StatusCode::SERVICE_UNAVAILABLE).await,
        "storage unavailable"
    );
    let delete = app
        .delete(&format!("/posts/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(delete, StatusCode::SERVICE_UNAVAILABLE).await,
        "storage unavailable"
    );
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["storage"],
        "unavailable"
    );
    // Presigning needs no round trip to S3, so new uploads can still be prepared.
    let upload = app
        .post("/uploads", &token)
        .json(&json!({"filename": "b.png", "contentType": "image/png", "size": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);

    app.s3.restart().await;
    let complete = app
        .post(&format!("/posts/{id}/complete"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        complete.status(),
        StatusCode::OK,
        "the failed delete kept the post and its object"
    );
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_database_outage_is_a_503_and_the_api_recovers(pool: PgPool) {
    let (mut proxy, proxied) = TcpProxy::in_front_of(&pool).await;
    let app = TestApp::start(proxied).await;
    let token = app.tokens.user("alice");
    let body = json!({"filename": "cat.png", "contentType": "image/png", "size": 10});
    let first = app.post("/posts", &token).json(&body).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);

    proxy.cut().await;
    let during = app.post("/posts", &token).json(&body).send().await.unwrap();
    assert_eq!(
        error_of(during, StatusCode::SERVICE_UNAVAILABLE).await,
        "database unavailable"
    );
    let list = app.get("/posts", &token).send().await.unwrap();
    assert_eq!(
        error_of(list, StatusCode::SERVICE_UNAVAILABLE).await,
        "database unavailable"
    );
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore().await;
    let mut recovered = None;
    for _ in 0..20 {
        let response = app.get("/posts", &token).send().await.unwrap();
        if response.status() == StatusCode::OK {
            recovered = Some(response.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let list = recovered.expect("the API recovers once the database is back");
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "the post made before the outage is still there"
    );
}
