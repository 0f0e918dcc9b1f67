use std::fmt;

use crate::{JwtSigner, JwtVerifier};

pub const MIN_SECRET_BYTES: usize = 32;

/// The contract's JWT variables, shared by both services' configuration.
#[derive(Clone, clap::Args)]
pub struct JwtSettings {
    /// HMAC secret for HS256, at least 32 bytes.
    #[arg(
        long = "jwt-secret",
        env = "JWT_SECRET",
        value_name = "JWT_SECRET",
        hide_env_values = true
    )]
    pub secret: String,
    /// Signing algorithm; HS256 is the one supported with a shared secret.
    #[arg(
        long = "jwt-algorithm",
        env = "JWT_ALGORITHM",
        value_name = "JWT_ALGORITHM",
        default_value = "HS256"
    )]
    pub algorithm: String,
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
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {0})")]
    SecretTooShort(usize),
    #[error("JWT_ALGORITHM {0:?} is not supported (use HS256)")]
    UnsupportedAlgorithm(String),
    #[error("JWT_EXPIRE_MINUTES must be greater than zero")]
    ZeroLifetime,
}

impl JwtSettings {
    pub fn hs256(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            algorithm: "HS256".into(),
            expire_minutes: 1440,
            issuer: None,
            audience: None,
        }
    }

    /// Checks the settings; the error names the variable at fault.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !self.algorithm.eq_ignore_ascii_case("HS256") {
            return Err(SettingsError::UnsupportedAlgorithm(self.algorithm.clone()));
        }
        if self.secret.len() < MIN_SECRET_BYTES {
            return Err(SettingsError::SecretTooShort(self.secret.len()));
        }
        if self.expire_minutes == 0 {
            return Err(SettingsError::ZeroLifetime);
        }
        Ok(())
    }

    pub fn verifier(&self) -> Result<JwtVerifier, SettingsError> {
        self.validate()?;
        Ok(JwtVerifier::hs256(
            self.secret.as_bytes(),
            self.issuer.as_deref(),
            self.audience.as_deref(),
        ))
    }

    pub fn signer(&self) -> Result<JwtSigner, SettingsError> {
        self.validate()?;
        Ok(JwtSigner::hs256(
            self.secret.as_bytes(),
            self.expire_minutes * 60,
            self.issuer.clone(),
            self.audience.clone(),
        ))
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &"<redacted>")
            .field("algorithm", &self.algorithm)
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
    fn short_secrets_and_other_algorithms_are_refused() {
        assert_eq!(
            JwtSettings::hs256("too-short").validate(),
            Err(SettingsError::SecretTooShort(9))
        );
        let mut settings = JwtSettings::hs256("x".repeat(32));
        assert_eq!(settings.validate(), Ok(()));
        settings.algorithm = "none".into();
        assert!(matches!(
            settings.validate(),
            Err(SettingsError::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let settings = JwtSettings::hs256("a-very-secret-value-that-is-long-enough");
        assert!(!format!("{settings:?}").contains("a-very-secret"));
    }
}
