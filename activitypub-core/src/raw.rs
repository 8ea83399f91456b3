//! The exact bytes received, beside the typed value; and a cheap peek at `type`, `id` and
//! `actor`.

use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::Error;

/// A JSON document as received, typed as `T` but not (yet) parsed — after ruma's `Raw`.
///
/// The bytes are kept exactly (for `Digest` checks, signatures over the body, and
/// forwarding an activity unchanged, as Mastodon does for replies to a local post).
/// [`Raw::parse`] reads the typed value; [`Raw::peek`] reads only `type`, `id` and `actor`.
#[derive(Clone, PartialEq, Eq)]
pub struct Raw<T> {
    bytes: Bytes,
    kind: PhantomData<fn() -> T>,
}

impl<T> Raw<T> {
    /// Wraps received bytes (not checked; see [`Raw::parse`]).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Raw {
            bytes: bytes.into(),
            kind: PhantomData,
        }
    }
    /// The bytes exactly as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The bytes, cheaply cloned.
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }
    /// Reads `type`, `id` and `actor` without parsing the rest into values.
    pub fn peek(&self) -> Result<Peek, Error> {
        peek(&self.bytes)
    }
    /// Parses the typed value.
    pub fn parse(&self) -> Result<T, Error>
    where
        T: DeserializeOwned,
    {
        Ok(serde_json::from_slice(&self.bytes)?)
    }
    /// Parses the typed value and keeps the bytes beside it.
    pub fn into_received(self) -> Result<Received<T>, Error>
    where
        T: DeserializeOwned,
    {
        let value = self.parse()?;
        Ok(Received { raw: self, value })
    }
}

impl<T> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Raw")
            .field(&String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

/// A typed value together with the exact bytes it was read from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Received<T> {
    /// The bytes as received.
    pub raw: Raw<T>,
    /// The typed value.
    pub value: T,
}

impl<T> std::ops::Deref for Received<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// What [`peek`] found at the top level of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Peek {
    /// `type` (the first one, if an array).
    pub kind: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// `actor` (an IRI, or the `id` of an embedded actor; the first one, if an array).
    pub actor: Option<String>,
    /// `object` (an IRI, or the `id` of an embedded object; the first one, if an array).
    pub object: Option<String>,
    /// The `type` of an embedded `object`, if any.
    pub object_kind: Option<String>,
}

/// Reads `type`, `id`, `actor` and `object` of a JSON document, skipping everything else
/// without building values (several times faster than a full parse).
pub fn peek(bytes: &[u8]) -> Result<Peek, Error> {
    let p: PeekDoc = serde_json::from_slice(bytes)?;
    Ok(Peek {
        kind: p.kind.0,
        id: p.id.0,
        actor: p.actor.id,
        object: p.object.id,
        object_kind: p.object.kind,
    })
}

#[derive(Default)]
struct PeekDoc {
    kind: FirstString,
    id: FirstString,
    actor: IdOf,
    object: IdOf,
}

impl<'de> Deserialize<'de> for PeekDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PeekDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PeekDoc, A::Error> {
                let mut out = PeekDoc::default();
                while let Some(k) = map.next_key::<crate::lenient::Key<'de>>()? {
                    match k.as_str() {
                        "type" => out.kind = map.next_value()?,
                        "id" => out.id = map.next_value()?,
                        "actor" => out.actor = map.next_value()?,
                        "object" => out.object = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// A string, or the first string of an array; anything else is skipped.
#[derive(Default)]
struct FirstString(Option<String>);

impl<'de> Deserialize<'de> for FirstString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("anything")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FirstString, E> {
                Ok(FirstString(Some(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstString, A::Error> {
                let mut first = None;
                while let Some(x) = seq.next_element::<FirstString>()? {
                    if first.is_none() {
                        first = x.0;
                    }
                }
                Ok(FirstString(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstString, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FirstString(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<FirstString, E> {
                Ok(FirstString(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<FirstString, E> {
                Ok(FirstString(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<FirstString, E> {
                Ok(FirstString(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<FirstString, E> {
                Ok(FirstString(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FirstString, E> {
                Ok(FirstString(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// An IRI, or the `id` (and `type`) of an embedded object; the first of an array.
#[derive(Default)]
struct IdOf {
    id: Option<String>,
    kind: Option<String>,
}

impl<'de> Deserialize<'de> for IdOf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdOf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("anything")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdOf, E> {
                Ok(IdOf {
                    id: Some(v.to_owned()),
                    kind: None,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdOf, A::Error> {
                let mut first: Option<IdOf> = None;
                while let Some(x) = seq.next_element::<IdOf>()? {
                    if first.is_none() {
                        first = Some(x);
                    }
                }
                Ok(first.unwrap_or_default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdOf, A::Error> {
                let mut out = IdOf::default();
                while let Some(k) = map.next_key::<crate::lenient::Key<'de>>()? {
                    match k.as_str() {
                        "id" => out.id = map.next_value::<FirstString>()?.0,
                        "type" => out.kind = map.next_value::<FirstString>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<IdOf, E> {
                Ok(IdOf::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<IdOf, E> {
                Ok(IdOf::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<IdOf, E> {
                Ok(IdOf::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<IdOf, E> {
                Ok(IdOf::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<IdOf, E> {
                Ok(IdOf::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn peeks_without_full_parse() {
        let doc = br#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Create","actor":{"type":"Person","id":"https://a.example/u"},"object":{"id":"https://a.example/n","type":"Note","content":"x"},"to":["a"]}"#;
        let p = peek(doc).unwrap();
        assert_eq!(p.kind.as_deref(), Some("Create"));
        assert_eq!(p.id.as_deref(), Some("https://a.example/1"));
        assert_eq!(p.actor.as_deref(), Some("https://a.example/u"));
        assert_eq!(p.object.as_deref(), Some("https://a.example/n"));
        assert_eq!(p.object_kind.as_deref(), Some("Note"));
        let p =
            peek(br#"{"type":["Person","x"],"actor":["https://b.example/u"],"object":5}"#).unwrap();
        assert_eq!(p.kind.as_deref(), Some("Person"));
        assert_eq!(p.actor.as_deref(), Some("https://b.example/u"));
        assert_eq!(p.object, None);
        assert!(peek(b"[1,2]").is_err());
        assert!(peek(b"{").is_err());
    }

    #[test]
    fn raw_keeps_bytes() {
        let bytes = b"{ \"type\" : \"Note\",\n \"id\":\"https://a.example/n\" }".to_vec();
        let raw: Raw<crate::AnyObject> = Raw::new(bytes.clone());
        assert_eq!(raw.as_bytes(), &bytes[..]);
        let rec = raw.into_received().unwrap();
        assert_eq!(rec.type_name(), Some("Note"));
        assert_eq!(rec.raw.as_bytes(), &bytes[..]);
    }
}
