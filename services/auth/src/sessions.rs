//! Refresh tokens, kept as families behind one interface: each sign-in starts
//! a family, each refresh uses up its token and adds the next one, and a used
//! token presented again gives the family away (reuse detection).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A refresh token as stored: never the token itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub family_id: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When a refresh used it up (rotated it).
    pub used_at: Option<DateTime<Utc>>,
    /// The hash of the token that replaced it.
    pub replaced_by: Option<String>,
    /// When its family was revoked (logout, reuse, a disabled user).
    pub revoked_at: Option<DateTime<Utc>>,
}

impl RefreshToken {
    /// A fresh, unused token.
    pub fn new(
        token_hash: String,
        family_id: String,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            token_hash,
            family_id,
            user_id,
            created_at: now,
            expires_at,
            used_at: None,
            replaced_by: None,
            revoked_at: None,
        }
    }
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Keeps a new token (the first of a family, at a sign-in); sweeps expired ones.
    async fn issue(&self, token: &RefreshToken) -> Result<(), sqlx::Error>;
    async fn find(&self, token_hash: &str) -> Result<Option<RefreshToken>, sqlx::Error>;
    /// Uses up `old_hash` and keeps `next` in its place, both at once; `false`
    /// (and nothing kept) when `old_hash` is not a live token any more, for
    /// instance because a concurrent refresh used it first.
    async fn rotate(
        &self,
        old_hash: &str,
        next: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error>;
    /// Revokes every token of the family; how many were live.
    async fn revoke_family(&self, family_id: &str, now: DateTime<Utc>) -> Result<u64, sqlx::Error>;
    /// Revokes every token of the user; how many were live.
    async fn revoke_user(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64, sqlx::Error>;
}

/// The columns of `refresh_tokens`, in [`RefreshToken`]'s order.
macro_rules! columns {
    () => {
        "token_hash, family_id, user_id, created_at, expires_at, used_at, replaced_by, revoked_at"
    };
}

/// One implementation of [`SessionStore`] in portable SQL, stamped out for
/// each backend (timestamps are bound from Rust).
macro_rules! sql_session_store {
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
        impl SessionStore for $name {
            async fn issue(&self, token: &RefreshToken) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
                    .bind(token.created_at)
                    .execute(&self.pool)
                    .await?;
                sqlx::query(concat!(
                    "INSERT INTO refresh_tokens (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(&token.token_hash)
                .bind(&token.family_id)
                .bind(token.user_id)
                .bind(token.created_at)
                .bind(token.expires_at)
                .bind(token.used_at)
                .bind(&token.replaced_by)
                .bind(token.revoked_at)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn find(&self, token_hash: &str) -> Result<Option<RefreshToken>, sqlx::Error> {
                sqlx::query_as(concat!(
                    "SELECT ", columns!(), " FROM refresh_tokens WHERE token_hash = $1"
                ))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
            }

            async fn rotate(
                &self,
                old_hash: &str,
                next: &RefreshToken,
                now: DateTime<Utc>,
            ) -> Result<bool, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                // The conditional update is the lock: of two refreshes with one
                // token, only the first finds it unused.
                let used = sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $2, replaced_by = $3 \
                     WHERE token_hash = $1 AND family_id = $4 AND used_at IS NULL \
                     AND revoked_at IS NULL AND expires_at > $2",
                )
                .bind(old_hash)
                .bind(now)
                .bind(&next.token_hash)
                .bind(&next.family_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if used != 1 {
                    return Ok(false);
                }
                sqlx::query(concat!(
                    "INSERT INTO refresh_tokens (", columns!(), ") VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL)"
                ))
                .bind(&next.token_hash)
                .bind(&next.family_id)
                .bind(next.user_id)
                .bind(next.created_at)
                .bind(next.expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_family(
                &self,
                family_id: &str,
                now: DateTime<Utc>,
            ) -> Result<u64, sqlx::Error> {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 \
                     WHERE family_id = $1 AND revoked_at IS NULL",
                )
                .bind(family_id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map(|done| done.rows_affected())
            }

            async fn revoke_user(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 \
                     WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user_id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map(|done| done.rows_affected())
            }
        }
    };
}

sql_session_store!(
    /// Refresh tokens in Postgres (`migrations/`).
    PgSessionStore,
    sqlx::PgPool
);

sql_session_store!(
    /// Refresh tokens in SQLite (`migrations-sqlite/`), for the embedded mode.
    SqliteSessionStore,
    sqlx::SqlitePool
);
