use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Makes presigned S3 URLs with the SDK's own SigV4 signer, without building
/// an SDK operation per URL: a presign is a pure computation over a few
/// strings, and the SDK's operation pipeline costs more than the whole HTTP
/// request that asks for it.
#[derive(Debug, Clone)]
pub struct Presigner {
    identity: Identity,
    region: String,
    /// `scheme://host[:port]` that clients reach.
    public_base: String,
    bucket: String,
    path_style: bool,
}

/// A method and the headers a presigned URL pins.
pub enum Presign<'a> {
    /// A PUT of exactly `content_length` bytes of `content_type`.
    Put {
        content_type: &'a str,
        content_length: u64,
    },
    /// A GET, optionally forcing `Content-Disposition`.
    Get {
        content_disposition: Option<&'a str>,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("cannot presign: {0}")]
pub struct PresignError(String);

impl Presigner {
    pub fn new(
        access_key: &str,
        secret_key: &str,
        region: &str,
        public_endpoint: &str,
        bucket: &str,
        path_style: bool,
    ) -> Result<Self, PresignError> {
        let url = url::Url::parse(public_endpoint)
            .map_err(|e| PresignError(format!("S3_PUBLIC_ENDPOINT {public_endpoint:?}: {e}")))?;
        let host = url.host_str().ok_or_else(|| {
            PresignError(format!(
                "S3_PUBLIC_ENDPOINT {public_endpoint:?} has no host"
            ))
        })?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let public_base = format!("{}://{host}{port}", url.scheme());
        let identity = Credentials::new(access_key, secret_key, None, None, "imgup-config").into();
        Ok(Self {
            identity,
            region: region.to_owned(),
            public_base,
            bucket: bucket.to_owned(),
            path_style,
        })
    }

    fn object_url(&self, key: &str) -> String {
        if self.path_style {
            format!("{}/{}/{key}", self.public_base, self.bucket)
        } else {
            let (scheme, host) = self
                .public_base
                .split_once("://")
                .unwrap_or(("https", &self.public_base));
            format!("{scheme}://{}.{host}/{key}", self.bucket)
        }
    }

    /// A URL for `key` valid for `expires_in` from now.
    pub fn presign(
        &self,
        key: &str,
        request: Presign<'_>,
        expires_in: Duration,
    ) -> Result<String, PresignError> {
        self.presign_at(key, request, expires_in, SystemTime::now())
    }

    pub fn presign_at(
        &self,
        key: &str,
        request: Presign<'_>,
        expires_in: Duration,
        now: SystemTime,
    ) -> Result<String, PresignError> {
        let mut url = self.object_url(key);
        let length;
        let (method, headers): (&str, Vec<(&str, &str)>) = match request {
            Presign::Put {
                content_type,
                content_length,
            } => {
                length = content_length.to_string();
                (
                    "PUT",
                    vec![("content-type", content_type), ("content-length", &length)],
                )
            }
            Presign::Get {
                content_disposition,
            } => {
                if let Some(value) = content_disposition {
                    url.push_str("?response-content-disposition=");
                    url.extend(
                        url::form_urlencoded::byte_serialize(value.as_bytes())
                            .map(|s| s.replace('+', "%20")),
                    );
                }
                ("GET", Vec::new())
            }
        };

        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires_in);
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| PresignError(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            &url,
            headers.iter().copied(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| PresignError(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| PresignError(e.to_string()))?
            .into_parts();

        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .body(())
            .map_err(|e| PresignError(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request.uri().to_string())
    }
}
