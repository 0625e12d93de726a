//! `gtx-keys`: parse the command line, set up logging, run.

use clap::Parser;
use gtx_keys::config::Cli;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(gtx_keys::config::Command::Serve));
    gtx_keys::init_tracing(cli.global.log_format, serving);
    gtx_keys::run(cli).await
}
