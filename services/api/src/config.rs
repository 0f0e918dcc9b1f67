use std::net::SocketAddr;
use std::time::Duration;

use imgup_imaging::{Presets, VariantFormat};
use imgup_jwt::JwtSettings;

pub use crate::limits::{QuotaSettings, RateLimitSettings};
use imgup_policy::{ImageFormat, UploadPolicy, parse_mime_list};
use imgup_telemetry::LogFormat;

/// The API's settings; every one comes from the contract's environment variable
/// or the matching flag.
#[derive(Clone, clap::Parser)]
#[command(name = "imgup-api", version, about = "imgup's upload API")]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        env = "BIND_ADDR",
        value_name = "BIND_ADDR",
        default_value = "0.0.0.0:8080"
    )]
    pub bind_addr: SocketAddr,
    /// Postgres connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: String,
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub jwt: JwtSettings,
    /// Keys the HMAC that binds object keys to their uploader (default: JWT_SECRET;
    /// required when tokens are verified by JWKS and there is no JWT_SECRET).
    #[arg(
        long,
        env = "OBJECT_KEY_SECRET",
        value_name = "OBJECT_KEY_SECRET",
        hide_env_values = true
    )]
    pub object_key_secret: Option<String>,
    #[command(flatten)]
    pub s3: S3Settings,
    #[command(flatten)]
    pub policy: PolicySettings,
    #[command(flatten)]
    pub images: ImageSettings,
    #[command(flatten)]
    pub quota: QuotaSettings,
    #[command(flatten)]
    pub rate_limit: RateLimitSettings,
    #[command(flatten)]
    pub metrics: imgup_telemetry::MetricsSettings,
    /// Uploads still pending after this many seconds are deleted with their
    /// object, and so are raw uploads nobody read (0: never).
    #[arg(
        long,
        env = "PENDING_UPLOAD_TTL_SECONDS",
        value_name = "PENDING_UPLOAD_TTL_SECONDS",
        default_value_t = 86_400
    )]
    pub pending_upload_ttl_seconds: u64,
    /// Browser origins allowed to call the API (comma-separated, e.g.
    /// `https://app.example.com`); none by default.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_name = "CORS_ALLOWED_ORIGINS",
        value_parser = parse_origins,
        default_value = ""
    )]
    pub cors_allowed_origins: Origins,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Reports objects that no post names and ready posts whose object is
    /// gone, then deletes the first and marks the second rejected.
    Gc {
        /// Only report; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind_addr", &self.bind_addr)
            .field("database_url", &"<redacted>")
            .field("log_format", &self.log_format)
            .field("jwt", &self.jwt)
            .field(
                "object_key_secret",
                &self.object_key_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("s3", &self.s3)
            .field("policy", &self.policy)
            .field("images", &self.images)
            .field("quota", &self.quota)
            .field("rate_limit", &self.rate_limit)
            .field(
                "pending_upload_ttl_seconds",
                &self.pending_upload_ttl_seconds,
            )
            .finish()
    }
}

#[derive(Clone, clap::Args)]
pub struct S3Settings {
    /// How the API reaches S3.
    #[arg(
        long = "s3-endpoint",
        env = "S3_ENDPOINT",
        value_name = "S3_ENDPOINT",
        default_value = "http://localhost:9000"
    )]
    pub endpoint: String,
    /// The S3 host that presigned URLs name, as clients reach it (default: S3_ENDPOINT).
    #[arg(
        long = "s3-public-endpoint",
        env = "S3_PUBLIC_ENDPOINT",
        value_name = "S3_PUBLIC_ENDPOINT"
    )]
    pub public_endpoint: Option<String>,
    #[arg(
        long = "s3-region",
        env = "S3_REGION",
        value_name = "S3_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,
    #[arg(
        long = "s3-bucket",
        env = "S3_BUCKET",
        value_name = "S3_BUCKET",
        default_value = "uploads"
    )]
    pub bucket: String,
    #[arg(
        long = "s3-access-key",
        env = "S3_ACCESS_KEY",
        value_name = "S3_ACCESS_KEY",
        hide_env_values = true
    )]
    pub access_key: String,
    #[arg(
        long = "s3-secret-key",
        env = "S3_SECRET_KEY",
        value_name = "S3_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: String,
    /// Path-style URLs (`host/bucket/key`), as MinIO wants; false for virtual-hosted style.
    #[arg(
        long = "s3-force-path-style",
        env = "S3_FORCE_PATH_STYLE", value_name = "S3_FORCE_PATH_STYLE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub force_path_style: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("public_endpoint", &self.public_endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            .field("force_path_style", &self.force_path_style)
            .finish()
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct PolicySettings {
    /// Largest accepted upload, in bytes (inclusive).
    #[arg(
        long = "max-upload-bytes",
        env = "MAX_UPLOAD_BYTES", value_name = "MAX_UPLOAD_BYTES",
        default_value_t = imgup_policy::DEFAULT_MAX_UPLOAD_BYTES,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_upload_bytes: u64,
    /// Comma-separated MIME types to accept (image/gif is opt-in).
    #[arg(
        long = "allowed-mime-types",
        env = "ALLOWED_MIME_TYPES", value_name = "ALLOWED_MIME_TYPES",
        default_value = "image/jpeg,image/png,image/webp,image/avif",
        value_parser = parse_allowed
    )]
    pub allowed_mime_types: AllowedFormats,
    /// Lifetime of presigned URLs, in seconds (S3 allows up to 7 days).
    #[arg(
        long = "presign-expires-seconds",
        env = "PRESIGN_EXPIRES_SECONDS", value_name = "PRESIGN_EXPIRES_SECONDS",
        default_value_t = 900,
        value_parser = clap::value_parser!(u64).range(1..=604_800)
    )]
    pub presign_expires_seconds: u64,
}

/// The image pipeline: limits held at the header, variants, and the workers.
#[derive(Debug, Clone, clap::Args)]
pub struct ImageSettings {
    /// Widest accepted image, in pixels (0: no limit).
    #[arg(
        long = "max-image-width",
        env = "MAX_IMAGE_WIDTH",
        value_name = "MAX_IMAGE_WIDTH",
        default_value_t = 10_000
    )]
    pub max_width: u32,
    /// Tallest accepted image, in pixels (0: no limit).
    #[arg(
        long = "max-image-height",
        env = "MAX_IMAGE_HEIGHT",
        value_name = "MAX_IMAGE_HEIGHT",
        default_value_t = 10_000
    )]
    pub max_height: u32,
    /// Most pixels (width × height) an image may have (0: no limit).
    #[arg(
        long = "max-image-pixels",
        env = "MAX_IMAGE_PIXELS",
        value_name = "MAX_IMAGE_PIXELS",
        default_value_t = 40_000_000
    )]
    pub max_pixels: u64,
    /// Most frames an animated GIF or WebP may have (0: no limit).
    #[arg(
        long = "max-animation-frames",
        env = "MAX_ANIMATION_FRAMES",
        value_name = "MAX_ANIMATION_FRAMES",
        default_value_t = 100
    )]
    pub max_frames: u32,
    /// Variant presets: name=long side in px, comma-separated (never upscaled).
    #[arg(
        long = "image-variants",
        env = "IMAGE_VARIANTS",
        value_name = "IMAGE_VARIANTS",
        default_value = "thumb=320,medium=1280"
    )]
    pub variants: Presets,
    /// Encoding of the variants: webp or jpeg.
    #[arg(
        long = "variant-format",
        env = "VARIANT_FORMAT",
        value_name = "VARIANT_FORMAT",
        default_value = "webp"
    )]
    pub variant_format: VariantFormat,
    /// Images processed at once (default: the number of cores).
    #[arg(long = "image-workers", env = "IMAGE_WORKERS", value_name = "IMAGE_WORKERS",
        value_parser = clap::value_parser!(u32).range(1..=256))]
    pub workers: Option<u32>,
    /// Memory the workers may use for pixels at once, in MiB: a job waits until
    /// its estimate is free (a job larger than all of it runs alone).
    #[arg(long = "image-memory-mb", env = "IMAGE_MEMORY_MB", value_name = "IMAGE_MEMORY_MB", default_value_t = 256,
        value_parser = clap::value_parser!(u32).range(16..))]
    pub memory_mb: u32,
    /// Jobs that may wait; past this, `complete` answers 503 with Retry-After.
    #[arg(
        long = "image-queue-max",
        env = "IMAGE_QUEUE_MAX",
        value_name = "IMAGE_QUEUE_MAX",
        default_value_t = 1000
    )]
    pub queue_max: u64,
    /// How long `complete` waits for the result before it answers 202 `processing`, in ms.
    #[arg(long = "complete-wait-ms", env = "COMPLETE_WAIT_MS", value_name = "COMPLETE_WAIT_MS", default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub complete_wait_ms: u64,
    /// How long a worker holds a job before another may take it over, in seconds.
    #[arg(long = "image-job-lease-seconds", env = "IMAGE_JOB_LEASE_SECONDS", value_name = "IMAGE_JOB_LEASE_SECONDS",
        default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_seconds: u64,
    /// First retry delay after a transient failure (S3 or the database down), in ms; doubles up to 5 minutes.
    #[arg(long = "image-retry-base-ms", env = "IMAGE_RETRY_BASE_MS", value_name = "IMAGE_RETRY_BASE_MS", default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=300_000))]
    pub retry_base_ms: u64,
}

impl ImageSettings {
    pub fn imaging(&self) -> imgup_imaging::Settings {
        imgup_imaging::Settings {
            limits: imgup_imaging::Limits {
                max_width: self.max_width,
                max_height: self.max_height,
                max_pixels: self.max_pixels,
                max_frames: self.max_frames,
            },
            presets: self.variants.clone(),
            variant_format: self.variant_format,
        }
    }

    pub fn workers(&self) -> usize {
        self.workers.map_or_else(
            || std::thread::available_parallelism().map_or(2, usize::from),
            |n| n as usize,
        )
    }
}

impl Default for ImageSettings {
    fn default() -> Self {
        Self {
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: 40_000_000,
            max_frames: 100,
            variants: Presets::default(),
            variant_format: VariantFormat::Webp,
            workers: None,
            memory_mb: 256,
            queue_max: 1000,
            complete_wait_ms: 10_000,
            lease_seconds: 120,
            retry_base_ms: 1000,
        }
    }
}

pub use imgup_telemetry::cors::Origins;
use imgup_telemetry::cors::parse_origins;

#[derive(Debug, Clone)]
pub struct AllowedFormats(pub Vec<ImageFormat>);

fn parse_allowed(list: &str) -> Result<AllowedFormats, String> {
    let formats = parse_mime_list(list).map_err(|e| e.to_string())?;
    if formats.is_empty() {
        return Err("at least one MIME type is required".into());
    }
    Ok(AllowedFormats(formats))
}

impl PolicySettings {
    pub fn upload_policy(&self) -> UploadPolicy {
        UploadPolicy {
            max_bytes: self.max_upload_bytes,
            allowed: self.allowed_mime_types.0.clone(),
        }
    }

    pub fn presign_expiry(&self) -> Duration {
        Duration::from_secs(self.presign_expires_seconds)
    }
}

impl Default for PolicySettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: imgup_policy::DEFAULT_MAX_UPLOAD_BYTES,
            allowed_mime_types: AllowedFormats(ImageFormat::DEFAULT_ALLOWED.to_vec()),
            presign_expires_seconds: 900,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const REQUIRED: [&str; 7] = [
        "imgup-api",
        "--database-url",
        "postgres://localhost/imgup",
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef",
        "--s3-access-key=minio",
        "--s3-secret-key=minio123",
    ];

    #[test]
    fn defaults_follow_the_contract() {
        let config = Config::try_parse_from(REQUIRED).unwrap();
        assert_eq!(config.bind_addr.port(), 8080);
        assert_eq!(config.s3.bucket, "uploads");
        assert!(config.s3.force_path_style);
        assert_eq!(config.policy.max_upload_bytes, 10_485_760);
        assert_eq!(config.policy.presign_expires_seconds, 900);
        assert_eq!(
            config.policy.upload_policy().allowed,
            ImageFormat::DEFAULT_ALLOWED.to_vec()
        );
        assert_eq!(config.jwt.expire_minutes, 1440);
        let images = config.images.imaging();
        assert_eq!(images.limits.max_width, 10_000);
        assert_eq!(images.limits.max_height, 10_000);
        assert_eq!(images.limits.max_pixels, 40_000_000);
        assert_eq!(images.limits.max_frames, 100);
        assert_eq!(images.presets.to_string(), "thumb=320,medium=1280");
        assert_eq!(images.variant_format, VariantFormat::Webp);
    }

    #[test]
    fn cors_origins_are_bare_origins() {
        let mut args = REQUIRED.to_vec();
        args.push("--cors-allowed-origins=http://localhost:5173, https://app.example.com");
        let config = Config::try_parse_from(&args).unwrap();
        assert_eq!(
            config.cors_allowed_origins.0,
            ["http://localhost:5173", "https://app.example.com"]
        );
        assert!(
            Config::try_parse_from(REQUIRED)
                .unwrap()
                .cors_allowed_origins
                .0
                .is_empty()
        );
        for bad in [
            "*",
            "https://app.example.com/path",
            "ftp://x",
            "localhost:5173",
            "https://a.example/",
        ] {
            let mut args = REQUIRED.to_vec();
            let arg = format!("--cors-allowed-origins={bad}");
            args.push(&arg);
            let err = Config::try_parse_from(&args).unwrap_err().to_string();
            assert!(
                err.contains("CORS_ALLOWED_ORIGINS") || err.contains("cors-allowed-origins"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bad_image_settings_name_themselves() {
        for (arg, name) in [
            ("--image-variants=thumb", "IMAGE_VARIANTS"),
            ("--image-variants=thumb=2", "IMAGE_VARIANTS"),
            ("--variant-format=gif", "VARIANT_FORMAT"),
            ("--image-workers=0", "IMAGE_WORKERS"),
        ] {
            let mut args = REQUIRED.to_vec();
            args.push(arg);
            let err = Config::try_parse_from(&args).unwrap_err().to_string();
            assert!(
                err.contains(name) || err.contains(&arg[2..arg.find('=').unwrap()]),
                "{arg}: {err}"
            );
        }
    }

    #[test]
    fn bad_settings_name_themselves() {
        let mut args = REQUIRED.to_vec();
        args.push("--allowed-mime-types=image/png,application/pdf");
        let err = Config::try_parse_from(&args).unwrap_err().to_string();
        assert!(
            err.contains("ALLOWED_MIME_TYPES") || err.contains("allowed-mime-types"),
            "{err}"
        );
        assert!(err.contains("application/pdf"), "{err}");

        let mut args = REQUIRED.to_vec();
        args.push("--max-upload-bytes=0");
        assert!(Config::try_parse_from(&args).is_err());

        let missing = Config::try_parse_from(&REQUIRED[..6])
            .unwrap_err()
            .to_string();
        assert!(missing.contains("S3_SECRET_KEY"), "{missing}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = Config::try_parse_from(REQUIRED).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("minio123") && !shown.contains("0123456789abcdef0123"));
    }
}
