//! Checks on a spec that its schema cannot express. A spec that fails them
//! becomes a `Ready=False, reason=InvalidSpec` condition naming every
//! problem, not a crash loop.

use k8s_openapi::api::core::v1::ResourceRequirements;

use crate::crd::{
    Autoscaling, ImageUploadStackSpec, IngressSpec, ServiceExposure, ServiceType, Storage,
};

/// The image types the api decodes (`ALLOWED_MIME_TYPES` refuses others at
/// start-up); the CRD's schema holds the same list.
pub const IMAGE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/avif",
    "image/gif",
];

/// Longest stack name: the bucket Job (`<name>-buckets-<hash>`) and the
/// StatefulSets' revision labels (`<name>-postgres-<hash>`) must stay within
/// 63 characters. The CRD's schema holds the same rule.
pub const MAX_STACK_NAME: usize = 43;

/// A problem with the stack's own name, which every object's name is made from.
pub fn name_problem(name: &str) -> Option<String> {
    let dns_label = name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!dns_label || name.len() > MAX_STACK_NAME).then(|| {
        format!(
            "metadata.name: {name:?} must start with a letter, hold only lowercase letters, digits and '-', and be at most {MAX_STACK_NAME} characters"
        )
    })
}

/// Every problem with the spec; empty when it is fine.
pub fn problems(spec: &ImageUploadStackSpec) -> Vec<String> {
    let mut p = Vec::new();
    let stores = [
        spec.storage.minio.is_some(),
        spec.storage.garage.is_some(),
        spec.storage.external.is_some(),
    ];
    if stores.iter().filter(|s| **s).count() > 1 {
        p.push("storage: set at most one of minio, garage and external".to_string());
    }
    if spec.database.postgres.is_some() && spec.database.external.is_some() {
        p.push("database: set either postgres or external, not both".to_string());
    }
    if !valid_bucket_name(&spec.buckets.uploads) {
        p.push(format!(
            "buckets.uploads: {:?} is not a valid S3 bucket name (3-63 lowercase letters, digits, '-' or '.')",
            spec.buckets.uploads
        ));
    }
    if spec.buckets.cors_allowed_origins.is_empty() {
        p.push("buckets.corsAllowedOrigins: name at least one origin (or \"*\")".to_string());
    }
    for m in &spec.policy.allowed_mime_types {
        if !IMAGE_TYPES.contains(&m.as_str()) {
            p.push(format!(
                "policy.allowedMimeTypes: {m:?} is not a type the api takes ({})",
                IMAGE_TYPES.join(", ")
            ));
        }
    }
    if spec.policy.max_upload_bytes <= 0 {
        p.push("policy.maxUploadBytes: must be positive".to_string());
    }
    if !(1..=604_800).contains(&spec.policy.presign_expires_seconds) {
        p.push("policy.presignExpiresSeconds: must be between 1 and 604800".to_string());
    }
    check_image_policy(spec, &mut p);
    check_limits(spec, &mut p);
    for (component, autoscaling, resources) in [
        ("api", &spec.api.autoscaling, &spec.api.resources),
        ("auth", &spec.auth.autoscaling, &spec.auth.resources),
    ] {
        if let Some(a) = autoscaling {
            check_autoscaling(component, a, resources.as_ref(), &mut p);
        }
    }
    let mut urls = vec![("auth.frontendUrl", Some(&spec.auth.frontend_url))];
    urls.push(("auth.publicUrl", spec.auth.public_url.as_ref()));
    if let Some(m) = &spec.storage.minio {
        urls.push(("storage.minio.publicEndpoint", m.public_endpoint.as_ref()));
        if !valid_quantity(&m.size) {
            p.push(format!(
                "storage.minio.size: {:?} is not a quantity like 10Gi",
                m.size
            ));
        }
    }
    if let Some(g) = &spec.storage.garage {
        urls.push(("storage.garage.publicEndpoint", g.public_endpoint.as_ref()));
        if crate::garage::objects::capacity_bytes(&g.size).is_none_or(|b| b == 0) {
            p.push(format!(
                "storage.garage.size: {:?} is not a whole quantity like 10Gi",
                g.size
            ));
        }
    }
    if let Some(e) = &spec.storage.external {
        urls.push(("storage.external.endpoint", Some(&e.endpoint)));
        urls.push((
            "storage.external.publicEndpoint",
            e.public_endpoint.as_ref(),
        ));
    }
    if let Some(pg) = &spec.database.postgres
        && !valid_quantity(&pg.size)
    {
        p.push(format!(
            "database.postgres.size: {:?} is not a quantity like 5Gi",
            pg.size
        ));
    }
    if let Some(o) = &spec.auth.oidc {
        urls.push(("auth.oidc.issuerUrl", Some(&o.issuer_url)));
    }
    for (field, url) in urls {
        if let Some(u) = url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            p.push(format!("{field}: {u:?} is not an http(s) URL"));
        }
    }
    for e in &spec.auth.admin_emails {
        if !e.contains('@') {
            p.push(format!("auth.adminEmails: {e:?} is not an email address"));
        }
    }
    let mut exposures = vec![
        ("api.service", &spec.api.service),
        ("auth.service", &spec.auth.service),
    ];
    if let Storage::Minio(_) = spec.storage()
        && let Some(m) = &spec.storage.minio
    {
        exposures.push(("storage.minio.service", &m.service));
    }
    if let Storage::Garage(g) = spec.storage() {
        exposures.push(("storage.garage.service", &g.service));
    }
    for (field, e) in exposures {
        check_exposure(field, e, &mut p);
    }
    if let Some(ing) = &spec.ingress {
        check_ingress(spec, ing, &mut p);
    }
    p
}

/// The Ingress' hosts (the CRD's schema and CEL rules say the same, but for
/// `s3Host` with an external S3, which only this check sees).
fn check_ingress(spec: &ImageUploadStackSpec, ing: &IngressSpec, p: &mut Vec<String>) {
    let hosts = [
        ("apiHost", ing.api_host.as_ref()),
        ("authHost", ing.auth_host.as_ref()),
        ("s3Host", ing.s3_host.as_ref()),
    ];
    if hosts.iter().all(|(_, h)| h.is_none()) {
        p.push("ingress: name at least one of apiHost, authHost and s3Host".into());
    }
    for (i, (field, host)) in hosts.iter().enumerate() {
        let Some(host) = host else { continue };
        if !valid_host(host) {
            p.push(format!(
                "ingress.{field}: {host:?} is not a DNS name like api.example.com (lowercase, no IP address, no wildcard)"
            ));
        }
        if let Some((other, _)) = hosts[..i].iter().find(|(_, h)| *h == Some(*host)) {
            p.push(format!(
                "ingress.{field}: {host:?} is {other} too; each host routes all its paths to one service"
            ));
        }
    }
    if ing.s3_host.is_some() && matches!(spec.storage(), Storage::External(_)) {
        p.push(
            "ingress.s3Host: routes to the in-cluster MinIO or Garage, which storage.external replaces; leave it out (clients reach the external S3 at storage.external.publicEndpoint)"
                .into(),
        );
    }
}

/// A host as an Ingress rule takes it and a public URL can name it:
/// [`crate::crd::HOST_PATTERN`].
pub fn valid_host(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    h.len() <= 253
        && labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// The image pipeline's settings, held to what the api accepts (the CRD
/// schema says the same; this also covers `render` and older API servers).
fn check_image_policy(spec: &ImageUploadStackSpec, p: &mut Vec<String>) {
    let policy = &spec.policy;
    let u32_max = i64::from(u32::MAX);
    for (field, value, range) in [
        ("maxImageWidth", policy.max_image_width, 0..=u32_max),
        ("maxImageHeight", policy.max_image_height, 0..=u32_max),
        ("maxImagePixels", policy.max_image_pixels, 0..=i64::MAX),
        (
            "maxAnimationFrames",
            policy.max_animation_frames,
            0..=u32_max,
        ),
        (
            "pendingUploadTtlSeconds",
            policy.pending_upload_ttl_seconds,
            0..=i64::MAX,
        ),
        ("imageWorkers", policy.image_workers.map(i64::from), 1..=256),
    ] {
        if let Some(v) = value
            && !range.contains(&v)
        {
            p.push(format!(
                "policy.{field}: {v} is not between {} and {}",
                range.start(),
                range.end()
            ));
        }
    }
    let Some(variants) = &policy.image_variants else {
        return;
    };
    if variants.is_empty() {
        p.push("policy.imageVariants: name at least one variant (or leave it out)".into());
    }
    for (i, v) in variants.iter().enumerate() {
        if !valid_variant_name(&v.name) {
            p.push(format!(
                "policy.imageVariants: {:?} is not a variant name (1 to 32 of a-z, 0-9, '_' and '-')",
                v.name
            ));
        }
        if !(16..=8192).contains(&v.long_side) {
            p.push(format!(
                "policy.imageVariants: {}: longSide {} is not between 16 and 8192",
                v.name, v.long_side
            ));
        }
        if variants[..i].iter().any(|o| o.name == v.name) {
            p.push(format!("policy.imageVariants: {:?} is named twice", v.name));
        }
    }
}

/// Quotas, rate limits, the proxy header and CORS origins, held to what the
/// services accept (a bad one would stop them at start-up).
fn check_limits(spec: &ImageUploadStackSpec, p: &mut Vec<String>) {
    let u32_max = i64::from(u32::MAX);
    for (field, value, range) in [
        (
            "policy.quotaUserPosts",
            spec.policy.quota_user_posts,
            0..=i64::MAX,
        ),
        (
            "policy.quotaUserBytes",
            spec.policy.quota_user_bytes,
            0..=i64::MAX,
        ),
        (
            "policy.rateLimitUserPerMinute",
            spec.policy.rate_limit_user_per_minute,
            0..=u32_max,
        ),
        (
            "auth.rateLimitIpPerMinute",
            spec.auth.rate_limit_ip_per_minute,
            0..=u32_max,
        ),
        (
            "auth.jwtExpireMinutes",
            spec.auth.jwt_expire_minutes,
            1..=i64::MAX,
        ),
    ] {
        if let Some(v) = value
            && !range.contains(&v)
        {
            p.push(format!(
                "{field}: {v} is not between {} and {}",
                range.start(),
                range.end()
            ));
        }
    }
    if let Some(h) = &spec.auth.trusted_proxy_header
        && !valid_header_name(h)
    {
        p.push(format!(
            "auth.trustedProxyHeader: {h:?} is not a header name like x-forwarded-for"
        ));
    }
    let field = if spec.api.cors_allowed_origins.is_some() {
        "api.corsAllowedOrigins"
    } else {
        "auth.frontendUrl (whose origin the api allows)"
    };
    for o in spec.api_cors_origins() {
        if !valid_origin(&o) {
            p.push(format!(
                "{field}: {o:?} is not an origin like https://app.example.com (scheme, host, optional port)"
            ));
        }
    }
}

/// An autoscaler's bounds (the CRD's schema and CEL rule say the same; this
/// also covers `render` and older API servers), and the CPU request it
/// measures against: the HorizontalPodAutoscaler computes CPU utilization
/// relative to the pods' CPU request and does not scale pods that have
/// none. The operator's default resources request 50m; resources the user
/// sets must name it too.
fn check_autoscaling(
    component: &str,
    a: &Autoscaling,
    resources: Option<&ResourceRequirements>,
    p: &mut Vec<String>,
) {
    for (field, v) in [
        ("minReplicas", a.min_replicas),
        ("maxReplicas", a.max_replicas),
        (
            "targetCPUUtilizationPercentage",
            a.target_cpu_utilization_percentage,
        ),
    ] {
        if !(1..=100).contains(&v) {
            p.push(format!(
                "{component}.autoscaling.{field}: {v} is not between 1 and 100"
            ));
        }
    }
    if a.min_replicas > a.max_replicas {
        p.push(format!(
            "{component}.autoscaling: minReplicas {} is more than maxReplicas {}",
            a.min_replicas, a.max_replicas
        ));
    }
    if let Some(r) = resources
        && !requests_cpu(r)
    {
        p.push(format!(
            "{component}.autoscaling: the autoscaler scales on CPU use relative to the pods' CPU request, and {component}.resources requests no CPU; set {component}.resources.requests.cpu (or leave {component}.resources out for the default 50m)"
        ));
    }
}

/// Whether a container with these resources has a CPU request. A CPU limit
/// without a request counts: the API server makes the limit the request.
fn requests_cpu(r: &ResourceRequirements) -> bool {
    [&r.requests, &r.limits]
        .into_iter()
        .any(|m| m.as_ref().is_some_and(|m| m.contains_key("cpu")))
}

/// A header name as `TRUSTED_PROXY_HEADER` takes it.
pub fn valid_header_name(h: &str) -> bool {
    (1..=64).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An origin as the api's `CORS_ALLOWED_ORIGINS` takes it: `http(s)://` and
/// a host with an optional port; no path, query, user or trailing slash.
pub fn valid_origin(o: &str) -> bool {
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains(']') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => {
            !v6.is_empty()
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b))
        }
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    host_ok
        && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A variant preset's name, as the api reads `IMAGE_VARIANTS`.
pub fn valid_variant_name(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_exposure(field: &str, e: &ServiceExposure, p: &mut Vec<String>) {
    if e.node_port.is_some() && e.type_ == ServiceType::ClusterIP {
        p.push(format!(
            "{field}.nodePort: needs type NodePort or LoadBalancer"
        ));
    }
}

/// S3 bucket naming rules (the subset every S3 implementation accepts).
pub fn valid_bucket_name(b: &str) -> bool {
    let ok_chars = b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (3..=63).contains(&b.len())
        && ok_chars
        && edge(b.chars().next())
        && edge(b.chars().last())
        && !b.contains("..")
}

/// A storage quantity: a decimal number with an optional binary or decimal suffix.
pub fn valid_quantity(q: &str) -> bool {
    let digits = q.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &q[digits.len()..];
    let parts: Vec<&str> = digits.split('.').collect();
    parts.len() <= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && ["", "Ki", "Mi", "Gi", "Ti", "Pi", "k", "M", "G", "T", "P"].contains(&suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ExternalS3Spec, MinioSpec, VariantPreset};

    #[test]
    fn defaults_are_valid() {
        assert_eq!(
            problems(&ImageUploadStackSpec::default()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn garage_is_one_store_with_a_whole_size_and_an_http_public_endpoint() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.garage = Some(crate::crd::GarageSpec::default());
        assert_eq!(problems(&spec), Vec::<String>::new());
        spec.storage.minio = Some(MinioSpec::default());
        assert_eq!(
            problems(&spec),
            ["storage: set at most one of minio, garage and external"]
        );
        spec.storage.minio = None;
        spec.storage.garage = Some(crate::crd::GarageSpec {
            size: "1.5Gi".into(),
            public_endpoint: Some("s3.example.com".into()),
            ..crate::crd::GarageSpec::default()
        });
        let p = problems(&spec);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("storage.garage.size"));
        assert!(p[1].starts_with("storage.garage.publicEndpoint"));
    }

    #[test]
    fn both_storages_and_bad_policy_are_each_reported() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.minio = Some(MinioSpec::default());
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "s3.example.com".into(),
            credentials_secret: "s3".into(),
            ..ExternalS3Spec::default()
        });
        spec.policy.allowed_mime_types = vec!["application/pdf".into()];
        spec.buckets.uploads = "Bad_Bucket".into();
        let p = problems(&spec);
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].contains("at most one of minio, garage and external"));
        assert!(p.iter().any(|m| m.contains("Bad_Bucket")));
        assert!(p.iter().any(|m| m.contains("application/pdf")));
        assert!(p.iter().any(|m| m.contains("storage.external.endpoint")));
    }

    #[test]
    fn stack_names_that_would_break_derived_names_are_refused() {
        assert_eq!(name_problem("imgup"), None);
        assert_eq!(name_problem(&"a".repeat(43)), None);
        for bad in ["1stack", "Imgup", "a_b", "imgup-", "", &"a".repeat(44)] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn bucket_names_and_quantities() {
        for ok in ["uploads", "my-bucket.1", "abc"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Uploads",
            "-x-",
            "a..b",
            "under_score",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
        for ok in ["10Gi", "500Mi", "1000", "1G", "1.5Gi"] {
            assert!(valid_quantity(ok), "{ok}");
        }
        for bad in ["", "Gi", "10 Gi", "10GB", "1.5.3Gi"] {
            assert!(!valid_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn image_policy_is_held_to_what_the_api_accepts() {
        let mut spec = ImageUploadStackSpec::default();
        spec.policy.image_variants = Some(vec![
            VariantPreset {
                name: "thumb".into(),
                long_side: 320,
            },
            VariantPreset {
                name: "Big Thumb".into(),
                long_side: 320,
            },
            VariantPreset {
                name: "tiny".into(),
                long_side: 8,
            },
            VariantPreset {
                name: "thumb".into(),
                long_side: 640,
            },
        ]);
        spec.policy.image_workers = Some(0);
        spec.policy.max_image_width = Some(-1);
        let p = problems(&spec);
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(
            p.iter()
                .any(|m| m.contains("\"Big Thumb\" is not a variant name"))
        );
        assert!(p.iter().any(|m| m.contains("tiny: longSide 8")));
        assert!(p.iter().any(|m| m.contains("\"thumb\" is named twice")));
        assert!(p.iter().any(|m| m.starts_with("policy.imageWorkers: 0")));
        assert!(p.iter().any(|m| m.starts_with("policy.maxImageWidth: -1")));

        spec.policy.image_variants = Some(Vec::new());
        spec.policy.image_workers = Some(4);
        spec.policy.max_image_width = Some(0);
        assert_eq!(
            problems(&spec),
            vec!["policy.imageVariants: name at least one variant (or leave it out)"]
        );

        for ok in ["thumb", "medium", "grid_2x", "a-b", &"z".repeat(32)] {
            assert!(valid_variant_name(ok), "{ok}");
        }
        for bad in ["", "Thumb", "a b", "a=b", "a,b", &"z".repeat(33)] {
            assert!(!valid_variant_name(bad), "{bad}");
        }
    }

    #[test]
    fn limits_proxy_header_and_cors_origins_are_held_to_what_the_services_accept() {
        let mut spec = ImageUploadStackSpec::default();
        spec.policy.quota_user_posts = Some(0);
        spec.policy.quota_user_bytes = Some(0);
        spec.policy.rate_limit_user_per_minute = Some(0);
        spec.auth.rate_limit_ip_per_minute = Some(0);
        spec.auth.trusted_proxy_header = Some("X-Forwarded-For".into());
        spec.api.cors_allowed_origins = Some(vec![
            "https://app.example.com".into(),
            "http://localhost:5173".into(),
            "http://[::1]:8080".into(),
        ]);
        assert_eq!(problems(&spec), Vec::<String>::new());

        spec.policy.quota_user_posts = Some(-1);
        spec.policy.rate_limit_user_per_minute = Some(i64::from(u32::MAX) + 1);
        spec.auth.jwt_expire_minutes = Some(0);
        spec.auth.trusted_proxy_header = Some("x forwarded".into());
        spec.api.cors_allowed_origins = Some(vec![
            "*".into(),
            "https://app.example.com/".into(),
            "https://app.example.com/path".into(),
            "ftp://app.example.com".into(),
            "https://user@app.example.com".into(),
            "https://app.example.com:".into(),
        ]);
        let p = problems(&spec);
        assert_eq!(p.len(), 10, "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("policy.quotaUserPosts: -1")));
        assert!(
            p.iter()
                .any(|m| m.starts_with("policy.rateLimitUserPerMinute: 4294967296"))
        );
        assert!(p.iter().any(|m| m.starts_with("auth.jwtExpireMinutes: 0")));
        assert!(p.iter().any(|m| m.starts_with("auth.trustedProxyHeader")));
        assert_eq!(
            p.iter()
                .filter(|m| m.starts_with("api.corsAllowedOrigins"))
                .count(),
            6
        );

        // Unset, the api allows the frontend's origin, which must be one.
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.frontend_url = "https://".into();
        assert!(
            problems(&spec)
                .iter()
                .any(|m| m.starts_with("auth.frontendUrl (whose origin the api allows)"))
        );
    }

    #[test]
    fn autoscaling_needs_a_cpu_request_and_sane_bounds() {
        use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
        use std::collections::BTreeMap;
        let autoscaling = Autoscaling {
            min_replicas: 2,
            max_replicas: 5,
            target_cpu_utilization_percentage: 80,
        };
        let quantities = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        let mut spec = ImageUploadStackSpec::default();
        spec.api.autoscaling = Some(autoscaling);
        assert_eq!(problems(&spec), Vec::<String>::new(), "the default 50m");
        spec.api.resources = Some(ResourceRequirements {
            requests: quantities(&[("cpu", "100m"), ("memory", "128Mi")]),
            ..ResourceRequirements::default()
        });
        assert_eq!(problems(&spec), Vec::<String>::new());
        spec.api.resources = Some(ResourceRequirements {
            limits: quantities(&[("cpu", "1")]),
            ..ResourceRequirements::default()
        });
        assert_eq!(
            problems(&spec),
            Vec::<String>::new(),
            "the limit is the request"
        );

        spec.api.resources = Some(ResourceRequirements {
            requests: quantities(&[("memory", "128Mi")]),
            limits: quantities(&[("memory", "512Mi")]),
            claims: None,
        });
        let p = problems(&spec);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("api.autoscaling: ")
                && p[0].contains("set api.resources.requests.cpu"),
            "{p:?}"
        );
        // Without autoscaling, no CPU request is fine.
        spec.api.autoscaling = None;
        assert_eq!(problems(&spec), Vec::<String>::new());

        let mut spec = ImageUploadStackSpec::default();
        spec.auth.autoscaling = Some(Autoscaling {
            min_replicas: 6,
            max_replicas: 3,
            target_cpu_utilization_percentage: 0,
        });
        let p = problems(&spec);
        assert_eq!(
            p,
            vec![
                "auth.autoscaling.targetCPUUtilizationPercentage: 0 is not between 1 and 100",
                "auth.autoscaling: minReplicas 6 is more than maxReplicas 3",
            ]
        );
    }

    #[test]
    fn ingress_hosts_are_dns_names_each_once_and_s3_only_for_minio() {
        let mut spec = ImageUploadStackSpec {
            ingress: Some(IngressSpec {
                api_host: Some("api.example.com".into()),
                auth_host: Some("auth.example.com".into()),
                s3_host: Some("s3.example.com".into()),
                ..IngressSpec::default()
            }),
            ..ImageUploadStackSpec::default()
        };
        assert_eq!(problems(&spec), Vec::<String>::new());

        spec.ingress = Some(IngressSpec::default());
        assert_eq!(
            problems(&spec),
            vec!["ingress: name at least one of apiHost, authHost and s3Host"]
        );

        spec.ingress = Some(IngressSpec {
            api_host: Some("imgup.example.com".into()),
            auth_host: Some("imgup.example.com".into()),
            s3_host: Some("*.example.com".into()),
            ..IngressSpec::default()
        });
        let p = problems(&spec);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("ingress.authHost: \"imgup.example.com\" is apiHost too"));
        assert!(p[1].starts_with("ingress.s3Host: \"*.example.com\" is not a DNS name"));

        spec.ingress = Some(IngressSpec {
            api_host: Some("api.example.com".into()),
            s3_host: Some("s3.example.com".into()),
            ..IngressSpec::default()
        });
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.example.net".into(),
            credentials_secret: "s3".into(),
            ..ExternalS3Spec::default()
        });
        let p = problems(&spec);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("ingress.s3Host: routes to the in-cluster MinIO or Garage"));

        for ok in ["localhost", "api.example.com", "a-1.b2.example", "x1.io"] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "",
            "API.example.com",
            "10.0.0.1",
            "*.example.com",
            "-a.example.com",
            "a..b",
            "api.example.com.",
            "a_b.example.com",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn the_api_server_holds_the_ingress_to_the_same_hosts_at_admission() {
        // (operator/samples/invalid*/ingress-* exercise the pattern and the
        // rules themselves, in scripts/check-operator-manifests.sh.)
        let crd =
            serde_json::to_value(<crate::crd::ImageUploadStack as kube::CustomResourceExt>::crd())
                .unwrap();
        let ingress = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"]["ingress"];
        for field in ["apiHost", "authHost", "s3Host"] {
            assert_eq!(
                ingress["properties"][field]["pattern"],
                crate::crd::HOST_PATTERN,
                "{field}"
            );
            assert_eq!(ingress["properties"][field]["maxLength"], 253, "{field}");
        }
        let rules: Vec<_> = ingress["x-kubernetes-validations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules.len(), 2);
        assert!(rules[0].contains("has(self.apiHost) || has(self.authHost) || has(self.s3Host)"));
    }

    #[test]
    fn node_port_needs_a_node_port_service() {
        let mut spec = ImageUploadStackSpec::default();
        spec.api.service.node_port = Some(30080);
        let p = problems(&spec);
        assert_eq!(
            p,
            vec!["api.service.nodePort: needs type NodePort or LoadBalancer"]
        );
    }
}
