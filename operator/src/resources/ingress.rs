//! The stack's Ingress (`spec.ingress`): one `networking.k8s.io/v1` Ingress
//! named like the stack, with a rule per host to its component's Service
//! (path `/`, prefix), and TLS for every host when a certificate Secret is
//! named. Nothing without `spec.ingress`.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as IngressObjectSpec, IngressTLS, ServiceBackendPort,
};
use kube::ResourceExt;

use super::{API_PORT, AUTH_PORT, MINIO_PORT, child_name, owned_meta};
use crate::crd::{ImageUploadStack, Storage};

pub const COMPONENT: &str = "ingress";

/// The hosts the Ingress routes, each with the Service and port behind it,
/// in the order of its rules: api, auth, S3. The S3 host only with the
/// in-cluster MinIO or Garage (with `storage.external` it is an
/// `InvalidSpec`).
pub fn routes(stack: &ImageUploadStack) -> Vec<(String, String, i32)> {
    let Some(ing) = &stack.spec.ingress else {
        return Vec::new();
    };
    let (s3, s3_port, in_cluster) = match stack.spec.storage() {
        Storage::Minio(_) => ("minio", MINIO_PORT, true),
        Storage::Garage(_) => (
            super::garage::COMPONENT,
            i32::from(crate::garage::S3_PORT),
            true,
        ),
        Storage::External(_) => ("minio", MINIO_PORT, false),
    };
    [
        (ing.api_host.as_ref(), "api", API_PORT, true),
        (ing.auth_host.as_ref(), "auth", AUTH_PORT, true),
        (ing.s3_host.as_ref(), s3, s3_port, in_cluster),
    ]
    .into_iter()
    .filter_map(|(host, suffix, port, served)| {
        let host = host.filter(|_| served)?;
        Some((host.clone(), child_name(stack, suffix), port))
    })
    .collect()
}

pub fn ingress(stack: &ImageUploadStack) -> Option<Ingress> {
    let spec = stack.spec.ingress.as_ref()?;
    let routes = routes(stack);
    if routes.is_empty() {
        return None;
    }
    let mut metadata = owned_meta(stack, COMPONENT, stack.name_any());
    metadata.annotations = (!spec.annotations.is_empty()).then(|| spec.annotations.clone());
    let rules = routes
        .iter()
        .map(|(host, service, port)| IngressRule {
            host: Some(host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: vec![HTTPIngressPath {
                    path: Some("/".into()),
                    path_type: "Prefix".into(),
                    backend: IngressBackend {
                        service: Some(IngressServiceBackend {
                            name: service.clone(),
                            port: Some(ServiceBackendPort {
                                number: Some(*port),
                                name: None,
                            }),
                        }),
                        resource: None,
                    },
                }],
            }),
        })
        .collect();
    let tls = spec.tls_secret_name.as_ref().map(|secret| {
        vec![IngressTLS {
            hosts: Some(routes.iter().map(|(host, _, _)| host.clone()).collect()),
            secret_name: Some(secret.clone()),
        }]
    });
    Some(Ingress {
        metadata,
        spec: Some(IngressObjectSpec {
            ingress_class_name: spec.class_name.clone(),
            rules: Some(rules),
            tls,
            default_backend: None,
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::crd::{ExternalS3Spec, ImageUploadStackSpec, IngressSpec};
    use crate::resources::test_support::stack;

    fn with_ingress(ingress: IngressSpec) -> ImageUploadStack {
        stack(ImageUploadStackSpec {
            ingress: Some(ingress),
            ..ImageUploadStackSpec::default()
        })
    }

    #[test]
    fn no_ingress_unless_the_spec_asks() {
        assert!(ingress(&stack(ImageUploadStackSpec::default())).is_none());
    }

    #[test]
    fn a_rule_per_host_to_its_service_and_tls_for_all_of_them() {
        let s = with_ingress(IngressSpec {
            class_name: Some("nginx".into()),
            tls_secret_name: Some("imgup-tls".into()),
            annotations: BTreeMap::from([(
                "nginx.ingress.kubernetes.io/proxy-body-size".into(),
                "64m".into(),
            )]),
            api_host: Some("api.example.com".into()),
            auth_host: Some("auth.example.com".into()),
            s3_host: Some("s3.example.com".into()),
        });
        let ing = ingress(&s).unwrap();
        assert_eq!(ing.metadata.name.as_deref(), Some("demo"));
        assert_eq!(
            ing.metadata.owner_references.as_ref().unwrap()[0].controller,
            Some(true)
        );
        assert_eq!(
            ing.metadata.labels.as_ref().unwrap()["app.kubernetes.io/component"],
            "ingress"
        );
        assert_eq!(
            ing.metadata.annotations.as_ref().unwrap()["nginx.ingress.kubernetes.io/proxy-body-size"],
            "64m"
        );
        let spec = ing.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        let rules: Vec<_> = spec
            .rules
            .unwrap()
            .into_iter()
            .map(|r| {
                let path = &r.http.as_ref().unwrap().paths[0];
                assert_eq!(path.path.as_deref(), Some("/"));
                assert_eq!(path.path_type, "Prefix");
                let backend = path.backend.service.clone().unwrap();
                (
                    r.host.unwrap(),
                    backend.name,
                    backend.port.unwrap().number.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rules,
            [
                ("api.example.com".into(), "demo-api".into(), 8080),
                ("auth.example.com".into(), "demo-auth".into(), 8001),
                ("s3.example.com".into(), "demo-minio".into(), 9000),
            ]
        );
        let tls = spec.tls.unwrap();
        assert_eq!(tls.len(), 1);
        assert_eq!(tls[0].secret_name.as_deref(), Some("imgup-tls"));
        assert_eq!(
            tls[0].hosts.clone().unwrap(),
            ["api.example.com", "auth.example.com", "s3.example.com"]
        );
    }

    #[test]
    fn only_the_hosts_named_and_no_tls_without_a_secret() {
        let s = with_ingress(IngressSpec {
            api_host: Some("api.example.com".into()),
            ..IngressSpec::default()
        });
        let spec = ingress(&s).unwrap().spec.unwrap();
        assert_eq!(spec.rules.unwrap().len(), 1);
        assert!(spec.tls.is_none());
        assert!(spec.ingress_class_name.is_none());
    }

    #[test]
    fn no_s3_rule_without_the_in_cluster_minio() {
        let mut s = with_ingress(IngressSpec {
            api_host: Some("api.example.com".into()),
            s3_host: Some("s3.example.com".into()),
            ..IngressSpec::default()
        });
        s.spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.example.net".into(),
            credentials_secret: "s3".into(),
            ..ExternalS3Spec::default()
        });
        let hosts: Vec<_> = routes(&s).into_iter().map(|(h, _, _)| h).collect();
        assert_eq!(hosts, ["api.example.com"]);
    }

    #[test]
    fn the_s3_host_routes_to_garage_s_s3_port() {
        let mut s = with_ingress(IngressSpec {
            s3_host: Some("s3.example.com".into()),
            ..IngressSpec::default()
        });
        s.spec.storage.garage = Some(crate::crd::GarageSpec::default());
        assert_eq!(
            routes(&s),
            [("s3.example.com".into(), "demo-garage".into(), 3900)]
        );
        assert_eq!(
            crate::resources::config::s3_public_endpoint(&s),
            "http://s3.example.com"
        );
    }
}
