//! `@context`: any shape, and whether a document can take the plain serde path.
//!
//! Almost every document on the fediverse uses the ActivityStreams context plus a few
//! well-known ones (security v1, Mastodon's `toot:` terms, LitePub, schema.org, Misskey,
//! Multikey/data-integrity, Lemmy, GoToSocial, …), possibly with an embedded object that
//! names extension terms (`"sensitive": "as:sensitive"`). For those the JSON keys already
//! mean what the vocabulary's field names say, and the plain serde path reads them.
//!
//! Documents whose keys cannot be trusted as written — expanded form (`@id`, `@type`, full
//! IRIs as keys), embedded contexts that redefine or alias standard terms, `@vocab` — are
//! detected by [`crate::jsonld::classify`] and normalized by [`crate::jsonld::normalize`]
//! against bundled contexts; no remote context is ever fetched. [`Context::is_usual`] is the
//! quick check on the context alone.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::lenient::{OneOrMany, Tolerant};

/// The ActivityStreams context IRI.
pub const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// The security v1 context IRI.
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// The Multikey context IRI (FEP-521a).
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// The data-integrity v1 context IRI.
pub const DATA_INTEGRITY_V1: &str = "https://w3id.org/security/data-integrity/v1";

/// One entry of an `@context`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ContextEntry {
    /// A context IRI.
    Iri(String),
    /// An embedded context (term definitions).
    Embedded(Map<String, Value>),
}

impl Serialize for ContextEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContextEntry::Iri(i) => s.serialize_str(i),
            ContextEntry::Embedded(m) => m.serialize(s),
        }
    }
}

impl Tolerant for ContextEntry {
    fn from_str(s: &str) -> Option<Self> {
        Some(ContextEntry::Iri(s.to_owned()))
    }
    fn from_string(s: String) -> Result<Self, String> {
        Ok(ContextEntry::Iri(s))
    }
    fn from_map<'de, A: serde::de::MapAccess<'de>>(
        map: A,
    ) -> Result<crate::lenient::Parsed<Self>, A::Error> {
        use serde::Deserialize;
        Map::<String, Value>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(|m| crate::lenient::Parsed::Typed(ContextEntry::Embedded(m)))
    }
}

/// An `@context` value: a string, an embedded object, or an array of them (shape kept).
#[derive(Debug, Clone, PartialEq)]
pub struct Context(pub OneOrMany<ContextEntry>);

impl Context {
    /// Mastodon's `@context` for objects and activities: ActivityStreams plus the
    /// extension terms it uses.
    pub fn mastodon() -> Self {
        let mut ext = Map::new();
        for (k, v) in [
            ("ostatus", Value::from("http://ostatus.org#")),
            ("atomUri", Value::from("ostatus:atomUri")),
            ("inReplyToAtomUri", Value::from("ostatus:inReplyToAtomUri")),
            ("conversation", Value::from("ostatus:conversation")),
            ("sensitive", Value::from("as:sensitive")),
            ("toot", Value::from("http://joinmastodon.org/ns#")),
            ("votersCount", Value::from("toot:votersCount")),
            ("blurhash", Value::from("toot:blurhash")),
            (
                "focalPoint",
                serde_json::json!({"@container": "@list", "@id": "toot:focalPoint"}),
            ),
            ("Hashtag", Value::from("as:Hashtag")),
        ] {
            ext.insert(k.to_owned(), v);
        }
        Context(OneOrMany::Many(vec![
            ContextEntry::Iri(ACTIVITYSTREAMS.to_owned()),
            ContextEntry::Embedded(ext),
        ]))
    }

    /// Mastodon's `@context` for actors: ActivityStreams, security v1, and its actor terms.
    pub fn mastodon_actor() -> Self {
        let mut ext = Map::new();
        for (k, v) in [
            (
                "manuallyApprovesFollowers",
                Value::from("as:manuallyApprovesFollowers"),
            ),
            ("toot", Value::from("http://joinmastodon.org/ns#")),
            (
                "featured",
                serde_json::json!({"@id": "toot:featured", "@type": "@id"}),
            ),
            (
                "featuredTags",
                serde_json::json!({"@id": "toot:featuredTags", "@type": "@id"}),
            ),
            (
                "alsoKnownAs",
                serde_json::json!({"@id": "as:alsoKnownAs", "@type": "@id"}),
            ),
            (
                "movedTo",
                serde_json::json!({"@id": "as:movedTo", "@type": "@id"}),
            ),
            ("schema", Value::from("http://schema.org#")),
            ("PropertyValue", Value::from("schema:PropertyValue")),
            ("value", Value::from("schema:value")),
            ("discoverable", Value::from("toot:discoverable")),
            ("suspended", Value::from("toot:suspended")),
            ("memorial", Value::from("toot:memorial")),
            ("indexable", Value::from("toot:indexable")),
            (
                "attributionDomains",
                serde_json::json!({"@id": "toot:attributionDomains", "@type": "@id"}),
            ),
            ("Hashtag", Value::from("as:Hashtag")),
            ("Emoji", Value::from("toot:Emoji")),
            (
                "focalPoint",
                serde_json::json!({"@container": "@list", "@id": "toot:focalPoint"}),
            ),
        ] {
            ext.insert(k.to_owned(), v);
        }
        Context(OneOrMany::Many(vec![
            ContextEntry::Iri(ACTIVITYSTREAMS.to_owned()),
            ContextEntry::Iri(SECURITY_V1.to_owned()),
            ContextEntry::Embedded(ext),
        ]))
    }

    /// Just the ActivityStreams context, as a string (what Mastodon puts on activities
    /// that embed no extension terms: Follow, Accept, Undo, Like, Block, …).
    pub fn activitystreams() -> Self {
        Context(OneOrMany::One(ContextEntry::Iri(
            ACTIVITYSTREAMS.to_owned(),
        )))
    }

    /// Defines `term` as `value` in the context's first embedded entry (added after the IRIs
    /// when there is none); an existing definition of `term` is left as it is.
    pub fn add_term(&mut self, term: &str, value: &str) {
        if let OneOrMany::One(_) = &self.0 {
            let placeholder = OneOrMany::Many(Vec::new());
            if let OneOrMany::One(e) = std::mem::replace(&mut self.0, placeholder) {
                self.0 = OneOrMany::Many(vec![e]);
            }
        }
        let OneOrMany::Many(entries) = &mut self.0 else {
            return;
        };
        if !entries
            .iter()
            .any(|e| matches!(e, ContextEntry::Embedded(_)))
        {
            entries.push(ContextEntry::Embedded(Map::new()));
        }
        if let Some(ContextEntry::Embedded(m)) = entries
            .iter_mut()
            .find(|e| matches!(e, ContextEntry::Embedded(_)))
        {
            m.entry(term.to_owned())
                .or_insert_with(|| Value::from(value));
        }
    }

    /// The context IRIs, in order.
    pub fn iris(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|e| match e {
            ContextEntry::Iri(i) => Some(i.as_str()),
            ContextEntry::Embedded(_) => None,
        })
    }

    /// Whether the context is made only of IRIs (no embedded definitions): such a context
    /// cannot redefine terms, so the document takes the plain path unless its keys are in
    /// expanded form.
    pub fn is_usual(&self) -> bool {
        self.0.iter().all(|e| matches!(e, ContextEntry::Iri(_)))
    }

    /// Whether the ActivityStreams context is among the entries.
    pub fn has_activitystreams(&self) -> bool {
        self.iris().any(is_activitystreams_iri)
    }
}

fn is_activitystreams_iri(i: &str) -> bool {
    let i = i.trim_end_matches('#').trim_end_matches(".jsonld");
    i == ACTIVITYSTREAMS || i == "http://www.w3.org/ns/activitystreams"
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Tolerant for Context {
    fn from_str(s: &str) -> Option<Self> {
        OneOrMany::from_str(s).map(Context)
    }
    fn from_string(s: String) -> Result<Self, String> {
        OneOrMany::from_string(s).map(Context)
    }
    fn from_map<'de, A: serde::de::MapAccess<'de>>(
        map: A,
    ) -> Result<crate::lenient::Parsed<Self>, A::Error> {
        OneOrMany::<ContextEntry>::from_map(map).map(|p| match p {
            crate::lenient::Parsed::Typed(t) => crate::lenient::Parsed::Typed(Context(t)),
            crate::lenient::Parsed::Other(v) => crate::lenient::Parsed::Other(v),
        })
    }
    fn from_seq<'de, A: serde::de::SeqAccess<'de>>(
        seq: A,
    ) -> Result<crate::lenient::Parsed<Self>, A::Error> {
        OneOrMany::<ContextEntry>::from_seq(seq).map(|p| match p {
            crate::lenient::Parsed::Typed(t) => crate::lenient::Parsed::Typed(Context(t)),
            crate::lenient::Parsed::Other(v) => crate::lenient::Parsed::Other(v),
        })
    }
}

crate::lenient::strict_deserialize!(Context);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn context_shapes_round_trip() {
        for s in [
            r#""https://www.w3.org/ns/activitystreams""#,
            r#"["https://www.w3.org/ns/activitystreams"]"#,
            r#"["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#"}]"#,
            r#"{"@vocab":"https://www.w3.org/ns/activitystreams#"}"#,
        ] {
            let c: Context = serde_json::from_str(s).unwrap();
            assert_eq!(serde_json::to_string(&c).unwrap(), s);
        }
    }
}
