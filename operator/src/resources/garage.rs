//! In-cluster Garage (`storage.garage`): its ConfigMap (`garage.toml`),
//! Service and one-replica StatefulSet, built by [`crate::garage::objects`]
//! with the stack's names, labels, owner, pod placement and retention; and
//! the [`SetupSpec`] the reconciler hands to the admin API once the pod is
//! ready. No bucket Job: the setup creates the bucket, its CORS rules and
//! the expiry of `incoming/`. Nothing unless the spec selects Garage.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::ResourceExt;

use super::{CONFIG_HASH_ANNOTATION, Inputs, buckets, config_hash, owner_ref, place, secrets};
use crate::crd::{GarageSpec, ImageUploadStack, RetentionPolicy, SecretKeyRef, Storage};
use crate::garage::{GarageParams, SetupSpec, objects};

pub const COMPONENT: &str = objects::COMPONENT;
/// The zone of the single node in Garage's layout.
pub const ZONE: &str = "dc1";

/// The builders' parameters for the stack's Garage.
pub fn params(stack: &ImageUploadStack, g: &GarageSpec) -> GarageParams {
    let mut p = GarageParams::new(&stack.name_any(), &stack.namespace().unwrap_or_default());
    p.owner_references = vec![owner_ref(stack)];
    p.image = g.image().to_owned();
    p.size = g.size.clone();
    p.storage_class_name = g.storage_class_name.clone();
    p.claim_retention = match stack.spec.retention {
        RetentionPolicy::Retain => "Retain",
        RetentionPolicy::Delete => "Delete",
    }
    .into();
    p.secret_name = secrets::generated_name(stack);
    p.resources = g.resources.clone();
    p.service_type = g.service.type_.as_str().into();
    p.s3_node_port = g.service.node_port;
    p
}

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
    let p = params(stack, g);
    let cm = objects::config_map(&p);
    let svc = objects::service(&p);
    let mut sts = objects::stateful_set(&p);
    if let Some(tpl) = sts.spec.as_mut().map(|s| &mut s.template)
        && let Some(pod) = tpl.spec.as_mut()
    {
        place(stack, pod);
        let hash = config_hash(cm.data.as_ref().unwrap_or(&BTreeMap::new()), pod, inputs);
        let meta = tpl.metadata.get_or_insert_with(Default::default);
        let mut annotations = stack.spec.pods.annotations.clone();
        annotations.insert(CONFIG_HASH_ANNOTATION.into(), hash);
        meta.annotations = Some(annotations);
    }
    Some((cm, svc, sts))
}

/// The admin API inside the cluster.
pub fn admin_url(stack: &ImageUploadStack) -> String {
    GarageParams::new(&stack.name_any(), &stack.namespace().unwrap_or_default()).admin_url()
}

/// The S3 endpoint inside the cluster.
pub fn s3_endpoint(stack: &ImageUploadStack) -> String {
    GarageParams::new(&stack.name_any(), &stack.namespace().unwrap_or_default()).s3_endpoint()
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
    use crate::crd::{ImageUploadStackSpec, ServiceExposure, ServiceType};
    use crate::resources::test_support::{env_secret_ref, stack};

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
