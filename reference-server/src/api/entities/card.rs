//! Mastodon's `PreviewCard` (with its `PreviewCardAuthor`s).

use serde::Serialize;

use super::Account;
use crate::app::activitypub::rfc3339;
use crate::app::cards;
use crate::app::{App, Loaded};

/// Mastodon's `PreviewCard`: the card of a status's first link.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PreviewCard {
    /// The linked page.
    pub url: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Language (ISO 639-1).
    pub language: Option<String>,
    /// `link`, `photo`, `video` or `rich`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Author's name (deprecated by Mastodon in favour of `authors`).
    pub author_name: String,
    /// Author's page (deprecated likewise).
    pub author_url: String,
    /// Provider's name.
    pub provider_name: String,
    /// Provider's page.
    pub provider_url: String,
    /// Embed HTML (video players).
    pub html: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The image: the cached copy here, else its remote URL; `null` without one.
    pub image: Option<String>,
    /// The image's alt text.
    pub image_description: String,
    /// A photo embed's URL.
    pub embed_url: String,
    /// The image's blurhash.
    pub blurhash: Option<String>,
    /// When the page was published (RFC 3339).
    pub published_at: Option<String>,
    /// Its authors (one, as Mastodon builds it from the card).
    pub authors: Vec<PreviewCardAuthor>,
}

/// Mastodon's `PreviewCardAuthor`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PreviewCardAuthor {
    /// Name.
    pub name: String,
    /// Page.
    pub url: String,
    /// The fediverse account the page is attributed to, if it may be.
    pub account: Option<Account>,
}

impl PreviewCard {
    /// The entity of `c`, its attributed account from `l`.
    pub(crate) fn new(app: &App, c: &cards::PreviewCard, l: &Loaded) -> PreviewCard {
        PreviewCard {
            url: c.url.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            language: c.language.clone(),
            kind: c.kind.as_str(),
            author_name: c.author_name.clone(),
            author_url: c.author_url.clone(),
            provider_name: c.provider_name.clone(),
            provider_url: c.provider_url.clone(),
            html: c.html.clone(),
            width: c.width,
            height: c.height,
            image: c
                .image
                .as_ref()
                .map(|f| app.media_url(&f.key))
                .or_else(|| c.image_remote_url.clone()),
            image_description: c.image_description.clone(),
            embed_url: c.embed_url.clone(),
            blurhash: c.blurhash.clone(),
            published_at: c.published_at.map(rfc3339),
            authors: vec![PreviewCardAuthor {
                name: c.author_name.clone(),
                url: c.author_url.clone(),
                account: c
                    .author_account_id
                    .and_then(|id| l.account(id))
                    .map(|a| Account::from_loaded(app, a, l)),
            }],
        }
    }
}
