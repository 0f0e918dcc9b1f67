//! The life of an upload: start it (record a pending post, presign the PUT to
//! a private incoming key), complete it (check what landed, queue the image
//! job, wait a bounded time for its result), remove it. Each step leaves
//! nothing half-done behind when it fails.

use imgup_policy::{ObjectKey, UploadRequest, ValidatedUpload, ValidationError};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pipeline::{mismatch, queue_unchecked, reject, uploaded};
use crate::state::AppState;
use crate::storage::Presign;
use crate::store::{NewPost, Post, PostStatus, StoreError};

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
        &key.incoming(),
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
    state.quota.admit(state, user, prepared.valid.size).await?;
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

/// A title as stored: trimmed, bounded, printable.
pub fn check_title(title: &str) -> Result<String, ApiError> {
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

/// Checks what landed against the declaration, queues the image job and
/// waits (a bounded time) for its result: the post `ready`, or still
/// `processing` when the time ran out. A rejected image is an error.
pub async fn complete(state: &AppState, user: &AuthUser, id: i64) -> Result<Post, ApiError> {
    let post = visible_post(state, user, id).await?;
    process(state, post).await
}

/// [`complete`] for a post the caller may see.
async fn process(state: &AppState, post: Post) -> Result<Post, ApiError> {
    let waiter = state.pipeline.subscribe();
    match post.status {
        PostStatus::Ready => return Ok(post),
        PostStatus::Rejected => {
            let reason = post.rejection_reason.as_deref().unwrap_or("rejected");
            return Err(ApiError::Conflict(
                "rejected",
                format!("post was rejected: {reason}"),
            ));
        }
        PostStatus::Processing => {}
        PostStatus::Pending => {
            let key = ObjectKey::parse(&post.image_key).map_err(|_| {
                ApiError::Internal(anyhow::anyhow!("post {} has a bad key", post.id))
            })?;
            let Some(object) = uploaded(state, &key).await? else {
                return Err(ApiError::Conflict(
                    "not_uploaded",
                    "the image has not been uploaded yet".into(),
                ));
            };
            if let Some((code, reason)) = mismatch(state, &post, &object) {
                reject(state, &post, code, &reason).await?;
                return Err(ApiError::Rejected {
                    code: code.to_owned(),
                    reason,
                });
            }
            let queue_max = state.pipeline.queue_max;
            if queue_max > 0 && state.jobs.depth().await? >= queue_max {
                return Err(ApiError::Busy);
            }
            if state.posts.queue_processing(post.id).await?.is_some() {
                state.pipeline.wake();
            }
        }
    }
    match waiter.wait(state, post.id).await? {
        Some(post) if post.status == PostStatus::Rejected => Err(rejected(&post)),
        Some(post) if post.status == PostStatus::Pending => Err(ApiError::Conflict(
            "conflict",
            "post changed while it was being completed".into(),
        )),
        Some(post) => Ok(post),
        None => Err(ApiError::NotFound("post")),
    }
}

fn rejected(post: &Post) -> ApiError {
    ApiError::Rejected {
        code: post
            .rejection_code
            .clone()
            .unwrap_or_else(|| "rejected".into()),
        reason: post
            .rejection_reason
            .clone()
            .unwrap_or_else(|| "the image was rejected".into()),
    }
}

/// The post behind a served key once its image is ready, for `GET
/// /images/{key}`. An image of the raw `POST /uploads` flow that nobody has
/// read yet is checked now (it becomes a post of its uploader's); one still
/// processing answers 503 with Retry-After, a rejected one its reason.
pub async fn served_post(
    state: &AppState,
    user: &AuthUser,
    key: &ObjectKey,
    minted_by_caller: bool,
) -> Result<Post, ApiError> {
    let post = match state.posts.find_by_key(key.as_str()).await? {
        Some(post) if user.may_access(&post.user_id) || minted_by_caller => post,
        Some(_) => return Err(ApiError::NotFound("image")),
        None if minted_by_caller => adopt_raw_upload(state, user, key).await?,
        None => return Err(ApiError::NotFound("image")),
    };
    // An image served before the pipeline existed is checked first.
    let post = if post.status == PostStatus::Ready && post.image.is_none() {
        queue_unchecked(state, Some(post.id)).await?;
        state
            .posts
            .get(post.id)
            .await?
            .ok_or(ApiError::NotFound("image"))?
    } else {
        post
    };
    // Reading an image that was uploaded but not completed completes it.
    let post = process(state, post).await?;
    if post.status == PostStatus::Processing {
        return Err(ApiError::Processing);
    }
    state.pipeline.mark_served(key.as_str());
    Ok(post)
}

/// Records a post for an object the caller PUT through `POST /uploads`. The
/// quota is counted again here, now that the upload becomes a post: tickets
/// are checked against a usage that records none of them, so many taken at
/// once would otherwise all become posts. An upload past the quota is removed.
async fn adopt_raw_upload(
    state: &AppState,
    user: &AuthUser,
    key: &ObjectKey,
) -> Result<Post, ApiError> {
    let Some(object) = uploaded(state, key).await? else {
        return Err(ApiError::NotFound("image"));
    };
    if let Err(refused) = state.quota.admit(state, user, object.size).await {
        if matches!(refused, ApiError::QuotaExceeded(_)) {
            state.storage.delete(&key.incoming()).await?;
            state.storage.delete(key.as_str()).await?;
        }
        return Err(refused);
    }
    let format = key.format();
    let created = state
        .posts
        .create(NewPost {
            user_id: user.id().to_owned(),
            image_key: key.as_str().to_owned(),
            title: None,
            // The raw flow's posts are named by their key: that is how they are told apart.
            filename: key.file_name().to_owned(),
            content_type: format.mime_type().to_owned(),
            size_bytes: i64::try_from(object.size.max(1)).unwrap_or(i64::MAX),
        })
        .await;
    match created {
        Ok(post) => Ok(post),
        // Two first reads at once: the other one recorded it.
        Err(StoreError::Other(_)) => state
            .posts
            .find_by_key(key.as_str())
            .await?
            .ok_or(ApiError::NotFound("image")),
        Err(err) => Err(err.into()),
    }
}

/// Removes the object, its variants and any upload left in incoming, then the
/// post. A failure in between leaves the post in place, so that the delete can
/// be retried; removing a missing object is fine.
pub async fn remove(state: &AppState, user: &AuthUser, id: i64) -> Result<(), ApiError> {
    let post = visible_post(state, user, id).await?;
    let mut keys = vec![post.image_key.clone()];
    if let Ok(key) = ObjectKey::parse(&post.image_key) {
        keys.push(key.incoming());
    }
    if let Some(image) = &post.image {
        keys.extend(image.variants.values().map(|v| v.key.clone()));
    }
    state.pipeline.forget_served(&post.image_key);
    for key in &keys {
        state.storage.delete(key).await?;
    }
    state.posts.delete(id).await?;
    Ok(())
}
