//! Mastodon's `Status` (with its `Mention`s, `Tag`s and `Application`), and `StatusEdit`.

use serde::Serialize;

use super::filter::FilterResult;
use super::{Account, CustomEmoji, MediaAttachment, Nothing, Poll, PreviewCard};
use crate::app::activitypub::rfc3339;
use crate::app::filter_match::CompiledFilters;
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
    /// The preview card of its first link, once made.
    pub card: Option<PreviewCard>,
    /// Its poll.
    pub poll: Option<Poll>,
    /// The post it quotes (Mastodon 4.5): `{state, quoted_status}`, or inside a quoted status
    /// `{state, quoted_status_id}`.
    pub quote: Option<Quote>,
    /// Who may quote it (Mastodon 4.5).
    pub quote_approval: QuoteApproval,
    /// The viewer's filters that match it (for a boost, what it boosts), in the page's
    /// context.
    pub filtered: Vec<FilterResult>,
    /// The viewer favourited it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    /// The viewer boosted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    /// The viewer muted the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// The viewer bookmarked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    /// The viewer's own status is pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
}

/// Mastodon's `Quote` (`quoted_status` only when accepted and visible) or, inside a quoted
/// status, its `ShallowQuote`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum Quote {
    /// `Quote`.
    Full {
        /// `pending`, `accepted`, …
        state: &'static str,
        /// The quoted status.
        quoted_status: Option<Box<Status>>,
    },
    /// `ShallowQuote`.
    Shallow {
        /// `pending`, `accepted`, …
        state: &'static str,
        /// The quoted status's id.
        quoted_status_id: Option<String>,
    },
}

/// Mastodon's `QuoteApproval`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QuoteApproval {
    /// Who gets their quotes approved at once (`public`, `followers`, …).
    pub automatic: Vec<&'static str>,
    /// Who gets their quotes reviewed.
    pub manual: Vec<&'static str>,
    /// How the policy applies to the viewer: `automatic`, `manual`, `denied` or `unknown`.
    pub current_user: &'static str,
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
    /// a boost the boosted status or its author, is unknown, or if a filter of the viewer
    /// hides it in the page's context. `filtered` holds the viewer's filters that match it
    /// (for a boost, on both the boost and what it boosts, as Mastodon's `filters_map`).
    pub(crate) fn from_loaded(app: &App, s: &model::Status, l: &Loaded) -> Option<Status> {
        let proper = match s.reblog_of_id {
            Some(of) => l.status(of)?,
            None => s,
        };
        let matches = l.filter_matches(s, proper);
        if l.filter_context().is_some() && CompiledFilters::hides(&matches) {
            return None;
        }
        let filtered: Vec<FilterResult> = matches.iter().map(FilterResult::from).collect();
        let Some(of) = s.reblog_of_id else {
            let mut v = plain(app, s, l, true)?;
            v.filtered = filtered;
            return Some(v);
        };
        let mut inner = plain(app, l.status(of)?, l, true)?;
        inner.filtered = filtered.clone();
        let mut v = plain(app, s, l, true)?;
        v.filtered = filtered;
        v.content = String::new();
        v.spoiler_text = String::new();
        v.mentions = Vec::new();
        v.tags = Vec::new();
        v.url = inner.url.clone();
        if l.viewer().is_some() {
            v.favourited = inner.favourited;
            v.reblogged = inner.reblogged;
            v.bookmarked = inner.bookmarked;
            v.muted = inner.muted;
        }
        v.reblog = Some(Box::new(inner));
        Some(v)
    }
}

/// The entity of `s` itself (a boost without what it boosts); `full_quote`: its quote with
/// the quoted status (else, inside a quoted status, a shallow quote).
fn plain(app: &App, s: &model::Status, l: &Loaded, full_quote: bool) -> Option<Status> {
    let author = l.account(s.account_id)?;
    if author.is_suspended() {
        // A suspended account's statuses are shown nowhere (Mastodon).
        return None;
    }
    let counts = l.status_counts(s.id);
    let flags = l.flags(s.id);
    Some(Status {
        id: s.id.to_string(),
        created_at: rfc3339(s.created_at),
        in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
        // An account marked sensitive by a moderator: its media always are.
        sensitive: s.sensitive
            || (author.moderation.sensitized_at.is_some() && !s.media_ids.is_empty()),
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
        card: s
            .card_url
            .as_deref()
            .and_then(|u| l.card(u))
            .map(|c| PreviewCard::new(app, c, l)),
        poll: Poll::from_loaded(s, l, app.now_ms()),
        quote: s.quote.as_ref().map(|q| quote(app, q, l, full_quote)),
        quote_approval: quote_approval(s, l.viewer()),
        filtered: Vec::new(),
        favourited: flags.map(|f| f.favourited),
        reblogged: flags.map(|f| f.reblogged),
        muted: flags.map(|f| f.muted),
        bookmarked: flags.map(|f| f.bookmarked),
        pinned: flags.and_then(|f| f.pinned),
    })
}

/// The quote of a status as `l`'s viewer sees it.
fn quote(app: &App, q: &crate::app::quotes::Quote, l: &Loaded, full: bool) -> Quote {
    let state = q.state.as_str();
    if !full {
        return Quote::Shallow {
            state,
            quoted_status_id: q.status_id.map(|i| i.to_string()),
        };
    }
    let viewer = l.viewer();
    let quoted_status = q
        .status_id
        .filter(|_| q.state == crate::app::quotes::QuoteState::Accepted)
        .and_then(|id| l.status(id))
        .filter(|qs| {
            qs.visibility.is_boostable()
                || viewer.is_some_and(|v| v == qs.account_id || qs.mentions.contains(&v))
        })
        .and_then(|qs| plain(app, qs, l, false))
        .map(Box::new);
    Quote::Full {
        state,
        quoted_status,
    }
}

/// Who may quote `s` and what that means for `viewer` (Woolly's policy: public and unlisted
/// posts by anyone, the author's own unless direct; other servers' policies are not kept).
fn quote_approval(s: &model::Status, viewer: Option<u64>) -> QuoteApproval {
    let open = s.reblog_of_id.is_none() && s.visibility.is_boostable();
    let current_user = match viewer {
        Some(v) if crate::app::quotes::quotable_by(s, v) && (s.local || v == s.account_id) => {
            "automatic"
        }
        Some(_) if s.local => "denied",
        _ => "unknown",
    };
    QuoteApproval {
        automatic: if open && s.local {
            vec!["public"]
        } else {
            Vec::new()
        },
        manual: Vec::new(),
        current_user,
    }
}
