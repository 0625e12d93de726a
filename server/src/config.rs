//! Command line and environment.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// GT Keys: a self-hostable API key platform.
///
/// With no command (or `serve`) it runs the dashboard and key API. The other commands
/// are for operators and automation: they print only the requested value on stdout and
/// everything else on stderr, so `KEY=$(gtx-keys key create …)` works.
#[derive(Debug, Parser)]
#[command(name = "gtx-keys", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Storage and secret settings, shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings every command honours.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Address the server listens on.
    #[arg(
        long,
        env = "GTX_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen: SocketAddr,
    /// Data directory: holds the SQLite database and the generated server secret.
    #[arg(long, env = "GTX_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…). When set, PostgreSQL is used instead of SQLite.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the server secret (64 hex characters). Default: `<data-dir>/server-secret`,
    /// generated on first run with SQLite. The secret can also come from the
    /// GTX_SERVER_SECRET environment variable (never from a flag: argv is visible to other users).
    #[arg(long, env = "GTX_SERVER_SECRET_FILE", global = true)]
    pub server_secret_file: Option<PathBuf>,
    /// Keys kept in the in-process verification cache (0 turns the cache off, e.g. to
    /// benchmark the database path).
    #[arg(long, env = "GTX_KEY_CACHE_CAPACITY", default_value_t = gtx_core::services::key_cache::DEFAULT_CAPACITY, global = true)]
    pub key_cache_capacity: usize,
    /// Seconds a cached key lookup lives: the bound on staleness should a change
    /// notification ever be lost (changes normally reach every instance at once).
    #[arg(long, env = "GTX_KEY_CACHE_TTL", default_value_t = gtx_core::services::key_cache::DEFAULT_TTL.as_secs(), global = true)]
    pub key_cache_ttl: u64,
    /// Days of per-hour usage counts kept for the charts (per-minute counts are kept 48
    /// hours); older counts are deleted.
    #[arg(long, env = "GTX_USAGE_RETENTION_DAYS", default_value_t = gtx_core::services::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650), global = true)]
    pub usage_retention_days: u32,
    /// Deliver webhooks to private, loopback and link-local addresses too (by default
    /// they are refused, checked on the address each delivery connects to).
    #[arg(long, env = "GTX_WEBHOOKS_ALLOW_PRIVATE", global = true)]
    pub webhooks_allow_private: bool,
    /// Seconds between writes of the usage counts and last-used times gathered in memory
    /// (the most they are behind; also written at shutdown).
    #[arg(long, env = "GTX_USAGE_FLUSH_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=30), global = true)]
    pub usage_flush_seconds: u64,
    /// Log format on stderr.
    #[arg(long, env = "GTX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// How the server meets the network: proxies, public URL, timeouts, limits.
    #[command(flatten)]
    pub http: HttpArgs,
}

/// Settings of the HTTP server (used by `serve`).
#[derive(Debug, Args, Clone)]
pub struct HttpArgs {
    /// The origin browsers use to reach the dashboard (`https://keys.example.com`), for
    /// invite links and HSTS. Required when listening beyond loopback.
    #[arg(long, env = "GTX_PUBLIC_URL", global = true, value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed, as comma-separated CIDRs (e.g.
    /// `10.0.0.0/8,192.168.1.10/32`). Default: none, so the TCP peer is the client.
    #[arg(
        long,
        env = "GTX_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_cidr,
        global = true
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds a client has to send a request's headers (from connecting, or from its
    /// first byte on a kept-alive connection).
    #[arg(long, env = "GTX_HEADER_READ_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub header_read_timeout: u64,
    /// Seconds a request may take, body and handler included, before it is answered 408.
    #[arg(long, env = "GTX_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub request_timeout: u64,
    /// Seconds a kept-alive connection may sit without a request before it is closed.
    #[arg(long, env = "GTX_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400), global = true)]
    pub idle_timeout: u64,
    /// Most connections open at once; more wait in the listen backlog.
    #[arg(long, env = "GTX_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_connections: u64,
    /// GitHub's secret scanning public keys, as GitHub publishes them
    /// (`https://api.github.com/meta/public_keys/secret_scanning`): turns on
    /// `POST /api/v1/secret-scanning/github`, which revokes the keys GitHub finds.
    #[arg(long, env = "GTX_GITHUB_SCANNING_KEYS", global = true)]
    pub github_scanning_keys: Option<std::path::PathBuf>,
}

/// A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address (as /32 or /128).
fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| format!("`{text}` is not a CIDR such as 10.0.0.0/8 or an IP address"))
}

/// `http(s)://host[:port]`, without a path, query or fragment; a trailing `/` is dropped.
fn parse_public_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let bad = || {
        format!(
            "`{text}` is not an origin such as https://keys.example.com (scheme and host, no path)"
        )
    };
    let uri: axum::http::Uri = trimmed.parse().map_err(|_| bad())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    let path_ok = uri
        .path_and_query()
        .is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/");
    if scheme_ok && host_ok && path_ok && !trimmed.contains('@') {
        Ok(trimmed.to_owned())
    } else {
        Err(bad())
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard and the key API (the default).
    Serve,
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

/// `webhook` commands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint to an organisation; prints its signing secret (whsec_…) once on
    /// stdout, nothing else. A running server delivers to it.
    Add {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// Where deliveries go (http or https).
        #[arg(long)]
        url: String,
        /// An event to deliver (repeat for more); none: every event.
        #[arg(long = "event", value_parser = clap::builder::PossibleValuesParser::new(gtx_core::services::webhooks::EVENT_TYPES))]
        events: Vec<String>,
    },
    /// Send a `webhook.test` event to one endpoint (a running server delivers it; its
    /// delivery log shows the result).
    Test {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// The endpoint's id (from `webhook list`).
        endpoint_id: String,
    },
    /// Stop sending new events to an endpoint.
    Disable {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// The endpoint's id.
        endpoint_id: String,
    },
    /// Send new events to a disabled endpoint again.
    Enable {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// The endpoint's id.
        endpoint_id: String,
    },
    /// Remove an endpoint, with what was queued for it and its delivery log.
    Remove {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// The endpoint's id.
        endpoint_id: String,
    },
    /// An organisation's endpoints: id, URL, events, state.
    List {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Manages everything in the organisation.
    Admin,
    /// Manages the keys of their projects.
    Member,
}

/// `user` commands. Passwords are read from stdin (one line), never from arguments.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user in an organisation; prints the user's id. Password from stdin.
    Create {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// Email (the sign-in name).
        #[arg(long)]
        email: String,
        /// Role in the organisation.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Display name (default: the email's local part).
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a user's password (read from stdin) and end all their sessions.
    ResetPassword {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
}

/// `org` commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation; prints its id.
    Create {
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// List organisations (id and name, tab-separated).
    List,
}

/// `project` commands.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its id (the GT_PROJECT_ID).
    Create {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
        /// The project's name.
        #[arg(long)]
        name: String,
        /// Default locale (BCP 47, e.g. en or en-US).
        #[arg(long, default_value = "en")]
        default_locale: String,
    },
    /// Add a member of the project's organisation to the project.
    AddMember {
        /// The project's id.
        #[arg(long = "project")]
        project_id: String,
        /// The member's email.
        #[arg(long)]
        email: String,
    },
    /// List an organisation's projects (id, name, locale; tab-separated).
    List {
        /// The organisation's id.
        #[arg(long = "org")]
        org_id: String,
    },
}

/// Which environment a project key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyEnv {
    /// `gtx-api-` keys for deployed apps.
    Production,
    /// `gtx-dev-` keys for development and tests.
    Development,
}

/// `key` commands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key; prints the key once on stdout, nothing else.
    #[command(group(clap::ArgGroup::new("scope").required(true).args(["project_id", "org_id"])))]
    Create {
        /// A project key for this project (needs --env).
        #[arg(long = "project", requires = "env")]
        project_id: Option<String>,
        /// An organisation key for this organisation (needs --permission).
        #[arg(long = "org", requires = "permissions", conflicts_with = "env")]
        org_id: Option<String>,
        /// Project key environment.
        #[arg(long, value_enum)]
        env: Option<KeyEnv>,
        /// The key's name.
        #[arg(long)]
        name: String,
        /// A permission of the organisation key (repeat for more): files:read, files:write,
        /// context:read, context:write, runtime_translation, translation_queue,
        /// project_settings, project_creation, api_keys:read, api_keys:write; or General
        /// Translation's scope names (project:files:read, org:projects:create, …).
        #[arg(
            long = "permission",
            value_name = "PERMISSION",
            conflicts_with = "project_id"
        )]
        permissions: Vec<String>,
        /// Expire after this long: e.g. 30d, 90d, 1y, 24h. Default: never.
        #[arg(long)]
        expires_in: Option<String>,
        /// What the key is for (at most 500 characters).
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List keys, masked, with ids and status.
    #[command(group(clap::ArgGroup::new("scope").required(true).args(["project_id", "org_id"])))]
    List {
        /// The keys of this project.
        #[arg(long = "project")]
        project_id: Option<String>,
        /// The organisation keys of this organisation.
        #[arg(long = "org")]
        org_id: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id. It fails every check from then on.
    Revoke {
        /// The key's id (from `key list`).
        key_id: String,
    },
    /// Report a leaked key, read from stdin (the first line): if it is a live key of this
    /// server it is revoked at once, audited as reported leaked with the URL.
    ReportLeak {
        /// Where the key was found (http or https).
        #[arg(long)]
        url: String,
        /// What kind of place that is (commit, gist, issue_comment, …).
        #[arg(long)]
        source: Option<String>,
    },
    /// A key's requests per outcome over the last 24 hours (per hour) or 7 or 30 days
    /// (per day, UTC).
    Usage {
        /// The key's id (from `key list`).
        key_id: String,
        /// How far back.
        #[arg(long, default_value = "7d", value_parser = ["24h", "7d", "30d"])]
        since: String,
        /// Print JSON: `{"key_id", "since", "bucket_seconds", "totals", "buckets"}`.
        #[arg(long)]
        json: bool,
    },
    /// Disable (pause) a key: it fails every check with DISABLED until enabled.
    Disable {
        /// The key's id (from `key list`).
        key_id: String,
    },
    /// Enable a disabled key again.
    Enable {
        /// The key's id (from `key list`).
        key_id: String,
    },
}
