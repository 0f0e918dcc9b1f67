//! The checks that need no decoding (what S3 says about the object against
//! what was declared), and the one way a post is rejected.

use imgup_policy::ObjectKey;

use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{ObjectInfo, StoredObject};
use crate::store::{Outcome, Post};

/// A reason to refuse the stored object before decoding it: `(code, reason)`.
pub fn mismatch(
    state: &AppState,
    post: &Post,
    object: &ObjectInfo,
) -> Option<(&'static str, String)> {
    let declared = u64::try_from(post.size_bytes).unwrap_or(0);
    let size = object.size;
    if size > state.policy.max_bytes {
        return Some((
            "file_too_large",
            format!(
                "File too large: the uploaded image is {size} bytes, the limit is {}",
                state.policy.max_bytes
            ),
        ));
    }
    if size != declared {
        return Some((
            "size_mismatch",
            format!("the uploaded image is {size} bytes, but {declared} were declared"),
        ));
    }
    let stored_type = object.content_type.as_deref().unwrap_or("").trim();
    if !stored_type.eq_ignore_ascii_case(&post.content_type) {
        return Some((
            "type_mismatch",
            format!(
                "the uploaded image was stored as {stored_type:?}, but {} was declared",
                post.content_type
            ),
        ));
    }
    None
}

/// Deletes the uploaded object, then marks the post `rejected` with `code`
/// and `reason`. Deleting first means a failure leaves the post as it was, to
/// be retried; nothing unchecked stays behind a rejected post.
pub async fn reject(
    state: &AppState,
    post: &Post,
    code: &str,
    reason: &str,
) -> Result<Option<Post>, ApiError> {
    if let Ok(key) = ObjectKey::parse(&post.image_key) {
        state.storage.delete(&key.incoming()).await?;
    }
    tracing::info!(post = post.id, code, reason, "image rejected");
    let rejected = state
        .posts
        .transition(post.id, post.status, Outcome::Rejected { code, reason })
        .await?;
    if rejected.is_some() {
        state.metrics.image_checked("rejected");
    }
    Ok(rejected)
}

/// What S3 holds of the post's upload: the object at its incoming key, or,
/// for an upload made before the image pipeline existed (PUT straight to the
/// served key, which no URL names any more), the object at the served key.
pub async fn uploaded(state: &AppState, key: &ObjectKey) -> Result<Option<ObjectInfo>, ApiError> {
    match state.storage.inspect(&key.incoming()).await? {
        Some(object) => Ok(Some(object)),
        None => Ok(state.storage.inspect(key.as_str()).await?),
    }
}

/// [`uploaded`], with the bytes (at most `limit`).
pub(super) async fn uploaded_bytes(
    state: &AppState,
    key: &ObjectKey,
    limit: u64,
) -> Result<Option<StoredObject>, ApiError> {
    match state.storage.get(&key.incoming(), limit).await? {
        Some(object) => Ok(Some(object)),
        None => Ok(state.storage.get(key.as_str(), limit).await?),
    }
}
