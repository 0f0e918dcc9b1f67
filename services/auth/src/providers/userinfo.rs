use serde::Deserialize;
use url::Url;

use super::{Identity, ProviderError, ProviderKind, json, unavailable};

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<String>,
    #[serde(default)]
    email_verified: Verified,
    name: Option<String>,
}

/// `email_verified` as a boolean or, as some providers send it, a string.
#[derive(Default, Deserialize)]
#[serde(untagged)]
enum Verified {
    Bool(bool),
    Text(String),
    #[default]
    Missing,
}

impl Verified {
    fn is_true(&self) -> bool {
        match self {
            Self::Bool(b) => *b,
            Self::Text(s) => s.eq_ignore_ascii_case("true"),
            Self::Missing => false,
        }
    }
}

/// OpenID Connect userinfo (Google, any OIDC provider).
pub async fn fetch(
    http: &reqwest::Client,
    kind: ProviderKind,
    url: &Url,
    token: &str,
) -> Result<Identity, ProviderError> {
    let response = http
        .get(url.clone())
        .bearer_auth(token)
        .send()
        .await
        .map_err(unavailable)?;
    let info: UserInfo = json(response).await?;
    let email = info
        .email
        .filter(|e| e.contains('@'))
        .ok_or_else(|| ProviderError::Refused("the provider shared no email address".into()))?;
    if !info.email_verified.is_true() {
        return Err(ProviderError::Refused(
            "the email address is not verified with the provider".into(),
        ));
    }
    Ok(Identity {
        provider: kind.name(),
        subject: info.sub,
        email,
        name: info.name.filter(|n| !n.trim().is_empty()),
    })
}
