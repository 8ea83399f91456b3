//! Woolly's reference server: a small, fast, Mastodon-compatible instance built from the
//! Woolly crates, and the `woolly` command line.
//!
//! Today the binary offers the tooling subcommands:
//!
//! - `woolly sig verify|sign|keygen` — HTTP Signatures from the command line (see [`cli::sig`]);
//! - `woolly corpus check DIR` — reads a folder of fediverse documents and reports what
//!   Woolly makes of each (see [`cli::corpus`]).
//!
//! The server itself (`woolly serve`) and the admin subcommands come with later issues.

pub mod cli;
