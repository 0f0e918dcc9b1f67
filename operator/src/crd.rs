//! The `ImageUploadStack` custom resource (`imgup.dev/v1alpha1`).
//!
//! Every field has a default that runs out of the box: an empty `spec: {}`
//! gives a stack with in-cluster Postgres and MinIO, one api and one auth
//! replica, and the contract's upload policy.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, LocalObjectReference, ResourceRequirements, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Group, version and the finalizer name the operator owns.
pub const GROUP: &str = "imgup.dev";
pub const VERSION: &str = "v1alpha1";
pub const FINALIZER: &str = "imgup.dev/cleanup";

/// Default images, applied when a stack's image field is unset: at reconcile
/// time, never written into the CRD's schema, so that a newer operator's
/// defaults reach existing stacks. The tags are pinned (not `latest`) so that
/// an image loaded into kind is used as is (`IfNotPresent`). MinIO's images
/// are the archived community builds on quay.io (Docker Hub's `minio/*` are
/// gone since September 2026), the same ones compose runs.
pub const DEFAULT_API_IMAGE: &str = "ghcr.io/imgup/imgup-api:0.1.0";
pub const DEFAULT_AUTH_IMAGE: &str = "ghcr.io/imgup/imgup-auth:0.1.0";
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:17.6";
pub const DEFAULT_MINIO_IMAGE: &str = "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z";
pub const DEFAULT_MC_IMAGE: &str = "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z";
/// The pinned Garage image (by digest).
pub const DEFAULT_GARAGE_IMAGE: &str = crate::garage::objects::IMAGE;

/// Defaults of earlier releases that the CRD's schema wrote into every stack
/// at creation; such a value is read as "unset" and gets today's default.
const EARLIER_DEFAULTS: &[&str] = &[
    "minio/minio:RELEASE.2025-04-22T22-12-26Z",
    "minio/mc:RELEASE.2025-04-16T18-13-26Z",
];

/// The image a stack names, or `default` when it names none (or one of the
/// earlier releases' defaults).
fn image_or<'a>(image: &'a Option<String>, default: &'a str) -> &'a str {
    match image.as_deref() {
        Some(image) if !EARLIER_DEFAULTS.contains(&image) => image,
        _ => default,
    }
}

/// The whole imgup platform in one namespace.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "imgup.dev",
    version = "v1alpha1",
    kind = "ImageUploadStack",
    plural = "imageuploadstacks",
    singular = "imageuploadstack",
    shortname = "ius",
    category = "imgup",
    namespaced,
    status = "ImageUploadStackStatus",
    derive = "PartialEq",
    doc = "An imgup platform: api, auth, Postgres and S3 storage wired together",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"API","type":"string","priority":1,"jsonPath":".status.endpoints.api"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 43").message("the stack's name must start with a letter, hold only lowercase letters, digits and '-', and be at most 43 characters: the names of its objects are made from it"),
)]
#[serde(rename_all = "camelCase")]
pub struct ImageUploadStackSpec {
    /// The upload API Deployment.
    #[serde(default)]
    pub api: ApiSpec,
    /// The auth service Deployment and its OAuth settings.
    #[serde(default)]
    pub auth: AuthSpec,
    /// Object storage: in-cluster MinIO (the default), in-cluster Garage or
    /// an external S3.
    #[serde(default)]
    pub storage: StorageSpec,
    /// The database: in-cluster Postgres (the default) or an external one.
    #[serde(default)]
    pub database: DatabaseSpec,
    /// Buckets and the CORS rules that let browsers PUT to presigned URLs.
    #[serde(default)]
    pub buckets: BucketsSpec,
    /// The upload policy the API enforces.
    #[serde(default)]
    pub policy: PolicySpec,
    /// An external Redis that holds both services' rate-limit counters, so
    /// that every replica shares one limit (`REDIS_URL`). Unset: each replica
    /// counts in memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisSpec>,
    /// What happens to data volumes and generated secrets when the stack is
    /// deleted: `Retain` (the default) keeps them, `Delete` removes them.
    #[serde(default)]
    pub retention: RetentionPolicy,
    /// How every pod of the stack (api, auth, Postgres, MinIO, the bucket
    /// job) is pulled, placed and annotated.
    #[serde(default, skip_serializing_if = "PodPlacement::is_empty")]
    pub pods: PodPlacement,
    /// One Ingress (`networking.k8s.io/v1`, named like the stack) routing a
    /// host each to the api, auth and the in-cluster MinIO. Unset: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
}

/// A DNS name as an Ingress host takes it: lowercase labels of letters,
/// digits and `-`, the last one starting with a letter (no IP address, no
/// wildcard: the host is also the services' public URL).
pub const HOST_PATTERN: &str =
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

/// The stack's Ingress: a rule per host, each to its component's Service
/// (path `/`, prefix). With `tlsSecretName`, TLS for every host from that
/// Secret, and the public URLs the operator derives from the hosts
/// (`auth.publicUrl`, MinIO's `publicEndpoint`, the status' endpoints) use
/// `https://`; without, `http://`. A URL the spec sets itself wins.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[x_kube(
    validation = Rule::new("has(self.apiHost) || has(self.authHost) || has(self.s3Host)").message("ingress: name at least one of apiHost, authHost and s3Host"),
    validation = Rule::new("!(has(self.apiHost) && has(self.authHost) && self.apiHost == self.authHost) && !(has(self.apiHost) && has(self.s3Host) && self.apiHost == self.s3Host) && !(has(self.authHost) && has(self.s3Host) && self.authHost == self.s3Host)").message("ingress: apiHost, authHost and s3Host must differ (each host routes all its paths to one service)"),
)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// The IngressClass (`spec.ingressClassName`). Unset: the cluster's
    /// default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub class_name: Option<String>,
    /// A `kubernetes.io/tls` Secret of the stack's namespace whose
    /// certificate covers every host. Unset: plain HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub tls_secret_name: Option<String>,
    /// Annotations of the Ingress, for its controller (uploads go through
    /// the api or straight to MinIO: raise the body size limit, e.g.
    /// `nginx.ingress.kubernetes.io/proxy-body-size`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The host of the api.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), regex(pattern = HOST_PATTERN))]
    pub api_host: Option<String>,
    /// The host of the auth service; also its `PUBLIC_URL` unless
    /// `auth.publicUrl` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), regex(pattern = HOST_PATTERN))]
    pub auth_host: Option<String>,
    /// The host of the in-cluster MinIO's S3 port (not with
    /// `storage.external`); also the host presigned URLs name unless
    /// `storage.minio.publicEndpoint` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), regex(pattern = HOST_PATTERN))]
    pub s3_host: Option<String>,
}

impl IngressSpec {
    /// `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls_secret_name.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// `scheme://host` of a host the Ingress routes.
    pub fn url(&self, host: &str) -> String {
        format!("{}://{host}", self.scheme())
    }
}

/// Settings for every pod of the stack; a change rolls them all.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPlacement {
    /// Secrets for pulling from private registries (`kubectl create secret docker-registry`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Added to every pod template (the operator's own `imgup.dev/*`
    /// annotations win over one of the same name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl PodPlacement {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A Redis outside the stack, reached through a URL held in a Secret (it may
/// carry a password): `redis://[:password@]host:6379[/db]`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedisSpec {
    /// The Secret key holding `REDIS_URL`, given to both api and auth.
    pub url_secret_ref: SecretKeyRef,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RetentionPolicy {
    #[default]
    Retain,
    Delete,
}

/// How a component's Service is exposed.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.nodePort) || self.type == 'NodePort'").message("nodePort needs type NodePort"))]
#[serde(rename_all = "camelCase")]
pub struct ServiceExposure {
    /// `ClusterIP` (the default), `NodePort` or `LoadBalancer`.
    #[serde(default, rename = "type")]
    pub type_: ServiceType,
    /// A fixed node port (30000-32767) when `type` is `NodePort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 30000, max = 32767))]
    pub node_port: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

fn default_replicas() -> i32 {
    1
}

/// A HorizontalPodAutoscaler for a component's Deployment, scaling on the
/// pods' CPU use relative to their CPU request. While it is set, the
/// component's `replicas` is ignored: the Deployment is applied without a
/// replica count, so that the autoscaler owns it and no pass of the operator
/// undoes its scaling.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, KubeSchema)]
#[x_kube(validation = Rule::new("self.minReplicas <= self.maxReplicas").message("minReplicas must not be more than maxReplicas"))]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Fewest pods (default 1).
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: i32,
    /// Most pods.
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// The average CPU use, in percent of the pods' CPU request, the
    /// autoscaler holds the pods at (default 80).
    #[serde(
        default = "default_target_cpu",
        rename = "targetCPUUtilizationPercentage"
    )]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: i32,
}

fn default_target_cpu() -> i32 {
    80
}

/// The upload API (`imgup-api`, port 8080).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiSpec {
    /// Unset: `ghcr.io/imgup/imgup-api` at the operator's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pods to run; ignored while `autoscaling` is set.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,
    /// Scale the api with a HorizontalPodAutoscaler on CPU instead of a
    /// fixed `replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Extra environment variables; one with the same name as an operator-set
    /// variable replaces it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub service: ServiceExposure,
    /// Browser origins (`https://app.example.com`: scheme, host, optional
    /// port) allowed to call the API (`CORS_ALLOWED_ORIGINS`). Unset: the
    /// origin of `auth.frontendUrl`; `[]`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_allowed_origins: Option<Vec<String>>,
}

impl ApiSpec {
    pub fn image(&self) -> &str {
        image_or(&self.image, DEFAULT_API_IMAGE)
    }
}

impl Default for ApiSpec {
    fn default() -> Self {
        Self {
            image: None,
            replicas: 1,
            autoscaling: None,
            resources: None,
            env: Vec::new(),
            service: ServiceExposure::default(),
            cors_allowed_origins: None,
        }
    }
}

/// `ENVIRONMENT` of the auth service; `development` enables test tokens.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Development,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Development => "development",
        }
    }
}

/// A key in a Secret of the stack's namespace.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    #[schemars(length(min = 1))]
    pub name: String,
    #[schemars(length(min = 1))]
    pub key: String,
}

/// OAuth client credentials held in a Secret.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientSpec {
    /// The Secret holding the client id and secret.
    #[schemars(length(min = 1))]
    pub secret_name: String,
    #[serde(default = "default_client_id_key")]
    pub client_id_key: String,
    #[serde(default = "default_client_secret_key")]
    pub client_secret_key: String,
}

fn default_client_id_key() -> String {
    "client-id".into()
}
fn default_client_secret_key() -> String {
    "client-secret".into()
}

/// A generic OIDC provider (discovery from the issuer URL).
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcSpec {
    #[schemars(length(min = 1))]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub issuer_url: String,
    #[serde(flatten)]
    pub client: OAuthClientSpec,
}

/// The auth service (`imgup-auth`, port 8001) and its settings.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSpec {
    /// Unset: `ghcr.io/imgup/imgup-auth` at the operator's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pods to run; ignored while `autoscaling` is set.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,
    /// Scale auth with a HorizontalPodAutoscaler on CPU instead of a fixed
    /// `replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub service: ServiceExposure,
    /// `production` (the default) or `development`.
    #[serde(default)]
    pub environment: Environment,
    /// Where the admin frontend lives (`FRONTEND_URL`).
    #[serde(default = "default_frontend_url")]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub frontend_url: String,
    /// The auth service's own external base URL (`PUBLIC_URL`), used for
    /// OAuth callbacks. Defaults to the in-cluster Service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub public_url: Option<String>,
    /// Emails that get the admin role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google: Option<OAuthClientSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<OAuthClientSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcSpec>,
    /// Use this JWT signing secret instead of a generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_secret_ref: Option<SecretKeyRef>,
    /// Use this session secret instead of a generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_secret_ref: Option<SecretKeyRef>,
    /// Access-token lifetime (`JWT_EXPIRE_MINUTES`; default 60, sessions
    /// go on with refresh tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub jwt_expire_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_audience: Option<String>,
    /// Requests one client address may make a minute to the sign-in start,
    /// code trade, refresh and test-token routes together
    /// (`RATE_LIMIT_IP_PER_MINUTE`; auth default 30; 0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub rate_limit_ip_per_minute: Option<i64>,
    /// The header the reverse proxy in front of auth puts the client's
    /// address in, `x-forwarded-for` (its right-most address) or
    /// `x-real-ip` (`TRUSTED_PROXY_HEADER`). Unset: the socket's address, and
    /// forwarded headers are ignored. Set it only behind such a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub trusted_proxy_header: Option<String>,
}

fn default_frontend_url() -> String {
    "http://localhost:5173".into()
}
/// `JWT_EXPIRE_MINUTES` when `auth.jwtExpireMinutes` is unset: an hour, the
/// auth service's production default (refresh tokens carry sessions on).
pub const DEFAULT_JWT_EXPIRE_MINUTES: i64 = 60;

impl AuthSpec {
    pub fn image(&self) -> &str {
        image_or(&self.image, DEFAULT_AUTH_IMAGE)
    }
}

impl Default for AuthSpec {
    fn default() -> Self {
        Self {
            image: None,
            replicas: 1,
            autoscaling: None,
            resources: None,
            env: Vec::new(),
            service: ServiceExposure::default(),
            environment: Environment::default(),
            frontend_url: default_frontend_url(),
            public_url: None,
            admin_emails: Vec::new(),
            google: None,
            github: None,
            oidc: None,
            jwt_secret_ref: None,
            session_secret_ref: None,
            jwt_expire_minutes: None,
            jwt_issuer: None,
            jwt_audience: None,
            rate_limit_ip_per_minute: None,
            trusted_proxy_header: None,
        }
    }
}

/// The CEL rule on `storage`: at most one object store.
pub const STORAGE_RULE: &str =
    "(has(self.minio) ? 1 : 0) + (has(self.garage) ? 1 : 0) + (has(self.external) ? 1 : 0) <= 1";

/// Object storage: set at most one of `minio`, `garage` and `external`.
/// None means the default MinIO.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new(STORAGE_RULE).message("set at most one of minio, garage and external"))]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minio: Option<MinioSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub garage: Option<GarageSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalS3Spec>,
}

/// In-cluster Garage (one node, replication factor 1) as a StatefulSet with
/// a volume claim. The operator sets it up through Garage's admin API: the
/// node's layout, the S3 key from the generated Secret, the bucket, its CORS
/// rules and the expiry of `incoming/`. No bucket Job runs.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GarageSpec {
    /// Unset: the operator's pinned Garage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Size of the data volume (metadata and blocks); also the node's
    /// capacity in Garage's layout.
    #[serde(default = "default_garage_size")]
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"))]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// How clients reach S3 (the host presigned URLs name). Defaults to the
    /// in-cluster Service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub public_endpoint: Option<String>,
    #[serde(default)]
    pub service: ServiceExposure,
}

fn default_garage_size() -> String {
    "10Gi".into()
}

impl GarageSpec {
    pub fn image(&self) -> &str {
        image_or(&self.image, DEFAULT_GARAGE_IMAGE)
    }
}

impl Default for GarageSpec {
    fn default() -> Self {
        Self {
            image: None,
            size: default_garage_size(),
            storage_class_name: None,
            resources: None,
            public_endpoint: None,
            service: ServiceExposure::default(),
        }
    }
}

/// In-cluster MinIO as a StatefulSet with a volume claim.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinioSpec {
    /// Unset: the operator's pinned MinIO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image of the MinIO client used by the bucket job.
    /// Unset: the operator's pinned MinIO client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_image: Option<String>,
    /// Size of the data volume.
    #[serde(default = "default_minio_size")]
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"))]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// How clients reach S3 (the host presigned URLs name). Defaults to the
    /// in-cluster Service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub public_endpoint: Option<String>,
    /// A Secret with keys `root-user` and `root-password` to use instead of
    /// generated credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
    #[serde(default)]
    pub service: ServiceExposure,
}

fn default_minio_size() -> String {
    "10Gi".into()
}

impl MinioSpec {
    pub fn image(&self) -> &str {
        image_or(&self.image, DEFAULT_MINIO_IMAGE)
    }

    pub fn mc_image(&self) -> &str {
        image_or(&self.mc_image, DEFAULT_MC_IMAGE)
    }
}

impl Default for MinioSpec {
    fn default() -> Self {
        Self {
            image: None,
            mc_image: None,
            size: default_minio_size(),
            storage_class_name: None,
            resources: None,
            public_endpoint: None,
            credentials_secret: None,
            service: ServiceExposure::default(),
        }
    }
}

/// An S3-compatible service outside the cluster.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExternalS3Spec {
    /// How the API reaches S3 (`S3_ENDPOINT`).
    #[schemars(length(min = 1))]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub endpoint: String,
    /// How clients reach S3 (`S3_PUBLIC_ENDPOINT`); defaults to `endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://[^\s/?#]+([/?#]\S*)?$"))]
    pub public_endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    /// A Secret with keys `access-key` and `secret-key`.
    #[schemars(length(min = 1))]
    pub credentials_secret: String,
    #[serde(default = "default_true")]
    pub force_path_style: bool,
    /// The image of the MinIO client used by the bucket job (it speaks to any S3).
    /// Unset: the operator's pinned MinIO client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_image: Option<String>,
}

impl ExternalS3Spec {
    pub fn mc_image(&self) -> &str {
        image_or(&self.mc_image, DEFAULT_MC_IMAGE)
    }
}

fn default_region() -> String {
    "us-east-1".into()
}
fn default_true() -> bool {
    true
}

/// The database: set `postgres` or `external`, not both. Neither means the
/// default Postgres.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("!(has(self.postgres) && has(self.external))").message("set either postgres or external, not both"))]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalDatabaseSpec>,
}

/// In-cluster Postgres as a StatefulSet with a volume claim.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostgresSpec {
    /// Unset: the operator's pinned Postgres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default = "default_postgres_size")]
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"))]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Use this password (URL-safe characters only) instead of a generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
}

fn default_postgres_size() -> String {
    "5Gi".into()
}

impl PostgresSpec {
    pub fn image(&self) -> &str {
        image_or(&self.image, DEFAULT_POSTGRES_IMAGE)
    }
}

impl Default for PostgresSpec {
    fn default() -> Self {
        Self {
            image: None,
            size: default_postgres_size(),
            storage_class_name: None,
            resources: None,
            password_secret_ref: None,
        }
    }
}

/// A database outside the cluster, reached through a URL held in a Secret.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExternalDatabaseSpec {
    /// The Secret key holding `DATABASE_URL`.
    pub url_secret_ref: SecretKeyRef,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketsSpec {
    /// The bucket uploads go to (`S3_BUCKET`).
    #[serde(default = "default_bucket")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"))]
    pub uploads: String,
    /// Origins allowed to PUT and GET through presigned URLs.
    #[serde(default = "default_cors_origins")]
    pub cors_allowed_origins: Vec<String>,
}

fn default_bucket() -> String {
    "uploads".into()
}
fn default_cors_origins() -> Vec<String> {
    vec!["*".into()]
}

impl Default for BucketsSpec {
    fn default() -> Self {
        Self {
            uploads: default_bucket(),
            cors_allowed_origins: default_cors_origins(),
        }
    }
}

/// The upload policy (`MAX_UPLOAD_BYTES`, `ALLOWED_MIME_TYPES`,
/// `PRESIGN_EXPIRES_SECONDS`) and the image pipeline's settings. The image
/// settings are optional: an unset one is left out of the api's environment,
/// and the api applies its own default (given in each field's description).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    #[serde(default = "default_max_upload_bytes")]
    #[schemars(range(min = 1))]
    pub max_upload_bytes: i64,
    #[serde(default = "default_mime_types")]
    /// The image types the api takes (each one it can decode).
    #[schemars(length(min = 1))]
    #[schemars(extend("items" = {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"]}))]
    pub allowed_mime_types: Vec<String>,
    #[serde(default = "default_presign_expiry")]
    #[schemars(range(min = 1, max = 604800))]
    pub presign_expires_seconds: i64,
    /// Widest accepted image in pixels, read from its header before any
    /// decoding (`MAX_IMAGE_WIDTH`; api default 10000; 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub max_image_width: Option<i64>,
    /// Tallest accepted image in pixels (`MAX_IMAGE_HEIGHT`; api default
    /// 10000; 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub max_image_height: Option<i64>,
    /// Most pixels (width × height) an image may have; bounds the memory of
    /// one decode (`MAX_IMAGE_PIXELS`; api default 40000000; 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_image_pixels: Option<i64>,
    /// Most frames an animated GIF or WebP may have (`MAX_ANIMATION_FRAMES`;
    /// api default 100; 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub max_animation_frames: Option<i64>,
    /// The variants rendered from every image, each named by its preset
    /// (`IMAGE_VARIANTS`; api default `thumb` 320 and `medium` 1280). Images
    /// are never upscaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub image_variants: Option<Vec<VariantPreset>>,
    /// Encoding of the variants, `webp` or `jpeg` (`VARIANT_FORMAT`; api
    /// default webp). The original keeps its own format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_format: Option<VariantFormat>,
    /// Images each api replica decodes and renders at once (`IMAGE_WORKERS`;
    /// api default: the number of cores it sees). Memory per worker is
    /// bounded by `maxImagePixels`; size `api.resources` to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 256))]
    pub image_workers: Option<i32>,
    /// Uploads still pending (never completed) after this many seconds are
    /// deleted with their object (`PENDING_UPLOAD_TTL_SECONDS`; api default
    /// 86400; 0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub pending_upload_ttl_seconds: Option<i64>,
    /// Posts one user may keep, every one not rejected counted
    /// (`QUOTA_USER_POSTS`; api default 1000; 0: unlimited). Admins are exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub quota_user_posts: Option<i64>,
    /// Bytes one user may keep, declared sizes of pending uploads included
    /// (`QUOTA_USER_BYTES`; api default 1073741824; 0: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub quota_user_bytes: Option<i64>,
    /// Uploads one user may start a minute, `POST /uploads` and `POST
    /// /posts` together (`RATE_LIMIT_USER_PER_MINUTE`; api default 60; 0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub rate_limit_user_per_minute: Option<i64>,
}

/// One variant preset: a name (the key of the post's `variants`) and the
/// long side in pixels.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariantPreset {
    /// 1 to 32 of a-z, 0-9, `_` and `-`.
    #[schemars(regex(pattern = r"^[a-z0-9_-]{1,32}$"))]
    pub name: String,
    /// The variant's longer side, 16 to 8192 px.
    #[schemars(range(min = 16, max = 8192))]
    pub long_side: i32,
}

/// The encoding of variants.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpeg",
        }
    }
}

impl PolicySpec {
    /// `IMAGE_VARIANTS` as the api reads it: `thumb=320,medium=1280`.
    pub fn image_variants_setting(&self) -> Option<String> {
        self.image_variants.as_ref().map(|v| {
            v.iter()
                .map(|p| format!("{}={}", p.name, p.long_side))
                .collect::<Vec<_>>()
                .join(",")
        })
    }
}

fn default_max_upload_bytes() -> i64 {
    10_485_760
}
fn default_mime_types() -> Vec<String> {
    ["image/jpeg", "image/png", "image/webp", "image/avif"]
        .into_iter()
        .map(String::from)
        .collect()
}
fn default_presign_expiry() -> i64 {
    900
}

impl Default for PolicySpec {
    fn default() -> Self {
        Self {
            max_upload_bytes: default_max_upload_bytes(),
            allowed_mime_types: default_mime_types(),
            presign_expires_seconds: default_presign_expiry(),
            max_image_width: None,
            max_image_height: None,
            max_image_pixels: None,
            max_animation_frames: None,
            image_variants: None,
            variant_format: None,
            image_workers: None,
            pending_upload_ttl_seconds: None,
            quota_user_posts: None,
            quota_user_bytes: None,
            rate_limit_user_per_minute: None,
        }
    }
}

/// What the operator last saw of the stack.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageUploadStackStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` plus one per component: `DatabaseReady`, `StorageReady`,
    /// `BucketsReady`, `ApiReady`, `AuthReady`.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
}

/// Where the stack's services answer.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub api: String,
    pub auth: String,
    /// The S3 endpoint clients use for presigned URLs.
    pub s3: String,
}

/// Which storage and database the spec selects, after defaults (a
/// short-lived view, so the size difference of the variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Storage<'a> {
    Minio(std::borrow::Cow<'a, MinioSpec>),
    Garage(&'a GarageSpec),
    External(&'a ExternalS3Spec),
}

#[allow(clippy::large_enum_variant)]
pub enum Database<'a> {
    Postgres(std::borrow::Cow<'a, PostgresSpec>),
    External(&'a ExternalDatabaseSpec),
}

impl ImageUploadStackSpec {
    pub fn storage(&self) -> Storage<'_> {
        match (
            &self.storage.minio,
            &self.storage.garage,
            &self.storage.external,
        ) {
            (_, _, Some(ext)) => Storage::External(ext),
            (_, Some(g), None) => Storage::Garage(g),
            (Some(m), None, None) => Storage::Minio(std::borrow::Cow::Borrowed(m)),
            (None, None, None) => Storage::Minio(std::borrow::Cow::Owned(MinioSpec::default())),
        }
    }

    /// `CORS_ALLOWED_ORIGINS` of the api: `api.corsAllowedOrigins`, or else
    /// the origin of `auth.frontendUrl` (as compose does), so that the
    /// frontend's pages can call the API.
    pub fn api_cors_origins(&self) -> Vec<String> {
        match &self.api.cors_allowed_origins {
            Some(origins) => origins.clone(),
            None => vec![origin_of(&self.auth.frontend_url)],
        }
    }

    pub fn database(&self) -> Database<'_> {
        match (&self.database.postgres, &self.database.external) {
            (_, Some(ext)) => Database::External(ext),
            (Some(p), None) => Database::Postgres(std::borrow::Cow::Borrowed(p)),
            (None, None) => Database::Postgres(std::borrow::Cow::Owned(PostgresSpec::default())),
        }
    }
}

/// `scheme://host[:port]` of a URL: everything before its path, query or
/// fragment.
pub fn origin_of(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    url[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::CustomResourceExt;

    #[test]
    fn crd_names_scope_status_and_printer_columns_follow_the_contract() {
        let crd = ImageUploadStack::crd();
        assert_eq!(
            crd.metadata.name.as_deref(),
            Some("imageuploadstacks.imgup.dev")
        );
        assert_eq!(crd.spec.group, GROUP);
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.kind, "ImageUploadStack");
        assert_eq!(crd.spec.names.short_names, Some(vec!["ius".to_string()]));
        let v = &crd.spec.versions[0];
        assert_eq!(v.name, VERSION);
        assert!(v.subresources.as_ref().unwrap().status.is_some());
        let cols: Vec<_> = v
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(cols, ["Ready", "Reason", "API", "Age"]);
    }

    #[test]
    fn the_api_server_rejects_two_storages_or_two_databases_up_front() {
        let crd = serde_json::to_value(ImageUploadStack::crd()).unwrap();
        let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
        for (field, rule) in [
            ("storage", STORAGE_RULE),
            ("database", "!(has(self.postgres) && has(self.external))"),
        ] {
            let rules = &spec["properties"][field]["x-kubernetes-validations"];
            assert_eq!(rules[0]["rule"], rule, "{field}");
        }
    }

    #[test]
    fn the_api_server_holds_the_image_policy_to_what_the_api_accepts() {
        let crd = serde_json::to_value(ImageUploadStack::crd()).unwrap();
        let policy = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"]["policy"];
        let props = &policy["properties"];
        let variants = &props["imageVariants"];
        // A list keyed by name: the API server refuses a name given twice.
        assert_eq!(variants["x-kubernetes-list-type"], "map");
        assert_eq!(
            variants["x-kubernetes-list-map-keys"],
            serde_json::json!(["name"])
        );
        assert_eq!(variants["minItems"], 1);
        let item = &variants["items"];
        assert_eq!(
            item["required"],
            serde_json::json!(["longSide", "name"]),
            "list-map keys must be required"
        );
        assert_eq!(item["properties"]["name"]["pattern"], "^[a-z0-9_-]{1,32}$");
        assert_eq!(item["properties"]["longSide"]["minimum"], 16.0);
        assert_eq!(item["properties"]["longSide"]["maximum"], 8192.0);
        let formats: Vec<_> = props["variantFormat"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !v.is_null())
            .collect();
        assert_eq!(formats, ["webp", "jpeg"]);
        assert_eq!(props["imageWorkers"]["minimum"], 1.0);
        assert_eq!(props["imageWorkers"]["maximum"], 256.0);
        for field in [
            "maxImageWidth",
            "maxImageHeight",
            "maxImagePixels",
            "maxAnimationFrames",
            "pendingUploadTtlSeconds",
        ] {
            assert_eq!(props[field]["minimum"], 0.0, "{field}");
        }
        // The api owns these defaults: none in the schema, none in the
        // policy's own default object.
        for field in [
            "maxImageWidth",
            "maxImageHeight",
            "maxImagePixels",
            "maxAnimationFrames",
            "imageVariants",
            "variantFormat",
            "imageWorkers",
            "pendingUploadTtlSeconds",
        ] {
            assert!(props[field].get("default").is_none(), "{field}");
            assert!(policy["default"].get(field).is_none(), "{field}");
        }
    }

    #[test]
    fn the_hardening_settings_are_optional_with_their_defaults_left_to_reconcile() {
        let crd = serde_json::to_value(ImageUploadStack::crd()).unwrap();
        let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
        let props = &spec["properties"];
        for (section, field, minimum) in [
            ("policy", "quotaUserPosts", Some(0.0)),
            ("policy", "quotaUserBytes", Some(0.0)),
            ("policy", "rateLimitUserPerMinute", Some(0.0)),
            ("auth", "rateLimitIpPerMinute", Some(0.0)),
            ("auth", "trustedProxyHeader", None),
            ("auth", "jwtExpireMinutes", Some(1.0)),
            ("api", "corsAllowedOrigins", None),
        ] {
            let schema = &props[section]["properties"][field];
            assert!(schema.is_object(), "{section}.{field} is in the schema");
            assert!(schema.get("default").is_none(), "{section}.{field}");
            assert!(
                props[section]["default"].get(field).is_none(),
                "{section}.{field} in {section}'s default"
            );
            if let Some(min) = minimum {
                assert_eq!(schema["minimum"], min, "{section}.{field}");
            }
        }
        for (section, field) in [
            ("policy", "rateLimitUserPerMinute"),
            ("auth", "rateLimitIpPerMinute"),
        ] {
            assert_eq!(
                props[section]["properties"][field]["maximum"], 4294967295.0,
                "{field}"
            );
        }
        assert_eq!(
            props["auth"]["properties"]["trustedProxyHeader"]["pattern"],
            "^[A-Za-z0-9-]{1,64}$"
        );
        let redis = &props["redis"];
        assert!(redis.get("default").is_none());
        assert_eq!(redis["required"], serde_json::json!(["urlSecretRef"]));
        assert!(
            !spec["required"]
                .as_array()
                .is_some_and(|r| r.contains(&"redis".into()))
        );
    }

    #[test]
    fn autoscaling_is_bounded_and_checked_by_the_api_server() {
        let crd = serde_json::to_value(ImageUploadStack::crd()).unwrap();
        let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
        for section in ["api", "auth"] {
            let a = &spec["properties"][section]["properties"]["autoscaling"];
            assert_eq!(
                a["x-kubernetes-validations"][0]["rule"], "self.minReplicas <= self.maxReplicas",
                "{section}"
            );
            assert_eq!(
                a["required"],
                serde_json::json!(["maxReplicas"]),
                "{section}"
            );
            let props = &a["properties"];
            for (field, default) in [
                ("minReplicas", Some(1)),
                ("maxReplicas", None),
                ("targetCPUUtilizationPercentage", Some(80)),
            ] {
                assert_eq!(props[field]["minimum"], 1.0, "{section}.{field}");
                assert_eq!(props[field]["maximum"], 100.0, "{section}.{field}");
                assert_eq!(
                    props[field].get("default"),
                    default.map(serde_json::Value::from).as_ref(),
                    "{section}.{field}"
                );
            }
            assert!(
                spec["properties"][section]["default"]
                    .get("autoscaling")
                    .is_none()
            );
        }
        let a: Autoscaling = serde_norway::from_str("maxReplicas: 4\n").unwrap();
        assert_eq!(
            a,
            Autoscaling {
                min_replicas: 1,
                max_replicas: 4,
                target_cpu_utilization_percentage: 80
            }
        );
        assert!(serde_norway::from_str::<Autoscaling>("minReplicas: 2\n").is_err());
    }

    #[test]
    fn the_hardening_settings_read_from_yaml() {
        let s: ImageUploadStackSpec = serde_norway::from_str(
            "api:\n  corsAllowedOrigins: [https://app.example.com]\nauth:\n  rateLimitIpPerMinute: 10\n  trustedProxyHeader: x-forwarded-for\n  jwtExpireMinutes: 30\npolicy:\n  quotaUserPosts: 500\n  quotaUserBytes: 0\n  rateLimitUserPerMinute: 120\nredis:\n  urlSecretRef: {name: redis, key: url}\n",
        )
        .unwrap();
        assert_eq!(
            s.api.cors_allowed_origins,
            Some(vec!["https://app.example.com".to_owned()])
        );
        assert_eq!(s.auth.rate_limit_ip_per_minute, Some(10));
        assert_eq!(
            s.auth.trusted_proxy_header.as_deref(),
            Some("x-forwarded-for")
        );
        assert_eq!(s.auth.jwt_expire_minutes, Some(30));
        assert_eq!(s.policy.quota_user_posts, Some(500));
        assert_eq!(s.policy.quota_user_bytes, Some(0));
        assert_eq!(s.policy.rate_limit_user_per_minute, Some(120));
        assert_eq!(s.redis.unwrap().url_secret_ref.name, "redis");
    }

    #[test]
    fn the_api_allows_the_frontends_origin_unless_told_otherwise() {
        let mut s = ImageUploadStackSpec::default();
        assert_eq!(s.api_cors_origins(), ["http://localhost:5173"]);
        s.auth.frontend_url = "https://app.example.com:8443/admin/?x#y".into();
        assert_eq!(s.api_cors_origins(), ["https://app.example.com:8443"]);
        s.api.cors_allowed_origins = Some(vec![]);
        assert!(s.api_cors_origins().is_empty());
        assert_eq!(origin_of("https://a.example"), "https://a.example");
    }

    #[test]
    fn an_image_policy_reads_from_yaml_and_renders_the_variants_setting() {
        let p: PolicySpec = serde_norway::from_str(
            "imageVariants:\n  - {name: thumb, longSide: 320}\n  - {name: medium, longSide: 1280}\nvariantFormat: jpeg\nimageWorkers: 2\n",
        )
        .unwrap();
        assert_eq!(
            p.image_variants_setting().as_deref(),
            Some("thumb=320,medium=1280")
        );
        assert_eq!(p.variant_format, Some(VariantFormat::Jpeg));
        assert_eq!(p.image_workers, Some(2));
        assert_eq!(p.max_upload_bytes, 10_485_760);
        assert_eq!(PolicySpec::default().image_variants_setting(), None);
        assert!(serde_norway::from_str::<PolicySpec>("variantFormat: gif").is_err());
    }

    #[test]
    fn conditions_are_a_map_keyed_by_type_for_server_side_apply() {
        let crd = serde_json::to_value(ImageUploadStack::crd()).unwrap();
        let status =
            &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"];
        let conditions = &status["properties"]["conditions"];
        assert_eq!(conditions["x-kubernetes-list-type"], "map");
        assert_eq!(
            conditions["x-kubernetes-list-map-keys"],
            serde_json::json!(["type"])
        );
    }

    #[test]
    fn crd_yaml_reads_back_as_the_crd() {
        let back: serde_json::Value = serde_norway::from_str(&crate::crd_yaml()).unwrap();
        assert_eq!(back, serde_json::to_value(ImageUploadStack::crd()).unwrap());
    }

    #[test]
    fn an_empty_spec_gets_working_defaults() {
        let s: ImageUploadStackSpec = serde_json::from_str("{}").unwrap();
        assert_eq!(s, ImageUploadStackSpec::default());
        assert_eq!(s.api.image(), DEFAULT_API_IMAGE);
        assert_eq!(s.policy.max_upload_bytes, 10_485_760);
        assert_eq!(s.retention, RetentionPolicy::Retain);
        assert!(matches!(s.storage(), Storage::Minio(_)));
        assert!(matches!(s.database(), Database::Postgres(_)));
    }
}
