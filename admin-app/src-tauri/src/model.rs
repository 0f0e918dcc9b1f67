//! What the services send and what the UI receives (camelCase, as the API).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

/// The signed-in person (`GET /auth/me`, snake_case there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "lowercase")]
pub enum TokenPlace {
    Keyring,
    File,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: User,
    pub token_store: TokenPlace,
}

/// A token from `POST /auth/oauth/test-token` or `POST /auth/oauth/token`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
}

/// `GET /policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub max_bytes: u64,
    pub allowed_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Pending,
    Ready,
    Rejected,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub rejection_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub url: Option<String>,
    pub expires_in: Option<u64>,
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
#[serde(rename_all = "camelCase")]
pub struct PostPage {
    pub items: Vec<Post>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub status: Option<PostStatus>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
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
#[serde(rename_all = "lowercase")]
pub enum UploadPhase {
    Creating,
    Uploading,
    Checking,
}

/// Sent to the UI as `upload-progress` events.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    pub upload_id: String,
    pub phase: UploadPhase,
    pub sent: u64,
    pub total: u64,
}
