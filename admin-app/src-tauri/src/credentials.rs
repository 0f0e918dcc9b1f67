//! What is kept between runs: the access token and, from auth services that
//! issue one, the refresh token that renews it. Stored as JSON; a bare token
//! (what earlier versions kept) still reads.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
}

impl Credentials {
    pub fn parse(stored: &str) -> Self {
        serde_json::from_str(stored).unwrap_or_else(|_| Self {
            access: stored.to_owned(),
            refresh: None,
        })
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.access.clone())
    }

    /// Seconds from `now` (Unix seconds) until the access token's `exp`, read
    /// without checking the signature: only to decide when to renew it (the
    /// services check it). `None` for a token without a readable `exp`.
    pub fn expires_in(&self, now: u64) -> Option<i64> {
        let payload = self.access.split('.').nth(1)?;
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let exp = claims.get("exp")?.as_u64()?;
        Some(exp as i64 - now as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(exp: u64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"1","exp":{exp}}}"#));
        format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")
    }

    #[test]
    fn both_tokens_round_trip_and_a_bare_token_still_reads() {
        let both = Credentials {
            access: token(100),
            refresh: Some("r1".into()),
        };
        assert_eq!(Credentials::parse(&both.to_stored()), both);
        let bare = Credentials::parse("eyJ.old.token");
        assert_eq!(bare.access, "eyJ.old.token");
        assert_eq!(bare.refresh, None);
    }

    #[test]
    fn the_expiry_is_read_from_the_token() {
        let creds = Credentials {
            access: token(1_000),
            refresh: None,
        };
        assert_eq!(creds.expires_in(900), Some(100));
        assert_eq!(creds.expires_in(1_100), Some(-100));
        assert_eq!(Credentials::parse("garbage").expires_in(0), None);
    }
}
