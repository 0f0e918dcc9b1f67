use std::process::ExitCode;

use clap::Parser;
use imgup_auth::{Config, startup};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    imgup_telemetry::init_logs(config.log_format);
    match startup::run(config, imgup_telemetry::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("imgup-auth stopped: {err:#}");
            eprintln!("imgup-auth: {err:#}");
            ExitCode::FAILURE
        }
    }
}
