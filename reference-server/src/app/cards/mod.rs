//! Link preview cards, as Mastodon makes them (`FetchLinkCardService`).
//!
//! - Which link: the first link of a post's HTML that is not a mention, a hashtag, a link to
//!   this instance or part of a quote's inline fallback ([`extract::first_link`]); no card for a
//!   post with media or a boost.
//! - When: in a background task once the post is stored (local or remote), never on the
//!   posting or inbox path ([`App::schedule_card`]); at most
//!   [`FETCHES_AT_ONCE`](super::remote_media::FETCHES_AT_ONCE) fetches of remote files and
//!   pages at once (they share the media cache's turns).
//! - How: through the engine's transport like the media cache
//!   ([`App::fetch_unsigned`]: the connect-time SSRF guard, unsigned, redirects followed by
//!   us and each hop checked again), at most [`HTML_BYTES`] of HTML within [`PAGE_TIMEOUT`].
//!   The page is read with an HTML parser ([`extract::page_details`]); its oEmbed endpoint
//!   (`<link rel="alternate" type="application/json+oembed">`) is tried first, as Mastodon
//!   does (`link`, `photo` and `video`; `rich` embeds rely on scripts and fall back), then
//!   OpenGraph / Twitter / plain `<meta>` tags and `<title>`. `fediverse:creator` names the
//!   author's fediverse account, attributed only when that account's actor lists the link's
//!   domain in its `attributionDomains` (Mastodon 4.4's rule).
//! - Cache: one [`PreviewCard`] record per URL (namespace `cards`), reused for two weeks by
//!   every post linking there; the image is fetched, scaled to a preview and stored under
//!   `cache/preview_cards/…` like remote media, listed in the media cache list so that the
//!   retention sweep clears it (the entity then shows the remote image URL).
//! - A post then names its card's URL (`Status::card_url`), so a page of statuses reads its
//!   cards in one multi-read (`App::load_statuses`).

pub mod extract;

use std::time::Duration;

use fedi_storage::WriteBatch;
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, MediaFile, Status};
use super::{host_of, App};
use crate::error::Error;
use crate::media::Purpose;

/// The most HTML read from a linked page (Mastodon reads 1 MB).
pub const HTML_BYTES: u64 = 1024 * 1024;
/// The most bytes of an oEmbed answer.
pub const OEMBED_BYTES: u64 = 256 * 1024;
/// The largest card image fetched.
pub const IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// The time bound for a page or an oEmbed answer (each hop).
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a card is reused before its page is read again (Mastodon: two weeks).
pub const REFRESH_AFTER_MS: u64 = 14 * 24 * 60 * 60 * 1000;

/// Mastodon's card `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardKind {
    /// A link (OpenGraph or an oEmbed `link`).
    Link,
    /// An oEmbed `photo`.
    Photo,
    /// A video player (oEmbed `video`, or `twitter:player`).
    Video,
    /// An oEmbed `rich` (kept by no path today; read for completeness).
    Rich,
}

impl CardKind {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Link => "link",
            CardKind::Photo => "photo",
            CardKind::Video => "video",
            CardKind::Rich => "rich",
        }
    }
}

/// The preview card of a URL (record of the `cards` namespace, keyed by the linked URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewCard {
    /// The page's own URL (its canonical URL, else where the redirects ended).
    pub url: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Language (ISO 639-1), if the page says.
    #[serde(default)]
    pub language: Option<String>,
    /// Mastodon's `type`.
    pub kind: CardKind,
    /// Author's name.
    #[serde(default)]
    pub author_name: String,
    /// Author's page.
    #[serde(default)]
    pub author_url: String,
    /// Provider's name.
    #[serde(default)]
    pub provider_name: String,
    /// Provider's page.
    #[serde(default)]
    pub provider_url: String,
    /// Embed HTML (video players), sanitized.
    #[serde(default)]
    pub html: String,
    /// Width (of the image, or the player).
    #[serde(default)]
    pub width: u32,
    /// Height.
    #[serde(default)]
    pub height: u32,
    /// The image on its server.
    #[serde(default)]
    pub image_remote_url: Option<String>,
    /// The cached image (a preview-sized copy).
    #[serde(default)]
    pub image: Option<MediaFile>,
    /// The image's alt text.
    #[serde(default)]
    pub image_description: String,
    /// A photo embed's URL.
    #[serde(default)]
    pub embed_url: String,
    /// The image's blurhash.
    #[serde(default)]
    pub blurhash: Option<String>,
    /// When the page was published (ms), if it says.
    #[serde(default)]
    pub published_at: Option<u64>,
    /// The fediverse account the page attributes itself to (`fediverse:creator`), when it
    /// may (see the module documentation).
    #[serde(default)]
    pub author_account_id: Option<u64>,
    /// When the page was read (ms).
    pub fetched_at: u64,
}

impl PreviewCard {
    /// An empty link card for `url`, read at `now`.
    fn new(url: String, now: u64) -> PreviewCard {
        PreviewCard {
            url,
            title: String::new(),
            description: String::new(),
            language: None,
            kind: CardKind::Link,
            author_name: String::new(),
            author_url: String::new(),
            provider_name: String::new(),
            provider_url: String::new(),
            html: String::new(),
            width: 0,
            height: 0,
            image_remote_url: None,
            image: None,
            image_description: String::new(),
            embed_url: String::new(),
            blurhash: None,
            published_at: None,
            author_account_id: None,
            fetched_at: now,
        }
    }

    /// Fills the card from an oEmbed answer (URLs made absolute against the endpoint);
    /// `false` for a kind Mastodon does not keep (`rich`, a `photo` without its `url`).
    fn apply_oembed(&mut self, o: &extract::OEmbed, endpoint: &url::Url) -> bool {
        let abs = |u: &Option<String>| u.as_deref().and_then(|u| extract::absolute(endpoint, u));
        self.title = extract::capped(o.title.as_deref().unwrap_or(""));
        self.author_name = o.author_name.clone().unwrap_or_default();
        self.author_url = abs(&o.author_url).unwrap_or_default();
        self.provider_name = o.provider_name.clone().unwrap_or_default();
        self.provider_url = abs(&o.provider_url).unwrap_or_default();
        match o.kind.as_str() {
            "link" => {
                self.kind = CardKind::Link;
                self.image_remote_url = abs(&o.thumbnail_url);
            }
            "photo" => {
                let Some(photo) = abs(&o.url) else {
                    return false;
                };
                self.kind = CardKind::Photo;
                self.embed_url = photo.clone();
                self.image_remote_url = Some(photo);
                self.width = o.width.unwrap_or(0);
                self.height = o.height.unwrap_or(0);
            }
            "video" => {
                self.kind = CardKind::Video;
                self.width = o.width.unwrap_or(0);
                self.height = o.height.unwrap_or(0);
                self.html = extract::sanitize_embed(o.html.as_deref().unwrap_or(""));
                self.image_remote_url = abs(&o.thumbnail_url);
            }
            _ => return false,
        }
        true
    }

    /// Fills the card from the page's tags (Mastodon's `LinkDetailsExtractor`).
    fn apply_page(&mut self, d: &extract::PageDetails, page: &url::Url) {
        let abs = |u: Option<&str>| u.and_then(|u| extract::absolute(page, u));
        self.title = extract::capped(&extract::collapse(
            d.first(&["og:title", "twitter:title"])
                .or(d.title.as_deref())
                .unwrap_or(""),
        ));
        self.description = extract::capped(&extract::collapse(
            d.first(&["og:description", "twitter:description", "description"])
                .unwrap_or(""),
        ));
        self.image_remote_url = abs(d.first(&[
            "og:image:secure_url",
            "og:image:url",
            "og:image",
            "twitter:image",
            "twitter:image:src",
        ]));
        self.image_description = d
            .first(&["og:image:alt", "twitter:image:alt"])
            .map(extract::capped)
            .unwrap_or_default();
        self.provider_name = d
            .first(&["og:site_name", "application-name"])
            .map(extract::capped)
            .unwrap_or_default();
        self.author_name = d
            .first(&["author", "article:author", "twitter:creator"])
            .filter(|a| url::Url::parse(a).is_err())
            .map(extract::capped)
            .unwrap_or_default();
        self.published_at = d
            .first(&["article:published_time", "og:published_time", "date"])
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64);
        self.language = d
            .first(&["og:locale"])
            .or(d.lang.as_deref())
            .and_then(|l| l.split(['_', '-']).next())
            .map(str::to_ascii_lowercase)
            .filter(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
        let player = abs(d.first(&["twitter:player", "og:video:secure_url", "og:video:url"]));
        match player {
            Some(src) => {
                self.kind = CardKind::Video;
                let n = |names: &[&str]| d.first(names).and_then(|v| v.trim().parse().ok());
                self.width = n(&["twitter:player:width", "og:video:width"]).unwrap_or(0);
                self.height = n(&["twitter:player:height", "og:video:height"]).unwrap_or(0);
                let iframe = maud::html! {
                    iframe src=(src) width=(self.width) height=(self.height)
                        allowfullscreen="true" allowtransparency="true" scrolling="no"
                        frameborder="0" {}
                };
                self.html = extract::sanitize_embed(&iframe.into_string());
            }
            None => self.kind = CardKind::Link,
        }
        if let Some(canonical) = abs(d.first(&["og:url"]).or(d.canonical.as_deref())) {
            // Only a canonical URL on the page's own host: another host could claim anything.
            if url::Url::parse(&canonical).is_ok_and(|c| c.host_str() == page.host_str()) {
                self.url = canonical;
            }
        }
    }
}

impl App {
    /// Finds, in the background, the card of a just stored (or edited) post's first link:
    /// nothing for a boost or a post with media, nor when it has one already.
    pub(crate) fn schedule_card(&self, status: &Status) {
        if status.reblog_of_id.is_some()
            || !status.media_ids.is_empty()
            || status.card_url.is_some()
            || !status.content.contains("href")
        {
            return;
        }
        let app = self.clone();
        let id = status.id;
        tokio::spawn(async move {
            if let Err(e) = app.fetch_card_for(id).await {
                tracing::info!(status = id, error = %e, "no preview card");
            }
        });
    }

    /// Gives status `status_id` the card of its first link (now, awaited): the cached card,
    /// or one made from the page when there is none or it is older than two weeks. `Ok(None)`
    /// when the post gets no card (no link, media, a page without a title …).
    pub async fn fetch_card_for(&self, status_id: u64) -> Result<Option<PreviewCard>, Error> {
        let s = self.status(status_id).await?;
        if s.reblog_of_id.is_some() || !s.media_ids.is_empty() || s.card_url.is_some() {
            return Ok(None);
        }
        let mut mention_urls = Vec::new();
        for a in self
            .accounts_by_id(&s.mentions)
            .await?
            .into_iter()
            .flatten()
        {
            mention_urls.push(a.url);
            mention_urls.push(a.actor);
        }
        let Some(link) = extract::first_link(&s.content, &mention_urls, &host_of(self.base()))
        else {
            return Ok(None);
        };
        let card = {
            let _turn = self.inner.media_fetches.acquire().await;
            let cached = self.card(&link).await?;
            match cached {
                Some(c) if self.now_ms().saturating_sub(c.fetched_at) < REFRESH_AFTER_MS => c,
                old => match self.make_card(&link, old).await? {
                    Some(c) => c,
                    None => return Ok(None),
                },
            }
        };
        // The post as it is now: an edit meanwhile looks for its own card.
        let mut current = match self.status(status_id).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        if current.content != s.content || current.card_url.is_some() {
            return Ok(None);
        }
        current.card_url = Some(link);
        self.put(ns::STATUSES, &current.id.to_string(), &current)
            .await?;
        Ok(Some(card))
    }

    /// The cached card of `url`.
    pub async fn card(&self, url: &str) -> Result<Option<PreviewCard>, Error> {
        self.get(ns::CARDS, url).await
    }

    /// The cards of several URLs in one store call, in order.
    pub(crate) async fn cards_by_url(
        &self,
        urls: &[String],
    ) -> Result<Vec<Option<PreviewCard>>, Error> {
        self.get_many(ns::CARDS, urls).await
    }

    /// Reads `link`'s page and makes its card (replacing `old`, whose cached image goes);
    /// stores it. `Ok(None)` when the answer is not an HTML page or says too little.
    async fn make_card(
        &self,
        link: &str,
        old: Option<PreviewCard>,
    ) -> Result<Option<PreviewCard>, Error> {
        let (page_url, response) = self
            .fetch_unsigned(link, "text/html", HTML_BYTES, PAGE_TIMEOUT)
            .await?;
        if response.status() != http::StatusCode::OK {
            return Ok(None);
        }
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut params = content_type.split(';');
        let mime = params.next().unwrap_or("").trim();
        if !matches!(mime, "text/html" | "application/xhtml+xml") {
            return Ok(None);
        }
        let charset = params
            .filter_map(|p| p.trim().strip_prefix("charset="))
            .map(|c| c.trim_matches('"').to_owned())
            .next();
        let details = extract::page_details(response.body(), charset.as_deref());
        let mut card = PreviewCard::new(page_url.to_string(), self.now_ms());
        let mut embedded = false;
        if let Some(endpoint) = details
            .oembed
            .as_deref()
            .and_then(|h| extract::absolute(&page_url, h))
        {
            match self
                .fetch_unsigned(&endpoint, "application/json", OEMBED_BYTES, PAGE_TIMEOUT)
                .await
            {
                Ok((at, answer)) if answer.status() == http::StatusCode::OK => {
                    if let Some(o) = extract::oembed(answer.body()) {
                        embedded = card.apply_oembed(&o, &at);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::info!(%endpoint, error = %e, "oEmbed not read"),
            }
        }
        if !embedded {
            card = PreviewCard::new(page_url.to_string(), card.fetched_at);
            card.apply_page(&details, &page_url);
            if card.title.is_empty() && card.html.is_empty() {
                return Ok(None);
            }
        }
        if let Some(handle) = details.first(&["fediverse:creator"]) {
            card.author_account_id = self.attributed_account(handle, &page_url).await;
        }
        let cached_image = match card.image_remote_url.clone() {
            Some(image) => match self.cache_card_image(&mut card, &image).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::info!(%image, error = %e, "card image not cached");
                    false
                }
            },
            None => false,
        };
        let mut batch = WriteBatch::new().kv_put(ns::CARDS, link, serde_json::to_vec(&card)?);
        if cached_image {
            batch = batch.insert(
                coll::CACHED_MEDIA,
                self.inner.ids.next(self.now_ms()),
                App::card_cache_member(link),
            );
        }
        if let Err(e) = self.store().apply(&batch).await {
            if let Some(f) = &card.image {
                self.delete_keys(vec![f.key.clone()]).await;
            }
            return Err(e.into());
        }
        if let Some(f) = old.and_then(|o| o.image) {
            self.delete_keys(vec![f.key]).await;
        }
        Ok(Some(card))
    }

    /// Fetches the card's image, scales it to a preview (with its blurhash) and stores it.
    async fn cache_card_image(&self, card: &mut PreviewCard, image: &str) -> Result<(), Error> {
        let fetched = self.fetch_remote_file(image, IMAGE_BYTES).await?;
        if !fetched.sniffed.is_image() {
            return Err(Error::UnsupportedMedia(fetched.sniffed.mime().into()));
        }
        let p = self
            .process_bytes(&fetched.bytes, Purpose::Attachment)
            .await?;
        let r = p.small.as_ref().unwrap_or(&p.original);
        let n = self.inner.ids.next(self.now_ms());
        let stored = self
            .store_rendition(r, &format!("cache/preview_cards/{n}/image.{}", r.extension))
            .await;
        let (width, height) = (r.width, r.height);
        p.remove_files();
        card.image = Some(stored?);
        card.blurhash = p.blurhash.clone();
        if card.kind == CardKind::Link {
            card.width = width.unwrap_or(0);
            card.height = height.unwrap_or(0);
        }
        Ok(())
    }

    /// Forgets the cached image of `url`'s card (the retention sweep) and deletes its file.
    pub(in crate::app) async fn uncache_card_image(&self, url: &str) -> Result<(), Error> {
        if let Some(mut card) = self.card(url).await? {
            if let Some(f) = card.image.take() {
                self.put(ns::CARDS, url, &card).await?;
                self.delete_keys(vec![f.key]).await;
            }
        }
        Ok(())
    }

    /// The account a page names as its author (`fediverse:creator`, `@user@domain`) if that
    /// account lets pages on `page`'s domain name it: its actor's `attributionDomains` holds
    /// the domain or a parent of it (Mastodon's `can_be_attributed_from?`).
    async fn attributed_account(&self, handle: &str, page: &url::Url) -> Option<u64> {
        let host = page.host_str()?.to_ascii_lowercase();
        let handle = handle
            .split_ascii_whitespace()
            .next()?
            .trim_start_matches('@');
        if !handle.contains('@') {
            return None;
        }
        let account = match self.resolve_handle(handle, true).await {
            Ok(Some(a)) if !a.is_local() => a,
            _ => return None,
        };
        let doc = fedi_storage::DocumentStore::get_document(&**self.store(), &account.actor)
            .await
            .ok()??;
        let actor: serde_json::Value = serde_json::from_slice(&doc.body).ok()?;
        let domains: Vec<String> = match &actor["attributionDomains"] {
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|d| d.as_str())
                .map(str::to_ascii_lowercase)
                .collect(),
            serde_json::Value::String(s) => vec![s.to_ascii_lowercase()],
            _ => Vec::new(),
        };
        let labels: Vec<&str> = host.split('.').collect();
        let allowed = (0..labels.len()).any(|i| domains.contains(&labels[i..].join(".")));
        allowed.then_some(account.id)
    }
}
