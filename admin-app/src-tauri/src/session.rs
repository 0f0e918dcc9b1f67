//! The app's state behind the commands: settings, the client they make, and
//! who is signed in.

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use tokio::sync::oneshot;

use crate::client::ImgupClient;
use crate::error::{AppError, ErrorKind};
use crate::model::Session;
use crate::settings::Settings;
use crate::token_store::TokenStore;

pub struct AdminState {
    settings_path: PathBuf,
    settings: RwLock<(Settings, ImgupClient)>,
    token: RwLock<Option<String>>,
    tokens: TokenStore,
    /// Cancels the browser sign-in in progress, if any.
    pub cancel_sign_in: Mutex<Option<oneshot::Sender<()>>>,
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
        let token = tokens.load();
        Self {
            settings_path,
            settings: RwLock::new((settings, client)),
            token: RwLock::new(token),
            tokens,
            cancel_sign_in: Mutex::new(None),
        }
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

    /// The token, or `unauthorized` when nobody is signed in.
    pub fn token(&self) -> Result<String, AppError> {
        self.token
            .read()
            .expect("not poisoned")
            .clone()
            .ok_or_else(|| AppError::new(ErrorKind::Unauthorized, "not signed in"))
    }

    /// Checks `token` with the auth service, keeps it, and says who it is.
    pub async fn adopt(&self, token: String) -> Result<Session, AppError> {
        let user = self.client().me(&token).await?;
        self.tokens.save(&token)?;
        *self.token.write().expect("not poisoned") = Some(token);
        Ok(Session {
            user,
            token_store: self.tokens.place(),
        })
    }

    /// Who is signed in: `None` without a token or when the token no longer
    /// works (it is then forgotten).
    pub async fn current(&self) -> Result<Option<Session>, AppError> {
        let Ok(token) = self.token() else {
            return Ok(None);
        };
        match self.client().me(&token).await {
            Ok(user) => Ok(Some(Session {
                user,
                token_store: self.tokens.place(),
            })),
            Err(err) if matches!(err.kind, ErrorKind::Unauthorized | ErrorKind::NotFound) => {
                self.sign_out()?;
                Ok(None)
            }
            Err(err) => Err(err),
        }
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
