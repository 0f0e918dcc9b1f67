//! The embedded S3 endpoint on its own, for benchmarks that need a real S3
//! beside a separately started `imgup-api`:
//! `serve FOLDER PORT ACCESS_KEY SECRET_KEY BUCKET`.

use imgup_embedded_s3::{EmbeddedS3, EmbeddedS3Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, port, access_key, secret_key, bucket] = args.as_slice() else {
        return Err("usage: serve FOLDER PORT ACCESS_KEY SECRET_KEY BUCKET".into());
    };
    let config = EmbeddedS3Config {
        root: root.into(),
        access_key: access_key.clone(),
        secret_key: secret_key.clone(),
        buckets: vec![bucket.clone()],
        cors_allowed_origins: vec![],
    };
    let server = EmbeddedS3::bind(([127, 0, 0, 1], port.parse()?).into(), &config).await?;
    println!("S3 at {}", server.endpoint());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
