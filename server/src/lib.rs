//! The `gtx-keys` server and operator CLI.
//!
//! `main.rs` only parses arguments and calls [`run`]; tests drive [`router`] directly.

pub mod api;
pub mod boot;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod middleware;
pub mod router;
pub mod serve;
pub mod site;
pub mod state;

pub use router::router;
pub use state::{AppState, HttpSettings};

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

/// Shortest `GTX_SETUP_TOKEN` accepted: whoever reaches a fresh instance first and
/// guesses it owns the instance.
pub const MIN_SETUP_TOKEN_CHARS: usize = 20;

/// Why the server refuses to start with this configuration. Each message says what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Listening beyond loopback without a public URL.
    #[error(
        "listening on {0} reaches beyond this machine: set GTX_PUBLIC_URL (or --public-url) to \
         the https:// address browsers use, served by a TLS proxy in front (see the README's \
         deployment section)"
    )]
    PublicUrlRequired(std::net::SocketAddr),
    /// GitHub's secret scanning key file could not be used.
    #[error("--github-scanning-keys {path}: {reason}")]
    GithubScanningKeys {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setup token that a stranger could guess.
    #[error(
        "GTX_SETUP_TOKEN has {0} characters: use at least {MIN_SETUP_TOKEN_CHARS} (e.g. from \
         `openssl rand -hex 16`), or unset it to get a random one on the console"
    )]
    SetupTokenTooShort(usize),
}

/// The HTTP settings and limits of `serve`, checked.
pub fn http_settings(
    args: &config::GlobalArgs,
) -> Result<(HttpSettings, serve::Limits), ConfigError> {
    let http = &args.http;
    if http.public_url.is_none() && !args.listen.ip().is_loopback() {
        return Err(ConfigError::PublicUrlRequired(args.listen));
    }
    let settings = HttpSettings {
        trusted_proxies: std::sync::Arc::new(client_addr::TrustedProxies::new(
            http.trusted_proxies.clone(),
        )),
        public_url: http.public_url.as_deref().map(std::sync::Arc::from),
        github_scanning: api::github::GithubScanning(match &http.github_scanning_keys {
            Some(path) => {
                let failed = |reason: String| ConfigError::GithubScanningKeys {
                    path: path.display().to_string(),
                    reason,
                };
                let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
                Some(std::sync::Arc::new(
                    api::github::GithubKeys::from_json(&text).map_err(failed)?,
                ))
            }
            None => None,
        }),
    };
    let limits = serve::Limits {
        header_read: std::time::Duration::from_secs(http.header_read_timeout),
        request: std::time::Duration::from_secs(http.request_timeout),
        idle: std::time::Duration::from_secs(http.idle_timeout),
        max_connections: usize::try_from(http.max_connections).unwrap_or(usize::MAX),
    };
    Ok((settings, limits))
}

/// The first-run setup token: `GTX_SETUP_TOKEN` when set (at least
/// [`MIN_SETUP_TOKEN_CHARS`] long), else a random one.
pub fn setup_token(configured: Option<String>) -> Result<String, ConfigError> {
    match configured
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
    {
        Some(token) if token.chars().count() < MIN_SETUP_TOKEN_CHARS => {
            Err(ConfigError::SetupTokenTooShort(token.chars().count()))
        }
        Some(token) => Ok(token),
        None => Ok(gtx_core::keys::random_token(24)),
    }
}

async fn serve(args: &config::GlobalArgs) -> ExitCode {
    let Ready {
        services,
        http,
        limits,
        leptos_options,
    } = match prepare(args).await {
        Ok(ready) => ready,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::FAILURE;
        }
    };
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
    // Delivers webhook events (those of CLI changes too: they wait in the same outbox).
    let deliveries = services.start_webhook_delivery();
    let state = AppState {
        leptos_options,
        services: services.clone(),
        http: std::sync::Arc::new(http),
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
    serve::serve(listener, app, limits, shutdown_signal()).await;
    drop(key_sync);
    deliveries.abort();
    match services.flush_usage().await {
        Ok(n) => tracing::debug!(entries = n, "wrote usage counts and last-used times"),
        Err(e) => tracing::warn!(error = %e, "could not write usage counts at shutdown"),
    }
    services.db().close().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// What serving needs, checked before the port is taken.
struct Ready {
    services: gtx_core::services::Services,
    http: HttpSettings,
    limits: serve::Limits,
    leptos_options: leptos::config::LeptosOptions,
}

/// Checks the settings, opens the database and reads the site's configuration; prints
/// the one-time setup token when first-run setup is still to be done. The error is the
/// line to log.
async fn prepare(args: &config::GlobalArgs) -> Result<Ready, String> {
    let cannot_start = |e: &dyn std::fmt::Display| format!("cannot start: {e}");
    // Checked before anything else, whether or not setup is still to be done: a
    // configuration that would be unsafe on a fresh instance is refused on every one.
    let (http, limits) = http_settings(args).map_err(|e| cannot_start(&e))?;
    let token = setup_token(std::env::var("GTX_SETUP_TOKEN").ok()).map_err(|e| cannot_start(&e))?;
    let services = boot::services(args).await.map_err(|e| cannot_start(&e))?;
    let services = if services
        .setup_required()
        .await
        .map_err(|e| cannot_start(&e))?
    {
        // Printed on the console, not logged: it must reach the operator, and only them.
        eprintln!(
            "\n  First run: open /setup and enter this one-time setup token:\n\n      {token}\n"
        );
        services.with_setup_token(secrecy::SecretString::from(token))
    } else {
        services
    };
    let mut leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| format!("cannot read the site configuration: {e}"))?
        .leptos_options;
    leptos_options.site_addr = args.listen;
    if leptos_options.output_name.is_empty() {
        // Built without cargo-leptos (plain `cargo build`): the bundle's name is fixed.
        leptos_options.output_name = OUTPUT_NAME.into();
    }
    site::use_hashed_files(&mut leptos_options);
    Ok(Ready {
        services,
        http,
        limits,
        leptos_options,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(argv: &[&str]) -> config::GlobalArgs {
        let mut full = vec!["gtx-keys"];
        full.extend_from_slice(argv);
        config::Cli::try_parse_from(full).expect("arguments").global
    }

    #[test]
    fn http_settings_refuse_an_unusable_github_key_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.json");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"public_keys": []}"#).expect("write");
        for path in [&missing, &bad] {
            let path = path.to_string_lossy().into_owned();
            let error = http_settings(&args(&["--github-scanning-keys", &path])).err();
            assert!(
                matches!(&error, Some(ConfigError::GithubScanningKeys { path: p, .. }) if *p == path),
                "{error:?}"
            );
        }
        let settings = http_settings(&args(&[])).expect("settings").0;
        assert!(settings.github_scanning.0.is_none());
    }

    #[test]
    fn http_settings_need_a_public_url_beyond_loopback() {
        assert!(http_settings(&args(&["--listen", "127.0.0.1:3000"])).is_ok());
        assert!(http_settings(&args(&["--listen", "[::1]:3000"])).is_ok());
        assert_eq!(
            http_settings(&args(&["--listen", "0.0.0.0:3000"])).err(),
            Some(ConfigError::PublicUrlRequired(
                "0.0.0.0:3000".parse().unwrap()
            ))
        );
        let (settings, limits) = http_settings(&args(&[
            "--listen",
            "0.0.0.0:3000",
            "--public-url",
            "https://keys.example.com/",
            "--trusted-proxies",
            "10.0.0.0/8,192.168.1.10",
            "--header-read-timeout",
            "5",
            "--max-connections",
            "100",
        ]))
        .expect("settings");
        assert_eq!(
            settings.public_url.as_deref(),
            Some("https://keys.example.com")
        );
        assert!(settings.is_https());
        assert_eq!(limits.header_read, std::time::Duration::from_secs(5));
        assert_eq!(limits.request, std::time::Duration::from_secs(30));
        assert_eq!(limits.idle, std::time::Duration::from_secs(60));
        assert_eq!(limits.max_connections, 100);
    }

    #[test]
    fn setup_token_must_have_20_characters() {
        assert_eq!(
            setup_token(Some("short-token".into())),
            Err(ConfigError::SetupTokenTooShort(11))
        );
        let long = "x".repeat(MIN_SETUP_TOKEN_CHARS);
        assert_eq!(setup_token(Some(format!("  {long} "))), Ok(long));
        // Unset (or blank): a random token long enough.
        let random = setup_token(Some("  ".into())).expect("random");
        assert!(random.chars().count() >= MIN_SETUP_TOKEN_CHARS, "{random}");
        assert_ne!(setup_token(None).expect("random"), random);
    }
}
