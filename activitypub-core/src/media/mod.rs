//! Media as the fediverse sends it: attachments, avatars and headers in every shape, and
//! objects that are media rather than notes seen as posts.
//!
//! - [`attachments`]: the media attached to an object (`attachment`), as [`RemoteMedia`].
//! - [`icon`] / [`image`]: an actor's avatar and header (or an object's thumbnail/banner).
//! - [`as_post`]: Mastodon's rule for turning a `Note`, `Question`, `Article`, `Page`,
//!   `Image`, `Video`, `Audio` or `Event` into a status ([`PostView`]).
//! - [`author_of`]: the author of an object whose `attributedTo` may be a list.
//! - [`emoji`]: custom emoji (`Emoji` tags, and `:shortcode:`s in text).
//!
//! Nothing here panics or fails on odd input: a value of a shape no server sends is skipped.
//!
//! The shapes read (all seen in the shared corpus of real documents):
//!
//! - an embedded `Document`/`Image`/`Video`/`Audio` with `url` and `mediaType` (Mastodon,
//!   Pleroma/Akkoma, Misskey, GoToSocial, Pixelfed, Mobilizon, Bookwyrm, WordPress), with
//!   `blurhash`, `focalPoint` (integers or fractions), `width`/`height`;
//! - its `url` as a string, a `Link` (`href`, `mediaType`), or an array of `Link`s
//!   (PeerTube: the page, an HLS playlist whose `tag` holds the MP4 files, torrents and
//!   magnets; Funkwhale: `mimeType` instead of `mediaType`);
//! - a `Link` attachment (Lemmy, Mbin), or a bare IRI;
//! - the description in `name` (most), `summary`, or `content` (Owncast);
//! - `icon`/`image` as an `Image`, an IRI, a `Link`, or an array of them (PeerTube thumbnails
//!   in several sizes); a relative URL is resolved against the object's `id`.

use serde_json::Value;
use url::Url;

use crate::vocab::{Kind, Object};

pub mod emoji;
mod post;

pub use post::{as_post, author_of, PostView};

/// The most attachments [`attachments`] returns: Mastodon keeps at most four media
/// attachments on a remote status and drops the rest.
pub const MAX_ATTACHMENTS: usize = 4;

/// The tallest video rendition [`attachments`] prefers when a server offers several (taller
/// ones are taken only when nothing smaller is offered).
pub const PREFERRED_MAX_HEIGHT: u64 = 1080;

/// What kind of media a [`RemoteMedia`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaKind {
    /// A still image (`image/*`, or an `Image` with no usable `mediaType`).
    Image,
    /// A video (`video/*`, or a `Video`).
    Video,
    /// Sound (`audio/*`, or an `Audio`).
    Audio,
    /// Anything else: a `Document` or `Link` of another or no media type, a bare IRI.
    Unknown,
}

impl MediaKind {
    /// The kind a media type names by its top-level type (`image/png` → `Image`).
    pub fn from_media_type(media_type: &str) -> Option<MediaKind> {
        let top = media_type.split('/').next()?.trim();
        if top.eq_ignore_ascii_case("image") {
            Some(MediaKind::Image)
        } else if top.eq_ignore_ascii_case("video") {
            Some(MediaKind::Video)
        } else if top.eq_ignore_ascii_case("audio") {
            Some(MediaKind::Audio)
        } else {
            None
        }
    }

    fn from_type(t: &str) -> MediaKind {
        match t {
            "Image" => MediaKind::Image,
            "Video" => MediaKind::Video,
            "Audio" => MediaKind::Audio,
            _ => MediaKind::Unknown,
        }
    }
}

/// One piece of remote media, as read from an attachment, `icon` or `image`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RemoteMedia {
    /// The file (an absolute http(s) URL).
    pub url: Url,
    /// `mediaType` (or Funkwhale's `mimeType`), of the attachment or of the `Link` chosen.
    pub media_type: Option<String>,
    /// Image, video, audio or unknown: from the media type's top level, else from `type`.
    pub kind: MediaKind,
    /// The description (alt text): `name`, else `summary`, else `content` (Owncast).
    pub description: Option<String>,
    /// `blurhash` (Mastodon, Misskey, GoToSocial, Mbin).
    pub blurhash: Option<String>,
    /// `focalPoint` (`[x, y]`, each clamped to -1..=1; x grows rightwards, y upwards).
    pub focal_point: Option<(f64, f64)>,
    /// `width` in pixels (of the attachment, else of the `Link` chosen).
    pub width: Option<u64>,
    /// `height` in pixels (of the attachment, else of the `Link` chosen).
    pub height: Option<u64>,
    /// A preview image: the attachment's `icon` or `preview` (PeerTube, Funkwhale).
    pub preview: Option<Url>,
}

impl RemoteMedia {
    /// Media at a URL, with nothing else known (kind [`MediaKind::Unknown`]).
    pub fn new(url: Url) -> Self {
        RemoteMedia {
            url,
            media_type: None,
            kind: MediaKind::Unknown,
            description: None,
            blurhash: None,
            focal_point: None,
            width: None,
            height: None,
            preview: None,
        }
    }

    /// Reads one attachment (or `icon`/`image`) value in any of the shapes listed in the
    /// [module docs](self); `base` resolves relative URLs. `None` when it is not media: a
    /// `PropertyValue`, `IdentityProof`, `Note`, `Hashtag`, `Emoji` or other non-media type,
    /// or no usable http(s) URL.
    pub fn from_json(value: &Value, base: Option<&Url>) -> Option<RemoteMedia> {
        read_media(value, base, None)
    }
}

/// The media attached to an object (`attachment`), at most [`MAX_ATTACHMENTS`], in order.
/// Non-media attachments (profile fields, identity proofs, quoted notes, unknown types) are
/// skipped; a bare IRI is kept with kind [`MediaKind::Unknown`].
pub fn attachments(object: &Object) -> Vec<RemoteMedia> {
    attachments_up_to(object, MAX_ATTACHMENTS)
}

/// [`attachments`] with another limit.
pub fn attachments_up_to(object: &Object, max: usize) -> Vec<RemoteMedia> {
    let base = base_of(object);
    let Some(value) = property(object, "attachment") else {
        return Vec::new();
    };
    let items: &[Value] = match &value {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
    items
        .iter()
        .filter_map(|v| read_media(v, base.as_ref(), None))
        .take(max)
        .collect()
}

/// The avatar: `icon` as an `Image`, a URL string, a `Link`, or an array of them (the
/// widest image of the array is taken). Kind defaults to [`MediaKind::Image`].
pub fn icon(object: &Object) -> Option<RemoteMedia> {
    picture(object, "icon")
}

/// The header (banner): `image`, read as [`icon`] reads `icon`.
pub fn image(object: &Object) -> Option<RemoteMedia> {
    picture(object, "image")
}

fn picture(object: &Object, key: &str) -> Option<RemoteMedia> {
    let base = base_of(object);
    let value = property(object, key)?;
    let mut found = match &value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| read_media(v, base.as_ref(), Some(MediaKind::Image)))
            .enumerate()
            // The widest; the first among equals (and when no width is given).
            .max_by_key(|(i, m)| (m.width.unwrap_or(0), std::cmp::Reverse(*i)))
            .map(|(_, m)| m),
        one => read_media(one, base.as_ref(), Some(MediaKind::Image)),
    }?;
    if found.kind == MediaKind::Unknown {
        found.kind = MediaKind::Image;
    }
    Some(found)
}

/// The object's `id` as a URL, to resolve relative URLs against.
pub(crate) fn base_of(object: &Object) -> Option<Url> {
    object
        .id
        .as_ref()
        .and_then(|id| Url::parse(id.as_str()).ok())
}

/// A property's JSON, whether it was read into a typed field or kept in `extra` (only the
/// field asked for is serialized).
pub(crate) fn property(object: &Object, key: &str) -> Option<Value> {
    if let Some(v) = object.extra.get(key) {
        return Some(v.clone());
    }
    let typed = match key {
        "attachment" => serde_json::to_value(&object.attachment),
        "icon" => serde_json::to_value(&object.icon),
        "image" => serde_json::to_value(&object.image),
        "url" => serde_json::to_value(&object.url),
        "attributedTo" => serde_json::to_value(&object.attributed_to),
        "tag" => serde_json::to_value(&object.tag),
        _ => return None,
    };
    typed.ok().filter(|v| !v.is_null())
}

/// An absolute http(s) URL, or a relative one resolved against `base`.
pub(crate) fn http_url(s: &str, base: Option<&Url>) -> Option<Url> {
    let s = s.trim();
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(s).ok()?,
        Err(_) => return None,
    };
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then_some(url)
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn first_type(m: &serde_json::Map<String, Value>) -> Option<&str> {
    match m.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().find_map(Value::as_str),
        _ => None,
    }
}

fn media_type_of(m: &serde_json::Map<String, Value>) -> Option<String> {
    text(m.get("mediaType")).or_else(|| text(m.get("mimeType")))
}

fn dimension(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f <= u32::MAX as f64)
            .map(|f| f.round() as u64)
    })
}

fn focal_point(v: Option<&Value>) -> Option<(f64, f64)> {
    let Value::Array(a) = v? else { return None };
    let [x, y] = a.as_slice() else { return None };
    let clamp = |v: &Value| {
        v.as_f64()
            .filter(|f| f.is_finite())
            .map(|f| f.clamp(-1.0, 1.0))
    };
    Some((clamp(x)?, clamp(y)?))
}

/// The types that are media (or may point at media); any other typed object is skipped.
fn is_media_type(t: &str) -> bool {
    matches!(t, "Document" | "Image" | "Video" | "Audio" | "Link")
}

/// One candidate file among a `url` value's entries.
pub(crate) struct Candidate {
    pub(crate) url: Url,
    pub(crate) media_type: Option<String>,
    width: Option<u64>,
    height: Option<u64>,
}

/// Every http(s) file a `url` value names: strings, `Link`s (and the `Link`s PeerTube nests
/// in an HLS playlist's `tag`), embedded objects with their own `url`/`href`.
pub(crate) fn candidates(v: &Value, base: Option<&Url>, depth: u8, out: &mut Vec<Candidate>) {
    if depth > 4 || out.len() > 256 {
        return;
    }
    match v {
        Value::String(s) => {
            if let Some(url) = http_url(s, base) {
                out.push(Candidate {
                    url,
                    media_type: None,
                    width: None,
                    height: None,
                });
            }
        }
        Value::Array(a) => {
            for item in a {
                candidates(item, base, depth + 1, out);
            }
        }
        Value::Object(m) => {
            let own = m
                .get("href")
                .and_then(Value::as_str)
                .or_else(|| m.get("url").and_then(Value::as_str))
                .and_then(|s| http_url(s, base));
            if let Some(url) = own {
                out.push(Candidate {
                    url,
                    media_type: media_type_of(m),
                    width: dimension(m.get("width")),
                    height: dimension(m.get("height")),
                });
            } else if let Some(inner) = m.get("url") {
                candidates(inner, base, depth + 1, out);
            }
            if let Some(tag) = m.get("tag") {
                let before = out.len();
                candidates(tag, base, depth + 1, out);
                // Only files from a tag (not the hash lists or metadata beside them).
                let tail = out.split_off(before);
                out.extend(tail.into_iter().filter(|c| {
                    c.media_type
                        .as_deref()
                        .and_then(MediaKind::from_media_type)
                        .is_some()
                }));
            }
        }
        _ => {}
    }
}

/// The best file for a kind of media: a playable/viewable one (`image/`, `video/`,
/// `audio/`, of the wanted kind first), the tallest up to [`PREFERRED_MAX_HEIGHT`] (else the
/// smallest above it), the first among equals; with none playable, the first URL that is not
/// a web page, else the first URL.
fn best(mut found: Vec<Candidate>, wanted: Option<MediaKind>) -> Option<Candidate> {
    let playable = |c: &Candidate| c.media_type.as_deref().and_then(MediaKind::from_media_type);
    let has_wanted = wanted.is_some_and(|w| found.iter().any(|c| playable(c) == Some(w)));
    let rank = |c: &Candidate| -> Option<(u8, u8, u64)> {
        let kind = playable(c)?;
        let kind_rank = u8::from(!has_wanted || Some(kind) == wanted);
        // Old PeerTube gives the resolution as `width` alone.
        let h = c.height.or(c.width).unwrap_or(0);
        // Up to the limit, the taller the better; above it, the shorter the better.
        let (fits, size_rank) = if h <= PREFERRED_MAX_HEIGHT {
            (1, h)
        } else {
            (0, u64::MAX - h)
        };
        Some((kind_rank, fits, size_rank))
    };
    let mut best_index = None;
    let mut best_rank = None;
    for (i, c) in found.iter().enumerate() {
        if let Some(r) = rank(c) {
            if best_rank.is_none_or(|b| r > b) {
                best_rank = Some(r);
                best_index = Some(i);
            }
        }
    }
    let index = best_index
        .or_else(|| {
            found.iter().position(|c| {
                c.media_type.is_none()
                    || !c
                        .media_type
                        .as_deref()
                        .is_some_and(|t| t.starts_with("text/html"))
            })
        })
        .or(if found.is_empty() { None } else { Some(0) })?;
    Some(found.swap_remove(index))
}

/// Reads one attachment (or `icon`/`image`) value; `kind_hint` is the kind an untyped
/// value is taken for.
fn read_media(v: &Value, base: Option<&Url>, kind_hint: Option<MediaKind>) -> Option<RemoteMedia> {
    match v {
        Value::String(s) => http_url(s, base).map(|url| RemoteMedia {
            kind: kind_hint.unwrap_or(MediaKind::Unknown),
            ..RemoteMedia::new(url)
        }),
        Value::Object(m) => {
            let t = first_type(m);
            if t.is_some_and(|t| !is_media_type(t)) {
                return None;
            }
            let type_kind = t.map_or(
                kind_hint.unwrap_or(MediaKind::Unknown),
                MediaKind::from_type,
            );
            let own_media_type = media_type_of(m);
            let wanted = own_media_type
                .as_deref()
                .and_then(MediaKind::from_media_type)
                .or(Some(type_kind).filter(|k| *k != MediaKind::Unknown));
            let mut found = Vec::new();
            match m.get("url") {
                Some(u) => candidates(u, base, 0, &mut found),
                None => {
                    if let Some(href) = m.get("href").and_then(Value::as_str) {
                        candidates(&Value::String(href.to_owned()), base, 0, &mut found);
                    }
                }
            }
            let chosen = best(found, wanted)?;
            let media_type = own_media_type.or(chosen.media_type);
            let kind = media_type
                .as_deref()
                .and_then(MediaKind::from_media_type)
                .unwrap_or(type_kind);
            let preview = m
                .get("icon")
                .or_else(|| m.get("preview"))
                .and_then(|p| read_media(p, base, Some(MediaKind::Image)))
                .map(|p| p.url);
            Some(RemoteMedia {
                url: chosen.url,
                media_type,
                kind,
                description: text(m.get("name"))
                    .or_else(|| text(m.get("summary")))
                    .or_else(|| text(m.get("content"))),
                blurhash: text(m.get("blurhash")),
                focal_point: focal_point(m.get("focalPoint")),
                width: dimension(m.get("width")).or(chosen.width),
                height: dimension(m.get("height")).or(chosen.height),
                preview,
            })
        }
        _ => None,
    }
}

/// The best playable file of an object that is itself media (a PeerTube `Video`, a
/// Funkwhale `Audio`, a Pixelfed `Image`): its `url` read as an attachment's, with its
/// `icon` as the preview; no description (its `name` is a title, not alt text).
pub fn own_media(object: &Object) -> Option<RemoteMedia> {
    let kind = [
        (Kind::Image, MediaKind::Image),
        (Kind::Video, MediaKind::Video),
        (Kind::Audio, MediaKind::Audio),
    ]
    .into_iter()
    .find_map(|(k, m)| object.is(&k).then_some(m))?;
    let base = base_of(object);
    let url = property(object, "url")?;
    let mut found = Vec::new();
    candidates(&url, base.as_ref(), 0, &mut found);
    // A PeerTube `Video` has `mediaType: text/markdown`, describing its `content`: only a
    // media type of media says something about the file.
    let own_type = object
        .media_type
        .clone()
        .filter(|t| MediaKind::from_media_type(t).is_some());
    let wanted = own_type
        .as_deref()
        .and_then(MediaKind::from_media_type)
        .or(Some(kind));
    let chosen = best(found, wanted)?;
    let media_type = own_type.or(chosen.media_type);
    let chosen_kind = media_type.as_deref().and_then(MediaKind::from_media_type);
    // Only a web page: nothing to play.
    let chosen_kind = chosen_kind?;
    let mut m = RemoteMedia::new(chosen.url);
    m.kind = chosen_kind;
    m.media_type = media_type;
    m.width = object.width.or(chosen.width);
    m.height = object.height.or(chosen.height);
    m.blurhash = object.blurhash.clone();
    m.preview = icon(object).map(|i| i.url);
    Some(m)
}
