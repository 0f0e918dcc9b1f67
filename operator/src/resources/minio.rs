//! In-cluster MinIO: a Service (exposed as the spec asks, so that presigned
//! URLs can be reached from outside) and a one-replica StatefulSet with a
//! volume claim. Nothing when the spec names an external S3.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, ContainerPort, Service, VolumeMount};

use super::{
    Inputs, MINIO_CONSOLE_PORT, MINIO_PORT, child_name, component_service, container_security,
    data_stateful_set, env, env_secret, http_probe, resources_or, scratch, service_port,
};
use crate::crd::{ImageUploadStack, Storage};
use crate::resources::secrets;

pub const COMPONENT: &str = "minio";
const UID: i64 = 1000;

pub fn objects(stack: &ImageUploadStack, inputs: &Inputs) -> Option<(Service, StatefulSet)> {
    let Storage::Minio(m) = stack.spec.storage() else {
        return None;
    };
    let (user, password) = secrets::s3_credentials(stack);
    let _name = child_name(stack, COMPONENT);

    let service = component_service(
        stack,
        COMPONENT,
        &m.service,
        vec![
            service_port("s3", MINIO_PORT, m.service.node_port),
            service_port("console", MINIO_CONSOLE_PORT, None),
        ],
    );

    let (tmp_vol, tmp_mount) = scratch("tmp", "/tmp");
    let container = Container {
        name: COMPONENT.into(),
        image: Some(m.image().to_owned()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(
            [
                "server",
                "/data",
                "--address",
                ":9000",
                "--console-address",
                ":9001",
                "--certs-dir",
                "/tmp/certs",
            ]
            .map(String::from)
            .to_vec(),
        ),
        env: Some(vec![
            env_secret("MINIO_ROOT_USER", &user),
            env_secret("MINIO_ROOT_PASSWORD", &password),
            // Server-wide CORS: browsers PUT straight to presigned URLs.
            env(
                "MINIO_API_CORS_ALLOW_ORIGIN",
                stack.spec.buckets.cors_allowed_origins.join(","),
            ),
            env("MINIO_BROWSER_REDIRECT", "off"),
            env("HOME", "/tmp"),
        ]),
        ports: Some(vec![
            ContainerPort {
                name: Some("s3".into()),
                container_port: MINIO_PORT,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            },
            ContainerPort {
                name: Some("console".into()),
                container_port: MINIO_CONSOLE_PORT,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            },
        ]),
        liveness_probe: Some(http_probe("/minio/health/live", MINIO_PORT, 10, 3)),
        readiness_probe: Some(http_probe("/minio/health/ready", MINIO_PORT, 5, 3)),
        startup_probe: Some(http_probe("/minio/health/live", MINIO_PORT, 2, 30)),
        resources: Some(resources_or(m.resources.as_ref(), "100m", "256Mi", "1Gi")),
        security_context: Some(container_security()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: "/data".into(),
                ..VolumeMount::default()
            },
            tmp_mount,
        ]),
        ..Container::default()
    };

    let sts = data_stateful_set(
        stack,
        COMPONENT,
        UID,
        container,
        vec![tmp_vol],
        &m.size,
        m.storage_class_name.as_ref(),
        &std::collections::BTreeMap::new(),
        inputs,
    );
    Some((service, sts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{
        ExternalS3Spec, ImageUploadStackSpec, MinioSpec, ServiceExposure, ServiceType,
    };
    use crate::resources::test_support::{assert_hardened, env_secret_ref, env_value, stack};

    #[test]
    fn default_minio_is_a_statefulset_with_claim_credentials_and_cors() {
        let (svc, sts) =
            objects(&stack(ImageUploadStackSpec::default()), &Inputs::default()).unwrap();
        let svc_spec = svc.spec.unwrap();
        assert_eq!(svc_spec.type_.as_deref(), Some("ClusterIP"));
        let ports = svc_spec.ports.unwrap();
        assert_eq!((ports[0].port, ports[1].port), (9000, 9001));
        assert!(ports.iter().all(|p| p.node_port.is_none()));

        let spec = sts.spec.unwrap();
        let claim = &spec.volume_claim_templates.unwrap()[0];
        assert_eq!(
            claim
                .spec
                .as_ref()
                .unwrap()
                .resources
                .as_ref()
                .unwrap()
                .requests
                .as_ref()
                .unwrap()["storage"]
                .0,
            "10Gi"
        );
        let c = &spec.template.spec.unwrap().containers[0];
        assert_hardened(c);
        assert_eq!(
            env_secret_ref(c, "MINIO_ROOT_USER"),
            Some(("demo-generated".into(), "minio-root-user".into()))
        );
        assert_eq!(
            env_secret_ref(c, "MINIO_ROOT_PASSWORD"),
            Some(("demo-generated".into(), "minio-root-password".into()))
        );
        assert_eq!(env_value(c, "MINIO_API_CORS_ALLOW_ORIGIN"), Some("*"));
        let ready = c
            .readiness_probe
            .as_ref()
            .unwrap()
            .http_get
            .as_ref()
            .unwrap();
        assert_eq!(ready.path.as_deref(), Some("/minio/health/ready"));
    }

    #[test]
    fn node_port_exposure_and_user_credentials() {
        let mut spec = ImageUploadStackSpec::default();
        spec.buckets.cors_allowed_origins = vec!["http://localhost:5173".into()];
        spec.storage.minio = Some(MinioSpec {
            credentials_secret: Some("my-minio".into()),
            service: ServiceExposure {
                type_: ServiceType::NodePort,
                node_port: Some(30900),
            },
            ..MinioSpec::default()
        });
        let (svc, sts) = objects(&stack(spec), &Inputs::default()).unwrap();
        let svc_spec = svc.spec.unwrap();
        assert_eq!(svc_spec.type_.as_deref(), Some("NodePort"));
        assert_eq!(svc_spec.ports.unwrap()[0].node_port, Some(30900));
        let c = &sts.spec.unwrap().template.spec.unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "MINIO_ROOT_USER"),
            Some(("my-minio".into(), "root-user".into()))
        );
        assert_eq!(
            env_value(c, "MINIO_API_CORS_ALLOW_ORIGIN"),
            Some("http://localhost:5173")
        );
    }

    #[test]
    fn rotated_credentials_roll_minio() {
        let s = stack(ImageUploadStackSpec::default());
        let hash = |password: &[u8]| {
            let mut inputs = Inputs::default();
            inputs.secrets.insert(
                "demo-generated".into(),
                std::collections::BTreeMap::from([
                    ("minio-root-user".into(), b"imgup".to_vec()),
                    ("minio-root-password".into(), password.to_vec()),
                    ("jwt-secret".into(), b"not read by minio".to_vec()),
                ]),
            );
            let (_, sts) = objects(&s, &inputs).unwrap();
            sts.spec
                .unwrap()
                .template
                .metadata
                .unwrap()
                .annotations
                .unwrap()[crate::resources::CONFIG_HASH_ANNOTATION]
                .clone()
        };
        assert_eq!(hash(b"one"), hash(b"one"));
        assert_ne!(hash(b"one"), hash(b"two"));
    }

    #[test]
    fn external_s3_means_no_minio() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.example.com".into(),
            credentials_secret: "s3".into(),
            ..ExternalS3Spec::default()
        });
        assert!(objects(&stack(spec), &Inputs::default()).is_none());
    }
}
