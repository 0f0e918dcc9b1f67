//! The idempotent setup of a Garage node through its admin API: each step
//! reads the state first and changes only what differs, so the reconciler
//! can run it on every pass; it returns the changes made (none on a second
//! run).
//!
//! 1. Layout: the node answering gets the role `{zone, capacity}`; if its
//!    role is missing or differs, the change is staged and the next layout
//!    version applied. Then the setup waits (bounded) for `GET /health`,
//!    which answers 503 until the layout is in force.
//! 2. Key: imported with the given id and secret when absent. A key that
//!    exists with another secret is an error (Garage cannot change a
//!    secret), as is a deleted one (its id can never be imported again).
//! 3. Buckets: each created with a global alias when absent; the key gets
//!    read, write and owner on it; with `cors_allowed_origins`, the CORS rule
//!    browsers need to PUT and GET through presigned URLs (the same rule the
//!    MinIO bucket Job sets); with `incoming_expire_days`, a lifecycle rule
//!    that expires `incoming/` (abandoned uploads).

use std::fmt;
use std::time::Duration;

use super::admin::{
    AdminClient, BucketInfo, BucketKeyPerm, BucketUpdate, CorsRule, GarageError,
    LifecycleExpiration, LifecycleFilter, LifecycleRule, NodeRole, RoleChange,
};

/// The key's display name in Garage.
pub const KEY_NAME: &str = "imgup";
/// The lifecycle rule's id.
pub const INCOMING_RULE_ID: &str = "imgup-expire-incoming";
/// How long the setup waits for the layout to be in force.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the setup should make true.
#[derive(Clone, PartialEq, Eq)]
pub struct SetupSpec {
    /// The node's zone in the layout (any name; one zone for one node).
    pub zone: String,
    /// The node's capacity in the layout, in bytes (the data volume's size).
    pub capacity_bytes: u64,
    /// The S3 key (see [`super::validate_key`]).
    pub access_key_id: String,
    pub secret_key: String,
    /// Buckets, created with these global aliases.
    pub buckets: Vec<String>,
    /// Origins allowed to PUT/GET/HEAD from a browser; empty: leave the
    /// buckets' CORS rules alone.
    pub cors_allowed_origins: Vec<String>,
    /// Expire objects under `incoming/` after this many days; `None`: leave
    /// the buckets' lifecycle rules alone.
    pub incoming_expire_days: Option<u32>,
}

impl fmt::Debug for SetupSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupSpec")
            .field("zone", &self.zone)
            .field("capacity_bytes", &self.capacity_bytes)
            .field("access_key_id", &self.access_key_id)
            .field("buckets", &self.buckets)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("incoming_expire_days", &self.incoming_expire_days)
            .finish_non_exhaustive()
    }
}

/// A change the setup made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Staged the node's role (zone, capacity) in the layout.
    AssignedRole {
        node_id: String,
        zone: String,
        capacity: u64,
    },
    /// Applied the staged layout as this version.
    AppliedLayout {
        version: u64,
    },
    ImportedKey {
        access_key_id: String,
    },
    CreatedBucket {
        bucket: String,
    },
    /// Granted read, write and owner on the bucket to the key.
    AllowedKey {
        bucket: String,
    },
    SetCors {
        bucket: String,
    },
    SetLifecycle {
        bucket: String,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::AssignedRole {
                node_id,
                zone,
                capacity,
            } => write!(
                f,
                "assigned node {} to zone {zone} with {capacity} bytes",
                &node_id[..node_id.len().min(16)]
            ),
            Action::AppliedLayout { version } => write!(f, "applied layout version {version}"),
            Action::ImportedKey { access_key_id } => write!(f, "imported key {access_key_id}"),
            Action::CreatedBucket { bucket } => write!(f, "created bucket {bucket}"),
            Action::AllowedKey { bucket } => {
                write!(f, "allowed the key read, write and owner on {bucket}")
            }
            Action::SetCors { bucket } => write!(f, "set the CORS rules of {bucket}"),
            Action::SetLifecycle { bucket } => write!(f, "set the lifecycle rules of {bucket}"),
        }
    }
}

/// The CORS rule for browsers that PUT/GET/HEAD through presigned URLs.
pub fn cors_rules(origins: &[String]) -> Vec<CorsRule> {
    vec![CorsRule {
        allowed_origins: origins.to_vec(),
        allowed_methods: ["PUT", "GET", "HEAD"].map(String::from).to_vec(),
        allowed_headers: vec!["*".into()],
        expose_headers: vec!["ETag".into()],
        max_age_seconds: Some(3600),
    }]
}

/// The lifecycle rule that expires `incoming/` after `days`.
pub fn lifecycle_rules(days: u32) -> Vec<LifecycleRule> {
    vec![LifecycleRule {
        id: Some(INCOMING_RULE_ID.into()),
        status: "Enabled".into(),
        filter: Some(LifecycleFilter {
            prefix: Some("incoming/".into()),
        }),
        expiration: Some(LifecycleExpiration {
            days: Some(days.into()),
        }),
    }]
}

/// Sets the node up as `spec` says, through the admin API at `admin_url`;
/// returns the changes made, empty when everything already held.
pub async fn setup(
    admin_url: &str,
    admin_token: &str,
    spec: &SetupSpec,
) -> Result<Vec<Action>, GarageError> {
    let client = AdminClient::new(admin_url, admin_token)?;
    setup_with(&client, spec, READY_TIMEOUT).await
}

/// [`setup`] with a client of one's own and a readiness timeout.
pub async fn setup_with(
    client: &AdminClient,
    spec: &SetupSpec,
    ready_timeout: Duration,
) -> Result<Vec<Action>, GarageError> {
    check(spec)?;
    let mut actions = Vec::new();
    ensure_layout(client, spec, &mut actions).await?;
    wait_ready(client, ready_timeout).await?;
    ensure_key(client, spec, &mut actions).await?;
    for bucket in &spec.buckets {
        ensure_bucket(client, spec, bucket, &mut actions).await?;
    }
    Ok(actions)
}

fn check(spec: &SetupSpec) -> Result<(), GarageError> {
    if spec.zone.trim().is_empty() {
        return Err(GarageError::Invalid("the zone is empty".into()));
    }
    if spec.capacity_bytes == 0 {
        return Err(GarageError::Invalid(
            "the capacity is 0 (a storage node needs one)".into(),
        ));
    }
    super::validate_key(&spec.access_key_id, &spec.secret_key).map_err(GarageError::Invalid)?;
    if let Some(b) = spec.buckets.iter().find(|b| b.is_empty()) {
        return Err(GarageError::Invalid(format!("bucket name {b:?}")));
    }
    Ok(())
}

async fn ensure_layout(
    client: &AdminClient,
    spec: &SetupSpec,
    actions: &mut Vec<Action>,
) -> Result<(), GarageError> {
    let node_id = client.node_id().await?;
    let want = NodeRole {
        zone: spec.zone.clone(),
        tags: Vec::new(),
        capacity: Some(spec.capacity_bytes),
    };
    let layout = client.layout().await?;
    let current = layout.roles.iter().find(|r| r.id == node_id);
    let staged = layout.staged_role_changes.iter().find(|c| c.id == node_id);
    let holds = |zone: &str, capacity: Option<u64>| zone == want.zone && capacity == want.capacity;
    let in_force = current.is_some_and(|r| holds(&r.zone, r.capacity));
    let staged_ok = staged.is_some_and(|c| {
        c.remove != Some(true) && holds(c.zone.as_deref().unwrap_or(""), c.capacity)
    });
    if in_force && staged.is_none() {
        return Ok(());
    }
    if !staged_ok {
        client
            .update_layout(vec![RoleChange::assign(&node_id, &want)])
            .await?;
        actions.push(Action::AssignedRole {
            node_id: node_id.clone(),
            zone: spec.zone.clone(),
            capacity: spec.capacity_bytes,
        });
    }
    let version = layout.version + 1;
    client.apply_layout(version).await?;
    actions.push(Action::AppliedLayout { version });
    Ok(())
}

async fn wait_ready(client: &AdminClient, timeout: Duration) -> Result<(), GarageError> {
    let start = tokio::time::Instant::now();
    loop {
        if client.health().await? {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(GarageError::NotReady(timeout));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn ensure_key(
    client: &AdminClient,
    spec: &SetupSpec,
    actions: &mut Vec<Action>,
) -> Result<(), GarageError> {
    match client.key_info(&spec.access_key_id, true).await? {
        Some(key) => {
            if key.secret_access_key.as_deref() != Some(spec.secret_key.as_str()) {
                return Err(GarageError::KeySecretMismatch(spec.access_key_id.clone()));
            }
            Ok(())
        }
        None => {
            match client
                .import_key(&spec.access_key_id, &spec.secret_key, KEY_NAME)
                .await
            {
                Ok(_) => {}
                // Absent for GetKeyInfo but present for ImportKey: a tombstone.
                Err(GarageError::Api { status: 409, .. }) => {
                    return Err(GarageError::KeyDeleted(spec.access_key_id.clone()));
                }
                Err(e) => return Err(e),
            }
            actions.push(Action::ImportedKey {
                access_key_id: spec.access_key_id.clone(),
            });
            Ok(())
        }
    }
}

async fn ensure_bucket(
    client: &AdminClient,
    spec: &SetupSpec,
    name: &str,
    actions: &mut Vec<Action>,
) -> Result<(), GarageError> {
    let mut info: BucketInfo = match client.bucket_by_alias(name).await? {
        Some(b) => b,
        None => match client.create_bucket(name).await {
            Ok(b) => {
                actions.push(Action::CreatedBucket {
                    bucket: name.to_owned(),
                });
                b
            }
            // Created meanwhile by someone else: use it.
            Err(GarageError::Api { status: 409, .. }) => client
                .bucket_by_alias(name)
                .await?
                .ok_or_else(|| GarageError::Invalid(format!("bucket {name} vanished")))?,
            Err(e) => return Err(e),
        },
    };
    if info.key_permissions(&spec.access_key_id) != BucketKeyPerm::ALL {
        info = client
            .allow_bucket_key(&info.id, &spec.access_key_id, BucketKeyPerm::ALL)
            .await?;
        actions.push(Action::AllowedKey {
            bucket: name.to_owned(),
        });
    }
    let mut update = BucketUpdate::default();
    if !spec.cors_allowed_origins.is_empty() {
        let want = cors_rules(&spec.cors_allowed_origins);
        if info.cors_rules.as_ref() != Some(&want) {
            update.cors_rules = Some(want);
        }
    }
    if let Some(days) = spec.incoming_expire_days {
        let want = lifecycle_rules(days);
        if info.lifecycle_rules.as_ref() != Some(&want) {
            update.lifecycle_rules = Some(want);
        }
    }
    if update.cors_rules.is_some() || update.lifecycle_rules.is_some() {
        client.update_bucket(&info.id, &update).await?;
        if update.cors_rules.is_some() {
            actions.push(Action::SetCors {
                bucket: name.to_owned(),
            });
        }
        if update.lifecycle_rules.is_some() {
            actions.push(Action::SetLifecycle {
                bucket: name.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SetupSpec {
        SetupSpec {
            zone: "dc1".into(),
            capacity_bytes: 1 << 30,
            access_key_id: "GK0123456789abcdef01234567".into(),
            secret_key: "ab".repeat(32),
            buckets: vec!["uploads".into()],
            cors_allowed_origins: vec!["*".into()],
            incoming_expire_days: Some(1),
        }
    }

    #[test]
    fn spec_checks_come_before_any_call() {
        assert!(check(&spec()).is_ok());
        let mut s = spec();
        s.capacity_bytes = 0;
        assert!(matches!(check(&s), Err(GarageError::Invalid(_))));
        let mut s = spec();
        s.access_key_id = "minio".into();
        assert!(matches!(check(&s), Err(GarageError::Invalid(_))));
        let mut s = spec();
        s.zone = " ".into();
        assert!(check(&s).is_err());
        assert!(!format!("{:?}", spec()).contains(&"ab".repeat(32)));
    }

    #[test]
    fn rules_serialize_with_the_s3_names() {
        assert_eq!(
            serde_json::to_value(lifecycle_rules(1)).unwrap(),
            serde_json::json!([{"ID": INCOMING_RULE_ID, "Status": "Enabled",
                "Filter": {"Prefix": "incoming/"}, "Expiration": {"Days": 1}}])
        );
        let cors = serde_json::to_value(cors_rules(&["https://a.example".into()])).unwrap();
        assert_eq!(
            cors[0]["AllowedOrigin"],
            serde_json::json!(["https://a.example"])
        );
        assert_eq!(
            cors[0]["AllowedMethod"],
            serde_json::json!(["PUT", "GET", "HEAD"])
        );
        assert_eq!(
            Action::AppliedLayout { version: 2 }.to_string(),
            "applied layout version 2"
        );
    }
}
