use serde::Deserialize;
use url::Url;

use super::{Identity, ProviderError, json, unavailable};

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// `/user` for the account, `/user/emails` for its primary verified address.
pub async fn fetch(
    http: &reqwest::Client,
    api: &Url,
    token: &str,
) -> Result<Identity, ProviderError> {
    let get = |path: &str| {
        http.get(endpoint(api, path))
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .send()
    };
    let (user, emails) = tokio::join!(get("user"), get("user/emails"));
    let user: GithubUser = json(user.map_err(unavailable)?).await?;
    let emails: Vec<GithubEmail> = json(emails.map_err(unavailable)?).await?;
    let email = emails
        .into_iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email)
        .ok_or_else(|| {
            ProviderError::Refused(
                "the GitHub account has no verified primary email address".into(),
            )
        })?;
    Ok(Identity {
        provider: "github",
        subject: user.id.to_string(),
        email,
        name: user
            .name
            .filter(|n| !n.trim().is_empty())
            .or(Some(user.login)),
    })
}
