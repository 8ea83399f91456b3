//! Custom emoji: the instance's own (added by the admin commands, listed by
//! `GET /api/v1/custom_emojis`), and those of other servers, kept per domain as their posts
//! and profiles name them and cached like remote media.
//!
//! One record per emoji in the key-value namespace [`NS`], keyed `{domain}/{shortcode}`
//! (`/{shortcode}` for local ones, so a prefix scan lists them). Statuses and accounts keep
//! the keys of the emoji they show ([`Status::emojis`](super::Status::emojis),
//! [`Account::emojis`](super::Account::emojis)); a page of entities reads them with one
//! multi-read ([`super::batch`]). Files go through the media store: local images under
//! `custom_emojis/{shortcode}/{id}.{ext}`, cached remote ones under
//! `cache/custom_emojis/{domain}/{shortcode}/{id}.{ext}`, listed in the cache list the
//! retention sweep walks.

use activitypub_core::builder::Id;
use activitypub_core::media::emoji::{is_shortcode, shortcodes_in, EmojiBuilder, RemoteEmoji};
use activitypub_core::Object;
use bytes::Bytes;
use fedi_storage::WriteBatch;
use serde::{Deserialize, Serialize};

use super::activitypub::{oid, rfc3339};
use super::model::{coll, MediaFile};
use super::App;
use crate::error::Error;

/// The key-value namespace of emoji records.
pub(crate) const NS: &str = "custom_emojis";

/// The largest emoji image, local or remote: Mastodon's 256 KB
/// (`CustomEmoji::LIMIT`, for both).
pub const MAX_EMOJI_BYTES: u64 = 256 * 1024;

/// The image types an emoji may have (Mastodon's `IMAGE_MIME_TYPES` for emoji).
pub const EMOJI_TYPES: [&str; 3] = ["image/png", "image/gif", "image/webp"];

/// The most emoji one status or profile keeps (the rest are not shown).
pub const MAX_EMOJIS_PER_OBJECT: usize = 64;

/// A custom emoji, local or remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// The shortcode, without colons.
    pub shortcode: String,
    /// `None` for the instance's own; the server's domain for a remote one.
    pub domain: Option<String>,
    /// The image in the media store: always for a local emoji; for a remote one, the cached
    /// copy while there is one.
    #[serde(default)]
    pub file: Option<MediaFile>,
    /// A remote emoji's image on its server.
    #[serde(default)]
    pub remote_url: Option<String>,
    /// A remote emoji's `id`.
    #[serde(default)]
    pub uri: Option<String>,
    /// A remote emoji's `updated`, as it was sent.
    #[serde(default)]
    pub remote_updated: Option<String>,
    /// The picker category (local emoji).
    #[serde(default)]
    pub category: Option<String>,
    /// Shown in the picker (local emoji).
    pub visible_in_picker: bool,
    /// When the image was added or last changed here (ms).
    pub updated_at: u64,
}

impl CustomEmoji {
    /// Its record key.
    pub fn key(&self) -> String {
        emoji_key(&self.shortcode, self.domain.as_deref())
    }
    /// Whether it is the instance's own.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
}

/// The record key of `shortcode` on `domain` (`None`: local).
pub fn emoji_key(shortcode: &str, domain: Option<&str>) -> String {
    format!("{}/{shortcode}", domain.unwrap_or(""))
}

impl App {
    /// Adds a local emoji from an image's bytes (PNG, GIF or WebP, at most
    /// [`MAX_EMOJI_BYTES`]). An existing emoji of that shortcode is refused unless `replace`,
    /// which swaps its image (and keeps its category when none is given).
    pub async fn add_local_emoji(
        &self,
        shortcode: &str,
        bytes: Bytes,
        category: Option<String>,
        replace: bool,
    ) -> Result<CustomEmoji, Error> {
        let shortcode = shortcode.trim().trim_matches(':');
        if !is_shortcode(shortcode) {
            return Err(Error::Unprocessable(format!(
                "{shortcode:?} is not a shortcode: use at least two letters, digits or _"
            )));
        }
        if bytes.len() as u64 > MAX_EMOJI_BYTES {
            return Err(Error::Unprocessable(format!(
                "the image of :{shortcode}: is {} bytes; the limit is 256 KB ({MAX_EMOJI_BYTES} bytes)",
                bytes.len()
            )));
        }
        let sniffed = crate::media::sniff(&bytes).map_err(|_| {
            Error::Unprocessable(format!(
                "the image of :{shortcode}: is not PNG, GIF or WebP"
            ))
        })?;
        if !EMOJI_TYPES.contains(&sniffed.mime()) {
            return Err(Error::Unprocessable(format!(
                "the image of :{shortcode}: is {}, not PNG, GIF or WebP",
                sniffed.mime()
            )));
        }
        let key = emoji_key(shortcode, None);
        let old: Option<CustomEmoji> = self.get(NS, &key).await?;
        if old.is_some() && !replace {
            return Err(Error::Unprocessable(format!(
                "the emoji :{shortcode}: already exists"
            )));
        }
        let now = self.now_ms();
        let n = self.inner.ids.next(now);
        let file_key = format!("custom_emojis/{shortcode}/{n}.{}", sniffed.extension());
        let file = self.put_bytes(&file_key, bytes, sniffed.mime()).await?;
        let category = category
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .or_else(|| old.as_ref().and_then(|o| o.category.clone()));
        let emoji = CustomEmoji {
            shortcode: shortcode.to_owned(),
            domain: None,
            file: Some(file),
            remote_url: None,
            uri: None,
            remote_updated: None,
            category,
            visible_in_picker: true,
            updated_at: now,
        };
        self.put(NS, &key, &emoji).await?;
        if let Some(old_file) = old.and_then(|o| o.file) {
            self.delete_keys(vec![old_file.key]).await;
        }
        Ok(emoji)
    }

    /// Removes a local emoji and its image; `Ok(false)` when there is none.
    pub async fn remove_local_emoji(&self, shortcode: &str) -> Result<bool, Error> {
        let key = emoji_key(shortcode.trim().trim_matches(':'), None);
        let Some(old) = self.get::<CustomEmoji>(NS, &key).await? else {
            return Ok(false);
        };
        self.store().kv_delete(NS, key.as_bytes()).await?;
        if let Some(f) = old.file {
            self.delete_keys(vec![f.key]).await;
        }
        Ok(true)
    }

    /// The local emoji, by shortcode.
    pub async fn local_emojis(&self) -> Result<Vec<CustomEmoji>, Error> {
        let records = self.scan_records::<CustomEmoji>(NS, b"/", |_| true).await?;
        Ok(records.into_iter().map(|(_, e)| e).collect())
    }

    /// Emoji records by key, in one store call, in the order of `keys`.
    pub async fn emojis_by_key(&self, keys: &[String]) -> Result<Vec<Option<CustomEmoji>>, Error> {
        self.get_many(NS, keys).await
    }

    /// The image URL of an emoji: the local file (own or cached), else its remote URL.
    pub fn emoji_url(&self, e: &CustomEmoji) -> String {
        match (&e.file, &e.remote_url) {
            (Some(f), _) => self.media_url(&f.key),
            (None, Some(u)) => u.clone(),
            (None, None) => String::new(),
        }
    }

    /// The keys of the local emoji that `texts` name as `:shortcode:` (those that exist), in
    /// order of first appearance; one store call (none when no text names one).
    pub(crate) async fn local_emoji_keys_in(&self, texts: &[&str]) -> Result<Vec<String>, Error> {
        let mut codes: Vec<String> = Vec::new();
        for t in texts {
            for c in shortcodes_in(t) {
                if !codes.contains(&c) && codes.len() < MAX_EMOJIS_PER_OBJECT {
                    codes.push(c);
                }
            }
        }
        let keys: Vec<String> = codes.iter().map(|c| emoji_key(c, None)).collect();
        let found = self.exist_many(NS, &keys).await?;
        Ok(keys
            .into_iter()
            .zip(found)
            .filter_map(|(k, f)| f.then_some(k))
            .collect())
    }

    /// The `Emoji` tags of emoji keys, for an outgoing document (missing ones left out).
    pub(crate) async fn emoji_tags(&self, keys: &[String]) -> Result<Vec<Object>, Error> {
        let mut tags = Vec::new();
        for e in self.emojis_by_key(keys).await?.into_iter().flatten() {
            let Some(f) = e.file.as_ref().filter(|_| e.is_local()) else {
                continue;
            };
            let id: Id = oid(&format!("{}/emojis/{}", self.base(), e.shortcode))?;
            let tag = EmojiBuilder::new(
                &id,
                &e.shortcode,
                &f.content_type,
                &oid(&self.media_url(&f.key))?,
            )
            .updated(rfc3339(e.updated_at))
            .build();
            tags.push(tag);
        }
        Ok(tags)
    }

    /// The `Emoji` document of a local emoji (its tag with Mastodon's `@context`), served
    /// at the tag's `id`; `None` when there is no such emoji.
    pub async fn local_emoji_document(&self, shortcode: &str) -> Result<Option<Object>, Error> {
        if !is_shortcode(shortcode) {
            return Ok(None);
        }
        let tags = self.emoji_tags(&[emoji_key(shortcode, None)]).await?;
        Ok(tags.into_iter().next().map(|mut tag| {
            let mut context = activitypub_core::Context::activitystreams();
            context.add_term("toot", "http://joinmastodon.org/ns#");
            context.add_term("Emoji", "toot:Emoji");
            tag.context = Some(context);
            tag
        }))
    }

    /// Records the emoji a remote object of `domain` carries that `texts` name, and returns
    /// their keys. A new emoji, or one whose image URL or `updated` changed, is (re)written
    /// and its image cached in the background; an unchanged one costs nothing more than the
    /// one multi-read.
    pub(crate) async fn remote_emoji_keys(
        &self,
        domain: &str,
        emojis: &[RemoteEmoji],
        texts: &[&str],
    ) -> Result<Vec<String>, Error> {
        if emojis.is_empty() || domain.is_empty() {
            return Ok(Vec::new());
        }
        let mut named: Vec<String> = Vec::new();
        for t in texts {
            for c in shortcodes_in(t) {
                if !named.contains(&c) {
                    named.push(c);
                }
            }
        }
        let wanted: Vec<&RemoteEmoji> = emojis
            .iter()
            .filter(|e| named.contains(&e.shortcode))
            .take(MAX_EMOJIS_PER_OBJECT)
            .collect();
        let keys: Vec<String> = wanted
            .iter()
            .map(|e| emoji_key(&e.shortcode, Some(domain)))
            .collect();
        let existing = self.emojis_by_key(&keys).await?;
        let mut batch = WriteBatch::new();
        let mut changed = Vec::new();
        let mut stale = Vec::new();
        for ((e, key), old) in wanted.iter().zip(&keys).zip(existing) {
            let url = e.url.as_str().to_owned();
            if let Some(old) = &old {
                if old.remote_url.as_deref() == Some(url.as_str())
                    && old.remote_updated == e.updated
                {
                    continue;
                }
                if let Some(f) = &old.file {
                    stale.push(f.key.clone());
                }
            }
            let record = CustomEmoji {
                shortcode: e.shortcode.clone(),
                domain: Some(domain.to_owned()),
                file: None,
                remote_url: Some(url),
                uri: e.id.as_ref().map(|u| u.as_str().to_owned()),
                remote_updated: e.updated.clone(),
                category: None,
                visible_in_picker: false,
                updated_at: self.now_ms(),
            };
            batch = batch.kv_put(NS, key.clone(), serde_json::to_vec(&record)?);
            changed.push(key.clone());
        }
        if !changed.is_empty() {
            self.store().apply(&batch).await?;
            self.delete_keys(stale).await;
            for key in changed {
                self.schedule_emoji_cache(key);
            }
        }
        Ok(keys)
    }

    fn schedule_emoji_cache(&self, key: String) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.cache_emoji(&key).await {
                tracing::info!(emoji = %key, error = %e, "remote emoji not cached");
            }
        });
    }

    /// Fetches and stores a remote emoji's image (now, awaited), as the media cache does:
    /// through the engine's transport, at most [`MAX_EMOJI_BYTES`], PNG, GIF or WebP by its
    /// bytes. `Ok(false)` when there is nothing to do (local, cached, or changed meanwhile).
    pub async fn cache_emoji(&self, key: &str) -> Result<bool, Error> {
        let _turn = self.inner.media_fetches.acquire().await;
        let Some(e) = self.get::<CustomEmoji>(NS, key).await? else {
            return Ok(false);
        };
        let (Some(domain), Some(url), None) = (&e.domain, &e.remote_url, &e.file) else {
            return Ok(false);
        };
        let fetched = self.fetch_remote_file(url, MAX_EMOJI_BYTES).await?;
        let mime = fetched.sniffed.mime();
        if !EMOJI_TYPES.contains(&mime) {
            return Err(Error::UnsupportedMedia(mime.into()));
        }
        let n = self.inner.ids.next(self.now_ms());
        // A domain may carry a port (`host:8443`): media keys keep to `[A-Za-z0-9._-]`.
        let dir: String = domain
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file_key = format!(
            "cache/custom_emojis/{dir}/{}/{n}.{}",
            e.shortcode,
            fetched.sniffed.extension()
        );
        let file = self.put_bytes(&file_key, fetched.bytes, mime).await?;
        // The record as it is now: keep the copy only if it still names the same image.
        let current = self.get::<CustomEmoji>(NS, key).await?;
        let Some(mut current) =
            current.filter(|c| c.remote_url == e.remote_url && c.file.is_none())
        else {
            self.delete_keys(vec![file.key]).await;
            return Ok(false);
        };
        current.file = Some(file);
        let batch = WriteBatch::new()
            .kv_put(NS, key.to_owned(), serde_json::to_vec(&current)?)
            .insert(
                coll::CACHED_MEDIA,
                self.inner.ids.next(self.now_ms()),
                format!("emoji:{key}"),
            );
        self.store().apply(&batch).await?;
        Ok(true)
    }

    /// Forgets the cached image of a remote emoji (the retention sweep): the record stays
    /// and shows the remote URL again.
    pub(crate) async fn uncache_emoji(&self, key: &str) -> Result<(), Error> {
        if let Some(mut e) = self.get::<CustomEmoji>(NS, key).await? {
            if let (false, Some(f)) = (e.is_local(), e.file.take()) {
                self.put(NS, key, &e).await?;
                self.delete_keys(vec![f.key]).await;
            }
        }
        Ok(())
    }
}
