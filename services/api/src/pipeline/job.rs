//! One image job: read what the client uploaded, process it off the runtime,
//! store the cleaned original and its variants under keys no PUT URL names,
//! and mark the post. Every step may be repeated: a job retried after a crash
//! overwrites the same keys.

use std::collections::BTreeMap;

use imgup_imaging::Processed;
use imgup_policy::{ImageFormat, ObjectKey};

use super::checks::{mismatch, reject, uploaded_bytes};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{ImageFacts, Outcome, Post, PostStatus, StoredVariant};

/// Processes the post's image. An error is transient (storage or database
/// down): the job is to be retried. A bad image is not an error: the post is
/// rejected and the job is done.
pub(super) async fn run(state: &AppState, post_id: i64) -> Result<(), ApiError> {
    let Some(post) = state.posts.get(post_id).await? else {
        return Ok(()); // deleted meanwhile
    };
    if post.status != PostStatus::Processing {
        return Ok(());
    }
    let (Ok(key), Some(format)) = (
        ObjectKey::parse(&post.image_key),
        ImageFormat::from_mime_type(&post.content_type),
    ) else {
        reject(
            state,
            &post,
            "not_an_image",
            "the post names no image format we take",
        )
        .await?;
        return Ok(());
    };
    let Some(object) = uploaded_bytes(state, &key, state.policy.max_bytes).await? else {
        reject(
            state,
            &post,
            "not_uploaded",
            "the uploaded image is no longer in storage",
        )
        .await?;
        return Ok(());
    };
    if let Some((code, reason)) = mismatch(state, &post, &object.info) {
        reject(state, &post, code, &reason).await?;
        return Ok(());
    }
    let settings = state.pipeline.imaging.clone();
    let bytes = object.bytes;
    // The header alone says how much memory the job will need; a refusal here
    // costs no decoding at all.
    let probe = match imgup_imaging::probe(&bytes, format, &settings.limits) {
        Ok(probe) => probe,
        Err(rejection) => {
            reject(state, &post, rejection.code.as_str(), &rejection.reason).await?;
            return Ok(());
        }
    };
    let _memory = state.pipeline.reserve_memory(&probe, bytes.len()).await;
    let processed =
        tokio::task::spawn_blocking(move || imgup_imaging::process(&bytes, format, &settings))
            .await;
    state
        .pipeline
        .processed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match processed {
        Ok(Ok(processed)) => store(state, &post, &key, format, processed).await,
        Ok(Err(rejection)) => {
            reject(state, &post, rejection.code.as_str(), &rejection.reason).await?;
            Ok(())
        }
        Err(panic) => {
            // A bug, not the image's fault; still, nothing unchecked is served.
            tracing::error!(post = post.id, "image processing panicked: {panic}");
            reject(state, &post, "corrupt", "the image could not be processed").await?;
            Ok(())
        }
    }
}

async fn store(
    state: &AppState,
    post: &Post,
    key: &ObjectKey,
    format: ImageFormat,
    processed: Processed,
) -> Result<(), ApiError> {
    let mut written = vec![key.as_str().to_owned()];
    state
        .storage
        .put(key.as_str(), processed.original, format.mime_type())
        .await?;
    let mut variants = BTreeMap::new();
    for variant in processed.variants {
        let extension = ImageFormat::from_mime_type(variant.content_type)
            .map_or("bin", ImageFormat::canonical_extension);
        let variant_key = key.variant(&variant.preset, extension);
        state
            .storage
            .put(&variant_key, variant.bytes, variant.content_type)
            .await?;
        written.push(variant_key.clone());
        variants.insert(
            variant.preset,
            StoredVariant {
                key: variant_key,
                width: variant.width,
                height: variant.height,
                content_type: variant.content_type.to_owned(),
            },
        );
    }
    let facts = ImageFacts {
        width: processed.width,
        height: processed.height,
        blurhash: processed.blurhash,
        variants,
    };
    let marked = state
        .posts
        .transition(post.id, PostStatus::Processing, Outcome::Ready(&facts))
        .await?;
    if marked.is_some() {
        state.metrics.image_checked("ready");
    } else {
        // Deleted while we worked: take back what we wrote.
        for key in &written {
            state.storage.delete(key).await?;
        }
    }
    if let Err(err) = state.storage.delete(&key.incoming()).await {
        // Harmless: it is never served, and the bucket's lifecycle rule expires it.
        tracing::warn!(post = post.id, "cannot delete the incoming object: {err}");
    }
    Ok(())
}
