//! Garage (<https://garagehq.deuxfleurs.fr>, a Rust S3 server, AGPL, run as a
//! separate program from the `dxflrs/garage` images) as the maintained
//! in-cluster object store beside MinIO.
//!
//! - [`objects`]: what is particular to Garage's objects: `garage.toml` for
//!   a single node and its container (`resources::garage` makes the
//!   ConfigMap, StatefulSet and Service with the shared builders).
//! - [`admin`]: a small client of Garage's admin API v2 (HTTP JSON on port
//!   3903, `Authorization: Bearer <admin token>`).
//! - [`setup`]: the idempotent setup through that API: the node's role in
//!   the cluster layout, the S3 key, the buckets, the key's permissions and
//!   the buckets' CORS and lifecycle rules. It reports what it changed; a
//!   second run reports nothing.
//!
//! Credentials ([`Credentials::generate`]): Garage's own key ids are `GK`
//! followed by 24 lowercase hex digits (12 random bytes) and its secrets are
//! 64 hex digits (32 random bytes); the operator generates them in that
//! form and imports them (`ImportKey`), so that the key can be written into
//! the stack's Secret before Garage runs. The RPC secret (`GARAGE_RPC_SECRET`)
//! must be 32 bytes hex-encoded; the admin token is any string, generated as
//! 64 hex digits too. Garage accepts imported keys more loosely (an id of 8+
//! characters out of `[A-Za-z0-9._-]`, a secret of 16+ printable ASCII
//! characters), which [`validate_key`] checks for user-provided keys. A key
//! id once deleted can never be imported again (Garage keeps a tombstone).

pub mod admin;
pub mod objects;
pub mod setup;

pub use admin::{AdminClient, GarageError};
pub use objects::ConfigParams;
pub use setup::{Action, SetupSpec, setup};

/// How the reconciler runs [`setup`]: through this trait, so that the
/// controller's tests (whose fake API server cannot run Garage) can record
/// the calls and answer as they like. [`AdminApiSetup`] is the real one.
pub trait GarageSetup: Send + Sync {
    fn setup<'a>(
        &'a self,
        admin_url: &'a str,
        admin_token: &'a str,
        spec: &'a SetupSpec,
    ) -> futures::future::BoxFuture<'a, Result<Vec<Action>, GarageError>>;
}

/// [`setup`] through Garage's admin API.
pub struct AdminApiSetup;

impl GarageSetup for AdminApiSetup {
    fn setup<'a>(
        &'a self,
        admin_url: &'a str,
        admin_token: &'a str,
        spec: &'a SetupSpec,
    ) -> futures::future::BoxFuture<'a, Result<Vec<Action>, GarageError>> {
        Box::pin(setup(admin_url, admin_token, spec))
    }
}

/// Port of the S3 API.
pub const S3_PORT: u16 = 3900;
/// Port of Garage's internal RPC (between nodes; a single node binds it too).
pub const RPC_PORT: u16 = 3901;
/// Port of the admin API (setup, `/health`, `/metrics`).
pub const ADMIN_PORT: u16 = 3903;
/// imgup's default S3 region; Garage signs and checks SigV4 against
/// `s3_region`, so clients must use the same.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The S3 key and the cluster secrets for one Garage deployment.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `GK` + 24 hex digits.
    pub access_key_id: String,
    /// 64 hex digits.
    pub secret_key: String,
    /// 64 hex digits (32 bytes), `GARAGE_RPC_SECRET`.
    pub rpc_secret: String,
    /// 64 hex digits, `GARAGE_ADMIN_TOKEN`.
    pub admin_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source works");
    hex::encode(buf)
}

impl Credentials {
    /// Fresh credentials in Garage's native formats.
    pub fn generate() -> Self {
        Self {
            access_key_id: format!("GK{}", random_hex(12)),
            secret_key: random_hex(32),
            rpc_secret: random_hex(32),
            admin_token: random_hex(32),
        }
    }
}

/// Whether `id` has the form of a key id Garage generates (`GK` + 24 hex).
pub fn is_native_key_id(id: &str) -> bool {
    id.len() == 26
        && id.starts_with("GK")
        && id[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `s` is a valid RPC secret: 32 bytes, hex-encoded.
pub fn is_valid_rpc_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The rules Garage applies to an imported key (`Key::import`): an id of at
/// least 8 characters out of `[A-Za-z0-9._-]`, a secret of at least 16
/// printable ASCII characters. The error says what is wrong, never the secret.
pub fn validate_key(access_key_id: &str, secret_key: &str) -> Result<(), String> {
    if access_key_id.len() < 8
        || !access_key_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "Garage key ids are at least 8 characters of [A-Za-z0-9._-] (generated ones are GK + 24 hex digits); got {access_key_id:?}"
        ));
    }
    if secret_key.len() < 16 || !secret_key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(
            "Garage secret keys are at least 16 printable ASCII characters (generated ones are 64 hex digits)"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_have_garage_native_formats() {
        let a = Credentials::generate();
        let b = Credentials::generate();
        assert!(is_native_key_id(&a.access_key_id), "{}", a.access_key_id);
        assert_eq!(a.secret_key.len(), 64);
        assert!(a.secret_key.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(is_valid_rpc_secret(&a.rpc_secret));
        assert_eq!(a.admin_token.len(), 64);
        assert!(validate_key(&a.access_key_id, &a.secret_key).is_ok());
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.secret_key, b.secret_key);
        assert!(!format!("{a:?}").contains(&a.secret_key));
    }

    #[test]
    fn key_rules_follow_garage_import() {
        assert!(!is_native_key_id("GK0123456789ABCDEF01234567"));
        assert!(!is_native_key_id("GK0123"));
        assert!(is_native_key_id("GK0123456789abcdef01234567"));
        assert!(validate_key("minio", "minio123minio123").is_err());
        assert!(validate_key("imgup-key", "short").is_err());
        assert!(validate_key("imgup key!", "0123456789abcdef").is_err());
        assert!(validate_key("imgup-key", "0123456789abcdef").is_ok());
        assert!(!is_valid_rpc_secret("abc"));
    }
}
