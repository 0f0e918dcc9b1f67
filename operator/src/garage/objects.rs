//! What is particular to a single-node Garage: `garage.toml`, and its
//! container (metadata and blocks under `/var/lib/garage`, S3 on 3900, the
//! admin API on 3903). `resources::garage` puts them in the stack's
//! ConfigMap, StatefulSet and Service with the builders every store shares.
//!
//! Secrets stay out of the config file: the pod reads `GARAGE_RPC_SECRET`
//! and `GARAGE_ADMIN_TOKEN` (Garage reads both from the environment) from the
//! stack's Secret, keys [`RPC_SECRET_KEY`] and [`ADMIN_TOKEN_KEY`].

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, Probe, ResourceRequirements, TCPSocketAction,
    Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{ADMIN_PORT, DEFAULT_REGION, RPC_PORT, S3_PORT};
use crate::crd::SecretKeyRef;
use crate::resources::{container_security, env, env_secret, resources_or};

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
pub const UID: i64 = 1000;

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
fn port(name: &str, port: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: port.into(),
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
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

/// The Garage container: `garage server` on the config the volume
/// [`config_volume`] mounts, its secrets from `secret` (a Secret name), the
/// data claim `data` on [`DATA_MOUNT`].
pub fn container(image: &str, secret: &str, resources: Option<&ResourceRequirements>) -> Container {
    let key = |key: &str| SecretKeyRef {
        name: secret.into(),
        key: key.into(),
    };
    Container {
        name: COMPONENT.into(),
        image: Some(image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/garage".into()]),
        args: Some(
            ["-c", &format!("{CONFIG_DIR}/{CONFIG_KEY}"), "server"]
                .map(String::from)
                .to_vec(),
        ),
        env: Some(vec![
            env_secret("GARAGE_RPC_SECRET", &key(RPC_SECRET_KEY)),
            env_secret("GARAGE_ADMIN_TOKEN", &key(ADMIN_TOKEN_KEY)),
            env("RUST_LOG", "garage=info"),
        ]),
        ports: Some(vec![
            port("s3", S3_PORT),
            port("rpc", RPC_PORT),
            port("admin", ADMIN_PORT),
        ]),
        startup_probe: Some(tcp_probe(ADMIN_PORT, 2, 30)),
        liveness_probe: Some(tcp_probe(ADMIN_PORT, 10, 3)),
        readiness_probe: Some(tcp_probe(S3_PORT, 5, 3)),
        resources: Some(resources_or(resources, "100m", "256Mi", "1Gi")),
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
    }
}

/// The volume holding `garage.toml`, from the ConfigMap `config_map`.
pub fn config_volume(config_map: &str) -> Volume {
    Volume {
        name: "config".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.into(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
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
        let text = config_toml(&ConfigParams::default());
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
    fn capacity_comes_from_the_quantity() {
        assert_eq!(capacity_bytes("10Gi"), Some(10 << 30));
        assert_eq!(capacity_bytes("500M"), Some(500_000_000));
        assert_eq!(capacity_bytes("1073741824"), Some(1 << 30));
        assert_eq!(capacity_bytes("1.5Gi"), None);
        assert_eq!(capacity_bytes("Gi"), None);
    }
}
