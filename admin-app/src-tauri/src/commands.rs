//! The Tauri commands the web UI calls: thin, each one a client call plus
//! the session bookkeeping around it.

use percent_encoding::percent_decode_str;
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_opener::OpenerExt;
use tokio::sync::oneshot;

use crate::error::{AppError, ErrorKind};
use crate::model::{
    LibraryStats, ListQuery, NewUpload, PeoplePage, PersonChange, Policy, Post, PostPage, Session,
    SignInOptions, Usage,
};
use crate::session::AdminState;
use crate::settings::Settings;
use crate::sign_in::LoopbackSignIn;

type Result<T> = std::result::Result<T, AppError>;

#[tauri::command]
pub fn settings_get(state: State<'_, AdminState>) -> Settings {
    state.settings()
}

#[tauri::command]
pub fn settings_save(state: State<'_, AdminState>, settings: Settings) -> Result<Settings> {
    state.save_settings(settings)
}

#[tauri::command]
pub async fn session_current(state: State<'_, AdminState>) -> Result<Option<Session>> {
    state.current().await
}

#[tauri::command]
pub async fn sign_in_test_token(state: State<'_, AdminState>, email: String) -> Result<Session> {
    let grant = state.client().test_token(email.trim()).await?;
    state.adopt(grant).await
}

#[tauri::command]
pub async fn sign_in_browser(
    app: AppHandle,
    state: State<'_, AdminState>,
    provider: String,
) -> Result<Session> {
    let client = state.client();
    let pending = LoopbackSignIn::begin(client.auth_url(), &provider).await?;
    let (cancel, cancelled) = oneshot::channel();
    if let Some(previous) = state
        .cancel_sign_in
        .lock()
        .expect("not poisoned")
        .replace(cancel)
    {
        let _ = previous.send(());
    }
    app.opener()
        .open_url(pending.start_url.as_str(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                ErrorKind::SignInFailed,
                format!("cannot open the browser: {e}"),
            )
        })?;
    let redirected = pending.wait(cancelled).await?;
    let grant = client
        .redeem(&redirected.code, redirected.verifier.secret())
        .await?;
    state.adopt(grant).await
}

#[tauri::command]
pub fn sign_in_cancel(state: State<'_, AdminState>) {
    if let Some(cancel) = state.cancel_sign_in.lock().expect("not poisoned").take() {
        let _ = cancel.send(());
    }
}

/// Ends the session on the server too, so that its refresh token is dead.
#[tauri::command]
pub async fn sign_out(state: State<'_, AdminState>) -> Result<()> {
    state.sign_out_everywhere().await
}

/// How one can sign in; needs no session.
#[tauri::command]
pub async fn sign_in_options(state: State<'_, AdminState>) -> Result<SignInOptions> {
    state.client().providers().await
}

#[tauri::command]
pub async fn usage_get(state: State<'_, AdminState>) -> Result<Usage> {
    let token = state.token().await?;
    state.after(state.client().usage(&token).await)
}

/// The library's totals (admins; others get `forbidden`); `top` owners.
#[tauri::command]
pub async fn stats_get(state: State<'_, AdminState>, top: Option<u32>) -> Result<LibraryStats> {
    let token = state.token().await?;
    state.after(state.client().stats(&token, top).await)
}

/// Everyone who signed in (admins), a page after `cursor`.
#[tauri::command]
pub async fn people_list(
    state: State<'_, AdminState>,
    cursor: Option<String>,
) -> Result<PeoplePage> {
    let token = state.token().await?;
    state.after(state.client().people(&token, cursor.as_deref()).await)
}

/// Promote, demote, disable or enable someone (admins); answers the person.
#[tauri::command]
pub async fn person_update(
    state: State<'_, AdminState>,
    id: i64,
    change: PersonChange,
) -> Result<serde_json::Value> {
    let token = state.token().await?;
    state.after(state.client().update_person(&token, id, &change).await)
}

#[tauri::command]
pub async fn policy_get(state: State<'_, AdminState>) -> Result<Policy> {
    state.client().policy().await
}

#[tauri::command]
pub async fn posts_list(state: State<'_, AdminState>, query: ListQuery) -> Result<PostPage> {
    let token = state.token().await?;
    state.after(state.client().list_posts(&token, &query).await)
}

#[tauri::command]
pub async fn post_get(state: State<'_, AdminState>, id: i64) -> Result<Post> {
    let token = state.token().await?;
    state.after(state.client().post(&token, id).await)
}

#[tauri::command]
pub async fn post_retitle(
    state: State<'_, AdminState>,
    id: i64,
    title: Option<String>,
) -> Result<Post> {
    let token = state.token().await?;
    let client = state.client();
    state.after(client.retitle_post(&token, id, title.as_deref()).await)
}

#[tauri::command]
pub async fn post_delete(state: State<'_, AdminState>, id: i64) -> Result<()> {
    let token = state.token().await?;
    state.after(state.client().delete_post(&token, id).await)
}

/// Saves the image into the Downloads folder; answers the path.
#[tauri::command]
pub async fn post_download(
    app: AppHandle,
    state: State<'_, AdminState>,
    id: i64,
) -> Result<String> {
    let token = state.token().await?;
    let client = state.client();
    let post = state.after(client.post(&token, id).await)?;
    // Without a configured Downloads folder (XDG user dirs), ~/Downloads.
    let folder = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir().map(|home| home.join("Downloads")))
        .map_err(|e| AppError::new(ErrorKind::Storage, format!("no Downloads folder: {e}")))?;
    let path = state.after(client.download(&token, &post, &folder).await)?;
    Ok(path.display().to_string())
}

/// Opens the full-size original of a ready post in the system browser (a
/// fresh presigned GET; the preview itself shows the `medium` variant).
#[tauri::command]
pub async fn post_open_original(
    app: AppHandle,
    state: State<'_, AdminState>,
    id: i64,
) -> Result<()> {
    let token = state.token().await?;
    let post = state.after(state.client().post(&token, id).await)?;
    let url = post
        .url
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .ok_or_else(|| AppError::new(ErrorKind::InvalidInput, "this image is not ready"))?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| AppError::new(ErrorKind::Server, format!("cannot open the browser: {e}")))
}

fn header(request: &Request<'_>, name: &str) -> Option<String> {
    let value = request.headers().get(name)?.to_str().ok()?;
    Some(percent_decode_str(value).decode_utf8_lossy().into_owned())
}

/// Raw image bytes in the body; `x-upload-id`, `x-filename`, `x-content-type`
/// and `x-title` (percent-encoded) in the headers. Progress goes out as
/// `upload-progress` events. Answers the post `ready`, or `processing` when the
/// API is still rendering it (the grid then polls `post_get`); `cancelled`
/// when `upload_cancel` named it meanwhile (its post is deleted again).
#[tauri::command]
pub async fn upload(
    app: AppHandle,
    state: State<'_, AdminState>,
    request: Request<'_>,
) -> Result<Post> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorKind::InvalidInput,
            "upload expects the file's bytes as its body",
        ));
    };
    let missing =
        |name: &str| AppError::new(ErrorKind::InvalidInput, format!("upload needs {name}"));
    let upload_id = header(&request, "x-upload-id").ok_or_else(|| missing("x-upload-id"))?;
    let file = NewUpload {
        filename: header(&request, "x-filename").ok_or_else(|| missing("x-filename"))?,
        content_type: header(&request, "x-content-type")
            .ok_or_else(|| missing("x-content-type"))?,
        title: header(&request, "x-title").filter(|t| !t.trim().is_empty()),
        bytes: bytes.clone(),
    };
    let running = state.uploads.start(&upload_id);
    let token = state.token().await?;
    let result = state
        .client()
        .upload_cancellable(
            &token,
            &upload_id,
            file,
            running.cancel.clone(),
            move |progress| {
                let _ = app.emit("upload-progress", progress);
            },
        )
        .await;
    state.after(result)
}

/// Stops the upload `upload_id`: mid-PUT its connection is dropped and its
/// post deleted; one whose bytes are still on their way from the UI stops
/// as it starts. `true` when it was running.
#[tauri::command]
pub fn upload_cancel(state: State<'_, AdminState>, upload_id: String) -> bool {
    state.uploads.cancel(&upload_id)
}
