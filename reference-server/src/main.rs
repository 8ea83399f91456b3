//! The `woolly` binary.

use clap::Parser;

fn main() {
    let cli = reference_server::cli::Cli::parse();
    if matches!(cli.command, reference_server::cli::Command::Serve(_)) {
        // A fixed mmap threshold for glibc's malloc, so image buffers go back to the system
        // when processing ends (`cli::malloc_tuning`; returns when it does not re-execute).
        reference_server::cli::malloc_tuning::reexec_with_malloc_tuning();
    }
    std::process::exit(reference_server::cli::run(cli));
}
