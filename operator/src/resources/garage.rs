//! In-cluster Garage (`storage.garage`): its ConfigMap (`garage.toml`),
//! Service and one-replica StatefulSet, made with the builders every store
//! shares from what [`crate::garage::objects`] says of Garage; and the
//! [`SetupSpec`] the reconciler hands to the admin API once the pod is
//! ready. No bucket Job: the setup creates the bucket, its CORS rules and
//! the expiry of `incoming/`. Nothing unless the spec selects Garage.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Service};

use super::{
    Inputs, buckets, child_name, component_service, config::service_url, data_stateful_set,
    owned_meta, secrets, service_port,
};
use crate::crd::{ImageUploadStack, SecretKeyRef, Storage};
use crate::garage::{ADMIN_PORT, ConfigParams, S3_PORT, SetupSpec, objects};

pub const COMPONENT: &str = objects::COMPONENT;
/// The zone of the single node in Garage's layout.
pub const ZONE: &str = "dc1";

/// The ConfigMap, Service and StatefulSet; `None` unless the spec selects
/// Garage. The pod template's config hash covers `garage.toml` and the
/// Secret keys the pod reads, so a change of either rolls the pod.
pub fn objects(
    stack: &ImageUploadStack,
    inputs: &Inputs,
) -> Option<(ConfigMap, Service, StatefulSet)> {
    let Storage::Garage(g) = stack.spec.storage() else {
        return None;
    };
    let name = child_name(stack, COMPONENT);
    let config = BTreeMap::from([(
        objects::CONFIG_KEY.to_string(),
        objects::config_toml(&ConfigParams::default()),
    )]);
    // The admin API never gets a node port: the token guards it, and only
    // the operator calls it.
    let service = component_service(
        stack,
        COMPONENT,
        &g.service,
        vec![
            service_port("s3", S3_PORT.into(), g.service.node_port),
            service_port("admin", ADMIN_PORT.into(), None),
        ],
    );
    let container = objects::container(
        g.image(),
        &secrets::generated_name(stack),
        g.resources.as_ref(),
    );
    let sts = data_stateful_set(
        stack,
        COMPONENT,
        objects::UID,
        container,
        vec![objects::config_volume(&name)],
        &g.size,
        g.storage_class_name.as_ref(),
        &config,
        inputs,
    );
    let config_map = ConfigMap {
        metadata: owned_meta(stack, COMPONENT, name),
        data: Some(config),
        ..ConfigMap::default()
    };
    Some((config_map, service, sts))
}

/// The admin API inside the cluster.
pub fn admin_url(stack: &ImageUploadStack) -> String {
    service_url(stack, COMPONENT, ADMIN_PORT.into())
}

/// The S3 endpoint inside the cluster.
pub fn s3_endpoint(stack: &ImageUploadStack) -> String {
    service_url(stack, COMPONENT, S3_PORT.into())
}

fn generated_value(stack: &ImageUploadStack, inputs: &Inputs, key: &str) -> Option<String> {
    let r = SecretKeyRef {
        name: secrets::generated_name(stack),
        key: key.into(),
    };
    inputs
        .value(&r)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// The admin token and what the setup should make true; `None` unless the
/// spec selects Garage. `Err` says what is missing or wrong.
pub fn setup_spec(
    stack: &ImageUploadStack,
    inputs: &Inputs,
) -> Option<Result<(String, SetupSpec), String>> {
    let Storage::Garage(g) = stack.spec.storage() else {
        return None;
    };
    let value = |key: &str| {
        generated_value(stack, inputs, key)
            .ok_or_else(|| format!("Secret {} has no key {key}", secrets::generated_name(stack)))
    };
    Some((|| {
        let token = value(secrets::GARAGE_ADMIN_TOKEN)?;
        let access_key_id = value(secrets::GARAGE_ACCESS_KEY_ID)?;
        let secret_key = value(secrets::GARAGE_SECRET_KEY)?;
        let capacity_bytes = objects::capacity_bytes(&g.size)
            .ok_or_else(|| format!("storage.garage.size: {:?} is not a quantity", g.size))?;
        Ok((
            token,
            SetupSpec {
                zone: ZONE.into(),
                capacity_bytes,
                access_key_id,
                secret_key,
                buckets: vec![stack.spec.buckets.uploads.clone()],
                cors_allowed_origins: stack.spec.buckets.cors_allowed_origins.clone(),
                incoming_expire_days: Some(buckets::INCOMING_EXPIRE_DAYS),
            },
        ))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{GarageSpec, ImageUploadStackSpec, ServiceExposure, ServiceType};
    use crate::garage::objects::{ADMIN_TOKEN_KEY, CONFIG_KEY, IMAGE, RPC_SECRET_KEY};
    use crate::resources::CONFIG_HASH_ANNOTATION;
    use crate::resources::test_support::{env_secret_ref, stack};

    #[test]
    fn statefulset_reads_secrets_from_env_and_mounts_config_and_volume() {
        let s = garage_stack(GarageSpec {
            storage_class_name: Some("fast".into()),
            ..GarageSpec::default()
        });
        let (_, _, sts) = objects(&s, &Inputs::default()).unwrap();
        assert_eq!(sts.metadata.name.as_deref(), Some("demo-garage"));
        let spec = sts.spec.unwrap();
        let claim = &spec.volume_claim_templates.unwrap()[0];
        let cs = claim.spec.as_ref().unwrap();
        assert_eq!(cs.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            cs.resources.as_ref().unwrap().requests.as_ref().unwrap()["storage"].0,
            "10Gi"
        );
        let tpl = spec.template;
        assert!(tpl.metadata.unwrap().annotations.unwrap()[CONFIG_HASH_ANNOTATION].len() == 64);
        let pod = tpl.spec.unwrap();
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some(IMAGE));
        assert!(IMAGE.starts_with("dxflrs/garage:v2."));
        assert_eq!(
            c.args.as_ref().unwrap(),
            &["-c", "/etc/garage/garage.toml", "server"]
        );
        assert_eq!(
            env_secret_ref(c, "GARAGE_RPC_SECRET"),
            Some(("demo-generated".into(), RPC_SECRET_KEY.into()))
        );
        assert_eq!(
            env_secret_ref(c, "GARAGE_ADMIN_TOKEN"),
            Some(("demo-generated".into(), ADMIN_TOKEN_KEY.into()))
        );
        let sc = c.security_context.as_ref().unwrap();
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        let mounts: Vec<_> = c
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| (m.name.as_str(), m.mount_path.as_str()))
            .collect();
        assert_eq!(
            mounts,
            [("data", "/var/lib/garage"), ("config", "/etc/garage")]
        );
        assert_eq!(
            pod.volumes.unwrap()[0].config_map.as_ref().unwrap().name,
            "demo-garage"
        );
    }

    #[test]
    fn service_has_s3_and_admin_and_a_node_port_only_off_cluster_ip() {
        let mut g = GarageSpec {
            service: ServiceExposure {
                type_: ServiceType::ClusterIP,
                node_port: Some(30900),
            },
            ..GarageSpec::default()
        };
        let ports = |g: &GarageSpec| {
            let (_, svc, _) = objects(&garage_stack(g.clone()), &Inputs::default()).unwrap();
            svc.spec.unwrap().ports.unwrap()
        };
        let p = ports(&g);
        assert_eq!((p[0].port, p[1].port), (3900, 3903));
        assert!(p.iter().all(|x| x.node_port.is_none()));
        g.service.type_ = ServiceType::NodePort;
        let p = ports(&g);
        assert_eq!(p[0].node_port, Some(30900));
        assert_eq!(p[1].node_port, None);
        let s = garage_stack(g);
        assert_eq!(admin_url(&s), "http://demo-garage.imgup.svc:3903");
        let (cm, _, _) = objects(&s, &Inputs::default()).unwrap();
        assert!(cm.data.unwrap()[CONFIG_KEY].contains("replication_factor = 1"));
    }

    fn garage_stack(g: GarageSpec) -> ImageUploadStack {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.garage = Some(g);
        stack(spec)
    }

    #[test]
    fn garage_objects_are_owned_labelled_and_read_the_generated_secret() {
        let s = garage_stack(GarageSpec {
            size: "20Gi".into(),
            service: ServiceExposure {
                type_: ServiceType::NodePort,
                node_port: Some(30900),
            },
            ..GarageSpec::default()
        });
        let (cm, svc, sts) = objects(&s, &Inputs::default()).unwrap();
        for meta in [&cm.metadata, &svc.metadata, &sts.metadata] {
            assert_eq!(meta.name.as_deref(), Some("demo-garage"));
            assert_eq!(meta.owner_references.as_ref().unwrap().len(), 1);
            assert_eq!(
                meta.labels.as_ref().unwrap(),
                &crate::resources::labels(&s, COMPONENT)
            );
        }
        let spec = sts.spec.unwrap();
        let c = &spec.template.spec.as_ref().unwrap().containers[0];
        assert_eq!(c.image.as_deref(), Some(objects::IMAGE));
        assert_eq!(
            env_secret_ref(c, "GARAGE_ADMIN_TOKEN"),
            Some(("demo-generated".into(), "garage-admin-token".into()))
        );
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
            "20Gi"
        );
        let ports = svc.spec.unwrap().ports.unwrap();
        assert_eq!(ports[0].node_port, Some(30900));
        assert!(objects(&stack(ImageUploadStackSpec::default()), &Inputs::default()).is_none());
    }

    #[test]
    fn a_new_admin_token_rolls_the_pod() {
        let s = garage_stack(GarageSpec::default());
        let hash = |token: &[u8]| {
            let inputs = Inputs {
                secrets: BTreeMap::from([(
                    "demo-generated".to_string(),
                    BTreeMap::from([("garage-admin-token".to_string(), token.to_vec())]),
                )]),
            };
            let (_, _, sts) = objects(&s, &inputs).unwrap();
            sts.spec
                .unwrap()
                .template
                .metadata
                .unwrap()
                .annotations
                .unwrap()[CONFIG_HASH_ANNOTATION]
                .clone()
        };
        assert_ne!(hash(b"a"), hash(b"b"));
    }

    #[test]
    fn the_setup_spec_comes_from_the_generated_secret_and_the_buckets() {
        let s = garage_stack(GarageSpec::default());
        let mut data = BTreeMap::new();
        for (k, v) in [
            ("garage-admin-token", "tok"),
            ("garage-access-key-id", "GK0123456789abcdef01234567"),
            ("garage-secret-key", "s3cr3t"),
        ] {
            data.insert(k.to_string(), v.as_bytes().to_vec());
        }
        let inputs = Inputs {
            secrets: BTreeMap::from([("demo-generated".to_string(), data)]),
        };
        let (token, spec) = setup_spec(&s, &inputs).unwrap().unwrap();
        assert_eq!(token, "tok");
        assert_eq!(spec.capacity_bytes, 10 << 30);
        assert_eq!(spec.buckets, vec![s.spec.buckets.uploads.clone()]);
        assert_eq!(
            spec.cors_allowed_origins,
            s.spec.buckets.cors_allowed_origins
        );
        assert_eq!(spec.incoming_expire_days, Some(1));
        assert!(
            setup_spec(&s, &Inputs::default())
                .unwrap()
                .unwrap_err()
                .contains("garage-admin-token")
        );
        assert!(setup_spec(&stack(ImageUploadStackSpec::default()), &inputs).is_none());
        assert_eq!(admin_url(&s), "http://demo-garage.imgup.svc:3903");
        assert_eq!(s3_endpoint(&s), "http://demo-garage.imgup.svc:3900");
    }
}
