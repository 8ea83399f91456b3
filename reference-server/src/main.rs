//! The `woolly` binary.

use clap::Parser;

fn main() {
    let cli = reference_server::cli::Cli::parse();
    std::process::exit(reference_server::cli::run(cli));
}
