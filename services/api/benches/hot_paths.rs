//! The per-request work of `POST /uploads` and `GET /images/{key}`, piece by
//! piece: where the time goes besides the HTTP stack.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imgup_api::storage::{Presign, Presigner};
use imgup_jwt::{JwtSettings, Role, TokenSubject};
use imgup_policy::{ImageFormat, KeyMinter, UploadPolicy, UploadRequest};

/// The output of a future that needs no waiting (HS256 checks never wait).
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("HS256 verification should not wait"),
    }
}

const SECRET: &str = "bench-secret-bench-secret-bench-secret";

fn hot_paths(c: &mut Criterion) {
    let policy = UploadPolicy::default();
    c.bench_function("validate upload request", |b| {
        b.iter(|| {
            policy.validate(black_box(&UploadRequest {
                filename: "holiday-photo.jpeg",
                content_type: "image/jpeg",
                size: 123_456,
            }))
        })
    });

    let settings = JwtSettings::hs256(SECRET);
    let token = settings.signer().unwrap().sign(&TokenSubject {
        user_id: "42".into(),
        email: "ada@example.com".into(),
        name: Some("Ada".into()),
        role: Role::User,
    });
    let verifier = settings.verifier().unwrap();
    c.bench_function("verify JWT (HS256)", |b| {
        b.iter(|| ready(verifier.verify(black_box(&token))).unwrap())
    });
    let cached = imgup_jwt::CachedVerifier::new(verifier.clone(), 1024);
    c.bench_function("verify JWT (HS256, token seen before)", |b| {
        b.iter(|| ready(cached.verify(black_box(&token))).unwrap())
    });

    let keys = KeyMinter::new(SECRET.as_bytes());
    let key = keys.mint(ImageFormat::Jpeg, "42");
    c.bench_function("mint object key", |b| {
        b.iter(|| keys.mint(ImageFormat::Jpeg, black_box("42")))
    });
    c.bench_function("check key owner", |b| {
        b.iter(|| keys.is_owned_by(black_box(&key), "42"))
    });

    let presigner = Presigner::new(
        "minio",
        "minio123",
        "us-east-1",
        "http://localhost:9000",
        "uploads",
        true,
    )
    .unwrap();
    let expiry = Duration::from_secs(900);
    c.bench_function("presign PUT (imgup)", |b| {
        b.iter(|| {
            presigner
                .presign(
                    black_box(key.as_str()),
                    Presign::Put {
                        content_type: "image/jpeg",
                        content_length: 123_456,
                    },
                    expiry,
                )
                .unwrap()
        })
    });
    c.bench_function("presign GET (imgup)", |b| {
        b.iter(|| {
            presigner
                .presign(
                    black_box(key.as_str()),
                    Presign::Get {
                        content_disposition: None,
                        content_type: Some("image/png"),
                    },
                    expiry,
                )
                .unwrap()
        })
    });

    let bucket = rusty_s3::Bucket::new(
        url::Url::parse("http://localhost:9000").unwrap(),
        rusty_s3::UrlStyle::Path,
        "uploads",
        "us-east-1",
    )
    .unwrap();
    let creds = rusty_s3::Credentials::new("minio", "minio123");
    c.bench_function("presign PUT (rusty-s3)", |b| {
        b.iter(|| {
            use rusty_s3::S3Action;
            let mut action = bucket.put_object(Some(&creds), black_box(key.as_str()));
            action.headers_mut().insert("content-type", "image/jpeg");
            action.headers_mut().insert("content-length", "123456");
            action.sign(expiry)
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = runtime.block_on(async {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url("http://localhost:9000")
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "minio", "minio123", None, None, "bench",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    });
    let presigning = aws_sdk_s3::presigning::PresigningConfig::expires_in(expiry).unwrap();
    c.bench_function(
        "presign PUT (aws-sdk-s3 presigned(), for comparison)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    sdk.put_object()
                        .bucket("uploads")
                        .key(black_box(key.as_str()))
                        .content_type("image/jpeg")
                        .content_length(123_456)
                        .presigned(presigning.clone())
                        .await
                        .unwrap()
                })
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = hot_paths
}
criterion_main!(benches);
