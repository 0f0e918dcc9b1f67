use std::process::ExitCode;

// jemalloc: about 8 % of a small request went to glibc malloc/free under load.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::{Parser, Subcommand};

mod dev;

#[derive(Parser)]
#[command(name = "imgup", version, about = "imgup, the image-upload platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform in one process for local development: the API and an
    /// embedded S3 endpoint over a local folder.
    Dev(dev::DevArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imgup: {err:#}");
            ExitCode::FAILURE
        }
    }
}
