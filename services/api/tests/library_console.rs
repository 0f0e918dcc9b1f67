//! What the admin console asks of the API, over HTTP: find posts (search,
//! status, owner), sort and page them, see who owns each, retitle one, and
//! the library's totals — with the refusals a client relies on.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, error_body};

async fn add_user(pool: &PgPool, email: &str, name: &str) -> String {
    sqlx::query_scalar("INSERT INTO users (email, name) VALUES ($1, $2) RETURNING CAST(id AS TEXT)")
        .bind(email)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn filenames(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|p| p["filename"].as_str().unwrap())
        .collect()
}

/// Follows `nextCursor` from `path` (which has a query) to the end.
async fn every_page(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let url = match &cursor {
            Some(c) => format!("{path}&limit=2&cursor={c}"),
            None => format!("{path}&limit=2"),
        };
        let page = app.get_json(&url, token).await;
        names.extend(filenames(&page).into_iter().map(str::to_owned));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return names,
        }
    }
    panic!("more pages than posts");
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn an_admin_finds_sorts_and_pages_the_library(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ada_id = add_user(&pool, "ada@example.com", "Ada Lovelace").await;
    let bob_id = add_user(&pool, "bob@example.com", "Bob").await;
    let ada = app.tokens.user(&ada_id);
    let bob = app.tokens.user(&bob_id);
    let admin = app.tokens.admin("root");
    for (token, name, size) in [
        (&ada, "Beach.png", 300),
        (&ada, "cat.png", 100),
        (&bob, "beach-party.png", 500),
        (&bob, "dog.png", 200),
        (&ada, "eel.png", 400),
    ] {
        app.create_post(token, name, "image/png", size).await;
    }

    let found = app.get_json("/posts?q=BEACH", &admin).await;
    assert_eq!(filenames(&found), ["beach-party.png", "Beach.png"]);
    assert_eq!(found["items"][0]["ownerEmail"], "bob@example.com");
    assert_eq!(found["items"][1]["ownerEmail"], "ada@example.com");
    assert_eq!(found["items"][1]["ownerName"], "Ada Lovelace");

    let adas = app.get_json("/posts?owner=ADA@example.com", &admin).await;
    assert_eq!(filenames(&adas), ["eel.png", "cat.png", "Beach.png"]);
    let by_id = app
        .get_json(&format!("/posts?owner={bob_id}"), &admin)
        .await;
    assert_eq!(filenames(&by_id), ["dog.png", "beach-party.png"]);

    assert_eq!(
        every_page(&app, &admin, "/posts?sort=size").await,
        [
            "beach-party.png",
            "eel.png",
            "Beach.png",
            "dog.png",
            "cat.png"
        ]
    );
    assert_eq!(
        every_page(&app, &admin, "/posts?sort=filename").await,
        [
            "beach-party.png",
            "Beach.png",
            "cat.png",
            "dog.png",
            "eel.png"
        ]
    );
    assert_eq!(
        every_page(&app, &admin, "/posts?sort=filename&order=desc&q=a").await,
        ["cat.png", "Beach.png", "beach-party.png"]
    );
    assert_eq!(
        every_page(&app, &admin, "/posts?sort=created&order=asc&status=pending").await,
        [
            "Beach.png",
            "cat.png",
            "beach-party.png",
            "dog.png",
            "eel.png"
        ]
    );

    // A user lists only their own, with their own email; naming someone else is refused.
    let own = app.get_json("/posts?q=beach", &bob).await;
    assert_eq!(filenames(&own), ["beach-party.png"]);
    assert_eq!(own["items"][0]["ownerEmail"], "bob@example.com");
    let me = app.get_json(&format!("/posts?owner={bob_id}"), &bob).await;
    assert_eq!(filenames(&me), ["dog.png", "beach-party.png"]);
    let other = app
        .get("/posts?owner=ada@example.com", &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_body(other, StatusCode::FORBIDDEN).await["code"],
        "forbidden"
    );
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn bad_list_queries_are_refused(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    for _ in 0..3 {
        app.create_post(&alice, "a.png", "image/png", 10).await;
    }
    let page = app.get_json("/posts?sort=size&limit=2", &alice).await;
    let size_cursor = page["nextCursor"].as_str().unwrap().to_owned();
    for query in [
        "sort=newest".to_owned(),
        "order=up".to_owned(),
        "cursor=%00%ff".to_owned(),
        "cursor=bm90IGpzb24".to_owned(),
        format!("sort=filename&cursor={size_cursor}"),
        format!("sort=size&order=asc&cursor={size_cursor}"),
        format!("q={}", "x".repeat(201)),
        "limit=0".to_owned(),
    ] {
        let response = app
            .get(&format!("/posts?{query}"), &alice)
            .send()
            .await
            .unwrap();
        let body = error_body(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "bad_request", "{query}: {body}");
    }
    // The cursor of the default sort is still the last id, as it was.
    let newest = app.get_json("/posts?limit=2", &alice).await;
    let cursor = newest["nextCursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!("/posts?limit=2&cursor={cursor}"), &alice)
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn titles_are_changed_by_the_owner_or_an_admin(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let alice = app.tokens.user("alice");
    let bob = app.tokens.user("bob");
    let admin = app.tokens.admin("root");
    let post = app.create_post(&alice, "a.png", "image/png", 10).await;
    let path = format!("/posts/{}", post["id"]);
    let patch = |token: &str, body: Value| {
        app.http
            .patch(app.url(&path))
            .bearer_auth(token)
            .json(&body)
            .send()
    };

    let renamed = patch(&alice, json!({"title": "  Summer  "})).await.unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["title"], "Summer");
    assert_eq!(renamed["ownerEmail"], "alice@example.com");
    assert_eq!(app.get_json(&path, &alice).await["title"], "Summer");

    let by_admin: Value = patch(&admin, json!({"title": "Winter"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_admin["title"], "Winter");
    let found = app.get_json("/posts?q=wint", &alice).await;
    assert_eq!(filenames(&found), ["a.png"]);

    let stranger = patch(&bob, json!({"title": "mine now"})).await.unwrap();
    assert_eq!(
        error_body(stranger, StatusCode::NOT_FOUND).await["code"],
        "not_found"
    );
    let long = patch(&alice, json!({"title": "x".repeat(201)}))
        .await
        .unwrap();
    assert_eq!(
        error_body(long, StatusCode::BAD_REQUEST).await["code"],
        "bad_request"
    );
    for shape in [
        json!({}),
        json!({"title": 5}),
        json!({"title": "a", "status": "ready"}),
    ] {
        let response = patch(&alice, shape.clone()).await.unwrap();
        let body = error_body(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["code"], "unprocessable", "{shape}");
    }
    assert_eq!(app.get_json(&path, &alice).await["title"], "Winter");

    let cleared: Value = patch(&alice, json!({"title": null}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["title"], Value::Null);
    let missing = app
        .http
        .patch(app.url("/posts/999999"))
        .bearer_auth(&alice)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    error_body(missing, StatusCode::NOT_FOUND).await;
}

#[sqlx::test(migrator = "imgup_db::MIGRATOR")]
async fn admins_see_the_librarys_totals(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ada_id = add_user(&pool, "ada@example.com", "Ada Lovelace").await;
    let ada = app.tokens.user(&ada_id);
    let bob = app.tokens.user("bob");
    let admin = app.tokens.admin("root");
    app.create_post(&ada, "a.png", "image/png", 1000).await;
    app.create_post(&ada, "b.png", "image/png", 500).await;
    app.create_post(&bob, "c.png", "image/png", 20).await;

    let stats = app.get_json("/stats", &admin).await;
    assert_eq!(stats["total"], json!({"posts": 3, "bytes": 1520}));
    assert_eq!(
        stats["byStatus"][0],
        json!({"status": "pending", "posts": 3, "bytes": 1520})
    );
    assert_eq!(stats["byStatus"].as_array().unwrap().len(), 4);
    assert_eq!(stats["topOwners"][0]["ownerEmail"], "ada@example.com");
    assert_eq!(stats["topOwners"][0]["bytes"], 1500);
    assert_eq!(stats["topOwners"][1]["ownerId"], "bob");
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(
        stats["perDay"],
        json!([{"day": today, "posts": 3, "bytes": 1520}])
    );
    let top_one = app.get_json("/stats?top=1&days=1", &admin).await;
    assert_eq!(top_one["topOwners"].as_array().unwrap().len(), 1);

    let refused = app.get("/stats", &bob).send().await.unwrap();
    assert_eq!(
        error_body(refused, StatusCode::FORBIDDEN).await["code"],
        "forbidden"
    );
    for query in ["top=0", "top=101", "days=0", "days=400", "top=x"] {
        let response = app
            .get(&format!("/stats?{query}"), &admin)
            .send()
            .await
            .unwrap();
        error_body(response, StatusCode::BAD_REQUEST).await;
    }
}
