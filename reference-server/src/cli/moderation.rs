//! `woolly admin …`: the instance's moderation and sign-up commands, like Mastodon's
//! `tootctl` (through the running server's admin endpoint, or the store, as the other admin
//! commands: see [`super::admin`]).

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

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Runs `woolly admin`.
pub fn run_admin(cmd: AdminCommand) -> i32 {
    match cmd {
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
    }
}
