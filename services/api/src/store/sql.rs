//! One implementation of [`PostStore`] in portable SQL, stamped out for each
//! backend: the queries are the same for Postgres and SQLite (casts that both
//! understand, timestamps bound from Rust rather than each database's clock).

use async_trait::async_trait;

use chrono::{DateTime, Utc};

use super::listing::{self, Arg, owner_columns};
use super::row::{PostRow, classify, one};
use super::stats::{self, DayTotal, OwnerTotal, per_day_sql};
use super::{
    ClaimedJob, ImageJobs, LibraryStats, Lifecycle, ListQuery, NewPost, Outcome, Post, PostStatus,
    PostStore, StoreError,
};

/// A post's image job, due now (`$2`); queueing it twice is harmless.
const QUEUE_JOB: &str = "INSERT INTO image_jobs (post_id, run_after, created_at) VALUES ($1, $2, $2) \
                         ON CONFLICT (post_id) DO NOTHING";

macro_rules! sql_post_store {
    (
        $(#[$doc:meta])* $name:ident, $pool:ty,
        skip_locked: $skip_locked:literal,
        utc_day: $utc_day:literal
    ) => {
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
                const SQL: &str =
                    concat!("SELECT ", columns!(), owner_columns!(), " FROM posts WHERE id = $1");
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
                let (sql, args) = listing::select(query);
                let mut select = sqlx::query_as::<_, PostRow>(sqlx::AssertSqlSafe(sql));
                for arg in args {
                    select = match arg {
                        Arg::Text(text) => select.bind(text),
                        Arg::Int(int) => select.bind(int),
                    };
                }
                let rows = select.fetch_all(&self.pool).await.map_err(classify)?;
                rows.into_iter().map(Post::try_from).collect()
            }

            async fn set_title(
                &self,
                id: i64,
                title: Option<&str>,
            ) -> Result<bool, StoreError> {
                let result = sqlx::query("UPDATE posts SET title = $2, updated_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(title)
                    .bind(chrono::Utc::now())
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
                Ok(result.rows_affected() > 0)
            }

            async fn stats(&self, top_owners: u32, days: u32) -> Result<LibraryStats, StoreError> {
                const PER_DAY: &str = per_day_sql!($utc_day);
                let today = Utc::now().date_naive();
                let since = today
                    .checked_sub_days(chrono::Days::new(u64::from(days.saturating_sub(1))))
                    .unwrap_or(today)
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc();
                let by_status: Vec<(String, i64, i64)> = sqlx::query_as(stats::BY_STATUS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(classify)?;
                let owners: Vec<(String, i64, i64, Option<String>, Option<String>)> =
                    sqlx::query_as(stats::TOP_OWNERS)
                        .bind(i64::from(top_owners))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(classify)?;
                let per_day: Vec<(String, i64, i64)> = sqlx::query_as(PER_DAY)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(classify)?;
                let by_status = stats::by_status(by_status);
                Ok(LibraryStats {
                    total: stats::total(&by_status),
                    by_status,
                    top_owners: owners
                        .into_iter()
                        .map(|(owner_id, posts, bytes, owner_email, owner_name)| OwnerTotal {
                            owner_id,
                            owner_email,
                            owner_name,
                            posts: stats::count(posts),
                            bytes: stats::count(bytes),
                        })
                        .collect(),
                    per_day: per_day
                        .into_iter()
                        .map(|(day, posts, bytes)| DayTotal {
                            day,
                            posts: stats::count(posts),
                            bytes: stats::count(bytes),
                        })
                        .collect(),
                })
            }

            async fn transition(
                &self,
                id: i64,
                from: PostStatus,
                to: Outcome<'_>,
            ) -> Result<Option<Post>, StoreError> {
                const SQL: &str = concat!(
                    "UPDATE posts SET status = $3, rejection_code = $4, rejection_reason = $5, \
                     width = $6, height = $7, blurhash = $8, variants = $9, updated_at = $10 \
                     WHERE id = $1 AND status = $2 RETURNING ",
                    columns!()
                );
                let (status, code, reason, image) = match to {
                    Outcome::Ready(image) => (PostStatus::Ready, None, None, Some(image)),
                    Outcome::Rejected { code, reason } => {
                        (PostStatus::Rejected, Some(code), Some(reason), None)
                    }
                };
                let variants = image
                    .map(|image| serde_json::to_string(&image.variants))
                    .transpose()
                    .map_err(|e| StoreError::Other(Box::new(e)))?;
                one(sqlx::query_as(SQL)
                    .bind(id)
                    .bind(from.as_str())
                    .bind(status.as_str())
                    .bind(code)
                    .bind(reason)
                    .bind(image.map(|i| i32::try_from(i.width).unwrap_or(i32::MAX)))
                    .bind(image.map(|i| i32::try_from(i.height).unwrap_or(i32::MAX)))
                    .bind(image.and_then(|i| i.blurhash.as_deref()))
                    .bind(variants)
                    .bind(chrono::Utc::now())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(classify)?)
            }

            async fn queue_processing(&self, id: i64) -> Result<Option<Post>, StoreError> {
                const SQL: &str = concat!(
                    "UPDATE posts SET status = 'processing', updated_at = $2 \
                     WHERE id = $1 AND status = 'pending' RETURNING ",
                    columns!()
                );
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await.map_err(classify)?;
                let row: Option<PostRow> = sqlx::query_as(SQL)
                    .bind(id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(classify)?;
                if row.is_some() {
                    sqlx::query(QUEUE_JOB)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                }
                tx.commit().await.map_err(classify)?;
                one(row)
            }

            async fn usage(&self, user_id: &str) -> Result<crate::limits::Usage, StoreError> {
                let (posts, bytes): (i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM posts \
                     WHERE user_id = $1 AND status <> 'rejected'",
                )
                .bind(user_id)
                .fetch_one(&self.pool)
                .await
                .map_err(classify)?;
                Ok(crate::limits::Usage {
                    posts: u64::try_from(posts).unwrap_or(0),
                    bytes: u64::try_from(bytes).unwrap_or(0),
                })
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

        #[async_trait]
        impl ImageJobs for $name {
            async fn claim(
                &self,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                lease_token: &str,
            ) -> Result<Option<ClaimedJob>, StoreError> {
                const SQL: &str = concat!(
                    "UPDATE image_jobs SET run_after = $1, lease_token = $2, attempts = attempts + 1 \
                     WHERE post_id = (SELECT post_id FROM image_jobs WHERE run_after <= $3 \
                                      ORDER BY run_after LIMIT 1",
                    $skip_locked,
                    ") RETURNING post_id, attempts"
                );
                let row: Option<(i64, i32)> = sqlx::query_as(SQL)
                    .bind(lease_until)
                    .bind(lease_token)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(classify)?;
                Ok(row.map(|(post_id, attempts)| ClaimedJob {
                    post_id,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    lease_token: lease_token.to_owned(),
                }))
            }

            async fn finish(&self, job: &ClaimedJob) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM image_jobs WHERE post_id = $1 AND lease_token = $2")
                    .bind(job.post_id)
                    .bind(&job.lease_token)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(classify)
            }

            async fn retry(
                &self,
                job: &ClaimedJob,
                run_after: DateTime<Utc>,
                error: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE image_jobs SET run_after = $3, lease_token = NULL, last_error = $4 \
                     WHERE post_id = $1 AND lease_token = $2",
                )
                .bind(job.post_id)
                .bind(&job.lease_token)
                .bind(run_after)
                .bind(error)
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(classify)
            }

            async fn depth(&self) -> Result<u64, StoreError> {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM image_jobs")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(classify)?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn queue_unchecked(
                &self,
                only: Option<i64>,
                limit: u32,
                now: DateTime<Utc>,
            ) -> Result<Vec<i64>, StoreError> {
                // (`width` is set by every check that lets an image through.)
                const SOME: &str = "UPDATE posts SET status = 'processing', updated_at = $1 \
                     WHERE id IN (SELECT id FROM posts WHERE status = 'ready' AND width IS NULL \
                                  ORDER BY id LIMIT $2) \
                     AND status = 'ready' AND width IS NULL RETURNING id";
                const ONE: &str = "UPDATE posts SET status = 'processing', updated_at = $1 \
                     WHERE id = $2 AND status = 'ready' AND width IS NULL RETURNING id";
                let mut tx = self.pool.begin().await.map_err(classify)?;
                let query = match only {
                    Some(id) => sqlx::query_as(ONE).bind(now).bind(id),
                    None => sqlx::query_as(SOME).bind(now).bind(i64::from(limit)),
                };
                let ids: Vec<(i64,)> = query.fetch_all(&mut *tx).await.map_err(classify)?;
                for (id,) in &ids {
                    sqlx::query(QUEUE_JOB)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                }
                tx.commit().await.map_err(classify)?;
                Ok(ids.into_iter().map(|(id,)| id).collect())
            }
        }

        #[async_trait]
        impl Lifecycle for $name {
            async fn try_lead(
                &self,
                name: &str,
                holder: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "INSERT INTO leader_leases (name, holder, until) VALUES ($1, $2, $4) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                     WHERE leader_leases.until < $3 OR leader_leases.holder = excluded.holder \
                     RETURNING holder",
                )
                .bind(name)
                .bind(holder)
                .bind(now)
                .bind(until)
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
                Ok(row.is_some())
            }

            async fn pending_before(
                &self,
                before: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<Post>, StoreError> {
                const SQL: &str = concat!(
                    "SELECT ",
                    columns!(),
                    " FROM posts WHERE status = 'pending' AND created_at < $1 \
                     ORDER BY created_at LIMIT $2"
                );
                let rows: Vec<PostRow> = sqlx::query_as(SQL)
                    .bind(before)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(classify)?;
                rows.into_iter().map(Post::try_from).collect()
            }

            async fn delete_pending(&self, id: i64) -> Result<bool, StoreError> {
                let result = sqlx::query("DELETE FROM posts WHERE id = $1 AND status = 'pending'")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
                Ok(result.rows_affected() > 0)
            }

            async fn keys_after(&self, after_id: i64, limit: u32) -> Result<Vec<Post>, StoreError> {
                const SQL: &str = concat!(
                    "SELECT ",
                    columns!(),
                    " FROM posts WHERE id > $1 ORDER BY id LIMIT $2"
                );
                let rows: Vec<PostRow> = sqlx::query_as(SQL)
                    .bind(after_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(classify)?;
                rows.into_iter().map(Post::try_from).collect()
            }
        }
    };
}

sql_post_store!(
    /// Posts in Postgres (`migrations/`).
    PgPostStore,
    sqlx::PgPool,
    skip_locked: " FOR UPDATE SKIP LOCKED",
    utc_day: "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
);

sql_post_store!(
    /// Posts in SQLite (`migrations-sqlite/`), for the embedded mode.
    SqlitePostStore,
    sqlx::SqlitePool,
    // SQLite has one writer at a time: the UPDATE's subquery cannot race.
    skip_locked: "",
    // (timestamps are stored as RFC 3339 text in UTC)
    utc_day: "substr(created_at, 1, 10)"
);
