//! Sessions: a sign-in starts a family of refresh tokens; a refresh uses up
//! its token and hands out the next one of the family with a fresh access
//! token; a used token presented again means someone kept a copy, so the whole
//! family is revoked (reuse detection, OAuth 2.0 Security BCP §4.14).

use chrono::{DateTime, Duration, Utc};
use oauth2::CsrfToken;
use sha2::{Digest, Sha256};

use crate::error::AuthError;
use crate::sessions::RefreshToken;
use crate::state::AppState;
use crate::users::User;

/// How long a refresh token lives unused; every refresh starts the clock
/// again for the token it hands out.
pub const REFRESH_TTL_DAYS: i64 = 30;

const REFUSED: AuthError = AuthError::InvalidGrant("unknown, expired or revoked refresh token");

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    // 32 random bytes, base64url.
    CsrfToken::new_random_len(32).into_secret()
}

fn record(token: &str, family_id: String, user_id: i64, now: DateTime<Utc>) -> RefreshToken {
    RefreshToken::new(
        token_hash(token),
        family_id,
        user_id,
        now,
        now + Duration::days(REFRESH_TTL_DAYS),
    )
}

/// A new family for `user`, at a sign-in: its first refresh token.
pub async fn start(state: &AppState, user: &User) -> Result<String, AuthError> {
    let token = new_token();
    let family = uuid::Uuid::new_v4().simple().to_string();
    state
        .sessions
        .issue(&record(&token, family, user.id, Utc::now()))
        .await?;
    Ok(token)
}

/// Uses up `presented` and returns its user, read afresh, with the next
/// refresh token of the family.
pub async fn rotate(state: &AppState, presented: &str) -> Result<(User, String), AuthError> {
    let now = Utc::now();
    let hash = token_hash(presented);
    let stored = state.sessions.find(&hash).await?.ok_or(REFUSED)?;
    let user = state.users.get(stored.user_id).await?.ok_or(REFUSED)?;
    if user.disabled {
        // Disabling revoked the family already; say why, and make sure.
        state.sessions.revoke_family(&stored.family_id, now).await?;
        return Err(AuthError::UserDisabled);
    }
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(REFUSED);
    }
    if stored.used_at.is_some() {
        return Err(reused(state, &stored, now).await?);
    }
    let next = new_token();
    let rotated = state
        .sessions
        .rotate(
            &hash,
            &record(&next, stored.family_id.clone(), user.id, now),
            now,
        )
        .await?;
    if !rotated {
        // Used (or revoked) between the look-up and the update: a concurrent
        // refresh with the same token, which is reuse as well.
        return Err(reused(state, &stored, now).await?);
    }
    Ok((user, next))
}

async fn reused(
    state: &AppState,
    stored: &RefreshToken,
    now: DateTime<Utc>,
) -> Result<AuthError, AuthError> {
    let revoked = state.sessions.revoke_family(&stored.family_id, now).await?;
    tracing::warn!(
        user_id = stored.user_id,
        revoked,
        "a used refresh token was presented again; its session is revoked"
    );
    Ok(AuthError::InvalidGrant(
        "the refresh token was already used; the session is revoked, please sign in again",
    ))
}

/// Ends the session `presented` belongs to. Unknown tokens end nothing, and
/// say nothing about it.
pub async fn end(state: &AppState, presented: &str) -> Result<(), AuthError> {
    if let Some(stored) = state.sessions.find(&token_hash(presented)).await? {
        state
            .sessions
            .revoke_family(&stored.family_id, Utc::now())
            .await?;
    }
    Ok(())
}
