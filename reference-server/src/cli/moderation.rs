//! `woolly admin …`: moderation from the command line, like Mastodon's `tootctl`: the
//! instance's rules and reports. Each works whether the server runs or not, as the other
//! admin commands (`cli::admin::run`).

use clap::Subcommand;
use serde_json::Value;

use super::admin::run;
use super::serve::ConfigArgs;
use crate::http::admin::AdminRequest;

/// `woolly admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The instance's rules: add, remove, list.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Reports: list, show, resolve.
    #[command(subcommand)]
    Reports(ReportsCommand),
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
