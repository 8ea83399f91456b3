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

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;

pub use app::App;
pub use config::Config;
pub use error::Error;
