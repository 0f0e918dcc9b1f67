//! The image bucket: presigned URLs for clients, and the few calls the API
//! itself makes (inspect, read the first bytes, delete, check the bucket).

mod presign;

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::SdkError;
use aws_smithy_http_client::tls;

pub use presign::{Presign, PresignError, Presigner};

use crate::config::S3Settings;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// S3 cannot be reached, or answered that it is in trouble; worth retrying.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Other(String),
}

/// What S3 says about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

/// An object and what S3 says about it.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub info: ObjectInfo,
    /// Empty when the object was over the caller's limit.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

pub struct ObjectStorage {
    client: aws_sdk_s3::Client,
    presigner: Presigner,
    bucket: String,
}

impl ObjectStorage {
    pub fn new(settings: &S3Settings) -> Result<Self, PresignError> {
        let public = settings
            .public_endpoint
            .as_deref()
            .unwrap_or(&settings.endpoint);
        let presigner = Presigner::new(
            &settings.access_key,
            &settings.secret_key,
            &settings.region,
            public,
            &settings.bucket,
            settings.force_path_style,
        )?;
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .endpoint_url(&settings.endpoint)
            .credentials_provider(Credentials::new(
                &settings.access_key,
                &settings.secret_key,
                None,
                None,
                "imgup-config",
            ))
            .force_path_style(settings.force_path_style)
            .http_client(http_client)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(10))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .build();
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(config),
            presigner,
            bucket: settings.bucket.clone(),
        })
    }

    pub fn presigner(&self) -> &Presigner {
        &self.presigner
    }

    pub fn presign(
        &self,
        key: &str,
        request: Presign<'_>,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        self.presigner
            .presign(key, request, expires_in)
            .map_err(|e| StorageError::Other(e.to_string()))
    }

    /// `None` when there is no such object.
    pub async fn inspect(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(ObjectInfo {
                size: head
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
                content_type: head.content_type().map(str::to_owned),
            })),
            Err(SdkError::ServiceError(err)) if err.err().is_not_found() => Ok(None),
            Err(err) => Err(classify(err)),
        }
    }

    /// The whole object, unless it is larger than `limit` bytes (then only its
    /// info, with no bytes read); `None` when there is no such object.
    pub async fn get(&self, key: &str, limit: u64) -> Result<Option<StoredObject>, StorageError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(SdkError::ServiceError(err)) if err.err().is_no_such_key() => return Ok(None),
            Err(err) => return Err(classify(err)),
        };
        let info = ObjectInfo {
            size: output
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            content_type: output.content_type().map(str::to_owned),
        };
        if info.size > limit {
            return Ok(Some(StoredObject {
                info,
                bytes: Vec::new(),
            }));
        }
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let bytes = body.to_vec();
        Ok(Some(StoredObject {
            info: ObjectInfo {
                size: bytes.len() as u64,
                ..info
            },
            bytes,
        }))
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    /// Every object under `prefix`, with when it was last written.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, StorageError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(classify)?;
            for object in page.contents() {
                let (Some(key), Some(modified)) = (object.key(), object.last_modified()) else {
                    continue;
                };
                objects.push(ListedObject {
                    key: key.to_owned(),
                    last_modified: chrono::DateTime::from_timestamp(modified.secs(), 0)
                        .unwrap_or_default(),
                });
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(objects),
            }
        }
    }

    /// Deletes the object; deleting a missing object succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    /// Succeeds when the bucket exists and our credentials reach it.
    pub async fn check_bucket(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }
}

fn classify<E>(err: SdkError<E, HttpResponse>) -> StorageError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let unavailable = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service.raw().status().as_u16() >= 500,
        _ => false,
    };
    let message = aws_sdk_s3::error::DisplayErrorContext(&err).to_string();
    if unavailable {
        StorageError::Unavailable(message)
    } else {
        StorageError::Other(message)
    }
}
