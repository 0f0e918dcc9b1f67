//! The `PostStore` contract, run against both backends: Postgres (a fresh
//! database per test) and SQLite (a fresh file per test).

use std::collections::BTreeMap;

use chrono::Utc;
use imgup_api::store::{
    After, ImageFacts, ImageJobs, ListQuery, NewPost, Outcome, OwnerFilter, PgPostStore,
    PostStatus, PostStore, SqlitePostStore, StoredVariant,
};
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
    let page = |before_id: Option<i64>, limit| ListQuery {
        owner: Some(OwnerFilter::Id("alice".into())),
        after: before_id.map(|id| After::Created { id }),
        limit,
        ..ListQuery::default()
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

    // Status changes only from the expected state: pending → processing (with
    // its job) → ready, carrying what processing found.
    let processing = store.queue_processing(first.id).await.unwrap();
    assert_eq!(processing.map(|p| p.status), Some(PostStatus::Processing));
    assert_eq!(store.queue_processing(first.id).await.unwrap(), None);
    let facts = ImageFacts {
        width: 640,
        height: 480,
        blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
        variants: BTreeMap::from([(
            "thumb".to_owned(),
            StoredVariant {
                key: "variants/abc/thumb.webp".into(),
                width: 320,
                height: 240,
                content_type: "image/webp".into(),
            },
        )]),
    };
    let ready = store
        .transition(first.id, PostStatus::Processing, Outcome::Ready(&facts))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ready.status, PostStatus::Ready);
    assert_eq!(ready.image.as_ref(), Some(&facts));
    assert_eq!(
        store.get(first.id).await.unwrap().unwrap().image,
        Some(facts)
    );
    let late = Outcome::Rejected {
        code: "corrupt",
        reason: "late",
    };
    assert_eq!(
        store
            .transition(first.id, PostStatus::Processing, late)
            .await
            .unwrap(),
        None
    );
    let rejected = store
        .transition(
            ids[1],
            PostStatus::Pending,
            Outcome::Rejected {
                code: "wrong_format",
                reason: "not a PNG",
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.rejection_reason.as_deref(), Some("not a PNG"));
    assert_eq!(rejected.rejection_code.as_deref(), Some("wrong_format"));
    assert_eq!(rejected.image, None);
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

/// The job queue: a queued job is taken by one worker at a time, comes back
/// when its lease runs out or it is retried, and only its holder finishes it.
async fn queue_behaves<S: PostStore + ImageJobs>(store: &S) {
    let post = store.create(new_post("alice", 900)).await.unwrap();
    let now = Utc::now();
    assert_eq!(store.claim(now, now, "a").await.unwrap(), None);
    store.queue_processing(post.id).await.unwrap().unwrap();
    let t0 = Utc::now();
    let later = |secs| t0 + chrono::TimeDelta::seconds(secs);
    assert_eq!(store.depth().await.unwrap(), 1);

    let job = store.claim(t0, later(60), "a").await.unwrap().unwrap();
    assert_eq!((job.post_id, job.attempts), (post.id, 1));
    // Leased: nobody else gets it until the lease runs out.
    assert_eq!(store.claim(later(30), later(90), "b").await.unwrap(), None);
    let taken_over = store
        .claim(later(61), later(120), "b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken_over.post_id, taken_over.attempts), (post.id, 2));
    // The first worker lost its lease: its finish or retry changes nothing.
    store.finish(&job).await.unwrap();
    store.retry(&job, t0, "late").await.unwrap();
    assert_eq!(store.depth().await.unwrap(), 1);
    assert_eq!(store.claim(later(62), later(120), "c").await.unwrap(), None);

    store
        .retry(&taken_over, later(100), "storage unavailable")
        .await
        .unwrap();
    assert_eq!(store.claim(later(99), later(200), "c").await.unwrap(), None);
    let again = store
        .claim(later(100), later(200), "c")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 3);
    store.finish(&again).await.unwrap();
    assert_eq!(store.depth().await.unwrap(), 0);

    // Deleting a post drops its job.
    let other = store.create(new_post("alice", 901)).await.unwrap();
    store.queue_processing(other.id).await.unwrap().unwrap();
    assert!(store.delete(other.id).await.unwrap());
    assert_eq!(store.depth().await.unwrap(), 0);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_store_behaves(pool: PgPool) {
    behaves(&PgPostStore::new(pool)).await;
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_job_queue_behaves(pool: PgPool) {
    queue_behaves(&PgPostStore::new(pool)).await;
}

#[tokio::test]
async fn the_sqlite_job_queue_behaves() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    queue_behaves(&SqlitePostStore::new(pool)).await;
}

#[tokio::test]
async fn the_sqlite_store_behaves() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    behaves(&SqlitePostStore::new(pool)).await;
}

/// Ready posts that were never checked (as the first release left them:
/// `ready`, no dimensions) go back to processing with a job, once, and only
/// they; `only` picks one.
async fn unchecked_are_queued<S: PostStore + ImageJobs>(
    store: &S,
    make_old_ready: impl AsyncFn(i64),
) {
    let old_a = store.create(new_post("alice", 910)).await.unwrap();
    let old_b = store.create(new_post("alice", 911)).await.unwrap();
    let pending = store.create(new_post("alice", 912)).await.unwrap();
    make_old_ready(old_a.id).await;
    make_old_ready(old_b.id).await;
    let now = Utc::now();
    assert_eq!(
        store
            .queue_unchecked(Some(old_b.id), 10, now)
            .await
            .unwrap(),
        vec![old_b.id]
    );
    assert_eq!(
        store.queue_unchecked(None, 10, now).await.unwrap(),
        vec![old_a.id]
    );
    assert!(
        store
            .queue_unchecked(None, 10, now)
            .await
            .unwrap()
            .is_empty()
    );
    for id in [old_a.id, old_b.id] {
        assert_eq!(
            store.get(id).await.unwrap().unwrap().status,
            PostStatus::Processing
        );
    }
    assert_eq!(
        store.get(pending.id).await.unwrap().unwrap().status,
        PostStatus::Pending
    );
    assert_eq!(store.depth().await.unwrap(), 2);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_store_queues_unchecked_ready_posts(pool: PgPool) {
    let store = PgPostStore::new(pool.clone());
    unchecked_are_queued(&store, async |id| {
        sqlx::query("UPDATE posts SET status = 'ready' WHERE id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn the_sqlite_store_queues_unchecked_ready_posts() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    let store = SqlitePostStore::new(pool.clone());
    unchecked_are_queued(&store, async |id| {
        sqlx::query("UPDATE posts SET status = 'ready' WHERE id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    })
    .await;
}
