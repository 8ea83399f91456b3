//! Remote media: the attachments of remote statuses kept as [`MediaAttachment`] records, and
//! the cache of remote files (attachments, avatars and headers) in the
//! [`MediaStore`](fedi_storage::media::MediaStore), as Mastodon caches remote media.
//!
//! - [`App::remote_attachments`] turns what the vocabulary read
//!   ([`activitypub_core::media::RemoteMedia`]) into records of a remote status: remote URL,
//!   preview URL, description, blurhash, focal point, width and height. A record always shows
//!   its remote URL until a copy is cached.
//! - [`App::schedule_media_cache`] / [`App::schedule_profile_cache`] fetch the files in the
//!   background (never on the inbox path), at most [`FETCHES_AT_ONCE`] at a time. A fetch
//!   goes through the engine's transport — so through its SSRF guard (the configured
//!   `allow_private_address` networks only) — unsigned, without cookies, following at most
//!   [`MAX_REDIRECTS`] redirects (each hop checked again), within Mastodon's size limits (16 MB
//!   for an image, 99 MB for video and audio, 2 MB for an avatar or header) and a time bound.
//!   The answer must be `200` with an `image/*`, `video/*` or `audio/*` type (never SVG),
//!   and its bytes must be a format recognised here ([`crate::media::sniff`]) of the same
//!   family. Images are processed on the [`MediaPool`](crate::media::MediaPool) (an original
//!   within the limits, a preview, and the blurhash when the sender sent none); video and
//!   audio are stored as fetched. Files go under `cache/…`: `cache/media_attachments/{id}/…`
//!   and `cache/accounts/{id}/{avatar,header}/…`. When a fetch fails, nothing changes: the
//!   entity keeps showing the remote URL.
//! - Every cached file is listed in one collection keyed by the time it was cached;
//!   [`App::sweep_media_cache`] deletes the files cached longer ago than
//!   `media_cache_retention_days` (the records stay, and show the remote URL again).

use std::time::Duration;

use activitypub_core::media::{MediaKind as RemoteKind, RemoteMedia};
use bytes::Bytes;
use fedi_storage::media::MediaKey;
use fedi_storage::{CollectionItem, PageRequest, WriteBatch};
use serde_json::{json, Value};

use super::media::{meta_with_focus, ProfileSlot};
use super::model::{
    coll, id_time, ns, Account, MediaAttachment, MediaFile, MediaState, ProfileImage,
};
use super::App;
use crate::error::Error;
use crate::media::{MediaKind, Purpose};

/// How many remote files are fetched (and processed) at once; the others wait their turn.
pub const FETCHES_AT_ONCE: usize = 2;
/// The most redirects followed for one remote file.
pub const MAX_REDIRECTS: usize = 3;
/// The time bound for fetching one remote file (each hop).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest remote avatar or header fetched, in bytes (Mastodon's limit for avatars and
/// headers, 2 MB).
pub const PROFILE_IMAGE_BYTES: u64 = 2 * 1024 * 1024;

/// The kind of a remote attachment, as the client API names it.
fn kind_of(m: &RemoteMedia) -> MediaKind {
    match m.kind {
        RemoteKind::Image => MediaKind::Image,
        RemoteKind::Video => MediaKind::Video,
        RemoteKind::Audio => MediaKind::Audio,
        _ => MediaKind::Unknown,
    }
}

/// Mastodon's `meta` of a remote attachment: `original` with the width and height the sender
/// gave, and `focus`.
fn remote_meta(m: &RemoteMedia) -> Value {
    let mut meta = json!({});
    if let (Some(w), Some(h), Value::Object(o)) = (m.width, m.height, &mut meta) {
        let aspect = if h > 0 { w as f64 / h as f64 } else { 0.0 };
        o.insert(
            "original".into(),
            json!({ "width": w, "height": h, "size": format!("{w}x{h}"), "aspect": aspect }),
        );
    }
    meta_with_focus(&meta, m.focal_point)
}

/// What a collection member of the cache list names.
enum Cached {
    /// The files of a media attachment.
    Media(u64),
    /// A remote account's avatar or header.
    Profile(u64, ProfileSlot),
    /// The image of the preview card of a URL.
    Card(String),
    /// A remote custom emoji's image (its record key, [`super::emoji::emoji_key`]).
    Emoji(String),
}

impl Cached {
    fn member(&self) -> String {
        match self {
            Cached::Media(id) => format!("media:{id}"),
            Cached::Profile(id, ProfileSlot::Avatar) => format!("avatar:{id}"),
            Cached::Profile(id, ProfileSlot::Header) => format!("header:{id}"),
            Cached::Card(url) => format!("card:{url}"),
            Cached::Emoji(key) => format!("emoji:{key}"),
        }
    }
    fn parse(member: &str) -> Option<Cached> {
        let (what, id) = member.split_once(':')?;
        if what == "card" {
            return Some(Cached::Card(id.to_owned()));
        }
        if what == "emoji" {
            return Some(Cached::Emoji(id.to_owned()));
        }
        let id = id.parse().ok()?;
        Some(match what {
            "media" => Cached::Media(id),
            "avatar" => Cached::Profile(id, ProfileSlot::Avatar),
            "header" => Cached::Profile(id, ProfileSlot::Header),
            _ => return None,
        })
    }
}

/// A fetched remote file.
pub(in crate::app) struct Fetched {
    /// Its bytes.
    pub(in crate::app) bytes: Bytes,
    /// What they are.
    pub(in crate::app) sniffed: crate::media::MediaType,
}

impl App {
    /// Records of the attachments of a remote status `status_id` of `account_id`, in order,
    /// reusing those of `existing` with the same remote URL (an edit keeps their cached files
    /// and ids; description, focal point and blurhash are taken from the new version).
    pub(crate) fn remote_attachments(
        &self,
        media: &[RemoteMedia],
        account_id: u64,
        status_id: u64,
        existing: &[MediaAttachment],
    ) -> Vec<MediaAttachment> {
        let now = self.now_ms();
        media
            .iter()
            .map(|r| {
                let url = r.url.as_str().to_owned();
                let base = existing
                    .iter()
                    .find(|m| m.remote_url.as_deref() == Some(url.as_str()))
                    .cloned();
                let mut m = base.unwrap_or_else(|| MediaAttachment {
                    id: self.inner.ids.next(now),
                    account_id,
                    status_id: Some(status_id),
                    kind: kind_of(r),
                    state: MediaState::Ready,
                    file: None,
                    preview: None,
                    static_file: None,
                    remote_url: Some(url.clone()),
                    preview_remote_url: None,
                    description: None,
                    focus: None,
                    blurhash: None,
                    meta: json!({}),
                    created_at: now,
                });
                m.preview_remote_url = r.preview.as_ref().map(|u| u.as_str().to_owned());
                m.description = r
                    .description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| {
                        d.chars()
                            .take(super::media::MAX_DESCRIPTION_CHARS)
                            .collect()
                    });
                m.focus = r.focal_point;
                if m.file.is_none() || r.blurhash.is_some() {
                    m.blurhash = r.blurhash.clone();
                }
                if m.file.is_none() {
                    m.meta = remote_meta(r);
                } else {
                    m.meta = meta_with_focus(&m.meta, m.focus);
                }
                m
            })
            .collect()
    }

    /// Writes attachment records (of a remote status) in one batch.
    pub(crate) async fn save_media_records(&self, media: &[MediaAttachment]) -> Result<(), Error> {
        let mut batch = WriteBatch::new();
        for m in media {
            batch = batch.kv_put(ns::MEDIA, m.id.to_string(), serde_json::to_vec(m)?);
        }
        if !batch.is_empty() {
            self.store().apply(&batch).await?;
        }
        Ok(())
    }

    /// Caches the files of these remote attachments in the background (those not cached yet,
    /// of a kind shown here).
    pub(crate) fn schedule_media_cache(&self, media: &[MediaAttachment]) {
        let ids: Vec<u64> = media
            .iter()
            .filter(|m| {
                m.file.is_none()
                    && m.remote_url.is_some()
                    && matches!(
                        m.kind,
                        MediaKind::Image | MediaKind::Video | MediaKind::Audio | MediaKind::Gifv
                    )
            })
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            for id in ids {
                let job = app.clone();
                tokio::spawn(async move {
                    if let Err(e) = job.cache_media(id).await {
                        tracing::info!(media = id, error = %e, "remote media not cached");
                    }
                });
            }
        });
    }

    /// Fetches and stores the file of remote attachment `id` (now, awaited); `Ok(false)` when
    /// there is nothing to do (unknown, local, already cached).
    pub async fn cache_media(&self, id: u64) -> Result<bool, Error> {
        let _turn = self.inner.media_fetches.acquire().await;
        let m = self.media_attachment(id).await?;
        let Some(url) = m.remote_url.clone().filter(|_| m.file.is_none()) else {
            return Ok(false);
        };
        let limits = self.media_limits();
        let limit = if m.kind == MediaKind::Image {
            limits.image_bytes
        } else {
            limits.video_bytes
        };
        let fetched = self.fetch_remote_file(&url, limit).await?;
        let dir = format!("cache/media_attachments/{id}");
        let (file, preview, blurhash, meta, processed_kind) = if fetched.sniffed.is_image() {
            let p = self
                .process_bytes(&fetched.bytes, Purpose::Attachment)
                .await?;
            let stored = async {
                let file = self
                    .store_rendition(
                        &p.original,
                        &format!("{dir}/original.{}", p.original.extension),
                    )
                    .await?;
                let preview = match &p.small {
                    Some(r) => Some(
                        self.store_rendition(r, &format!("{dir}/small.{}", r.extension))
                            .await?,
                    ),
                    None => None,
                };
                Ok::<_, Error>((file, preview))
            }
            .await;
            p.remove_files();
            let (file, preview) = stored?;
            (
                file,
                preview,
                p.blurhash.clone(),
                Some(p.meta.clone()),
                Some(p.kind),
            )
        } else {
            let key = format!("{dir}/original.{}", fetched.sniffed.extension());
            let file = self
                .put_bytes(&key, fetched.bytes.clone(), fetched.sniffed.mime())
                .await?;
            (file, None, None, None, None)
        };
        // The record as it is now (an edit or a delete may have come meanwhile).
        let Some(mut current) = self
            .get::<MediaAttachment>(ns::MEDIA, &id.to_string())
            .await?
        else {
            let mut keys = vec![file.key];
            keys.extend(preview.map(|p| p.key));
            self.delete_keys(keys).await;
            return Ok(false);
        };
        current.file = Some(file);
        current.preview = preview;
        if current.blurhash.is_none() {
            current.blurhash = blurhash;
        }
        if let Some(meta) = meta {
            let mut merged = meta;
            if let (Value::Object(old), Value::Object(new)) = (&current.meta, &mut merged) {
                // What the processing measured wins; what it did not produce stays.
                for (k, v) in old {
                    new.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            current.meta = meta_with_focus(&merged, current.focus);
        }
        if let Some(kind) = processed_kind {
            // An animated GIF becomes a `gifv` video when ffmpeg is there, as on Mastodon.
            current.kind = kind;
        } else if current.kind == MediaKind::Unknown {
            current.kind = if fetched.sniffed.is_image() {
                MediaKind::Image
            } else if fetched.sniffed.is_audio() {
                MediaKind::Audio
            } else {
                MediaKind::Video
            };
        }
        let batch = WriteBatch::new()
            .kv_put(ns::MEDIA, id.to_string(), serde_json::to_vec(&current)?)
            .insert(
                coll::CACHED_MEDIA,
                self.inner.ids.next(self.now_ms()),
                Cached::Media(id).member(),
            );
        self.store().apply(&batch).await?;
        Ok(true)
    }

    /// Caches a remote account's avatar or header in the background.
    pub(crate) fn schedule_profile_cache(&self, account_id: u64, slot: ProfileSlot) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.cache_profile_image(account_id, slot).await {
                tracing::info!(account = account_id, error = %e, "remote avatar or header not cached");
            }
        });
    }

    /// Fetches, crops (as for a local upload) and stores a remote account's avatar or
    /// header (now, awaited); `Ok(false)` when there is nothing to do.
    pub async fn cache_profile_image(
        &self,
        account_id: u64,
        slot: ProfileSlot,
    ) -> Result<bool, Error> {
        let _turn = self.inner.media_fetches.acquire().await;
        let a = self.account(account_id).await?;
        let (remote, file) = match slot {
            ProfileSlot::Avatar => (&a.avatar, &a.avatar_file),
            ProfileSlot::Header => (&a.header, &a.header_file),
        };
        let Some(url) = remote.clone().filter(|_| !a.is_local() && file.is_none()) else {
            return Ok(false);
        };
        // `reject_media`: nothing of the account's domain is stored.
        if self.refuses_media_of(&a.actor) {
            return Ok(false);
        }
        let fetched = self.fetch_remote_file(&url, PROFILE_IMAGE_BYTES).await?;
        if !fetched.sniffed.is_image() {
            return Err(Error::UnsupportedMedia(fetched.sniffed.mime().into()));
        }
        let purpose = match slot {
            ProfileSlot::Avatar => Purpose::Avatar,
            ProfileSlot::Header => Purpose::Header,
        };
        let p = self.process_bytes(&fetched.bytes, purpose).await?;
        let n = self.inner.ids.next(self.now_ms());
        let dir = format!("cache/accounts/{account_id}/{}", slot_name(slot));
        let stored = self.store_profile_image(&p, &format!("{dir}/{n}")).await;
        p.remove_files();
        let image = stored?;
        // The account as it is now: keep the copy only if the remote URL is still the same.
        let mut a = self.account(account_id).await?;
        let (remote, file) = match slot {
            ProfileSlot::Avatar => (&a.avatar, &mut a.avatar_file),
            ProfileSlot::Header => (&a.header, &mut a.header_file),
        };
        if remote.as_deref() != Some(url.as_str()) || file.is_some() {
            self.delete_keys(image.keys().map(str::to_owned).collect())
                .await;
            return Ok(false);
        }
        *file = Some(image);
        let batch = self.account_write(&a)?.insert(
            coll::CACHED_MEDIA,
            self.inner.ids.next(self.now_ms()),
            Cached::Profile(account_id, slot).member(),
        );
        self.store().apply(&batch).await?;
        Ok(true)
    }

    /// Fetches a remote file through the engine's transport (its address policy), unsigned,
    /// following at most [`MAX_REDIRECTS`] redirects, within `limit` bytes; checks the status,
    /// the declared type and the bytes.
    pub(in crate::app) async fn fetch_remote_file(
        &self,
        url: &str,
        limit: u64,
    ) -> Result<Fetched, Error> {
        let refuse = |why: String| Error::Unprocessable(format!("remote media {url}: {why}"));
        if self.refuses_media_of(url) {
            return Err(refuse("its domain's media is rejected".into()));
        }
        let (_, response) = self
            .fetch_unsigned(url, "image/*, video/*, audio/*", limit, FETCH_TIMEOUT)
            .await?;
        let status = response.status();
        if status != http::StatusCode::OK {
            return Err(refuse(format!("answered {status}")));
        }
        let declared = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let top = declared.split('/').next().unwrap_or("");
        if !matches!(top, "image" | "video" | "audio") || declared.contains("svg") {
            return Err(refuse(format!(
                "type {declared:?} is not image, video or audio"
            )));
        }
        let bytes = response.into_body();
        if bytes.len() as u64 > limit {
            return Err(Error::MediaTooLarge { limit });
        }
        let sniffed = crate::media::sniff(&bytes)?;
        let family = if sniffed.is_image() {
            "image"
        } else if sniffed.is_audio() {
            "audio"
        } else {
            "video"
        };
        // Audio in a video container (Ogg, WebM) is declared either way.
        let consistent = family == top || (family != "image" && top != "image");
        if !sniffed.is_supported() || !consistent {
            return Err(refuse(format!(
                "declared {declared:?}, its bytes are {}",
                sniffed.mime()
            )));
        }
        Ok(Fetched { bytes, sniffed })
    }

    /// A `GET` of `url` through the engine's transport (so through its connect-time address
    /// policy), unsigned, without cookies, accepting `accept`, following at most
    /// [`MAX_REDIRECTS`] redirects itself (each hop checked again), within `limit` bytes and
    /// `timeout` per hop. Returns the final URL and its answer, whatever its status (other
    /// than a redirect).
    pub(in crate::app) async fn fetch_unsigned(
        &self,
        url: &str,
        accept: &str,
        limit: u64,
        timeout: Duration,
    ) -> Result<(url::Url, http::Response<Bytes>), Error> {
        let refuse = |why: String| Error::Unprocessable(format!("fetching {url}: {why}"));
        let mut current = url::Url::parse(url).map_err(|e| refuse(e.to_string()))?;
        let options = activitypub_core::engine::SendOptions::new(
            timeout,
            usize::try_from(limit).unwrap_or(usize::MAX),
        );
        for _ in 0..=MAX_REDIRECTS {
            if !matches!(current.scheme(), "http" | "https") {
                return Err(refuse("not http(s)".into()));
            }
            let request = http::Request::get(current.as_str())
                .header(
                    http::header::USER_AGENT,
                    self.engine().config().user_agent.as_str(),
                )
                .header(http::header::ACCEPT, accept)
                .body(Bytes::new())
                .map_err(|e| refuse(e.to_string()))?;
            let response = self.engine().transport().send(request, &options).await?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| current.join(l).ok())
                    .ok_or_else(|| refuse(format!("{status} without a location")))?;
                current = next;
                continue;
            }
            return Ok((current, response));
        }
        Err(refuse(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// Processes fetched bytes on the pool (through a temporary file in the work directory).
    pub(in crate::app) async fn process_bytes(
        &self,
        bytes: &[u8],
        purpose: Purpose,
    ) -> Result<crate::media::Processed, Error> {
        let mut upload = self.new_upload()?;
        upload.write_chunk(bytes, u64::MAX)?;
        self.process_upload(upload, purpose).await
    }

    /// Stores bytes as they are under `key`.
    pub(super) async fn put_bytes(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<MediaFile, Error> {
        let k = MediaKey::new(key)?;
        let size = bytes.len() as u64;
        let stream = futures::StreamExt::boxed(futures::stream::once(async move {
            Ok::<_, std::io::Error>(bytes)
        }));
        let info = self.media().put(&k, stream, size.saturating_add(1)).await?;
        Ok(MediaFile {
            key: key.to_owned(),
            content_type: content_type.to_owned(),
            size: info.size,
        })
    }

    /// Deletes files of the media store (a failure is logged).
    pub(in crate::app) async fn delete_keys(&self, keys: Vec<String>) {
        for key in keys {
            let key = key.as_str();
            if let Ok(k) = MediaKey::new(key) {
                if let Err(e) = self.media().delete(&k).await {
                    tracing::warn!(key, error = %e, "cached file not deleted");
                }
            }
        }
    }

    /// Forgets the cached copy of a remote account's avatar or header (its URL changed), and
    /// deletes its files.
    pub(crate) async fn drop_profile_cache(&self, old: Option<&ProfileImage>) {
        if let Some(old) = old {
            self.delete_keys(old.keys().map(str::to_owned).collect())
                .await;
        }
    }

    /// Deletes the cached remote files older than `media_cache_retention_days` (none when it
    /// is 0); the records stay and show their remote URLs again. Returns how many entries
    /// were cleared. Walks the cache list oldest first and stops at the first one young
    /// enough to stay.
    pub async fn sweep_media_cache(&self) -> Result<usize, Error> {
        let days = self.config().media_cache_retention_days;
        if days == 0 {
            return Ok(0);
        }
        let cutoff = self
            .now_ms()
            .saturating_sub(days.saturating_mul(24 * 60 * 60 * 1000));
        let mut cleared = 0;
        loop {
            let page = self
                .store()
                .page(coll::CACHED_MEDIA, &PageRequest::oldest(100))
                .await?;
            let old: Vec<CollectionItem> = page
                .items
                .into_iter()
                .filter(|i| id_time(i.key) < cutoff)
                .collect();
            if old.is_empty() {
                return Ok(cleared);
            }
            for item in old {
                match Cached::parse(&item.member) {
                    Some(Cached::Media(id)) => {
                        if let Some(mut m) = self
                            .get::<MediaAttachment>(ns::MEDIA, &id.to_string())
                            .await?
                        {
                            let keys: Vec<String> =
                                m.keys().into_iter().map(str::to_owned).collect();
                            m.file = None;
                            m.preview = None;
                            m.static_file = None;
                            self.put(ns::MEDIA, &id.to_string(), &m).await?;
                            self.delete_keys(keys).await;
                        }
                    }
                    Some(Cached::Profile(id, slot)) => {
                        if let Ok(mut a) = self.account(id).await {
                            let file = match slot {
                                ProfileSlot::Avatar => a.avatar_file.take(),
                                ProfileSlot::Header => a.header_file.take(),
                            };
                            if !a.is_local() {
                                self.store().apply(&self.account_write(&a)?).await?;
                                self.drop_profile_cache(file.as_ref()).await;
                            }
                        }
                    }
                    Some(Cached::Card(url)) => self.uncache_card_image(&url).await?,
                    Some(Cached::Emoji(key)) => self.uncache_emoji(&key).await?,
                    None => {}
                }
                self.store()
                    .remove(coll::CACHED_MEDIA, &item.member)
                    .await?;
                cleared += 1;
            }
        }
    }

    /// The member of the cache list that names the cached image of the card of `url`.
    pub(in crate::app) fn card_cache_member(url: &str) -> String {
        Cached::Card(url.to_owned()).member()
    }

    /// The write of an account record (without its indexes, which do not change here).
    fn account_write(&self, a: &Account) -> Result<WriteBatch, Error> {
        Ok(WriteBatch::new().kv_put(ns::ACCOUNTS, a.id.to_string(), serde_json::to_vec(a)?))
    }
}

fn slot_name(slot: ProfileSlot) -> &'static str {
    match slot {
        ProfileSlot::Avatar => "avatar",
        ProfileSlot::Header => "header",
    }
}

impl ProfileImage {
    /// Its media store keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str()).chain(self.static_key.as_deref())
    }
}
