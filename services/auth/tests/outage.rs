//! A database outage is a prompt 503 with a clear error, and the service
//! recovers by itself once the database is back.

mod support;

use std::time::Duration;

use imgup_testkit::TcpProxy;
use reqwest::{Client, StatusCode};
use sqlx::PgPool;
use support::TestAuth;

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn a_database_outage_is_a_503_and_the_service_recovers(pool: PgPool) {
    let (mut proxy, proxied) = TcpProxy::in_front_of(&pool).await;
    let auth = TestAuth::start(proxied, &["--environment=development".into()]).await;
    let http = Client::new();
    let token_url = auth.url("/auth/oauth/test-token?email=ada@example.com");
    assert_eq!(
        http.post(&token_url).send().await.unwrap().status(),
        StatusCode::OK
    );

    proxy.cut().await;
    let during = http.post(&token_url).send().await.unwrap();
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(during.headers().contains_key("retry-after"));
    let body: serde_json::Value = during.json().await.unwrap();
    assert_eq!(body["error"], "database unavailable");
    assert_eq!(body["code"], "database_unavailable");
    assert_eq!(
        http.get(auth.url("/readyz")).send().await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.restore().await;
    let mut recovered = false;
    for _ in 0..20 {
        if http.post(&token_url).send().await.unwrap().status() == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the service recovers once the database is back");
}
