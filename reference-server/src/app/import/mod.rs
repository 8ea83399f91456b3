//! Imports of Mastodon's CSV files (follows, lists, blocks, mutes, domain blocks, bookmarks),
//! `merge` or `overwrite`, as a durable job (Mastodon's `BulkImport`).
//!
//! - [`parse`]: the file is read and checked whole before anything is stored; a bad file is
//!   refused with [`Error::BadImportFile`] (413 too large, 415 not text, 422 else), a bad row
//!   is kept with the reason it is skipped.
//! - [`App::create_import`] stores the import ([`ImportRecord`], namespace `imports`, listed in
//!   `imports_of:{account}`) and its rows ([`RowRecord`], namespace `imports.rows`, keyed
//!   `{import}:{row:06}`) in one batch, then enqueues a job on the store's queue
//!   `app.imports`.
//! - [`App::run_import_jobs`] (module [`job`]) runs it: rows in file order, a chunk at a time;
//!   see there for the budget of remote resolutions and for what survives a restart.
//!
//! The HTTP side is in `api/imports.rs` (`/settings/imports…`), the command line in
//! `cli/import.rs`; the web page comes with issue #20.

pub mod job;
pub mod parse;

use fedi_storage::{CollectionStoreExt, NewJob, WriteBatch};
use serde::{Deserialize, Serialize};

pub use parse::{BadFile, ImportType, Item, ParsedRow, Skipped};

use crate::app::App;
use crate::error::Error;

/// Namespace of the imports (id → [`ImportRecord`]).
pub(crate) const NS_IMPORTS: &str = "imports";
/// Namespace of the rows (`{import}:{row:06}` → [`RowRecord`]).
pub(crate) const NS_ROWS: &str = "imports.rows";
/// The durable queue of import jobs.
pub(crate) const QUEUE: &str = "app.imports";

/// The collection of an account's imports.
fn imports_of(account: u64) -> String {
    format!("imports_of:{account}")
}

fn row_key(import: u64, row: u64) -> String {
    format!("{import}:{row:06}")
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Waiting for the job.
    Scheduled,
    /// Some rows are done.
    InProgress,
    /// Every row is done, failed or skipped.
    Finished,
}

/// An import (Mastodon's `BulkImport`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// Its id.
    pub id: u64,
    /// Whose.
    pub account_id: u64,
    /// What the file holds.
    #[serde(rename = "type")]
    pub kind: ImportType,
    /// `overwrite` (else `merge`).
    pub overwrite: bool,
    /// Where it is.
    pub state: ImportState,
    /// The file's name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Rows in the file.
    pub total: u64,
    /// Rows done, failed or skipped.
    pub processed: u64,
    /// Rows done.
    pub imported: u64,
    /// Rows that failed (the account or status could not be found, the action was refused).
    pub failed: u64,
    /// Rows skipped (malformed).
    pub skipped: u64,
    /// The next row to run.
    pub next_row: u64,
    /// The `overwrite` pass (undoing what the file does not hold) is done.
    pub prepared: bool,
    /// When it was created (ms).
    pub created_at: u64,
    /// When it finished (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Done (or already so).
    Done,
    /// Could not be done.
    Failed {
        /// Why.
        reason: String,
    },
    /// Malformed: not tried.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One row of an import and, once run, its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowRecord {
    /// Its line in the file.
    pub line: u64,
    /// What it asks for, or why it is skipped.
    pub item: Result<Item, Skipped>,
    /// What became of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl ImportRecord {
    /// The import as the HTTP side and the command line show it (the names of Mastodon's
    /// `BulkImport` columns; times in RFC 3339).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "type": self.kind.as_str(),
            "mode": if self.overwrite { "overwrite" } else { "merge" },
            "state": self.state,
            "original_filename": self.filename,
            "total_items": self.total,
            "processed_items": self.processed,
            "imported_items": self.imported,
            "failed_items": self.failed,
            "skipped_items": self.skipped,
            "created_at": crate::app::activitypub::rfc3339(self.created_at),
            "finished_at": self.finished_at.map(crate::app::activitypub::rfc3339),
        })
    }
}

impl App {
    /// Reads `bytes` as a file of `kind` and, if it can be imported, stores the import and its
    /// rows and enqueues its job; a bad file is refused before anything is stored. Rows that
    /// cannot be used are counted as skipped at once.
    pub async fn create_import(
        &self,
        account_id: u64,
        kind: ImportType,
        overwrite: bool,
        bytes: &[u8],
        filename: Option<String>,
    ) -> Result<ImportRecord, Error> {
        let owner = self.account(account_id).await?;
        if !owner.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        let rows = parse::parse(kind, bytes, self.config().domain())?;
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let skipped = rows.iter().filter(|r| r.item.is_err()).count() as u64;
        let record = ImportRecord {
            id,
            account_id,
            kind,
            overwrite,
            state: ImportState::Scheduled,
            filename,
            total: rows.len() as u64,
            processed: skipped,
            imported: 0,
            failed: 0,
            skipped,
            next_row: 0,
            prepared: false,
            created_at: now,
            finished_at: None,
        };
        let mut batch = WriteBatch::new()
            .kv_put(NS_IMPORTS, id.to_string(), serde_json::to_vec(&record)?)
            .insert(imports_of(account_id), id, id.to_string());
        for (i, r) in rows.into_iter().enumerate() {
            let outcome = r.item.as_ref().err().map(|s| Outcome::Skipped {
                reason: s.reason.clone(),
            });
            let row = RowRecord {
                line: r.line,
                item: r.item,
                outcome,
            };
            batch = batch.kv_put(NS_ROWS, row_key(id, i as u64), serde_json::to_vec(&row)?);
        }
        self.store().apply(&batch).await?;
        self.enqueue_import_job(id).await?;
        Ok(record)
    }

    /// Enqueues a run of import `id`, due now.
    pub(crate) async fn enqueue_import_job(&self, id: u64) -> Result<(), Error> {
        let job = NewJob::new(
            "import",
            serde_json::to_vec(&job::JobPayload { import: id })?,
            self.now(),
        )
        .with_max_attempts(job::ATTEMPTS);
        self.store().enqueue(QUEUE, &job).await?;
        Ok(())
    }

    /// `account_id`'s import `id` (not found if it is someone else's).
    pub async fn import(&self, account_id: u64, id: u64) -> Result<ImportRecord, Error> {
        match self
            .get::<ImportRecord>(NS_IMPORTS, &id.to_string())
            .await?
        {
            Some(r) if r.account_id == account_id => Ok(r),
            _ => Err(Error::NotFound(format!("import {id}"))),
        }
    }

    /// `account_id`'s imports, newest first.
    pub async fn imports_of(&self, account_id: u64) -> Result<Vec<ImportRecord>, Error> {
        let ids: Vec<String> = self
            .store()
            .all_members(&imports_of(account_id), 200)
            .await?
            .into_iter()
            .map(|i| i.member)
            .collect();
        Ok(self
            .get_many::<ImportRecord>(NS_IMPORTS, &ids)
            .await?
            .into_iter()
            .flatten()
            .filter(|r| r.account_id == account_id)
            .collect())
    }

    /// Rows of `account_id`'s import `id` in file order, after row `after` (exclusive), at
    /// most `limit`, with their index.
    pub async fn import_rows(
        &self,
        account_id: u64,
        id: u64,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, RowRecord)>, Error> {
        self.import(account_id, id).await?;
        self.rows_from(id, after.map_or(0, |a| a + 1), limit).await
    }

    /// Rows of import `id` from index `from`, at most `limit`.
    pub(crate) async fn rows_from(
        &self,
        id: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RowRecord)>, Error> {
        let prefix = format!("{id}:");
        let after = from.checked_sub(1).map(|f| row_key(id, f).into_bytes());
        let found = self
            .store()
            .kv_scan(NS_ROWS, prefix.as_bytes(), after.as_deref(), limit)
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for (k, v) in found {
            let idx = std::str::from_utf8(&k)
                .ok()
                .and_then(|k| k.strip_prefix(&prefix))
                .and_then(|i| i.parse::<u64>().ok());
            let (Some(idx), Ok(row)) = (idx, serde_json::from_slice::<RowRecord>(&v)) else {
                tracing::warn!(import = id, "unreadable import row left out");
                continue;
            };
            out.push((idx, row));
        }
        Ok(out)
    }

    /// The rows of a finished import that failed, as a CSV file of the import's own type
    /// (Mastodon's `failures.csv`: the same columns, so that it can be imported again once
    /// fixed). Not found until the import is finished, as on Mastodon.
    pub async fn import_failures_csv(&self, account_id: u64, id: u64) -> Result<String, Error> {
        let rec = self.import(account_id, id).await?;
        if rec.state != ImportState::Finished {
            return Err(Error::NotFound(format!("import {id} is not finished")));
        }
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        let csv_err = |e: csv::Error| Error::Io(std::io::Error::other(e));
        match rec.kind {
            ImportType::Following => w
                .write_record([
                    "Account address",
                    "Show boosts",
                    "Notify on new posts",
                    "Languages",
                ])
                .map_err(csv_err)?,
            ImportType::Muting => w
                .write_record(["Account address", "Hide notifications"])
                .map_err(csv_err)?,
            _ => {}
        }
        let mut from = 0;
        loop {
            let rows = self.rows_from(id, from, 500).await?;
            let Some((last, _)) = rows.last() else { break };
            from = last + 1;
            for (_, row) in rows {
                if !matches!(row.outcome, Some(Outcome::Failed { .. })) {
                    continue;
                }
                let Ok(item) = row.item else { continue };
                let cells: Vec<String> = match item {
                    Item::Account {
                        acct,
                        show_reblogs,
                        notify,
                        languages,
                        hide_notifications,
                    } => match rec.kind {
                        ImportType::Following => vec![
                            acct,
                            show_reblogs.unwrap_or(true).to_string(),
                            notify.unwrap_or(false).to_string(),
                            languages.map(|l| l.join(", ")).unwrap_or_default(),
                        ],
                        ImportType::Muting => {
                            vec![acct, hide_notifications.unwrap_or(true).to_string()]
                        }
                        _ => vec![acct],
                    },
                    Item::ListMember { list, acct } => vec![list, acct],
                    Item::Domain { domain } => vec![domain],
                    Item::Status { uri } => vec![uri],
                };
                w.write_record(&cells).map_err(csv_err)?;
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        String::from_utf8(bytes).map_err(|e| Error::Io(std::io::Error::other(e)))
    }
}
