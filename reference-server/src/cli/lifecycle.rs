//! `woolly account password|apps|delete`: an account's lifecycle from the command line,
//! through the running server's admin endpoint or the store (as the other admin commands,
//! [`super::admin`]). Whoever runs it acts as the operator: no current password is asked.

use std::io::Read as _;

use clap::Subcommand;
use serde_json::Value;

use super::admin::{run, s};
use super::serve::ConfigArgs;
use crate::http::admin::AdminRequest;

/// The lifecycle subcommands of `woolly account`.
#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Sets a local account's password (Mastodon's rules: 8 to 72 characters).
    Password {
        /// The username.
        name: String,
        /// The new password. It is then visible to other users of the machine (`ps`) and
        /// kept in the shell's history: prefer `--password-stdin`.
        #[arg(
            long,
            conflicts_with = "password_stdin",
            required_unless_present = "password_stdin"
        )]
        password: Option<String>,
        /// Reads the new password from standard input (its first line), which keeps it out
        /// of the process list and the shell's history.
        #[arg(long)]
        password_stdin: bool,
        /// Revokes every token of the account too (every application is signed out).
        #[arg(long)]
        revoke_tokens: bool,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists the applications holding tokens for a local account, or revokes one.
    Apps {
        /// The username.
        name: String,
        /// Revokes this application (its id as listed): all its tokens for the account.
        #[arg(long, value_name = "APP_ID")]
        revoke: Option<String>,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Deletes a local account: a `Delete` of its actor goes to every known instance, its
    /// data is removed, its name stays reserved. Cannot be undone.
    Delete {
        /// The username.
        name: String,
        /// Confirms the deletion (required).
        #[arg(long)]
        yes: bool,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// Runs a lifecycle subcommand.
pub fn run_lifecycle(cmd: LifecycleCommand) -> i32 {
    match cmd {
        LifecycleCommand::Password {
            name,
            password,
            password_stdin,
            revoke_tokens,
            common,
        } => {
            let password = match (password, password_stdin) {
                (Some(p), _) => p,
                (None, _) => match read_stdin_line() {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("woolly: cannot read the password from standard input: {e}");
                        return 1;
                    }
                },
            };
            run(
                &common,
                AdminRequest::SetPassword {
                    username: name,
                    password,
                    revoke_tokens,
                },
                |v| {
                    println!("password of {} changed", s(v, "acct"));
                    if revoke_tokens {
                        println!(
                            "{} tokens revoked",
                            v["revoked_tokens"].as_u64().unwrap_or(0)
                        );
                    }
                },
            )
        }
        LifecycleCommand::Apps {
            name,
            revoke: Some(app_id),
            common,
        } => run(
            &common,
            AdminRequest::RevokeAuthorizedApp {
                username: name,
                app_id,
            },
            |v| {
                println!(
                    "revoked application {} for {} ({} tokens)",
                    s(v, "app_id"),
                    s(v, "acct"),
                    v["revoked_tokens"].as_u64().unwrap_or(0)
                );
            },
        ),
        LifecycleCommand::Apps {
            name,
            revoke: None,
            common,
        } => run(
            &common,
            AdminRequest::ListAuthorizedApps { username: name },
            |v| {
                for a in v.as_array().into_iter().flatten() {
                    let scopes: Vec<&str> = a["scopes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    println!(
                        "{}\t{}\t{}\t{}\tauthorized {}\tlast used {}",
                        s(a, "id"),
                        s(a, "name"),
                        a["website"].as_str().unwrap_or("-"),
                        scopes.join(" "),
                        s(a, "created_at"),
                        a["last_used_at"].as_str().unwrap_or("unknown"),
                    );
                }
            },
        ),
        LifecycleCommand::Delete { name, yes, common } => {
            if !yes {
                eprintln!(
                    "woolly: deleting {name} cannot be undone; run again with --yes to confirm"
                );
                return 2;
            }
            run(
                &common,
                AdminRequest::DeleteAccount { username: name },
                |v| println!("deleted {} ({})", s(v, "acct"), s(v, "actor")),
            )
        }
    }
}

/// The first line of standard input, without its line ending.
fn read_stdin_line() -> std::io::Result<String> {
    let mut buf = String::new();
    std::io::stdin().take(4096).read_to_string(&mut buf)?;
    let line = buf.lines().next().unwrap_or("").to_owned();
    Ok(line)
}
