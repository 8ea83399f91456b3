//! Media attachments: uploads of local accounts, from the uploaded file to the files served.
//!
//! An upload is a file in the instance's work directory (under the data directory, or the
//! system's temporary directory for an in-memory instance) written by the client API
//! ([`App::new_upload`]). [`App::create_media`] checks its type from its bytes, records the
//! attachment as processing and has the [`MediaPool`](crate::media::MediaPool) process it — in
//! the background, or awaited — then moves each rendition into the
//! [`MediaStore`](fedi_storage::media::MediaStore) under
//! `media_attachments/{id}/{original,small,static}.{ext}` and marks it ready (or failed). Every
//! temporary file is deleted on every path: the upload when it is dropped, renditions once
//! stored or given up.
//!
//! An attachment belongs to its uploader until a status of theirs takes it
//! ([`App::take_media`]); until then it is listed in a collection keyed by upload time, and
//! [`App::sweep_unattached_media`] deletes those older than a day ([`UNATTACHED_TTL_MS`]),
//! files too. `woolly serve` sweeps at start and hourly: the list is in the store, so a
//! restart loses nothing.
//!
//! Avatars and headers ([`App::set_profile_image`]) are processed the same way, awaited, and
//! stored under `accounts/{id}/{avatar,header}/{upload id}.{ext}`: a new name each time, so
//! their URLs can be cached forever.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use fedi_storage::media::{ByteStream, MediaKey};
use fedi_storage::{PageRequest, WriteBatch};
use futures::StreamExt;
use serde_json::{json, Value};

use super::model::{
    coll, id_time, ns, Account, MediaAttachment, MediaFile, MediaState, ProfileImage, Status,
};
use super::App;
use crate::error::Error;
use crate::media::{MediaKind, Processed, Purpose, Rendition};

/// How long an upload may stay unattached before the cleanup job deletes it: a day.
pub const UNATTACHED_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// The most attachments on one status (Mastodon's).
pub const MAX_ATTACHMENTS: usize = 4;
/// The longest description (alt text), in characters (Mastodon's).
pub const MAX_DESCRIPTION_CHARS: usize = 1_500;

/// A focal point: x and y in [-1, 1] (Mastodon's `focus`).
pub type Focus = (f64, f64);

/// What a profile image is: an avatar or a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileSlot {
    /// The avatar (400×400).
    Avatar,
    /// The header (1500×500).
    Header,
}

impl ProfileSlot {
    fn purpose(self) -> Purpose {
        match self {
            ProfileSlot::Avatar => Purpose::Avatar,
            ProfileSlot::Header => Purpose::Header,
        }
    }
    fn name(self) -> &'static str {
        match self {
            ProfileSlot::Avatar => "avatar",
            ProfileSlot::Header => "header",
        }
    }
}

/// An uploaded file in the work directory, deleted when dropped.
#[derive(Debug)]
pub struct Upload {
    file: tempfile::NamedTempFile,
    size: u64,
}

impl Upload {
    /// Appends a chunk, failing with a `413` once the upload passes `limit` bytes.
    pub fn write_chunk(&mut self, chunk: &[u8], limit: u64) -> Result<(), Error> {
        use std::io::Write;
        self.size += chunk.len() as u64;
        if self.size > limit {
            return Err(Error::MediaTooLarge { limit });
        }
        self.file.as_file_mut().write_all(chunk)?;
        Ok(())
    }
    /// The bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Where it is.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// A focal point `"x,y"` with both in [-1, 1] (Mastodon's `focus`).
pub fn parse_focus(s: &str) -> Result<Focus, Error> {
    let bad = || {
        Error::Unprocessable(format!(
            "Validation failed: Focus {s:?} is not \"x,y\" with x and y in [-1, 1]"
        ))
    };
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok((x, y))
}

/// Checks a description's length.
pub fn check_description(d: &str) -> Result<(), Error> {
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::Unprocessable(format!(
            "Validation failed: Description is too long (maximum is {MAX_DESCRIPTION_CHARS} characters)"
        )));
    }
    Ok(())
}

/// The key of a media attachment's rendition.
fn attachment_key(id: u64, name: &str, extension: &str) -> String {
    format!("media_attachments/{id}/{name}.{extension}")
}

/// A file's bytes as a stream of chunks (for [`MediaStore::put`](fedi_storage::media::MediaStore::put)).
fn file_stream(file: tokio::fs::File) -> ByteStream<'static> {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
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

/// Mastodon's `meta` with the focal point in it.
pub(super) fn meta_with_focus(meta: &Value, focus: Option<Focus>) -> Value {
    let mut meta = match meta {
        Value::Object(m) => Value::Object(m.clone()),
        _ => json!({}),
    };
    if let (Some((x, y)), Value::Object(m)) = (focus, &mut meta) {
        m.insert("focus".into(), json!({ "x": x, "y": y }));
    }
    meta
}

impl App {
    /// The work directory: uploads and renditions on their way into the media store.
    pub fn media_work_dir(&self) -> &Path {
        self.inner.media_work.path()
    }

    /// A new, empty upload in the work directory.
    pub fn new_upload(&self) -> Result<Upload, Error> {
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(self.media_work_dir())?;
        Ok(Upload { file, size: 0 })
    }

    /// The limits uploads are processed within.
    pub fn media_limits(&self) -> &crate::media::Limits {
        self.inner.media_pool.limits()
    }

    /// The largest upload taken, in bytes (video's limit; images have a lower one, checked
    /// once the type is known).
    pub fn max_upload_bytes(&self) -> u64 {
        let l = self.inner.media_pool.limits();
        l.video_bytes.max(l.image_bytes)
    }

    /// The URL a media store key is served at: the store's own, or `{base}/media/{key}`.
    pub fn media_url(&self, key: &str) -> String {
        MediaKey::new(key)
            .ok()
            .and_then(|k| self.media().url_for(&k))
            .unwrap_or_else(|| format!("{}/media/{key}", self.base()))
    }

    /// A media attachment by id.
    pub async fn media_attachment(&self, id: u64) -> Result<MediaAttachment, Error> {
        self.get(ns::MEDIA, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("media {id}")))
    }

    /// Several media attachments by id in one store call (`None` for an unknown one).
    pub async fn media_by_id(&self, ids: &[u64]) -> Result<Vec<Option<MediaAttachment>>, Error> {
        let keys: Vec<String> = ids.iter().map(u64::to_string).collect();
        self.get_many(ns::MEDIA, &keys).await
    }

    /// An unattached upload of `account_id` (others', attached ones and unknown ids are not
    /// found, as on Mastodon).
    pub async fn own_unattached_media(
        &self,
        account_id: u64,
        id: u64,
    ) -> Result<MediaAttachment, Error> {
        match self.media_attachment(id).await {
            Ok(m) if m.account_id == account_id && m.status_id.is_none() => Ok(m),
            Ok(_) => Err(Error::NotFound(format!("media {id}"))),
            Err(e) => Err(e),
        }
    }

    async fn save_media(&self, m: &MediaAttachment) -> Result<(), Error> {
        self.put(ns::MEDIA, &m.id.to_string(), m).await
    }

    /// Records an upload of local account `account_id` and processes it: awaited when `wait`
    /// (the answer is ready or an error, and nothing is recorded on an error), else in the
    /// background (the answer is processing; a failure is recorded on it). The type is checked
    /// from the bytes first either way (`422` for one not taken here).
    pub async fn create_media(
        &self,
        account_id: u64,
        upload: Upload,
        description: Option<String>,
        focus: Option<Focus>,
        wait: bool,
    ) -> Result<MediaAttachment, Error> {
        if let Some(d) = &description {
            check_description(d)?;
        }
        let sniffed = crate::media::sniff_file(upload.path())?;
        if !sniffed.is_supported() {
            return Err(Error::UnsupportedMedia(sniffed.mime().into()));
        }
        let limits = self.inner.media_pool.limits();
        let limit = if sniffed.is_image() {
            limits.image_bytes
        } else {
            limits.video_bytes
        };
        if upload.size() > limit {
            return Err(Error::MediaTooLarge { limit });
        }
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let m = MediaAttachment {
            id,
            account_id,
            status_id: None,
            kind: if sniffed.is_image() {
                MediaKind::Image
            } else if sniffed.is_audio() {
                MediaKind::Audio
            } else {
                MediaKind::Video
            },
            state: MediaState::Processing,
            file: None,
            preview: None,
            static_file: None,
            remote_url: None,
            preview_remote_url: None,
            description: description.filter(|d| !d.is_empty()),
            focus,
            blurhash: None,
            meta: meta_with_focus(&json!({}), focus),
            created_at: now,
        };
        if wait {
            let processed = self.process_upload(upload, Purpose::Attachment).await?;
            let m = self.finish_media(m, processed, false).await?;
            self.record_upload(&m).await?;
            return Ok(m);
        }
        self.record_upload(&m).await?;
        let app = self.clone();
        let pending = m.clone();
        tokio::spawn(async move {
            let result = match app.process_upload(upload, Purpose::Attachment).await {
                Ok(p) => app.finish_media(pending.clone(), p, true).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::info!(media = pending.id, error = %e, "media processing failed");
                if let Err(e) = app.fail_media(pending.id, &e.to_string()).await {
                    tracing::warn!(media = pending.id, error = %e, "media state not recorded");
                }
            }
        });
        Ok(m)
    }

    /// Writes a new upload's record and lists it as unattached, in one batch.
    async fn record_upload(&self, m: &MediaAttachment) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_put(ns::MEDIA, m.id.to_string(), serde_json::to_vec(m)?)
            .insert(coll::UNATTACHED_MEDIA, m.id, m.id.to_string());
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Processes an upload on the pool; the upload file is deleted once done.
    pub(super) async fn process_upload(
        &self,
        upload: Upload,
        purpose: Purpose,
    ) -> Result<Processed, Error> {
        let path = upload.path().to_path_buf();
        let result = self.inner.media_pool.process(path, purpose).await;
        drop(upload);
        result
    }

    /// Moves one rendition into the media store under `key`; the file is deleted either way.
    /// Stores a processed avatar or header as `{stem}.{ext}`, and its still version (of an
    /// animated one) as `{stem}-static.{ext}`; the caller removes the processed files.
    pub(super) async fn store_profile_image(
        &self,
        processed: &Processed,
        stem: &str,
    ) -> Result<ProfileImage, Error> {
        let r = &processed.original;
        let main = self
            .store_rendition(r, &format!("{stem}.{}", r.extension))
            .await?;
        let still = match &processed.static_version {
            Some(s) => Some(
                self.store_rendition(s, &format!("{stem}-static.{}", s.extension))
                    .await?,
            ),
            None => None,
        };
        Ok(ProfileImage {
            key: main.key,
            content_type: main.content_type,
            static_key: still.map(|s| s.key),
        })
    }

    pub(super) async fn store_rendition(
        &self,
        r: &Rendition,
        key: &str,
    ) -> Result<MediaFile, Error> {
        let result = async {
            let k = MediaKey::new(key)?;
            let file = tokio::fs::File::open(&r.path).await?;
            let info = self
                .media()
                .put(&k, file_stream(file), r.size.saturating_add(1))
                .await?;
            Ok::<_, Error>(MediaFile {
                key: key.to_owned(),
                content_type: r.content_type.clone(),
                size: info.size,
            })
        }
        .await;
        let _ = tokio::fs::remove_file(&r.path).await;
        result
    }

    /// Stores the renditions of `p` for attachment `m`, ready. When `m` is `recorded` (processed
    /// in the background) it is saved, keeping what the client changed meanwhile; if it was
    /// deleted meanwhile, its files go too.
    async fn finish_media(
        &self,
        mut m: MediaAttachment,
        p: Processed,
        recorded: bool,
    ) -> Result<MediaAttachment, Error> {
        let stored = self.store_processed(m.id, &p).await;
        p.remove_files();
        let (file, preview, static_file) = stored?;
        m.kind = p.kind;
        m.file = Some(file);
        m.preview = preview;
        m.static_file = static_file;
        m.blurhash = p.blurhash.clone();
        m.state = MediaState::Ready;
        if recorded {
            let Some(current) = self
                .get::<MediaAttachment>(ns::MEDIA, &m.id.to_string())
                .await?
            else {
                self.delete_media_files(&m).await;
                return Err(Error::NotFound(format!("media {}", m.id)));
            };
            m.description = current.description;
            m.focus = current.focus;
            m.status_id = current.status_id;
        }
        m.meta = meta_with_focus(&p.meta, m.focus);
        if recorded {
            self.save_media(&m).await?;
        }
        Ok(m)
    }

    async fn store_processed(
        &self,
        id: u64,
        p: &Processed,
    ) -> Result<(MediaFile, Option<MediaFile>, Option<MediaFile>), Error> {
        let file = self
            .store_rendition(
                &p.original,
                &attachment_key(id, "original", &p.original.extension),
            )
            .await?;
        let mut preview = None;
        if let Some(r) = &p.small {
            preview = Some(
                self.store_rendition(r, &attachment_key(id, "small", &r.extension))
                    .await?,
            );
        }
        let mut static_file = None;
        if let Some(r) = &p.static_version {
            static_file = Some(
                self.store_rendition(r, &attachment_key(id, "static", &r.extension))
                    .await?,
            );
        }
        Ok((file, preview, static_file))
    }

    async fn fail_media(&self, id: u64, message: &str) -> Result<(), Error> {
        if let Some(mut m) = self
            .get::<MediaAttachment>(ns::MEDIA, &id.to_string())
            .await?
        {
            m.state = MediaState::Failed {
                message: message.to_owned(),
            };
            self.save_media(&m).await?;
        }
        Ok(())
    }

    /// Sets the description and focal point of an unattached upload of `account_id`
    /// (`None` leaves one as it is).
    pub async fn update_media(
        &self,
        account_id: u64,
        id: u64,
        description: Option<String>,
        focus: Option<Focus>,
    ) -> Result<MediaAttachment, Error> {
        let m = self.own_unattached_media(account_id, id).await?;
        self.describe_media(m, description, focus).await
    }

    /// Sets the description and focal point of `m`.
    pub(crate) async fn describe_media(
        &self,
        mut m: MediaAttachment,
        description: Option<String>,
        focus: Option<Focus>,
    ) -> Result<MediaAttachment, Error> {
        if let Some(d) = description {
            check_description(&d)?;
            m.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(f) = focus {
            m.focus = Some(f);
            m.meta = meta_with_focus(&m.meta, Some(f));
        }
        self.save_media(&m).await?;
        Ok(m)
    }

    /// Deletes an unattached upload of `account_id`, files too (`422` if a status uses it,
    /// as on Mastodon).
    pub async fn delete_media(&self, account_id: u64, id: u64) -> Result<MediaAttachment, Error> {
        let m = self.media_attachment(id).await?;
        if m.account_id != account_id {
            return Err(Error::NotFound(format!("media {id}")));
        }
        if m.status_id.is_some() {
            return Err(Error::Unprocessable(
                "Media attachment is currently used by a status".into(),
            ));
        }
        self.remove_media(&m).await?;
        Ok(m)
    }

    /// Removes an attachment's record, its place in the unattached list, and its files.
    pub(crate) async fn remove_media(&self, m: &MediaAttachment) -> Result<(), Error> {
        let batch = WriteBatch::new()
            .kv_delete(ns::MEDIA, m.id.to_string())
            .remove(coll::UNATTACHED_MEDIA, m.id.to_string());
        self.store().apply(&batch).await?;
        self.delete_media_files(m).await;
        Ok(())
    }

    async fn delete_media_files(&self, m: &MediaAttachment) {
        for key in m.keys() {
            if let Ok(k) = MediaKey::new(key) {
                if let Err(e) = self.media().delete(&k).await {
                    tracing::warn!(key, error = %e, "media file not deleted");
                }
            }
        }
    }

    /// Checks the `media_ids` of a new or edited status of `account_id` with Mastodon's rules
    /// (at most four; each its own and not used by another status — `status` for an edit
    /// may keep its own —, processed; no video beside other media) and returns them in order.
    pub(crate) async fn media_for_status(
        &self,
        account_id: u64,
        ids: &[u64],
        status: Option<u64>,
    ) -> Result<Vec<MediaAttachment>, Error> {
        if ids.len() > MAX_ATTACHMENTS {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Cannot attach more than {MAX_ATTACHMENTS} files"
            )));
        }
        let mut seen = Vec::new();
        for id in ids {
            if !seen.contains(id) {
                seen.push(*id);
            }
        }
        let found = self.media_by_id(&seen).await?;
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for (id, m) in seen.iter().zip(found) {
            match m {
                Some(m)
                    if m.account_id == account_id
                        && (m.status_id.is_none() || m.status_id == status && status.is_some()) =>
                {
                    out.push(m)
                }
                _ => missing.push(id.to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Media with IDs {} not found or already attached to another post",
                missing.join(", ")
            )));
        }
        if out.iter().any(|m| m.state != MediaState::Ready) {
            return Err(Error::Unprocessable(
                "Validation failed: Cannot attach files that have not finished processing. Try again in a moment!".into(),
            ));
        }
        if out.len() > 1
            && out.iter().any(|m| {
                matches!(
                    m.kind,
                    MediaKind::Video | MediaKind::Gifv | MediaKind::Audio
                )
            })
        {
            return Err(Error::Unprocessable(
                "Validation failed: Cannot attach a video to a post that already contains images"
                    .into(),
            ));
        }
        Ok(out)
    }

    /// Attaches checked media to `status` (they leave the unattached list), in one batch.
    pub(crate) async fn take_media(
        &self,
        status: &Status,
        media: Vec<MediaAttachment>,
    ) -> Result<(), Error> {
        let mut batch = WriteBatch::new();
        for mut m in media {
            if m.status_id == Some(status.id) {
                continue;
            }
            m.status_id = Some(status.id);
            batch = batch
                .kv_put(ns::MEDIA, m.id.to_string(), serde_json::to_vec(&m)?)
                .remove(coll::UNATTACHED_MEDIA, m.id.to_string());
        }
        if !batch.is_empty() {
            self.store().apply(&batch).await?;
        }
        Ok(())
    }

    /// Deletes the media of a deleted status (those of its current and earlier versions).
    pub(crate) async fn remove_status_media(&self, s: &Status) -> Result<(), Error> {
        let mut ids: Vec<u64> = s.media_ids.clone();
        for e in &s.edits {
            ids.extend(&e.media_ids);
        }
        ids.sort_unstable();
        ids.dedup();
        for m in self.media_by_id(&ids).await?.into_iter().flatten() {
            if m.status_id == Some(s.id) {
                self.remove_media(&m).await?;
            }
        }
        Ok(())
    }

    /// Deletes unattached uploads older than [`UNATTACHED_TTL_MS`] (by the app's clock),
    /// files too; returns how many went. Walks the unattached list oldest first and stops at
    /// the first one young enough to stay.
    pub async fn sweep_unattached_media(&self) -> Result<usize, Error> {
        let cutoff = self.now_ms().saturating_sub(UNATTACHED_TTL_MS);
        let mut removed = 0;
        loop {
            let page = self
                .store()
                .page(coll::UNATTACHED_MEDIA, &PageRequest::oldest(100))
                .await?;
            let old: Vec<_> = page
                .items
                .iter()
                .filter(|i| id_time(i.key) < cutoff)
                .collect();
            if old.is_empty() {
                return Ok(removed);
            }
            for item in old {
                match self.get::<MediaAttachment>(ns::MEDIA, &item.member).await? {
                    Some(m) if m.status_id.is_none() => {
                        self.remove_media(&m).await?;
                        removed += 1;
                    }
                    _ => {
                        self.store()
                            .remove(coll::UNATTACHED_MEDIA, &item.member)
                            .await?;
                    }
                }
            }
        }
    }

    /// Sets a local account's avatar or header from an upload (processed as Mastodon does:
    /// cover-cropped to 400×400 or 1500×500, with a still version of an animated one); the
    /// former files are deleted.
    pub async fn set_profile_image(
        &self,
        account_id: u64,
        slot: ProfileSlot,
        upload: Upload,
    ) -> Result<Account, Error> {
        let processed = self.process_upload(upload, slot.purpose()).await?;
        let upload_id = self.inner.ids.next(self.now_ms());
        let dir = format!("accounts/{account_id}/{}", slot.name());
        let stored = self
            .store_profile_image(&processed, &format!("{dir}/{upload_id}"))
            .await;
        processed.remove_files();
        let image = stored?;
        self.replace_profile_image(account_id, slot, Some(image))
            .await
    }

    /// Removes a local account's avatar or header (the default one shows again).
    pub async fn remove_profile_image(
        &self,
        account_id: u64,
        slot: ProfileSlot,
    ) -> Result<Account, Error> {
        self.replace_profile_image(account_id, slot, None).await
    }

    async fn replace_profile_image(
        &self,
        account_id: u64,
        slot: ProfileSlot,
        image: Option<ProfileImage>,
    ) -> Result<Account, Error> {
        let mut a = self.account(account_id).await?;
        let old = match slot {
            ProfileSlot::Avatar => std::mem::replace(&mut a.avatar_file, image),
            ProfileSlot::Header => std::mem::replace(&mut a.header_file, image),
        };
        self.put(ns::ACCOUNTS, &a.id.to_string(), &a).await?;
        if let Some(old) = old {
            for key in std::iter::once(&old.key).chain(old.static_key.as_ref()) {
                if let Ok(k) = MediaKey::new(key.as_str()) {
                    let _ = self.media().delete(&k).await;
                }
            }
        }
        Ok(a)
    }

    /// The avatar and `avatar_static` URLs of an account: its upload, its remote avatar, or
    /// the default image.
    pub fn avatar_urls(&self, a: &Account) -> (String, String) {
        self.profile_urls(a.avatar_file.as_ref(), a.avatar.as_deref(), "avatars")
    }

    /// The header and `header_static` URLs of an account.
    pub fn header_urls(&self, a: &Account) -> (String, String) {
        self.profile_urls(a.header_file.as_ref(), a.header.as_deref(), "headers")
    }

    fn profile_urls(
        &self,
        file: Option<&ProfileImage>,
        remote: Option<&str>,
        missing: &str,
    ) -> (String, String) {
        if let Some(f) = file {
            let url = self.media_url(&f.key);
            let still = f
                .static_key
                .as_deref()
                .map_or_else(|| url.clone(), |k| self.media_url(k));
            return (url, still);
        }
        let url = remote.map_or_else(
            || format!("{}/{missing}/original/missing.png", self.base()),
            str::to_owned,
        );
        (url.clone(), url)
    }
}

/// Where uploads and renditions wait: a directory of the data directory, or a temporary one.
#[derive(Debug)]
pub(crate) enum WorkDir {
    /// `{data_dir}/media-work` of a durable instance.
    Durable(PathBuf),
    /// A temporary directory (an in-memory instance), deleted with the instance.
    Temporary(tempfile::TempDir),
}

impl WorkDir {
    /// The work directory for an instance on a durable store whose data directory
    /// `data_dir` exists (emptied of what an earlier run left there), or a temporary one.
    pub(crate) fn open(durable: bool, data_dir: &Path) -> std::io::Result<WorkDir> {
        if !durable || !data_dir.is_dir() {
            return Ok(WorkDir::Temporary(
                tempfile::Builder::new().prefix("woolly-media-").tempdir()?,
            ));
        }
        let dir = data_dir.join("media-work");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(WorkDir::Durable(dir))
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        match self {
            WorkDir::Durable(p) => p,
            WorkDir::Temporary(t) => t.path(),
        }
    }
}
