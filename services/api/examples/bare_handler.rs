//! The ceiling for the load benchmark: a bare axum handler that parses a small
//! JSON body and answers a small JSON body, with nothing else in the way.
//! `bench/load.sh` runs it beside `imgup-api` in the same conditions.

use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    filename: String,
    content_type: String,
    size: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    filename: String,
    content_type: String,
    size: u64,
}

async fn echo(Json(body): Json<Body>) -> Json<Answer> {
    Json(Answer {
        filename: body.filename,
        content_type: body.content_type,
        size: body.size,
    })
}

#[tokio::main]
async fn main() {
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:18181".into());
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, Router::new().route("/echo", post(echo)))
        .await
        .expect("serve");
}
