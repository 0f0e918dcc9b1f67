use std::fmt;
use std::path::PathBuf;

use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, ThumbprintHash,
};

use crate::{JwtSigner, JwtVerifier, SigningAlgorithm};

pub const MIN_SECRET_BYTES: usize = 32;

/// The contract's JWT variables, shared by both services' configuration.
///
/// HS256 (the default) signs and verifies with `JWT_SECRET`. ES256 and EdDSA
/// sign with `JWT_PRIVATE_KEY` (auth) and verify with the public keys that
/// auth publishes at `/.well-known/jwks.json` (`JWT_JWKS_URL`, the API), so
/// the API holds no signing secret.
#[derive(Clone, clap::Args)]
pub struct JwtSettings {
    /// HMAC secret for HS256, at least 32 bytes.
    #[arg(
        long = "jwt-secret",
        env = "JWT_SECRET",
        value_name = "JWT_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<String>,
    /// HS256, ES256 or EdDSA.
    #[arg(
        long = "jwt-algorithm",
        env = "JWT_ALGORITHM",
        value_name = "JWT_ALGORITHM",
        default_value = "HS256"
    )]
    pub algorithm: SigningAlgorithm,
    /// PKCS#8 PEM private key for ES256 (P-256) or EdDSA (Ed25519): the signing service only.
    #[arg(
        long = "jwt-private-key",
        env = "JWT_PRIVATE_KEY",
        value_name = "JWT_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// A file holding `JWT_PRIVATE_KEY` (e.g. a mounted Secret).
    #[arg(
        long = "jwt-private-key-file",
        env = "JWT_PRIVATE_KEY_FILE",
        value_name = "JWT_PRIVATE_KEY_FILE"
    )]
    pub private_key_file: Option<PathBuf>,
    /// Where verifiers fetch the public keys (imgup-auth's `/.well-known/jwks.json`).
    #[arg(
        long = "jwt-jwks-url",
        env = "JWT_JWKS_URL",
        value_name = "JWT_JWKS_URL"
    )]
    pub jwks_url: Option<url::Url>,
    /// Lifetime of issued tokens.
    #[arg(
        long = "jwt-expire-minutes",
        env = "JWT_EXPIRE_MINUTES",
        value_name = "JWT_EXPIRE_MINUTES",
        default_value_t = 1440
    )]
    pub expire_minutes: u64,
    /// Required `iss` claim, when set.
    #[arg(long = "jwt-issuer", env = "JWT_ISSUER", value_name = "JWT_ISSUER")]
    pub issuer: Option<String>,
    /// Required `aud` claim, when set.
    #[arg(
        long = "jwt-audience",
        env = "JWT_AUDIENCE",
        value_name = "JWT_AUDIENCE"
    )]
    pub audience: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("JWT_SECRET is required with JWT_ALGORITHM=HS256")]
    MissingSecret,
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {0})")]
    SecretTooShort(usize),
    #[error("JWT_EXPIRE_MINUTES must be greater than zero")]
    ZeroLifetime,
    #[error("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required to sign with {0}")]
    MissingPrivateKey(SigningAlgorithm),
    #[error("JWT_PRIVATE_KEY is not a PKCS#8 PEM {0} key: {1}")]
    BadPrivateKey(SigningAlgorithm, String),
    #[error("cannot read JWT_PRIVATE_KEY_FILE: {0}")]
    UnreadableKeyFile(String),
    #[error("JWT_JWKS_URL (or JWT_PRIVATE_KEY) is required to verify {0} tokens")]
    MissingJwksUrl(SigningAlgorithm),
}

impl JwtSettings {
    pub fn hs256(secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            algorithm: SigningAlgorithm::Hs256,
            private_key: None,
            private_key_file: None,
            jwks_url: None,
            expire_minutes: 1440,
            issuer: None,
            audience: None,
        }
    }

    /// Settings that sign with a PEM private key (ES256 or EdDSA).
    pub fn asymmetric(algorithm: SigningAlgorithm, private_key_pem: impl Into<String>) -> Self {
        Self {
            secret: None,
            algorithm,
            private_key: Some(private_key_pem.into()),
            ..Self::hs256("")
        }
    }

    /// Settings that verify tokens against a published key set.
    pub fn remote(algorithm: SigningAlgorithm, jwks_url: url::Url) -> Self {
        Self {
            secret: None,
            algorithm,
            jwks_url: Some(jwks_url),
            ..Self::hs256("")
        }
    }

    fn hmac_secret(&self) -> Result<&str, SettingsError> {
        let secret = self.secret.as_deref().ok_or(SettingsError::MissingSecret)?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SettingsError::SecretTooShort(secret.len()));
        }
        Ok(secret)
    }

    fn check_lifetime(&self) -> Result<(), SettingsError> {
        if self.expire_minutes == 0 {
            Err(SettingsError::ZeroLifetime)
        } else {
            Ok(())
        }
    }

    fn private_pem(&self) -> Result<String, SettingsError> {
        if let Some(pem) = &self.private_key {
            return Ok(pem.clone());
        }
        let path = self
            .private_key_file
            .as_ref()
            .ok_or(SettingsError::MissingPrivateKey(self.algorithm))?;
        std::fs::read_to_string(path)
            .map_err(|e| SettingsError::UnreadableKeyFile(format!("{}: {e}", path.display())))
    }

    fn encoding_key(&self) -> Result<EncodingKey, SettingsError> {
        if self.algorithm == SigningAlgorithm::Hs256 {
            return Ok(EncodingKey::from_secret(self.hmac_secret()?.as_bytes()));
        }
        let pem = self.private_pem()?;
        let key = match self.algorithm {
            SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(pem.as_bytes()),
            _ => EncodingKey::from_ed_pem(pem.as_bytes()),
        };
        key.map_err(|e| SettingsError::BadPrivateKey(self.algorithm, e.to_string()))
    }

    /// The public key of the signing key as a JWK, with its thumbprint as `kid`.
    fn public_jwk(&self, key: &EncodingKey) -> Result<Jwk, SettingsError> {
        let bad_key = |e: String| SettingsError::BadPrivateKey(self.algorithm, e);
        let mut jwk = match self.algorithm {
            // jsonwebtoken cannot derive an Ed25519 JWK (yet): derive it here.
            SigningAlgorithm::EdDsa => {
                use base64::Engine as _;
                use ed25519_dalek::pkcs8::DecodePrivateKey as _;
                let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(&self.private_pem()?)
                    .map_err(|e| bad_key(e.to_string()))?;
                Jwk {
                    common: CommonParameters {
                        key_algorithm: Some(KeyAlgorithm::EdDSA),
                        ..Default::default()
                    },
                    algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(signing.verifying_key().as_bytes()),
                    }),
                }
            }
            alg => Jwk::from_encoding_key(key, alg.jsonwebtoken())
                .map_err(|e| bad_key(e.to_string()))?,
        };
        jwk.common.key_id = Some(jwk.thumbprint(ThumbprintHash::SHA256));
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(jwk)
    }

    /// Checks the settings a signing service needs; the error names the variable.
    pub fn validate_for_signing(&self) -> Result<(), SettingsError> {
        self.check_lifetime()?;
        match self.algorithm {
            SigningAlgorithm::Hs256 => self.hmac_secret().map(drop),
            _ => self.encoding_key().map(drop),
        }
    }

    /// Checks the settings a verifying service needs; the error names the variable.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.check_lifetime()?;
        match self.algorithm {
            SigningAlgorithm::Hs256 => self.hmac_secret().map(drop),
            _ if self.jwks_url.is_some() => Ok(()),
            _ if self.private_key.is_some() || self.private_key_file.is_some() => {
                self.encoding_key().map(drop)
            }
            alg => Err(SettingsError::MissingJwksUrl(alg)),
        }
    }

    pub fn signer(&self) -> Result<JwtSigner, SettingsError> {
        self.validate_for_signing()?;
        let ttl = self.expire_minutes * 60;
        let (iss, aud) = (self.issuer.clone(), self.audience.clone());
        match self.algorithm {
            SigningAlgorithm::Hs256 => Ok(JwtSigner::hs256(
                self.hmac_secret()?.as_bytes(),
                ttl,
                iss,
                aud,
            )),
            alg => {
                let key = self.encoding_key()?;
                let kid = self.public_jwk(&key)?.common.key_id;
                Ok(JwtSigner::with_key(key, alg, kid, ttl, iss, aud))
            }
        }
    }

    /// The public keys to publish: the signing key's, or none with HS256
    /// (a shared secret is never published).
    pub fn jwks(&self) -> Result<JwkSet, SettingsError> {
        if !self.algorithm.is_asymmetric() {
            return Ok(JwkSet { keys: Vec::new() });
        }
        let key = self.encoding_key()?;
        Ok(JwkSet {
            keys: vec![self.public_jwk(&key)?],
        })
    }

    pub fn verifier(&self) -> Result<JwtVerifier, SettingsError> {
        self.validate()?;
        let (iss, aud) = (self.issuer.as_deref(), self.audience.as_deref());
        match self.algorithm {
            SigningAlgorithm::Hs256 => {
                Ok(JwtVerifier::hs256(self.hmac_secret()?.as_bytes(), iss, aud))
            }
            alg => match &self.jwks_url {
                Some(url) => Ok(JwtVerifier::remote(alg, url.clone(), iss, aud)),
                None => Ok(JwtVerifier::local(alg, self.jwks()?, iss, aud)),
            },
        }
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("algorithm", &self.algorithm)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("private_key_file", &self.private_key_file)
            .field("jwks_url", &self.jwks_url.as_ref().map(url::Url::as_str))
            .field("expire_minutes", &self.expire_minutes)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_missing_secrets_and_other_algorithms_are_refused() {
        assert_eq!(
            JwtSettings::hs256("too-short").validate(),
            Err(SettingsError::SecretTooShort(9))
        );
        let mut settings = JwtSettings::hs256("x".repeat(32));
        assert_eq!(settings.validate(), Ok(()));
        settings.secret = None;
        assert_eq!(settings.validate(), Err(SettingsError::MissingSecret));
        assert!("none".parse::<SigningAlgorithm>().is_err());
        assert!("RS256".parse::<SigningAlgorithm>().is_err());
        assert_eq!("eddsa".parse(), Ok(SigningAlgorithm::EdDsa));
    }

    #[test]
    fn asymmetric_settings_need_a_key_to_sign_and_a_key_set_to_verify() {
        let no_key = JwtSettings {
            private_key: None,
            ..JwtSettings::asymmetric(SigningAlgorithm::Es256, "")
        };
        assert_eq!(
            no_key.signer().err(),
            Some(SettingsError::MissingPrivateKey(SigningAlgorithm::Es256))
        );
        assert_eq!(
            no_key.verifier().err(),
            Some(SettingsError::MissingJwksUrl(SigningAlgorithm::Es256))
        );
        let bad = JwtSettings::asymmetric(SigningAlgorithm::Es256, "not a pem");
        assert!(matches!(
            bad.signer().err(),
            Some(SettingsError::BadPrivateKey(..))
        ));
        let remote = JwtSettings::remote(
            SigningAlgorithm::EdDsa,
            "http://auth:8001/.well-known/jwks.json".parse().unwrap(),
        );
        assert!(remote.verifier().is_ok());
    }

    #[test]
    fn debug_output_hides_the_secrets() {
        let settings = JwtSettings::hs256("a-very-secret-value-that-is-long-enough");
        assert!(!format!("{settings:?}").contains("a-very-secret"));
        let settings = JwtSettings::asymmetric(
            SigningAlgorithm::Es256,
            "-----BEGIN PRIVATE KEY-----secretstuff",
        );
        assert!(!format!("{settings:?}").contains("secretstuff"));
    }

    #[test]
    fn hs256_publishes_no_keys() {
        assert!(
            JwtSettings::hs256("x".repeat(32))
                .jwks()
                .unwrap()
                .keys
                .is_empty()
        );
    }
}
