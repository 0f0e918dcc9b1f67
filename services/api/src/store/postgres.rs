use async_trait::async_trait;
use sqlx::PgPool;

use super::row::{PostRow, classify, one};
use super::{ListQuery, NewPost, Post, PostStatus, PostStore, StoreError};

/// Posts in Postgres (`migrations/`).
#[derive(Clone)]
pub struct PgPostStore {
    pool: PgPool,
}

impl PgPostStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl PostStore for PgPostStore {
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
             WHERE ($1::text IS NULL OR user_id = $1) \
               AND ($2::text IS NULL OR status = $2) \
               AND ($3::bigint IS NULL OR id < $3) \
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
            "UPDATE posts SET status = $3, rejection_reason = $4, updated_at = now() \
             WHERE id = $1 AND status = $2 RETURNING ",
            columns!()
        );
        one(sqlx::query_as(SQL)
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(reason)
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
