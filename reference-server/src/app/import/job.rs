//! The import job: [`App::run_import_jobs`].
//!
//! - **In order, a chunk at a time.** A leased job runs the `overwrite` pass once (Mastodon's
//!   `BulkImportService`: follows, blocks, mutes, domain blocks and bookmarks not in the file
//!   are undone; lists not in the file are deleted and the others emptied), then the next
//!   [`CHUNK`] rows in file order. The chunk's outcomes, the counts and the cursor are
//!   written in one batch; then a job for the next chunk is enqueued and the current one
//!   acknowledged.
//! - **Budget.** The accounts a chunk names are resolved (WebFinger + actor fetch, through
//!   [`App::resolve_handle`]), and its statuses (by URI, local URL or a signed fetch), before
//!   its rows are applied, at most [`RESOLVE_CONCURRENCY`] at
//!   once and at most [`PER_HOST`] at once per host, hosts taken in turn: 10,000 rows across
//!   1,000 hosts never open more than 8 connections for resolution at a time. Known accounts
//!   cost no request. Activities (a `Follow`, a `Block`) go through the engine's durable
//!   delivery queue as for any follow.
//! - **Restarts.** Nothing is kept in memory between chunks. A process stopped mid-chunk
//!   leaves the job leased; it is leased again when its lease ([`LEASE`]) ends and the chunk
//!   runs again from its first row. No row is lost (the cursor moves only with the outcomes)
//!   and none is done twice: every action checks first whether it is done already (a follow
//!   or request on record, a block, a mute with the same setting, a bookmark, a list
//!   member), so a row run again finds it done and sends nothing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{CollectionStoreExt, LeaseRequest, WriteBatch};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::{row_key, ImportRecord, ImportState, ImportType, Item, Outcome, NS_IMPORTS, NS_ROWS};
use crate::app::model::{coll, ns, pair, Account, MuteRecord};
use crate::app::App;
use crate::error::Error;

/// Rows run per job.
pub const CHUNK: usize = 64;
/// Remote accounts resolved at once.
pub const RESOLVE_CONCURRENCY: usize = 8;
/// Remote accounts of one host resolved at once.
pub const PER_HOST: usize = 2;
/// How long a leased job is held before it can be leased again.
pub const LEASE: Duration = Duration::from_secs(20);
/// Attempts of a job before it becomes a dead letter.
pub(crate) const ATTEMPTS: u32 = 16;

/// An account or a status a row names, resolved.
enum Found {
    Account(Box<Account>),
    Status(Box<crate::app::model::Status>),
}

/// What a row's account or status resolved to, or why it could not be.
type Resolved = Result<Found, String>;

/// A job: run the next chunk of an import.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct JobPayload {
    pub(crate) import: u64,
}

impl App {
    /// Runs the import jobs that are due (at most `limit`, one chunk each). Returns how many
    /// were leased; a job that fails (a store error) is tried again later.
    pub async fn run_import_jobs(&self, limit: usize) -> Result<usize, Error> {
        self.run_import_jobs_until(limit, None).await
    }

    /// [`App::run_import_jobs`], stopping when `stop` turns true while a chunk's accounts and
    /// statuses are being resolved (the only long wait): the job stays leased and its chunk
    /// runs again from its first row once the lease ends. Once rows are being applied, the
    /// chunk runs to its end, so that no action is cut between two of its writes (a follow
    /// recorded and its `Follow` not yet queued).
    pub async fn run_import_jobs_until(
        &self,
        limit: usize,
        stop: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<usize, Error> {
        let jobs = self
            .store()
            .lease(super::QUEUE, &LeaseRequest::new(self.now(), LEASE, limit))
            .await?;
        let n = jobs.len();
        for job in jobs {
            let result = match serde_json::from_slice::<JobPayload>(&job.payload) {
                Ok(p) => self.run_import_chunk(p.import, stop.clone()).await,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable import job dropped");
                    Ok(Some(false))
                }
            };
            let store = self.store();
            match result {
                Ok(None) => return Ok(n),
                Ok(Some(more)) => {
                    if more {
                        if let Ok(p) = serde_json::from_slice::<JobPayload>(&job.payload) {
                            self.enqueue_import_job(p.import).await?;
                        }
                    }
                    if let Err(e) = store.ack(super::QUEUE, &job.lease).await {
                        tracing::info!(error = %e, "import job not acknowledged");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "import job failed");
                    let at = self
                        .now()
                        .saturating_add(Duration::from_secs(5 * u64::from(job.attempts)));
                    store
                        .retry(super::QUEUE, &job.lease, &e.to_string(), at, self.now())
                        .await?;
                }
            }
        }
        Ok(n)
    }

    /// Runs every import job until none is left (the command line's `--wait` without a
    /// server). Returns how many chunks ran.
    pub async fn run_import_jobs_to_end(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let n = self.run_import_jobs(4).await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Runs the next chunk of import `id`; returns whether rows are left, or `None` if
    /// `stop` turned true before its rows were applied.
    async fn run_import_chunk(
        &self,
        id: u64,
        stop: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<Option<bool>, Error> {
        let Some(mut rec) = self
            .get::<ImportRecord>(NS_IMPORTS, &id.to_string())
            .await?
        else {
            return Ok(Some(false));
        };
        if rec.state == ImportState::Finished {
            return Ok(Some(false));
        }
        if rec.overwrite && !rec.prepared {
            self.overwrite_pass(&rec).await?;
            rec.prepared = true;
        }
        let rows = self.rows_from(id, rec.next_row, CHUNK).await?;
        let found = match stop {
            Some(mut stop) => tokio::select! {
                found = self.resolve_targets(&rows) => found?,
                _ = stop.wait_for(|v| *v) => return Ok(None),
            },
            None => self.resolve_targets(&rows).await?,
        };
        let mut lists: Option<HashMap<String, u64>> = None;
        let mut batch = WriteBatch::new();
        for (idx, mut row) in rows {
            rec.next_row = idx + 1;
            if row.outcome.is_some() {
                continue;
            }
            let outcome = match &row.item {
                Ok(item) => match self.apply_row(&rec, item, &found, &mut lists).await {
                    Ok(()) => Outcome::Done,
                    Err(e) if is_store_error(&e) => return Err(e),
                    Err(e) => Outcome::Failed {
                        reason: e.to_string(),
                    },
                },
                Err(s) => Outcome::Skipped {
                    reason: s.reason.clone(),
                },
            };
            rec.processed += 1;
            match &outcome {
                Outcome::Done => rec.imported += 1,
                Outcome::Failed { .. } => rec.failed += 1,
                Outcome::Skipped { .. } => rec.skipped += 1,
            }
            row.outcome = Some(outcome);
            batch = batch.kv_put(NS_ROWS, row_key(id, idx), serde_json::to_vec(&row)?);
        }
        let more = rec.next_row < rec.total;
        if more {
            rec.state = ImportState::InProgress;
        } else {
            rec.state = ImportState::Finished;
            rec.finished_at = Some(self.now_ms());
        }
        batch = batch.kv_put(NS_IMPORTS, id.to_string(), serde_json::to_vec(&rec)?);
        self.store().apply(&batch).await?;
        Ok(Some(more))
    }

    /// Resolves the accounts and statuses the rows name (see the module documentation for
    /// the budget). A failure is kept as its message, for the row's outcome; a store error
    /// fails the chunk.
    async fn resolve_targets(
        &self,
        rows: &[(u64, super::RowRecord)],
    ) -> Result<HashMap<String, Resolved>, Error> {
        let mut by_host: HashMap<String, VecDeque<(String, bool)>> = HashMap::new();
        let mut hosts: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for (_, row) in rows {
            if row.outcome.is_some() {
                continue;
            }
            let Ok(item) = &row.item else { continue };
            let (key, host, is_status) = match item {
                Item::Status { uri } => (
                    uri.clone(),
                    url::Url::parse(uri)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                        .unwrap_or_default(),
                    true,
                ),
                other => match other.acct() {
                    Some(acct) => (
                        acct.to_owned(),
                        acct.split_once('@').map_or("", |(_, h)| h).to_owned(),
                        false,
                    ),
                    None => continue,
                },
            };
            if !seen.insert(key.clone()) {
                continue;
            }
            if !by_host.contains_key(&host) {
                hosts.push(host.clone());
            }
            by_host.entry(host).or_default().push_back((key, is_status));
        }
        // Hosts in turn, so that one host's rows do not hold every slot.
        let mut order = Vec::with_capacity(seen.len());
        loop {
            let mut any = false;
            for h in &hosts {
                if let Some(t) = by_host.get_mut(h).and_then(VecDeque::pop_front) {
                    order.push((h.clone(), t));
                    any = true;
                }
            }
            if !any {
                break;
            }
        }
        let gates: HashMap<String, Arc<Semaphore>> = hosts
            .iter()
            .map(|h| (h.clone(), Arc::new(Semaphore::new(PER_HOST))))
            .collect();
        let results: Vec<(String, Result<Resolved, Error>)> = futures::stream::iter(order)
            .map(|(host, (key, is_status))| {
                let gate = gates.get(&host).cloned();
                async move {
                    let _turn = match &gate {
                        Some(g) => g.acquire().await.ok(),
                        None => None,
                    };
                    let found = if is_status {
                        match self.status_for_import(&key).await {
                            Ok(Some(s)) => Ok(Ok(Found::Status(Box::new(s)))),
                            Ok(None) => Ok(Err(format!("status not found: {key}"))),
                            Err(e) if is_store_error(&e) => Err(e),
                            Err(e) => Ok(Err(format!("status not found: {key}: {e}"))),
                        }
                    } else {
                        match self.resolve_handle(&key, true).await {
                            Ok(Some(a)) => Ok(Ok(Found::Account(Box::new(a)))),
                            Ok(None) => Ok(Err(format!("account not found: {key}"))),
                            Err(e) if is_store_error(&e) => Err(e),
                            Err(e) => Ok(Err(format!("account not found: {key}: {e}"))),
                        }
                    };
                    (key, found)
                }
            })
            .buffer_unordered(RESOLVE_CONCURRENCY)
            .collect()
            .await;
        let mut out = HashMap::with_capacity(results.len());
        for (key, r) in results {
            out.insert(key, r?);
        }
        Ok(out)
    }

    /// Does what one row asks, unless it is done already.
    async fn apply_row(
        &self,
        rec: &ImportRecord,
        item: &Item,
        found: &HashMap<String, Resolved>,
        lists: &mut Option<HashMap<String, u64>>,
    ) -> Result<(), Error> {
        let me = rec.account_id;
        let target = |acct: &str| -> Result<Account, Error> {
            match found.get(acct) {
                Some(Ok(Found::Account(a))) => Ok((**a).clone()),
                Some(Err(e)) => Err(Error::NotFound(e.clone())),
                _ => Err(Error::NotFound(format!("account not found: {acct}"))),
            }
        };
        match (rec.kind, item) {
            (ImportType::Following, Item::Account { acct, .. }) => {
                let t = target(acct)?;
                self.follow(me, t.id).await?;
            }
            (ImportType::Blocking, Item::Account { acct, .. }) => {
                let t = target(acct)?;
                if t.id == me {
                    return Err(Error::Unprocessable("cannot block yourself".into()));
                }
                if !self.blocks(me, t.id).await? {
                    self.block(me, t.id).await?;
                }
            }
            (
                ImportType::Muting,
                Item::Account {
                    acct,
                    hide_notifications,
                    ..
                },
            ) => {
                let t = target(acct)?;
                if t.id == me {
                    return Err(Error::Unprocessable("cannot mute yourself".into()));
                }
                let notifications = hide_notifications.unwrap_or(true);
                let same = self
                    .get::<MuteRecord>(ns::MUTES, &pair(me, t.id))
                    .await?
                    .is_some_and(|m| m.notifications == notifications && m.expires_at.is_none());
                if !same {
                    self.mute(me, t.id, notifications, None).await?;
                }
            }
            (ImportType::Lists, Item::ListMember { list, acct }) => {
                let t = target(acct)?;
                if lists.is_none() {
                    *lists = Some(
                        self.lists_of(me)
                            .await?
                            .into_iter()
                            .map(|l| (l.title, l.id))
                            .collect(),
                    );
                }
                let known = lists.get_or_insert_with(HashMap::new);
                let list_id = match known.get(list) {
                    Some(id) => *id,
                    None => {
                        let l = self
                            .create_list(me, list, crate::app::lists::RepliesPolicy::List, false)
                            .await?;
                        known.insert(l.title.clone(), l.id);
                        l.id
                    }
                };
                // As Mastodon: the member is followed first (a list holds followed accounts).
                if t.id != me {
                    self.follow(me, t.id).await?;
                }
                if !self
                    .store()
                    .contains(&coll::list_accounts(list_id), &t.id.to_string())
                    .await?
                {
                    self.add_to_list(me, list_id, &[t.id]).await?;
                }
            }
            (ImportType::DomainBlocking, Item::Domain { domain }) => {
                if domain.eq_ignore_ascii_case(self.config().domain()) {
                    return Err(Error::Unprocessable("cannot block your own domain".into()));
                }
                self.block_domain_for(me, domain).await?;
            }
            (ImportType::Bookmarks, Item::Status { uri }) => {
                let id = match found.get(uri) {
                    Some(Ok(Found::Status(s))) => s.id,
                    Some(Err(e)) => return Err(Error::NotFound(e.clone())),
                    _ => return Err(Error::NotFound(format!("status not found: {uri}"))),
                };
                self.bookmark(me, id).await?;
            }
            _ => return Err(Error::Unprocessable("row of another type".into())),
        }
        Ok(())
    }

    /// A status by URI or URL: known, local by its URL, or fetched (signed) and stored.
    async fn status_for_import(
        &self,
        uri: &str,
    ) -> Result<Option<crate::app::model::Status>, Error> {
        if let Some(s) = self.status_by_uri(uri).await? {
            return Ok(Some(s));
        }
        if self.config().is_local_iri(uri) {
            let rest = uri.strip_prefix(self.base()).unwrap_or("");
            let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
            let id = match segs.as_slice() {
                [user, id] if user.starts_with('@') => id.parse::<u64>().ok(),
                ["users", _, "statuses", id] => id.parse::<u64>().ok(),
                _ => None,
            };
            return match id {
                Some(id) => match self.status(id).await {
                    Ok(s) => Ok(Some(s)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                },
                None => Ok(None),
            };
        }
        let mut budget = self.budget();
        let fetched = self.engine().fetch(uri, &mut budget).await?;
        match fetched.document {
            activitypub_core::AnyObject::Object(o) => self.ingest_remote_status(&o, None).await,
            _ => Ok(None),
        }
    }

    /// Undoes what an `overwrite` import's file does not hold (Mastodon's
    /// `BulkImportService`). Safe to run again.
    async fn overwrite_pass(&self, rec: &ImportRecord) -> Result<(), Error> {
        let me = rec.account_id;
        let mut wanted: HashSet<String> = HashSet::new();
        let mut from = 0;
        loop {
            let rows = self.rows_from(rec.id, from, 1000).await?;
            let Some((last, _)) = rows.last() else { break };
            from = last + 1;
            for (_, row) in rows {
                let Ok(item) = row.item else { continue };
                wanted.insert(match item {
                    Item::Account { acct, .. } => acct.to_lowercase(),
                    Item::ListMember { list, .. } => list,
                    Item::Domain { domain } => domain,
                    Item::Status { uri } => uri,
                });
            }
        }
        let store = self.store();
        let members = |c: String| async move { store.all_members(&c, 1000).await };
        let ids = |items: Vec<fedi_storage::CollectionItem>| -> Vec<u64> {
            items
                .into_iter()
                .filter_map(|i| i.member.parse().ok())
                .collect()
        };
        match rec.kind {
            ImportType::Following => {
                for id in ids(members(coll::following(me)).await?) {
                    if !self.account_kept(id, &wanted).await? {
                        self.unfollow(me, id).await?;
                    }
                }
            }
            ImportType::Blocking => {
                for id in ids(members(coll::blocks(me)).await?) {
                    if !self.account_kept(id, &wanted).await? {
                        self.unblock(me, id).await?;
                    }
                }
            }
            ImportType::Muting => {
                for id in ids(members(coll::mutes(me)).await?) {
                    if !self.account_kept(id, &wanted).await? {
                        self.unmute(me, id).await?;
                    }
                }
            }
            ImportType::DomainBlocking => {
                for d in members(coll::domain_blocks(me)).await? {
                    if !wanted.contains(&d.member) {
                        self.unblock_domain_for(me, &d.member).await?;
                    }
                }
            }
            ImportType::Bookmarks => {
                for id in ids(members(coll::bookmarks_of(me)).await?) {
                    match self.status(id).await {
                        Ok(s) if wanted.contains(&s.uri) || wanted.contains(&s.url) => {}
                        Ok(_) => {
                            self.unbookmark(me, id).await?;
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            ImportType::Lists => {
                for l in self.lists_of(me).await? {
                    if !wanted.contains(&l.title) {
                        self.delete_list(me, l.id).await?;
                        continue;
                    }
                    let members = ids(members(coll::list_accounts(l.id)).await?);
                    if !members.is_empty() {
                        self.remove_from_list(me, l.id, &members).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether account `id`'s address is among `wanted` (an account gone is not kept).
    async fn account_kept(&self, id: u64, wanted: &HashSet<String>) -> Result<bool, Error> {
        match self.account(id).await {
            Ok(a) => Ok(wanted.contains(&a.acct().to_lowercase())),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A store or I/O error: the chunk is tried again rather than its row failed.
fn is_store_error(e: &Error) -> bool {
    matches!(e, Error::Storage(_) | Error::Io(_))
}
