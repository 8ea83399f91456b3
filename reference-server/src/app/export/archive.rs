//! The account archive, as Mastodon's `BackupService` makes it (a `.zip` since Mastodon 4.2):
//!
//! - `outbox.json`: an `OrderedCollection` (`id` `outbox.json`) of the account's activities,
//!   oldest first, without their own `@context`: a `Create` with the `Note` embedded for each
//!   status (every visibility), an `Announce` for each boost. Attachment `url`s are the paths
//!   of the files inside the archive (`media_attachments/{id}/original.{ext}`), as Mastodon
//!   rewrites them to paths.
//! - `actor.json`: the actor document as served, with `outbox`, `likes` and `bookmarks`
//!   naming the files beside it and the avatar and header as `avatar.{ext}` / `header.{ext}`
//!   (both files included), as Mastodon's.
//! - `likes.json`, `bookmarks.json`: `OrderedCollection`s of the URIs of the statuses the
//!   account favourited / bookmarked.
//! - `media_attachments/…`: the original file of each attachment of the account's statuses.
//!
//! Memory stays bounded whatever the account's size: statuses are read a page at a time and
//! each page's activities are written into the zip entry (deflated as it goes) before the next
//! page is read; the media keys met on the way wait in a temporary file, and files are copied
//! in chunks of [`CHUNK`]. `totalItems` is written after `orderedItems`, once counted.
//!
//! The job: [`App::request_archive`] checks Mastodon's rule (one archive per account every
//! [`ARCHIVE_INTERVAL`]) under a process-wide lock and writes the [`Archive`] record, the
//! account's latest-archive pointer and a build job of the durable queue `app.exports` in one
//! batch, so a request is either wholly recorded or not at all. [`App::run_export_jobs`]
//! (run by `woolly serve` every few seconds) builds it into a temporary file, recording
//! progress (statuses done of total) on the record after each page, then stores it in the
//! media store under a key made of the record's id and a random secret, and in one batch
//! marks the record ready and queues its removal [`ARCHIVE_RETENTION`] later. A restart
//! mid-build leaves the job leased; once the lease ends it is built again from the start,
//! into the same key, so the request is not lost and a second archive is never made; a job
//! whose record is already ready is acknowledged without work. The removal job deletes the
//! file and marks the record expired (the record stays, for the weekly rule).

use std::io::{BufRead, Seek, Write};
use std::time::Duration;

use bytes::Bytes;
use fedi_storage::media::{ByteRange, ByteStream, MediaKey};
use fedi_storage::{LeaseRequest, NewJob, WriteBatch};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ids, Pager};
use crate::app::activitypub::rfc3339;
use crate::app::model::{coll, Account, Status};
use crate::app::App;
use crate::error::Error;

/// At most one archive per account in this span (Mastodon: 7 days).
pub const ARCHIVE_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a finished archive is kept before the job runner removes it (a week).
pub const ARCHIVE_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The durable queue of export jobs.
const QUEUE: &str = "app.exports";
/// Archive id → [`Archive`].
const NS_ARCHIVES: &str = "exports.archives";
/// Account id → the id of its latest archive.
const NS_LATEST: &str = "exports.latest";
/// How long a build job is leased: after a crash, the job is built again once it ends.
const LEASE: Duration = Duration::from_secs(30);
/// Attempts of an export job before it is given up (the archive then shows `failed`).
const ATTEMPTS: u32 = 5;
/// Statuses read (and written) per page.
const PAGE: usize = 100;
/// Bytes of a media file read at once.
const CHUNK: u64 = 1 << 20;
/// The media store keys of archives start with this; they are never served at `/media/`.
pub const KEY_PREFIX: &str = "backups/";

/// Serializes the check-then-write of archive requests (one process; see signup's lock).
static REQUESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where an archive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveState {
    /// Requested, not started.
    Pending,
    /// Being built.
    Processing,
    /// Built: it can be downloaded until it expires.
    Ready,
    /// Building failed after every attempt.
    Failed,
    /// Removed after [`ARCHIVE_RETENTION`].
    Expired,
}

impl ArchiveState {
    /// Its name in the JSON state (`pending`, `processing`, `ready`, `failed`, `expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveState::Pending => "pending",
            ArchiveState::Processing => "processing",
            ArchiveState::Ready => "ready",
            ArchiveState::Failed => "failed",
            ArchiveState::Expired => "expired",
        }
    }
}

/// A requested archive of a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    /// Id (time-sortable: the request time).
    pub id: u64,
    /// Whose.
    pub account_id: u64,
    /// When it was requested (ms).
    pub requested_at: u64,
    /// Where it is.
    pub state: ArchiveState,
    /// Statuses written so far.
    pub done: u64,
    /// Statuses to write.
    pub total: u64,
    /// Its size in bytes, once ready.
    #[serde(default)]
    pub size: Option<u64>,
    /// When it was ready (ms).
    #[serde(default)]
    pub finished_at: Option<u64>,
    /// When it will be (or was) removed (ms).
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// A random part of its media store key, so that the key cannot be guessed.
    secret: String,
}

impl Archive {
    /// The file name offered on download: Mastodon's `archive-{YYYYmmddHHMMSS}-{hex}.zip`.
    pub fn file_name(&self) -> String {
        let stamp: String = rfc3339(self.requested_at)
            .chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect();
        format!("archive-{stamp}-{}.zip", self.id)
    }
    /// Its media store key: `backups/{account}/{secret}/{file name}`.
    pub fn key(&self) -> String {
        format!(
            "{KEY_PREFIX}{}/{}/{}",
            self.account_id,
            self.secret,
            self.file_name()
        )
    }
    /// When the account may request its next archive (ms).
    pub fn next_request_at(&self) -> u64 {
        self.requested_at
            .saturating_add(ARCHIVE_INTERVAL.as_millis() as u64)
    }
}

/// A job of the export queue.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Job {
    /// Build archive `archive`.
    Build { archive: u64 },
    /// Remove archive `archive`'s file (its retention ended).
    Remove { archive: u64 },
}

fn job(j: &Job, at_ms: u64) -> Result<NewJob, Error> {
    let lane = match j {
        Job::Build { .. } => "build",
        Job::Remove { .. } => "remove",
    };
    Ok(NewJob::new(
        lane,
        serde_json::to_vec(j)?,
        fedi_storage::Timestamp::from_unix_millis(at_ms),
    )
    .with_max_attempts(ATTEMPTS))
}

fn zip_error(e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(e) => Error::Io(e),
        other => Error::Io(std::io::Error::other(other.to_string())),
    }
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
        .unix_permissions(0o444)
}

fn stored() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true)
        .unix_permissions(0o444)
}

/// A file read as a stream of chunks (into the media store).
fn file_stream(file: tokio::fs::File) -> ByteStream<'static> {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

impl App {
    /// Requests an archive of local account `account_id`: refused (`422`) when one was
    /// requested less than [`ARCHIVE_INTERVAL`] ago, as Mastodon allows one a week; else the
    /// request and its durable build job are recorded together and the new record returned.
    pub async fn request_archive(&self, account_id: u64) -> Result<Archive, Error> {
        let account = self.account(account_id).await?;
        if !account.is_local() || account.deleted {
            return Err(Error::NotFound(format!("account {account_id}")));
        }
        let _guard = REQUESTS.lock().await;
        let now = self.now_ms();
        if let Some(last) = self.latest_archive(account_id).await? {
            if now < last.next_request_at() {
                return Err(Error::Unprocessable(format!(
                    "You can request an archive once every 7 days: the last one was requested \
                     at {}, the next can be requested from {}",
                    rfc3339(last.requested_at),
                    rfc3339(last.next_request_at())
                )));
            }
        }
        let archive = Archive {
            id: self.inner.ids.next(now),
            account_id,
            requested_at: now,
            state: ArchiveState::Pending,
            done: 0,
            total: 0,
            size: None,
            finished_at: None,
            expires_at: None,
            error: None,
            secret: format!("{:032x}", rand::random::<u128>()),
        };
        let batch = WriteBatch::new()
            .kv_put(
                NS_ARCHIVES,
                archive.id.to_string().into_bytes(),
                serde_json::to_vec(&archive)?,
            )
            .kv_put(
                NS_LATEST,
                account_id.to_string().into_bytes(),
                archive.id.to_string().into_bytes(),
            )
            .enqueue(
                QUEUE,
                job(
                    &Job::Build {
                        archive: archive.id,
                    },
                    now,
                )?,
            );
        self.store().apply(&batch).await?;
        Ok(archive)
    }

    /// The latest archive requested by `account_id`, if any.
    pub async fn latest_archive(&self, account_id: u64) -> Result<Option<Archive>, Error> {
        let Some(id) = self.get_str(NS_LATEST, &account_id.to_string()).await? else {
            return Ok(None);
        };
        self.get::<Archive>(NS_ARCHIVES, &id).await
    }

    /// Archive `id` of `account_id` (not found when it is someone else's).
    pub async fn archive_of(&self, account_id: u64, id: u64) -> Result<Archive, Error> {
        match self.get::<Archive>(NS_ARCHIVES, &id.to_string()).await? {
            Some(a) if a.account_id == account_id => Ok(a),
            _ => Err(Error::NotFound(format!("archive {id}"))),
        }
    }

    /// The file of `account_id`'s ready archive `id` (not found when it is someone else's,
    /// not ready yet, or removed).
    pub async fn archive_file(&self, account_id: u64, id: u64) -> Result<(Archive, Bytes), Error> {
        let a = self.archive_of(account_id, id).await?;
        if a.state != ArchiveState::Ready {
            return Err(Error::NotFound(format!("archive {id} is not ready")));
        }
        let key = MediaKey::new(a.key())?;
        match self.media().get(&key, None).await? {
            Some(o) => Ok((a, o.bytes)),
            None => Err(Error::NotFound(format!("archive {id}"))),
        }
    }

    /// Runs the export jobs that are due (at most `limit`): builds requested archives and
    /// removes expired ones. Returns how many were leased; a failed job is tried again later,
    /// and after its last attempt the archive is marked failed.
    pub async fn run_export_jobs(&self, limit: usize) -> Result<usize, Error> {
        let jobs = self
            .store()
            .lease(QUEUE, &LeaseRequest::new(self.now(), LEASE, limit))
            .await?;
        let n = jobs.len();
        for j in jobs {
            let parsed = serde_json::from_slice::<Job>(&j.payload);
            let result = match &parsed {
                Ok(Job::Build { archive }) => self.build_archive_job(*archive).await,
                Ok(Job::Remove { archive }) => self.remove_archive(*archive).await,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable export job dropped");
                    Ok(())
                }
            };
            let outcome = match result {
                Ok(()) => self.store().ack(QUEUE, &j.lease).await,
                Err(e) => {
                    tracing::warn!(error = %e, "export job failed");
                    if j.is_last_attempt() {
                        if let Ok(Job::Build { archive }) = parsed {
                            self.mark_failed(archive, &e.to_string()).await?;
                        }
                    }
                    let at = self
                        .now()
                        .saturating_add(Duration::from_secs(30 * u64::from(j.attempts)));
                    self.store()
                        .retry(QUEUE, &j.lease, &e.to_string(), at, self.now())
                        .await
                        .map(|_| ())
                }
            };
            match outcome {
                // Built past its lease and leased again by another node: that one finishes.
                Err(e) if e.is_lease_lost() => {}
                other => other?,
            }
        }
        Ok(n)
    }

    async fn mark_failed(&self, id: u64, error: &str) -> Result<(), Error> {
        if let Some(mut a) = self.get::<Archive>(NS_ARCHIVES, &id.to_string()).await? {
            a.state = ArchiveState::Failed;
            a.error = Some(error.to_owned());
            self.put(NS_ARCHIVES, &id.to_string(), &a).await?;
        }
        Ok(())
    }

    async fn build_archive_job(&self, id: u64) -> Result<(), Error> {
        let Some(mut a) = self.get::<Archive>(NS_ARCHIVES, &id.to_string()).await? else {
            return Ok(());
        };
        if matches!(
            a.state,
            ArchiveState::Ready | ArchiveState::Expired | ArchiveState::Failed
        ) {
            return Ok(());
        }
        let account = match self.account(a.account_id).await {
            Ok(acc) if acc.is_local() && !acc.deleted => acc,
            Ok(_) => return self.mark_failed(id, "the account is gone").await,
            Err(e) if e.is_not_found() => return self.mark_failed(id, "the account is gone").await,
            Err(e) => return Err(e),
        };
        a.state = ArchiveState::Processing;
        a.done = 0;
        self.put(NS_ARCHIVES, &id.to_string(), &a).await?;
        let tmp = tempfile::NamedTempFile::new_in(self.media_work_dir())?;
        let file = tmp.reopen()?;
        self.write_archive(&account, std::io::BufWriter::new(file), Some(&mut a))
            .await?;
        let key = MediaKey::new(a.key())?;
        let file = tokio::fs::File::open(tmp.path()).await?;
        let info = self.media().put(&key, file_stream(file), u64::MAX).await?;
        drop(tmp);
        let now = self.now_ms();
        let expires = now.saturating_add(ARCHIVE_RETENTION.as_millis() as u64);
        a.state = ArchiveState::Ready;
        a.size = Some(info.size);
        a.finished_at = Some(now);
        a.expires_at = Some(expires);
        let batch = WriteBatch::new()
            .kv_put(
                NS_ARCHIVES,
                id.to_string().into_bytes(),
                serde_json::to_vec(&a)?,
            )
            .enqueue(QUEUE, job(&Job::Remove { archive: id }, expires)?);
        self.store().apply(&batch).await?;
        Ok(())
    }

    async fn remove_archive(&self, id: u64) -> Result<(), Error> {
        let Some(mut a) = self.get::<Archive>(NS_ARCHIVES, &id.to_string()).await? else {
            return Ok(());
        };
        if a.state != ArchiveState::Ready {
            return Ok(());
        }
        self.media().delete(&MediaKey::new(a.key())?).await?;
        a.state = ArchiveState::Expired;
        self.put(NS_ARCHIVES, &id.to_string(), &a).await
    }

    /// Writes the archive of local account `account` (module documentation) as a zip into
    /// `out`, a page of statuses at a time; with `progress`, records statuses done and total
    /// on that archive record after each page. Returns how many activities the outbox holds.
    pub async fn write_archive<W: Write + Seek>(
        &self,
        account: &Account,
        out: W,
        mut progress: Option<&mut Archive>,
    ) -> Result<u64, Error> {
        let mut zip = zip::ZipWriter::new(out);
        let total = self.store().count(&coll::statuses_of(account.id)).await?;
        if let Some(p) = progress.as_deref_mut() {
            p.total = total;
            p.done = 0;
            self.put(NS_ARCHIVES, &p.id.to_string(), &*p).await?;
        }
        // The media keys met in the outbox wait in a temporary file, one a line.
        let mut keys = std::io::BufWriter::new(tempfile::tempfile_in(self.media_work_dir())?);
        let context = serde_json::to_string(&activitypub_core::Context::mastodon())?;
        zip.start_file("outbox.json", deflated())
            .map_err(zip_error)?;
        write!(
            zip,
            r#"{{"@context":{context},"id":"outbox.json","type":"OrderedCollection","orderedItems":["#
        )?;
        let mut written = 0u64;
        let mut done = 0u64;
        let mut pager = Pager::oldest_first(coll::statuses_of(account.id), PAGE);
        while let Some(items) = pager.next(self).await? {
            let keys_of_page: Vec<String> = ids(&items).iter().map(u64::to_string).collect();
            let statuses = self
                .get_many::<Status>(crate::app::model::ns::STATUSES, &keys_of_page)
                .await?;
            let media_ids: Vec<u64> = statuses
                .iter()
                .flatten()
                .flat_map(|s| s.media_ids.iter().copied())
                .collect();
            // The URL each attachment is published under → its original file's key.
            let mut media_paths = std::collections::HashMap::new();
            for m in self.media_by_id(&media_ids).await?.into_iter().flatten() {
                if let Some(f) = &m.file {
                    media_paths.insert(self.media_url(&f.key), f.key.clone());
                }
            }
            for s in statuses.into_iter().flatten() {
                if s.account_id != account.id {
                    continue;
                }
                let Some(item) = self.outbox_item(&s, &media_paths, &mut keys).await? else {
                    continue;
                };
                if written > 0 {
                    zip.write_all(b",")?;
                }
                serde_json::to_writer(&mut zip, &item)?;
                written += 1;
            }
            done += items.len() as u64;
            if let Some(p) = progress.as_deref_mut() {
                p.done = done;
                self.put(NS_ARCHIVES, &p.id.to_string(), &*p).await?;
            }
        }
        write!(zip, r#"],"totalItems":{written}}}"#)?;

        self.write_uri_collection(&mut zip, "likes.json", coll::favourites_of(account.id))
            .await?;
        self.write_uri_collection(&mut zip, "bookmarks.json", coll::bookmarks_of(account.id))
            .await?;
        self.write_actor(&mut zip, account).await?;

        let keys = keys.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        let mut keys = std::io::BufReader::new(keys);
        keys.rewind()?;
        // Each attachment belongs to one status (attaching takes it off the unattached list,
        // and the outbox shows each status's current attachments), so no key repeats and
        // none needs remembering (`copy_media` skips a name met twice all the same).
        let mut line = String::new();
        loop {
            line.clear();
            if keys.read_line(&mut line)? == 0 {
                break;
            }
            let key = line.trim_end();
            self.copy_media(&mut zip, key, key).await?;
        }
        let mut out = zip.finish().map_err(zip_error)?;
        out.flush()?;
        Ok(written)
    }

    /// One activity of the outbox: a `Create` of a status or an `Announce` of a boost,
    /// without `@context`, its attachments' `url`s rewritten to their paths in the archive
    /// (whose keys go to `keys`). `None` for a boost whose status is gone.
    async fn outbox_item(
        &self,
        s: &Status,
        media_paths: &std::collections::HashMap<String, String>,
        keys: &mut impl Write,
    ) -> Result<Option<Value>, Error> {
        let mut item = if s.reblog_of_id.is_some() {
            match self.announce_document(s).await {
                Ok(a) => serde_json::to_value(a)?,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            }
        } else {
            serde_json::to_value(self.create_document(s).await?)?
        };
        if let Some(o) = item.as_object_mut() {
            o.remove("@context");
        }
        if let Some(attachments) = item
            .pointer_mut("/object/attachment")
            .and_then(Value::as_array_mut)
        {
            for att in attachments {
                let Some(url) = att.get("url").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(key) = media_paths.get(url) {
                    writeln!(keys, "{key}")?;
                    att["url"] = Value::String(key.clone());
                }
            }
        }
        Ok(Some(item))
    }

    /// `likes.json` / `bookmarks.json`: the URIs of the statuses a collection of status ids
    /// names, oldest first.
    async fn write_uri_collection<W: Write + Seek>(
        &self,
        zip: &mut zip::ZipWriter<W>,
        name: &str,
        collection: String,
    ) -> Result<(), Error> {
        let context = serde_json::to_string(&activitypub_core::Context::mastodon())?;
        zip.start_file(name, deflated()).map_err(zip_error)?;
        write!(
            zip,
            r#"{{"@context":{context},"id":{},"type":"OrderedCollection","orderedItems":["#,
            Value::String(name.to_owned())
        )?;
        let mut n = 0u64;
        let mut pager = Pager::oldest_first(collection, PAGE * 2);
        while let Some(items) = pager.next(self).await? {
            let keys: Vec<String> = items.iter().map(|i| i.member.clone()).collect();
            for s in self
                .get_many::<Status>(crate::app::model::ns::STATUSES, &keys)
                .await?
                .into_iter()
                .flatten()
            {
                if n > 0 {
                    zip.write_all(b",")?;
                }
                serde_json::to_writer(&mut *zip, &s.uri)?;
                n += 1;
            }
        }
        write!(zip, r#"],"totalItems":{n}}}"#)?;
        Ok(())
    }

    /// `actor.json` with Mastodon's changes, and the avatar and header files.
    async fn write_actor<W: Write + Seek>(
        &self,
        zip: &mut zip::ZipWriter<W>,
        account: &Account,
    ) -> Result<(), Error> {
        let mut actor = serde_json::to_value(self.actor_document(account).await?)?;
        let mut files = Vec::new();
        for (field, name, image) in [
            ("icon", "avatar", &account.avatar_file),
            ("image", "header", &account.header_file),
        ] {
            let Some(image) = image else { continue };
            let ext = image.key.rsplit_once('.').map_or("", |(_, e)| e);
            let path = if ext.is_empty() {
                name.to_owned()
            } else {
                format!("{name}.{ext}")
            };
            if let Some(url) = actor.pointer_mut(&format!("/{field}/url")) {
                *url = Value::String(path.clone());
            }
            files.push((image.key.clone(), path));
        }
        if let Some(o) = actor.as_object_mut() {
            o.insert("outbox".into(), "outbox.json".into());
            o.insert("likes".into(), "likes.json".into());
            o.insert("bookmarks".into(), "bookmarks.json".into());
        }
        for (key, path) in files {
            self.copy_media(zip, &key, &path).await?;
        }
        zip.start_file("actor.json", deflated())
            .map_err(zip_error)?;
        serde_json::to_writer(&mut *zip, &actor)?;
        Ok(())
    }

    /// Copies media store object `key` into the zip as `path`, [`CHUNK`] bytes at a time
    /// (a missing object is skipped with a warning, as Mastodon skips it).
    async fn copy_media<W: Write + Seek>(
        &self,
        zip: &mut zip::ZipWriter<W>,
        key: &str,
        path: &str,
    ) -> Result<(), Error> {
        let Ok(k) = MediaKey::new(key) else {
            return Ok(());
        };
        let Some(info) = self.media().head(&k).await? else {
            tracing::warn!(key, "archive: media file missing, skipped");
            return Ok(());
        };
        match zip.start_file(path, stored()) {
            Ok(()) => {}
            // Should a file be named twice, it is in the archive already; the zip crate checks
            // names before writing anything, so the archive goes on.
            Err(zip::result::ZipError::InvalidArchive(m)) if m.starts_with("Duplicate") => {
                return Ok(())
            }
            Err(e) => return Err(zip_error(e)),
        }
        let mut at = 0u64;
        while at < info.size {
            let end = (at + CHUNK).min(info.size) - 1;
            let Some(o) = self
                .media()
                .get(&k, Some(ByteRange::Inclusive { start: at, end }))
                .await?
            else {
                break;
            };
            zip.write_all(&o.bytes)?;
            at = end + 1;
        }
        Ok(())
    }
}
