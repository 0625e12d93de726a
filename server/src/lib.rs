//! The `gtx-keys` server and operator CLI.
//!
//! `main.rs` only parses arguments and calls [`run`]; tests drive [`router`] directly.

pub mod api;
mod bench_seed;
pub mod boot;
pub mod cli;
pub mod config;
pub mod middleware;
pub mod router;
pub mod state;

pub use router::router;
pub use state::AppState;

use config::{Cli, Command, LogFormat};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// The name of the WASM/JS/CSS bundle (`output-name` in Cargo.toml's leptos metadata).
pub const OUTPUT_NAME: &str = "gtx-keys";

/// Sets up logging on stderr. `RUST_LOG` overrides the default level.
/// The server logs at `info`; operator commands only warn, since their own messages
/// already say what happened.
pub fn init_tracing(format: LogFormat, serving: bool) {
    let default = if serving {
        "info,sqlx=warn,tower_http=info"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        None | Some(Command::Serve) => serve(&cli.global).await,
        Some(command) => cli::run(&cli.global, command).await,
    }
}

async fn serve(args: &config::GlobalArgs) -> ExitCode {
    let services = match boot::services(args).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let services = match services.setup_required().await {
        Ok(true) => {
            let token = std::env::var("GTX_SETUP_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| gtx_core::keys::random_token(24));
            // Printed on the console, not logged: it must reach the operator, and only them.
            eprintln!(
                "\n  First run: open /setup and enter this one-time setup token:\n\n      {token}\n"
            );
            services.with_setup_token(secrecy::SecretString::from(token))
        }
        Ok(false) => services,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut leptos_options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            tracing::error!("cannot read the site configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    leptos_options.site_addr = args.listen;
    if leptos_options.output_name.is_empty() {
        // Built without cargo-leptos (plain `cargo build`): the bundle's name is fixed.
        leptos_options.output_name = OUTPUT_NAME.into();
    }
    // Expired sessions are refused when presented; this also removes the rows.
    let purger = services.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = purger.purge_expired_sessions().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
        }
    });
    // Keeps the key cache in step with other instances and processes, and writes
    // last-used times in batches; stopped when dropped at the end of this function.
    let key_sync = services.start_key_sync();
    let state = AppState {
        leptos_options,
        services: services.clone(),
    };
    let app = router(state);
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    tracing::info!(
        database = services.db().backend().as_str(),
        "GT Keys is listening on http://{addr}"
    );
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    drop(key_sync);
    match services.flush_last_used().await {
        Ok(n) => tracing::debug!(keys = n, "wrote last-used times"),
        Err(e) => tracing::warn!(error = %e, "could not write last-used times at shutdown"),
    }
    services.db().close().await;
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish and the database closes
/// cleanly.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
