use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

use crate::{Claims, Role};

/// Who a token is for.
#[derive(Debug, Clone)]
pub struct TokenSubject {
    pub user_id: String,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

pub struct JwtSigner {
    key: EncodingKey,
    header: Header,
    ttl_seconds: u64,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtSigner {
    pub fn hs256(
        secret: &[u8],
        ttl_seconds: u64,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Self {
        Self {
            key: EncodingKey::from_secret(secret),
            header: Header::new(Algorithm::HS256),
            ttl_seconds,
            issuer,
            audience,
        }
    }

    /// Signs with a private key (ES256, EdDSA); `kid` names its public half in the JWKS.
    pub fn with_key(
        key: EncodingKey,
        algorithm: crate::SigningAlgorithm,
        kid: Option<String>,
        ttl_seconds: u64,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Self {
        let mut header = Header::new(algorithm.jsonwebtoken());
        header.kid = kid;
        Self {
            key,
            header,
            ttl_seconds,
            issuer,
            audience,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    pub fn claims_for(&self, subject: &TokenSubject) -> Claims {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Claims {
            sub: subject.user_id.clone(),
            email: subject.email.clone(),
            name: subject.name.clone(),
            role: subject.role,
            iat: now,
            exp: now + self.ttl_seconds,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Some(uuid::Uuid::new_v4().to_string()),
        }
    }

    pub fn sign(&self, subject: &TokenSubject) -> String {
        self.sign_claims(&self.claims_for(subject))
    }

    pub fn sign_claims(&self, claims: &Claims) -> String {
        encode(&self.header, claims, &self.key)
            .expect("signing plain claims with a validated key cannot fail")
    }
}
