//! Users, their provider accounts and sign-ins in flight, behind one interface.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::providers::Identity;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// The role an admin set (`user` or `admin`); `ADMIN_EMAILS` grants admin
    /// on top of it (see `Config::role_of`).
    pub role: String,
    /// A disabled user cannot sign in, refresh or get a test token.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The last sign-in that was let in (not refreshes).
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// The roles a user can be given.
pub const ROLES: [&str; 2] = ["user", "admin"];

/// What an admin changes about a user; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// A sign-in begun and not yet finished.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSignIn {
    pub state: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub redirect_uri: Option<String>,
    pub binding_hash: String,
    pub expires_at: DateTime<Utc>,
    /// A native app's own `state`, echoed back on its redirect.
    pub client_state: Option<String>,
    /// A native app's PKCE challenge (S256): the redirect then carries a
    /// one-time code for `POST /auth/oauth/token`, not the token.
    pub code_challenge: Option<String>,
}

/// A one-time code handed to a native app, waiting to be traded for a token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignInCode {
    /// SHA-256 of the code, hex: the code itself is never stored.
    pub code_hash: String,
    pub user_id: i64,
    pub code_challenge: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// The user behind a provider account, created or updated from `identity`.
    async fn upsert_oauth(&self, identity: &Identity) -> Result<User, sqlx::Error>;
    /// The user with this email, created when missing (development tokens).
    async fn upsert_by_email(&self, email: &str, name: &str) -> Result<User, sqlx::Error>;
    async fn get(&self, id: i64) -> Result<Option<User>, sqlx::Error>;
    /// Up to `limit` users with ids above `after`, by id.
    async fn list(&self, after: Option<i64>, limit: i64) -> Result<Vec<User>, sqlx::Error>;
    /// Applies `change`; `None` when there is no such user.
    async fn update(&self, id: i64, change: &UserChange) -> Result<Option<User>, sqlx::Error>;
    async fn save_sign_in(&self, pending: &PendingSignIn) -> Result<(), sqlx::Error>;
    /// Removes and returns the sign-in for `state`: each state works once.
    async fn take_sign_in(&self, state: &str) -> Result<Option<PendingSignIn>, sqlx::Error>;
    async fn save_code(&self, code: &SignInCode) -> Result<(), sqlx::Error>;
    /// Removes and returns the code with this hash: each code works once.
    async fn take_code(&self, code_hash: &str) -> Result<Option<SignInCode>, sqlx::Error>;
    async fn ping(&self) -> Result<(), sqlx::Error>;
}

/// The columns of a [`User`].
macro_rules! user_columns {
    () => {
        "id, email, name, role, disabled, created_at, last_sign_in_at"
    };
}

/// One implementation of [`UserStore`] in portable SQL, stamped out for each
/// backend (timestamps are bound from Rust rather than read from each
/// database's clock).
macro_rules! sql_user_store {
    ($(#[$doc:meta])* $name:ident, $pool:ty) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pool: $pool,
        }

        impl $name {
            pub fn new(pool: $pool) -> Self {
                Self { pool }
            }
        }

        #[async_trait]
        impl UserStore for $name {
            async fn upsert_oauth(&self, identity: &Identity) -> Result<User, sqlx::Error> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                let linked: Option<User> = sqlx::query_as(
                    "SELECT u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.last_sign_in_at \
                     FROM oauth_accounts a JOIN users u ON u.id = a.user_id \
                     WHERE a.provider = $1 AND a.provider_user_id = $2",
                )
                .bind(identity.provider)
                .bind(&identity.subject)
                .fetch_optional(&mut *tx)
                .await?;
                let user: User = match linked {
                    Some(user) => {
                        // The provider's email now, unless another person here holds it.
                        sqlx::query_as(concat!(
                            "UPDATE users SET name = COALESCE($2, name), updated_at = $3, \
                             email = CASE WHEN EXISTS (SELECT 1 FROM users o \
                               WHERE lower(o.email) = lower($4) AND o.id <> $1) THEN email ELSE $4 END, \
                             last_sign_in_at = CASE WHEN disabled THEN last_sign_in_at ELSE $3 END \
                             WHERE id = $1 RETURNING ", user_columns!()
                        ))
                        .bind(user.id)
                        .bind(&identity.name)
                        .bind(now)
                        .bind(&identity.email)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                    None => {
                        // A verified email already known (another provider, a dev token) is the same person.
                        sqlx::query_as(concat!(
                            "INSERT INTO users (email, name, created_at, updated_at, last_sign_in_at) \
                             VALUES ($1, $2, $3, $3, $3) \
                             ON CONFLICT (lower(email)) DO UPDATE \
                             SET name = COALESCE(EXCLUDED.name, users.name), updated_at = EXCLUDED.updated_at, \
                             last_sign_in_at = CASE WHEN users.disabled THEN users.last_sign_in_at \
                             ELSE EXCLUDED.updated_at END \
                             RETURNING ", user_columns!()
                        ))
                        .bind(&identity.email)
                        .bind(&identity.name)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                };
                sqlx::query(
                    "INSERT INTO oauth_accounts (provider, provider_user_id, user_id, email, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (provider, provider_user_id) \
                     DO UPDATE SET email = EXCLUDED.email, updated_at = EXCLUDED.updated_at",
                )
                .bind(identity.provider)
                .bind(&identity.subject)
                .bind(user.id)
                .bind(&identity.email)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn upsert_by_email(&self, email: &str, name: &str) -> Result<User, sqlx::Error> {
                sqlx::query_as(concat!(
                    "INSERT INTO users (email, name, created_at, updated_at, last_sign_in_at) \
                     VALUES ($1, $2, $3, $3, $3) \
                     ON CONFLICT (lower(email)) DO UPDATE SET updated_at = EXCLUDED.updated_at, \
                     last_sign_in_at = CASE WHEN users.disabled THEN users.last_sign_in_at \
                     ELSE EXCLUDED.updated_at END \
                     RETURNING ", user_columns!()
                ))
                .bind(email)
                .bind(name)
                .bind(Utc::now())
                .fetch_one(&self.pool)
                .await
            }

            async fn get(&self, id: i64) -> Result<Option<User>, sqlx::Error> {
                sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn list(&self, after: Option<i64>, limit: i64) -> Result<Vec<User>, sqlx::Error> {
                sqlx::query_as(concat!(
                    "SELECT ", user_columns!(), " FROM users WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(after.unwrap_or(0))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
            }

            async fn update(&self, id: i64, change: &UserChange) -> Result<Option<User>, sqlx::Error> {
                sqlx::query_as(concat!(
                    "UPDATE users SET role = COALESCE($2, role), disabled = COALESCE($3, disabled), \
                     updated_at = $4 WHERE id = $1 RETURNING ", user_columns!()
                ))
                .bind(id)
                .bind(&change.role)
                .bind(change.disabled)
                .bind(Utc::now())
                .fetch_optional(&self.pool)
                .await
            }

            async fn save_sign_in(&self, pending: &PendingSignIn) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
                    .bind(Utc::now())
                    .execute(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO oauth_states (state, provider, pkce_verifier, redirect_uri, binding_hash, \
                     expires_at, client_state, code_challenge) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&pending.state)
                .bind(&pending.provider)
                .bind(&pending.pkce_verifier)
                .bind(&pending.redirect_uri)
                .bind(&pending.binding_hash)
                .bind(pending.expires_at)
                .bind(&pending.client_state)
                .bind(&pending.code_challenge)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn take_sign_in(&self, state: &str) -> Result<Option<PendingSignIn>, sqlx::Error> {
                sqlx::query_as(
                    "DELETE FROM oauth_states WHERE state = $1 \
                     RETURNING state, provider, pkce_verifier, redirect_uri, binding_hash, expires_at, \
                     client_state, code_challenge",
                )
                .bind(state)
                .fetch_optional(&self.pool)
                .await
            }

            async fn save_code(&self, code: &SignInCode) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM sign_in_codes WHERE expires_at < $1")
                    .bind(Utc::now())
                    .execute(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO sign_in_codes (code_hash, user_id, code_challenge, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&code.code_hash)
                .bind(code.user_id)
                .bind(&code.code_challenge)
                .bind(code.expires_at)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn take_code(&self, code_hash: &str) -> Result<Option<SignInCode>, sqlx::Error> {
                sqlx::query_as(
                    "DELETE FROM sign_in_codes WHERE code_hash = $1 \
                     RETURNING code_hash, user_id, code_challenge, expires_at",
                )
                .bind(code_hash)
                .fetch_optional(&self.pool)
                .await
            }

            async fn ping(&self) -> Result<(), sqlx::Error> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map(drop)
            }
        }
    };
}

sql_user_store!(
    /// Users in Postgres (`migrations/`).
    PgUserStore,
    sqlx::PgPool
);

sql_user_store!(
    /// Users in SQLite (`migrations-sqlite/`), for the embedded mode.
    SqliteUserStore,
    sqlx::SqlitePool
);
