//! Mastodon's `Status` (with its `Mention`s, `Tag`s and `Application`), and `StatusEdit`.

use serde::Serialize;

use super::{Account, CustomEmoji, MediaAttachment, Nothing};
use crate::app::activitypub::rfc3339;
use crate::app::model::{self, Edit};
use crate::app::{App, Loaded};

/// Mastodon's `Status` as a viewer sees it. A boost wraps the boosted status in `reblog`.
///
/// `favourited`, `reblogged`, `muted` and `bookmarked` are present only when there is a
/// viewer, and `pinned` only on the viewer's own statuses, as on Mastodon.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Status {
    /// Id.
    pub id: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// The parent's id.
    pub in_reply_to_id: Option<String>,
    /// The parent's author's id.
    pub in_reply_to_account_id: Option<String>,
    /// Sensitive.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: String,
    /// `public`, `unlisted`, `private` or `direct`.
    pub visibility: &'static str,
    /// Language.
    pub language: Option<String>,
    /// The object IRI.
    pub uri: String,
    /// The public page.
    pub url: String,
    /// Replies.
    pub replies_count: u64,
    /// Boosts.
    pub reblogs_count: u64,
    /// Favourites.
    pub favourites_count: u64,
    /// Last edited (RFC 3339).
    pub edited_at: Option<String>,
    /// HTML.
    pub content: String,
    /// For a boost: the boosted status.
    pub reblog: Option<Box<Status>>,
    /// The application it was posted with.
    pub application: Option<Application>,
    /// The author.
    pub account: Account,
    /// Media attachments, in order.
    pub media_attachments: Vec<MediaAttachment>,
    /// Mentioned accounts.
    pub mentions: Vec<Mention>,
    /// Hashtags.
    pub tags: Vec<StatusTag>,
    /// The custom emoji of the content and content warning.
    pub emojis: Vec<CustomEmoji>,
    /// Preview card: none (always `null`).
    pub card: (),
    /// Poll: none (always `null`).
    pub poll: (),
    /// Filter results: none.
    pub filtered: Nothing,
    /// The viewer favourited it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    /// The viewer boosted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    /// The viewer muted the conversation (never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// The viewer bookmarked it (never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    /// The viewer's own status is pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
}

/// A mentioned account.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Mention {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// The profile page.
    pub url: String,
    /// `user` or `user@domain`.
    pub acct: String,
}

/// A hashtag of a status (Mastodon's `Status::Tag`: name and page only).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusTag {
    /// Lowercased name, without `#`.
    pub name: String,
    /// The tag's page.
    pub url: String,
}

/// Mastodon's `Tag` (no usage history is kept).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Tag {
    /// Lowercased name, without `#`.
    pub name: String,
    /// The tag's page.
    pub url: String,
    /// Usage history: none.
    pub history: Nothing,
    /// Whether the viewer follows it (only with a viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
}

/// The application a status was posted with.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Application {
    /// Name.
    pub name: String,
    /// Website.
    pub website: Option<String>,
}

/// Mastodon's `StatusEdit`: one version of a status.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusEdit {
    /// HTML.
    pub content: String,
    /// Content warning.
    pub spoiler_text: String,
    /// Sensitive.
    pub sensitive: bool,
    /// When this version was made (RFC 3339).
    pub created_at: String,
    /// The author.
    pub account: Account,
    /// Poll: none (always `null`).
    pub poll: (),
    /// Media attachments of this version, in order.
    pub media_attachments: Vec<MediaAttachment>,
    /// Custom emojis: none.
    pub emojis: Nothing,
}

impl Tag {
    /// The tag `name` (any case); `following` only for a viewer.
    pub(crate) fn new(app: &App, name: &str, following: Option<bool>) -> Tag {
        Tag {
            name: name.to_lowercase(),
            url: app.tag_url(name),
            history: [],
            following,
        }
    }
}

impl StatusEdit {
    /// The entity of one version, by `account`, its media found in `media`.
    pub(crate) fn new(
        app: &App,
        e: &Edit,
        account: Account,
        media: &[model::MediaAttachment],
    ) -> StatusEdit {
        StatusEdit {
            content: e.content.clone(),
            spoiler_text: e.spoiler_text.clone(),
            sensitive: e.sensitive,
            created_at: rfc3339(e.created_at),
            account,
            poll: (),
            media_attachments: e
                .media_ids
                .iter()
                .filter_map(|id| media.iter().find(|m| m.id == *id))
                .map(|m| MediaAttachment::new(app, m))
                .collect(),
            emojis: [],
        }
    }
}

impl Status {
    /// The entity of `s` as `l`'s viewer sees it, from what `l` holds (loaded by
    /// [`App::load_statuses`](crate::app::App::load_statuses)); `None` if its author, or for
    /// a boost the boosted status or its author, is unknown.
    pub(crate) fn from_loaded(app: &App, s: &model::Status, l: &Loaded) -> Option<Status> {
        let Some(of) = s.reblog_of_id else {
            return plain(app, s, l);
        };
        let inner = plain(app, l.status(of)?, l)?;
        let mut v = plain(app, s, l)?;
        v.content = String::new();
        v.spoiler_text = String::new();
        v.mentions = Vec::new();
        v.tags = Vec::new();
        v.url = inner.url.clone();
        if l.viewer().is_some() {
            v.favourited = inner.favourited;
            v.reblogged = inner.reblogged;
        }
        v.reblog = Some(Box::new(inner));
        Some(v)
    }
}

/// The entity of `s` itself (a boost without what it boosts).
fn plain(app: &App, s: &model::Status, l: &Loaded) -> Option<Status> {
    let author = l.account(s.account_id)?;
    let counts = l.status_counts(s.id);
    let flags = l.flags(s.id);
    Some(Status {
        id: s.id.to_string(),
        created_at: rfc3339(s.created_at),
        in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
        sensitive: s.sensitive,
        spoiler_text: s.spoiler_text.clone(),
        visibility: s.visibility.as_str(),
        language: s.language.clone(),
        uri: s.uri.clone(),
        url: s.url.clone(),
        replies_count: counts.replies,
        reblogs_count: counts.reblogs,
        favourites_count: counts.favourites,
        edited_at: s.edited_at.map(rfc3339),
        content: s.content.clone(),
        reblog: None,
        application: l.application(s.id).map(|a| Application {
            name: a.name.clone(),
            website: a.website.clone(),
        }),
        account: Account::from_loaded(app, author, l),
        media_attachments: s
            .media_ids
            .iter()
            .filter_map(|id| l.media(*id))
            .map(|m| MediaAttachment::new(app, m))
            .collect(),
        mentions: s
            .mentions
            .iter()
            .filter_map(|m| l.account(*m))
            .map(|a| Mention {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: a.url.clone(),
                acct: a.acct(),
            })
            .collect(),
        tags: s
            .tags
            .iter()
            .map(|t| StatusTag {
                name: t.to_lowercase(),
                url: app.tag_url(t),
            })
            .collect(),
        emojis: CustomEmoji::of_keys(app, &s.emojis, l),
        card: (),
        poll: (),
        filtered: [],
        favourited: flags.map(|f| f.favourited),
        reblogged: flags.map(|f| f.reblogged),
        muted: flags.map(|_| false),
        bookmarked: flags.map(|_| false),
        pinned: flags.and_then(|f| f.pinned),
    })
}
