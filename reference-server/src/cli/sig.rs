//! `woolly sig`: HTTP Signatures from the command line.

use clap::Subcommand;

/// `woolly sig` subcommands.
#[derive(Debug, Subcommand)]
pub enum SigCommand {
    /// Generate a key pair.
    Keygen,
}

/// Runs a `woolly sig` subcommand; returns the exit code.
pub fn run(cmd: SigCommand) -> i32 {
    match cmd {
        SigCommand::Keygen => {
            eprintln!("woolly sig keygen: not built yet");
            2
        }
    }
}
