use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

use crate::{Claims, SigningAlgorithm};

/// Clock skew tolerated on `exp`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// A key set is fetched again on an unknown `kid` at most this often.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// Checks imgup access tokens: the signature (with the one configured
/// algorithm, whatever the header says), `exp`, and `iss`/`aud` when configured.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Keys,
    validation: Validation,
}

#[derive(Clone)]
enum Keys {
    Secret(DecodingKey),
    Set(Arc<KeySet>),
}

/// Public keys by `kid`, from a JWKS given once or fetched from a URL.
struct KeySet {
    algorithm: Algorithm,
    remote: Option<Remote>,
    keys: RwLock<HashMap<String, DecodingKey>>,
}

struct Remote {
    url: url::Url,
    http: reqwest::Client,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("token expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

fn validation(algorithm: Algorithm, issuer: Option<&str>, audience: Option<&str>) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_required_spec_claims(&["exp", "sub"]);
    match issuer {
        Some(iss) => validation.set_issuer(&[iss]),
        None => validation.iss = None,
    }
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation
}

fn keys_by_id(set: &JwkSet, algorithm: Algorithm) -> HashMap<String, DecodingKey> {
    let wanted = match algorithm {
        Algorithm::ES256 => KeyAlgorithm::ES256,
        Algorithm::EdDSA => KeyAlgorithm::EdDSA,
        _ => return HashMap::new(),
    };
    set.keys
        .iter()
        .filter(|jwk| jwk.common.key_algorithm == Some(wanted))
        .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
        .collect()
}

impl JwtVerifier {
    pub fn hs256(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self {
            keys: Keys::Secret(DecodingKey::from_secret(secret)),
            validation: validation(Algorithm::HS256, issuer, audience),
        }
    }

    /// Verifies `algorithm` tokens against the keys of `set`.
    pub fn local(
        algorithm: SigningAlgorithm,
        set: JwkSet,
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Self {
        let algorithm = algorithm.jsonwebtoken();
        Self {
            keys: Keys::Set(Arc::new(KeySet {
                algorithm,
                remote: None,
                keys: RwLock::new(keys_by_id(&set, algorithm)),
            })),
            validation: validation(algorithm, issuer, audience),
        }
    }

    /// Verifies `algorithm` tokens against the key set published at `url`,
    /// fetched when a token names a key not seen yet (so rotations just work).
    pub fn remote(
        algorithm: SigningAlgorithm,
        url: url::Url,
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Self {
        let algorithm = algorithm.jsonwebtoken();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with default TLS settings");
        Self {
            keys: Keys::Set(Arc::new(KeySet {
                algorithm,
                remote: Some(Remote {
                    url,
                    http,
                    last_fetch: tokio::sync::Mutex::new(None),
                }),
                keys: RwLock::new(HashMap::new()),
            })),
            validation: validation(algorithm, issuer, audience),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        match &self.keys {
            Keys::Secret(key) => self.decode(token, key),
            Keys::Set(set) => {
                let header = decode_header(token).map_err(|_| VerifyError::Invalid)?;
                if header.alg != set.algorithm {
                    return Err(VerifyError::Invalid);
                }
                let kid = header.kid.ok_or(VerifyError::Invalid)?;
                if let Some(key) = set.key(&kid) {
                    return self.decode(token, &key);
                }
                set.refetch().await;
                let key = set.key(&kid).ok_or(VerifyError::Invalid)?;
                self.decode(token, &key)
            }
        }
    }

    fn decode(&self, token: &str, key: &DecodingKey) -> Result<Claims, VerifyError> {
        decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                _ => VerifyError::Invalid,
            })
    }
}

impl KeySet {
    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(kid)
            .cloned()
    }

    /// Fetches the published keys again, unless that happened moments ago.
    async fn refetch(&self) {
        let Some(remote) = &self.remote else { return };
        let mut last = remote.last_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        let fetched = async {
            let response = remote
                .http
                .get(remote.url.clone())
                .send()
                .await?
                .error_for_status()?;
            response.json::<JwkSet>().await
        };
        match fetched.await {
            Ok(set) => {
                let keys = keys_by_id(&set, self.algorithm);
                tracing::info!(keys = keys.len(), url = %remote.url, "fetched the token signing keys");
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
            }
            Err(err) => {
                tracing::warn!(url = %remote.url, "cannot fetch the token signing keys: {}", err.without_url())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtSettings, JwtSigner, Role, TokenSubject};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn subject() -> TokenSubject {
        TokenSubject {
            user_id: "42".into(),
            email: "ada@example.com".into(),
            name: Some("Ada".into()),
            role: Role::Admin,
        }
    }

    fn b64(value: &serde_json::Value) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[tokio::test]
    async fn a_signed_token_verifies_with_its_claims() {
        let signer = JwtSigner::hs256(SECRET, 60, Some("imgup-auth".into()), Some("imgup".into()));
        let token = signer.sign(&subject());
        let verifier = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("imgup"));
        let claims = verifier.verify(&token).await.unwrap();
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.email, "ada@example.com");
        assert!(claims.is_admin());
        assert!(claims.jti.is_some());
    }

    #[tokio::test]
    async fn wrong_secret_issuer_audience_and_expiry_are_refused() {
        let signer = JwtSigner::hs256(SECRET, 60, Some("imgup-auth".into()), Some("imgup".into()));
        let token = signer.sign(&subject());
        let other_secret = JwtVerifier::hs256(
            b"another-secret-another-secret-xx",
            Some("imgup-auth"),
            Some("imgup"),
        );
        assert_eq!(other_secret.verify(&token).await, Err(VerifyError::Invalid));
        let other_iss = JwtVerifier::hs256(SECRET, Some("someone-else"), Some("imgup"));
        assert_eq!(other_iss.verify(&token).await, Err(VerifyError::Invalid));
        let other_aud = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("other"));
        assert_eq!(other_aud.verify(&token).await, Err(VerifyError::Invalid));

        let mut claims = signer.claims_for(&subject());
        claims.exp = claims.iat - 120;
        let expired = signer.sign_claims(&claims);
        let verifier = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("imgup"));
        assert_eq!(verifier.verify(&expired).await, Err(VerifyError::Expired));
    }

    #[tokio::test]
    async fn alg_none_and_tampered_payloads_are_refused() {
        let signer = JwtSigner::hs256(SECRET, 60, None, None);
        let verifier = JwtVerifier::hs256(SECRET, None, None);
        let claims = serde_json::to_value(signer.claims_for(&subject())).unwrap();

        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg":"none","typ":"JWT"})),
            b64(&claims)
        );
        assert_eq!(verifier.verify(&none).await, Err(VerifyError::Invalid));

        let token = signer.sign(&subject());
        let signature = token.rsplit('.').next().unwrap();
        let mut forged = claims.clone();
        forged["role"] = "admin".into();
        forged["sub"] = "1".into();
        let tampered = format!(
            "{}.{}.{signature}",
            b64(&serde_json::json!({"alg":"HS256","typ":"JWT"})),
            b64(&forged)
        );
        assert_eq!(verifier.verify(&tampered).await, Err(VerifyError::Invalid));
        assert_eq!(
            verifier.verify("not a token").await,
            Err(VerifyError::Invalid)
        );
    }

    #[tokio::test]
    async fn other_algorithms_are_refused_even_with_a_valid_hmac() {
        use hmac::Mac;
        let signer = JwtSigner::hs256(SECRET, 60, None, None);
        let verifier = JwtVerifier::hs256(SECRET, None, None);
        let claims = serde_json::to_value(signer.claims_for(&subject())).unwrap();
        for alg in ["RS256", "ES256", "EdDSA", "HS384", "HS512", "PS256"] {
            let message = format!(
                "{}.{}",
                b64(&serde_json::json!({"alg": alg, "typ": "JWT"})),
                b64(&claims)
            );
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
            mac.update(message.as_bytes());
            use base64::Engine as _;
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(mac.finalize().into_bytes());
            assert_eq!(
                verifier.verify(&format!("{message}.{signature}")).await,
                Err(VerifyError::Invalid),
                "{alg}"
            );
        }
    }

    const ES256_PEM: &str = include_str!("../../testkit/assets/test-es256.pem");
    const ED25519_PEM: &str = include_str!("../../testkit/assets/test-ed25519.pem");

    #[tokio::test]
    async fn es256_and_eddsa_tokens_verify_against_the_published_keys() {
        for (alg, pem) in [
            (SigningAlgorithm::Es256, ES256_PEM),
            (SigningAlgorithm::EdDsa, ED25519_PEM),
        ] {
            let settings = JwtSettings::asymmetric(alg, pem);
            let token = settings.signer().unwrap().sign(&subject());
            let jwks = settings.jwks().unwrap();
            assert_eq!(jwks.keys.len(), 1);
            let verifier = JwtVerifier::local(alg, jwks.clone(), None, None);
            assert_eq!(verifier.verify(&token).await.unwrap().sub, "42", "{alg}");
            let published = serde_json::to_value(&jwks).unwrap();
            assert!(
                published["keys"][0].get("d").is_none(),
                "{alg}: the private part is never published"
            );
            assert!(published["keys"][0]["kid"].is_string());

            let mut tampered = token.clone();
            tampered.insert(tampered.find('.').unwrap() + 2, 'x');
            assert_eq!(
                verifier.verify(&tampered).await,
                Err(VerifyError::Invalid),
                "{alg}"
            );
        }
    }

    #[tokio::test]
    async fn hs256_tokens_keyed_with_the_public_key_are_refused() {
        let settings = JwtSettings::asymmetric(SigningAlgorithm::Es256, ES256_PEM);
        let jwks = settings.jwks().unwrap();
        let verifier = JwtVerifier::local(SigningAlgorithm::Es256, jwks.clone(), None, None);
        let kid = jwks.keys[0].common.key_id.clone();
        // The classic confusion: sign with HS256, using public material as the secret.
        let public = serde_json::to_string(&jwks.keys[0]).unwrap();
        for secret in [public.as_bytes(), ES256_PEM.as_bytes()] {
            let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
            header.kid = kid.clone();
            let claims = JwtSigner::hs256(secret, 60, None, None).claims_for(&subject());
            let forged = jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(secret),
            )
            .unwrap();
            assert_eq!(verifier.verify(&forged).await, Err(VerifyError::Invalid));
        }
        // And a token from a key that is not published.
        let other = JwtSettings::asymmetric(SigningAlgorithm::EdDsa, ED25519_PEM)
            .signer()
            .unwrap()
            .sign(&subject());
        assert_eq!(verifier.verify(&other).await, Err(VerifyError::Invalid));
    }
}
