//! One implementation of [`PostStore`] in portable SQL, stamped out for each
//! backend: the queries are the same for Postgres and SQLite (casts that both
//! understand, timestamps bound from Rust rather than each database's clock).

use async_trait::async_trait;

use super::row::{PostRow, classify, one};
use super::{ListQuery, NewPost, Post, PostStatus, PostStore, StoreError};

macro_rules! sql_post_store {
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
        impl PostStore for $name {
            async fn create(&self, post: NewPost) -> Result<Post, StoreError> {
                const SQL: &str = concat!(
                    "INSERT INTO posts (user_id, image_key, title, filename, content_type, size_bytes) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                    columns!()
                );
                let row: PostRow = sqlx::query_as(SQL)
                    .bind(&post.user_id)
                    .bind(&post.image_key)
                    .bind(&post.title)
                    .bind(&post.filename)
                    .bind(&post.content_type)
                    .bind(post.size_bytes)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(classify)?;
                row.try_into()
            }

            async fn get(&self, id: i64) -> Result<Option<Post>, StoreError> {
                const SQL: &str = concat!("SELECT ", columns!(), " FROM posts WHERE id = $1");
                one(sqlx::query_as(SQL)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(classify)?)
            }

            async fn find_by_key(&self, image_key: &str) -> Result<Option<Post>, StoreError> {
                const SQL: &str = concat!("SELECT ", columns!(), " FROM posts WHERE image_key = $1");
                one(sqlx::query_as(SQL)
                    .bind(image_key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(classify)?)
            }

            async fn list(&self, query: &ListQuery) -> Result<Vec<Post>, StoreError> {
                const SQL: &str = concat!(
                    "SELECT ",
                    columns!(),
                    " FROM posts \
                     WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
                       AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                       AND (CAST($3 AS BIGINT) IS NULL OR id < $3) \
                     ORDER BY id DESC LIMIT $4"
                );
                let rows: Vec<PostRow> = sqlx::query_as(SQL)
                    .bind(query.owner.as_deref())
                    .bind(query.status.map(PostStatus::as_str))
                    .bind(query.before_id)
                    .bind(i64::from(query.limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(classify)?;
                rows.into_iter().map(Post::try_from).collect()
            }

            async fn transition(
                &self,
                id: i64,
                from: PostStatus,
                to: PostStatus,
                reason: Option<&str>,
            ) -> Result<Option<Post>, StoreError> {
                const SQL: &str = concat!(
                    "UPDATE posts SET status = $3, rejection_reason = $4, updated_at = $5 \
                     WHERE id = $1 AND status = $2 RETURNING ",
                    columns!()
                );
                one(sqlx::query_as(SQL)
                    .bind(id)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(reason)
                    .bind(chrono::Utc::now())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(classify)?)
            }

            async fn delete(&self, id: i64) -> Result<bool, StoreError> {
                let result = sqlx::query("DELETE FROM posts WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
                Ok(result.rows_affected() > 0)
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(classify)
            }
        }
    };
}

sql_post_store!(
    /// Posts in Postgres (`migrations/`).
    PgPostStore,
    sqlx::PgPool
);

sql_post_store!(
    /// Posts in SQLite (`migrations-sqlite/`), for the embedded mode.
    SqlitePostStore,
    sqlx::SqlitePool
);
