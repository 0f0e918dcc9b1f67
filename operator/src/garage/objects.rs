//! The objects of an in-cluster, single-node Garage: `garage.toml` (in a
//! ConfigMap), a one-replica StatefulSet with one data claim (metadata and
//! blocks under `/var/lib/garage`), and a Service for S3 (3900) and the admin
//! API (3903). Pure functions of [`GarageParams`]; the reconciler fills the
//! parameters from the stack.
//!
//! Secrets stay out of the config file: the pod reads `GARAGE_RPC_SECRET`
//! and `GARAGE_ADMIN_TOKEN` (Garage reads both from the environment) from the
//! Secret `secret_name`, keys [`RPC_SECRET_KEY`] and [`ADMIN_TOKEN_KEY`].

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecretKeySelector, Service, ServicePort, ServiceSpec, TCPSocketAction,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::{Digest, Sha256};

use super::{ADMIN_PORT, DEFAULT_REGION, RPC_PORT, S3_PORT};
use crate::resources::{CONFIG_HASH_ANNOTATION, container_security, pod_security};

/// The Garage image: the newest `dxflrs/garage` release whose tag and
/// multi-arch index digest are published on Docker Hub (seen with
/// `docker buildx imagetools inspect dxflrs/garage:v2.4.1`). The tests run
/// crates.io `garage` 2.5.0, the same admin API v2.
pub const IMAGE: &str =
    "dxflrs/garage:v2.4.1@sha256:9c96caa2612d3411acc5b0e6701fb238dbfba33e533a6d7d3d811a4b12d0d020";
pub const COMPONENT: &str = "garage";
/// Key of the RPC secret (64 hex digits) in the Secret.
pub const RPC_SECRET_KEY: &str = "garage-rpc-secret";
/// Key of the admin token in the Secret.
pub const ADMIN_TOKEN_KEY: &str = "garage-admin-token";
/// Key of `garage.toml` in the ConfigMap.
pub const CONFIG_KEY: &str = "garage.toml";
const CONFIG_DIR: &str = "/etc/garage";
const DATA_MOUNT: &str = "/var/lib/garage";
/// The image is `FROM scratch` with `/garage`; any uid works.
const UID: i64 = 1000;

/// What `garage.toml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParams {
    pub metadata_dir: String,
    pub data_dir: String,
    /// `sqlite` (survives unclean shutdowns, as pods see them) or `lmdb`.
    pub db_engine: String,
    pub rpc_bind_addr: String,
    pub rpc_public_addr: Option<String>,
    pub s3_bind_addr: String,
    pub admin_bind_addr: String,
    /// SigV4 region; clients must sign with the same.
    pub region: String,
    /// Suffix for virtual-host-style buckets (`<bucket><root_domain>`);
    /// `None`: path style only.
    pub root_domain: Option<String>,
}

impl Default for ConfigParams {
    /// The pod's config: everything on the data volume, all APIs on `[::]`.
    fn default() -> Self {
        Self {
            metadata_dir: format!("{DATA_MOUNT}/meta"),
            data_dir: format!("{DATA_MOUNT}/data"),
            db_engine: "sqlite".into(),
            rpc_bind_addr: format!("[::]:{RPC_PORT}"),
            rpc_public_addr: None,
            s3_bind_addr: format!("[::]:{S3_PORT}"),
            admin_bind_addr: format!("[::]:{ADMIN_PORT}"),
            region: DEFAULT_REGION.into(),
            root_domain: None,
        }
    }
}

/// A TOML basic string (JSON's escapes are valid TOML ones).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// `garage.toml` for a single node (replication factor 1).
pub fn config_toml(p: &ConfigParams) -> String {
    let mut t = String::from(
        "# Garage, one node (written by imgup-operator). The RPC secret and the\n\
         # admin token come from GARAGE_RPC_SECRET and GARAGE_ADMIN_TOKEN.\n",
    );
    t.push_str(&format!("metadata_dir = {}\n", q(&p.metadata_dir)));
    t.push_str(&format!("data_dir = {}\n", q(&p.data_dir)));
    t.push_str(&format!("db_engine = {}\n", q(&p.db_engine)));
    t.push_str("metadata_auto_snapshot_interval = \"6h\"\n");
    t.push_str("replication_factor = 1\n");
    t.push_str("consistency_mode = \"consistent\"\n");
    t.push_str(&format!("rpc_bind_addr = {}\n", q(&p.rpc_bind_addr)));
    if let Some(a) = &p.rpc_public_addr {
        t.push_str(&format!("rpc_public_addr = {}\n", q(a)));
    }
    t.push_str("\n[s3_api]\n");
    t.push_str(&format!("s3_region = {}\n", q(&p.region)));
    t.push_str(&format!("api_bind_addr = {}\n", q(&p.s3_bind_addr)));
    if let Some(d) = &p.root_domain {
        t.push_str(&format!("root_domain = {}\n", q(d)));
    }
    t.push_str("\n[admin]\n");
    t.push_str(&format!("api_bind_addr = {}\n", q(&p.admin_bind_addr)));
    t
}

/// Everything the Kubernetes objects need, explicitly.
#[derive(Debug, Clone, PartialEq)]
pub struct GarageParams {
    /// Name of the StatefulSet, Service and ConfigMap (`<stack>-garage`).
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub selector_labels: BTreeMap<String, String>,
    pub owner_references: Vec<OwnerReference>,
    /// Extra pod template annotations (e.g. a hash of the Secret's content).
    pub pod_annotations: BTreeMap<String, String>,
    pub image: String,
    /// Size of the data claim, a Kubernetes quantity.
    pub size: String,
    pub storage_class_name: Option<String>,
    /// `Retain` or `Delete`: the claim when the StatefulSet goes.
    pub claim_retention: String,
    /// Holds [`RPC_SECRET_KEY`] and [`ADMIN_TOKEN_KEY`].
    pub secret_name: String,
    pub region: String,
    pub root_domain: Option<String>,
    pub resources: Option<ResourceRequirements>,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    pub service_type: String,
    pub s3_node_port: Option<i32>,
}

impl GarageParams {
    /// Defaults for stack `stack` in `namespace`, with imgup's labels.
    pub fn new(stack: &str, namespace: &str) -> Self {
        let name = format!("{stack}-{COMPONENT}");
        let selector_labels = BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                format!("imgup-{COMPONENT}"),
            ),
            ("app.kubernetes.io/instance".to_string(), stack.to_string()),
        ]);
        let mut labels = selector_labels.clone();
        labels.insert("app.kubernetes.io/component".into(), COMPONENT.into());
        labels.insert("app.kubernetes.io/part-of".into(), "imgup".into());
        labels.insert(
            "app.kubernetes.io/managed-by".into(),
            crate::resources::FIELD_MANAGER.into(),
        );
        Self {
            secret_name: format!("{stack}-generated"),
            name,
            namespace: namespace.into(),
            labels,
            selector_labels,
            owner_references: Vec::new(),
            pod_annotations: BTreeMap::new(),
            image: IMAGE.into(),
            size: "10Gi".into(),
            storage_class_name: None,
            claim_retention: "Retain".into(),
            region: DEFAULT_REGION.into(),
            root_domain: None,
            resources: None,
            service_type: "ClusterIP".into(),
            s3_node_port: None,
        }
    }

    /// The pod's `garage.toml` parameters.
    pub fn config(&self) -> ConfigParams {
        ConfigParams {
            region: self.region.clone(),
            root_domain: self.root_domain.clone(),
            ..ConfigParams::default()
        }
    }

    /// The admin API inside the cluster (for [`super::setup`]).
    pub fn admin_url(&self) -> String {
        format!("http://{}.{}.svc:{ADMIN_PORT}", self.name, self.namespace)
    }

    /// The S3 endpoint inside the cluster (path style).
    pub fn s3_endpoint(&self) -> String {
        format!("http://{}.{}.svc:{S3_PORT}", self.name, self.namespace)
    }

    fn meta(&self, name: String) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels.clone()),
            owner_references: (!self.owner_references.is_empty())
                .then(|| self.owner_references.clone()),
            ..ObjectMeta::default()
        }
    }
}

/// The node's capacity for the layout from a Kubernetes quantity
/// (`10Gi`, `500M`, `1073741824`); `None` when it is not one of those forms.
pub fn capacity_bytes(quantity: &str) -> Option<u64> {
    let q = quantity.trim();
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match suffix {
        "" => 1,
        "k" => 1000,
        "M" => 1000u64.pow(2),
        "G" => 1000u64.pow(3),
        "T" => 1000u64.pow(4),
        "P" => 1000u64.pow(5),
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The ConfigMap with `garage.toml`.
pub fn config_map(p: &GarageParams) -> ConfigMap {
    ConfigMap {
        metadata: p.meta(p.name.clone()),
        data: Some(BTreeMap::from([(
            CONFIG_KEY.to_string(),
            config_toml(&p.config()),
        )])),
        ..ConfigMap::default()
    }
}

fn port(name: &str, port: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: port.into(),
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    }
}

fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.into(),
                key: key.into(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

/// TCP probes: `/health` answers 503 until the operator's setup applied a
/// layout, and the setup reaches the pod through the Service, so readiness
/// cannot wait for it.
fn tcp_probe(port: u16, period: i32, failures: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(port.into()),
            host: None,
        }),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        timeout_seconds: Some(2),
        ..Probe::default()
    }
}

fn default_resources() -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity("100m".into())),
            ("memory".to_string(), Quantity("256Mi".into())),
        ])),
        limits: Some(BTreeMap::from([(
            "memory".to_string(),
            Quantity("1Gi".into()),
        )])),
        ..ResourceRequirements::default()
    }
}

/// The one-replica StatefulSet. Its pod template carries a hash of
/// `garage.toml`, so a changed config rolls the pod.
pub fn stateful_set(p: &GarageParams) -> StatefulSet {
    let config = config_toml(&p.config());
    let mut annotations = p.pod_annotations.clone();
    annotations.insert(
        CONFIG_HASH_ANNOTATION.into(),
        hex::encode(Sha256::digest(config.as_bytes())),
    );
    let container = Container {
        name: COMPONENT.into(),
        image: Some(p.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/garage".into()]),
        args: Some(
            ["-c", &format!("{CONFIG_DIR}/{CONFIG_KEY}"), "server"]
                .map(String::from)
                .to_vec(),
        ),
        env: Some(vec![
            secret_env("GARAGE_RPC_SECRET", &p.secret_name, RPC_SECRET_KEY),
            secret_env("GARAGE_ADMIN_TOKEN", &p.secret_name, ADMIN_TOKEN_KEY),
            EnvVar {
                name: "RUST_LOG".into(),
                value: Some("garage=info".into()),
                ..EnvVar::default()
            },
        ]),
        ports: Some(vec![
            port("s3", S3_PORT),
            port("rpc", RPC_PORT),
            port("admin", ADMIN_PORT),
        ]),
        startup_probe: Some(tcp_probe(ADMIN_PORT, 2, 30)),
        liveness_probe: Some(tcp_probe(ADMIN_PORT, 10, 3)),
        readiness_probe: Some(tcp_probe(S3_PORT, 5, 3)),
        resources: Some(p.resources.clone().unwrap_or_else(default_resources)),
        security_context: Some(container_security()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: DATA_MOUNT.into(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "config".into(),
                mount_path: CONFIG_DIR.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    let pod = PodSpec {
        security_context: Some(pod_security(UID)),
        automount_service_account_token: Some(false),
        containers: vec![container],
        volumes: Some(vec![Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: p.name.clone(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        }]),
        ..PodSpec::default()
    };
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("data".into()),
            labels: Some(p.labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: p.storage_class_name.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(p.size.clone()),
                )])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    };
    StatefulSet {
        metadata: p.meta(p.name.clone()),
        spec: Some(StatefulSetSpec {
            service_name: Some(p.name.clone()),
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(p.selector_labels.clone()),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(p.labels.clone()),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            volume_claim_templates: Some(vec![claim]),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some(p.claim_retention.clone()),
                    when_scaled: Some("Retain".into()),
                },
            ),
            ..StatefulSetSpec::default()
        }),
        status: None,
    }
}

/// The Service: S3 (with the node port when the type allows one) and the
/// admin API (never a node port; the token guards it, the operator uses it).
pub fn service(p: &GarageParams) -> Service {
    let node_port = if p.service_type == "ClusterIP" {
        None
    } else {
        p.s3_node_port
    };
    let svc_port = |name: &str, port: u16, node_port: Option<i32>| ServicePort {
        name: Some(name.into()),
        port: port.into(),
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        node_port,
        ..ServicePort::default()
    };
    Service {
        metadata: p.meta(p.name.clone()),
        spec: Some(ServiceSpec {
            type_: Some(p.service_type.clone()),
            selector: Some(p.selector_labels.clone()),
            ports: Some(vec![
                svc_port("s3", S3_PORT, node_port),
                svc_port("admin", ADMIN_PORT, None),
            ]),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> toml::Table {
        text.parse::<toml::Table>().expect("garage.toml is TOML")
    }

    #[test]
    fn pod_config_is_single_node_on_the_volume_without_secrets() {
        let text = config_toml(&GarageParams::new("demo", "imgup").config());
        let t = parse(&text);
        assert_eq!(t["metadata_dir"].as_str(), Some("/var/lib/garage/meta"));
        assert_eq!(t["data_dir"].as_str(), Some("/var/lib/garage/data"));
        assert_eq!(t["db_engine"].as_str(), Some("sqlite"));
        assert_eq!(t["replication_factor"].as_integer(), Some(1));
        assert_eq!(t["rpc_bind_addr"].as_str(), Some("[::]:3901"));
        assert_eq!(t["s3_api"]["s3_region"].as_str(), Some("us-east-1"));
        assert_eq!(t["s3_api"]["api_bind_addr"].as_str(), Some("[::]:3900"));
        assert!(t["s3_api"].get("root_domain").is_none());
        assert_eq!(t["admin"]["api_bind_addr"].as_str(), Some("[::]:3903"));
        for secret in ["rpc_secret", "admin_token"] {
            assert!(!text.contains(secret), "{secret} in the file:\n{text}");
        }
    }

    #[test]
    fn config_strings_are_escaped_and_options_appear_when_set() {
        let p = ConfigParams {
            metadata_dir: r#"/tmp/a "quoted" \dir"#.into(),
            root_domain: Some(".s3.example.test".into()),
            rpc_public_addr: Some("10.0.0.1:3901".into()),
            region: "eu-west-3".into(),
            ..ConfigParams::default()
        };
        let t = parse(&config_toml(&p));
        assert_eq!(t["metadata_dir"].as_str(), Some(p.metadata_dir.as_str()));
        assert_eq!(t["rpc_public_addr"].as_str(), Some("10.0.0.1:3901"));
        assert_eq!(
            t["s3_api"]["root_domain"].as_str(),
            Some(".s3.example.test")
        );
        assert_eq!(t["s3_api"]["s3_region"].as_str(), Some("eu-west-3"));
    }

    #[test]
    fn statefulset_reads_secrets_from_env_and_mounts_config_and_volume() {
        let mut p = GarageParams::new("demo", "imgup");
        p.storage_class_name = Some("fast".into());
        let sts = stateful_set(&p);
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
        let env = c.env.as_ref().unwrap();
        let from = |n: &str| {
            let e = env.iter().find(|e| e.name == n).unwrap();
            let r = e
                .value_from
                .as_ref()
                .unwrap()
                .secret_key_ref
                .as_ref()
                .unwrap();
            (r.name.clone(), r.key.clone())
        };
        assert_eq!(
            from("GARAGE_RPC_SECRET"),
            ("demo-generated".into(), RPC_SECRET_KEY.into())
        );
        assert_eq!(
            from("GARAGE_ADMIN_TOKEN"),
            ("demo-generated".into(), ADMIN_TOKEN_KEY.into())
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
        let mut p = GarageParams::new("demo", "imgup");
        p.s3_node_port = Some(30900);
        let ports = service(&p).spec.unwrap().ports.unwrap();
        assert_eq!((ports[0].port, ports[1].port), (3900, 3903));
        assert!(ports.iter().all(|x| x.node_port.is_none()));
        p.service_type = "NodePort".into();
        let ports = service(&p).spec.unwrap().ports.unwrap();
        assert_eq!(ports[0].node_port, Some(30900));
        assert_eq!(ports[1].node_port, None);
        assert_eq!(p.admin_url(), "http://demo-garage.imgup.svc:3903");
        let cm = config_map(&p);
        assert!(cm.data.unwrap()[CONFIG_KEY].contains("replication_factor = 1"));
    }

    #[test]
    fn capacity_comes_from_the_quantity() {
        assert_eq!(capacity_bytes("10Gi"), Some(10 << 30));
        assert_eq!(capacity_bytes("500M"), Some(500_000_000));
        assert_eq!(capacity_bytes("1073741824"), Some(1 << 30));
        assert_eq!(capacity_bytes("1.5Gi"), None);
        assert_eq!(capacity_bytes("Gi"), None);
    }
}
