//! The row shape and error mapping both SQL backends share.

use chrono::{DateTime, Utc};

use super::{ImageFacts, Owner, Post, PostStatus, StoreError};

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
    rejection_code: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
    blurhash: Option<String>,
    variants: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Only where the query joins the users table.
    #[sqlx(default)]
    owner_email: Option<String>,
    #[sqlx(default)]
    owner_name: Option<String>,
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        let status = PostStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Other(format!("unknown post status {:?}", row.status).into())
        })?;
        let image = match (row.width, row.height) {
            (Some(width), Some(height)) => Some(ImageFacts {
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                blurhash: row.blurhash,
                variants: match row.variants.as_deref() {
                    Some(json) => serde_json::from_str(json).map_err(|e| {
                        StoreError::Other(format!("post {}: bad variants: {e}", row.id).into())
                    })?,
                    None => Default::default(),
                },
            }),
            _ => None,
        };
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
            rejection_code: row.rejection_code,
            image,
            owner: row.owner_email.map(|email| Owner {
                email,
                name: row.owner_name,
            }),
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
