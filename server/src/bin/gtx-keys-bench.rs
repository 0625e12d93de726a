//! `gtx-keys-bench`: tools for `bench/` only, kept out of the production binary.
//!
//! `gtx-keys-bench usage` writes 30 days of usage counts for one key (`bench/pages`: every
//! minute of the last 48 hours and every hour before, as a busy key leaves them).
//!
//! `gtx-keys-bench seed` writes bulk keys for `bench/run`. Creating 100,000 keys one
//! `gtx-keys key create` at a time would take the benchmark minutes of transactions,
//! audit rows and fsyncs. This writes real keys — CSPRNG secrets, CRC32 checksums, HMAC
//! digests under the server secret, the same rows `create_key` stores — straight through
//! the repository, a few thousand per transaction, with no audit events, and prints them
//! (`live<TAB>key` or `revoked<TAB>key`) for the load generator. The services'
//! authorisation and audit are deliberately bypassed, which is why it is not an operator
//! command of `gtx-keys`.

use clap::{Parser, Subcommand};
use gtx_core::db::models::NewApiKey;
use gtx_core::db::repo::{keys, new_id};
use gtx_core::domain::{KeyId, KeyType, PermissionSet, ProjectId};
use gtx_core::error::{CoreError, CoreResult};
use gtx_core::keys::{HASH_VERSION, generate_key};
use gtx_core::services::{Actor, Services};
use std::io::Write;

/// Keys per transaction.
const BATCH: usize = 5_000;

/// Inserts `live` working and `revoked` revoked production keys into a project and
/// writes them to `out`.
async fn seed(
    services: &Services,
    project_id: &ProjectId,
    live: usize,
    revoked: usize,
    out: &mut impl Write,
) -> CoreResult<()> {
    let project = services
        .find_project(&Actor::operator(), project_id)
        .await?;
    let now = services.now();
    let total = live + revoked;
    let mut done = 0;
    while done < total {
        let mut tx = services.db().begin().await?;
        let mut lines = String::new();
        for i in done..total.min(done + BATCH) {
            let key = generate_key(KeyType::Production);
            let row = NewApiKey {
                id: KeyId(new_id()),
                org_id: project.org_id.clone(),
                project_id: Some(project.id.clone()),
                key_type: KeyType::Production,
                name: format!("bench {}", new_id()),
                digest: services.secret().digest(key.expose()).0,
                hash_version: HASH_VERSION,
                hint: key.hint(),
                permissions: PermissionSet::project_key(),
                created_by: None,
                created_by_label: "benchmark seed".to_owned(),
                created_at: now,
                expires_at: None,
                rotated_from: None,
                description: String::new(),
                ip_allowlist: Default::default(),
            };
            keys::insert(&mut *tx, &row).await?;
            let state = if i < live {
                "live"
            } else {
                keys::revoke(&mut *tx, &row.org_id, &row.id, now, "benchmark seed").await?;
                "revoked"
            };
            lines.push_str(state);
            lines.push('\t');
            lines.push_str(key.expose());
            lines.push('\n');
        }
        tx.commit().await?;
        out.write_all(lines.as_bytes())
            .map_err(|_| CoreError::Internal("cannot write the keys to stdout"))?;
        done = total.min(done + BATCH);
    }
    out.flush()
        .map_err(|_| CoreError::Internal("cannot write the keys to stdout"))?;
    Ok(())
}

/// Writes `days` days of usage for `key_id` ending now: every minute of the last 48 hours
/// in the minute table, every hour of the range in the hour table, each with successes
/// and a few failures of two kinds.
async fn usage(services: &Services, key_id: &KeyId, days: i64) -> CoreResult<()> {
    use gtx_core::db::repo::usage::{self, Buckets, UsageRow};
    use gtx_core::domain::time::{HOUR_MS, MINUTE_MS};
    use gtx_core::domain::usage::Outcome;
    let now = services.now();
    let row = |at: i64, outcome: Outcome, requests: u64| UsageRow {
        key_id: key_id.clone(),
        bucket_start: at,
        outcome,
        requests,
        permissions: PermissionSet::read_only(),
    };
    let counts = |at: i64, scale: u64| {
        let n = (at / MINUTE_MS).rem_euclid(97) as u64;
        [
            row(at, Outcome::Valid, scale * (20 + n)),
            row(at, Outcome::WrongProject, n % 3),
            row(at, Outcome::InsufficientPermissions, n % 5),
        ]
    };
    let minute_now = now - now.rem_euclid(MINUTE_MS);
    let hour_now = now - now.rem_euclid(HOUR_MS);
    let minutes: Vec<UsageRow> = (0..48 * 60)
        .flat_map(|i| counts(minute_now - i * MINUTE_MS, 1))
        .collect();
    let hours: Vec<UsageRow> = (0..days * 24)
        .flat_map(|i| counts(hour_now - i * HOUR_MS, 60))
        .collect();
    let mut tx = services.db().begin().await?;
    usage::add(&mut tx, Buckets::Minutes, &minutes).await?;
    usage::add(&mut tx, Buckets::Hours, &hours).await?;
    tx.commit().await?;
    Ok(())
}

/// Benchmark tools (not for production use: they bypass authorisation and audit).
#[derive(Debug, Parser)]
#[command(name = "gtx-keys-bench")]
struct Cli {
    /// Storage and secret settings, as for `gtx-keys`.
    #[command(flatten)]
    global: gtx_keys::config::GlobalArgs,
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Bulk production keys for a project, printed as `live<TAB>key` / `revoked<TAB>key`.
    Seed {
        /// The project.
        #[arg(long = "project")]
        project_id: String,
        /// Working keys to create.
        #[arg(long, default_value_t = 1_000)]
        live: usize,
        /// Revoked keys to create.
        #[arg(long, default_value_t = 0)]
        revoked: usize,
    },
    /// Usage counts for one key: every minute of the last 48 hours, every hour of `days`.
    Usage {
        /// The key.
        #[arg(long = "key")]
        key_id: String,
        /// Days of hourly counts.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    gtx_keys::init_tracing(cli.global.log_format, false);
    let services = match gtx_keys::boot::services(&cli.global).await {
        Ok(services) => services,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        BenchCommand::Seed {
            project_id,
            live,
            revoked,
        } => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            seed(
                &services,
                &ProjectId(project_id),
                live,
                revoked,
                &mut stdout,
            )
            .await
        }
        BenchCommand::Usage { key_id, days } => usage(&services, &KeyId(key_id), days).await,
    };
    services.db().close().await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
