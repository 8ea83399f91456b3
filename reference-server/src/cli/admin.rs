//! The admin subcommands: `account`, `domain-block`, `lookup`, `token` (and `emoji`, in
//! [`super::emoji`]).
//!
//! Each works whether the server is running or not: when the data directory holds a running
//! server's admin address and secret and the server answers, the operation goes through its
//! loopback admin endpoint; otherwise the store is opened directly (sled allows one process
//! per store). Opened directly, a data directory not yet bound to a base URL stays unbound
//! unless a base URL was given (file or `WOOLLY_BASE_URL`), and a bound one is used with its
//! own base URL when none was given (see `serve::open_app`).

use clap::{Args, Subcommand};
use serde_json::Value;

use super::serve::{bound_base_url, load_config, open_app, open_store, ConfigArgs, ServeArgs};
use crate::error::Error;
use crate::http::admin::{execute, AdminClient, AdminRequest};

/// `woolly account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Creates a local account.
    Create {
        /// The username (letters, digits and `_`).
        name: String,
        /// A password (for the client API's login).
        #[arg(long)]
        password: Option<String>,
        /// Follows need approval.
        #[arg(long)]
        locked: bool,
        /// Its role: `owner`, `admin` or `moderator` (none: a plain user).
        #[arg(long)]
        role: Option<String>,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Gives a local account a role: `owner`, `admin`, `moderator` or `user`.
    Role {
        /// The username.
        name: String,
        /// The role.
        role: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists local accounts.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Exports a local account's data in Mastodon's formats: a CSV file or the archive.
    Export(super::export::ExportArgs),
    /// Password, authorized applications, deletion ([`super::lifecycle`]).
    #[command(flatten)]
    Lifecycle(super::lifecycle::LifecycleCommand),
    /// Imports a CSV file in Mastodon's format (follows, lists, blocks, mutes, domain blocks,
    /// bookmarks) as a background job; prints the import's id.
    Import(super::import::ImportArgs),
    /// Manages an account's aliases (`alsoKnownAs`), the accounts that may move to it.
    #[command(subcommand)]
    Alias(super::migration::AliasCommand),
    /// Moves a local account to another (which lists it among its aliases).
    Move(super::migration::MoveArgs),
}

/// `woolly domain-block …`
#[derive(Debug, Subcommand)]
pub enum DomainBlockCommand {
    /// Blocks a domain: its activities are refused and nothing is delivered to it.
    Add {
        /// The domain.
        domain: String,
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
    /// Lists blocked domains.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// `woolly lookup HANDLE|URL`
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// `@user@domain` or a URL.
    pub query: String,
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
}

/// `woolly token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a client-API bearer token for a local account and prints it.
    Create {
        /// The account's username.
        name: String,
        /// Space-separated scopes.
        #[arg(long, default_value = "read write follow")]
        scopes: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// Runs `woolly account`.
pub fn run_account(cmd: AccountCommand) -> i32 {
    match cmd {
        AccountCommand::Create {
            name,
            password,
            locked,
            role,
            common,
        } => run(
            &common,
            AdminRequest::CreateAccount {
                username: name,
                password,
                locked,
                role,
            },
            |v| match s(v, "role") {
                "" | "user" => println!("created {} ({})", s(v, "acct"), s(v, "actor")),
                role => println!("created {} ({}, role {role})", s(v, "acct"), s(v, "actor")),
            },
        ),
        AccountCommand::Role { name, role, common } => run(
            &common,
            AdminRequest::SetRole {
                username: name,
                role,
            },
            |v| println!("{} is now {}", s(v, "acct"), s(v, "role")),
        ),
        AccountCommand::Export(args) => super::export::run(args),
        AccountCommand::Lifecycle(cmd) => super::lifecycle::run_lifecycle(cmd),
        AccountCommand::Import(args) => super::import::run(args),
        AccountCommand::Alias(cmd) => super::migration::run_alias(cmd),
        AccountCommand::Move(args) => super::migration::run_move(args),
        AccountCommand::List { common } => run(&common, AdminRequest::ListAccounts, |v| {
            for a in v.as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    s(a, "acct"),
                    s(a, "actor"),
                    if a["locked"].as_bool() == Some(true) {
                        "locked"
                    } else {
                        "open"
                    }
                );
            }
        }),
    }
}

/// Runs `woolly domain-block`.
pub fn run_domain_block(cmd: DomainBlockCommand) -> i32 {
    match cmd {
        DomainBlockCommand::Add { domain, common } => {
            run(&common, AdminRequest::BlockDomain { domain }, |v| {
                if v["added"].as_bool() == Some(true) {
                    println!("blocked {}", s(v, "domain"));
                } else {
                    println!("{} was already blocked", s(v, "domain"));
                }
            })
        }
        DomainBlockCommand::Remove { domain, common } => {
            run(&common, AdminRequest::UnblockDomain { domain }, |v| {
                if v["removed"].as_bool() == Some(true) {
                    println!("unblocked {}", s(v, "domain"));
                } else {
                    println!("{} was not blocked", s(v, "domain"));
                }
            })
        }
        DomainBlockCommand::List { common } => run(&common, AdminRequest::ListDomainBlocks, |v| {
            for b in v.as_array().into_iter().flatten() {
                println!("{}", s(b, "domain"));
            }
        }),
    }
}

/// Runs `woolly lookup`.
pub fn run_lookup(args: LookupArgs) -> i32 {
    run(
        &args.common,
        AdminRequest::Lookup { query: args.query },
        |v| match serde_json::to_string_pretty(v) {
            Ok(text) => println!("{text}"),
            Err(_) => println!("{v}"),
        },
    )
}

/// Runs `woolly token`.
pub fn run_token(cmd: TokenCommand) -> i32 {
    match cmd {
        TokenCommand::Create {
            name,
            scopes,
            common,
        } => run(
            &common,
            AdminRequest::CreateToken {
                username: name,
                scopes,
            },
            |v| println!("{}", s(v, "token")),
        ),
    }
}

pub(super) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn run(common: &ConfigArgs, op: AdminRequest, print: impl FnOnce(&Value)) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("woolly: cannot start the runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(perform(common, op)) {
        Ok(v) => {
            print(&v);
            0
        }
        Err(e) => {
            eprintln!("woolly: {e}");
            1
        }
    }
}

/// Runs an admin operation: through the running server's admin endpoint if there is one,
/// else on the store directly.
pub async fn perform(common: &ConfigArgs, op: AdminRequest) -> Result<Value, Error> {
    let mut results = perform_all(common, vec![op]).await?;
    results
        .pop()
        .unwrap_or_else(|| Err(Error::Config("no result".into())))
}

/// Runs several admin operations in order, each with its own result, reaching the server
/// (or opening the store) once: `Err` only when neither can be reached.
pub async fn perform_all(
    common: &ConfigArgs,
    ops: Vec<AdminRequest>,
) -> Result<Vec<Result<Value, Error>>, Error> {
    let args = ServeArgs {
        common: common.clone(),
        ..ServeArgs::default()
    };
    let config = load_config(&args, std::env::vars())?;
    if let Some(client) = AdminClient::from_data_dir(&config.data_dir) {
        if client.healthy().await {
            let mut results = Vec::with_capacity(ops.len());
            for op in &ops {
                results.push(client.execute(op).await);
            }
            return Ok(results);
        }
    }
    let store = open_store(&config)?;
    let app = open_app(&config, &store).await?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(execute(&app, op).await);
    }
    if bound_base_url(&store).await?.is_none() {
        eprintln!(
            "woolly: note: the data directory {} is not bound to a base URL yet; `woolly serve` \
             binds it to the base URL it is given, and the accounts made here move to it",
            config.data_dir.display()
        );
    }
    store.flush().await?;
    Ok(results)
}
