//! Every call the app makes to imgup-auth, imgup-api and S3, typed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use futures::StreamExt;
use reqwest::{RequestBuilder, header};
use serde::de::DeserializeOwned;

use crate::cancel::UploadCancel;
use crate::error::{AppError, ErrorKind};
use crate::model::{
    CreatedPost, LibraryStats, ListQuery, NewUpload, PeoplePage, PersonChange, Policy, Post,
    PostPage, SignInOptions, TokenGrant, UploadPhase, UploadProgress, Usage, User,
};
use crate::settings::Settings;

/// JSON calls are small: a service that has not answered in this long is not going to.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// A whole download, body included.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Image bytes go up in pieces this size, one progress report each.
const CHUNK: usize = 64 * 1024;

#[derive(Clone)]
pub struct ImgupClient {
    http: reqwest::Client,
    api: String,
    auth: String,
}

impl ImgupClient {
    pub fn new(settings: &Settings) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("imgup-admin/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS back-end is compiled in");
        Self {
            http,
            api: settings.api_url.trim_end_matches('/').to_owned(),
            auth: settings.auth_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn auth_url(&self) -> &str {
        &self.auth
    }

    async fn send(request: RequestBuilder) -> Result<reqwest::Response, AppError> {
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            Ok(response)
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(AppError::from_status(status, &body))
        }
    }

    async fn json<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, AppError> {
        Ok(Self::send(request.timeout(CALL_TIMEOUT))
            .await?
            .json()
            .await?)
    }

    /// A development token for `email` (the auth service must run with
    /// `ENVIRONMENT=development`, otherwise this is `notFound`).
    pub async fn test_token(&self, email: &str) -> Result<TokenGrant, AppError> {
        let url = format!("{}/auth/oauth/test-token", self.auth);
        Self::json(self.http.post(url).query(&[("email", email)])).await
    }

    /// A new access token (and a new refresh token: the old one is spent).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, AppError> {
        let url = format!("{}/auth/token/refresh", self.auth);
        Self::json(
            self.http
                .post(url)
                .json(&serde_json::json!({ "refresh_token": refresh_token })),
        )
        .await
    }

    /// Ends the session the refresh token belongs to, on the server.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AppError> {
        let url = format!("{}/auth/logout", self.auth);
        let request = self
            .http
            .post(url)
            .json(&serde_json::json!({ "refresh_token": refresh_token }))
            .timeout(CALL_TIMEOUT);
        Self::send(request).await.map(drop)
    }

    /// Trades the one-time code of a browser sign-in and its PKCE verifier.
    pub async fn redeem(&self, code: &str, verifier: &str) -> Result<TokenGrant, AppError> {
        let url = format!("{}/auth/oauth/token", self.auth);
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
        ];
        Self::json(self.http.post(url).form(&form)).await
    }

    pub async fn me(&self, token: &str) -> Result<User, AppError> {
        Self::json(
            self.http
                .get(format!("{}/auth/me", self.auth))
                .bearer_auth(token),
        )
        .await
    }

    /// `GET /auth/providers`: the sign-in providers configured, and whether
    /// test tokens are open.
    pub async fn providers(&self) -> Result<SignInOptions, AppError> {
        Self::json(self.http.get(format!("{}/auth/providers", self.auth))).await
    }

    pub async fn usage(&self, token: &str) -> Result<Usage, AppError> {
        Self::json(
            self.http
                .get(format!("{}/usage", self.api))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn stats(&self, token: &str, top: Option<u32>) -> Result<LibraryStats, AppError> {
        let query: Vec<(&str, String)> = top
            .map(|top| ("top", top.to_string()))
            .into_iter()
            .collect();
        Self::json(
            self.http
                .get(format!("{}/stats", self.api))
                .query(&query)
                .bearer_auth(token),
        )
        .await
    }

    /// `GET /auth/users` (admins), a page after `cursor`.
    pub async fn people(&self, token: &str, cursor: Option<&str>) -> Result<PeoplePage, AppError> {
        let mut query = vec![("limit", "100")];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        Self::json(
            self.http
                .get(format!("{}/auth/users", self.auth))
                .query(&query)
                .bearer_auth(token),
        )
        .await
    }

    /// `PATCH /auth/users/{id}` (admins): a role, disabled or enabled.
    pub async fn update_person(
        &self,
        token: &str,
        id: i64,
        change: &PersonChange,
    ) -> Result<serde_json::Value, AppError> {
        Self::json(
            self.http
                .patch(format!("{}/auth/users/{id}", self.auth))
                .json(change)
                .bearer_auth(token),
        )
        .await
    }

    pub async fn policy(&self) -> Result<Policy, AppError> {
        Self::json(self.http.get(format!("{}/policy", self.api))).await
    }

    pub async fn list_posts(&self, token: &str, query: &ListQuery) -> Result<PostPage, AppError> {
        let params = query.params();
        Self::json(
            self.http
                .get(format!("{}/posts", self.api))
                .query(&params)
                .bearer_auth(token),
        )
        .await
    }

    pub async fn post(&self, token: &str, id: i64) -> Result<Post, AppError> {
        Self::json(
            self.http
                .get(format!("{}/posts/{id}", self.api))
                .bearer_auth(token),
        )
        .await
    }

    /// `PATCH /posts/{id}`: a new title, or none.
    pub async fn retitle_post(
        &self,
        token: &str,
        id: i64,
        title: Option<&str>,
    ) -> Result<Post, AppError> {
        Self::json(
            self.http
                .patch(format!("{}/posts/{id}", self.api))
                .json(&serde_json::json!({ "title": title }))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn delete_post(&self, token: &str, id: i64) -> Result<(), AppError> {
        let request = self
            .http
            .delete(format!("{}/posts/{id}", self.api))
            .bearer_auth(token)
            .timeout(CALL_TIMEOUT);
        Self::send(request).await.map(drop)
    }

    /// Saves a ready post's image into `folder` (a presigned GET with
    /// `as_download`), under its own name or `name (2).ext` when taken.
    pub async fn download(
        &self,
        token: &str,
        post: &Post,
        folder: &Path,
    ) -> Result<PathBuf, AppError> {
        #[derive(serde::Deserialize)]
        struct ImageUrl {
            url: String,
        }
        let link: ImageUrl = Self::json(
            self.http
                .get(format!("{}/images/{}", self.api, post.object_key))
                .query(&[
                    ("as_download", "true"),
                    ("filename", post.filename.as_str()),
                ])
                .bearer_auth(token),
        )
        .await?;
        // Streamed to disk, never held whole; bounded in time and in size (a
        // cleaned original is about its declared size: four times that is
        // a server gone wrong).
        let limit = (post.size.max(0) as u64).saturating_mul(4) + 1024 * 1024;
        let mut response = Self::send(self.http.get(link.url).timeout(DOWNLOAD_TIMEOUT)).await?;
        let storage = |path: &Path, e: std::io::Error| {
            AppError::new(
                ErrorKind::Storage,
                format!("cannot save {}: {e}", path.display()),
            )
        };
        tokio::fs::create_dir_all(folder)
            .await
            .map_err(|e| storage(folder, e))?;
        let (path, mut file) = create_free(folder, &post.filename)
            .await
            .map_err(|e| storage(folder, e))?;
        let written: Result<(), AppError> = async {
            let mut received = 0u64;
            while let Some(chunk) = response.chunk().await? {
                received += chunk.len() as u64;
                if received > limit {
                    return Err(AppError::new(
                        ErrorKind::Server,
                        format!(
                            "the download is larger than expected (over {limit} bytes); stopped"
                        ),
                    ));
                }
                file.write_all(&chunk)
                    .await
                    .map_err(|e| storage(&path, e))?;
            }
            file.flush().await.map_err(|e| storage(&path, e))
        }
        .await;
        if let Err(err) = written {
            drop(file);
            let _ = tokio::fs::remove_file(&path).await; // no half file left behind
            return Err(err);
        }
        Ok(path)
    }

    /// The whole upload: record the post, PUT the bytes straight to S3 with
    /// progress, and have the API check them. When the PUT fails the pending
    /// post is removed again, so no half-made post is left behind. Answers
    /// the post `ready`, or `processing` when the API is still at it (see
    /// [`Self::complete`]).
    pub async fn upload(
        &self,
        token: &str,
        upload_id: &str,
        file: NewUpload,
        progress: impl Fn(UploadProgress) + Send + Sync + 'static,
    ) -> Result<Post, AppError> {
        self.upload_cancellable(token, upload_id, file, UploadCancel::never(), progress)
            .await
    }

    /// [`Self::upload`] that stops when `cancel` is tripped: the PUT is
    /// dropped where it is (no more bytes go out), the check is not waited
    /// for, and the post made for it is deleted; answers `cancelled`. The
    /// `POST /posts` that records the post is let finish first, so that
    /// the post it made is known and can be taken back.
    pub async fn upload_cancellable(
        &self,
        token: &str,
        upload_id: &str,
        file: NewUpload,
        cancel: UploadCancel,
        progress: impl Fn(UploadProgress) + Send + Sync + 'static,
    ) -> Result<Post, AppError> {
        let cancelled = || AppError::new(ErrorKind::Cancelled, "the upload was cancelled");
        if cancel.is_cancelled() {
            return Err(cancelled());
        }
        let total = file.bytes.len() as u64;
        let upload_id = upload_id.to_owned();
        let report = move |phase, sent| {
            progress(UploadProgress {
                upload_id: upload_id.clone(),
                phase,
                sent,
                total,
            })
        };
        report(UploadPhase::Creating, 0);
        let created: CreatedPost = Self::json(
            self.http
                .post(format!("{}/posts", self.api))
                .bearer_auth(token)
                .json(&serde_json::json!({
                    "filename": file.filename,
                    "contentType": file.content_type,
                    "size": total,
                    "title": file.title,
                })),
        )
        .await?;
        let id = created.post.id;
        // Take the post back out, best effort, and say why.
        let abandon = |err: AppError| async move {
            let _ = self.delete_post(token, id).await;
            Err::<Post, AppError>(err)
        };
        if cancel.is_cancelled() {
            return abandon(cancelled()).await;
        }

        let report = std::sync::Arc::new(report);
        // Pieces are views into the one buffer, not copies of it.
        let bytes = bytes::Bytes::from(file.bytes);
        let on_chunk = report.clone();
        let body = futures::stream::iter((0..bytes.len()).step_by(CHUNK)).map(move |start| {
            let end = (start + CHUNK).min(bytes.len());
            on_chunk(UploadPhase::Uploading, end as u64);
            Ok::<_, std::io::Error>(bytes.slice(start..end))
        });
        let put = self
            .http
            .put(&created.presigned_url)
            // The type the URL was signed for (the API's spelling of it, e.g.
            // `image/png` for `IMAGE/PNG`), not the one the UI passed.
            .header(header::CONTENT_TYPE, &created.post.content_type)
            .header(header::CONTENT_LENGTH, total)
            .body(reqwest::Body::wrap_stream(body))
            .timeout(Duration::from_secs(600));
        // Dropping the request future closes its connection mid-body.
        let sent = tokio::select! {
            biased;
            () = cancel.cancelled() => return abandon(cancelled()).await,
            sent = Self::send(put) => sent,
        };
        if let Err(err) = sent {
            return abandon(match err.kind {
                ErrorKind::Network => err,
                _ => AppError::new(
                    ErrorKind::Server,
                    format!("the storage refused the upload: {}", err.message),
                ),
            })
            .await;
        }

        report(UploadPhase::Checking, total);
        tokio::select! {
            biased;
            () = cancel.cancelled() => abandon(cancelled()).await,
            done = self.complete(token, id) => done,
        }
    }

    /// Has the API check, clean and render the uploaded image: `200` with the
    /// post `ready`, or `202` with it still `processing` when that takes
    /// longer than the API waits (then poll [`Self::post`] until it is
    /// `ready` or `rejected`). Either is a success; a refused image is a
    /// `rejected` error (`422`), and the API has deleted it.
    pub async fn complete(&self, token: &str, id: i64) -> Result<Post, AppError> {
        Self::json(
            self.http
                .post(format!("{}/posts/{id}/complete", self.api))
                .bearer_auth(token),
        )
        .await
    }
}

/// `folder/name`, or `folder/stem (2).ext`, … when that is taken.
/// Creates the file under the first free name (`create_new`: a file that
/// appears meanwhile is never overwritten; the next name is tried).
async fn create_free(folder: &Path, filename: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    for _ in 0..1000 {
        let path = free_name(folder, filename);
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(file) => return Ok((path, file)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(std::io::Error::other("no free file name"))
}

fn free_name(folder: &Path, filename: &str) -> PathBuf {
    // Only the last component of what the server calls the file.
    let name = Path::new(filename)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("image");
    let candidate = folder.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| folder.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .expect("some name is free")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    /// What the stand-in API and S3 saw.
    #[derive(Default)]
    struct Seen {
        /// Bytes of the PUT body the storage received.
        received: AtomicU64,
        completed: AtomicBool,
        deleted: Mutex<Vec<i64>>,
    }

    /// `POST /posts`, a PUT target that reads slowly, `complete` and `DELETE`.
    async fn stand_in() -> (String, Arc<Seen>) {
        use axum::extract::{Path, State};
        use axum::routing::{delete, post, put};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let create = {
            let base = base.clone();
            move || async move {
                axum::Json(serde_json::json!({
                    "id": 7, "objectKey": "uploads/k.png", "status": "pending", "title": null,
                    "filename": "big.png", "contentType": "image/png", "size": 1, "ownerId": "1",
                    "rejectionReason": null, "createdAt": "c", "updatedAt": "u", "url": null,
                    "expiresIn": null, "presignedUrl": format!("{base}/s3/k.png"),
                }))
            }
        };
        let app = axum::Router::new()
            .route("/posts", post(create))
            .route(
                "/s3/k.png",
                put(
                    |State(seen): State<Arc<Seen>>, body: axum::body::Body| async move {
                        // Slowly, as a distant storage would: the client
                        // is still sending when the cancel comes.
                        let mut stream = body.into_data_stream();
                        while let Some(Ok(chunk)) = stream.next().await {
                            seen.received
                                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    },
                ),
            )
            .route(
                "/posts/{id}/complete",
                post(|State(seen): State<Arc<Seen>>| async move {
                    seen.completed.store(true, Ordering::SeqCst);
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                }),
            )
            .route(
                "/posts/{id}",
                delete(
                    |State(seen): State<Arc<Seen>>, Path(id): Path<i64>| async move {
                        seen.deleted.lock().unwrap().push(id);
                        axum::http::StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(seen.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (base, seen)
    }

    #[tokio::test]
    async fn a_cancel_mid_put_drops_the_put_and_deletes_the_post() {
        let (base, seen) = stand_in().await;
        let client = ImgupClient::new(&Settings {
            api_url: base.clone(),
            auth_url: base,
        });
        let total = 32 * 1024 * 1024;
        let file = NewUpload {
            filename: "big.png".into(),
            content_type: "image/png".into(),
            title: None,
            bytes: vec![0; total],
        };
        let (switch, cancel) = UploadCancel::new();
        let switch = Arc::new(switch);
        let reports = Arc::new(AtomicU64::new(0));
        let (trip, count) = (switch.clone(), reports.clone());
        let started = std::time::Instant::now();
        let err = client
            .upload_cancellable("token", "u1", file, cancel, move |p| {
                count.fetch_add(1, Ordering::SeqCst);
                // A megabyte out: the person presses Cancel.
                if p.phase == UploadPhase::Uploading && p.sent >= 1024 * 1024 {
                    trip.send_replace(true);
                }
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Cancelled, "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "it stopped at once"
        );
        assert_eq!(
            *seen.deleted.lock().unwrap(),
            [7],
            "the half-made post is deleted"
        );
        let reported = reports.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            reports.load(Ordering::SeqCst),
            reported,
            "no more progress after the cancel"
        );
        // The connection was dropped mid-body: the storage stopped receiving.
        let received = seen.received.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            seen.received.load(Ordering::SeqCst),
            received,
            "bytes still arriving"
        );
        assert!(
            received < total as u64 / 2,
            "the PUT went on: {received} of {total} bytes"
        );
        assert!(
            !seen.completed.load(Ordering::SeqCst),
            "never asked to check it"
        );
    }

    #[tokio::test]
    async fn an_upload_cancelled_before_it_starts_sends_nothing() {
        let (base, seen) = stand_in().await;
        let client = ImgupClient::new(&Settings {
            api_url: base.clone(),
            auth_url: base,
        });
        let (switch, cancel) = UploadCancel::new();
        switch.send_replace(true);
        let file = NewUpload {
            filename: "a.png".into(),
            content_type: "image/png".into(),
            title: None,
            bytes: vec![1; 10],
        };
        let err = client
            .upload_cancellable("token", "u2", file, cancel, |_| {})
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Cancelled);
        assert!(seen.deleted.lock().unwrap().is_empty());
        assert_eq!(seen.received.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn downloads_never_overwrite_and_never_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_name(dir.path(), "cat.png"), dir.path().join("cat.png"));
        std::fs::write(dir.path().join("cat.png"), b"1").unwrap();
        assert_eq!(
            free_name(dir.path(), "cat.png"),
            dir.path().join("cat (2).png")
        );
        std::fs::write(dir.path().join("cat (2).png"), b"2").unwrap();
        assert_eq!(
            free_name(dir.path(), "cat.png"),
            dir.path().join("cat (3).png")
        );
        assert_eq!(
            free_name(dir.path(), "../../etc/passwd"),
            dir.path().join("passwd")
        );
        assert_eq!(free_name(dir.path(), ".."), dir.path().join("image"));
    }
}
