//! The console's queries on both backends: search by a piece of the filename
//! or title, owners by id or email, sorts whose pages neither skip nor repeat,
//! retitling, and the library's totals.

use imgup_api::store::{
    After, ListQuery, NewPost, Outcome, OwnerFilter, PgPostStore, Post, PostStatus, PostStore,
    SortKey, SortOrder, SqlitePostStore,
};
use sqlx::PgPool;

const ADD_USER: &str = "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING CAST(id AS TEXT)";

/// `(filename, size, title)` for Ada (a user in the users table) and for a
/// user id no row names.
const ADAS: &[(&str, i64, Option<&str>)] = &[
    ("apple.png", 300, None),
    ("Banana.PNG", 100, Some("Sunset over the bay")),
    ("50%_off.png", 200, None),
    ("cherry.png", 300, None),
];
const GHOSTS: &[(&str, i64, Option<&str>)] =
    &[("Date_beach.png", 500, None), ("elder.png", 50, None)];

async fn seed(store: &dyn PostStore, ada: &str) -> Vec<Post> {
    let mut posts = Vec::new();
    for (owner, files) in [(ada, ADAS), ("ghost", GHOSTS)] {
        for (filename, size_bytes, title) in files {
            let post = store
                .create(NewPost {
                    user_id: owner.to_owned(),
                    image_key: format!("uploads/{:032x}.png", posts.len()),
                    title: title.map(str::to_owned),
                    filename: (*filename).to_owned(),
                    content_type: "image/png".into(),
                    size_bytes: *size_bytes,
                })
                .await
                .unwrap();
            posts.push(post);
        }
    }
    posts
}

async fn names(store: &dyn PostStore, query: ListQuery) -> Vec<String> {
    let posts = store.list(&query).await.unwrap();
    posts.into_iter().map(|p| p.filename).collect()
}

fn everyone(limit: u32) -> ListQuery {
    ListQuery {
        limit,
        ..ListQuery::default()
    }
}

/// Every page of `query`, two at a time, each continuing after the last.
async fn paged(store: &dyn PostStore, query: ListQuery) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(&ListQuery {
                after: after.clone(),
                limit: 2,
                ..query.clone()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(match query.sort {
            SortKey::Created => After::Created { id: last.id },
            SortKey::Size => After::Size {
                size: last.size_bytes,
                id: last.id,
            },
            SortKey::Filename => After::Filename {
                filename: last.filename.clone(),
                id: last.id,
            },
        });
        seen.extend(page.into_iter().map(|p| p.filename));
    }
    seen
}

async fn behaves(store: &dyn PostStore, ada: &str) {
    let posts = seed(store, ada).await;

    // Search: any case, filename or title, wildcards taken literally.
    let search = |q: &str| ListQuery {
        search: Some(q.into()),
        ..everyone(50)
    };
    assert_eq!(names(store, search("BEACH")).await, ["Date_beach.png"]);
    assert_eq!(names(store, search("sunset")).await, ["Banana.PNG"]);
    assert_eq!(names(store, search("%")).await, ["50%_off.png"]);
    assert_eq!(
        names(store, search("_")).await,
        ["Date_beach.png", "50%_off.png"]
    );
    assert!(names(store, search("nothing like it")).await.is_empty());

    // Owners by id or by email in any case; their email and name come along.
    let adas = store
        .list(&ListQuery {
            owner: Some(OwnerFilter::Email("ADA@Example.com".into())),
            ..everyone(50)
        })
        .await
        .unwrap();
    assert_eq!(adas.len(), ADAS.len());
    let owner = adas[0].owner.as_ref().expect("the owner is looked up");
    assert_eq!(owner.email, "ada@example.com");
    assert_eq!(owner.name.as_deref(), Some("Ada Lovelace"));
    let ghosts = store
        .list(&ListQuery {
            owner: Some(OwnerFilter::Id("ghost".into())),
            ..everyone(50)
        })
        .await
        .unwrap();
    assert_eq!(ghosts.len(), GHOSTS.len());
    assert!(ghosts.iter().all(|p| p.owner.is_none()));
    assert_eq!(
        store.get(posts[0].id).await.unwrap().unwrap().owner,
        adas[0].owner
    );

    // Sorts, in both directions, ties broken by id; paging gives the same
    // posts as one long page, once each.
    let by = |sort, order| ListQuery {
        sort,
        order,
        ..everyone(50)
    };
    let largest = names(store, by(SortKey::Size, SortOrder::Desc)).await;
    assert_eq!(
        largest,
        [
            "Date_beach.png",
            "cherry.png",
            "apple.png",
            "50%_off.png",
            "Banana.PNG",
            "elder.png"
        ]
    );
    let by_name = names(store, by(SortKey::Filename, SortOrder::Asc)).await;
    assert_eq!(
        by_name,
        [
            "50%_off.png",
            "apple.png",
            "Banana.PNG",
            "cherry.png",
            "Date_beach.png",
            "elder.png"
        ]
    );
    for sort in [SortKey::Created, SortKey::Size, SortKey::Filename] {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let whole = names(store, by(sort, order)).await;
            assert_eq!(
                paged(store, by(sort, order)).await,
                whole,
                "{sort:?} {order:?}"
            );
            let mut reversed = names(store, by(sort, flip(order))).await;
            reversed.reverse();
            assert_eq!(whole, reversed, "{sort:?} {order:?}");
        }
    }
    let newest = names(store, everyone(50)).await;
    assert_eq!(newest.first().map(String::as_str), Some("elder.png"));

    // Filters and sorts combine.
    let adas_largest = ListQuery {
        owner: Some(OwnerFilter::Id(ada.into())),
        search: Some(".png".into()),
        sort: SortKey::Size,
        order: SortOrder::Desc,
        ..everyone(50)
    };
    assert_eq!(
        paged(store, adas_largest).await,
        ["cherry.png", "apple.png", "50%_off.png", "Banana.PNG"]
    );

    // Titles are set and cleared; a missing post says so.
    assert!(store.set_title(posts[0].id, Some("Orchard")).await.unwrap());
    let titled = store.get(posts[0].id).await.unwrap().unwrap();
    assert_eq!(titled.title.as_deref(), Some("Orchard"));
    assert!(titled.updated_at >= posts[0].updated_at);
    assert_eq!(names(store, search("orch")).await, ["apple.png"]);
    assert!(store.set_title(posts[0].id, None).await.unwrap());
    assert_eq!(store.get(posts[0].id).await.unwrap().unwrap().title, None);
    assert!(!store.set_title(999_999, Some("x")).await.unwrap());

    // Totals: every status, the biggest owners with their emails, today.
    store
        .transition(
            posts[4].id,
            PostStatus::Pending,
            Outcome::Rejected {
                code: "corrupt",
                reason: "truncated",
            },
        )
        .await
        .unwrap()
        .unwrap();
    let stats = store.stats(10, 7).await.unwrap();
    let all_bytes: i64 = ADAS.iter().chain(GHOSTS).map(|(_, size, _)| size).sum();
    assert_eq!(stats.total.posts, 6);
    assert_eq!(stats.total.bytes, all_bytes as u64);
    let by_status: Vec<_> = stats
        .by_status
        .iter()
        .map(|s| (s.status, s.posts, s.bytes))
        .collect();
    assert_eq!(
        by_status,
        [
            (PostStatus::Pending, 5, all_bytes as u64 - 500),
            (PostStatus::Processing, 0, 0),
            (PostStatus::Ready, 0, 0),
            (PostStatus::Rejected, 1, 500),
        ]
    );
    let owners: Vec<_> = stats
        .top_owners
        .iter()
        .map(|o| (o.owner_email.as_deref(), o.posts, o.bytes))
        .collect();
    assert_eq!(owners, [(Some("ada@example.com"), 4, 900), (None, 1, 50)]);
    assert_eq!(stats.top_owners[1].owner_id, "ghost");
    assert_eq!(store.stats(1, 7).await.unwrap().top_owners.len(), 1);
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(stats.per_day.len(), 1, "{:?}", stats.per_day);
    assert_eq!(stats.per_day[0].day, today);
    assert_eq!(stats.per_day[0].posts, 6);
    assert_eq!(stats.per_day[0].bytes, all_bytes as u64);
}

fn flip(order: SortOrder) -> SortOrder {
    match order {
        SortOrder::Asc => SortOrder::Desc,
        SortOrder::Desc => SortOrder::Asc,
    }
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn the_postgres_library_queries_behave(pool: PgPool) {
    let ada: String = sqlx::query_scalar(ADD_USER)
        .bind("ada@example.com")
        .bind("Ada Lovelace")
        .fetch_one(&pool)
        .await
        .unwrap();
    behaves(&PgPostStore::new(pool), &ada).await;
}

#[tokio::test]
async fn the_sqlite_library_queries_behave() {
    let (pool, _dir) = imgup_testkit::fresh_sqlite().await;
    let ada: String = sqlx::query_scalar(ADD_USER)
        .bind("ada@example.com")
        .bind("Ada Lovelace")
        .fetch_one(&pool)
        .await
        .unwrap();
    behaves(&SqlitePostStore::new(pool), &ada).await;
}

/// At a library's size the list is answered from an index: no sort of the
/// whole table, whatever the owner and sort.
#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn postgres_pages_come_from_an_index(pool: PgPool) {
    sqlx::query(
        "INSERT INTO posts (user_id, image_key, filename, content_type, size_bytes) \
         SELECT CAST(n % 50 AS TEXT), 'uploads/' || n || '.png', 'file' || n || '.png', \
                'image/png', 1 + n % 1000 FROM generate_series(1, 20000) AS n",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE posts").execute(&pool).await.unwrap();
    let plans = [
        "ORDER BY id DESC",
        "ORDER BY size_bytes DESC, id DESC",
        "ORDER BY lower(filename), id",
        "AND user_id = '7' ORDER BY size_bytes, id",
        "AND user_id = '7' ORDER BY lower(filename) DESC, id DESC",
        // an owner named by email, as `owner=` sends it
        "AND user_id = (SELECT CAST(users.id AS TEXT) FROM users \
         WHERE lower(users.email) = lower('Ada@example.com')) ORDER BY lower(filename), id",
    ];
    for tail in plans {
        let sql = format!("EXPLAIN SELECT id FROM posts WHERE TRUE {tail} LIMIT 50");
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("Index"), "{tail}:\n{plan}");
        assert!(!plan.contains("Sort"), "{tail}:\n{plan}");
    }
    // Search: the trigram indexes apply to the expressions the list uses (the
    // planner takes them once the table is large enough for them to pay).
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SET enable_indexscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (column, index) in [
        ("filename", "posts_filename_trgm"),
        ("title", "posts_title_trgm"),
    ] {
        let sql = format!(
            "EXPLAIN SELECT id FROM posts WHERE lower({column}) LIKE lower('%Le1234%') ESCAPE '\\' \
             ORDER BY id DESC LIMIT 50"
        );
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{plan}");
    }
}
