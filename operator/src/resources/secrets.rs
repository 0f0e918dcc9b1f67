//! Generated credentials and where each service reads its secrets from.
//!
//! One Secret, `<stack>-generated`, holds every credential the operator makes
//! up. It is created once (a plain create, never an apply) and never
//! regenerated. It has no owner reference: with the `Retain` policy it
//! outlives the stack together with the volumes whose passwords it holds, and
//! a stack re-created under the same name picks it up again. A Secret the
//! user names in the spec wins over the generated key.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;

use super::{child_name, labels};
use crate::crd::{Database, ImageUploadStack, SecretKeyRef, Storage};

pub const POSTGRES_PASSWORD: &str = "postgres-password";
pub const MINIO_ROOT_USER: &str = "minio-root-user";
pub const MINIO_ROOT_PASSWORD: &str = "minio-root-password";
pub const JWT_SECRET: &str = "jwt-secret";
pub const SESSION_SECRET: &str = "session-secret";
/// Garage's S3 key (`GK` + 24 hex digits) and its secret, imported into
/// Garage by the setup.
pub const GARAGE_ACCESS_KEY_ID: &str = "garage-access-key-id";
pub const GARAGE_SECRET_KEY: &str = "garage-secret-key";
pub use crate::garage::objects::{
    ADMIN_TOKEN_KEY as GARAGE_ADMIN_TOKEN, RPC_SECRET_KEY as GARAGE_RPC_SECRET,
};

/// Every key the generated Secret carries (the Garage ones whatever the
/// storage, so that a later switch to Garage finds them).
pub const GENERATED_KEYS: [&str; 9] = [
    POSTGRES_PASSWORD,
    MINIO_ROOT_USER,
    MINIO_ROOT_PASSWORD,
    JWT_SECRET,
    SESSION_SECRET,
    GARAGE_ACCESS_KEY_ID,
    GARAGE_SECRET_KEY,
    GARAGE_RPC_SECRET,
    GARAGE_ADMIN_TOKEN,
];

pub fn generated_name(stack: &ImageUploadStack) -> String {
    child_name(stack, "generated")
}

fn generated(stack: &ImageUploadStack, key: &str) -> SecretKeyRef {
    SecretKeyRef {
        name: generated_name(stack),
        key: key.into(),
    }
}

/// Fresh random values for every generated key. Hex only, so that a password
/// can sit inside a `postgres://` URL without escaping.
pub fn generate_values() -> BTreeMap<String, String> {
    let garage = crate::garage::Credentials::generate();
    GENERATED_KEYS
        .iter()
        .map(|k| {
            let v = match *k {
                MINIO_ROOT_USER => format!("imgup-{}", random_hex(6)),
                GARAGE_ACCESS_KEY_ID => garage.access_key_id.clone(),
                GARAGE_SECRET_KEY => garage.secret_key.clone(),
                GARAGE_RPC_SECRET => garage.rpc_secret.clone(),
                GARAGE_ADMIN_TOKEN => garage.admin_token.clone(),
                JWT_SECRET | SESSION_SECRET => random_hex(32),
                _ => random_hex(24),
            };
            (k.to_string(), v)
        })
        .collect()
}

/// `n` random bytes from the OS, hex encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source works");
    super::hex(&buf)
}

/// The generated Secret, as created once.
pub fn generated_secret(stack: &ImageUploadStack, values: BTreeMap<String, String>) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(generated_name(stack)),
            namespace: stack.namespace(),
            labels: Some(labels(stack, "credentials")),
            annotations: Some(BTreeMap::from([(
                "imgup.dev/note".to_string(),
                "generated once by imgup-operator; never regenerated; kept on stack deletion unless retention is Delete".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            values
                .into_iter()
                .map(|(k, v)| (k, ByteString(v.into_bytes())))
                .collect(),
        ),
        ..Secret::default()
    }
}

/// Keys a found generated Secret lacks (an older operator may have made it).
pub fn missing_generated_keys(secret: &Secret) -> Vec<&'static str> {
    GENERATED_KEYS
        .iter()
        .copied()
        .filter(|k| secret.data.as_ref().is_none_or(|d| !d.contains_key(*k)))
        .collect()
}

pub fn jwt_secret(stack: &ImageUploadStack) -> SecretKeyRef {
    stack
        .spec
        .auth
        .jwt_secret_ref
        .clone()
        .unwrap_or_else(|| generated(stack, JWT_SECRET))
}

pub fn session_secret(stack: &ImageUploadStack) -> SecretKeyRef {
    stack
        .spec
        .auth
        .session_secret_ref
        .clone()
        .unwrap_or_else(|| generated(stack, SESSION_SECRET))
}

/// The Postgres password (in-cluster database only).
pub fn postgres_password(stack: &ImageUploadStack) -> Option<SecretKeyRef> {
    match stack.spec.database() {
        Database::Postgres(p) => Some(
            p.password_secret_ref
                .clone()
                .unwrap_or_else(|| generated(stack, POSTGRES_PASSWORD)),
        ),
        Database::External(_) => None,
    }
}

/// The access key and secret key the API and the bucket job use.
pub fn s3_credentials(stack: &ImageUploadStack) -> (SecretKeyRef, SecretKeyRef) {
    match stack.spec.storage() {
        Storage::Minio(m) => match &m.credentials_secret {
            Some(name) => (
                SecretKeyRef {
                    name: name.clone(),
                    key: "root-user".into(),
                },
                SecretKeyRef {
                    name: name.clone(),
                    key: "root-password".into(),
                },
            ),
            None => (
                generated(stack, MINIO_ROOT_USER),
                generated(stack, MINIO_ROOT_PASSWORD),
            ),
        },
        Storage::Garage(_) => (
            generated(stack, GARAGE_ACCESS_KEY_ID),
            generated(stack, GARAGE_SECRET_KEY),
        ),
        Storage::External(e) => (
            SecretKeyRef {
                name: e.credentials_secret.clone(),
                key: "access-key".into(),
            },
            SecretKeyRef {
                name: e.credentials_secret.clone(),
                key: "secret-key".into(),
            },
        ),
    }
}

/// Every key of a Secret the user named; each must exist before the stack
/// can run, and its content feeds the config hash.
pub fn user_secret_refs(stack: &ImageUploadStack) -> Vec<SecretKeyRef> {
    let gen_name = generated_name(stack);
    let spec = &stack.spec;
    let mut refs = vec![jwt_secret(stack), session_secret(stack)];
    refs.extend(postgres_password(stack));
    let (a, s) = s3_credentials(stack);
    refs.push(a);
    refs.push(s);
    if let Database::External(e) = spec.database() {
        refs.push(e.url_secret_ref.clone());
    }
    if let Some(r) = &spec.redis {
        refs.push(r.url_secret_ref.clone());
    }
    let clients = [spec.auth.google.as_ref(), spec.auth.github.as_ref()]
        .into_iter()
        .flatten()
        .chain(spec.auth.oidc.as_ref().map(|o| &o.client));
    for c in clients {
        for key in [&c.client_id_key, &c.client_secret_key] {
            refs.push(SecretKeyRef {
                name: c.secret_name.clone(),
                key: key.clone(),
            });
        }
    }
    refs.retain(|r| r.name != gen_name);
    refs.sort_by(|a, b| (&a.name, &a.key).cmp(&(&b.name, &b.key)));
    refs.dedup();
    refs
}

/// Whether the stack reads Secret `name` (of its namespace): the generated
/// one or one its spec names.
pub fn reads(stack: &ImageUploadStack, name: &str) -> bool {
    name == generated_name(stack) || user_secret_refs(stack).iter().any(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_reads_its_generated_secret_and_those_it_names_only() {
        let mut spec = crate::crd::ImageUploadStackSpec::default();
        spec.auth.jwt_secret_ref = Some(SecretKeyRef {
            name: "jwt".into(),
            key: "k".into(),
        });
        let s = crate::resources::test_support::stack(spec);
        assert!(reads(&s, "demo-generated"));
        assert!(reads(&s, "jwt"));
        assert!(!reads(&s, "someone-elses"));
    }
    use crate::crd::{ExternalS3Spec, ImageUploadStackSpec, OAuthClientSpec};
    use crate::resources::test_support::stack;

    #[test]
    fn generated_values_are_fresh_long_and_url_safe() {
        let a = generate_values();
        let b = generate_values();
        assert_eq!(a.keys().map(String::as_str).collect::<Vec<_>>().len(), 9);
        for k in GENERATED_KEYS {
            assert_ne!(a[k], b[k], "{k} repeated between two generations");
            assert!(a[k].chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
        assert!(
            a[JWT_SECRET].len() >= 32,
            "JWT_SECRET must be at least 32 bytes"
        );
        assert!(
            a[MINIO_ROOT_PASSWORD].len() >= 8,
            "MinIO needs 8+ characters"
        );
        assert!(crate::garage::is_native_key_id(&a[GARAGE_ACCESS_KEY_ID]));
        assert!(crate::garage::is_valid_rpc_secret(&a[GARAGE_RPC_SECRET]));
        assert!(
            crate::garage::validate_key(&a[GARAGE_ACCESS_KEY_ID], &a[GARAGE_SECRET_KEY]).is_ok()
        );
    }

    #[test]
    fn generated_secret_is_not_owned_so_it_outlives_the_stack() {
        let s = stack(ImageUploadStackSpec::default());
        let secret = generated_secret(&s, generate_values());
        assert_eq!(secret.metadata.name.as_deref(), Some("demo-generated"));
        assert_eq!(secret.metadata.namespace.as_deref(), Some("imgup"));
        assert!(secret.metadata.owner_references.is_none());
        assert!(missing_generated_keys(&secret).is_empty());
        let mut partial = secret.clone();
        partial.data.as_mut().unwrap().remove(SESSION_SECRET);
        assert_eq!(missing_generated_keys(&partial), vec![SESSION_SECRET]);
    }

    #[test]
    fn a_secret_the_user_names_wins() {
        let mut spec = ImageUploadStackSpec::default();
        spec.auth.jwt_secret_ref = Some(SecretKeyRef {
            name: "my-jwt".into(),
            key: "k".into(),
        });
        let s = stack(spec);
        assert_eq!(jwt_secret(&s).name, "my-jwt");
        assert_eq!(session_secret(&s).name, "demo-generated");
        let refs = user_secret_refs(&s);
        assert_eq!(
            refs,
            vec![SecretKeyRef {
                name: "my-jwt".into(),
                key: "k".into()
            }]
        );
    }

    #[test]
    fn the_redis_url_is_a_required_secret() {
        let spec = ImageUploadStackSpec {
            redis: Some(crate::crd::RedisSpec {
                url_secret_ref: SecretKeyRef {
                    name: "redis".into(),
                    key: "url".into(),
                },
            }),
            ..ImageUploadStackSpec::default()
        };
        assert_eq!(
            user_secret_refs(&stack(spec)),
            vec![SecretKeyRef {
                name: "redis".into(),
                key: "url".into()
            }]
        );
    }

    #[test]
    fn external_storage_and_oauth_clients_are_required_secrets() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.example.com".into(),
            credentials_secret: "s3-creds".into(),
            ..ExternalS3Spec::default()
        });
        spec.auth.github = Some(OAuthClientSpec {
            secret_name: "gh".into(),
            client_id_key: "id".into(),
            client_secret_key: "secret".into(),
        });
        let s = stack(spec);
        let got: Vec<_> = user_secret_refs(&s)
            .into_iter()
            .map(|r| format!("{}/{}", r.name, r.key))
            .collect();
        assert_eq!(
            got,
            vec![
                "gh/id",
                "gh/secret",
                "s3-creds/access-key",
                "s3-creds/secret-key"
            ]
        );
    }
}
