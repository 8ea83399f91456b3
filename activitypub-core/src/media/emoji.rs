//! Custom emoji: the `Emoji` tags of posts and actors, read in every shape servers send and
//! built as Mastodon builds them, and the `:shortcode:` rule that finds them in text.
//!
//! Shapes read (all in the shared corpus of real documents):
//!
//! - Mastodon, GoToSocial, Misskey/Sharkey, Kroeg: `{"id", "type": "Emoji", "name":
//!   ":code:", "updated", "icon": {"type": "Image", "mediaType", "url"}}` (Misskey's `id`
//!   is `/emojis/{name}`, its `url` has no file extension);
//! - Pleroma/Akkoma: the same without `icon.mediaType`, `id` the image URL, `updated` the
//!   epoch;
//! - `tag` as a single object rather than an array (Kroeg), `name` without the colons, and
//!   `icon` as a bare URL or an array of images.

use serde_json::{Map, Value};
use url::Url;

use super::{base_of, candidates, http_url, property};
use crate::builder::Id;
use crate::vocab::{Kind, Object};

/// The most `Emoji` tags [`emojis`] reads from one object (the rest are ignored).
pub const MAX_EMOJIS: usize = 256;

/// The longest shortcode accepted (Mastodon's `SHORTCODE_RE_FRAGMENT` has no limit; its
/// database column and every emoji pack in use stay well below this).
pub const MAX_SHORTCODE_LEN: usize = 128;

/// One custom emoji as a remote document names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteEmoji {
    /// The shortcode, without colons.
    pub shortcode: String,
    /// The image.
    pub url: Url,
    /// `icon.mediaType`, when given (Pleroma and Akkoma give none).
    pub media_type: Option<String>,
    /// The `Emoji`'s `id`, when given.
    pub id: Option<Url>,
    /// `updated`, as written.
    pub updated: Option<String>,
}

/// Whether `s` is a shortcode: two or more ASCII letters, digits or `_` (Mastodon's
/// `[a-zA-Z0-9_]{2,}`), at most [`MAX_SHORTCODE_LEN`].
pub fn is_shortcode(s: &str) -> bool {
    s.len() >= 2
        && s.len() <= MAX_SHORTCODE_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The `:shortcode:`s of a text, each once, in order of first appearance. As Mastodon's
/// `SCAN_RE` (`(?<=[^[:alnum:]:]|\n|^):(shortcode):(?=[^[:alnum:]:]|$)`): the colon before
/// must follow the start or a character that is neither alphanumeric nor a colon, and the
/// colon after must be followed by the end or such a character — so `a:code:` and
/// `:code::other:` name nothing, while `(:code:)` and `:a: :b:` do.
pub fn shortcodes_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != ':');
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b':' {
            i += 1;
            continue;
        }
        let before = text[..i].chars().next_back();
        let rest = &bytes[i + 1..];
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let closes = rest.get(len) == Some(&b':');
        if boundary(before) && closes {
            let end = i + 1 + len;
            let after = text[end + 1..].chars().next();
            let code = &text[i + 1..end];
            if boundary(after) && is_shortcode(code) {
                if !found.iter().any(|f| f == code) {
                    found.push(code.to_owned());
                }
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The custom emoji an object (a post, or an actor's `base`) carries as `Emoji` tags, at most
/// [`MAX_EMOJIS`], each shortcode once (the first wins). Tags of other types, and `Emoji`s
/// without a valid shortcode or an http(s) image, are skipped.
pub fn emojis(object: &Object) -> Vec<RemoteEmoji> {
    let base = base_of(object);
    let Some(tags) = property(object, "tag") else {
        return Vec::new();
    };
    let items: &[Value] = match &tags {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
    let mut out: Vec<RemoteEmoji> = Vec::new();
    for item in items {
        if out.len() >= MAX_EMOJIS {
            break;
        }
        let Value::Object(m) = item else { continue };
        if let Some(e) = read_emoji(m, base.as_ref()) {
            if !out.iter().any(|o| o.shortcode == e.shortcode) {
                out.push(e);
            }
        }
    }
    out
}

/// Reads one tag object as an `Emoji` (`None` for another type or an unusable one).
pub fn read_emoji(m: &Map<String, Value>, base: Option<&Url>) -> Option<RemoteEmoji> {
    let is_emoji = match m.get("type")? {
        Value::String(s) => s == "Emoji",
        Value::Array(a) => a.iter().any(|t| t.as_str() == Some("Emoji")),
        _ => false,
    };
    if !is_emoji {
        return None;
    }
    let name = m.get("name")?.as_str()?.trim();
    let shortcode = name.strip_prefix(':').unwrap_or(name);
    let shortcode = shortcode.strip_suffix(':').unwrap_or(shortcode);
    if !is_shortcode(shortcode) {
        return None;
    }
    let icon = m.get("icon")?;
    let mut found = Vec::new();
    candidates(icon, base, 0, &mut found);
    let first = found.into_iter().next()?;
    let icon_type = match icon {
        Value::Object(i) => i.get("mediaType").and_then(Value::as_str),
        Value::Array(a) => a
            .iter()
            .find_map(|i| i.get("mediaType").and_then(Value::as_str)),
        _ => None,
    };
    let media_type = icon_type
        .map(str::to_owned)
        .or(first.media_type)
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty());
    Some(RemoteEmoji {
        shortcode: shortcode.to_owned(),
        url: first.url,
        media_type,
        id: m
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| http_url(s, base)),
        updated: m
            .get("updated")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    })
}

/// An `Emoji` tag as Mastodon sends one: `id`, `type`, `name` (`:code:`), `updated`, and
/// `icon` (an `Image` with `mediaType` and `url`).
///
/// ```
/// use activitypub_core::media::emoji::EmojiBuilder;
/// use activitypub_core::ObjectId;
/// let tag = EmojiBuilder::new(
///     &ObjectId::parse("https://wool.example/emojis/blobcat")?,
///     "blobcat",
///     "image/png",
///     &ObjectId::parse("https://wool.example/media/custom_emojis/blobcat/1.png")?,
/// )
/// .updated("2026-12-07T12:00:00Z")
/// .build();
/// assert_eq!(
///     serde_json::to_string(&tag)?,
///     r#"{"id":"https://wool.example/emojis/blobcat","type":"Emoji","name":":blobcat:","updated":"2026-12-07T12:00:00Z","icon":{"type":"Image","mediaType":"image/png","url":"https://wool.example/media/custom_emojis/blobcat/1.png"}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EmojiBuilder {
    tag: Object,
}

impl EmojiBuilder {
    /// The `Emoji` `id`, for `shortcode` (without colons), its image's type and URL.
    pub fn new(id: &Id, shortcode: &str, media_type: &str, url: &Id) -> Self {
        let mut tag = Object::new(Kind::Emoji);
        tag.id = Some(id.clone());
        tag.name = Some(format!(":{shortcode}:"));
        let mut icon = Object::new(Kind::Image);
        icon.media_type = Some(media_type.to_owned());
        icon.url = Some(crate::lenient::OneOrMany::One(
            crate::lenient::Reference::Id(url.clone()),
        ));
        tag.icon = Some(crate::lenient::OneOrMany::One(
            crate::lenient::Reference::Object(Box::new(icon.into())),
        ));
        EmojiBuilder { tag }
    }
    /// `updated` (RFC 3339): when the image last changed.
    pub fn updated(mut self, t: impl Into<String>) -> Self {
        self.tag.updated = Some(crate::lenient::XsdDateTime::new_unchecked(t.into()));
        self
    }
    /// The tag.
    pub fn build(self) -> Object {
        self.tag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_follow_mastodons_boundaries() {
        assert_eq!(shortcodes_in(":blobcat: hi"), ["blobcat"]);
        assert_eq!(shortcodes_in("(:a_1:) and :b2:!"), ["a_1", "b2"]);
        assert_eq!(shortcodes_in(":ab: :ab: :cd:"), ["ab", "cd"]);
        assert_eq!(shortcodes_in("x:ab: ab:cd: :a: ::"), Vec::<String>::new());
        assert_eq!(shortcodes_in(":ab::cd:"), Vec::<String>::new());
        assert_eq!(shortcodes_in("é:ab:"), Vec::<String>::new());
        assert_eq!(shortcodes_in("—:ab:…"), ["ab"]);
        assert_eq!(shortcodes_in("line\n:ab:\n"), ["ab"]);
        assert_eq!(shortcodes_in("10:30:45"), Vec::<String>::new());
        assert_eq!(shortcodes_in(":"), Vec::<String>::new());
    }
}
