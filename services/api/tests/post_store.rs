//! The `PostStore` contract, run against both backends: Postgres (a fresh
//! database per test) and SQLite (a fresh file per test).

use imgup_api::store::{ListQuery, NewPost, PgPostStore, PostStatus, PostStore, SqlitePostStore};
use sqlx::PgPool;

fn new_post(owner: &str, n: u32) -> NewPost {
    NewPost {
        user_id: owner.into(),
        image_key: format!("uploads/{n:032x}.png"),
        title: Some(format!("post {n}")),
        filename: format!("p{n}.png"),
        content_type: "image/png".into(),
        size_bytes: 100 + i64::from(n),
    }
}

/// What every backend must do.
async fn behaves(store: &dyn PostStore) {
    store.ping().await.unwrap();

    let first = store.create(new_post("alice", 1)).await.unwrap();
    assert_eq!(first.status, PostStatus::Pending);
    assert_eq!(first.user_id, "alice");
    assert_eq!(first.title.as_deref(), Some("post 1"));
    assert_eq!(first.size_bytes, 101);
    assert!(first.updated_at >= first.created_at);
    assert!(
        store.create(new_post("bob", 1)).await.is_err(),
        "object keys are unique"
    );

    let mut ids = vec![first.id];
    for n in 2..=5 {
        ids.push(store.create(new_post("alice", n)).await.unwrap().id);
    }
    let bobs = store.create(new_post("bob", 9)).await.unwrap();

    assert_eq!(store.get(first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(
        store
            .find_by_key(&first.image_key)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(first.id)
    );
    assert_eq!(store.get(999_999).await.unwrap(), None);

    // Newest first, one owner, a page at a time.
    let page = |before_id, limit| ListQuery {
        owner: Some("alice".into()),
        status: None,
        before_id,
        limit,
    };
    let one: Vec<i64> = store
        .list(&page(None, 2))
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(one, vec![ids[4], ids[3]]);
    let two: Vec<i64> = store
        .list(&page(Some(ids[3]), 10))
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(two, vec![ids[2], ids[1], ids[0]]);
    let everyone = store
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(everyone.len(), 6);
    assert_eq!(everyone[0].id, bobs.id);

    // Status changes only from the expected state.
    let ready = store
        .transition(first.id, PostStatus::Pending, PostStatus::Ready, None)
        .await
        .unwrap();
    assert_eq!(ready.map(|p| p.status), Some(PostStatus::Ready));
    assert_eq!(
        store
            .transition(
                first.id,
                PostStatus::Pending,
                PostStatus::Rejected,
                Some("late")
            )
            .await
            .unwrap(),
        None
    );
    let rejected = store
        .transition(
            ids[1],
            PostStatus::Pending,
            PostStatus::Rejected,
            Some("not a PNG"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.rejection_reason.as_deref(), Some("not a PNG"));
    let ready_only = ListQuery {
        status: Some(PostStatus::Ready),
        limit: 10,
        ..ListQuery::default()
    };
    assert_eq!(
        store
            .list(&ready_only)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![first.id]
    );

    assert!(store.delete(first.id).await.unwrap());
    assert!(!store.delete(first.id).await.unwrap());
    assert_eq!(store.get(first.id).await.unwrap(), None);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_store_behaves(pool: PgPool) {
    behaves(&PgPostStore::new(pool)).await;
}

#[tokio::test]
async fn the_sqlite_store_behaves() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    behaves(&SqlitePostStore::new(pool)).await;
}
