//! The life of an upload: start it (record a pending post, presign the PUT),
//! complete it (check what actually landed in the bucket), remove it. Each step
//! leaves nothing half-done behind when it fails.

use imgup_policy::{ImageFormat, ObjectKey, UploadRequest, ValidatedUpload, ValidationError};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::Presign;
use crate::store::{NewPost, Post, PostStatus};

/// Longest accepted post title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

pub struct NewUpload<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub title: Option<&'a str>,
}

/// A key and the URL its image must be PUT to; nothing is recorded yet.
pub struct PreparedUpload {
    pub key: ObjectKey,
    pub presigned_url: String,
    pub valid: ValidatedUpload,
}

/// A pending post and the URL its image must be PUT to.
pub struct StartedUpload {
    pub post: Post,
    pub presigned_url: String,
}

/// Validates the upload, mints a key for the caller and presigns the PUT: no
/// database and no S3 round trip, which is what keeps `POST /uploads` fast.
pub fn prepare(
    state: &AppState,
    user: &AuthUser,
    upload: &NewUpload<'_>,
) -> Result<PreparedUpload, ApiError> {
    let valid = state.policy.validate(&UploadRequest {
        filename: upload.filename,
        content_type: upload.content_type,
        size: upload.size,
    })?;
    let key = state.keys.mint(valid.format, user.id());
    let presigned_url = state.storage.presign(
        key.as_str(),
        Presign::Put {
            content_type: valid.content_type,
            content_length: valid.size,
        },
        state.presign_expiry,
    )?;
    Ok(PreparedUpload {
        key,
        presigned_url,
        valid,
    })
}

/// [`prepare`], then records a pending post for the upload.
pub async fn start(
    state: &AppState,
    user: &AuthUser,
    upload: NewUpload<'_>,
) -> Result<StartedUpload, ApiError> {
    let title = upload.title.map(check_title).transpose()?;
    let prepared = prepare(state, user, &upload)?;
    let size_bytes = i64::try_from(prepared.valid.size)
        .map_err(|_| ApiError::Validation(ValidationError::FileTooLarge))?;
    let post = state
        .posts
        .create(NewPost {
            user_id: user.id().to_owned(),
            image_key: prepared.key.as_str().to_owned(),
            title,
            filename: prepared.valid.filename,
            content_type: prepared.valid.content_type.to_owned(),
            size_bytes,
        })
        .await?;
    Ok(StartedUpload {
        post,
        presigned_url: prepared.presigned_url,
    })
}

fn check_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::BadRequest(format!(
            "title is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    if title.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "title contains control characters".into(),
        ));
    }
    Ok(title.to_owned())
}

/// The post, when it exists and the caller may see it; 404 otherwise, so that
/// other people's post ids reveal nothing.
pub async fn visible_post(state: &AppState, user: &AuthUser, id: i64) -> Result<Post, ApiError> {
    match state.posts.get(id).await? {
        Some(post) if user.may_access(&post.user_id) => Ok(post),
        _ => Err(ApiError::NotFound("post")),
    }
}

/// Checks the stored object against what was declared and marks the post
/// `ready`; a mismatching object is deleted and the post marked `rejected`.
pub async fn complete(state: &AppState, user: &AuthUser, id: i64) -> Result<Post, ApiError> {
    let post = visible_post(state, user, id).await?;
    match post.status {
        PostStatus::Ready => return Ok(post),
        PostStatus::Rejected => {
            let reason = post.rejection_reason.as_deref().unwrap_or("rejected");
            return Err(ApiError::Conflict(format!("post was rejected: {reason}")));
        }
        PostStatus::Pending => {}
    }
    let Some(object) = state.storage.inspect(&post.image_key).await? else {
        return Err(ApiError::Conflict(
            "the image has not been uploaded yet".into(),
        ));
    };
    let problem = match mismatch(state, &post, object.size, object.content_type.as_deref()) {
        Some(problem) => Some(problem),
        None => {
            let head = state
                .storage
                .read_head(&post.image_key, ImageFormat::SNIFF_LEN)
                .await?;
            sniff_mismatch(&post, &head)
        }
    };
    match problem {
        None => {
            let updated = state
                .posts
                .transition(id, PostStatus::Pending, PostStatus::Ready, None)
                .await?;
            match updated {
                Some(post) => Ok(post),
                // Someone else completed or deleted it meanwhile: report what is there now.
                None => visible_post(state, user, id)
                    .await
                    .and_then(|post| match post.status {
                        PostStatus::Ready => Ok(post),
                        _ => Err(ApiError::Conflict(
                            "post changed while it was being completed".into(),
                        )),
                    }),
            }
        }
        Some(reason) => {
            // Delete first: if that fails the post stays pending and `complete` can be retried.
            state.storage.delete(&post.image_key).await?;
            state
                .posts
                .transition(id, PostStatus::Pending, PostStatus::Rejected, Some(&reason))
                .await?;
            Err(ApiError::Rejected(reason))
        }
    }
}

fn mismatch(
    state: &AppState,
    post: &Post,
    size: u64,
    content_type: Option<&str>,
) -> Option<String> {
    let declared = u64::try_from(post.size_bytes).unwrap_or(0);
    if size > state.policy.max_bytes {
        return Some(format!(
            "File too large: the uploaded image is {size} bytes, the limit is {}",
            state.policy.max_bytes
        ));
    }
    if size != declared {
        return Some(format!(
            "the uploaded image is {size} bytes, but {declared} were declared"
        ));
    }
    let stored_type = content_type.unwrap_or("").trim();
    if !stored_type.eq_ignore_ascii_case(&post.content_type) {
        return Some(format!(
            "the uploaded image was stored as {stored_type:?}, but {} was declared",
            post.content_type
        ));
    }
    None
}

fn sniff_mismatch(post: &Post, head: &[u8]) -> Option<String> {
    let declared = ImageFormat::from_mime_type(&post.content_type);
    let found = ImageFormat::sniff(head);
    if found.is_some() && found == declared {
        return None;
    }
    Some(match found {
        Some(found) => format!(
            "the file is {found}, but {} was declared",
            post.content_type
        ),
        None => format!("the file is not a {} image", post.content_type),
    })
}

/// Removes the object, then the post. A failure in between leaves the post in
/// place, so that the delete can be retried; removing a missing object is fine.
pub async fn remove(state: &AppState, user: &AuthUser, id: i64) -> Result<(), ApiError> {
    let post = visible_post(state, user, id).await?;
    state.storage.delete(&post.image_key).await?;
    state.posts.delete(id).await?;
    Ok(())
}
