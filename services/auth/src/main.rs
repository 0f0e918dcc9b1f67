use std::process::ExitCode;

// jemalloc: about 8 % of a small request went to glibc malloc/free under load.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
