//! `woolly account export NAME --what follows|followers|lists|blocks|mutes|domain-blocks|
//! bookmarks|archive --out FILE`, and the job runner `woolly serve` runs for the archives.
//!
//! The export opens the store directly, as the other `woolly account` commands do when no
//! server answers (sled takes one process per data directory, so with a server running it
//! says so: the same files are served at `/settings/exports/…` then). A CSV file is written
//! a store page at a time; the archive is written straight to `FILE` (not through the
//! durable job, which is for requests made over HTTP), with the same bounded memory.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::background::{did_work, repeat, OnStop};
use super::serve::{load_config, open_app, open_store, ConfigArgs, ServeArgs};
use crate::app::export::CsvExport;
use crate::app::App;
use crate::error::Error;

/// What `woolly account export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum What {
    /// Accounts followed (`follows.csv`).
    Follows,
    /// Followers (`followers.csv`).
    Followers,
    /// Lists and their accounts (`lists.csv`).
    Lists,
    /// Blocked accounts (`blocks.csv`).
    Blocks,
    /// Muted accounts (`mutes.csv`).
    Mutes,
    /// Blocked domains (`domain_blocks.csv`).
    DomainBlocks,
    /// Bookmarked statuses (`bookmarks.csv`).
    Bookmarks,
    /// The whole archive (`.zip`: outbox, actor, likes, bookmarks, media).
    Archive,
}

/// `woolly account export …`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The local account's username.
    pub name: String,
    /// What to export.
    #[arg(long, value_enum)]
    pub what: What,
    /// Where to write it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
}

impl What {
    fn csv(self) -> Option<CsvExport> {
        Some(match self {
            What::Follows => CsvExport::Follows,
            What::Followers => CsvExport::Followers,
            What::Lists => CsvExport::Lists,
            What::Blocks => CsvExport::Blocks,
            What::Mutes => CsvExport::Mutes,
            What::DomainBlocks => CsvExport::DomainBlocks,
            What::Bookmarks => CsvExport::Bookmarks,
            What::Archive => return None,
        })
    }
}

/// Runs `woolly account export`; the exit code.
pub fn run(args: ExportArgs) -> i32 {
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
    match rt.block_on(export(&args)) {
        Ok(summary) => {
            println!("{summary}");
            0
        }
        Err(e) => {
            eprintln!("woolly: {e}");
            1
        }
    }
}

async fn export(args: &ExportArgs) -> Result<String, Error> {
    let serve_args = ServeArgs {
        common: args.common.clone(),
        ..ServeArgs::default()
    };
    let config = load_config(&serve_args, std::env::vars())?;
    let store = open_store(&config).map_err(|e| {
        Error::Config(format!(
            "{e}; with the server running, the CSV files are at /settings/exports/ and the \
             archive at /settings/export"
        ))
    })?;
    let app = open_app(&config, &store).await?;
    let account = app.local_account_named(&args.name).await?;
    let file = std::fs::File::create(&args.out)?;
    let out = std::io::BufWriter::new(file);
    let summary = match args.what.csv() {
        Some(what) => {
            let mut out = app.export_csv(account.id, what, out).await?;
            std::io::Write::flush(&mut out)?;
            format!(
                "wrote {} of @{} to {}",
                what.file_name(),
                account.username,
                args.out.display()
            )
        }
        None => {
            let n = app.write_archive(&account, out, None).await?;
            format!(
                "wrote the archive of @{} ({n} activities) to {}",
                account.username,
                args.out.display()
            )
        }
    };
    store.flush().await?;
    Ok(summary)
}

/// How often export jobs that are due are looked for.
const JOBS_EVERY: Duration = Duration::from_secs(2);

/// Runs the durable export jobs (archives to build, archives to remove:
/// [`App::run_export_jobs`]) as they fall due, until `stop` turns true.
pub async fn run_jobs(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    // A build can take minutes: stopping abandons it (its lease ends and it is built again
    // after the restart).
    repeat(JOBS_EVERY, stop, OnStop::Abandon, || async {
        did_work("export jobs", app.run_export_jobs(1).await)
    })
    .await;
}
