//! `woolly account import NAME --type follows|lists|blocks|mutes|domain-blocks|bookmarks FILE
//! [--overwrite] [--wait]`, and the server's loop of import jobs.
//!
//! The file is checked and the import created as for `POST /settings/imports`; the id is
//! printed. When a server holds the store (its admin endpoint answers), the import is created
//! through the endpoint and the server's job runs it; `--wait` then polls the endpoint every
//! half second until it is finished (giving up, the import going on, after five minutes
//! without a row done). Without a server the store is opened directly: the
//! import is created, and with `--wait` its job runs here to the end (the `Follow`s and
//! `Block`s it sends stay in the engine's durable delivery queue until `woolly serve` runs);
//! without `--wait` the next `woolly serve` runs it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};

use super::admin::s;
use super::background::{did_work, repeat, OnStop};
use super::serve::{load_config, open_app, open_store, ConfigArgs, ServeArgs};
use crate::app::import::ImportType;
use crate::app::App;
use crate::error::Error;
use crate::http::admin::{AdminClient, AdminRequest};

/// How long `--wait` waits without a row done before it gives up (the import goes on).
const STALLED: Duration = Duration::from_secs(300);

/// `woolly account import …`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The local account's username.
    pub name: String,
    /// What the file holds: `follows`, `lists`, `blocks`, `mutes`, `domain-blocks` or
    /// `bookmarks`.
    #[arg(long = "type")]
    pub kind: String,
    /// The CSV file (Mastodon's export format).
    pub file: PathBuf,
    /// Overwrite: undo what the file does not hold (else merge).
    #[arg(long)]
    pub overwrite: bool,
    /// Wait until the import is finished and print its counts.
    #[arg(long)]
    pub wait: bool,
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
}

/// Runs `woolly account import`.
pub fn run(args: ImportArgs) -> i32 {
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
    match rt.block_on(import(args)) {
        Ok(v) => {
            if v["state"] == "finished" {
                println!(
                    "finished: {} imported, {} failed, {} skipped of {}",
                    v["imported_items"], v["failed_items"], v["skipped_items"], v["total_items"]
                );
            }
            0
        }
        Err(e) => {
            eprintln!("woolly: {e}");
            1
        }
    }
}

async fn import(args: ImportArgs) -> Result<Value, Error> {
    use base64::Engine as _;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", args.file.display())))?;
    let request = AdminRequest::Import {
        username: args.name.clone(),
        kind: args.kind.clone(),
        overwrite: args.overwrite,
        data: base64::engine::general_purpose::STANDARD.encode(&bytes),
        filename: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let serve_args = ServeArgs {
        common: args.common.clone(),
        ..ServeArgs::default()
    };
    let config = load_config(&serve_args, std::env::vars())?;
    if let Some(client) = AdminClient::from_data_dir(&config.data_dir) {
        if client.healthy().await {
            let mut v = client.execute(&request).await?;
            println!("{}", s(&v, "id"));
            if args.wait {
                let status = AdminRequest::ImportStatus {
                    username: args.name.clone(),
                    id: s(&v, "id").to_owned(),
                };
                let mut progress = (v["processed_items"].clone(), std::time::Instant::now());
                while v["state"] != "finished" {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    v = client.execute(&status).await?;
                    if v["processed_items"] != progress.0 {
                        progress = (v["processed_items"].clone(), std::time::Instant::now());
                    } else if progress.1.elapsed() > STALLED {
                        return Err(Error::Config(format!(
                            "no row done in {} s; the server keeps the import and goes on \
                             with it (`{}` of {} rows done)",
                            STALLED.as_secs(),
                            v["processed_items"],
                            v["total_items"]
                        )));
                    }
                }
            }
            return Ok(v);
        }
    }
    let store = open_store(&config)?;
    let app = open_app(&config, &store).await?;
    let mut v = execute(&app, request).await?;
    println!("{}", s(&v, "id"));
    if args.wait {
        app.run_import_jobs_to_end().await?;
        v = execute(
            &app,
            AdminRequest::ImportStatus {
                username: args.name,
                id: s(&v, "id").to_owned(),
            },
        )
        .await?;
    }
    store.flush().await?;
    Ok(v)
}

/// Runs [`AdminRequest::Import`] and [`AdminRequest::ImportStatus`] on an app (the admin
/// endpoint's side, or the store opened directly).
pub async fn execute(app: &App, request: AdminRequest) -> Result<Value, Error> {
    let local = |username: String| async move {
        app.account_by_acct(&username)
            .await?
            .filter(|a| a.is_local())
            .ok_or_else(|| Error::NotFound(format!("no local account {username:?}")))
    };
    match request {
        AdminRequest::Import {
            username,
            kind,
            overwrite,
            data,
            filename,
        } => {
            use base64::Engine as _;
            let a = local(username).await?;
            let kind = ImportType::parse(&kind).ok_or_else(|| {
                Error::Unprocessable(format!(
                    "unknown type {kind:?}: follows, lists, blocks, mutes, domain-blocks or \
                     bookmarks"
                ))
            })?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .map_err(|e| Error::BadRequest(format!("data: {e}")))?;
            let rec = app
                .create_import(a.id, kind, overwrite, &bytes, filename)
                .await?;
            Ok(rec.to_json())
        }
        AdminRequest::ImportStatus { username, id } => {
            let a = local(username).await?;
            let id = id
                .parse::<u64>()
                .map_err(|_| Error::NotFound(format!("import {id}")))?;
            Ok(app.import(a.id, id).await?.to_json())
        }
        _ => Ok(json!({})),
    }
}

/// How often import jobs that are due are looked for.
const IMPORT_JOBS_EVERY: Duration = Duration::from_millis(500);

/// Runs the import jobs ([`App::run_import_jobs_until`]) as they fall due, one chunk at a
/// time, until `stop` turns true. A chunk still resolving when `stop` turns is left: it runs
/// again after its lease ends; one applying its rows finishes first (see `app::import::job`).
pub(crate) async fn run_import_jobs(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    let watch = stop.clone();
    repeat(IMPORT_JOBS_EVERY, stop, OnStop::Finish, || {
        let (app, watch) = (&app, watch.clone());
        async move {
            did_work(
                "import jobs",
                app.run_import_jobs_until(1, Some(watch)).await,
            )
        }
    })
    .await;
}
