use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};

use crate::Claims;

/// Checks imgup access tokens: the signature (HS256 only, whatever the header
/// says), `exp`, and `iss`/`aud` when configured.
/// Clock skew tolerated on `exp`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("token expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

impl JwtVerifier {
    pub fn hs256(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
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
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                _ => VerifyError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtSigner, Role, TokenSubject};

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

    #[test]
    fn a_signed_token_verifies_with_its_claims() {
        let signer = JwtSigner::hs256(SECRET, 60, Some("imgup-auth".into()), Some("imgup".into()));
        let token = signer.sign(&subject());
        let verifier = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("imgup"));
        let claims = verifier.verify(&token).unwrap();
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.email, "ada@example.com");
        assert!(claims.is_admin());
        assert!(claims.jti.is_some());
    }

    #[test]
    fn wrong_secret_issuer_audience_and_expiry_are_refused() {
        let signer = JwtSigner::hs256(SECRET, 60, Some("imgup-auth".into()), Some("imgup".into()));
        let token = signer.sign(&subject());
        let other_secret = JwtVerifier::hs256(
            b"another-secret-another-secret-xx",
            Some("imgup-auth"),
            Some("imgup"),
        );
        assert_eq!(other_secret.verify(&token), Err(VerifyError::Invalid));
        let other_iss = JwtVerifier::hs256(SECRET, Some("someone-else"), Some("imgup"));
        assert_eq!(other_iss.verify(&token), Err(VerifyError::Invalid));
        let other_aud = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("other"));
        assert_eq!(other_aud.verify(&token), Err(VerifyError::Invalid));

        let mut claims = signer.claims_for(&subject());
        claims.exp = claims.iat - 120;
        let expired = signer.sign_claims(&claims);
        let verifier = JwtVerifier::hs256(SECRET, Some("imgup-auth"), Some("imgup"));
        assert_eq!(verifier.verify(&expired), Err(VerifyError::Expired));
    }

    #[test]
    fn alg_none_and_tampered_payloads_are_refused() {
        let signer = JwtSigner::hs256(SECRET, 60, None, None);
        let verifier = JwtVerifier::hs256(SECRET, None, None);
        let claims = serde_json::to_value(signer.claims_for(&subject())).unwrap();

        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg":"none","typ":"JWT"})),
            b64(&claims)
        );
        assert_eq!(verifier.verify(&none), Err(VerifyError::Invalid));

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
        assert_eq!(verifier.verify(&tampered), Err(VerifyError::Invalid));
        assert_eq!(verifier.verify("not a token"), Err(VerifyError::Invalid));
    }

    #[test]
    fn other_algorithms_are_refused_even_with_a_valid_hmac() {
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
                verifier.verify(&format!("{message}.{signature}")),
                Err(VerifyError::Invalid),
                "{alg}"
            );
        }
    }
}
