use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber: `RUST_LOG` filters (default `info`),
/// `LOG_FORMAT` picks human text or one JSON object a line, on stdout.
pub fn init_logs(format: LogFormat) {
    install(format, std::io::stdout().is_terminal(), std::io::stdout);
}

/// [`init_logs`] for a one-shot command whose stdout is its report (`gc`):
/// the log lines go to stderr.
pub fn init_command_logs(format: LogFormat) {
    install(format, std::io::stderr().is_terminal(), std::io::stderr);
}

fn install<W>(format: LogFormat, ansi: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    // A second call (several services in one process) keeps the first subscriber.
    drop(result);
}
