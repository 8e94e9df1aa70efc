//! `kefu`: parses the command line, starts tracing, and hands over to the library.

use clap::Parser;

// The message path allocates many small, short-lived objects across threads (request bodies,
// JSON, SQL arguments); glibc's allocator spent a fifth of the CPU in malloc/free under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use kefu_host::cli::{Cli, Command};
use kefu_host::config::Config;

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::resolve(args)?;
            init_tracing(&config.log);
            let listener = tokio::net::TcpListener::bind(config.listen).await?;
            kefu_host::run(config, listener, shutdown_signal()).await
        }
        other => {
            init_tracing("warn");
            kefu_host::cli::dispatch(other).await
        }
    }
}
