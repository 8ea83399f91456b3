//! `woolly admin accounts …`: moderation of accounts from the command line, like Mastodon's
//! `tootctl accounts`, through the running server's admin endpoint or the store (as the
//! other admin commands, [`super::admin`]). Whoever runs it acts as the owner.

use clap::Subcommand;
use serde_json::Value;

use super::admin::{run, s};
use super::serve::ConfigArgs;
use crate::http::admin::AdminRequest;

/// `woolly admin accounts …`: moderation (with the sign-up ones of
/// [`super::moderation::AccountsCommand`]).
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Lists accounts, newest first.
    List {
        /// Local accounts only.
        #[arg(long, conflicts_with = "remote")]
        local: bool,
        /// Remote accounts only.
        #[arg(long)]
        remote: bool,
        /// Only those `active`, `disabled`, `silenced`, `suspended` or `sensitized`.
        #[arg(long)]
        status: Option<String>,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Shows an account's moderation state.
    Show {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Acts on an account: `--type none|sensitive|disable|silence|suspend`.
    Action {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// The action.
        #[arg(long = "type")]
        kind: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lifts a suspension (within 30 days).
    Unsuspend {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lifts a silence.
    Unsilence {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lifts the sensitive mark.
    Unsensitive {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Enables a disabled login.
    Enable {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Deletes the data of a suspended account now (sends a `Delete` of a local actor).
    Delete {
        /// `user`, `user@domain` or an account id.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

fn line(a: &Value) -> String {
    let mut state: Vec<&str> = Vec::new();
    if a["deleted"].as_bool() == Some(true) {
        state.push("deleted");
    }
    for (key, word) in [
        ("suspended_at", "suspended"),
        ("silenced_at", "silenced"),
        ("sensitized_at", "sensitized"),
    ] {
        if a[key].is_string() {
            state.push(word);
        }
    }
    if a["disabled"].as_bool() == Some(true) {
        state.push("disabled");
    }
    if a["suspended_by_origin"].as_bool() == Some(true) {
        state.push("suspended-by-origin");
    }
    if state.is_empty() {
        state.push("active");
    }
    format!(
        "{}\t{}\t{}\t{}",
        s(a, "id"),
        s(a, "acct"),
        a["role"].as_str().unwrap_or("-"),
        state.join(",")
    )
}

fn act(name: String, action: &str, common: &ConfigArgs) -> i32 {
    run(
        common,
        AdminRequest::ModerationAction {
            account: name,
            action: action.to_owned(),
        },
        |v| println!("{}", line(v)),
    )
}

/// Runs `woolly admin accounts list|show|action|…`.
pub(super) fn run_accounts(cmd: AccountsCommand) -> i32 {
    match cmd {
        AccountsCommand::List {
            local,
            remote,
            status,
            common,
        } => {
            let local = match (local, remote) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            run(
                &common,
                AdminRequest::ModerationList { local, status },
                |v| {
                    for a in v.as_array().into_iter().flatten() {
                        println!("{}", line(a));
                    }
                },
            )
        }
        AccountsCommand::Show { name, common } => run(
            &common,
            AdminRequest::ModerationShow { account: name },
            |v| match serde_json::to_string_pretty(v) {
                Ok(text) => println!("{text}"),
                Err(_) => println!("{v}"),
            },
        ),
        AccountsCommand::Action { name, kind, common } => act(name, &kind, &common),
        AccountsCommand::Unsuspend { name, common } => act(name, "unsuspend", &common),
        AccountsCommand::Unsilence { name, common } => act(name, "unsilence", &common),
        AccountsCommand::Unsensitive { name, common } => act(name, "unsensitive", &common),
        AccountsCommand::Enable { name, common } => act(name, "enable", &common),
        AccountsCommand::Delete { name, common } => act(name, "delete", &common),
    }
}
