//! A client of Garage's admin API v2 (`doc/api/garage-admin-v2.json` in
//! deuxfleurs-org/garage): JSON over plain HTTP (in-cluster), every call
//! under `/v2/<Operation>` with `Authorization: Bearer <admin token>`, errors
//! as `{"code", "message", ...}` with a fitting status (404 for a missing key
//! or bucket, 409 for one that exists). Only the operations and fields the
//! setup needs are modelled; unknown fields are ignored.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What can go wrong talking to Garage or setting it up.
#[derive(Debug, thiserror::Error)]
pub enum GarageError {
    #[error("the Garage admin API at {url} did not answer: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Garage {endpoint}: HTTP {status} {code}: {message}")]
    Api {
        endpoint: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("Garage {endpoint}: unexpected answer: {detail}")]
    Decode {
        endpoint: &'static str,
        detail: String,
    },
    #[error("invalid Garage setup: {0}")]
    Invalid(String),
    #[error(
        "the Garage key {0} exists with another secret; Garage cannot change a key's secret (delete the key in Garage, or restore the old secret)"
    )]
    KeySecretMismatch(String),
    #[error(
        "the Garage key {0} was deleted and Garage never lets a deleted key id be imported again; generate a new key id"
    )]
    KeyDeleted(String),
    #[error("the Garage layout did not become ready within {0:?} (GET /health)")]
    NotReady(Duration),
}

impl GarageError {
    fn status(&self) -> Option<u16> {
        match self {
            GarageError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Permissions of a key on a bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketKeyPerm {
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub write: bool,
    #[serde(default)]
    pub owner: bool,
}

impl BucketKeyPerm {
    pub const ALL: Self = Self {
        read: true,
        write: true,
        owner: true,
    };
}

/// A node's role in the layout (`NodeAssignedRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRole {
    pub zone: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Bytes; absent for gateway nodes.
    pub capacity: Option<u64>,
}

/// A role in the current layout (`LayoutNodeRole`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutRole {
    pub id: String,
    pub zone: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub capacity: Option<u64>,
}

/// A staged change (`NodeRoleChange`): an assignment or `remove: true`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleChange {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
}

impl RoleChange {
    pub fn assign(id: &str, role: &NodeRole) -> Self {
        Self {
            id: id.to_owned(),
            remove: None,
            zone: Some(role.zone.clone()),
            tags: Some(role.tags.clone()),
            capacity: role.capacity,
        }
    }
}

/// `GetClusterLayoutResponse`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterLayout {
    pub version: u64,
    #[serde(default)]
    pub roles: Vec<LayoutRole>,
    #[serde(default)]
    pub staged_role_changes: Vec<RoleChange>,
}

#[derive(Debug, Deserialize)]
struct ApplyLayoutResponse {
    layout: ClusterLayout,
}

/// A bucket a key may use (`KeyInfoBucketResponse`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyBucket {
    pub id: String,
    #[serde(default)]
    pub global_aliases: Vec<String>,
    #[serde(default)]
    pub permissions: BucketKeyPerm,
}

/// `GetKeyInfoResponse`.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub access_key_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub expired: bool,
    /// Only with `showSecretKey=true`.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub buckets: Vec<KeyBucket>,
}

impl std::fmt::Debug for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyInfo")
            .field("access_key_id", &self.access_key_id)
            .field("name", &self.name)
            .field("expired", &self.expired)
            .field("buckets", &self.buckets)
            .finish_non_exhaustive()
    }
}

/// A key's access to a bucket (`GetBucketInfoKey`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketKey {
    pub access_key_id: String,
    #[serde(default)]
    pub permissions: BucketKeyPerm,
}

/// A CORS rule as the admin API writes it (the S3 XML names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    #[serde(rename = "AllowedOrigin", default)]
    pub allowed_origins: Vec<String>,
    #[serde(rename = "AllowedMethod", default)]
    pub allowed_methods: Vec<String>,
    #[serde(rename = "AllowedHeader", default)]
    pub allowed_headers: Vec<String>,
    #[serde(rename = "ExposeHeader", default)]
    pub expose_headers: Vec<String>,
    #[serde(
        rename = "MaxAgeSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_age_seconds: Option<u64>,
}

/// A lifecycle rule as the admin API writes it (the S3 XML names); only the
/// parts the setup uses: a prefix filter and an expiry in days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Filter", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<LifecycleFilter>,
    #[serde(
        rename = "Expiration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<LifecycleExpiration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleFilter {
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleExpiration {
    #[serde(rename = "Days", default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u64>,
}

/// `GetBucketInfoResponse`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketInfo {
    pub id: String,
    #[serde(default)]
    pub global_aliases: Vec<String>,
    #[serde(default)]
    pub keys: Vec<BucketKey>,
    #[serde(default)]
    pub cors_rules: Option<Vec<CorsRule>>,
    #[serde(default)]
    pub lifecycle_rules: Option<Vec<LifecycleRule>>,
}

impl BucketInfo {
    /// The permissions `access_key_id` has on this bucket.
    pub fn key_permissions(&self, access_key_id: &str) -> BucketKeyPerm {
        self.keys
            .iter()
            .find(|k| k.access_key_id == access_key_id)
            .map(|k| k.permissions)
            .unwrap_or_default()
    }
}

/// `UpdateBucketRequestBody`, the parts the setup changes.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_rules: Option<Vec<CorsRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_rules: Option<Vec<LifecycleRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeInfo {
    node_id: String,
}

#[derive(Debug, Deserialize)]
struct MultiResponse<T> {
    success: std::collections::HashMap<String, T>,
    #[serde(default)]
    error: std::collections::HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The admin API of one Garage node.
#[derive(Clone)]
pub struct AdminClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    /// A client of the admin API at `base_url` (e.g.
    /// `http://imgup-garage.imgup.svc:3903`), with a 10 s timeout per call.
    pub fn new(base_url: &str, admin_token: &str) -> Result<Self, GarageError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| GarageError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            token: admin_token.to_owned(),
            http,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, GarageError> {
        let url = format!("{}/v2/{endpoint}", self.base);
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|source| GarageError::Transport {
                url: url.clone(),
                source,
            })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|source| GarageError::Transport { url, source })?;
        if !status.is_success() {
            let err: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| ErrorBody {
                code: String::new(),
                message: String::from_utf8_lossy(&body).chars().take(300).collect(),
            });
            return Err(GarageError::Api {
                endpoint,
                status: status.as_u16(),
                code: err.code,
                message: err.message,
            });
        }
        serde_json::from_slice(&body).map_err(|e| GarageError::Decode {
            endpoint,
            detail: e.to_string(),
        })
    }

    fn get(&self, endpoint: &'static str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}/v2/{endpoint}", self.base))
    }

    fn post(&self, endpoint: &'static str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}/v2/{endpoint}", self.base))
    }

    /// `GET /health` (no token): true when the cluster can serve requests
    /// (200), false while it cannot (503, e.g. before the first layout).
    pub async fn health(&self) -> Result<bool, GarageError> {
        let url = format!("{}/health", self.base);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|source| GarageError::Transport { url, source })?;
        Ok(resp.status().is_success())
    }

    /// The id of the node answering (`GetNodeInfo?node=self`).
    pub async fn node_id(&self) -> Result<String, GarageError> {
        const EP: &str = "GetNodeInfo";
        let r: MultiResponse<NodeInfo> = self
            .call(EP, self.get(EP).query(&[("node", "self")]))
            .await?;
        match r.success.into_values().next() {
            Some(n) => Ok(n.node_id),
            None => Err(GarageError::Decode {
                endpoint: EP,
                detail: format!("no node answered: {:?}", r.error),
            }),
        }
    }

    /// `GetClusterLayout`.
    pub async fn layout(&self) -> Result<ClusterLayout, GarageError> {
        const EP: &str = "GetClusterLayout";
        self.call(EP, self.get(EP)).await
    }

    /// `UpdateClusterLayout`: stages role changes for the next version.
    pub async fn update_layout(
        &self,
        roles: Vec<RoleChange>,
    ) -> Result<ClusterLayout, GarageError> {
        const EP: &str = "UpdateClusterLayout";
        self.call(
            EP,
            self.post(EP).json(&serde_json::json!({ "roles": roles })),
        )
        .await
    }

    /// `ApplyClusterLayout`: makes the staged changes version `version`
    /// (which must be the current version + 1).
    pub async fn apply_layout(&self, version: u64) -> Result<ClusterLayout, GarageError> {
        const EP: &str = "ApplyClusterLayout";
        let r: ApplyLayoutResponse = self
            .call(
                EP,
                self.post(EP)
                    .json(&serde_json::json!({ "version": version })),
            )
            .await?;
        Ok(r.layout)
    }

    /// `GetKeyInfo?id=…`; `None` when there is no such key (404).
    pub async fn key_info(
        &self,
        access_key_id: &str,
        show_secret: bool,
    ) -> Result<Option<KeyInfo>, GarageError> {
        const EP: &str = "GetKeyInfo";
        let req = self.get(EP).query(&[
            ("id", access_key_id),
            ("showSecretKey", if show_secret { "true" } else { "false" }),
        ]);
        not_found_as_none(self.call(EP, req).await)
    }

    /// `ImportKey`: a key with a given id and secret.
    pub async fn import_key(
        &self,
        access_key_id: &str,
        secret_key: &str,
        name: &str,
    ) -> Result<KeyInfo, GarageError> {
        const EP: &str = "ImportKey";
        let body = serde_json::json!({
            "accessKeyId": access_key_id,
            "secretAccessKey": secret_key,
            "name": name,
        });
        self.call(EP, self.post(EP).json(&body)).await
    }

    /// `GetBucketInfo?globalAlias=…`; `None` when there is no such bucket.
    pub async fn bucket_by_alias(&self, alias: &str) -> Result<Option<BucketInfo>, GarageError> {
        const EP: &str = "GetBucketInfo";
        not_found_as_none(
            self.call(EP, self.get(EP).query(&[("globalAlias", alias)]))
                .await,
        )
    }

    /// `CreateBucket` with a global alias.
    pub async fn create_bucket(&self, global_alias: &str) -> Result<BucketInfo, GarageError> {
        const EP: &str = "CreateBucket";
        self.call(
            EP,
            self.post(EP)
                .json(&serde_json::json!({ "globalAlias": global_alias })),
        )
        .await
    }

    /// `AllowBucketKey`: grants (adds) `permissions` to the key.
    pub async fn allow_bucket_key(
        &self,
        bucket_id: &str,
        access_key_id: &str,
        permissions: BucketKeyPerm,
    ) -> Result<BucketInfo, GarageError> {
        const EP: &str = "AllowBucketKey";
        let body = serde_json::json!({
            "bucketId": bucket_id,
            "accessKeyId": access_key_id,
            "permissions": permissions,
        });
        self.call(EP, self.post(EP).json(&body)).await
    }

    /// `UpdateBucket?id=…`: replaces the rule sets given in `update`.
    pub async fn update_bucket(
        &self,
        bucket_id: &str,
        update: &BucketUpdate,
    ) -> Result<BucketInfo, GarageError> {
        const EP: &str = "UpdateBucket";
        self.call(EP, self.post(EP).query(&[("id", bucket_id)]).json(update))
            .await
    }
}

fn not_found_as_none<T>(r: Result<T, GarageError>) -> Result<Option<T>, GarageError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_change_serializes_as_the_api_wants() {
        let c = RoleChange::assign(
            "abc",
            &NodeRole {
                zone: "dc1".into(),
                tags: vec![],
                capacity: Some(1_000_000_000),
            },
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"id": "abc", "zone": "dc1", "tags": [], "capacity": 1_000_000_000u64})
        );
    }

    #[test]
    fn bucket_info_reads_the_api_shape() {
        let b: BucketInfo = serde_json::from_value(serde_json::json!({
            "id": "00d1", "created": "2026-12-04T20:00:59.159Z",
            "globalAliases": ["uploads"], "websiteAccess": false,
            "keys": [{"accessKeyId": "GK1", "name": "imgup",
                      "permissions": {"read": true, "write": true, "owner": true},
                      "bucketLocalAliases": []}],
            "corsRules": [{"MaxAgeSeconds": 3600, "AllowedOrigin": ["*"],
                           "AllowedMethod": ["PUT"], "AllowedHeader": ["*"], "ExposeHeader": ["ETag"]}],
            "objects": 0, "bytes": 0, "quotas": {"maxSize": null, "maxObjects": null}
        }))
        .unwrap();
        assert_eq!(b.key_permissions("GK1"), BucketKeyPerm::ALL);
        assert_eq!(b.key_permissions("GK2"), BucketKeyPerm::default());
        assert_eq!(b.cors_rules.unwrap()[0].max_age_seconds, Some(3600));
        assert!(b.lifecycle_rules.is_none());
    }
}
