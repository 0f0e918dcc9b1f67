//! `imgup-operator`: runs the controller (default), or renders the objects
//! for a manifest without a cluster (`imgup-operator render FILE`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};
use imgup_operator::controller::{self, Context};
use imgup_operator::http::{AppState, router};
use imgup_operator::leader::LeaderElector;
use imgup_operator::metrics::Metrics;
use imgup_telemetry::{LogFormat, init_logs, shutdown_signal};
use kube::Client;
use kube::runtime::events::Reporter;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(name = "imgup-operator", version, about = "Runs ImageUploadStacks")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where `/metrics`, `/healthz` and `/readyz` answer.
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:8080")]
    metrics_addr: SocketAddr,
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "json")]
    log_format: LogFormat,
    /// Elect a leader through a Lease so that several replicas are safe.
    #[arg(long, env = "LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    leader_election: bool,
    #[arg(long, env = "LEASE_NAME", default_value = "imgup-operator")]
    lease_name: String,
    /// Namespace of the Lease (the operator's own; the chart passes it).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// This replica's name in the Lease (the chart passes the pod name).
    #[arg(long, env = "POD_NAME", default_value = "imgup-operator")]
    identity: String,
    #[arg(long, env = "LEASE_DURATION_SECONDS", default_value_t = 15)]
    lease_duration_seconds: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the controller (the default).
    Run,
    /// Print the objects the operator would apply for an ImageUploadStack
    /// manifest, with placeholder secret values. Needs no cluster.
    Render {
        /// The manifest (YAML), or `-` for standard input.
        file: String,
    },
}

fn render(file: &str) -> Result<(), String> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?
    };
    let stack = imgup_operator::render::parse(&text)?;
    print!("{}", imgup_operator::render::render(stack)?);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Render { file }) = &cli.command {
        return match render(file) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("imgup-operator render: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    init_logs(cli.log_format);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::try_default().await?;
    let mut registry = Registry::default();
    let metrics = Metrics::register(&mut registry);
    let state = Arc::new(AppState {
        registry,
        alive: AtomicBool::new(true),
    });

    // Shutdown fan-out: SIGTERM/Ctrl-C, or a lost Lease.
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let signal_tx = stop_tx.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = signal_tx.send(true);
    });

    let listener = tokio::net::TcpListener::bind(cli.metrics_addr).await?;
    tracing::info!("metrics and health on {}", cli.metrics_addr);
    let server = tokio::spawn(
        axum::serve(listener, router(state.clone()))
            .with_graceful_shutdown(stopped(stop_rx.clone()))
            .into_future(),
    );

    let elector = cli.leader_election.then(|| {
        LeaderElector::new(
            kube::Api::namespaced(client.clone(), &cli.lease_namespace),
            &cli.lease_name,
            &cli.identity,
            Duration::from_secs(cli.lease_duration_seconds),
        )
    });
    let lost_lease = Arc::new(AtomicBool::new(false));
    let mut renewals = None;
    if let Some(e) = &elector {
        tracing::info!(
            "waiting to lead (lease {}/{})",
            cli.lease_namespace,
            cli.lease_name
        );
        tokio::select! {
            () = e.acquire() => {}
            () = stopped(stop_rx.clone()) => return Ok(()),
        }
        tracing::info!("leading as {}", e.identity());
        let e = e.clone();
        let tx = stop_tx.clone();
        let lost = lost_lease.clone();
        renewals = Some(tokio::spawn(async move {
            e.hold().await;
            lost.store(true, Ordering::Relaxed);
            let _ = tx.send(true);
        }));
    }
    metrics.leader.set(1);

    let reporter = Reporter {
        controller: "imgup-operator".into(),
        instance: Some(cli.identity.clone()),
    };
    let ctx = Arc::new(
        Context::new(client.clone(), metrics.clone(), reporter)
            .with_garage_setup(Arc::new(imgup_operator::garage::AdminApiSetup)),
    );
    controller::run(client, ctx, stopped(stop_rx.clone())).await;
    metrics.leader.set(0);
    state.alive.store(false, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let _ = server.await;
    // Renewals stop before the release: one renewing after it would take the
    // Lease back and keep the next leader waiting for a whole lease duration.
    if let Some(renewals) = renewals {
        renewals.abort();
        let _ = renewals.await;
    }
    if lost_lease.load(Ordering::Relaxed) {
        // Exit non-zero: Kubernetes restarts this replica as a candidate.
        return Err("lost the leader lease".into());
    }
    if let Some(e) = &elector
        && let Err(err) = e.release().await
    {
        tracing::warn!("releasing the lease: {err}");
    }
    Ok(())
}
