//! What the services send and what the UI receives (camelCase, as the API).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

/// The signed-in person (`GET /auth/me`, snake_case there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(alias = "user_id")]
    pub user_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

/// Where the token is kept on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "TokenStore"))]
#[serde(rename_all = "lowercase")]
pub enum TokenPlace {
    Keyring,
    File,
}

/// Why the token is in a file rather than the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "TokenStoreReason"))]
#[serde(rename_all = "camelCase")]
pub enum TokenFileReason {
    /// `IMGUP_ADMIN_TOKEN_STORE=file`: the keyring was not asked.
    Setting,
    /// No keyring answered.
    NoKeyring,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: User,
    pub token_store: TokenPlace,
    /// Set when the token is in a file.
    #[cfg_attr(test, ts(optional = nullable))]
    pub token_store_reason: Option<TokenFileReason>,
}

/// `GET /auth/providers`: how one can sign in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SignInOptions {
    /// The ids (`sign_in::PROVIDERS`) of only those the auth service has configured.
    pub providers: Vec<String>,
    /// Whether `POST /auth/oauth/test-token` is open (a development deployment).
    pub test_token: bool,
}

/// `GET /usage`: the caller's posts and bytes against the quotas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub posts: u64,
    pub bytes: u64,
    /// Absent: unlimited (and for admins).
    pub max_posts: Option<u64>,
    pub max_bytes: Option<u64>,
}

/// `GET /stats` (admins), passed to the UI as the API sends it.
pub type LibraryStats = serde_json::Value;

/// `GET /auth/users` (admins): `{users: [...], nextCursor}`, passed through.
pub type PeoplePage = serde_json::Value;

/// `PATCH /auth/users/{id}`: what to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(optional_fields))]
pub struct PersonChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// A token from `POST /auth/oauth/test-token` or `POST /auth/oauth/token`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    /// Renews the access token (`POST /auth/token/refresh`); absent from older auth services.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `GET /policy`. Everything past the size and types is newer than the first
/// API and absent from older servers: defaulted (0 and empty: no limit known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub max_bytes: u64,
    pub allowed_types: Vec<String>,
    /// Widest, tallest and largest (width × height) accepted image; 0: no limit.
    #[serde(default)]
    pub max_image_width: u32,
    #[serde(default)]
    pub max_image_height: u32,
    #[serde(default)]
    pub max_image_pixels: u64,
    /// Most frames of an animated image; 0: no limit.
    #[serde(default)]
    pub max_animation_frames: u32,
    /// The variants rendered for every image: preset name → long side in px.
    #[serde(default)]
    pub variants: BTreeMap<String, u32>,
    /// `image/webp` or `image/jpeg`; absent from older servers.
    #[serde(default)]
    pub variant_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Pending,
    /// Uploaded and being checked, cleaned and rendered: poll `GET /posts/{id}`.
    Processing,
    Ready,
    Rejected,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub id: i64,
    pub object_key: String,
    pub status: PostStatus,
    pub title: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub owner_id: String,
    /// Who the owner is, where the caller may see it; absent from older servers.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub owner_email: Option<String>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub owner_name: Option<String>,
    pub rejection_reason: Option<String>,
    /// A stable name for the rejection (`too_many_pixels`, `corrupt`, …).
    #[serde(default)]
    pub rejection_code: Option<String>,
    /// As displayed (after the EXIF orientation), once `ready`.
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// A BlurHash of the image, for a placeholder while it loads.
    #[serde(default)]
    pub blurhash: Option<String>,
    /// Rendered sizes by preset name (`thumb`, `medium`), once `ready`; empty
    /// for formats the server does not render (AVIF) and from older servers.
    #[serde(default)]
    pub variants: BTreeMap<String, Variant>,
    pub created_at: String,
    pub updated_at: String,
    /// The original, presigned, once `ready`.
    pub url: Option<String>,
    pub expires_in: Option<u64>,
}

/// One rendered size of a ready image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// Presigned GET, valid as long as the post's `url`.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

/// `POST /posts` answers the post and where to PUT its bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPost {
    #[serde(flatten)]
    pub post: Post,
    pub presigned_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PostPage {
    pub items: Vec<Post>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "PostQuery", optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub status: Option<PostStatus>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// A piece of the filename or title.
    pub q: Option<String>,
    /// A user id or email (admins).
    pub owner: Option<String>,
    pub sort: Option<SortKey>,
    pub order: Option<SortOrder>,
}

impl ListQuery {
    /// The query string of `GET /posts`.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        [
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("cursor", self.cursor.clone()),
            ("limit", self.limit.map(|l| l.to_string())),
            ("q", text(&self.q)),
            ("owner", text(&self.owner)),
            ("sort", self.sort.map(|s| s.as_str().to_owned())),
            ("order", self.order.map(|o| o.as_str().to_owned())),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    Created,
    Size,
    Filename,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Size => "size",
            Self::Filename => "filename",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// One file to upload.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub filename: String,
    pub content_type: String,
    pub title: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum UploadPhase {
    Creating,
    Uploading,
    Checking,
}

/// Sent to the UI as `upload-progress` events.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    pub upload_id: String,
    pub phase: UploadPhase,
    pub sent: u64,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD_POST: &str = r#"{"id":1,"objectKey":"uploads/a.png","status":"ready","title":null,
        "filename":"a.png","contentType":"image/png","size":10,"ownerId":"1",
        "rejectionReason":null,"createdAt":"2026-01-01T00:00:00Z",
        "updatedAt":"2026-01-01T00:00:00Z","url":"http://s3/a","expiresIn":900}"#;

    #[test]
    fn a_list_query_sends_only_what_is_set() {
        let query: ListQuery = serde_json::from_str(
            r#"{"q":"  beach ","owner":"","sort":"size","order":"asc","limit":50,"status":"ready"}"#,
        )
        .unwrap();
        assert_eq!(
            query.params(),
            [
                ("status", "ready".to_owned()),
                ("limit", "50".to_owned()),
                ("q", "beach".to_owned()),
                ("sort", "size".to_owned()),
                ("order", "asc".to_owned()),
            ]
        );
        assert!(ListQuery::default().params().is_empty());
    }

    #[test]
    fn posts_and_policies_of_older_servers_still_parse() {
        let post: Post = serde_json::from_str(OLD_POST).unwrap();
        assert_eq!(post.status, PostStatus::Ready);
        assert_eq!((post.width, post.height), (None, None));
        assert!(post.variants.is_empty() && post.blurhash.is_none());
        let policy: Policy =
            serde_json::from_str(r#"{"maxBytes":100,"allowedTypes":["image/png"]}"#).unwrap();
        assert_eq!(policy.max_image_pixels, 0);
        assert!(policy.variants.is_empty());
    }

    #[test]
    fn the_pipeline_fields_go_through_to_the_ui_in_camel_case() {
        let post: Post = serde_json::from_str(
            r#"{"id":2,"objectKey":"k","status":"processing","title":null,"filename":"b.jpg",
            "contentType":"image/jpeg","size":5,"ownerId":"1","rejectionReason":null,
            "rejectionCode":null,"width":640,"height":400,"blurhash":"LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            "variants":{"thumb":{"url":"http://s3/t","width":320,"height":200,"contentType":"image/webp"}},
            "createdAt":"c","updatedAt":"u","url":null,"expiresIn":null}"#,
        )
        .unwrap();
        assert_eq!(post.status, PostStatus::Processing);
        assert_eq!(PostStatus::Processing.as_str(), "processing");
        let thumb = &post.variants["thumb"];
        assert_eq!((thumb.width, thumb.height), (320, 200));
        let json = serde_json::to_value(&post).unwrap();
        assert_eq!(json["status"], "processing");
        assert_eq!(json["width"], 640);
        assert_eq!(json["variants"]["thumb"]["contentType"], "image/webp");
        assert_eq!(json["rejectionCode"], serde_json::Value::Null);
        let policy: Policy = serde_json::from_str(
            r#"{"maxBytes":100,"allowedTypes":["image/png"],"extensions":{},"presignExpiresSeconds":900,
            "maxImageWidth":10000,"maxImageHeight":10000,"maxImagePixels":40000000,
            "maxAnimationFrames":100,"variants":{"medium":1280,"thumb":320},"variantType":"image/webp"}"#,
        )
        .unwrap();
        assert_eq!(policy.variants["thumb"], 320);
        assert_eq!(policy.max_image_pixels, 40_000_000);
        assert_eq!(policy.variant_type.as_deref(), Some("image/webp"));
    }
}
