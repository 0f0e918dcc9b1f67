//! The auth service (`imgup-auth`): a Deployment and its Service on port 8001.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;

use super::scaling::Scaling;
use super::{
    AUTH_PORT, Inputs, ServiceWorkload, component_service, env_secret, service_deployment,
    service_port,
};
use crate::crd::{ImageUploadStack, OAuthClientSpec, SecretKeyRef};
use crate::resources::{api, config, secrets};

pub const COMPONENT: &str = "auth";

fn client_env(prefix: &str, c: &OAuthClientSpec) -> [k8s_openapi::api::core::v1::EnvVar; 2] {
    let r = |key: &String| SecretKeyRef {
        name: c.secret_name.clone(),
        key: key.clone(),
    };
    [
        env_secret(&format!("{prefix}_CLIENT_ID"), &r(&c.client_id_key)),
        env_secret(&format!("{prefix}_CLIENT_SECRET"), &r(&c.client_secret_key)),
    ]
}

pub fn deployment(stack: &ImageUploadStack, inputs: &Inputs) -> Deployment {
    let spec = &stack.spec.auth;
    let mut vars = api::database_env(stack);
    vars.extend(api::redis_env(stack));
    vars.push(env_secret("JWT_SECRET", &secrets::jwt_secret(stack)));
    vars.push(env_secret(
        "SESSION_SECRET",
        &secrets::session_secret(stack),
    ));
    if let Some(g) = &spec.google {
        vars.extend(client_env("GOOGLE", g));
    }
    if let Some(g) = &spec.github {
        vars.extend(client_env("GITHUB", g));
    }
    if let Some(o) = &spec.oidc {
        vars.extend(client_env("OIDC", &o.client));
    }
    service_deployment(
        stack,
        ServiceWorkload {
            component: COMPONENT,
            image: spec.image(),
            replicas: scaling(stack).deployment_replicas(),
            resources: spec.resources.as_ref(),
            port: AUTH_PORT,
            config_map: config::auth_config_name(stack),
            config_data: config::auth_config_data(stack),
            env: vars,
            extra_env: &spec.env,
        },
        inputs,
    )
}

/// The auth pod count: fixed, or set by an autoscaler.
pub fn scaling(stack: &ImageUploadStack) -> Scaling<'_> {
    let spec = &stack.spec.auth;
    Scaling {
        component: COMPONENT,
        replicas: spec.replicas,
        autoscaling: spec.autoscaling.as_ref(),
    }
}

pub fn service(stack: &ImageUploadStack) -> Service {
    let exposure = &stack.spec.auth.service;
    component_service(
        stack,
        COMPONENT,
        exposure,
        vec![service_port("http", AUTH_PORT, exposure.node_port)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ImageUploadStackSpec, OidcSpec, ServiceExposure, ServiceType};
    use crate::resources::test_support::{assert_hardened, env_secret_ref, env_value, stack};

    #[test]
    fn auth_deployment_has_jwt_session_database_and_probes() {
        let d = deployment(&stack(ImageUploadStackSpec::default()), &Inputs::default());
        assert_eq!(d.metadata.name.as_deref(), Some("demo-auth"));
        let template = d.spec.unwrap().template;
        let annotations = template.metadata.unwrap().annotations.unwrap();
        assert_eq!(annotations["prometheus.io/scrape"], "true");
        assert_eq!(annotations["prometheus.io/port"], "8001");
        let c = &template.spec.unwrap().containers[0];
        assert_hardened(c);
        assert_eq!(c.image.as_deref(), Some("ghcr.io/imgup/imgup-auth:0.1.0"));
        assert_eq!(c.ports.as_ref().unwrap()[0].container_port, 8001);
        assert_eq!(
            env_secret_ref(c, "SESSION_SECRET"),
            Some(("demo-generated".into(), "session-secret".into()))
        );
        assert_eq!(
            env_secret_ref(c, "JWT_SECRET"),
            Some(("demo-generated".into(), "jwt-secret".into()))
        );
        assert!(
            env_value(c, "DATABASE_URL")
                .unwrap()
                .starts_with("postgres://imgup:")
        );
        assert_eq!(
            env_secret_ref(c, "GOOGLE_CLIENT_ID"),
            None,
            "no provider configured"
        );
        assert_eq!(
            c.env_from.as_ref().unwrap()[0]
                .config_map_ref
                .as_ref()
                .unwrap()
                .name,
            "demo-auth-config"
        );
        let ready = c
            .readiness_probe
            .as_ref()
            .unwrap()
            .http_get
            .as_ref()
            .unwrap();
        assert_eq!(ready.path.as_deref(), Some("/readyz"));
    }

    #[test]
    fn oauth_providers_read_their_credentials_from_the_named_secrets() {
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.google = Some(OAuthClientSpec {
            secret_name: "google".into(),
            client_id_key: "client-id".into(),
            client_secret_key: "client-secret".into(),
        });
        spec.auth.oidc = Some(OidcSpec {
            issuer_url: "https://id.example.com".into(),
            client: OAuthClientSpec {
                secret_name: "oidc".into(),
                client_id_key: "id".into(),
                client_secret_key: "secret".into(),
            },
        });
        let d = deployment(&stack(spec), &Inputs::default());
        let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "GOOGLE_CLIENT_SECRET"),
            Some(("google".into(), "client-secret".into()))
        );
        assert_eq!(
            env_secret_ref(c, "OIDC_CLIENT_ID"),
            Some(("oidc".into(), "id".into()))
        );
        assert_eq!(env_secret_ref(c, "GITHUB_CLIENT_ID"), None);
    }

    #[test]
    fn auth_gets_its_rate_limit_proxy_header_and_the_shared_redis() {
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.rate_limit_ip_per_minute = Some(20);
        spec.auth.trusted_proxy_header = Some("x-forwarded-for".into());
        spec.redis = Some(crate::crd::RedisSpec {
            url_secret_ref: SecretKeyRef {
                name: "redis".into(),
                key: "url".into(),
            },
        });
        let s = stack(spec);
        let d = deployment(&s, &Inputs::default());
        let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "REDIS_URL"),
            Some(("redis".into(), "url".into()))
        );
        let config = config::auth_config_data(&s);
        assert_eq!(config["RATE_LIMIT_IP_PER_MINUTE"], "20");
        assert_eq!(config["TRUSTED_PROXY_HEADER"], "x-forwarded-for");
        assert_eq!(config["JWT_EXPIRE_MINUTES"], "60");
    }

    #[test]
    fn auth_service_can_be_a_node_port() {
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.service = ServiceExposure {
            type_: ServiceType::NodePort,
            node_port: Some(30001),
        };
        let svc = service(&stack(spec)).spec.unwrap();
        assert_eq!(svc.type_.as_deref(), Some("NodePort"));
        let p = &svc.ports.unwrap()[0];
        assert_eq!((p.port, p.node_port), (8001, Some(30001)));
    }
}
