//! The `lead-server` binary: parse the command line and run it.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match lead_server::cli::main().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lead-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}
