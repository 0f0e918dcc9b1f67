//! Where the services are: kept as JSON in the app's config folder.

use std::path::Path;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{AppError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub api_url: String,
    pub auth_url: String,
}

impl Default for Settings {
    /// The contract's ports on this machine, or `IMGUP_API_URL` /
    /// `IMGUP_AUTH_URL` when set.
    fn default() -> Self {
        Self {
            api_url: std::env::var("IMGUP_API_URL")
                .unwrap_or_else(|_| "http://localhost:8080".into()),
            auth_url: std::env::var("IMGUP_AUTH_URL")
                .unwrap_or_else(|_| "http://localhost:8001".into()),
        }
    }
}

impl Settings {
    /// The settings in `path`, or the defaults when there are none yet (or
    /// they cannot be read).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Settings>(&bytes).ok())
            .and_then(|s| s.validated().ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> Result<(), AppError> {
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, serde_json::to_vec_pretty(self)?)
        };
        write().map_err(|e| {
            AppError::new(
                ErrorKind::Storage,
                format!("cannot save the settings in {}: {e}", path.display()),
            )
        })
    }

    /// Both URLs parsed as http(s) base URLs, trailing slashes removed.
    pub fn validated(self) -> Result<Self, AppError> {
        let check = |name: &str, value: &str| -> Result<String, AppError> {
            let url = Url::parse(value.trim()).map_err(|_| {
                AppError::new(
                    ErrorKind::InvalidInput,
                    format!("the {name} URL is not a URL"),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(AppError::new(
                    ErrorKind::InvalidInput,
                    format!("the {name} URL must start with http:// or https://"),
                ));
            }
            Ok(url.as_str().trim_end_matches('/').to_owned())
        };
        Ok(Self {
            api_url: check("API", &self.api_url)?,
            auth_url: check("auth", &self.auth_url)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        let mine = Settings {
            api_url: "https://api.example.com/".into(),
            auth_url: "http://127.0.0.1:8001".into(),
        }
        .validated()
        .unwrap();
        assert_eq!(mine.api_url, "https://api.example.com");
        mine.save(&path).unwrap();
        assert_eq!(Settings::load(&path), mine);

        for (api, auth) in [
            ("ftp://x", "http://a"),
            ("not a url", "http://a"),
            ("http://a", "file:///etc"),
        ] {
            let bad = Settings {
                api_url: api.into(),
                auth_url: auth.into(),
            };
            assert_eq!(bad.validated().unwrap_err().kind, ErrorKind::InvalidInput);
        }
        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
    }
}
