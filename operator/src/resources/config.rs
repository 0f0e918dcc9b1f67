//! The ConfigMaps holding each service's non-secret settings (the upload
//! policy among them), and the endpoints the services and the status name.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;

use super::{API_PORT, AUTH_PORT, MINIO_PORT, child_name, owned_meta};
use crate::crd::{Endpoints, ImageUploadStack, Storage};

pub fn api_config_name(stack: &ImageUploadStack) -> String {
    child_name(stack, "api-config")
}

pub fn auth_config_name(stack: &ImageUploadStack) -> String {
    child_name(stack, "auth-config")
}

fn service_url(stack: &ImageUploadStack, suffix: &str, port: i32) -> String {
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
        Storage::External(e) => e.endpoint.clone(),
    }
}

/// How clients reach S3 (the host presigned URLs name).
pub fn s3_public_endpoint(stack: &ImageUploadStack) -> String {
    let public = match stack.spec.storage() {
        Storage::Minio(m) => m.public_endpoint.clone(),
        Storage::External(e) => e.public_endpoint.clone(),
    };
    public.unwrap_or_else(|| s3_endpoint(stack))
}

pub fn endpoints(stack: &ImageUploadStack) -> Endpoints {
    Endpoints {
        api: service_url(stack, "api", API_PORT),
        auth: auth_public_url(stack),
        s3: s3_public_endpoint(stack),
    }
}

/// The auth service's external base URL (`PUBLIC_URL`).
pub fn auth_public_url(stack: &ImageUploadStack) -> String {
    stack
        .spec
        .auth
        .public_url
        .clone()
        .unwrap_or_else(|| service_url(stack, "auth", AUTH_PORT))
}

pub fn api_config_data(stack: &ImageUploadStack) -> BTreeMap<String, String> {
    let spec = &stack.spec;
    let (region, path_style) = match spec.storage() {
        Storage::Minio(_) => ("us-east-1".to_string(), true),
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
    ] {
        d.insert(k.into(), v);
    }
    d
}

pub fn auth_config_data(stack: &ImageUploadStack) -> BTreeMap<String, String> {
    let auth = &stack.spec.auth;
    let mut d = common_data(stack, AUTH_PORT);
    d.insert("ENVIRONMENT".into(), auth.environment.as_str().into());
    d.insert("FRONTEND_URL".into(), auth.frontend_url.clone());
    d.insert("PUBLIC_URL".into(), auth_public_url(stack));
    d.insert("ADMIN_EMAILS".into(), auth.admin_emails.join(","));
    if let Some(oidc) = &auth.oidc {
        d.insert("OIDC_ISSUER_URL".into(), oidc.issuer_url.clone());
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
            auth.jwt_expire_minutes.to_string(),
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
    use crate::crd::{ExternalS3Spec, ImageUploadStackSpec, MinioSpec, OidcSpec};
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
        assert_eq!(d["JWT_EXPIRE_MINUTES"], "1440");
        assert!(!d.contains_key("MAX_UPLOAD_BYTES"));
    }
}
