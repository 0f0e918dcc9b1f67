//! The sign-in providers: where to send the browser, how to trade the code for
//! a token, and how to learn who signed in.

mod github;
mod oidc;
mod userinfo;

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl,
};
use url::Url;

use crate::config::ProviderSettings;

pub use oidc::Discovery;

/// A provider imgup can sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    Github,
    Oidc,
}

impl ProviderKind {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "google" => Some(Self::Google),
            "github" => Some(Self::Github),
            "oidc" => Some(Self::Oidc),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Github => "github",
            Self::Oidc => "oidc",
        }
    }

    fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Google | Self::Oidc => &["openid", "email", "profile"],
            Self::Github => &["read:user", "user:email"],
        }
    }
}

/// Who signed in, as the provider vouches: a verified email only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider: &'static str,
    /// The provider's stable id for the account.
    pub subject: String,
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{0} sign-in is not configured")]
    NotConfigured(&'static str),
    /// The provider could not be reached or answered nonsense.
    #[error("the sign-in provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused (bad or used code), or vouched for no verified email.
    #[error("{0}")]
    Refused(String),
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A configured provider, ready for one sign-in.
pub struct ProviderClient {
    pub kind: ProviderKind,
    pub oauth: Client,
    /// Google and OIDC: the userinfo endpoint; GitHub: the API base.
    pub identity_url: Url,
}

impl ProviderClient {
    pub fn scopes(&self) -> &'static [&'static str] {
        self.kind.scopes()
    }
}

struct Credentials {
    id: String,
    secret: String,
}

fn credentials(id: &Option<String>, secret: &Option<String>) -> Option<Credentials> {
    match (
        id.as_deref().map(str::trim),
        secret.as_deref().map(str::trim),
    ) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some(Credentials {
            id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        _ => None,
    }
}

pub struct Providers {
    http: reqwest::Client,
    public_url: Url,
    settings: ProviderSettings,
    oidc: Option<oidc::Discovery>,
}

impl Providers {
    pub fn new(settings: &ProviderSettings, public_url: &Url) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("imgup-auth/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()?;
        let oidc = settings.oidc_issuer_url.clone().map(oidc::Discovery::new);
        Ok(Self {
            http,
            public_url: public_url.clone(),
            settings: settings.clone(),
            oidc,
        })
    }

    /// The providers with their settings in place, in a stable order. (An
    /// OIDC issuer that is down still counts: it is configured.)
    pub fn configured(&self) -> Vec<ProviderKind> {
        let s = &self.settings;
        let mut kinds = Vec::new();
        if credentials(&s.google_client_id, &s.google_client_secret).is_some() {
            kinds.push(ProviderKind::Google);
        }
        if credentials(&s.github_client_id, &s.github_client_secret).is_some() {
            kinds.push(ProviderKind::Github);
        }
        if self.oidc.is_some() && credentials(&s.oidc_client_id, &s.oidc_client_secret).is_some() {
            kinds.push(ProviderKind::Oidc);
        }
        kinds
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn callback_url(&self, kind: ProviderKind) -> Url {
        let mut url = self.public_url.clone();
        let path = format!(
            "{}/auth/oauth/{}/callback",
            url.path().trim_end_matches('/'),
            kind.name()
        );
        url.set_path(&path);
        url
    }

    /// The provider's client, or why there is none.
    pub async fn client(&self, kind: ProviderKind) -> Result<ProviderClient, ProviderError> {
        let s = &self.settings;
        let not_configured = || ProviderError::NotConfigured(kind.name());
        let (creds, auth, token, identity_url, auth_type) = match kind {
            ProviderKind::Google => (
                credentials(&s.google_client_id, &s.google_client_secret)
                    .ok_or_else(not_configured)?,
                s.google_auth_url.clone(),
                s.google_token_url.clone(),
                s.google_userinfo_url.clone(),
                AuthType::BasicAuth,
            ),
            ProviderKind::Github => (
                credentials(&s.github_client_id, &s.github_client_secret)
                    .ok_or_else(not_configured)?,
                s.github_auth_url.clone(),
                s.github_token_url.clone(),
                s.github_api_url.clone(),
                AuthType::RequestBody,
            ),
            ProviderKind::Oidc => {
                let creds = credentials(&s.oidc_client_id, &s.oidc_client_secret)
                    .ok_or_else(not_configured)?;
                let discovery = self.oidc.as_ref().ok_or_else(not_configured)?;
                let endpoints = discovery.endpoints(&self.http).await?;
                (
                    creds,
                    endpoints.authorization_endpoint.clone(),
                    endpoints.token_endpoint.clone(),
                    endpoints.userinfo_endpoint.clone(),
                    AuthType::BasicAuth,
                )
            }
        };
        let oauth = BasicClient::new(ClientId::new(creds.id))
            .set_client_secret(ClientSecret::new(creds.secret))
            .set_auth_uri(AuthUrl::from_url(auth))
            .set_token_uri(TokenUrl::from_url(token))
            .set_redirect_uri(RedirectUrl::from_url(self.callback_url(kind)))
            .set_auth_type(auth_type);
        Ok(ProviderClient {
            kind,
            oauth,
            identity_url,
        })
    }

    /// Who the access token belongs to.
    pub async fn identity(
        &self,
        client: &ProviderClient,
        access_token: &str,
    ) -> Result<Identity, ProviderError> {
        match client.kind {
            ProviderKind::Google | ProviderKind::Oidc => {
                userinfo::fetch(&self.http, client.kind, &client.identity_url, access_token).await
            }
            ProviderKind::Github => {
                github::fetch(&self.http, &client.identity_url, access_token).await
            }
        }
    }
}

/// Maps a failed HTTP call to the provider.
fn unavailable(err: reqwest::Error) -> ProviderError {
    ProviderError::Unavailable(err.without_url().to_string())
}

/// Reads a provider's JSON answer, telling refusals (4xx) from outages.
async fn json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ProviderError> {
    let status = response.status();
    if status.is_client_error() {
        return Err(ProviderError::Refused(format!(
            "the provider refused the request ({status})"
        )));
    }
    if !status.is_success() {
        return Err(ProviderError::Unavailable(format!(
            "the provider answered {status}"
        )));
    }
    response
        .json()
        .await
        .map_err(|e| ProviderError::Unavailable(format!("unreadable answer: {}", e.without_url())))
}
