//! The ConfigMaps holding each service's non-secret settings (the upload
//! policy among them), and the endpoints the services and the status name.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;

use super::{API_PORT, AUTH_PORT, MINIO_PORT, child_name, owned_meta};
use crate::crd::{DEFAULT_JWT_EXPIRE_MINUTES, Endpoints, ImageUploadStack, IngressSpec, Storage};

pub fn api_config_name(stack: &ImageUploadStack) -> String {
    child_name(stack, "api-config")
}

pub fn auth_config_name(stack: &ImageUploadStack) -> String {
    child_name(stack, "auth-config")
}

pub(crate) fn service_url(stack: &ImageUploadStack, suffix: &str, port: i32) -> String {
    format!(
        "http://{}.{}.svc:{port}",
        child_name(stack, suffix),
        stack.namespace().unwrap_or_default()
    )
}

/// How the API reaches S3.
pub fn s3_endpoint(stack: &ImageUploadStack) -> String {
    match stack.spec.storage() {
        Storage::Minio(_) => service_url(stack, "minio", MINIO_PORT),
        Storage::Garage(_) => super::garage::s3_endpoint(stack),
        Storage::External(e) => e.endpoint.clone(),
    }
}

/// `http(s)://host` of a host the stack's Ingress routes, if it names one.
fn ingress_url(
    stack: &ImageUploadStack,
    host: impl Fn(&IngressSpec) -> Option<&String>,
) -> Option<String> {
    let ing = stack.spec.ingress.as_ref()?;
    host(ing).map(|h| ing.url(h))
}

/// How clients reach S3 (the host presigned URLs name): the spec's
/// `publicEndpoint`, else the Ingress' `s3Host` (in-cluster MinIO), else
/// the endpoint the API uses.
pub fn s3_public_endpoint(stack: &ImageUploadStack) -> String {
    let public = match stack.spec.storage() {
        Storage::Minio(m) => m
            .public_endpoint
            .clone()
            .or_else(|| ingress_url(stack, |i| i.s3_host.as_ref())),
        Storage::Garage(g) => g
            .public_endpoint
            .clone()
            .or_else(|| ingress_url(stack, |i| i.s3_host.as_ref())),
        Storage::External(e) => e.public_endpoint.clone(),
    };
    public.unwrap_or_else(|| s3_endpoint(stack))
}

/// Where the api answers: at the Ingress' `apiHost`, else its Service.
pub fn api_url(stack: &ImageUploadStack) -> String {
    ingress_url(stack, |i| i.api_host.as_ref())
        .unwrap_or_else(|| service_url(stack, "api", API_PORT))
}

pub fn endpoints(stack: &ImageUploadStack) -> Endpoints {
    Endpoints {
        api: api_url(stack),
        auth: auth_public_url(stack),
        s3: s3_public_endpoint(stack),
    }
}

/// The auth service's external base URL (`PUBLIC_URL`): `auth.publicUrl`,
/// else the Ingress' `authHost`, else its Service.
pub fn auth_public_url(stack: &ImageUploadStack) -> String {
    stack
        .spec
        .auth
        .public_url
        .clone()
        .or_else(|| ingress_url(stack, |i| i.auth_host.as_ref()))
        .unwrap_or_else(|| service_url(stack, "auth", AUTH_PORT))
}

pub fn api_config_data(stack: &ImageUploadStack) -> BTreeMap<String, String> {
    let spec = &stack.spec;
    let (region, path_style) = match spec.storage() {
        Storage::Minio(_) => ("us-east-1".to_string(), true),
        // Garage checks SigV4 against its `s3_region`; buckets by path.
        Storage::Garage(_) => (crate::garage::DEFAULT_REGION.to_string(), true),
        Storage::External(e) => (e.region.clone(), e.force_path_style),
    };
    let mut d = common_data(stack, API_PORT);
    for (k, v) in [
        ("S3_ENDPOINT", s3_endpoint(stack)),
        ("S3_PUBLIC_ENDPOINT", s3_public_endpoint(stack)),
        ("S3_REGION", region),
        ("S3_BUCKET", spec.buckets.uploads.clone()),
        ("S3_FORCE_PATH_STYLE", path_style.to_string()),
        ("MAX_UPLOAD_BYTES", spec.policy.max_upload_bytes.to_string()),
        (
            "ALLOWED_MIME_TYPES",
            spec.policy.allowed_mime_types.join(","),
        ),
        (
            "PRESIGN_EXPIRES_SECONDS",
            spec.policy.presign_expires_seconds.to_string(),
        ),
        ("CORS_ALLOWED_ORIGINS", spec.api_cors_origins().join(",")),
    ] {
        d.insert(k.into(), v);
    }
    // The image pipeline: only what the spec sets; the api has the defaults.
    let p = &spec.policy;
    for (k, v) in [
        ("MAX_IMAGE_WIDTH", p.max_image_width.map(|n| n.to_string())),
        (
            "MAX_IMAGE_HEIGHT",
            p.max_image_height.map(|n| n.to_string()),
        ),
        (
            "MAX_IMAGE_PIXELS",
            p.max_image_pixels.map(|n| n.to_string()),
        ),
        (
            "MAX_ANIMATION_FRAMES",
            p.max_animation_frames.map(|n| n.to_string()),
        ),
        ("IMAGE_VARIANTS", p.image_variants_setting()),
        (
            "VARIANT_FORMAT",
            p.variant_format.map(|f| f.as_str().into()),
        ),
        ("IMAGE_WORKERS", p.image_workers.map(|n| n.to_string())),
        (
            "PENDING_UPLOAD_TTL_SECONDS",
            p.pending_upload_ttl_seconds.map(|n| n.to_string()),
        ),
        // Quotas and the per-user rate limit, likewise.
        (
            "QUOTA_USER_POSTS",
            p.quota_user_posts.map(|n| n.to_string()),
        ),
        (
            "QUOTA_USER_BYTES",
            p.quota_user_bytes.map(|n| n.to_string()),
        ),
        (
            "RATE_LIMIT_USER_PER_MINUTE",
            p.rate_limit_user_per_minute.map(|n| n.to_string()),
        ),
        ("RATE_LIMIT_REDIS_PREFIX", redis_prefix(stack, "api")),
    ] {
        if let Some(v) = v {
            d.insert(k.into(), v);
        }
    }
    d
}

/// With a shared Redis, the start of a service's keys there: one per stack,
/// so that two stacks on one Redis (whose user ids overlap) do not share
/// their counts.
fn redis_prefix(stack: &ImageUploadStack, service: &str) -> Option<String> {
    stack.spec.redis.as_ref().map(|_| {
        format!(
            "imgup:{}:{}:{service}:rate:",
            stack.namespace().unwrap_or_default(),
            stack.name_any()
        )
    })
}

/// The limits `api_config_data` sets only when the policy names them.
pub const API_LIMIT_SETTINGS: [&str; 3] = [
    "QUOTA_USER_POSTS",
    "QUOTA_USER_BYTES",
    "RATE_LIMIT_USER_PER_MINUTE",
];

/// The variables `api_config_data` sets only when the policy names them.
pub const IMAGE_SETTINGS: [&str; 8] = [
    "MAX_IMAGE_WIDTH",
    "MAX_IMAGE_HEIGHT",
    "MAX_IMAGE_PIXELS",
    "MAX_ANIMATION_FRAMES",
    "IMAGE_VARIANTS",
    "VARIANT_FORMAT",
    "IMAGE_WORKERS",
    "PENDING_UPLOAD_TTL_SECONDS",
];

pub fn auth_config_data(stack: &ImageUploadStack) -> BTreeMap<String, String> {
    let auth = &stack.spec.auth;
    let mut d = common_data(stack, AUTH_PORT);
    d.insert("ENVIRONMENT".into(), auth.environment.as_str().into());
    d.insert("FRONTEND_URL".into(), auth.frontend_url.clone());
    d.insert("PUBLIC_URL".into(), auth_public_url(stack));
    d.insert("ADMIN_EMAILS".into(), auth.admin_emails.join(","));
    // The pages that call the API also refresh and end their sessions here.
    d.insert(
        "CORS_ALLOWED_ORIGINS".into(),
        stack.spec.api_cors_origins().join(","),
    );
    if let Some(oidc) = &auth.oidc {
        d.insert("OIDC_ISSUER_URL".into(), oidc.issuer_url.clone());
    }
    // Only what the spec sets; the auth service has the defaults.
    for (k, v) in [
        (
            "RATE_LIMIT_IP_PER_MINUTE",
            auth.rate_limit_ip_per_minute.map(|n| n.to_string()),
        ),
        ("TRUSTED_PROXY_HEADER", auth.trusted_proxy_header.clone()),
        ("RATE_LIMIT_REDIS_PREFIX", redis_prefix(stack, "auth")),
    ] {
        if let Some(v) = v {
            d.insert(k.into(), v);
        }
    }
    d
}

/// Settings both services read the same way.
fn common_data(stack: &ImageUploadStack, port: i32) -> BTreeMap<String, String> {
    let auth = &stack.spec.auth;
    let mut d = BTreeMap::from([
        ("LOG_FORMAT".to_string(), "json".to_string()),
        ("BIND_ADDR".to_string(), format!("0.0.0.0:{port}")),
        ("JWT_ALGORITHM".to_string(), "HS256".to_string()),
        (
            "JWT_EXPIRE_MINUTES".to_string(),
            auth.jwt_expire_minutes
                .unwrap_or(DEFAULT_JWT_EXPIRE_MINUTES)
                .to_string(),
        ),
    ]);
    if let Some(i) = &auth.jwt_issuer {
        d.insert("JWT_ISSUER".into(), i.clone());
    }
    if let Some(a) = &auth.jwt_audience {
        d.insert("JWT_AUDIENCE".into(), a.clone());
    }
    d
}

pub fn api_config_map(stack: &ImageUploadStack) -> ConfigMap {
    ConfigMap {
        metadata: owned_meta(stack, "api", api_config_name(stack)),
        data: Some(api_config_data(stack)),
        ..ConfigMap::default()
    }
}

pub fn auth_config_map(stack: &ImageUploadStack) -> ConfigMap {
    ConfigMap {
        metadata: owned_meta(stack, "auth", auth_config_name(stack)),
        data: Some(auth_config_data(stack)),
        ..ConfigMap::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{
        ExternalS3Spec, ImageUploadStackSpec, MinioSpec, OidcSpec, VariantFormat, VariantPreset,
    };
    use crate::resources::test_support::stack;

    #[test]
    fn default_api_config_carries_the_contract_policy_and_minio_endpoint() {
        let cm = api_config_map(&stack(ImageUploadStackSpec::default()));
        assert_eq!(cm.metadata.name.as_deref(), Some("demo-api-config"));
        let d = cm.data.unwrap();
        assert_eq!(d["MAX_UPLOAD_BYTES"], "10485760");
        assert_eq!(
            d["ALLOWED_MIME_TYPES"],
            "image/jpeg,image/png,image/webp,image/avif"
        );
        assert_eq!(d["PRESIGN_EXPIRES_SECONDS"], "900");
        assert_eq!(d["S3_ENDPOINT"], "http://demo-minio.imgup.svc:9000");
        assert_eq!(d["S3_PUBLIC_ENDPOINT"], "http://demo-minio.imgup.svc:9000");
        assert_eq!(d["S3_BUCKET"], "uploads");
        assert_eq!(d["S3_FORCE_PATH_STYLE"], "true");
        assert_eq!(d["S3_REGION"], "us-east-1");
        assert_eq!(d["BIND_ADDR"], "0.0.0.0:8080");
        assert_eq!(d["LOG_FORMAT"], "json");
        assert!(
            !d.contains_key("ENVIRONMENT"),
            "auth settings leaked into api"
        );
    }

    #[test]
    fn image_settings_are_left_to_the_api_unless_the_policy_sets_them() {
        let d = api_config_data(&stack(ImageUploadStackSpec::default()));
        for k in IMAGE_SETTINGS {
            assert!(!d.contains_key(k), "{k} set without the spec naming it");
        }

        let mut spec = ImageUploadStackSpec::default();
        let p = &mut spec.policy;
        p.max_image_width = Some(8000);
        p.max_image_height = Some(6000);
        p.max_image_pixels = Some(24_000_000);
        p.max_animation_frames = Some(0);
        p.image_variants = Some(vec![
            VariantPreset {
                name: "thumb".into(),
                long_side: 320,
            },
            VariantPreset {
                name: "medium".into(),
                long_side: 1280,
            },
        ]);
        p.variant_format = Some(VariantFormat::Jpeg);
        p.image_workers = Some(2);
        p.pending_upload_ttl_seconds = Some(0);
        let d = api_config_data(&stack(spec));
        assert_eq!(d["MAX_IMAGE_WIDTH"], "8000");
        assert_eq!(d["MAX_IMAGE_HEIGHT"], "6000");
        assert_eq!(d["MAX_IMAGE_PIXELS"], "24000000");
        assert_eq!(d["MAX_ANIMATION_FRAMES"], "0");
        assert_eq!(d["IMAGE_VARIANTS"], "thumb=320,medium=1280");
        assert_eq!(d["VARIANT_FORMAT"], "jpeg");
        assert_eq!(d["IMAGE_WORKERS"], "2");
        assert_eq!(d["PENDING_UPLOAD_TTL_SECONDS"], "0");
        for k in IMAGE_SETTINGS {
            assert!(d.contains_key(k), "{k}");
        }
    }

    #[test]
    fn a_partial_image_policy_sets_only_its_own_variables() {
        let mut spec = ImageUploadStackSpec::default();
        spec.policy.variant_format = Some(VariantFormat::Webp);
        spec.policy.image_variants = Some(vec![VariantPreset {
            name: "grid_2x".into(),
            long_side: 640,
        }]);
        let d = api_config_data(&stack(spec));
        assert_eq!(d["VARIANT_FORMAT"], "webp");
        assert_eq!(d["IMAGE_VARIANTS"], "grid_2x=640");
        let set: Vec<_> = IMAGE_SETTINGS
            .into_iter()
            .filter(|k| d.contains_key(*k))
            .collect();
        assert_eq!(set, ["IMAGE_VARIANTS", "VARIANT_FORMAT"]);
    }

    #[test]
    fn public_endpoints_and_external_s3_flow_into_config() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.minio = Some(MinioSpec {
            public_endpoint: Some("http://localhost:9000".into()),
            ..MinioSpec::default()
        });
        let d = api_config_data(&stack(spec));
        assert_eq!(d["S3_PUBLIC_ENDPOINT"], "http://localhost:9000");
        assert_eq!(d["S3_ENDPOINT"], "http://demo-minio.imgup.svc:9000");

        let mut spec = ImageUploadStackSpec::default();
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.eu-west-1.amazonaws.com".into(),
            region: "eu-west-1".into(),
            credentials_secret: "aws".into(),
            force_path_style: false,
            ..ExternalS3Spec::default()
        });
        let d = api_config_data(&stack(spec));
        assert_eq!(d["S3_ENDPOINT"], "https://s3.eu-west-1.amazonaws.com");
        assert_eq!(
            d["S3_PUBLIC_ENDPOINT"],
            "https://s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(d["S3_REGION"], "eu-west-1");
        assert_eq!(d["S3_FORCE_PATH_STYLE"], "false");
    }

    #[test]
    fn the_ingress_hosts_become_the_public_urls_unless_the_spec_sets_them() {
        let ingress = crate::crd::IngressSpec {
            api_host: Some("api.example.com".into()),
            auth_host: Some("auth.example.com".into()),
            s3_host: Some("s3.example.com".into()),
            ..crate::crd::IngressSpec::default()
        };
        let mut spec = ImageUploadStackSpec {
            ingress: Some(ingress.clone()),
            ..ImageUploadStackSpec::default()
        };
        let s = stack(spec.clone());
        assert_eq!(
            auth_config_data(&s)["PUBLIC_URL"],
            "http://auth.example.com"
        );
        let api = api_config_data(&s);
        assert_eq!(api["S3_PUBLIC_ENDPOINT"], "http://s3.example.com");
        assert_eq!(
            api["S3_ENDPOINT"], "http://demo-minio.imgup.svc:9000",
            "the api itself still talks to MinIO inside the cluster"
        );
        let e = endpoints(&s);
        assert_eq!(
            (e.api.as_str(), e.auth.as_str(), e.s3.as_str()),
            (
                "http://api.example.com",
                "http://auth.example.com",
                "http://s3.example.com"
            )
        );

        // With TLS: https.
        spec.ingress.as_mut().unwrap().tls_secret_name = Some("tls".into());
        let s = stack(spec.clone());
        assert_eq!(
            auth_config_data(&s)["PUBLIC_URL"],
            "https://auth.example.com"
        );
        assert_eq!(
            api_config_data(&s)["S3_PUBLIC_ENDPOINT"],
            "https://s3.example.com"
        );
        assert_eq!(endpoints(&s).api, "https://api.example.com");

        // What the spec sets wins.
        spec.auth.public_url = Some("https://login.example.org".into());
        spec.storage.minio = Some(MinioSpec {
            public_endpoint: Some("https://files.example.org".into()),
            ..MinioSpec::default()
        });
        let s = stack(spec);
        assert_eq!(
            auth_config_data(&s)["PUBLIC_URL"],
            "https://login.example.org"
        );
        assert_eq!(
            api_config_data(&s)["S3_PUBLIC_ENDPOINT"],
            "https://files.example.org"
        );
        let e = endpoints(&s);
        assert_eq!(e.auth, "https://login.example.org");
        assert_eq!(e.s3, "https://files.example.org");

        // Hosts the Ingress does not name keep the in-cluster URLs.
        let s = stack(ImageUploadStackSpec {
            ingress: Some(crate::crd::IngressSpec {
                api_host: Some("api.example.com".into()),
                ..crate::crd::IngressSpec::default()
            }),
            ..ImageUploadStackSpec::default()
        });
        assert_eq!(
            auth_config_data(&s)["PUBLIC_URL"],
            "http://demo-auth.imgup.svc:8001"
        );
        assert_eq!(
            api_config_data(&s)["S3_PUBLIC_ENDPOINT"],
            "http://demo-minio.imgup.svc:9000"
        );
    }

    #[test]
    fn auth_config_has_environment_urls_admins_and_oidc() {
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.admin_emails = vec!["a@example.com".into(), "b@example.com".into()];
        spec.auth.public_url = Some("https://auth.example.com".into());
        spec.auth.oidc = Some(OidcSpec {
            issuer_url: "https://id.example.com".into(),
            ..OidcSpec::default()
        });
        let d = auth_config_data(&stack(spec));
        assert_eq!(d["ENVIRONMENT"], "production");
        assert_eq!(d["FRONTEND_URL"], "http://localhost:5173");
        assert_eq!(d["PUBLIC_URL"], "https://auth.example.com");
        assert_eq!(d["ADMIN_EMAILS"], "a@example.com,b@example.com");
        assert_eq!(d["OIDC_ISSUER_URL"], "https://id.example.com");
        assert_eq!(d["BIND_ADDR"], "0.0.0.0:8001");
        assert_eq!(d["JWT_EXPIRE_MINUTES"], "60");
        assert!(!d.contains_key("MAX_UPLOAD_BYTES"));
    }

    #[test]
    fn access_tokens_last_an_hour_unless_the_spec_says_otherwise() {
        let d = auth_config_data(&stack(ImageUploadStackSpec::default()));
        assert_eq!(d["JWT_EXPIRE_MINUTES"], "60");
        let api = api_config_data(&stack(ImageUploadStackSpec::default()));
        assert_eq!(api["JWT_EXPIRE_MINUTES"], "60", "both services agree");
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.jwt_expire_minutes = Some(15);
        assert_eq!(auth_config_data(&stack(spec))["JWT_EXPIRE_MINUTES"], "15");
    }

    #[test]
    fn limits_are_left_to_the_services_unless_the_spec_sets_them() {
        let d = api_config_data(&stack(ImageUploadStackSpec::default()));
        for k in API_LIMIT_SETTINGS {
            assert!(!d.contains_key(k), "{k} set without the spec naming it");
        }
        assert!(!d.contains_key("RATE_LIMIT_REDIS_PREFIX"));
        let a = auth_config_data(&stack(ImageUploadStackSpec::default()));
        for k in [
            "RATE_LIMIT_IP_PER_MINUTE",
            "TRUSTED_PROXY_HEADER",
            "RATE_LIMIT_REDIS_PREFIX",
        ] {
            assert!(!a.contains_key(k), "{k} set without the spec naming it");
        }

        let mut spec = ImageUploadStackSpec::default();
        spec.policy.quota_user_posts = Some(200);
        spec.policy.quota_user_bytes = Some(0);
        spec.policy.rate_limit_user_per_minute = Some(0);
        spec.auth.rate_limit_ip_per_minute = Some(12);
        spec.auth.trusted_proxy_header = Some("x-real-ip".into());
        spec.redis = Some(crate::crd::RedisSpec {
            url_secret_ref: crate::crd::SecretKeyRef {
                name: "redis".into(),
                key: "url".into(),
            },
        });
        let s = stack(spec);
        let d = api_config_data(&s);
        assert_eq!(d["QUOTA_USER_POSTS"], "200");
        assert_eq!(d["QUOTA_USER_BYTES"], "0");
        assert_eq!(d["RATE_LIMIT_USER_PER_MINUTE"], "0");
        assert_eq!(d["RATE_LIMIT_REDIS_PREFIX"], "imgup:imgup:demo:api:rate:");
        assert!(!d.contains_key("RATE_LIMIT_IP_PER_MINUTE"), "auth's limit");
        assert!(!d.contains_key("TRUSTED_PROXY_HEADER"), "auth's setting");
        assert!(!d.contains_key("REDIS_URL"), "a secret, not config");
        let a = auth_config_data(&s);
        assert_eq!(a["RATE_LIMIT_IP_PER_MINUTE"], "12");
        assert_eq!(a["TRUSTED_PROXY_HEADER"], "x-real-ip");
        assert_eq!(a["RATE_LIMIT_REDIS_PREFIX"], "imgup:imgup:demo:auth:rate:");
        for k in API_LIMIT_SETTINGS {
            assert!(!a.contains_key(k), "{k} is the api's");
        }
        assert!(!a.contains_key("REDIS_URL"), "a secret, not config");
    }

    #[test]
    fn the_api_and_auth_allow_the_frontend_origin_by_default_and_what_the_spec_names() {
        let d = api_config_data(&stack(ImageUploadStackSpec::default()));
        assert_eq!(d["CORS_ALLOWED_ORIGINS"], "http://localhost:5173");
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.frontend_url = "https://admin.example.com/app/".into();
        assert_eq!(
            api_config_data(&stack(spec.clone()))["CORS_ALLOWED_ORIGINS"],
            "https://admin.example.com"
        );
        spec.api.cors_allowed_origins = Some(vec![
            "https://a.example".into(),
            "http://localhost:5173".into(),
        ]);
        assert_eq!(
            api_config_data(&stack(spec.clone()))["CORS_ALLOWED_ORIGINS"],
            "https://a.example,http://localhost:5173"
        );
        spec.api.cors_allowed_origins = Some(vec![]);
        assert_eq!(api_config_data(&stack(spec))["CORS_ALLOWED_ORIGINS"], "");
        let a = auth_config_data(&stack(ImageUploadStackSpec::default()));
        assert_eq!(
            a["CORS_ALLOWED_ORIGINS"], "http://localhost:5173",
            "the same pages refresh their sessions at auth"
        );
    }
}
