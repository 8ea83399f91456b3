//! Objects seen as posts: Mastodon's transform of media-like objects into statuses, and the
//! author of an object attributed to several actors.

use serde_json::Value;
use url::Url;

use super::{attachments, base_of, candidates, icon, own_media, property, RemoteMedia};
use crate::builder::Id;
use crate::id::ObjectId;
use crate::vocab::{Kind, Object};

/// An object as a status: what Mastodon makes of it (see [`as_post`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PostView {
    /// The object's type (`Note`, `Question`, `Article`, `Page`, `Image`, `Video`, `Audio`,
    /// `Event`).
    pub kind: Kind,
    /// Whether the object was converted (every type but `Note` and `Question`).
    pub converted: bool,
    /// The status text (HTML, not sanitized here): a `Note`'s or `Question`'s `content`; for a
    /// converted object, its `content`, else its `name` (escaped, in a paragraph), followed
    /// by a paragraph linking to its [`url`](PostView::url).
    pub content_html: String,
    /// The content warning: `summary` (else the first `summaryMap` entry).
    pub content_warning: Option<String>,
    /// `sensitive`.
    pub sensitive: bool,
    /// The page to link to: the `url` that is a web page (`text/html`), else the first `url`,
    /// else the `id`.
    pub url: Option<Url>,
    /// The media attachments ([`attachments`](super::attachments)), at most
    /// [`MAX_ATTACHMENTS`](super::MAX_ATTACHMENTS).
    pub attachments: Vec<RemoteMedia>,
    /// The thumbnail: the object's `icon` (PeerTube's video thumbnail), for converted objects.
    pub thumbnail: Option<RemoteMedia>,
    /// For an `Image`, `Video` or `Audio`, the object's own playable file
    /// ([`own_media`](super::own_media)) — not part of Mastodon's rule, offered so a server
    /// can show the media itself rather than only a link to it.
    pub media: Option<RemoteMedia>,
}

const CONVERTED: [Kind; 6] = [
    Kind::Article,
    Kind::Page,
    Kind::Image,
    Kind::Audio,
    Kind::Video,
    Kind::Event,
];

/// The object as a status, by Mastodon's rule; `None` for types that are not posts (actors,
/// activities, `Tombstone`, `Document`, unknown types).
///
/// Mastodon's documentation (docs.joinmastodon.org, "Spec compliance → ActivityPub",
/// "Payloads") says, in substance: `Note` and `Question` are its own types and become a
/// status and a poll; `Article`, `Page`, `Image`, `Audio`, `Video` and `Event` are converted
/// as well as it can — the status text is made from `content` when there is one, otherwise
/// from `name`, the object's `url` is added at the end, `summary` becomes the content warning
/// and `icon` the thumbnail. That is what this does; in addition the `attachment`s are kept
/// (as Mastodon keeps them for every status) and `sensitive` is read.
pub fn as_post(object: &Object) -> Option<PostView> {
    let kind = object
        .kind
        .as_ref()?
        .iter()
        .find(|k| matches!(k, Kind::Note | Kind::Question) || CONVERTED.contains(k))?
        .clone();
    let converted = CONVERTED.contains(&kind);
    let url = page_url(object);
    let content = object
        .content_text()
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned);
    let content_html = if converted {
        let mut html = content.unwrap_or_else(|| {
            object
                .name_text()
                .filter(|n| !n.trim().is_empty())
                .map(|n| format!("<p>{}</p>", escape(n)))
                .unwrap_or_default()
        });
        if let Some(u) = &url {
            let u = escape(u.as_str());
            html.push_str(&format!("<p><a href=\"{u}\">{u}</a></p>"));
        }
        html
    } else {
        content.unwrap_or_default()
    };
    Some(PostView {
        converted,
        content_html,
        content_warning: object
            .summary_text()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        sensitive: object.sensitive.unwrap_or(false),
        url,
        attachments: attachments(object),
        thumbnail: if converted { icon(object) } else { None },
        media: own_media(object),
        kind,
    })
}

/// The page of an object: the `url` entry that is `text/html`, else the first, else the id.
fn page_url(object: &Object) -> Option<Url> {
    let base = base_of(object);
    let mut found = Vec::new();
    if let Some(v) = property(object, "url") {
        candidates(&v, base.as_ref(), 0, &mut found);
    }
    let html = found.iter().position(|c| {
        c.media_type
            .as_deref()
            .is_some_and(|t| t.trim_start().starts_with("text/html"))
    });
    match html.or(if found.is_empty() { None } else { Some(0) }) {
        Some(i) => Some(found.swap_remove(i).url),
        None => base,
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The author of an object, given the actor that signed (or sent) it.
///
/// `attributedTo` may be one IRI, one embedded actor, or a list (PeerTube attributes a video
/// to the account and to its channel, a `Group`; Plume sends a one-element list). The rule:
/// the signer, when it is one of the attributed actors; otherwise the first entry whose
/// `type` is `Person`, `Service` or `Application`; otherwise the first entry. `None` when
/// there is no usable id.
pub fn author_of(object: &Object, signer_actor: &str) -> Option<Id> {
    let value = property(object, "attributedTo")?;
    let entries: Vec<(String, Option<&str>)> = match &value {
        Value::Array(a) => a.iter().filter_map(entry).collect(),
        one => entry(one).into_iter().collect(),
    };
    let chosen = entries
        .iter()
        .find(|(id, _)| id == signer_actor)
        .or_else(|| {
            entries
                .iter()
                .find(|(_, t)| matches!(t, Some("Person" | "Service" | "Application")))
        })
        .or(entries.first())?;
    ObjectId::parse(&chosen.0).ok()
}

fn entry(v: &Value) -> Option<(String, Option<&str>)> {
    match v {
        Value::String(s) => Some((s.clone(), None)),
        Value::Object(m) => {
            let id = m.get("id").and_then(Value::as_str)?;
            let t = match m.get("type") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(Value::Array(a)) => a.iter().find_map(Value::as_str),
                _ => None,
            };
            Some((id.to_owned(), t))
        }
        _ => None,
    }
}
