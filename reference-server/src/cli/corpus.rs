//! `woolly corpus`: conformance checks over folders of fediverse documents.

use clap::Subcommand;

/// `woolly corpus` subcommands.
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Check every JSON document under a folder.
    Check {
        /// The folder to walk.
        dir: std::path::PathBuf,
    },
}

/// Runs a `woolly corpus` subcommand; returns the exit code.
pub fn run(cmd: CorpusCommand) -> i32 {
    match cmd {
        CorpusCommand::Check { dir } => {
            eprintln!("woolly corpus check {}: not built yet", dir.display());
            2
        }
    }
}
