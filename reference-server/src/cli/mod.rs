//! The `woolly` command line: argument types and dispatch.

use clap::{Parser, Subcommand};

pub mod corpus;
pub mod sig;

/// Woolly: an ActivityPub toolkit and a small Mastodon-compatible server.
#[derive(Debug, Parser)]
#[command(name = "woolly", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `woolly`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// HTTP Signatures: verify, sign, generate keys.
    #[command(subcommand)]
    Sig(sig::SigCommand),
    /// Conformance checks over folders of fediverse documents.
    #[command(subcommand)]
    Corpus(corpus::CorpusCommand),
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Sig(cmd) => sig::run(cmd),
        Command::Corpus(cmd) => corpus::run(cmd),
    }
}
