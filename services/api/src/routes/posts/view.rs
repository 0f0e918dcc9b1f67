//! A post as clients see it: presigned URLs once it is ready, and who owns it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::Presign;
use crate::store::{Post, PostStatus};

/// A post as clients see it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub id: i64,
    pub object_key: String,
    pub status: PostStatus,
    pub title: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub owner_id: String,
    /// The owner's email, where the caller may see it (their own posts; an admin's: all).
    pub owner_email: Option<String>,
    pub owner_name: Option<String>,
    pub rejection_reason: Option<String>,
    /// A stable name for the rejection, e.g. `too_many_pixels`, `corrupt`, `not_an_image`.
    pub rejection_code: Option<String>,
    /// As displayed (after the EXIF orientation), once the image is `ready`.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A BlurHash of the image, to paint a placeholder while it loads.
    pub blurhash: Option<String>,
    /// The rendered variants by preset name (`IMAGE_VARIANTS`), once `ready`.
    #[serde(default)]
    pub variants: BTreeMap<String, VariantView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A presigned GET URL, once the image is `ready`.
    pub url: Option<String>,
    /// Lifetime of `url` in seconds.
    pub expires_in: Option<u64>,
}

/// One rendered variant of a ready image.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariantView {
    /// A presigned GET URL, valid as long as the post's `url`.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

/// A GET URL that makes S3 answer with `content_type`, whatever the object's
/// own metadata says.
fn presign_get(state: &AppState, key: &str, content_type: &str) -> Result<String, ApiError> {
    Ok(state.storage.presign(
        key,
        Presign::Get {
            content_disposition: None,
            content_type: Some(content_type),
        },
        state.presign_expiry,
    )?)
}

/// `post` as `viewer` (who may see it) is shown it.
pub fn view(state: &AppState, viewer: &AuthUser, post: Post) -> Result<PostView, ApiError> {
    // A post made ready before the image pipeline existed was never checked:
    // it is shown as processing, without a URL, until the pipeline has run.
    let status = match post.status {
        PostStatus::Ready if post.image.is_none() => PostStatus::Processing,
        status => status,
    };
    let ready = status == PostStatus::Ready;
    let url = ready
        .then(|| presign_get(state, &post.image_key, &post.content_type))
        .transpose()?;
    let image = post.image.filter(|_| ready);
    let variants = match &image {
        Some(image) => image
            .variants
            .iter()
            .map(|(name, v)| {
                Ok((
                    name.clone(),
                    VariantView {
                        url: presign_get(state, &v.key, &v.content_type)?,
                        width: v.width,
                        height: v.height,
                        content_type: v.content_type.clone(),
                    },
                ))
            })
            .collect::<Result<_, ApiError>>()?,
        None => BTreeMap::new(),
    };
    // The users table knows everyone; a post read without it is the caller's
    // own or an admin's, and the caller's token names the caller.
    let (owner_email, owner_name) = match post.owner {
        Some(owner) => (Some(owner.email), owner.name),
        None if post.user_id == viewer.id() => {
            (Some(viewer.0.email.clone()), viewer.0.name.clone())
        }
        None => (None, None),
    };
    Ok(PostView {
        width: image.as_ref().map(|i| i.width),
        height: image.as_ref().map(|i| i.height),
        blurhash: image.and_then(|i| i.blurhash),
        variants,
        rejection_code: post.rejection_code,
        id: post.id,
        expires_in: url.as_ref().map(|_| state.presign_expiry.as_secs()),
        url,
        object_key: post.image_key,
        status,
        title: post.title,
        filename: post.filename,
        content_type: post.content_type,
        size: post.size_bytes,
        owner_id: post.user_id,
        owner_email,
        owner_name,
        rejection_reason: post.rejection_reason,
        created_at: post.created_at,
        updated_at: post.updated_at,
    })
}
