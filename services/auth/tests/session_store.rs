//! The `SessionStore` contract, run against both backends: Postgres (a fresh
//! database per test) and SQLite (a fresh file per test).

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use imgup_auth::sessions::{PgSessionStore, RefreshToken, SessionStore, SqliteSessionStore};
use imgup_auth::users::{PgUserStore, SqliteUserStore, UserStore};
use sqlx::PgPool;

fn now() -> DateTime<Utc> {
    // Both backends keep at least microseconds.
    Utc::now()
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap()
}

fn token(hash: &str, family: &str, user_id: i64, expires_in: TimeDelta) -> RefreshToken {
    let now = now();
    RefreshToken::new(hash.into(), family.into(), user_id, now, now + expires_in)
}

async fn behaves(users: &dyn UserStore, sessions: &dyn SessionStore) {
    let ada = users
        .upsert_by_email("ada@example.com", "Ada")
        .await
        .unwrap();
    let grace = users
        .upsert_by_email("grace@example.com", "Grace")
        .await
        .unwrap();
    let month = TimeDelta::days(30);

    // Kept as issued.
    let first = token("h1", "fam-a", ada.id, month);
    sessions.issue(&first).await.unwrap();
    assert_eq!(sessions.find("h1").await.unwrap(), Some(first.clone()));
    assert_eq!(sessions.find("never").await.unwrap(), None);
    // A hash is a key.
    assert!(sessions.issue(&first).await.is_err());
    // A token for a user who does not exist is refused.
    assert!(
        sessions
            .issue(&token("orphan", "fam-x", ada.id + 1000, month))
            .await
            .is_err()
    );

    // Rotation uses the old token up and keeps the next in the same family, once.
    let second = token("h2", "fam-a", ada.id, month);
    let at = now();
    assert!(sessions.rotate("h1", &second, at).await.unwrap());
    let used = sessions.find("h1").await.unwrap().unwrap();
    assert_eq!(used.used_at, Some(at));
    assert_eq!(used.replaced_by.as_deref(), Some("h2"));
    assert_eq!(used.revoked_at, None);
    assert_eq!(sessions.find("h2").await.unwrap(), Some(second.clone()));
    let again = token("h3", "fam-a", ada.id, month);
    assert!(!sessions.rotate("h1", &again, now()).await.unwrap());
    assert_eq!(sessions.find("h3").await.unwrap(), None, "nothing kept");
    assert!(!sessions.rotate("never", &again, now()).await.unwrap());

    // An expired token does not rotate.
    sessions
        .issue(&token("stale", "fam-s", ada.id, -TimeDelta::seconds(1)))
        .await
        .ok();
    assert!(
        !sessions
            .rotate("stale", &token("h4", "fam-s", ada.id, month), now())
            .await
            .unwrap()
    );

    // Revoking a family revokes all of it and nothing else.
    sessions
        .issue(&token("g1", "fam-g", grace.id, month))
        .await
        .unwrap();
    sessions
        .issue(&token("a-other", "fam-b", ada.id, month))
        .await
        .unwrap();
    let at = now();
    assert_eq!(sessions.revoke_family("fam-a", at).await.unwrap(), 2);
    assert_eq!(
        sessions.find("h2").await.unwrap().unwrap().revoked_at,
        Some(at)
    );
    assert_eq!(
        sessions.find("h1").await.unwrap().unwrap().revoked_at,
        Some(at)
    );
    assert_eq!(sessions.revoke_family("fam-a", now()).await.unwrap(), 0);
    assert!(
        !sessions
            .rotate("h2", &token("h5", "fam-a", ada.id, month), now())
            .await
            .unwrap(),
        "a revoked token does not rotate"
    );
    assert_eq!(sessions.find("g1").await.unwrap().unwrap().revoked_at, None);

    // Revoking a user's sessions reaches every family of theirs.
    assert_eq!(sessions.revoke_user(ada.id, now()).await.unwrap(), 1);
    assert!(
        sessions
            .find("a-other")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert_eq!(sessions.find("g1").await.unwrap().unwrap().revoked_at, None);

    // Expired tokens are swept when the next one is issued.
    sessions
        .issue(&token("g2", "fam-g2", grace.id, month))
        .await
        .unwrap();
    assert_eq!(sessions.find("stale").await.unwrap(), None);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_store_behaves(pool: PgPool) {
    behaves(&PgUserStore::new(pool.clone()), &PgSessionStore::new(pool)).await;
}

#[tokio::test]
async fn the_sqlite_store_behaves() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    behaves(
        &SqliteUserStore::new(pool.clone()),
        &SqliteSessionStore::new(pool),
    )
    .await;
}
