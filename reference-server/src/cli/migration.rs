//! `woolly account alias add|remove|list NAME HANDLE` and `woolly account move NAME HANDLE`:
//! account migration from the command line, through the running server's admin endpoint or
//! the store (see [`super::admin`]).

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::admin::{run, s};
use super::serve::ConfigArgs;
use crate::app::App;
use crate::error::Error;
use crate::http::admin::AdminRequest;

/// `woolly account alias …`
#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Adds an alias: the account (`@user@host`, resolved through WebFinger, or a local
    /// username) may then move to this one.
    Add {
        /// The local account's username.
        name: String,
        /// The other account: `@user@host`, a local username, or an actor IRI.
        handle: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Removes an alias.
    Remove {
        /// The local account's username.
        name: String,
        /// The alias: `@user@host`, a local username, or the actor IRI.
        handle: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists an account's aliases (actor IRIs).
    List {
        /// The local account's username.
        name: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// `woolly account move NAME @new@host`
#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The local account that moves.
    pub name: String,
    /// The account it moves to (which lists it among its aliases).
    pub handle: String,
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
}

fn request(username: String, action: &str, handle: Option<String>) -> AdminRequest {
    AdminRequest::Migration {
        username,
        action: action.to_owned(),
        handle,
    }
}

fn print_aliases(v: &Value) {
    for a in v["aliases"].as_array().into_iter().flatten() {
        println!("{}", a.as_str().unwrap_or_default());
    }
}

/// Runs `woolly account alias`.
pub fn run_alias(cmd: AliasCommand) -> i32 {
    match cmd {
        AliasCommand::Add {
            name,
            handle,
            common,
        } => run(
            &common,
            request(name, "alias_add", Some(handle)),
            print_aliases,
        ),
        AliasCommand::Remove {
            name,
            handle,
            common,
        } => run(
            &common,
            request(name, "alias_remove", Some(handle)),
            print_aliases,
        ),
        AliasCommand::List { name, common } => {
            run(&common, request(name, "alias_list", None), print_aliases)
        }
    }
}

/// Runs `woolly account move`.
pub fn run_move(args: MoveArgs) -> i32 {
    run(
        &args.common,
        request(args.name, "move", Some(args.handle)),
        |v| println!("{} moved to {}", s(v, "acct"), s(v, "moved_to")),
    )
}

/// Performs a migration admin request on `app`.
pub(crate) async fn execute(
    app: &App,
    username: &str,
    action: &str,
    handle: Option<&str>,
) -> Result<Value, Error> {
    let a = app
        .account_by_acct(username)
        .await?
        .filter(|a| a.is_local())
        .ok_or_else(|| Error::NotFound(format!("no local account {username:?}")))?;
    let handle = || handle.ok_or_else(|| Error::BadRequest("an account handle is needed".into()));
    let aliases = match action {
        "alias_add" => app.add_alias(a.id, handle()?).await?,
        "alias_remove" => app.remove_alias(a.id, handle()?).await?,
        "alias_list" => app.aliases(a.id).await?,
        "move" => {
            let moved = app.move_account(a.id, handle()?).await?;
            return Ok(json!({
                "acct": moved.acct(),
                "moved_to": moved.migration.moved_to_uri,
            }));
        }
        other => return Err(Error::BadRequest(format!("unknown action {other:?}"))),
    };
    Ok(json!({ "acct": a.acct(), "aliases": aliases }))
}
