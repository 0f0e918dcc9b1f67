use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use quick_cache::sync::Cache;

use crate::verifier::LEEWAY_SECONDS;
use crate::{Claims, JwtVerifier, VerifyError};

/// A [`JwtVerifier`] that remembers the tokens it has accepted.
///
/// A client sends the same token with every request for hours, and checking
/// it (two base64 decodes, two JSON parses, an HMAC) costs as much as the rest
/// of an upload request. A hit needs the exact token string (signature
/// included) and is still refused once the token expires.
pub struct CachedVerifier {
    verifier: JwtVerifier,
    accepted: Cache<Box<str>, Arc<Claims>>,
}

impl CachedVerifier {
    /// Remembers up to `capacity` tokens (about half a kilobyte each).
    pub fn new(verifier: JwtVerifier, capacity: usize) -> Self {
        Self {
            verifier,
            accepted: Cache::new(capacity),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Arc<Claims>, VerifyError> {
        if let Some(claims) = self.accepted.get(token) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if now > claims.exp.saturating_add(LEEWAY_SECONDS) {
                self.accepted.remove(token);
                return Err(VerifyError::Expired);
            }
            return Ok(claims);
        }
        let claims = Arc::new(self.verifier.verify(token).await?);
        self.accepted.insert(token.into(), Arc::clone(&claims));
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtSigner, Role, TokenSubject};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn subject() -> TokenSubject {
        TokenSubject {
            user_id: "7".into(),
            email: "grace@example.com".into(),
            name: None,
            role: Role::User,
        }
    }

    #[tokio::test]
    async fn a_remembered_token_still_expires() {
        let signer = JwtSigner::hs256(SECRET, 60, None, None);
        let cached = CachedVerifier::new(JwtVerifier::hs256(SECRET, None, None), 16);
        let mut claims = signer.claims_for(&subject());
        let token = signer.sign_claims(&claims);
        assert_eq!(cached.verify(&token).await.unwrap().sub, "7");
        assert_eq!(
            cached.verify(&token).await.unwrap().sub,
            "7",
            "from the cache"
        );

        // A token that expired while cached: backdate it in place.
        claims.exp = claims.iat - LEEWAY_SECONDS - 1;
        let expired = signer.sign_claims(&claims);
        cached
            .accepted
            .insert(expired.as_str().into(), Arc::new(claims));
        assert_eq!(cached.verify(&expired).await, Err(VerifyError::Expired));
        assert_eq!(
            cached.verify(&expired).await,
            Err(VerifyError::Expired),
            "and it stays refused"
        );
    }

    #[tokio::test]
    async fn refused_tokens_are_not_remembered_and_lookalikes_miss() {
        let signer = JwtSigner::hs256(SECRET, 60, None, None);
        let cached = CachedVerifier::new(JwtVerifier::hs256(SECRET, None, None), 16);
        let token = signer.sign(&subject());
        cached.verify(&token).await.unwrap();
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(cached.verify(&tampered).await, Err(VerifyError::Invalid));
        assert_eq!(cached.verify(&tampered).await, Err(VerifyError::Invalid));
        assert_eq!(cached.accepted.len(), 1);
    }
}
