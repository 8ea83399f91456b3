//! The JSON Resource Descriptor (RFC 7033 §4.4), read tolerantly and losslessly.
//!
//! Every member this crate knows (`subject`, `aliases`, `properties`, `links`; and per link
//! `rel`, `type`, `href`, `template`, `titles`, `properties`) lands in a typed field when its value
//! has the expected JSON type. Anything else — unknown members, `null`s where a string was
//! expected (Lemmy sends `"template": null`), empty arrays or objects, values of the wrong type —
//! is kept verbatim in `extra`, so that parse → serialize → parse gives back the same JSON value.
//!
//! On output a typed field wins over an `extra` member of the same name; a typed field that is
//! empty (`None`, empty `Vec`/map, empty `rel`) is left out and the `extra` member, if any, is
//! written instead.

use std::collections::BTreeMap;

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use url::Url;

use crate::Error;

/// Well-known link relation types.
pub mod rel {
    /// The ActivityPub actor (with an ActivityStreams media type).
    pub const SELF: &str = "self";
    /// The account's HTML profile page.
    pub const PROFILE_PAGE: &str = "http://webfinger.net/rel/profile-page";
    /// The profile page rel as WriteFreely spells it (`https`).
    pub const PROFILE_PAGE_HTTPS: &str = "https://webfinger.net/rel/profile-page";
    /// The avatar image.
    pub const AVATAR: &str = "http://webfinger.net/rel/avatar";
    /// The OStatus remote-follow ("subscribe") template, with `{uri}`.
    pub const SUBSCRIBE: &str = "http://ostatus.org/schema/1.0/subscribe";
    /// The host-meta link to the WebFinger endpoint (RFC 6415), with `{uri}`.
    pub const LRDD: &str = "lrdd";
}

/// The link property naming the actor's ActivityStreams type (sent by Lemmy).
pub const AS_TYPE_PROPERTY: &str = "https://www.w3.org/ns/activitystreams#type";

/// Well-known media types.
pub mod media_type {
    /// The JRD media type.
    pub const JRD: &str = "application/jrd+json";
    /// The XRD media type.
    pub const XRD: &str = "application/xrd+xml";
    /// The ActivityPub media type.
    pub const ACTIVITY_JSON: &str = "application/activity+json";
    /// The JSON-LD ActivityStreams media type, as Mastodon writes it.
    pub const LD_JSON_ACTIVITYSTREAMS: &str =
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
    /// HTML.
    pub const HTML: &str = "text/html";
}

/// A JSON Resource Descriptor.
///
/// ```
/// use webfinger::Jrd;
/// let body = br#"{"subject":"acct:alice@example.com","links":[
///   {"rel":"self","type":"application/activity+json","href":"https://example.com/users/alice"},
///   {"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://example.com/authorize_interaction?uri={uri}","x-extra":1}
/// ]}"#;
/// let jrd = Jrd::from_slice(body)?;
/// assert_eq!(jrd.actor_url().unwrap().as_str(), "https://example.com/users/alice");
/// // Lossless: unknown members survive.
/// let again: serde_json::Value = serde_json::from_slice(&jrd.to_vec())?;
/// let original: serde_json::Value = serde_json::from_slice(body)?;
/// assert_eq!(again, original);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Jrd {
    /// The `subject` URI (usually `acct:user@host`).
    pub subject: Option<String>,
    /// Other URIs for the same entity (profile URL, actor URL…).
    pub aliases: Vec<String>,
    /// Properties: URI → string or `null`.
    pub properties: BTreeMap<String, Option<String>>,
    /// Links, in document order.
    pub links: Vec<Link>,
    /// Every other member, kept verbatim (see the module docs).
    pub extra: Map<String, Value>,
}

/// One entry of a JRD's `links` array.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Link {
    /// The link relation type (`self`, a URI…). Empty when missing.
    pub rel: String,
    /// The `type` member: the media type of the target.
    pub media_type: Option<String>,
    /// The target URI.
    pub href: Option<String>,
    /// A URI template (OStatus subscribe, `lrdd`), with `{uri}`.
    pub template: Option<String>,
    /// Human-readable titles: language tag (or `und`) → title.
    pub titles: BTreeMap<String, String>,
    /// Link properties: URI → string or `null`.
    pub properties: BTreeMap<String, Option<String>>,
    /// Every other member, kept verbatim.
    pub extra: Map<String, Value>,
}

impl Link {
    /// A link with the given relation type and nothing else.
    pub fn new(rel: impl Into<String>) -> Self {
        Self {
            rel: rel.into(),
            ..Self::default()
        }
    }

    /// Sets `type`.
    #[must_use]
    pub fn with_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// Sets `href`.
    #[must_use]
    pub fn with_href(mut self, href: impl Into<String>) -> Self {
        self.href = Some(href.into());
        self
    }

    /// Sets `template`.
    #[must_use]
    pub fn with_template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Whether this is an ActivityPub actor link: `rel="self"` with type
    /// `application/activity+json`, or `application/ld+json` with the ActivityStreams profile.
    pub fn is_activitypub_actor(&self) -> bool {
        self.rel == rel::SELF
            && self
                .media_type
                .as_deref()
                .is_some_and(is_activitystreams_type)
    }

    /// `href` as an absolute `http(s)` URL, if it is one.
    pub fn href_url(&self) -> Option<Url> {
        self.href.as_deref().and_then(parse_http_url)
    }
}

/// Whether a media type names ActivityStreams JSON (`application/activity+json`, or
/// `application/ld+json` with `profile="https://www.w3.org/ns/activitystreams"`).
/// Case, spaces and quoting are tolerated.
pub fn is_activitystreams_type(media_type: &str) -> bool {
    let mut parts = media_type.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(media_type::ACTIVITY_JSON) {
        return true;
    }
    if !essence.eq_ignore_ascii_case("application/ld+json") {
        return false;
    }
    parts.any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        if !name.trim().eq_ignore_ascii_case("profile") {
            return false;
        }
        let value = value.trim().trim_matches('"');
        // A profile parameter may list several space-separated URIs.
        value
            .split_ascii_whitespace()
            .any(|p| p == "https://www.w3.org/ns/activitystreams")
    })
}

pub(crate) fn parse_http_url(s: &str) -> Option<Url> {
    let url = Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then_some(url)
}

impl Jrd {
    /// An empty JRD with the given subject.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: Some(subject.into()),
            ..Self::default()
        }
    }

    /// Parses a JRD from JSON bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(Error::InvalidJrd)
    }

    /// Builds a JRD from a parsed JSON value (which must be an object).
    pub fn from_value(value: Value) -> Result<Self, Error> {
        serde_json::from_value(value).map_err(Error::InvalidJrd)
    }

    /// Serializes to compact JSON bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        // Cannot fail: all map keys are strings and all values are JSON values.
        serde_json::to_vec(self).expect("a Jrd always serializes")
    }

    /// Converts to a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a Jrd always serializes")
    }

    /// The links with the given relation type, in document order.
    pub fn links_with_rel<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a Link> + 'a {
        self.links.iter().filter(move |l| l.rel == rel)
    }

    /// The ActivityPub actor link: the first `rel="self"` link with an ActivityStreams type and
    /// an `http(s)` `href`.
    pub fn actor_link(&self) -> Option<&Link> {
        self.links
            .iter()
            .find(|l| l.is_activitypub_actor() && l.href_url().is_some())
    }

    /// The ActivityPub actor URL (see [`Jrd::actor_link`]).
    pub fn actor_url(&self) -> Option<Url> {
        self.links
            .iter()
            .filter(|l| l.is_activitypub_actor())
            .find_map(Link::href_url)
    }

    /// The actor URL whose link declares the given ActivityStreams type in its properties
    /// (`https://www.w3.org/ns/activitystreams#type`, as Lemmy sends when a name is both a
    /// `Person` and a `Group`); falls back to [`Jrd::actor_url`] when no link declares a type.
    pub fn actor_url_for_type(&self, as_type: &str) -> Option<Url> {
        let typed = |l: &&Link| {
            l.properties
                .get(AS_TYPE_PROPERTY)
                .is_some_and(|t| t.as_deref() == Some(as_type))
        };
        let any_typed = self
            .links
            .iter()
            .any(|l| l.is_activitypub_actor() && l.properties.contains_key(AS_TYPE_PROPERTY));
        if any_typed {
            self.links
                .iter()
                .filter(|l| l.is_activitypub_actor())
                .filter(typed)
                .find_map(Link::href_url)
        } else {
            self.actor_url()
        }
    }

    /// The profile page URL: the first `http://webfinger.net/rel/profile-page` link (or its `https`
    /// spelling) whose type is `text/html` or absent, else the first of any type.
    pub fn profile_page(&self) -> Option<Url> {
        let candidates = || {
            self.links
                .iter()
                .filter(|l| l.rel == rel::PROFILE_PAGE || l.rel == rel::PROFILE_PAGE_HTTPS)
        };
        candidates()
            .filter(|l| {
                l.media_type
                    .as_deref()
                    .is_none_or(|t| t.trim().to_ascii_lowercase().starts_with("text/html"))
            })
            .find_map(Link::href_url)
            .or_else(|| candidates().find_map(Link::href_url))
    }

    /// The avatar URL (`http://webfinger.net/rel/avatar`).
    pub fn avatar(&self) -> Option<Url> {
        self.links_with_rel(rel::AVATAR).find_map(Link::href_url)
    }

    /// The OStatus subscribe (remote follow) template, e.g.
    /// `https://example.com/authorize_interaction?uri={uri}`.
    pub fn subscribe_template(&self) -> Option<&str> {
        self.links_with_rel(rel::SUBSCRIBE)
            .find_map(|l| l.template.as_deref())
    }

    /// The `lrdd` template of a host-meta document.
    pub fn lrdd_template(&self) -> Option<&str> {
        // Prefer a template advertised for JRD, then one without type, then any.
        let lrdd = || {
            self.links_with_rel(rel::LRDD)
                .filter(|l| l.template.is_some())
        };
        lrdd()
            .find(|l| {
                l.media_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(media_type::JRD))
            })
            .or_else(|| lrdd().find(|l| l.media_type.is_none()))
            .or_else(|| lrdd().next())
            .and_then(|l| l.template.as_deref())
    }

    /// Keeps only the links whose `rel` is one of `rels` (RFC 7033 §4.3); an empty `rels`
    /// keeps every link. After filtering by a non-empty `rels` the JRD always has a `links`
    /// array, empty when no link matched (`"links":[]`), never a missing member.
    ///
    /// ```
    /// use webfinger::{Jrd, Link};
    /// let mut jrd = Jrd::new("acct:alice@example.com");
    /// jrd.links.push(Link::new("self").with_href("https://example.com/users/alice"));
    /// jrd.retain_rels(&["http://webfinger.net/rel/avatar"]);
    /// assert_eq!(jrd.to_vec(), br#"{"subject":"acct:alice@example.com","links":[]}"#);
    /// ```
    pub fn retain_rels<S: AsRef<str>>(&mut self, rels: &[S]) {
        if rels.is_empty() {
            return;
        }
        let wanted = |rel: &str| rels.iter().any(|r| r.as_ref() == rel);
        self.links.retain(|l| wanted(&l.rel));
        if !self.links.is_empty() {
            return;
        }
        // No typed link is left: `links` is written from `extra` (see the module docs), so
        // an empty array goes there; a `links` array kept verbatim is filtered the same way.
        match self.extra.get_mut("links") {
            Some(Value::Array(raw)) => {
                raw.retain(|v| v.get("rel").and_then(Value::as_str).is_some_and(&wanted))
            }
            _ => {
                self.extra
                    .insert("links".to_owned(), Value::Array(Vec::new()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lossless (de)serialization.
//
// Deserialization streams: known members are read as `serde_json::Value`s and classified
// (typed field, or verbatim into `extra`); links are read straight into `Link`s without an
// intermediate JSON map. A repeated member replaces the earlier one, as in a JSON map.

fn classify_string(key: &str, v: Value, extra: &mut Map<String, Value>) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        other => {
            extra.insert(key.to_owned(), other);
            None
        }
    }
}

fn classify_string_list(key: &str, v: Value, extra: &mut Map<String, Value>) -> Vec<String> {
    match v {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        other => {
            extra.insert(key.to_owned(), other);
            Vec::new()
        }
    }
}

/// An object whose values are strings (or, for properties, null). Duplicate keys cannot occur
/// in a `Map`, so the conversion is exact.
fn classify_string_map<T>(
    key: &str,
    v: Value,
    extra: &mut Map<String, Value>,
    accept: fn(&Value) -> bool,
    convert: fn(Value) -> T,
) -> BTreeMap<String, T> {
    match v {
        Value::Object(obj) if !obj.is_empty() && obj.values().all(accept) => {
            obj.into_iter().map(|(k, v)| (k, convert(v))).collect()
        }
        other => {
            extra.insert(key.to_owned(), other);
            BTreeMap::new()
        }
    }
}

fn is_property_value(v: &Value) -> bool {
    v.is_null() || v.is_string()
}

fn property_value(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn title_value(v: Value) -> String {
    match v {
        Value::String(s) => s,
        _ => String::new(),
    }
}

struct JrdVisitor;

impl<'de> Visitor<'de> for JrdVisitor {
    type Value = Jrd;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JRD object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Jrd, A::Error> {
        let mut jrd = Jrd::default();
        while let Some(key) = access.next_key::<String>()? {
            // A repeated member replaces the earlier one.
            jrd.extra.shift_remove(&key);
            match key.as_str() {
                "subject" => {
                    let v = access.next_value()?;
                    jrd.subject = classify_string(&key, v, &mut jrd.extra);
                }
                "aliases" => {
                    let v = access.next_value()?;
                    jrd.aliases = classify_string_list(&key, v, &mut jrd.extra);
                }
                "properties" => {
                    let v = access.next_value()?;
                    jrd.properties = classify_string_map(
                        &key,
                        v,
                        &mut jrd.extra,
                        is_property_value,
                        property_value,
                    );
                }
                "links" => {
                    jrd.links = match access.next_value::<LinksField>()? {
                        LinksField::Links(links) if !links.is_empty() => links,
                        LinksField::Links(_) => {
                            jrd.extra.insert(key, Value::Array(Vec::new()));
                            Vec::new()
                        }
                        LinksField::Raw(v) => {
                            jrd.extra.insert(key, v);
                            Vec::new()
                        }
                    };
                }
                _ => {
                    let v = access.next_value()?;
                    jrd.extra.insert(key, v);
                }
            }
        }
        Ok(jrd)
    }
}

struct LinkVisitor;

impl<'de> Visitor<'de> for LinkVisitor {
    type Value = Link;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JRD link object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Link, A::Error> {
        let mut link = Link::default();
        while let Some(key) = access.next_key::<String>()? {
            link.extra.shift_remove(&key);
            match key.as_str() {
                "rel" => {
                    link.rel = match access.next_value()? {
                        Value::String(s) if !s.is_empty() => s,
                        other => {
                            link.extra.insert(key, other);
                            String::new()
                        }
                    };
                }
                "type" => {
                    let v = access.next_value()?;
                    link.media_type = classify_string(&key, v, &mut link.extra);
                }
                "href" => {
                    let v = access.next_value()?;
                    link.href = classify_string(&key, v, &mut link.extra);
                }
                "template" => {
                    let v = access.next_value()?;
                    link.template = classify_string(&key, v, &mut link.extra);
                }
                "titles" => {
                    let v = access.next_value()?;
                    link.titles = classify_string_map(
                        &key,
                        v,
                        &mut link.extra,
                        Value::is_string,
                        title_value,
                    );
                }
                "properties" => {
                    let v = access.next_value()?;
                    link.properties = classify_string_map(
                        &key,
                        v,
                        &mut link.extra,
                        is_property_value,
                        property_value,
                    );
                }
                _ => {
                    let v = access.next_value()?;
                    link.extra.insert(key, v);
                }
            }
        }
        Ok(link)
    }
}

/// Visits any JSON value: maps go to `on_map`, sequences to `on_seq`, scalars become `Value`s.
macro_rules! scalar_visits {
    ($raw:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($raw(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($raw(Value::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($raw(Value::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($raw(Value::from(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($raw(Value::String(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok($raw(Value::String(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($raw(Value::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($raw(Value::Null))
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            Value::deserialize(d).map($raw)
        }
    };
}

/// The value of `links`: an array of objects, or anything else kept raw.
enum LinksField {
    Links(Vec<Link>),
    Raw(Value),
}

impl<'de> Deserialize<'de> for LinksField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LinksFieldVisitor)
    }
}

struct LinksFieldVisitor;

impl<'de> Visitor<'de> for LinksFieldVisitor {
    type Value = LinksField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(LinksField::Raw);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LinksField, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<LinkOrValue>()? {
            items.push(item);
        }
        if items.iter().all(|i| matches!(i, LinkOrValue::Link(_))) {
            Ok(LinksField::Links(
                items
                    .into_iter()
                    .filter_map(|i| match i {
                        LinkOrValue::Link(l) => Some(l),
                        LinkOrValue::Value(_) => None,
                    })
                    .collect(),
            ))
        } else {
            // Not all objects: keep the array as it was. A parsed `Link` turns back into
            // exactly the object it was read from.
            Ok(LinksField::Raw(Value::Array(
                items
                    .into_iter()
                    .map(|i| match i {
                        LinkOrValue::Link(l) => l.to_value(),
                        LinkOrValue::Value(v) => v,
                    })
                    .collect(),
            )))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<LinksField, A::Error> {
        let mut map = Map::new();
        while let Some((k, v)) = access.next_entry::<String, Value>()? {
            map.insert(k, v);
        }
        Ok(LinksField::Raw(Value::Object(map)))
    }
}

/// One element of `links`: an object read as a `Link`, or any other value.
enum LinkOrValue {
    Link(Link),
    Value(Value),
}

impl<'de> Deserialize<'de> for LinkOrValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LinkOrValueVisitor)
    }
}

struct LinkOrValueVisitor;

impl<'de> Visitor<'de> for LinkOrValueVisitor {
    type Value = LinkOrValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(LinkOrValue::Value);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LinkOrValue, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(LinkOrValue::Value(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<LinkOrValue, A::Error> {
        LinkVisitor.visit_map(access).map(LinkOrValue::Link)
    }
}

impl Link {
    /// Converts to a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a Link always serializes")
    }
}

impl<'de> Deserialize<'de> for Jrd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JrdVisitor)
    }
}

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LinkVisitor)
    }
}

/// Writes the `extra` members that no typed field has already written.
fn serialize_extra<M: SerializeMap>(
    map: &mut M,
    extra: &Map<String, Value>,
    written: &[&str],
) -> Result<(), M::Error> {
    for (k, v) in extra {
        if !written.contains(&k.as_str()) {
            map.serialize_entry(k, v)?;
        }
    }
    Ok(())
}

impl Serialize for Jrd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut written: Vec<&str> = Vec::with_capacity(4);
        if let Some(subject) = &self.subject {
            map.serialize_entry("subject", subject)?;
            written.push("subject");
        }
        if !self.aliases.is_empty() {
            map.serialize_entry("aliases", &self.aliases)?;
            written.push("aliases");
        }
        if !self.properties.is_empty() {
            map.serialize_entry("properties", &self.properties)?;
            written.push("properties");
        }
        if !self.links.is_empty() {
            map.serialize_entry("links", &self.links)?;
            written.push("links");
        }
        serialize_extra(&mut map, &self.extra, &written)?;
        map.end()
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut written: Vec<&str> = Vec::with_capacity(6);
        if !self.rel.is_empty() {
            map.serialize_entry("rel", &self.rel)?;
            written.push("rel");
        }
        if let Some(t) = &self.media_type {
            map.serialize_entry("type", t)?;
            written.push("type");
        }
        if let Some(h) = &self.href {
            map.serialize_entry("href", h)?;
            written.push("href");
        }
        if let Some(t) = &self.template {
            map.serialize_entry("template", t)?;
            written.push("template");
        }
        if !self.titles.is_empty() {
            map.serialize_entry("titles", &self.titles)?;
            written.push("titles");
        }
        if !self.properties.is_empty() {
            map.serialize_entry("properties", &self.properties)?;
            written.push("properties");
        }
        serialize_extra(&mut map, &self.extra, &written)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip(json: &str) {
        let original: Value = serde_json::from_str(json).unwrap();
        let jrd = Jrd::from_slice(json.as_bytes()).unwrap();
        let again: Value = serde_json::from_slice(&jrd.to_vec()).unwrap();
        assert_eq!(again, original, "{json}");
    }

    #[test]
    fn odd_shapes_survive() {
        round_trip(r#"{}"#);
        round_trip(r#"{"subject":null,"aliases":[],"properties":{},"links":[]}"#);
        round_trip(r#"{"aliases":["a",1],"links":[1,{"rel":"self"}]}"#);
        round_trip(
            r#"{"links":[{"rel":"","type":null,"href":null,"template":null,"titles":{},"properties":{"a":1}}]}"#,
        );
        round_trip(
            r#"{"links":[{"titles":{"en":"x","de":null}}],"properties":{"p":null,"q":"r"},"x":{"y":[1,2.5,true]}}"#,
        );
        round_trip(
            r#"{"subject":"","links":[{"rel":"x","titles":{"und":"t"},"properties":{"k":null}}]}"#,
        );
        // Repeated members: the last one wins, as in any JSON map.
        round_trip(r#"{"subject":"a","subject":null,"x":1,"x":2}"#);
        round_trip(r#"{"subject":null,"subject":"b"}"#);
        round_trip(r#"{"links":[{"rel":"x"}],"links":5}"#);
        round_trip(r#"{"links":7,"links":[{"rel":"x","rel":"","href":"h","href":{}}]}"#);
        round_trip(r#"{"links":[{"rel":"a"},[1,{"b":2}],"s",null,true,1.5,-3,{"rel":"c"}]}"#);
        round_trip(r#"{"links":{"rel":"self"}}"#);
    }

    #[test]
    fn typed_fields_are_filled() {
        let jrd = Jrd::from_slice(
            br#"{"subject":"acct:a@b","aliases":["https://b/a"],"properties":{"p":null,"q":"r"},
            "links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://b/users/a","titles":{"en":"A"},"properties":{"k":"v"}}]}"#,
        )
        .unwrap();
        assert_eq!(jrd.subject.as_deref(), Some("acct:a@b"));
        assert_eq!(jrd.aliases, vec!["https://b/a".to_owned()]);
        assert_eq!(jrd.properties.get("p"), Some(&None));
        assert_eq!(jrd.properties.get("q"), Some(&Some("r".to_owned())));
        assert_eq!(jrd.links[0].titles.get("en").map(String::as_str), Some("A"));
        assert_eq!(jrd.actor_url().unwrap().as_str(), "https://b/users/a");
        assert!(jrd.extra.is_empty());
        assert!(jrd.links[0].extra.is_empty());
    }

    #[test]
    fn typed_field_wins_over_extra_on_output() {
        let mut jrd = Jrd::from_slice(br#"{"subject":null}"#).unwrap();
        assert_eq!(jrd.extra.get("subject"), Some(&Value::Null));
        jrd.subject = Some("acct:x@y".into());
        assert_eq!(jrd.to_vec(), br#"{"subject":"acct:x@y"}"#);
    }

    #[test]
    fn activitystreams_types() {
        assert!(is_activitystreams_type("application/activity+json"));
        assert!(is_activitystreams_type(
            "Application/Activity+JSON; charset=utf-8"
        ));
        assert!(is_activitystreams_type(media_type::LD_JSON_ACTIVITYSTREAMS));
        assert!(is_activitystreams_type(
            "application/ld+json;profile=https://www.w3.org/ns/activitystreams"
        ));
        assert!(!is_activitystreams_type("application/ld+json"));
        assert!(!is_activitystreams_type("application/json"));
        assert!(!is_activitystreams_type("text/html"));
    }

    #[test]
    fn lrdd_template_preference() {
        let mut jrd = Jrd::default();
        assert_eq!(jrd.lrdd_template(), None);
        jrd.links.push(
            Link::new(rel::LRDD)
                .with_type(media_type::XRD)
                .with_template("x"),
        );
        assert_eq!(jrd.lrdd_template(), Some("x"));
        jrd.links.push(Link::new(rel::LRDD).with_template("plain"));
        assert_eq!(jrd.lrdd_template(), Some("plain"));
        jrd.links.push(
            Link::new(rel::LRDD)
                .with_type(media_type::JRD)
                .with_template("jrd"),
        );
        jrd.links
            .push(Link::new(rel::LRDD).with_href("no-template"));
        assert_eq!(jrd.lrdd_template(), Some("jrd"));
    }

    #[test]
    fn non_object_is_an_error() {
        assert!(Jrd::from_slice(b"[]").is_err());
        assert!(Jrd::from_slice(b"\"x\"").is_err());
        assert!(Jrd::from_slice(b"{").is_err());
    }
}
