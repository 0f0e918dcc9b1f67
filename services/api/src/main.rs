use std::process::ExitCode;

// jemalloc: about 8 % of a small request went to glibc malloc/free under load.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;
use imgup_api::config::Command;
use imgup_api::{Config, startup};

#[tokio::main]
async fn main() -> ExitCode {
    let mut config = Config::parse();
    if let Some(Command::Gc { dry_run }) = config.command.take() {
        imgup_telemetry::init_command_logs(config.log_format);
        return match startup::gc(config, dry_run).await {
            Ok(drift) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&drift).unwrap_or_default()
                );
                let verb = if dry_run { "found" } else { "repaired" };
                eprintln!(
                    "{verb}: {} objects without a post, {} ready posts without an object",
                    drift.objects_without_post.len(),
                    drift.posts_without_object.len()
                );
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("imgup-api gc: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    imgup_telemetry::init_logs(config.log_format);
    match startup::run(config, imgup_telemetry::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("imgup-api stopped: {err:#}");
            eprintln!("imgup-api: {err:#}");
            ExitCode::FAILURE
        }
    }
}
