use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Outcome, PostStatus};

/// Objects younger than this are left alone: a job may be writing them.
const SETTLING: TimeDelta = TimeDelta::hours(1);
const PAGE: u32 = 1000;

/// Where the bucket and the database disagree.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// Served originals and variants that no post names.
    pub objects_without_post: Vec<String>,
    /// Ready posts whose original is gone.
    pub posts_without_object: Vec<i64>,
}

/// Compares every post with the bucket's `uploads/` and `variants/` objects.
pub async fn find_drift(state: &AppState, now: DateTime<Utc>) -> Result<Drift, ApiError> {
    let mut known = HashSet::new();
    let mut ready = Vec::new();
    let mut after = 0;
    loop {
        let page = state.lifecycle.keys_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for post in page {
            if let Some(image) = &post.image {
                known.extend(image.variants.values().map(|v| v.key.clone()));
            }
            if post.status == PostStatus::Ready {
                ready.push((post.id, post.image_key.clone()));
            }
            known.insert(post.image_key);
        }
    }
    let mut stored = HashSet::new();
    let mut drift = Drift::default();
    for prefix in ["uploads/", "variants/"] {
        for object in state.storage.list(prefix).await? {
            if !known.contains(&object.key) && object.last_modified < now - SETTLING {
                drift.objects_without_post.push(object.key.clone());
            }
            stored.insert(object.key);
        }
    }
    drift.posts_without_object = ready
        .into_iter()
        .filter(|(_, key)| !stored.contains(key))
        .map(|(id, _)| id)
        .collect();
    Ok(drift)
}

/// Deletes the untracked objects and marks the posts whose image is lost
/// `rejected` (`missing_object`), so that nothing points at nothing.
pub async fn repair(state: &AppState, drift: &Drift) -> Result<(), ApiError> {
    for key in &drift.objects_without_post {
        state.storage.delete(key).await?;
    }
    for id in &drift.posts_without_object {
        let Some(post) = state.posts.get(*id).await? else {
            continue;
        };
        // Its variants would be untracked once the post no longer names them.
        for variant in post.image.iter().flat_map(|image| image.variants.values()) {
            state.storage.delete(&variant.key).await?;
        }
        let lost = Outcome::Rejected {
            code: "missing_object",
            reason: "the stored image was lost",
        };
        state.posts.transition(*id, PostStatus::Ready, lost).await?;
    }
    Ok(())
}
