//! `woolly admin domain-blocks|domain-allows …`: the instance's domain blocks and allows from
//! the command line, as `tootctl domains`, through the running server's admin endpoint or
//! the store (see [`super::admin`]).

use clap::Subcommand;
use serde_json::Value;

use super::admin::run;
use super::serve::ConfigArgs;
use crate::http::admin::AdminRequest;

/// `woolly admin domain-blocks …`
#[derive(Debug, Subcommand)]
pub enum DomainBlocksCommand {
    /// Blocks a domain (and its subdomains).
    Add {
        /// The domain.
        domain: String,
        /// `silence` (posts kept out of public timelines), `suspend` (nothing exchanged,
        /// content hidden) or `noop` (only the flags).
        #[arg(long, default_value = "silence")]
        severity: String,
        /// Store none of the domain's media.
        #[arg(long)]
        reject_media: bool,
        /// Drop the domain's reports.
        #[arg(long)]
        reject_reports: bool,
        /// A note for admins.
        #[arg(long)]
        private_comment: Option<String>,
        /// A note shown with the public list.
        #[arg(long)]
        public_comment: Option<String>,
        /// Partly hide the domain on the public list.
        #[arg(long)]
        obfuscate: bool,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lifts a domain block.
    Remove {
        /// The domain.
        domain: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists domain blocks: domain, severity, flags.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// `woolly admin domain-allows …`
#[derive(Debug, Subcommand)]
pub enum DomainAllowsCommand {
    /// Allows a domain (and its subdomains).
    Add {
        /// The domain.
        domain: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Removes a domain's allow.
    Remove {
        /// The domain.
        domain: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists allowed domains.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn run_blocks(cmd: DomainBlocksCommand) -> i32 {
    match cmd {
        DomainBlocksCommand::Add {
            domain,
            severity,
            reject_media,
            reject_reports,
            private_comment,
            public_comment,
            obfuscate,
            common,
        } => run(
            &common,
            AdminRequest::AddDomainBlock {
                domain,
                severity: Some(severity),
                reject_media,
                reject_reports,
                private_comment,
                public_comment,
                obfuscate,
            },
            |v| println!("blocked {} ({})", s(v, "domain"), s(v, "severity")),
        ),
        DomainBlocksCommand::Remove { domain, common } => {
            run(&common, AdminRequest::UnblockDomain { domain }, |v| {
                if v["removed"].as_bool() == Some(true) {
                    println!("unblocked {}", s(v, "domain"));
                } else {
                    println!("{} was not blocked", s(v, "domain"));
                }
            })
        }
        DomainBlocksCommand::List { common } => run(&common, AdminRequest::ListDomainBlocks, |v| {
            for b in v.as_array().into_iter().flatten() {
                let mut flags: Vec<&str> = Vec::new();
                for f in ["reject_media", "reject_reports", "obfuscate"] {
                    if b[f].as_bool() == Some(true) {
                        flags.push(f);
                    }
                }
                println!(
                    "{}\t{}\t{}",
                    s(b, "domain"),
                    s(b, "severity"),
                    flags.join(",")
                );
            }
        }),
    }
}

pub(super) fn run_allows(cmd: DomainAllowsCommand) -> i32 {
    match cmd {
        DomainAllowsCommand::Add { domain, common } => {
            run(&common, AdminRequest::AllowDomain { domain }, |v| {
                println!("allowed {}", s(v, "domain"))
            })
        }
        DomainAllowsCommand::Remove { domain, common } => {
            run(&common, AdminRequest::DisallowDomain { domain }, |v| {
                if v["removed"].as_bool() == Some(true) {
                    println!("removed {}", s(v, "domain"));
                } else {
                    println!("{} was not allowed", s(v, "domain"));
                }
            })
        }
        DomainAllowsCommand::List { common } => run(&common, AdminRequest::ListDomainAllows, |v| {
            for a in v.as_array().into_iter().flatten() {
                println!("{}", s(a, "domain"));
            }
        }),
    }
}
