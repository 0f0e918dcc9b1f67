//! Keeps the token between runs: in the OS keyring (Keychain, Credential
//! Manager, Secret Service) where one answers, else in a file only the user
//! can read. The UI says which, and why a file: chosen by setting, or no
//! keyring answered.

use std::io::Write;
use std::path::PathBuf;

use crate::error::{AppError, ErrorKind};
use crate::model::{TokenFileReason, TokenPlace};

const SERVICE: &str = "dev.imgup.admin";
const ACCOUNT: &str = "access-token";

pub enum TokenStore {
    Keyring(keyring::Entry),
    /// A private file, and why not the keyring.
    File(PathBuf, TokenFileReason),
}

fn storage_error(err: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorKind::Storage,
        format!("cannot keep the sign-in: {err}"),
    )
}

impl TokenStore {
    /// The keyring when one answers, else `fallback`. `IMGUP_ADMIN_TOKEN_STORE=file`
    /// skips the keyring.
    pub fn open(fallback: PathBuf) -> Self {
        Self::open_with(
            fallback,
            std::env::var("IMGUP_ADMIN_TOKEN_STORE").ok().as_deref(),
        )
    }

    /// [`Self::open`] with the setting's value given (`Some("file")`: the file, by choice).
    pub fn open_with(fallback: PathBuf, setting: Option<&str>) -> Self {
        if setting == Some("file") {
            return Self::File(fallback, TokenFileReason::Setting);
        }
        let no_keyring = |err: keyring::Error| {
            tracing::info!("no usable keyring ({err}); keeping the token in a file");
            Self::File(fallback.clone(), TokenFileReason::NoKeyring)
        };
        match keyring::Entry::new(SERVICE, ACCOUNT) {
            Ok(entry) => match entry.get_password() {
                Ok(_) | Err(keyring::Error::NoEntry) => Self::Keyring(entry),
                Err(err) => no_keyring(err),
            },
            Err(err) => no_keyring(err),
        }
    }

    pub fn place(&self) -> TokenPlace {
        match self {
            Self::Keyring(_) => TokenPlace::Keyring,
            Self::File(..) => TokenPlace::File,
        }
    }

    /// Why the token is in a file (`None` in the keyring).
    pub fn file_reason(&self) -> Option<TokenFileReason> {
        match self {
            Self::Keyring(_) => None,
            Self::File(_, reason) => Some(*reason),
        }
    }

    pub fn load(&self) -> Option<String> {
        let token = match self {
            Self::Keyring(entry) => entry.get_password().ok(),
            Self::File(path, _) => std::fs::read_to_string(path).ok(),
        };
        token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
    }

    pub fn save(&self, token: &str) -> Result<(), AppError> {
        match self {
            Self::Keyring(entry) => entry.set_password(token).map_err(storage_error),
            Self::File(path, _) => write_private(path, token).map_err(storage_error),
        }
    }

    pub fn forget(&self) -> Result<(), AppError> {
        match self {
            Self::Keyring(entry) => match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(err) => Err(storage_error(err)),
            },
            Self::File(path, _) => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(err) => Err(storage_error(err)),
            },
        }
    }
}

/// Writes `token` to a file readable by its owner only (0600 on Unix), made
/// so from the start rather than narrowed afterwards.
fn write_private(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_fallback_keeps_forgets_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::File(dir.path().join("secrets/token"), TokenFileReason::NoKeyring);
        assert_eq!(store.place(), TokenPlace::File);
        assert_eq!(store.load(), None);
        store.save("eyJ.first").unwrap();
        store.save("eyJ.second").unwrap();
        assert_eq!(store.load().as_deref(), Some("eyJ.second"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets/token"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        store.forget().unwrap();
        assert_eq!(store.load(), None);
        store.forget().unwrap();
    }

    #[test]
    fn the_file_chosen_by_setting_says_so_and_never_asks_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::open_with(dir.path().join("token"), Some("file"));
        assert_eq!(store.place(), TokenPlace::File);
        assert_eq!(store.file_reason(), Some(TokenFileReason::Setting));
        let json = serde_json::to_value(store.file_reason()).unwrap();
        assert_eq!(json, "setting");
        assert_eq!(
            serde_json::to_value(TokenFileReason::NoKeyring).unwrap(),
            "noKeyring"
        );
    }

    /// Against a real Secret Service: `admin-app/e2e/keyring.sh` starts
    /// gnome-keyring in a D-Bus session of its own and runs this.
    #[test]
    #[ignore = "needs a Secret Service: run by admin-app/e2e/keyring.sh"]
    fn the_keyring_keeps_and_forgets_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let fallback = dir.path().join("token");
        let store = TokenStore::open(fallback.clone());
        assert_eq!(
            store.place(),
            TokenPlace::Keyring,
            "a Secret Service answers"
        );
        assert_eq!(store.file_reason(), None);
        store.forget().unwrap();
        assert_eq!(store.load(), None);

        store.save("eyJ.in-the-keyring").unwrap();
        let reopened = TokenStore::open(fallback.clone());
        assert_eq!(reopened.load().as_deref(), Some("eyJ.in-the-keyring"));
        assert!(
            !fallback.exists(),
            "nothing was written to the fallback file"
        );

        reopened.forget().unwrap();
        assert_eq!(store.load(), None);
    }
}
