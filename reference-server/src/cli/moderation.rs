//! `woolly admin …`: moderation and sign-up from the command line, like Mastodon's
//! `tootctl`: invites and accounts waiting for approval, the instance's rules, reports, domain blocks
//! and allows ([`super::domains`]). Each
//! works whether the server runs or not, through the running server's admin endpoint or the
//! store, as the other admin commands (see [`super::admin`]).

use clap::{Args, Subcommand};
use serde_json::Value;

use super::admin::run;
use super::serve::ConfigArgs;
use crate::http::admin::AdminRequest;

/// `woolly admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Makes an invite code for sign-ups (needed when registrations are closed; skips
    /// approval when they need it).
    Invite(InviteArgs),
    /// Local accounts: sign-ups waiting for approval.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// The instance's rules: add, remove, list.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Reports: list, show, resolve.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Instance-wide domain blocks (Mastodon's severities and flags): add, remove, list.
    #[command(subcommand)]
    DomainBlocks(super::domains::DomainBlocksCommand),
    /// Allowed domains for allow-list (limited federation) mode: add, remove, list.
    #[command(subcommand)]
    DomainAllows(super::domains::DomainAllowsCommand),
}

/// `woolly admin invite`
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// How many sign-ups it allows (any number if not given).
    #[arg(long)]
    pub max_uses: Option<u64>,
    /// For how many seconds it works (forever if not given).
    #[arg(long)]
    pub expires_in: Option<u64>,
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
}

/// `woolly admin accounts …`
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Moderation: list, show, act on (suspend, silence …), undo, delete data.
    #[command(flatten)]
    Moderation(super::staff::AccountsCommand),
    /// Lists the accounts waiting for approval, and the admin's queue (what Mastodon would
    /// have e-mailed).
    Pending {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Approves an account waiting for approval: it can sign in.
    Approve {
        /// The username.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Rejects an account waiting for approval: its data is deleted.
    Reject {
        /// The username.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// `woolly admin rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Adds a rule (shown last).
    Add {
        /// The rule.
        text: String,
        /// A longer explanation.
        #[arg(long)]
        hint: Option<String>,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Removes a rule.
    Remove {
        /// The rule's id.
        id: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists the rules, in order.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// `woolly admin reports …`
#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Lists open reports (resolved ones with `--resolved`), newest first.
    List {
        /// Resolved reports instead of open ones.
        #[arg(long)]
        resolved: bool,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Shows a report as JSON.
    Show {
        /// The report's id.
        id: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Resolves a report.
    Resolve {
        /// The report's id.
        id: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn pretty(v: &Value) {
    match serde_json::to_string_pretty(v) {
        Ok(text) => println!("{text}"),
        Err(_) => println!("{v}"),
    }
}

/// Runs `woolly admin`.
pub fn run_admin(cmd: AdminCommand) -> i32 {
    match cmd {
        AdminCommand::DomainBlocks(c) => super::domains::run_blocks(c),
        AdminCommand::DomainAllows(c) => super::domains::run_allows(c),
        AdminCommand::Invite(a) => run(
            &a.common,
            AdminRequest::CreateInvite {
                max_uses: a.max_uses,
                expires_in: a.expires_in,
            },
            |v| {
                println!("{}", s(v, "code"));
                let uses = v["max_uses"]
                    .as_u64()
                    .map_or("any number of".to_owned(), |n| n.to_string());
                let until = v["expires_at"].as_str().unwrap_or("never expires");
                eprintln!("invite code for {uses} sign-ups ({until}); apps send it as invite_code");
            },
        ),
        AdminCommand::Accounts(AccountsCommand::Moderation(cmd)) => super::staff::run_accounts(cmd),
        AdminCommand::Accounts(AccountsCommand::Pending { common }) => {
            run(&common, AdminRequest::ListPendingAccounts, |v| {
                for p in v["pending"].as_array().into_iter().flatten() {
                    println!(
                        "pending\t{}\t{}\t{}\t{}",
                        s(p, "username"),
                        s(p, "email"),
                        s(p, "created_at"),
                        s(p, "reason")
                    );
                }
                for n in v["queue"].as_array().into_iter().flatten() {
                    println!(
                        "queue\t{}\t{}\t{}\t{}",
                        s(n, "kind"),
                        s(n, "username"),
                        s(n, "email"),
                        s(n, "created_at")
                    );
                }
            })
        }
        AdminCommand::Accounts(AccountsCommand::Approve { name, common }) => run(
            &common,
            AdminRequest::ApproveAccount { username: name },
            |v| println!("approved {}", s(v, "username")),
        ),
        AdminCommand::Accounts(AccountsCommand::Reject { name, common }) => run(
            &common,
            AdminRequest::RejectAccount { username: name },
            |v| println!("rejected {} (its data is deleted)", s(v, "username")),
        ),
        AdminCommand::Rules(RulesCommand::Add { text, hint, common }) => {
            run(&common, AdminRequest::AddRule { text, hint }, |v| {
                println!("added rule {}: {}", s(v, "id"), s(v, "text"));
            })
        }
        AdminCommand::Rules(RulesCommand::Remove { id, common }) => {
            run(&common, AdminRequest::RemoveRule { id }, |v| {
                println!("removed rule {}: {}", s(v, "id"), s(v, "text"));
            })
        }
        AdminCommand::Rules(RulesCommand::List { common }) => {
            run(&common, AdminRequest::ListRules, |v| {
                for r in v.as_array().into_iter().flatten() {
                    if s(r, "hint").is_empty() {
                        println!("{}\t{}", s(r, "id"), s(r, "text"));
                    } else {
                        println!("{}\t{}\t({})", s(r, "id"), s(r, "text"), s(r, "hint"));
                    }
                }
            })
        }
        AdminCommand::Reports(ReportsCommand::List { resolved, common }) => {
            run(&common, AdminRequest::ListReports { resolved }, |v| {
                for r in v.as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}\t{} -> {}\t{}",
                        s(r, "id"),
                        s(r, "state"),
                        s(r, "category"),
                        s(r, "account"),
                        s(r, "target_account"),
                        s(r, "comment").replace(['\n', '\t'], " ")
                    );
                }
            })
        }
        AdminCommand::Reports(ReportsCommand::Show { id, common }) => {
            run(&common, AdminRequest::ShowReport { id }, pretty)
        }
        AdminCommand::Reports(ReportsCommand::Resolve { id, common }) => {
            run(&common, AdminRequest::ResolveReport { id }, |v| {
                println!("resolved report {}", s(v, "id"));
            })
        }
    }
}
