//! The `woolly` command line: argument types and dispatch.

use clap::{Parser, Subcommand};

pub mod admin;
pub(crate) mod background;
pub mod corpus;
pub mod domains;
pub mod emoji;
pub mod export;
pub mod import;
pub mod lifecycle;
pub mod malloc_tuning;
pub mod migration;
pub mod moderation;
pub mod serve;
pub mod sig;
pub mod staff;

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
    /// Runs the server.
    Serve(serve::ServeArgs),
    /// Local accounts: create, list, give a role.
    #[command(subcommand)]
    Account(admin::AccountCommand),
    /// Instance-wide domain blocks: add, remove, list.
    #[command(subcommand)]
    DomainBlock(admin::DomainBlockCommand),
    /// Looks up a handle (WebFinger) or URL with a signed fetch and prints the document.
    Lookup(admin::LookupArgs),
    /// Custom emoji: add, remove, list, import.
    #[command(subcommand)]
    Emoji(emoji::EmojiCommand),
    /// Moderation and sign-up, like `tootctl`: invites, approval of accounts, the instance's
    /// rules, reports, domain blocks and allows.
    #[command(subcommand)]
    Admin(moderation::AdminCommand),
    /// Client-API bearer tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
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
        Command::Serve(args) => serve::run(args),
        Command::Account(cmd) => admin::run_account(cmd),
        Command::DomainBlock(cmd) => admin::run_domain_block(cmd),
        Command::Lookup(args) => admin::run_lookup(args),
        Command::Token(cmd) => admin::run_token(cmd),
        Command::Admin(cmd) => moderation::run_admin(cmd),
        Command::Emoji(cmd) => emoji::run(cmd),
        Command::Sig(cmd) => sig::run(cmd),
        Command::Corpus(cmd) => corpus::run(cmd),
    }
}
