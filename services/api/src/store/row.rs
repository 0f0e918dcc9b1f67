//! The row shape and error mapping both SQL backends share.

use chrono::{DateTime, Utc};

use super::{Post, PostStatus, StoreError};

#[derive(sqlx::FromRow)]
pub(super) struct PostRow {
    id: i64,
    user_id: String,
    image_key: String,
    title: Option<String>,
    filename: String,
    content_type: String,
    size_bytes: i64,
    status: String,
    rejection_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        let status = PostStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Other(format!("unknown post status {:?}", row.status).into())
        })?;
        Ok(Post {
            id: row.id,
            user_id: row.user_id,
            image_key: row.image_key,
            title: row.title,
            filename: row.filename,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            status,
            rejection_reason: row.rejection_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(super) fn classify(err: sqlx::Error) -> StoreError {
    if imgup_db::is_unavailable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Other(Box::new(err))
    }
}

pub(super) fn one(row: Option<PostRow>) -> Result<Option<Post>, StoreError> {
    row.map(Post::try_from).transpose()
}
