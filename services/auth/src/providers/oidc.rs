use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use super::{ProviderError, json, unavailable};

#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub userinfo_endpoint: Url,
}

/// OpenID Connect discovery, fetched once (and again after a failure).
pub struct Discovery {
    issuer: Url,
    endpoints: OnceCell<Endpoints>,
}

impl Discovery {
    pub fn new(issuer: Url) -> Self {
        Self {
            issuer,
            endpoints: OnceCell::new(),
        }
    }

    pub async fn endpoints(&self, http: &reqwest::Client) -> Result<&Endpoints, ProviderError> {
        self.endpoints
            .get_or_try_init(|| async {
                let mut url = self.issuer.clone();
                let path = format!(
                    "{}/.well-known/openid-configuration",
                    url.path().trim_end_matches('/')
                );
                url.set_path(&path);
                let response = http.get(url).send().await.map_err(unavailable)?;
                let endpoints: Endpoints = json(response).await?;
                if endpoints.issuer.trim_end_matches('/')
                    != self.issuer.as_str().trim_end_matches('/')
                {
                    return Err(ProviderError::Unavailable(format!(
                        "discovery names issuer {:?}, not OIDC_ISSUER_URL",
                        endpoints.issuer
                    )));
                }
                Ok(endpoints)
            })
            .await
    }
}
