//! The `UserStore` contract, run against both backends: Postgres (a fresh
//! database per test) and SQLite (a fresh file per test).

use chrono::{DurationRound, TimeDelta, Utc};
use imgup_auth::providers::Identity;
use imgup_auth::users::{
    PendingSignIn, PgUserStore, SignInCode, SqliteUserStore, UserChange, UserStore,
};
use sqlx::PgPool;

fn identity(provider: &'static str, subject: &str, email: &str, name: Option<&str>) -> Identity {
    Identity {
        provider,
        subject: subject.into(),
        email: email.into(),
        name: name.map(Into::into),
    }
}

fn pending(state: &str, expires_in: TimeDelta) -> PendingSignIn {
    PendingSignIn {
        state: state.into(),
        provider: "github".into(),
        pkce_verifier: format!("verifier-of-{state}"),
        redirect_uri: Some("http://127.0.0.1:5173/callback".into()),
        binding_hash: format!("binding-of-{state}"),
        client_state: Some(format!("app-state-of-{state}")),
        code_challenge: None,
        // Both backends keep at least microseconds.
        expires_at: (Utc::now() + expires_in)
            .duration_trunc(TimeDelta::microseconds(1))
            .unwrap(),
    }
}

async fn behaves(store: &dyn UserStore) {
    store.ping().await.expect("a reachable store");

    // A development token's user is found again by email, whatever its case.
    let dev = store
        .upsert_by_email("Ada@Example.com", "Ada")
        .await
        .unwrap();
    assert_eq!(dev.email, "Ada@Example.com");
    assert_eq!(dev.name.as_deref(), Some("Ada"));
    let again = store
        .upsert_by_email("ada@example.com", "ada")
        .await
        .unwrap();
    assert_eq!(again.id, dev.id);
    // (the second sign-in moved last_sign_in_at on)
    assert_eq!(store.get(dev.id).await.unwrap(), Some(again.clone()));
    assert!(again.last_sign_in_at > dev.last_sign_in_at);
    assert_eq!(store.get(dev.id + 1000).await.unwrap(), None);

    // Signing in with a provider whose verified email is known is the same person.
    let github = store
        .upsert_oauth(&identity(
            "github",
            "gh-1",
            "ada@example.com",
            Some("Ada L."),
        ))
        .await
        .unwrap();
    assert_eq!(github.id, dev.id);
    assert_eq!(github.name.as_deref(), Some("Ada L."));

    // The same provider account later: found by its subject even if the email
    // changed, which becomes the person's email; a missing name keeps the one we have.
    let renamed = store
        .upsert_oauth(&identity("github", "gh-1", "ada@new.example", None))
        .await
        .unwrap();
    assert_eq!(renamed.id, dev.id);
    assert_eq!(renamed.email, "ada@new.example");
    assert_eq!(renamed.name.as_deref(), Some("Ada L."));

    // Someone else is someone else, and keeps their email when another
    // person's provider account moves to it.
    let grace = store
        .upsert_oauth(&identity(
            "google",
            "g-7",
            "grace@example.com",
            Some("Grace"),
        ))
        .await
        .unwrap();
    assert_ne!(grace.id, dev.id);
    assert_eq!(store.get(grace.id).await.unwrap(), Some(grace.clone()));
    let clash = store
        .upsert_oauth(&identity("github", "gh-1", "Grace@example.com", None))
        .await
        .unwrap();
    assert_eq!(
        (clash.id, clash.email.as_str()),
        (dev.id, "ada@new.example")
    );
    assert_eq!(
        store.get(grace.id).await.unwrap().unwrap().email,
        "grace@example.com"
    );

    // New people are users, enabled, with their sign-in recorded.
    assert_eq!((dev.role.as_str(), dev.disabled), ("user", false));
    assert!(dev.last_sign_in_at.is_some_and(|at| at >= dev.created_at));

    // Admins change roles and disable people; a disabled person's sign-ins
    // are not recorded.
    let promoted = store
        .update(
            dev.id,
            &UserChange {
                role: Some("admin".into()),
                disabled: None,
            },
        )
        .await
        .unwrap()
        .expect("a user");
    assert_eq!(
        (promoted.role.as_str(), promoted.disabled),
        ("admin", false)
    );
    let disabled = store
        .update(
            dev.id,
            &UserChange {
                role: None,
                disabled: Some(true),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((disabled.role.as_str(), disabled.disabled), ("admin", true));
    let refused = store
        .upsert_by_email("ada@new.example", "Ada")
        .await
        .unwrap();
    assert_eq!(refused.last_sign_in_at, disabled.last_sign_in_at);
    let refused = store
        .upsert_oauth(&identity("github", "gh-1", "ada@new.example", None))
        .await
        .unwrap();
    assert!(refused.disabled);
    assert_eq!(refused.last_sign_in_at, disabled.last_sign_in_at);
    let enabled = store
        .update(
            dev.id,
            &UserChange {
                role: Some("user".into()),
                disabled: Some(false),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((enabled.role.as_str(), enabled.disabled), ("user", false));
    assert!(
        store
            .update(dev.id + 1000, &UserChange::default())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .update(
                dev.id,
                &UserChange {
                    role: Some("root".into()),
                    disabled: None
                }
            )
            .await
            .is_err(),
        "the database holds to the two roles"
    );

    // Listed by id, a page at a time.
    let everyone = store.list(None, 10).await.unwrap();
    assert_eq!(
        everyone.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![dev.id, grace.id]
    );
    assert_eq!(store.list(None, 1).await.unwrap()[0].id, dev.id);
    let rest = store.list(Some(dev.id), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![grace.id]
    );
    assert!(store.list(Some(grace.id), 10).await.unwrap().is_empty());

    // A sign-in in flight comes back exactly once, as it was saved.
    let saved = PendingSignIn {
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        ..pending("state-1", TimeDelta::minutes(10))
    };
    store.save_sign_in(&saved).await.unwrap();
    let taken = store.take_sign_in("state-1").await.unwrap().expect("saved");
    assert_eq!(
        (
            &taken.state,
            &taken.provider,
            &taken.pkce_verifier,
            &taken.redirect_uri,
            &taken.binding_hash,
            taken.expires_at,
            &taken.client_state,
            &taken.code_challenge,
        ),
        (
            &saved.state,
            &saved.provider,
            &saved.pkce_verifier,
            &saved.redirect_uri,
            &saved.binding_hash,
            saved.expires_at,
            &saved.client_state,
            &saved.code_challenge,
        )
    );
    assert!(store.take_sign_in("state-1").await.unwrap().is_none());
    assert!(store.take_sign_in("never-saved").await.unwrap().is_none());

    // Abandoned sign-ins are swept when the next one begins.
    store
        .save_sign_in(&pending("abandoned", -TimeDelta::minutes(1)))
        .await
        .unwrap();
    store
        .save_sign_in(&pending("state-2", TimeDelta::minutes(10)))
        .await
        .unwrap();
    assert!(store.take_sign_in("abandoned").await.unwrap().is_none());
    assert!(store.take_sign_in("state-2").await.unwrap().is_some());

    // A state is a key: saving it twice is refused, not overwritten.
    store
        .save_sign_in(&pending("state-3", TimeDelta::minutes(10)))
        .await
        .unwrap();
    assert!(
        store
            .save_sign_in(&pending("state-3", TimeDelta::minutes(10)))
            .await
            .is_err()
    );

    // A native app's one-time code: taken once; expired ones are swept.
    let code = |hash: &str, user_id: i64, expires_in: TimeDelta| SignInCode {
        code_hash: hash.into(),
        user_id,
        code_challenge: format!("challenge-of-{hash}"),
        expires_at: (Utc::now() + expires_in)
            .duration_trunc(TimeDelta::microseconds(1))
            .unwrap(),
    };
    store
        .save_code(&code("stale", dev.id, -TimeDelta::seconds(1)))
        .await
        .unwrap();
    let fresh = code("fresh", dev.id, TimeDelta::seconds(60));
    store.save_code(&fresh).await.unwrap();
    assert!(store.take_code("stale").await.unwrap().is_none());
    let taken = store.take_code("fresh").await.unwrap().expect("saved");
    assert_eq!(
        (taken.user_id, &taken.code_challenge, taken.expires_at),
        (fresh.user_id, &fresh.code_challenge, fresh.expires_at)
    );
    assert!(store.take_code("fresh").await.unwrap().is_none());
    // A code for a user who does not exist is refused.
    assert!(
        store
            .save_code(&code("orphan", dev.id + 1000, TimeDelta::seconds(60)))
            .await
            .is_err()
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_store_behaves(pool: PgPool) {
    behaves(&PgUserStore::new(pool)).await;
}

#[tokio::test]
async fn the_sqlite_store_behaves() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    behaves(&SqliteUserStore::new(pool)).await;
}
