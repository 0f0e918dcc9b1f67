//! The upload API (`imgup-api`): a Deployment and its Service on port 8080.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{EnvVar, Service};

use super::scaling::Scaling;
use super::{
    API_PORT, Inputs, ServiceWorkload, component_service, env, env_secret, service_deployment,
    service_port,
};
use crate::crd::{Database, ImageUploadStack};
use crate::resources::{config, postgres, secrets};

pub const COMPONENT: &str = "api";

/// `DATABASE_URL` (both services): the external URL Secret, or a URL to the
/// in-cluster Postgres that Kubernetes fills in from the password variable.
pub fn database_env(stack: &ImageUploadStack) -> Vec<EnvVar> {
    match stack.spec.database() {
        Database::External(e) => vec![env_secret("DATABASE_URL", &e.url_secret_ref)],
        Database::Postgres(_) => {
            let pw = secrets::postgres_password(stack).expect("postgres has a password");
            vec![
                env_secret("DATABASE_PASSWORD", &pw),
                env(
                    "DATABASE_URL",
                    format!(
                        "postgres://{}:$(DATABASE_PASSWORD)@{}:5432/{}",
                        postgres::DB_USER,
                        postgres::host(stack),
                        postgres::DB_NAME
                    ),
                ),
            ]
        }
    }
}

/// `REDIS_URL` (both services, which then share their rate-limit counts
/// across replicas), from the Secret `redis.urlSecretRef` names.
pub fn redis_env(stack: &ImageUploadStack) -> Option<EnvVar> {
    stack
        .spec
        .redis
        .as_ref()
        .map(|r| env_secret("REDIS_URL", &r.url_secret_ref))
}

pub fn deployment(stack: &ImageUploadStack, inputs: &Inputs) -> Deployment {
    let spec = &stack.spec.api;
    let (access, secret) = secrets::s3_credentials(stack);
    let mut vars = database_env(stack);
    vars.extend(redis_env(stack));
    vars.push(env_secret("JWT_SECRET", &secrets::jwt_secret(stack)));
    vars.push(env_secret("S3_ACCESS_KEY", &access));
    vars.push(env_secret("S3_SECRET_KEY", &secret));
    service_deployment(
        stack,
        ServiceWorkload {
            component: COMPONENT,
            image: spec.image(),
            replicas: scaling(stack).deployment_replicas(),
            resources: spec.resources.as_ref(),
            port: API_PORT,
            config_map: config::api_config_name(stack),
            config_data: config::api_config_data(stack),
            env: vars,
            extra_env: &spec.env,
        },
        inputs,
    )
}

/// The api pod count: fixed, or set by an autoscaler.
pub fn scaling(stack: &ImageUploadStack) -> Scaling<'_> {
    let spec = &stack.spec.api;
    Scaling {
        component: COMPONENT,
        replicas: spec.replicas,
        autoscaling: spec.autoscaling.as_ref(),
    }
}

pub fn service(stack: &ImageUploadStack) -> Service {
    let exposure = &stack.spec.api.service;
    component_service(
        stack,
        COMPONENT,
        exposure,
        vec![service_port("http", API_PORT, exposure.node_port)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ExternalDatabaseSpec, ImageUploadStackSpec, SecretKeyRef};
    use crate::resources::CONFIG_HASH_ANNOTATION;
    use crate::resources::test_support::{assert_hardened, env_secret_ref, env_value, stack};
    use std::collections::BTreeMap;

    #[test]
    fn the_api_gets_its_limits_cors_and_the_shared_redis() {
        let plain = deployment(&stack(ImageUploadStackSpec::default()), &Inputs::default());
        let c = &plain
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0];
        assert_eq!(env_secret_ref(c, "REDIS_URL"), None, "in memory by default");

        let mut spec = ImageUploadStackSpec::default();
        spec.policy.quota_user_posts = Some(100);
        spec.policy.quota_user_bytes = Some(104_857_600);
        spec.policy.rate_limit_user_per_minute = Some(30);
        spec.api.cors_allowed_origins = Some(vec!["https://app.example.com".into()]);
        spec.redis = Some(crate::crd::RedisSpec {
            url_secret_ref: SecretKeyRef {
                name: "redis".into(),
                key: "url".into(),
            },
        });
        let s = stack(spec);
        let d = deployment(&s, &Inputs::default());
        let template = d.spec.unwrap().template;
        let c = &template.spec.as_ref().unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "REDIS_URL"),
            Some(("redis".into(), "url".into()))
        );
        // The rest arrives through the ConfigMap the container reads whole.
        let config = config::api_config_data(&s);
        assert_eq!(config["QUOTA_USER_POSTS"], "100");
        assert_eq!(config["QUOTA_USER_BYTES"], "104857600");
        assert_eq!(config["RATE_LIMIT_USER_PER_MINUTE"], "30");
        assert_eq!(config["CORS_ALLOWED_ORIGINS"], "https://app.example.com");
        // ... and a changed limit rolls the pods.
        let hash = |t: &k8s_openapi::api::core::v1::PodTemplateSpec| {
            t.metadata.as_ref().unwrap().annotations.as_ref().unwrap()[CONFIG_HASH_ANNOTATION]
                .clone()
        };
        let mut changed = s.clone();
        changed.spec.policy.quota_user_posts = Some(101);
        let again = deployment(&changed, &Inputs::default());
        assert_ne!(hash(&template), hash(&again.spec.unwrap().template));
    }

    #[test]
    fn api_deployment_is_wired_with_the_contract_variables() {
        let s = stack(ImageUploadStackSpec::default());
        let d = deployment(&s, &Inputs::default());
        assert_eq!(d.metadata.name.as_deref(), Some("demo-api"));
        let spec = d.spec.unwrap();
        assert_eq!(spec.replicas, Some(1));
        let pod = spec.template.spec.unwrap();
        let c = &pod.containers[0];
        assert_hardened(c);
        assert_eq!(c.image.as_deref(), Some("ghcr.io/imgup/imgup-api:0.1.0"));
        assert_eq!(c.ports.as_ref().unwrap()[0].container_port, 8080);
        let annotations = spec.template.metadata.unwrap().annotations.unwrap();
        assert_eq!(annotations["prometheus.io/scrape"], "true");
        assert_eq!(annotations["prometheus.io/port"], "8080");
        assert_eq!(annotations["prometheus.io/path"], "/metrics");
        assert_eq!(
            c.env_from.as_ref().unwrap()[0]
                .config_map_ref
                .as_ref()
                .unwrap()
                .name,
            "demo-api-config"
        );
        assert_eq!(
            env_value(c, "DATABASE_URL"),
            Some("postgres://imgup:$(DATABASE_PASSWORD)@demo-postgres:5432/imgup")
        );
        assert_eq!(
            env_secret_ref(c, "DATABASE_PASSWORD"),
            Some(("demo-generated".into(), "postgres-password".into()))
        );
        assert_eq!(
            env_secret_ref(c, "JWT_SECRET"),
            Some(("demo-generated".into(), "jwt-secret".into()))
        );
        assert_eq!(
            env_secret_ref(c, "S3_SECRET_KEY"),
            Some(("demo-generated".into(), "minio-root-password".into()))
        );
        let probe = |p: &Option<k8s_openapi::api::core::v1::Probe>| {
            p.as_ref()
                .unwrap()
                .http_get
                .as_ref()
                .unwrap()
                .path
                .clone()
                .unwrap()
        };
        assert_eq!(probe(&c.readiness_probe), "/readyz");
        assert_eq!(probe(&c.liveness_probe), "/healthz");
        // The password variable must come before the URL that expands it.
        let names: Vec<_> = c
            .env
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let pw = names
            .iter()
            .position(|n| *n == "DATABASE_PASSWORD")
            .unwrap();
        let url = names.iter().position(|n| *n == "DATABASE_URL").unwrap();
        assert!(pw < url);
        assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    }

    #[test]
    fn secret_content_change_rolls_the_pods_through_the_config_hash() {
        let s = stack(ImageUploadStackSpec::default());
        let mut inputs = Inputs::default();
        inputs.secrets.insert(
            "demo-generated".into(),
            BTreeMap::from([("jwt-secret".into(), b"one".to_vec())]),
        );
        let hash = |i: &Inputs| {
            deployment(&s, i)
                .spec
                .unwrap()
                .template
                .metadata
                .unwrap()
                .annotations
                .unwrap()[CONFIG_HASH_ANNOTATION]
                .clone()
        };
        let h1 = hash(&inputs);
        assert_eq!(h1, hash(&inputs));
        inputs
            .secrets
            .get_mut("demo-generated")
            .unwrap()
            .insert("jwt-secret".into(), b"two".to_vec());
        assert_ne!(h1, hash(&inputs));
        let mut spec = ImageUploadStackSpec::default();
        spec.policy.max_upload_bytes = 1;
        let d = deployment(&stack(spec), &inputs);
        let h3 = d
            .spec
            .unwrap()
            .template
            .metadata
            .unwrap()
            .annotations
            .unwrap()[CONFIG_HASH_ANNOTATION]
            .clone();
        assert_ne!(hash(&inputs), h3, "policy change must roll the api");
    }

    #[test]
    fn image_settings_reach_the_api_pods_only_when_set_and_a_change_rolls_them() {
        use crate::crd::{VariantFormat, VariantPreset};
        use crate::resources::{Desired, desired_objects};

        // What the api container sees: its env plus the ConfigMap it reads.
        let seen = |spec: ImageUploadStackSpec| {
            let objects = desired_objects(&stack(spec), &Inputs::default());
            let mut cm = None;
            let mut dep = None;
            for o in objects {
                match o {
                    Desired::ConfigMap(c)
                        if c.metadata.name.as_deref() == Some("demo-api-config") =>
                    {
                        cm = Some(c)
                    }
                    Desired::Deployment(d) if d.metadata.name.as_deref() == Some("demo-api") => {
                        dep = Some(d)
                    }
                    _ => {}
                }
            }
            let (cm, dep) = (cm.unwrap(), dep.unwrap());
            let template = dep.spec.unwrap().template;
            let c = template.spec.unwrap().containers.remove(0);
            let from = c.env_from.as_ref().unwrap()[0]
                .config_map_ref
                .as_ref()
                .unwrap();
            assert_eq!(Some(&from.name), cm.metadata.name.as_ref());
            let mut vars = cm.data.unwrap();
            for e in c.env.unwrap() {
                vars.insert(e.name, e.value.unwrap_or_default());
            }
            let hash =
                template.metadata.unwrap().annotations.unwrap()[CONFIG_HASH_ANNOTATION].clone();
            (vars, hash)
        };

        let (unset, h0) = seen(ImageUploadStackSpec::default());
        for k in config::IMAGE_SETTINGS {
            assert!(!unset.contains_key(k), "{k} set without the spec naming it");
        }

        let mut spec = ImageUploadStackSpec::default();
        spec.policy.max_image_width = Some(12_000);
        spec.policy.max_image_height = Some(9_000);
        spec.policy.max_image_pixels = Some(60_000_000);
        spec.policy.max_animation_frames = Some(50);
        spec.policy.image_variants = Some(vec![
            VariantPreset {
                name: "thumb".into(),
                long_side: 320,
            },
            VariantPreset {
                name: "medium".into(),
                long_side: 1280,
            },
        ]);
        spec.policy.variant_format = Some(VariantFormat::Jpeg);
        spec.policy.image_workers = Some(3);
        spec.policy.pending_upload_ttl_seconds = Some(3600);
        let (set, h1) = seen(spec.clone());
        for (k, v) in [
            ("MAX_IMAGE_WIDTH", "12000"),
            ("MAX_IMAGE_HEIGHT", "9000"),
            ("MAX_IMAGE_PIXELS", "60000000"),
            ("MAX_ANIMATION_FRAMES", "50"),
            ("IMAGE_VARIANTS", "thumb=320,medium=1280"),
            ("VARIANT_FORMAT", "jpeg"),
            ("IMAGE_WORKERS", "3"),
            ("PENDING_UPLOAD_TTL_SECONDS", "3600"),
        ] {
            assert_eq!(set.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert_ne!(h0, h1, "setting the image policy must roll the api");

        spec.policy.image_variants.as_mut().unwrap()[1].long_side = 1600;
        let (changed, h2) = seen(spec);
        assert_eq!(changed["IMAGE_VARIANTS"], "thumb=320,medium=1600");
        assert_ne!(h1, h2, "a changed preset must roll the api");
    }

    #[test]
    fn external_database_url_comes_from_its_secret_and_extra_env_is_kept() {
        let mut spec = ImageUploadStackSpec::default();
        spec.database.external = Some(ExternalDatabaseSpec {
            url_secret_ref: SecretKeyRef {
                name: "db".into(),
                key: "url".into(),
            },
        });
        spec.api.replicas = 3;
        spec.api.env = vec![env("RUST_LOG", "debug")];
        let d = deployment(&stack(spec), &Inputs::default());
        let spec = d.spec.unwrap();
        assert_eq!(spec.replicas, Some(3));
        let c = &spec.template.spec.unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "DATABASE_URL"),
            Some(("db".into(), "url".into()))
        );
        assert_eq!(env_value(c, "DATABASE_PASSWORD"), None);
        assert_eq!(env_value(c, "RUST_LOG"), Some("debug"));
    }

    #[test]
    fn api_service_selects_api_pods_on_8080() {
        let svc = service(&stack(ImageUploadStackSpec::default()));
        let spec = svc.spec.unwrap();
        assert_eq!(spec.ports.unwrap()[0].port, 8080);
        assert_eq!(
            spec.selector.unwrap()["app.kubernetes.io/name"],
            "imgup-api"
        );
    }
}
