//! The app's state behind the commands: settings, the client they make, and
//! who is signed in.

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use crate::cancel::Uploads;
use crate::client::ImgupClient;
use crate::credentials::Credentials;
use crate::error::{AppError, ErrorKind};
use crate::model::{Session, TokenGrant, User};
use crate::settings::Settings;
use crate::token_store::TokenStore;

pub struct AdminState {
    settings_path: PathBuf,
    settings: RwLock<(Settings, ImgupClient)>,
    token: RwLock<Option<Credentials>>,
    tokens: TokenStore,
    /// One renewal at a time: a refresh token is spent by its first use, and
    /// using it twice revokes the whole session.
    renewing: tokio::sync::Mutex<()>,
    /// An access token this close to its expiry is renewed before it is used.
    renew_margin: Duration,
    /// Cancels the browser sign-in in progress, if any.
    pub cancel_sign_in: Mutex<Option<oneshot::Sender<()>>>,
    /// The uploads running, each cancellable (`upload_cancel`).
    pub uploads: Uploads,
}

impl AdminState {
    /// State kept under `config_dir`: `settings.json` and, without a keyring, `token`.
    pub fn open(config_dir: PathBuf) -> Self {
        let tokens = TokenStore::open(config_dir.join("token"));
        Self::new(config_dir, tokens)
    }

    /// State with settings under `config_dir` and the token in `tokens`.
    pub fn new(config_dir: PathBuf, tokens: TokenStore) -> Self {
        let settings_path = config_dir.join("settings.json");
        let settings = Settings::load(&settings_path);
        let client = ImgupClient::new(&settings);
        let token = tokens.load().map(|stored| Credentials::parse(&stored));
        Self {
            settings_path,
            settings: RwLock::new((settings, client)),
            token: RwLock::new(token),
            tokens,
            renewing: tokio::sync::Mutex::new(()),
            renew_margin: Duration::from_secs(120),
            cancel_sign_in: Mutex::new(None),
            uploads: Uploads::default(),
        }
    }

    /// Renews access tokens that have less than `margin` left (tests set a
    /// long one to renew at once).
    pub fn with_renew_margin(mut self, margin: Duration) -> Self {
        self.renew_margin = margin;
        self
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().expect("not poisoned").0.clone()
    }

    pub fn save_settings(&self, settings: Settings) -> Result<Settings, AppError> {
        let settings = settings.validated()?;
        settings.save(&self.settings_path)?;
        let client = ImgupClient::new(&settings);
        *self.settings.write().expect("not poisoned") = (settings.clone(), client);
        Ok(settings)
    }

    pub fn client(&self) -> ImgupClient {
        self.settings.read().expect("not poisoned").1.clone()
    }

    fn credentials(&self) -> Option<Credentials> {
        self.token.read().expect("not poisoned").clone()
    }

    /// The refresh token, where the auth service gave one.
    pub fn refresh_token(&self) -> Option<String> {
        self.credentials().and_then(|c| c.refresh)
    }

    /// A usable access token, renewed first when it is about to expire;
    /// `unauthorized` when nobody is signed in or the session has ended.
    pub async fn token(&self) -> Result<String, AppError> {
        let signed_out = || AppError::new(ErrorKind::Unauthorized, "not signed in");
        let creds = self.credentials().ok_or_else(signed_out)?;
        if creds.refresh.is_none() || !self.expiring(&creds) {
            return Ok(creds.access);
        }
        let seen = creds.access;
        let _one_at_a_time = self.renewing.lock().await;
        // Renewed by another call while this one waited?
        let creds = self.credentials().ok_or_else(signed_out)?;
        let Some(refresh) = creds.refresh.clone().filter(|_| creds.access == seen) else {
            return Ok(creds.access);
        };
        match self.client().refresh(&refresh).await {
            Ok(grant) => Ok(self.keep(grant)?.access),
            // Revoked, reused, expired, or the person disabled: the session is over.
            Err(err) if matches!(err.kind, ErrorKind::Unauthorized | ErrorKind::Forbidden) => {
                self.sign_out()?;
                Err(err)
            }
            // The auth service is out of reach: the old token may still do.
            Err(err) if creds.expires_in(now()).is_some_and(|left| left > 0) => {
                tracing::warn!("could not renew the session yet: {}", err.message);
                Ok(creds.access)
            }
            Err(err) => Err(err),
        }
    }

    fn expiring(&self, creds: &Credentials) -> bool {
        creds
            .expires_in(now())
            .is_some_and(|left| left < self.renew_margin.as_secs() as i64)
    }

    /// Keeps a grant's tokens, here and in the keyring (or file).
    fn keep(&self, grant: TokenGrant) -> Result<Credentials, AppError> {
        let creds = Credentials {
            access: grant.access_token,
            refresh: grant.refresh_token,
        };
        self.tokens.save(&creds.to_stored())?;
        *self.token.write().expect("not poisoned") = Some(creds.clone());
        Ok(creds)
    }

    /// Checks the grant's token with the auth service, keeps it, and says who it is.
    pub async fn adopt(&self, grant: TokenGrant) -> Result<Session, AppError> {
        let user = self.client().me(&grant.access_token).await?;
        self.keep(grant)?;
        Ok(self.session(user))
    }

    fn session(&self, user: User) -> Session {
        Session {
            user,
            token_store: self.tokens.place(),
            token_store_reason: self.tokens.file_reason(),
        }
    }

    /// Who is signed in: `None` without a token or when the token no longer
    /// works (it is then forgotten).
    pub async fn current(&self) -> Result<Option<Session>, AppError> {
        if self.credentials().is_none() {
            return Ok(None);
        }
        let token = match self.token().await {
            Ok(token) => token,
            Err(err) if matches!(err.kind, ErrorKind::Unauthorized | ErrorKind::Forbidden) => {
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        match self.client().me(&token).await {
            Ok(user) => Ok(Some(self.session(user))),
            Err(err) if matches!(err.kind, ErrorKind::Unauthorized | ErrorKind::NotFound) => {
                self.sign_out()?;
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// Ends the session on the server (best effort), then forgets it here.
    pub async fn sign_out_everywhere(&self) -> Result<(), AppError> {
        if let Some(refresh) = self.refresh_token()
            && let Err(err) = self.client().logout(&refresh).await
        {
            tracing::info!(
                "the auth service did not hear the sign-out: {}",
                err.message
            );
        }
        self.sign_out()
    }

    /// Forgets the token, here and in the keyring (or file).
    pub fn sign_out(&self) -> Result<(), AppError> {
        *self.token.write().expect("not poisoned") = None;
        self.tokens.forget()
    }

    /// A failed call with `unauthorized` means the token is dead: forget it.
    pub fn after<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result
            && err.kind == ErrorKind::Unauthorized
        {
            let _ = self.sign_out();
        }
        result
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
