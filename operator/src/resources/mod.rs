//! Pure builders: `ImageUploadStack` (+ the Secrets it references) → the
//! Kubernetes objects the operator applies. No I/O happens here, so every
//! builder is unit-tested and `imgup-operator render` prints the same objects.

pub mod api;
pub mod auth;
pub mod buckets;
pub mod config;
pub mod garage;
pub mod ingress;
pub mod minio;
pub mod postgres;
pub mod scaling;
pub mod secrets;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, HTTPGetAction, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Service, ServicePort,
    ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crd::{ImageUploadStack, RetentionPolicy, SecretKeyRef, ServiceExposure, ServiceType};

/// The one field manager every server-side apply uses.
pub const FIELD_MANAGER: &str = "imgup-operator";
/// The field manager that holds a Deployment's replica count for the moment
/// between the operator's letting go of it (autoscaling turned on) and the
/// autoscaler's first scaling. Without it, the apply that leaves `replicas`
/// out would remove the field, and the API server would default it to 1:
/// every pod but one gone until the autoscaler scales up again. This is the
/// hand-over that Kubernetes' server-side apply documentation describes
/// ("Transferring ownership"); the autoscaler's first change of the count
/// takes the field from it.
pub const REPLICAS_HANDOVER_MANAGER: &str = "imgup-operator-replicas-handover";
/// Hash of the object as the operator last applied it; equal means "no write".
pub const SPEC_HASH_ANNOTATION: &str = "imgup.dev/spec-hash";
/// Hash of the config and secret content a pod template consumes; a change
/// rolls the Deployment or StatefulSet.
pub const CONFIG_HASH_ANNOTATION: &str = "imgup.dev/config-hash";

/// The annotations that Prometheus' Kubernetes pod discovery (and the
/// community charts' scrape configs) read: scrape this pod's `/metrics` on
/// `port`.
pub fn scrape_annotations(port: i32) -> [(String, String); 3] {
    [
        ("prometheus.io/scrape".into(), "true".into()),
        ("prometheus.io/port".into(), port.to_string()),
        ("prometheus.io/path".into(), "/metrics".into()),
    ]
}

pub const API_PORT: i32 = 8080;
pub const AUTH_PORT: i32 = 8001;
pub const POSTGRES_PORT: i32 = 5432;
pub const MINIO_PORT: i32 = 9000;
pub const MINIO_CONSOLE_PORT: i32 = 9001;

/// Secret contents the builders may read (for the config hash), by Secret
/// name then key.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub secrets: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

impl Inputs {
    pub fn value(&self, r: &SecretKeyRef) -> Option<&[u8]> {
        self.secrets
            .get(&r.name)
            .and_then(|d| d.get(&r.key))
            .map(Vec::as_slice)
    }
}

/// One object the operator wants in the cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Desired {
    ConfigMap(ConfigMap),
    Service(Service),
    StatefulSet(StatefulSet),
    Deployment(Deployment),
    Job(Job),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    PodDisruptionBudget(PodDisruptionBudget),
    Ingress(Ingress),
}

impl Desired {
    pub fn kind(&self) -> &'static str {
        match self {
            Desired::ConfigMap(_) => "ConfigMap",
            Desired::Service(_) => "Service",
            Desired::StatefulSet(_) => "StatefulSet",
            Desired::Deployment(_) => "Deployment",
            Desired::Job(_) => "Job",
            Desired::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Desired::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Desired::Ingress(_) => "Ingress",
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Desired::ConfigMap(o) => &o.metadata,
            Desired::Service(o) => &o.metadata,
            Desired::StatefulSet(o) => &o.metadata,
            Desired::Deployment(o) => &o.metadata,
            Desired::Job(o) => &o.metadata,
            Desired::HorizontalPodAutoscaler(o) => &o.metadata,
            Desired::PodDisruptionBudget(o) => &o.metadata,
            Desired::Ingress(o) => &o.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Desired::ConfigMap(o) => serde_json::to_value(o),
            Desired::Service(o) => serde_json::to_value(o),
            Desired::StatefulSet(o) => serde_json::to_value(o),
            Desired::Deployment(o) => serde_json::to_value(o),
            Desired::Job(o) => serde_json::to_value(o),
            Desired::HorizontalPodAutoscaler(o) => serde_json::to_value(o),
            Desired::PodDisruptionBudget(o) => serde_json::to_value(o),
            Desired::Ingress(o) => serde_json::to_value(o),
        };
        v.expect("k8s-openapi objects always serialize")
    }
}

/// Every object the stack needs (besides the generated Secret), in the order
/// they are applied: config first, data stores, buckets, the services, and
/// last the Ingress in front of them.
pub fn desired_objects(stack: &ImageUploadStack, inputs: &Inputs) -> Vec<Desired> {
    let mut out = vec![
        Desired::ConfigMap(config::api_config_map(stack)),
        Desired::ConfigMap(config::auth_config_map(stack)),
    ];
    if let Some((svc, sts)) = postgres::objects(stack, inputs) {
        out.push(Desired::Service(svc));
        out.push(Desired::StatefulSet(sts));
    }
    if let Some((svc, sts)) = minio::objects(stack, inputs) {
        out.push(Desired::Service(svc));
        out.push(Desired::StatefulSet(sts));
    }
    if let Some((cm, svc, sts)) = garage::objects(stack, inputs) {
        out.push(Desired::ConfigMap(cm));
        out.push(Desired::Service(svc));
        out.push(Desired::StatefulSet(sts));
    } else {
        // Garage's buckets are made through its admin API, not by a Job.
        out.push(Desired::Job(buckets::job(stack)));
    }
    out.push(Desired::Deployment(api::deployment(stack, inputs)));
    out.push(Desired::Service(api::service(stack)));
    push_scaling(&mut out, stack, api::scaling(stack));
    out.push(Desired::Deployment(auth::deployment(stack, inputs)));
    out.push(Desired::Service(auth::service(stack)));
    push_scaling(&mut out, stack, auth::scaling(stack));
    out.extend(ingress::ingress(stack).map(Desired::Ingress));
    out.into_iter().map(with_spec_hash).collect()
}

/// A component's autoscaler and disruption budget, where it has them.
fn push_scaling(out: &mut Vec<Desired>, stack: &ImageUploadStack, s: scaling::Scaling<'_>) {
    out.extend(scaling::horizontal_pod_autoscaler(stack, s).map(Desired::HorizontalPodAutoscaler));
    out.extend(scaling::pod_disruption_budget(stack, s).map(Desired::PodDisruptionBudget));
}

/// The kinds of object a stack has only under some specs (in-cluster
/// Postgres or MinIO, autoscaling, more than one pod, an Ingress): the ones
/// a changed spec can leave behind, and which the operator therefore
/// prunes. The kinds every stack always has (ConfigMaps, Deployments) are
/// never pruned; old bucket Jobs go their own way.
pub const OPTIONAL_KINDS: &[&str] = &[
    "Service",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
];

/// `<stack>-<suffix>`.
pub fn child_name(stack: &ImageUploadStack, suffix: &str) -> String {
    format!("{}-{}", stack.name_any(), suffix)
}

/// Labels that select a component's pods (immutable once applied).
pub fn selector_labels(stack: &ImageUploadStack, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            format!("imgup-{component}"),
        ),
        ("app.kubernetes.io/instance".to_string(), stack.name_any()),
    ])
}

/// The recommended `app.kubernetes.io/*` labels.
pub fn labels(stack: &ImageUploadStack, component: &str) -> BTreeMap<String, String> {
    let mut l = selector_labels(stack, component);
    l.insert("app.kubernetes.io/component".into(), component.into());
    l.insert("app.kubernetes.io/part-of".into(), "imgup".into());
    l.insert("app.kubernetes.io/managed-by".into(), FIELD_MANAGER.into());
    l
}

/// Label selector string matching everything the operator made for a stack.
pub fn stack_selector(stack: &ImageUploadStack) -> String {
    format!(
        "app.kubernetes.io/instance={},app.kubernetes.io/managed-by={}",
        stack.name_any(),
        FIELD_MANAGER
    )
}

/// The stack as its objects' controller. Like controller-runtime's
/// `SetControllerReference`, it blocks the stack's foreground deletion until
/// the object is gone (which needs `update` on `imageuploadstacks/finalizers`
/// where the OwnerReferencesPermissionEnforcement admission plugin is on).
pub fn owner_ref(stack: &ImageUploadStack) -> OwnerReference {
    OwnerReference {
        block_owner_deletion: Some(true),
        ..stack
            .controller_owner_ref(&())
            .expect("a stack read from the API server has a name and uid")
    }
}

/// Puts the stack's pod placement (`spec.pods`) on a pod.
pub fn place(stack: &ImageUploadStack, pod: &mut PodSpec) {
    let pods = &stack.spec.pods;
    pod.image_pull_secrets =
        (!pods.image_pull_secrets.is_empty()).then(|| pods.image_pull_secrets.clone());
    pod.node_selector = (!pods.node_selector.is_empty()).then(|| pods.node_selector.clone());
    pod.tolerations = (!pods.tolerations.is_empty()).then(|| pods.tolerations.clone());
    pod.affinity = pods.affinity.clone();
}

/// A pod template's annotations: the stack's `spec.pods.annotations`, then
/// the operator's own on top.
pub fn template_annotations(
    stack: &ImageUploadStack,
    ours: impl IntoIterator<Item = (String, String)>,
) -> Option<BTreeMap<String, String>> {
    let mut all = stack.spec.pods.annotations.clone();
    all.extend(ours);
    (!all.is_empty()).then_some(all)
}

/// Metadata of an object owned (and garbage-collected) with the stack.
pub fn owned_meta(stack: &ImageUploadStack, component: &str, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: stack.namespace(),
        labels: Some(labels(stack, component)),
        owner_references: Some(vec![owner_ref(stack)]),
        ..ObjectMeta::default()
    }
}

/// sha256 of a value's JSON, hex.
pub fn hash_json<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).expect("serializable");
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn with_spec_hash(d: Desired) -> Desired {
    fn stamp<T: Serialize>(mut o: T, meta: fn(&mut T) -> &mut ObjectMeta) -> T {
        let h = hash_json(&o);
        meta(&mut o)
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(SPEC_HASH_ANNOTATION.into(), h);
        o
    }
    match d {
        Desired::ConfigMap(o) => Desired::ConfigMap(stamp(o, |o| &mut o.metadata)),
        Desired::Service(o) => Desired::Service(stamp(o, |o| &mut o.metadata)),
        Desired::StatefulSet(o) => Desired::StatefulSet(stamp(o, |o| &mut o.metadata)),
        Desired::Deployment(o) => Desired::Deployment(stamp(o, |o| &mut o.metadata)),
        Desired::Job(o) => Desired::Job(stamp(o, |o| &mut o.metadata)),
        Desired::HorizontalPodAutoscaler(o) => {
            Desired::HorizontalPodAutoscaler(stamp(o, |o| &mut o.metadata))
        }
        Desired::PodDisruptionBudget(o) => {
            Desired::PodDisruptionBudget(stamp(o, |o| &mut o.metadata))
        }
        Desired::Ingress(o) => Desired::Ingress(stamp(o, |o| &mut o.metadata)),
    }
}

/// A plain `NAME=value` variable.
pub fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// A variable read from a Secret key.
pub fn env_secret(name: &str, r: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.name.clone(),
                key: r.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// The user's extra variables replace operator-set ones of the same name
/// (server-side apply rejects duplicate names in a list keyed by name).
pub fn merge_env(base: Vec<EnvVar>, extra: &[EnvVar]) -> Vec<EnvVar> {
    let mut out: Vec<EnvVar> = base
        .into_iter()
        .filter(|e| !extra.iter().any(|x| x.name == e.name))
        .collect();
    out.extend(extra.iter().cloned());
    out
}

/// Hash of everything a pod template consumes from outside its own spec:
/// the ConfigMap data and every Secret key its containers reference. Put on
/// the template as an annotation, so that changed content rolls the pods.
pub fn config_hash(config: &BTreeMap<String, String>, pod: &PodSpec, inputs: &Inputs) -> String {
    let mut h = Sha256::new();
    for (k, v) in config {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    for c in pod
        .containers
        .iter()
        .chain(pod.init_containers.iter().flatten())
    {
        for e in c.env.iter().flatten() {
            let Some(sel) = e
                .value_from
                .as_ref()
                .and_then(|f| f.secret_key_ref.as_ref())
            else {
                continue;
            };
            h.update(sel.name.as_bytes());
            h.update([0]);
            h.update(sel.key.as_bytes());
            h.update([0]);
            let r = SecretKeyRef {
                name: sel.name.clone(),
                key: sel.key.clone(),
            };
            h.update(inputs.value(&r).unwrap_or_default());
            h.update([0]);
        }
    }
    hex(&h.finalize())
}

/// Pod-level hardening shared by every workload.
pub fn pod_security(uid: i64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(uid),
        fs_group: Some(uid),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..PodSecurityContext::default()
    }
}

/// Container-level hardening: non-root, read-only root filesystem, no
/// privilege escalation, no capabilities.
pub fn container_security() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        ..SecurityContext::default()
    }
}

pub fn http_probe(path: &str, port: i32, period: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::Int(port),
            scheme: Some("HTTP".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        timeout_seconds: Some(2),
        ..Probe::default()
    }
}

/// Liveness on `/healthz`, readiness on `/readyz`, and a start-up allowance.
pub fn service_probes(mut c: Container, port: i32) -> Container {
    c.liveness_probe = Some(http_probe("/healthz", port, 10, 3));
    c.readiness_probe = Some(http_probe("/readyz", port, 5, 3));
    c.startup_probe = Some(http_probe("/healthz", port, 2, 30));
    c
}

/// A one-replica StatefulSet for `component` (Postgres, MinIO, Garage): the hardened
/// pod running `container` with `volumes`, and a `data` claim of `size` that
/// follows the stack's retention policy. The pod template carries the
/// config hash of `config` (the ConfigMap data the pod mounts, if any) and
/// of the Secret keys the container reads (its credentials), so that a change
/// of either rolls the pod.
#[allow(clippy::too_many_arguments)]
pub fn data_stateful_set(
    stack: &ImageUploadStack,
    component: &str,
    uid: i64,
    container: Container,
    volumes: Vec<Volume>,
    size: &str,
    storage_class: Option<&String>,
    config: &BTreeMap<String, String>,
    inputs: &Inputs,
) -> StatefulSet {
    let name = child_name(stack, component);
    let mut pod = PodSpec {
        security_context: Some(pod_security(uid)),
        automount_service_account_token: Some(false),
        containers: vec![container],
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    place(stack, &mut pod);
    let hash = config_hash(config, &pod, inputs);
    StatefulSet {
        metadata: owned_meta(stack, component, name.clone()),
        spec: Some(StatefulSetSpec {
            service_name: Some(name),
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(selector_labels(stack, component)),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(stack, component)),
                    annotations: template_annotations(
                        stack,
                        [(CONFIG_HASH_ANNOTATION.to_string(), hash)],
                    ),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            volume_claim_templates: Some(vec![data_claim(stack, component, size, storage_class)]),
            persistent_volume_claim_retention_policy: Some(claim_retention(stack)),
            ..StatefulSetSpec::default()
        }),
        status: None,
    }
}

/// The data volume claim of a StatefulSet, labelled so that the finalizer can
/// find the claims when the retention policy is `Delete`.
fn data_claim(
    stack: &ImageUploadStack,
    component: &str,
    size: &str,
    storage_class: Option<&String>,
) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("data".into()),
            labels: Some(labels(stack, component)),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: storage_class.cloned(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(size.into()),
                )])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }
}

/// Claims follow the stack's retention policy when the StatefulSet goes.
fn claim_retention(stack: &ImageUploadStack) -> StatefulSetPersistentVolumeClaimRetentionPolicy {
    let when_deleted = match stack.spec.retention {
        RetentionPolicy::Retain => "Retain",
        RetentionPolicy::Delete => "Delete",
    };
    StatefulSetPersistentVolumeClaimRetentionPolicy {
        when_deleted: Some(when_deleted.into()),
        when_scaled: Some("Retain".into()),
    }
}

/// An emptyDir volume and its mount (writable scratch space under a
/// read-only root filesystem).
pub fn scratch(name: &str, path: &str) -> (Volume, VolumeMount) {
    (
        Volume {
            name: name.into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        },
        VolumeMount {
            name: name.into(),
            mount_path: path.into(),
            ..VolumeMount::default()
        },
    )
}

/// The user's resources, or modest defaults that fit a laptop cluster.
pub fn resources_or(
    given: Option<&ResourceRequirements>,
    cpu: &str,
    memory: &str,
    memory_limit: &str,
) -> ResourceRequirements {
    given.cloned().unwrap_or_else(|| ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity(memory.into())),
        ])),
        limits: Some(BTreeMap::from([(
            "memory".to_string(),
            Quantity(memory_limit.into()),
        )])),
        claims: None,
    })
}

/// A Service port.
pub fn service_port(name: &str, port: i32, node_port: Option<i32>) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        node_port,
        ..ServicePort::default()
    }
}

/// A Service for a component, exposed as the spec asks.
pub fn component_service(
    stack: &ImageUploadStack,
    component: &str,
    exposure: &ServiceExposure,
    ports: Vec<ServicePort>,
) -> Service {
    let node_port_allowed = exposure.type_ != ServiceType::ClusterIP;
    let ports = ports
        .into_iter()
        .map(|mut p| {
            if !node_port_allowed {
                p.node_port = None;
            }
            p
        })
        .collect();
    Service {
        metadata: owned_meta(stack, component, child_name(stack, component)),
        spec: Some(ServiceSpec {
            type_: Some(exposure.type_.as_str().into()),
            selector: Some(selector_labels(stack, component)),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// What differs between the api and auth Deployments.
pub struct ServiceWorkload<'a> {
    pub component: &'a str,
    pub image: &'a str,
    /// `None` while an autoscaler sets the count.
    pub replicas: Option<i32>,
    pub resources: Option<&'a ResourceRequirements>,
    pub port: i32,
    pub config_map: String,
    pub config_data: BTreeMap<String, String>,
    pub env: Vec<EnvVar>,
    pub extra_env: &'a [EnvVar],
}

/// uid the service images run as.
pub const SERVICE_UID: i64 = 10001;

/// A hardened Deployment for one of imgup's own services: settings from its
/// ConfigMap, secrets as variables, probes on `/healthz` and `/readyz`, and
/// the config hash on the pod template.
pub fn service_deployment(
    stack: &ImageUploadStack,
    w: ServiceWorkload<'_>,
    inputs: &Inputs,
) -> Deployment {
    let (tmp_vol, tmp_mount) = scratch("tmp", "/tmp");
    let container = service_probes(
        Container {
            name: w.component.into(),
            image: Some(w.image.into()),
            image_pull_policy: Some("IfNotPresent".into()),
            env_from: Some(vec![EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: w.config_map,
                    optional: Some(false),
                }),
                ..EnvFromSource::default()
            }]),
            env: Some(merge_env(w.env, w.extra_env)),
            ports: Some(vec![ContainerPort {
                name: Some("http".into()),
                container_port: w.port,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            }]),
            resources: Some(resources_or(w.resources, "50m", "64Mi", "256Mi")),
            security_context: Some(container_security()),
            volume_mounts: Some(vec![tmp_mount]),
            ..Container::default()
        },
        w.port,
    );
    let mut pod = PodSpec {
        security_context: Some(pod_security(SERVICE_UID)),
        automount_service_account_token: Some(false),
        containers: vec![container],
        volumes: Some(vec![tmp_vol]),
        ..PodSpec::default()
    };
    place(stack, &mut pod);
    let hash = config_hash(&w.config_data, &pod, inputs);
    Deployment {
        metadata: owned_meta(stack, w.component, child_name(stack, w.component)),
        spec: Some(DeploymentSpec {
            replicas: w.replicas,
            revision_history_limit: Some(5),
            selector: LabelSelector {
                match_labels: Some(selector_labels(stack, w.component)),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(stack, w.component)),
                    annotations: template_annotations(
                        stack,
                        [(CONFIG_HASH_ANNOTATION.to_string(), hash)]
                            .into_iter()
                            .chain(scrape_annotations(w.port)),
                    ),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::crd::ImageUploadStackSpec;

    /// A stack as the API server hands it over: namespaced, with a uid.
    pub fn stack(spec: ImageUploadStackSpec) -> ImageUploadStack {
        let mut s = ImageUploadStack::new("demo", spec);
        s.metadata.namespace = Some("imgup".into());
        s.metadata.uid = Some("0c6e4f1a-0000-4000-8000-000000000001".into());
        s.metadata.generation = Some(1);
        s
    }

    pub fn env_value<'a>(c: &'a Container, name: &str) -> Option<&'a str> {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value.as_deref())
    }

    pub fn env_secret_ref(c: &Container, name: &str) -> Option<(String, String)> {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value_from.as_ref())
            .and_then(|f| f.secret_key_ref.as_ref())
            .map(|s| (s.name.clone(), s.key.clone()))
    }

    /// A fully hardened container: what the issue asks of every workload.
    pub fn assert_hardened(c: &Container) {
        let sc = c.security_context.as_ref().expect("security context");
        assert_eq!(sc.run_as_non_root, Some(true), "{} runs as root", c.name);
        assert_eq!(
            sc.read_only_root_filesystem,
            Some(true),
            "{} root fs writable",
            c.name
        );
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(
            sc.capabilities.as_ref().and_then(|c| c.drop.clone()),
            Some(vec!["ALL".to_string()])
        );
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::crd::ImageUploadStackSpec;

    #[test]
    fn labels_are_the_recommended_set_and_owner_is_the_stack() {
        let s = stack(ImageUploadStackSpec::default());
        let m = owned_meta(&s, "api", child_name(&s, "api"));
        let l = m.labels.unwrap();
        assert_eq!(l["app.kubernetes.io/name"], "imgup-api");
        assert_eq!(l["app.kubernetes.io/instance"], "demo");
        assert_eq!(l["app.kubernetes.io/component"], "api");
        assert_eq!(l["app.kubernetes.io/part-of"], "imgup");
        assert_eq!(l["app.kubernetes.io/managed-by"], "imgup-operator");
        let owner = &m.owner_references.unwrap()[0];
        assert_eq!(owner.kind, "ImageUploadStack");
        assert_eq!(owner.api_version, "imgup.dev/v1alpha1");
        assert_eq!(owner.name, "demo");
        assert_eq!(owner.controller, Some(true));
        assert_eq!(m.namespace.as_deref(), Some("imgup"));
    }

    #[test]
    fn every_pod_of_the_stack_gets_the_placement() {
        use k8s_openapi::api::core::v1::{LocalObjectReference, Toleration};
        let plain = stack(ImageUploadStackSpec::default());
        let mut placed = plain.clone();
        placed.spec.pods = crate::crd::PodPlacement {
            image_pull_secrets: vec![LocalObjectReference {
                name: "registry".into(),
            }],
            node_selector: BTreeMap::from([("disk".into(), "ssd".into())]),
            tolerations: vec![Toleration {
                key: Some("dedicated".into()),
                operator: Some("Exists".into()),
                ..Toleration::default()
            }],
            affinity: None,
            annotations: BTreeMap::from([
                ("team".into(), "images".into()),
                (CONFIG_HASH_ANNOTATION.into(), "mine".into()),
            ]),
        };
        let templates = |s: &ImageUploadStack| -> Vec<(String, PodTemplateSpec)> {
            desired_objects(s, &Inputs::default())
                .into_iter()
                .filter_map(|d| {
                    let name = format!("{}/{}", d.kind(), d.name());
                    let t = match d {
                        Desired::Deployment(o) => o.spec?.template,
                        Desired::StatefulSet(o) => o.spec?.template,
                        Desired::Job(o) => o.spec?.template,
                        _ => return None,
                    };
                    Some((name, t))
                })
                .collect()
        };
        let before = templates(&plain);
        let after = templates(&placed);
        assert_eq!(after.len(), 5, "api, auth, postgres, minio, buckets");
        for ((name, old), (_, new)) in before.iter().zip(&after) {
            let pod = new.spec.as_ref().unwrap();
            assert_eq!(
                pod.image_pull_secrets.as_ref().unwrap()[0].name,
                "registry",
                "{name}"
            );
            assert_eq!(pod.node_selector.as_ref().unwrap()["disk"], "ssd", "{name}");
            assert_eq!(pod.tolerations.as_ref().unwrap().len(), 1, "{name}");
            let notes = new.metadata.as_ref().unwrap().annotations.as_ref().unwrap();
            assert_eq!(notes["team"], "images", "{name}");
            if !name.starts_with("Job/") {
                let hash = |t: &PodTemplateSpec| {
                    t.metadata.as_ref().unwrap().annotations.as_ref().unwrap()
                        [CONFIG_HASH_ANNOTATION]
                        .clone()
                };
                assert_ne!(hash(new), "mine", "{name}: the operator's hash wins");
                assert_eq!(hash(old), hash(new), "{name}: the config is the same");
            }
            // A changed pod template is a rollout (and, for the Job, a new Job).
            assert_ne!(old.spec, new.spec, "{name}");
            assert!(
                old.spec.as_ref().unwrap().image_pull_secrets.is_none(),
                "{name}: nothing set by default"
            );
        }
    }

    #[test]
    fn extra_env_replaces_operator_env_of_the_same_name() {
        let base = vec![env("A", "1"), env("LOG_FORMAT", "json")];
        let merged = merge_env(base, &[env("LOG_FORMAT", "text"), env("B", "2")]);
        let names: Vec<_> = merged
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("A", Some("1")),
                ("LOG_FORMAT", Some("text")),
                ("B", Some("2"))
            ]
        );
    }

    #[test]
    fn every_object_carries_a_spec_hash_that_follows_the_spec() {
        let s = stack(ImageUploadStackSpec::default());
        let a = desired_objects(&s, &Inputs::default());
        let mut spec = ImageUploadStackSpec::default();
        spec.api.image = Some("ghcr.io/imgup/imgup-api:0.2.0".into());
        let b = desired_objects(&stack(spec), &Inputs::default());
        for (x, y) in a.iter().zip(&b) {
            let hx = &x.meta().annotations.as_ref().unwrap()[SPEC_HASH_ANNOTATION];
            let hy = &y.meta().annotations.as_ref().unwrap()[SPEC_HASH_ANNOTATION];
            assert_eq!(hx.len(), 64);
            if x.kind() == "Deployment" && x.name() == "demo-api" {
                assert_ne!(hx, hy, "api Deployment changed but hash did not");
            } else {
                assert_eq!(hx, hy, "{} {} changed without cause", x.kind(), x.name());
            }
        }
    }

    #[test]
    fn default_stack_has_config_data_stores_job_and_services() {
        let s = stack(ImageUploadStackSpec::default());
        let got: Vec<_> = desired_objects(&s, &Inputs::default())
            .iter()
            .map(|d| format!("{}/{}", d.kind(), d.name()))
            .collect();
        assert_eq!(got.len(), 11, "{got:?}");
        for want in [
            "ConfigMap/demo-api-config",
            "ConfigMap/demo-auth-config",
            "Service/demo-postgres",
            "StatefulSet/demo-postgres",
            "Service/demo-minio",
            "StatefulSet/demo-minio",
            "Deployment/demo-api",
            "Service/demo-api",
            "Deployment/demo-auth",
            "Service/demo-auth",
        ] {
            assert!(got.contains(&want.to_string()), "missing {want} in {got:?}");
        }
        assert!(got.iter().any(|g| g.starts_with("Job/demo-buckets-")));
    }

    #[test]
    fn autoscaling_brings_an_autoscaler_and_more_than_one_pod_a_disruption_budget() {
        let mut spec = ImageUploadStackSpec::default();
        spec.api.replicas = 3;
        spec.api.autoscaling = Some(crate::crd::Autoscaling {
            min_replicas: 2,
            max_replicas: 5,
            target_cpu_utilization_percentage: 80,
        });
        spec.auth.replicas = 2;
        let objects = desired_objects(&stack(spec), &Inputs::default());
        let got: Vec<_> = objects
            .iter()
            .map(|d| format!("{}/{}", d.kind(), d.name()))
            .collect();
        assert_eq!(got.len(), 14, "{got:?}");
        let after = |name: &str| got.iter().position(|g| g == name).unwrap();
        assert!(after("HorizontalPodAutoscaler/demo-api") > after("Deployment/demo-api"));
        assert!(after("PodDisruptionBudget/demo-api") > after("Deployment/demo-api"));
        assert!(after("PodDisruptionBudget/demo-auth") > after("Deployment/demo-auth"));
        assert!(!got.contains(&"HorizontalPodAutoscaler/demo-auth".to_string()));
        for d in &objects {
            assert_eq!(
                d.meta().annotations.as_ref().unwrap()[SPEC_HASH_ANNOTATION].len(),
                64,
                "{} {}",
                d.kind(),
                d.name()
            );
            if let Desired::Deployment(dep) = d {
                let want = if d.name() == "demo-api" {
                    None
                } else {
                    Some(2)
                };
                assert_eq!(dep.spec.as_ref().unwrap().replicas, want, "{}", d.name());
                assert!(
                    !d.to_json()["spec"]
                        .as_object()
                        .unwrap()
                        .contains_key("replicas")
                        || want.is_some(),
                    "an autoscaled Deployment's apply must not name replicas"
                );
            }
        }
        let default = desired_objects(&stack(ImageUploadStackSpec::default()), &Inputs::default());
        assert!(
            default
                .iter()
                .all(|d| !["HorizontalPodAutoscaler", "PodDisruptionBudget"].contains(&d.kind())),
            "one pod each: no autoscaler, no budget"
        );
    }

    #[test]
    fn config_hash_follows_referenced_secret_content_only() {
        let pod = PodSpec {
            containers: vec![Container {
                name: "c".into(),
                env: Some(vec![env_secret(
                    "X",
                    &SecretKeyRef {
                        name: "s".into(),
                        key: "k".into(),
                    },
                )]),
                ..Container::default()
            }],
            ..PodSpec::default()
        };
        let cfg = BTreeMap::from([("A".to_string(), "1".to_string())]);
        let mut inputs = Inputs::default();
        inputs.secrets.insert(
            "s".into(),
            BTreeMap::from([
                ("k".into(), b"v1".to_vec()),
                ("other".into(), b"o".to_vec()),
            ]),
        );
        let h1 = config_hash(&cfg, &pod, &inputs);
        inputs
            .secrets
            .get_mut("s")
            .unwrap()
            .insert("other".into(), b"changed".to_vec());
        assert_eq!(
            h1,
            config_hash(&cfg, &pod, &inputs),
            "unreferenced key moved the hash"
        );
        inputs
            .secrets
            .get_mut("s")
            .unwrap()
            .insert("k".into(), b"v2".to_vec());
        let h2 = config_hash(&cfg, &pod, &inputs);
        assert_ne!(h1, h2, "referenced secret changed but hash did not");
        let cfg2 = BTreeMap::from([("A".to_string(), "2".to_string())]);
        assert_ne!(
            h2,
            config_hash(&cfg2, &pod, &inputs),
            "config changed but hash did not"
        );
    }
}
