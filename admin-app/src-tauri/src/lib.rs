//! imgup admin: the desktop app. The Rust side makes every HTTP call
//! (`client`), keeps the session (`session`, `credentials`, `token_store`, `settings`) and
//! signs in through the system browser (`sign_in`), runs uploads that can be
//! cancelled mid-way (`cancel`); the web UI in `../src`
//! calls the `commands`.

pub mod cancel;
pub mod client;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod model;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod token_store;
#[cfg(test)]
mod ts_types;

use tauri::Manager;

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let config_dir = app.path().app_config_dir()?;
            app.manage(session::AdminState::open(config_dir));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::settings_get,
            commands::settings_save,
            commands::session_current,
            commands::sign_in_test_token,
            commands::sign_in_browser,
            commands::sign_in_cancel,
            commands::sign_out,
            commands::sign_in_options,
            commands::usage_get,
            commands::stats_get,
            commands::people_list,
            commands::person_update,
            commands::policy_get,
            commands::posts_list,
            commands::post_get,
            commands::post_retitle,
            commands::post_delete,
            commands::post_download,
            commands::post_open_original,
            commands::upload,
            commands::upload_cancel,
        ])
        .run(tauri::generate_context!())
        .expect("error while running imgup admin");
}
