//! In-cluster Postgres: a headless Service and a one-replica StatefulSet with
//! a volume claim. Nothing when the spec names an external database.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ExecAction, Probe, Service, ServiceSpec, VolumeMount,
};

use super::{
    Inputs, POSTGRES_PORT, child_name, container_security, data_stateful_set, env, env_secret,
    owned_meta, resources_or, scratch, selector_labels, service_port,
};
use crate::crd::{Database, ImageUploadStack};
use crate::resources::secrets;

pub const COMPONENT: &str = "postgres";
pub const DB_USER: &str = "imgup";
pub const DB_NAME: &str = "imgup";
/// The uid of the `postgres` user in the official Debian-based image.
const UID: i64 = 999;

pub fn host(stack: &ImageUploadStack) -> String {
    child_name(stack, COMPONENT)
}

pub fn objects(stack: &ImageUploadStack, inputs: &Inputs) -> Option<(Service, StatefulSet)> {
    let Database::Postgres(pg) = stack.spec.database() else {
        return None;
    };
    let password = secrets::postgres_password(stack).expect("postgres has a password");
    let name = child_name(stack, COMPONENT);

    let service = Service {
        metadata: owned_meta(stack, COMPONENT, name.clone()),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(selector_labels(stack, COMPONENT)),
            ports: Some(vec![service_port("postgres", POSTGRES_PORT, None)]),
            ..ServiceSpec::default()
        }),
        status: None,
    };

    let ready = Probe {
        exec: Some(ExecAction {
            command: Some(
                [
                    "pg_isready",
                    "-U",
                    DB_USER,
                    "-d",
                    DB_NAME,
                    "-h",
                    "127.0.0.1",
                ]
                .map(String::from)
                .to_vec(),
            ),
        }),
        period_seconds: Some(5),
        timeout_seconds: Some(3),
        failure_threshold: Some(6),
        ..Probe::default()
    };
    let (run_vol, run_mount) = scratch("run", "/var/run/postgresql");
    let (tmp_vol, tmp_mount) = scratch("tmp", "/tmp");
    let container = Container {
        name: COMPONENT.into(),
        image: Some(pg.image().to_owned()),
        image_pull_policy: Some("IfNotPresent".into()),
        env: Some(vec![
            env("POSTGRES_USER", DB_USER),
            env("POSTGRES_DB", DB_NAME),
            env_secret("POSTGRES_PASSWORD", &password),
            env("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("postgres".into()),
            container_port: POSTGRES_PORT,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(ready.clone()),
        liveness_probe: Some(Probe {
            initial_delay_seconds: Some(30),
            period_seconds: Some(10),
            ..ready
        }),
        resources: Some(resources_or(pg.resources.as_ref(), "100m", "256Mi", "1Gi")),
        security_context: Some(container_security()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: "/var/lib/postgresql/data".into(),
                ..VolumeMount::default()
            },
            run_mount,
            tmp_mount,
        ]),
        ..Container::default()
    };

    let sts = data_stateful_set(
        stack,
        COMPONENT,
        UID,
        container,
        vec![run_vol, tmp_vol],
        &pg.size,
        pg.storage_class_name.as_ref(),
        &std::collections::BTreeMap::new(),
        inputs,
    );
    Some((service, sts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{
        ExternalDatabaseSpec, ImageUploadStackSpec, PostgresSpec, RetentionPolicy, SecretKeyRef,
    };
    use crate::resources::test_support::{assert_hardened, env_secret_ref, env_value, stack};

    #[test]
    fn default_postgres_is_a_statefulset_with_a_claim_and_headless_service() {
        let (svc, sts) =
            objects(&stack(ImageUploadStackSpec::default()), &Inputs::default()).unwrap();
        assert_eq!(svc.metadata.name.as_deref(), Some("demo-postgres"));
        let svc_spec = svc.spec.unwrap();
        assert_eq!(svc_spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(svc_spec.ports.unwrap()[0].port, 5432);

        let spec = sts.spec.unwrap();
        assert_eq!(spec.service_name.as_deref(), Some("demo-postgres"));
        assert_eq!(spec.replicas, Some(1));
        let claim = &spec.volume_claim_templates.unwrap()[0];
        let req = claim.spec.as_ref().unwrap().resources.as_ref().unwrap();
        assert_eq!(req.requests.as_ref().unwrap()["storage"].0, "5Gi");
        assert_eq!(
            claim.metadata.labels.as_ref().unwrap()["app.kubernetes.io/instance"],
            "demo",
            "claims must be findable by the finalizer"
        );
        let retention = spec.persistent_volume_claim_retention_policy.unwrap();
        assert_eq!(retention.when_deleted.as_deref(), Some("Retain"));

        let pod = spec.template.spec.unwrap();
        let c = &pod.containers[0];
        assert_hardened(c);
        assert_eq!(c.image.as_deref(), Some("postgres:17.6"));
        assert_eq!(env_value(c, "POSTGRES_USER"), Some("imgup"));
        assert_eq!(
            env_secret_ref(c, "POSTGRES_PASSWORD"),
            Some(("demo-generated".into(), "postgres-password".into()))
        );
        assert!(c.readiness_probe.as_ref().unwrap().exec.is_some());
        assert_eq!(pod.security_context.unwrap().run_as_user, Some(999));
    }

    #[test]
    fn spec_size_class_password_and_delete_policy_are_honoured() {
        let mut spec = ImageUploadStackSpec {
            retention: RetentionPolicy::Delete,
            ..ImageUploadStackSpec::default()
        };
        spec.database.postgres = Some(PostgresSpec {
            size: "20Gi".into(),
            storage_class_name: Some("fast".into()),
            password_secret_ref: Some(SecretKeyRef {
                name: "pg".into(),
                key: "pw".into(),
            }),
            ..PostgresSpec::default()
        });
        let (_, sts) = objects(&stack(spec), &Inputs::default()).unwrap();
        let spec = sts.spec.unwrap();
        let claim = spec.volume_claim_templates.unwrap()[0]
            .spec
            .clone()
            .unwrap();
        assert_eq!(claim.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            claim.resources.unwrap().requests.unwrap()["storage"].0,
            "20Gi"
        );
        assert_eq!(
            spec.persistent_volume_claim_retention_policy
                .unwrap()
                .when_deleted
                .as_deref(),
            Some("Delete")
        );
        let c = &spec.template.spec.unwrap().containers[0];
        assert_eq!(
            env_secret_ref(c, "POSTGRES_PASSWORD"),
            Some(("pg".into(), "pw".into()))
        );
    }

    #[test]
    fn external_database_means_no_postgres() {
        let mut spec = ImageUploadStackSpec::default();
        spec.database.external = Some(ExternalDatabaseSpec {
            url_secret_ref: SecretKeyRef {
                name: "db".into(),
                key: "url".into(),
            },
        });
        assert!(objects(&stack(spec), &Inputs::default()).is_none());
    }
}
