//! Validation helpers: origin checks and the shapes that receivers must not trust as-is.
//!
//! These do no I/O and reject nothing by themselves: they return [`Finding`]s, and the
//! caller (the inbox, the fetcher, `woolly corpus check`) decides. The checks follow what
//! Mastodon and Pleroma/Akkoma enforce:
//!
//! - an activity's `id` shares its `actor`'s origin;
//! - an object embedded in `Create`/`Update` is attributed to the activity's actor;
//! - an embedded object whose `id` is on another origin than the actor is not trusted as
//!   sent (Mastodon refetches it from its origin);
//! - a fetched document's `id` shares the origin of the URL it was fetched from;
//! - an actor's `publicKey` is owned by the actor and lives on its origin;
//! - plus a few content checks (attachment types, `EmojiReact` content).

use std::fmt;

use crate::id::ObjectId;
use crate::lenient::Reference;
use crate::vocab::{Activity, Actor, AnyObject, Kind, Object};

/// One thing a validation helper found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// The activity's `id` and its `actor` are on different origins.
    ActivityOriginMismatch {
        /// The activity id.
        id: String,
        /// The actor.
        actor: String,
    },
    /// An object embedded in a `Create`/`Update` is attributed to someone else.
    AttributedToMismatch {
        /// The embedded object's id (or `?`).
        object: String,
        /// Its `attributedTo`.
        attributed_to: String,
        /// The activity's actor.
        actor: String,
    },
    /// An embedded object's `id` is on another origin than the activity's actor: not to be
    /// trusted as sent (refetch it from its origin).
    ForeignEmbeddedObject {
        /// Where it is embedded (e.g. `object`, `object.object`).
        path: String,
        /// The embedded object's id.
        id: String,
        /// The actor's origin.
        actor_origin: String,
    },
    /// An object's `id` and its `attributedTo` are on different origins.
    AttributionOriginMismatch {
        /// The object id.
        id: String,
        /// The attributed actor.
        attributed_to: String,
    },
    /// A document that is not an activity carries an `actor` on another origin than its
    /// `attributedTo` (an object dressed up to pass as someone else's activity).
    ObjectWithActor {
        /// The object id (or `?`).
        id: String,
    },
    /// A fetched document's `id` is not on the origin it was fetched from.
    FetchedOriginMismatch {
        /// The document's id.
        id: String,
        /// The URL it was fetched from.
        fetched: String,
    },
    /// A fetched document has no `id`, or an `id` that is not an http(s) URL.
    MissingId,
    /// An actor's key is not owned by the actor or lives on another origin.
    KeyOwnerMismatch {
        /// The key id.
        key_id: String,
        /// The key's `owner`.
        owner: String,
        /// The actor id.
        actor: String,
    },
    /// A post's attachment has a type that is not a media type or link (Pixelfed and
    /// Mastodon drop it).
    UnexpectedAttachmentType {
        /// The type found.
        kind: String,
    },
    /// An `EmojiReact` whose `content` is neither an emoji nor a custom `:shortcode:` with a
    /// matching `Emoji` tag (Pleroma rejects it).
    NotAnEmoji {
        /// The content.
        content: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::ActivityOriginMismatch { id, actor } => {
                write!(f, "activity id {id} is not on the origin of its actor {actor}")
            }
            Finding::AttributedToMismatch {
                object,
                attributed_to,
                actor,
            } => write!(
                f,
                "embedded object {object} is attributed to {attributed_to}, not to the actor {actor}"
            ),
            Finding::ForeignEmbeddedObject {
                path,
                id,
                actor_origin,
            } => write!(
                f,
                "embedded {path} {id} is not on the actor's origin {actor_origin}: not trusted as-is"
            ),
            Finding::AttributionOriginMismatch { id, attributed_to } => write!(
                f,
                "object {id} is not on the origin of its author {attributed_to}"
            ),
            Finding::ObjectWithActor { id } => {
                write!(f, "non-activity {id} carries an actor from another origin than its author")
            }
            Finding::FetchedOriginMismatch { id, fetched } => {
                write!(f, "document id {id} is not on the origin it was fetched from ({fetched})")
            }
            Finding::MissingId => f.write_str("document has no valid id"),
            Finding::KeyOwnerMismatch { key_id, owner, actor } => write!(
                f,
                "key {key_id} (owner {owner}) does not belong to actor {actor}"
            ),
            Finding::UnexpectedAttachmentType { kind } => {
                write!(f, "attachment of unexpected type {kind}")
            }
            Finding::NotAnEmoji { content } => {
                write!(f, "EmojiReact content {content:?} is not an emoji")
            }
        }
    }
}

fn id_str(o: &Object) -> String {
    o.id.as_ref()
        .map_or_else(|| "?".to_owned(), |i| i.as_str().to_owned())
}

/// Runs every check that needs only the document itself.
pub fn check(doc: &AnyObject) -> Vec<Finding> {
    let mut out = Vec::new();
    match doc {
        AnyObject::Activity(a) => check_activity(a, &mut out),
        AnyObject::Actor(a) => check_actor(a, &mut out),
        AnyObject::Object(o) => {
            // Pleroma/Akkoma put `actor` (= `attributedTo`) on every object, and Mobilizon
            // names an event's organizer as `actor` beside the group it is attributed to, on
            // the same server; only an `actor` on another origin than every author is
            // suspicious.
            if let Some(actor) = o.extra.get("actor").and_then(serde_json::Value::as_str) {
                let authors = o.attributed_to_ids();
                let origin = |s: &str| url::Url::parse(s).ok().map(|u| u.origin());
                let actor_origin = origin(actor);
                if !authors.is_empty()
                    && !authors.contains(&actor)
                    && !authors
                        .iter()
                        .any(|a| actor_origin.is_some() && origin(a) == actor_origin)
                {
                    out.push(Finding::ObjectWithActor { id: id_str(o) });
                }
            }
            check_object(o, &mut out);
        }
        AnyObject::Collection(_) | AnyObject::Link(_) => {}
    }
    out
}

/// [`check`], plus: the document's `id` is on the origin of the URL it was fetched from.
pub fn check_fetched(doc: &AnyObject, fetched_from: &url::Url) -> Vec<Finding> {
    let mut out = check(doc);
    match &doc.id {
        None => out.push(Finding::MissingId),
        Some(id) if id.url().origin() != fetched_from.origin() => {
            out.push(Finding::FetchedOriginMismatch {
                id: id.as_str().to_owned(),
                fetched: fetched_from.as_str().to_owned(),
            })
        }
        Some(_) => {}
    }
    out
}

fn check_object(o: &Object, out: &mut Vec<Finding>) {
    if let Some(id) = &o.id {
        for a in o.attributed_to_ids() {
            if let Ok(a_id) = ObjectId::<Actor>::parse(a) {
                if !a_id.same_origin(id) {
                    out.push(Finding::AttributionOriginMismatch {
                        id: id.as_str().to_owned(),
                        attributed_to: a.to_owned(),
                    });
                }
            }
        }
    }
    let post = [
        Kind::Note,
        Kind::Article,
        Kind::Page,
        Kind::Question,
        Kind::ChatMessage,
    ];
    if post.iter().any(|k| o.is(k)) {
        for r in o.attachment.iter().flat_map(|a| a.iter()) {
            if let Some(att) = r.object() {
                let ok = match att.primary_kind() {
                    None => true,
                    Some(Kind::Other(s)) => known_attachment(s),
                    Some(k) => matches!(
                        k,
                        Kind::Document
                            | Kind::Image
                            | Kind::Video
                            | Kind::Audio
                            | Kind::Link
                            | Kind::Page
                            | Kind::Note
                            | Kind::PropertyValue
                            | Kind::Emoji
                            | Kind::Event
                            | Kind::Place
                            | Kind::Hashtag
                            | Kind::Mention
                    ),
                };
                if !ok {
                    out.push(Finding::UnexpectedAttachmentType {
                        kind: att.type_name().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
    }
}

/// Attachment types seen in the wild beyond the ActivityStreams media types.
fn known_attachment(s: &str) -> bool {
    matches!(
        s,
        "Infohash" | "Edition" | "Book" | "Work" | "IdentityProof" | "Relationship"
    ) || s.contains(':')
}

fn check_actor(a: &Actor, out: &mut Vec<Finding>) {
    let Some(actor_id) = &a.id else { return };
    for k in a.public_key.iter().flat_map(|k| k.iter()) {
        if let Reference::Object(k) = k {
            let key_id =
                k.id.as_ref()
                    .map(|i| i.as_str().to_owned())
                    .unwrap_or_default();
            let owner_ok = k
                .owner
                .as_ref()
                .is_none_or(|o| o.as_str() == actor_id.as_str());
            let origin_ok = k.id.as_ref().is_none_or(|i| i.same_origin(actor_id));
            if !owner_ok || !origin_ok {
                out.push(Finding::KeyOwnerMismatch {
                    key_id,
                    owner: k
                        .owner
                        .as_ref()
                        .map(|o| o.as_str().to_owned())
                        .unwrap_or_default(),
                    actor: actor_id.as_str().to_owned(),
                });
            }
        }
    }
}

fn check_activity(a: &Activity, out: &mut Vec<Finding>) {
    let actors = a.actor_ids();
    let Some(actor) = actors
        .first()
        .and_then(|s| ObjectId::<Actor>::parse(s).ok())
    else {
        return;
    };
    if let Some(id) = &a.id {
        if !id.same_origin(&actor) {
            out.push(Finding::ActivityOriginMismatch {
                id: id.as_str().to_owned(),
                actor: actor.as_str().to_owned(),
            });
        }
    }
    let creates = a.is(&Kind::Create) || a.is(&Kind::Update);
    for r in a.object.iter().flat_map(|o| o.iter()) {
        let Reference::Object(obj) = r else { continue };
        if let Some(oid) = &obj.id {
            if !oid.same_origin(&actor) {
                out.push(Finding::ForeignEmbeddedObject {
                    path: "object".to_owned(),
                    id: oid.as_str().to_owned(),
                    actor_origin: actor.origin(),
                });
            }
        }
        if creates && !matches!(**obj, AnyObject::Actor(_)) {
            for at in foreign_authors(&obj.attributed_to_ids(), actor.as_str()) {
                out.push(Finding::AttributedToMismatch {
                    object: id_str(obj),
                    attributed_to: at.to_owned(),
                    actor: actor.as_str().to_owned(),
                });
            }
        }
        if let AnyObject::Activity(inner) = &**obj {
            let mut inner_findings = Vec::new();
            check_activity(inner, &mut inner_findings);
            out.extend(inner_findings);
        } else if let AnyObject::Object(o) = &**obj {
            check_object(o, out);
        }
    }
    if a.is(&Kind::EmojiReact) {
        let content = a.content_text().unwrap_or_default();
        if !is_emoji_reaction(content, &a.base) {
            out.push(Finding::NotAnEmoji {
                content: content.to_owned(),
            });
        }
    }
}

/// A Unicode emoji (no ASCII, short) or a `:shortcode:` with a matching `Emoji` tag.
/// The entries of an object's `attributedTo` that `actor` may not claim when it creates or
/// updates the object: none when the list is empty or the actor alone; a list that names the
/// actor may name others of the actor's origin beside it (PeerTube: the account and its
/// channel); anything else is foreign. The inbox's runner applies the same rule.
pub(crate) fn foreign_authors<'a>(authors: &[&'a str], actor: &str) -> Vec<&'a str> {
    if authors.is_empty() || authors == [actor] {
        return Vec::new(); // the common case, without parsing
    }
    let origin = url::Url::parse(actor).ok().map(|u| u.origin());
    let listed = authors.contains(&actor);
    authors
        .iter()
        .copied()
        .filter(|at| {
            let co_author = listed
                && url::Url::parse(at)
                    .ok()
                    .is_some_and(|u| Some(u.origin()) == origin);
            *at != actor && !co_author
        })
        .collect()
}

fn is_emoji_reaction(content: &str, o: &Object) -> bool {
    if let Some(code) = content.strip_prefix(':').and_then(|c| c.strip_suffix(':')) {
        return o.tag.iter().flat_map(|t| t.iter()).any(|t| {
            t.object().is_some_and(|t| {
                t.is(&Kind::Emoji)
                    && t.name
                        .as_deref()
                        .is_some_and(|n| n.trim_matches(':') == code)
            })
        });
    }
    !content.is_empty() && content.chars().count() <= 16 && !content.chars().any(|c| c.is_ascii())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn doc(s: &str) -> AnyObject {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn same_origin_create_is_clean() {
        let d = doc(
            r#"{"id":"https://a.example/1/activity","type":"Create","actor":"https://a.example/u/x","object":{"id":"https://a.example/1","type":"Note","attributedTo":"https://a.example/u/x"}}"#,
        );
        assert_eq!(check(&d), vec![]);
    }

    #[test]
    fn spoofed_create_is_flagged() {
        let d = doc(
            r#"{"id":"https://evil.example/1","type":"Create","actor":"https://a.example/u/x","object":{"id":"https://b.example/n/1","type":"Note","attributedTo":"https://b.example/u/y"}}"#,
        );
        let f = check(&d);
        assert!(
            f.iter()
                .any(|f| matches!(f, Finding::ActivityOriginMismatch { .. })),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|f| matches!(f, Finding::ForeignEmbeddedObject { .. })),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|f| matches!(f, Finding::AttributedToMismatch { .. })),
            "{f:?}"
        );
    }

    #[test]
    fn list_attribution_naming_the_actor() {
        let create = |at: &str| {
            doc(&format!(
                r#"{{"id":"https://a.example/1/activity","type":"Create","actor":"https://a.example/u/x","object":{{"id":"https://a.example/1","type":"Video","attributedTo":{at}}}}}"#
            ))
        };
        let peertube = r#"[{"type":"Person","id":"https://a.example/u/x"},{"type":"Group","id":"https://a.example/c/y"}]"#;
        assert_eq!(check(&create(peertube)), vec![]);
        // Without the actor, or with someone of another origin, it is still flagged.
        assert_eq!(check(&create(r#"["https://a.example/u/z"]"#)).len(), 1);
        assert_eq!(
            check(&create(
                r#"["https://a.example/u/x","https://b.example/u/z"]"#
            ))
            .len(),
            2
        );
    }

    #[test]
    fn fetched_origin() {
        let d = doc(r#"{"id":"https://a.example/n/1","type":"Note"}"#);
        let u = url::Url::parse("https://b.example/n/1").unwrap();
        assert!(matches!(
            check_fetched(&d, &u)[..],
            [Finding::FetchedOriginMismatch { .. }]
        ));
        let u = url::Url::parse("https://a.example/other").unwrap();
        assert!(check_fetched(&d, &u).is_empty());
    }

    #[test]
    fn emoji_reactions() {
        let ok = doc(
            r#"{"type":"EmojiReact","actor":"https://a.example/u","object":"https://b.example/n","content":"👍"}"#,
        );
        assert!(check(&ok).is_empty());
        let custom = doc(
            r#"{"type":"EmojiReact","actor":"https://a.example/u","object":"https://b.example/n","content":":blob:","tag":[{"type":"Emoji","name":":blob:","icon":{"type":"Image","url":"https://a.example/e.png"}}]}"#,
        );
        assert!(check(&custom).is_empty());
        let bad = doc(
            r#"{"type":"EmojiReact","actor":"https://a.example/u","object":"https://b.example/n","content":"~"}"#,
        );
        assert!(matches!(check(&bad)[..], [Finding::NotAnEmoji { .. }]));
    }
}
