//! Helpers for the shapes real servers vary, all in one place.
//!
//! Every typed field of the vocabulary is read through [`Tolerant`]: a value of the expected
//! shape becomes the typed value; any other JSON value is kept, unchanged, among the unknown
//! properties of the enclosing object (its `extra` map), so that nothing is ever lost and a
//! document we did not change serializes back to the same JSON. The helpers:
//!
//! - [`OneOrMany`]: a single value or an array, re-serialized in the shape it arrived in.
//! - [`Reference`]: an IRI or an embedded object.
//! - [`LanguageMap`]: `contentMap` / `nameMap` / `summaryMap`.
//! - [`XsdDateTime`]: an `xsd:dateTime` that is parsed leniently and re-serialized verbatim.
//!
//! None of them parses through `serde_json::Value` first: they read straight from the
//! deserializer, so typed parsing costs about what parsing into a `Value` costs.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::id::ObjectId;

/// The outcome of reading one JSON value tolerantly: the typed value, or the JSON as it was.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    /// The value had the expected shape.
    Typed(T),
    /// Any other JSON value, kept verbatim.
    Other(Value),
}

/// A type that can be read from any JSON value without failing: each `from_*` hook returns
/// `None` (or [`Parsed::Other`]) when the JSON has a shape the type does not accept, and the
/// caller keeps the JSON as an unknown property instead.
///
/// Implemented by every field type of the vocabulary. Implementations must serialize back
/// to exactly the JSON they were read from.
pub trait Tolerant: Sized + Serialize {
    /// Reads a JSON string.
    fn from_str(_s: &str) -> Option<Self> {
        None
    }
    /// Reads an owned JSON string (defaults to [`Tolerant::from_str`]).
    fn from_string(s: String) -> Result<Self, String> {
        match Self::from_str(&s) {
            Some(v) => Ok(v),
            None => Err(s),
        }
    }
    /// Reads a JSON boolean.
    fn from_bool(_b: bool) -> Option<Self> {
        None
    }
    /// Reads a JSON non-negative integer.
    fn from_u64(_n: u64) -> Option<Self> {
        None
    }
    /// Reads a JSON negative integer.
    fn from_i64(_n: i64) -> Option<Self> {
        None
    }
    /// Reads a JSON number with a fraction or exponent.
    fn from_f64(_n: f64) -> Option<Self> {
        None
    }
    /// Reads a JSON object.
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Parsed::Other)
    }
    /// Reads a JSON array.
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Parsed<Self>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Parsed::Other)
    }
}

struct TolerantVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Tolerant> Visitor<'de> for TolerantVisitor<T> {
    type Value = Parsed<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(T::from_bool(v).map_or(Parsed::Other(Value::Bool(v)), Parsed::Typed))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(T::from_u64(v).map_or(Parsed::Other(Value::from(v)), Parsed::Typed))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(T::from_i64(v).map_or(Parsed::Other(Value::from(v)), Parsed::Typed))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(T::from_f64(v).map_or(Parsed::Other(Value::from(v)), Parsed::Typed))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(
            T::from_str(v)
                .map_or_else(|| Parsed::Other(Value::String(v.to_owned())), Parsed::Typed),
        )
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(match T::from_string(v) {
            Ok(t) => Parsed::Typed(t),
            Err(s) => Parsed::Other(Value::String(s)),
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Parsed::Other(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Parsed::Other(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Parsed::<T>::deserialize(d)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::from_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::from_seq(seq)
    }
}

impl<'de, T: Tolerant> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TolerantVisitor(PhantomData))
    }
}

/// Deserializes a `T` strictly: the shapes `T` does not accept are an error.
pub(crate) fn strict<'de, T: Tolerant, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    match Parsed::<T>::deserialize(d)? {
        Parsed::Typed(t) => Ok(t),
        Parsed::Other(v) => Err(de::Error::custom(format_args!(
            "unexpected JSON {}",
            kind_of(&v)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Tolerant for String {
    fn from_str(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
    fn from_string(s: String) -> Result<Self, String> {
        Ok(s)
    }
}

impl Tolerant for bool {
    fn from_bool(b: bool) -> Option<Self> {
        Some(b)
    }
}

impl Tolerant for u64 {
    fn from_u64(n: u64) -> Option<Self> {
        Some(n)
    }
}

/// Only numbers with a fraction or exponent: an integer such as `1` would print back as
/// `1.0`, so it stays untyped (and is kept verbatim).
impl Tolerant for f64 {
    fn from_f64(n: f64) -> Option<Self> {
        Some(n)
    }
}

impl Tolerant for Value {
    fn from_str(s: &str) -> Option<Self> {
        Some(Value::String(s.to_owned()))
    }
    fn from_string(s: String) -> Result<Self, String> {
        Ok(Value::String(s))
    }
    fn from_bool(b: bool) -> Option<Self> {
        Some(Value::Bool(b))
    }
    fn from_u64(n: u64) -> Option<Self> {
        Some(Value::from(n))
    }
    fn from_i64(n: i64) -> Option<Self> {
        Some(Value::from(n))
    }
    fn from_f64(n: f64) -> Option<Self> {
        Some(Value::from(n))
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Parsed::Typed)
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Parsed<Self>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Parsed::Typed)
    }
}

/// Reads the elements of a JSON array tolerantly; if any element has a shape `T` does not
/// accept, the whole array is kept as JSON (the typed elements are serialized back, which is
/// lossless by the [`Tolerant`] contract).
fn seq_of<'de, T: Tolerant, A: SeqAccess<'de>>(mut seq: A) -> Result<Parsed<Vec<T>>, A::Error> {
    let mut typed: Vec<T> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
    let mut other: Option<Vec<Value>> = None;
    while let Some(item) = seq.next_element::<Parsed<T>>()? {
        match (&mut other, item) {
            (None, Parsed::Typed(t)) => typed.push(t),
            (None, Parsed::Other(v)) => {
                let mut values = Vec::with_capacity(typed.len() + 1);
                for t in typed.drain(..) {
                    values.push(serde_json::to_value(&t).map_err(de::Error::custom)?);
                }
                values.push(v);
                other = Some(values);
            }
            (Some(values), Parsed::Typed(t)) => {
                values.push(serde_json::to_value(&t).map_err(de::Error::custom)?)
            }
            (Some(values), Parsed::Other(v)) => values.push(v),
        }
    }
    Ok(match other {
        Some(values) => Parsed::Other(Value::Array(values)),
        None => Parsed::Typed(typed),
    })
}

impl<T: Tolerant> Tolerant for Vec<T> {
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Parsed<Self>, A::Error> {
        seq_of(seq)
    }
}

/// A property that holds one value or an array of values.
///
/// ActivityStreams allows both for every non-functional property, and servers differ:
/// Mastodon sends `to`/`cc` as arrays but `tag` may hold one element; Kroeg sends `tag` and
/// `attachment` as a single object; Pleroma/Akkoma send `url` as a string and PeerTube as an
/// array of `Link`s; Bridgy Fed sends `url` as either; Fedify sends `publicKey` as an array.
/// The shape received is kept, so the value re-serializes exactly as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    /// A single value (not wrapped in an array).
    One(T),
    /// A JSON array (possibly with one element, or empty).
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice, whichever the shape.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
    /// Iterates over the values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }
    /// The first value, if any.
    pub fn first(&self) -> Option<&T> {
        self.as_slice().first()
    }
    /// The values as a mutable slice, whichever the shape.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            OneOrMany::One(t) => std::slice::from_mut(t),
            OneOrMany::Many(v) => v,
        }
    }
    /// The first value, mutably, if any.
    pub fn first_mut(&mut self) -> Option<&mut T> {
        self.as_mut_slice().first_mut()
    }
    /// The number of values.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }
    /// Whether there is no value (an empty array).
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
    /// The values as a vector.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
    /// Appends a value (turning a single value into an array).
    pub fn push(&mut self, value: T) {
        match self {
            OneOrMany::Many(v) => v.push(value),
            OneOrMany::One(_) => {
                let old = std::mem::replace(self, OneOrMany::Many(Vec::with_capacity(2)));
                if let (OneOrMany::One(first), OneOrMany::Many(v)) = (old, &mut *self) {
                    v.push(first);
                    v.push(value);
                }
            }
        }
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(v: Vec<T>) -> Self {
        OneOrMany::Many(v)
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(t) => t.serialize(s),
            OneOrMany::Many(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for t in v {
                    seq.serialize_element(t)?;
                }
                seq.end()
            }
        }
    }
}

fn map_parsed<T, U>(p: Parsed<T>, f: impl FnOnce(T) -> U) -> Parsed<U> {
    match p {
        Parsed::Typed(t) => Parsed::Typed(f(t)),
        Parsed::Other(v) => Parsed::Other(v),
    }
}

impl<T: Tolerant> Tolerant for OneOrMany<T> {
    fn from_str(s: &str) -> Option<Self> {
        T::from_str(s).map(OneOrMany::One)
    }
    fn from_string(s: String) -> Result<Self, String> {
        T::from_string(s).map(OneOrMany::One)
    }
    fn from_bool(b: bool) -> Option<Self> {
        T::from_bool(b).map(OneOrMany::One)
    }
    fn from_u64(n: u64) -> Option<Self> {
        T::from_u64(n).map(OneOrMany::One)
    }
    fn from_i64(n: i64) -> Option<Self> {
        T::from_i64(n).map(OneOrMany::One)
    }
    fn from_f64(n: f64) -> Option<Self> {
        T::from_f64(n).map(OneOrMany::One)
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        T::from_map(map).map(|p| map_parsed(p, OneOrMany::One))
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Parsed<Self>, A::Error> {
        seq_of(seq).map(|p| map_parsed(p, OneOrMany::Many))
    }
}

/// A property that holds either an IRI or an embedded object.
///
/// Mastodon sends `object` of a `Create` embedded but of a `Like` as an IRI; Lemmy embeds
/// the `Follow` inside an `Accept` while GoToSocial and Pixelfed send its IRI; Misskey and
/// Pleroma embed `attributedTo` objects in some places; `icon`/`image` are embedded
/// `Image`s almost everywhere but bare IRIs from some WordPress and Friendica versions.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference<T> {
    /// An IRI (an absolute http(s) URL).
    Id(ObjectId<T>),
    /// An embedded object.
    Object(Box<T>),
}

impl<T> Reference<T> {
    /// The id: the IRI itself, or the embedded object's `id` when it has one.
    pub fn id(&self) -> Option<&str>
    where
        T: HasId,
    {
        match self {
            Reference::Id(id) => Some(id.as_str()),
            Reference::Object(o) => o.id_str(),
        }
    }
    /// The embedded object, if the reference embeds one.
    pub fn object(&self) -> Option<&T> {
        match self {
            Reference::Id(_) => None,
            Reference::Object(o) => Some(o),
        }
    }
}

/// Types whose values may carry an `id` (used by [`Reference::id`]).
pub trait HasId {
    /// The value's `id`, when present and a valid id.
    fn id_str(&self) -> Option<&str>;
}

impl<T: Serialize> Serialize for Reference<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reference::Id(id) => id.serialize(s),
            Reference::Object(o) => o.serialize(s),
        }
    }
}

impl<T: Tolerant> Tolerant for Reference<T> {
    fn from_str(s: &str) -> Option<Self> {
        ObjectId::parse(s).ok().map(Reference::Id)
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        T::from_map(map).map(|p| map_parsed(p, |t| Reference::Object(Box::new(t))))
    }
}

/// A natural-language map (`contentMap`, `nameMap`, `summaryMap`): language tag → text.
///
/// Pleroma/Akkoma, Misskey, GoToSocial, Friendica and Mastodon (since 4.x) send `contentMap`
/// beside `content`; some software (e.g. Friendica pages) sends only the map. Values that are
/// not strings (some servers send `null`) are kept as they came.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LanguageMap(pub Map<String, Value>);

impl LanguageMap {
    /// A map with one entry.
    pub fn single(lang: impl Into<String>, text: impl Into<String>) -> Self {
        let mut m = Map::new();
        m.insert(lang.into(), Value::String(text.into()));
        LanguageMap(m)
    }
    /// The text for a language tag (exact match, then by primary subtag, case-insensitive).
    pub fn get(&self, lang: &str) -> Option<&str> {
        if let Some(Value::String(s)) = self.0.get(lang) {
            return Some(s);
        }
        let primary = lang.split('-').next().unwrap_or(lang);
        self.0.iter().find_map(|(k, v)| {
            let kp = k.split('-').next().unwrap_or(k);
            match v {
                Value::String(s) if kp.eq_ignore_ascii_case(primary) => Some(s.as_str()),
                _ => None,
            }
        })
    }
    /// The first text in the map, whatever its language.
    pub fn first(&self) -> Option<(&str, &str)> {
        self.0
            .iter()
            .find_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s)))
    }
}

impl Serialize for LanguageMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Tolerant for LanguageMap {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        Map::<String, Value>::deserialize(MapAccessDeserializer::new(map))
            .map(|m| Parsed::Typed(LanguageMap(m)))
    }
}

/// An `xsd:dateTime` (`published`, `updated`, `endTime`, …), kept as received.
///
/// Mastodon sends `2024-01-02T03:04:05Z`; Pleroma/Akkoma and Misskey add milliseconds
/// (`.123Z`); GoToSocial and PeerTube send offsets or nanoseconds; older Friendica and Hubzilla
/// send no offset at all, and Bookwyrm sends microseconds with `+00:00`. The text is kept
/// verbatim for round trips and parsed on demand by [`XsdDateTime::to_datetime`], which accepts
/// all of these (a missing offset is read as UTC).
///
/// This is a property value of a document; the engine's clock reads instants of another type,
/// `fedi_storage::Timestamp` (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XsdDateTime(String);

impl XsdDateTime {
    /// Wraps a timestamp string as received (not validated; see [`XsdDateTime::to_datetime`]).
    pub fn new_unchecked(s: impl Into<String>) -> Self {
        XsdDateTime(s.into())
    }
    /// The timestamp in the format Mastodon emits (`2024-01-02T03:04:05Z`, UTC, seconds).
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        let t = t.to_offset(time::UtcOffset::UTC);
        XsdDateTime(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Parses the text leniently; `None` when it is not a date-time at all.
    pub fn to_datetime(&self) -> Option<OffsetDateTime> {
        parse_lenient_datetime(&self.0)
    }
}

impl From<OffsetDateTime> for XsdDateTime {
    fn from(t: OffsetDateTime) -> Self {
        XsdDateTime::from_datetime(t)
    }
}

/// Parses an RFC 3339 / ISO 8601 date-time leniently: fractional seconds of any length, `Z`,
/// `+hh:mm`, `+hhmm` or no offset (read as UTC), a space instead of `T`.
pub fn parse_lenient_datetime(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    let hour = u8::try_from(num(11..13)?).ok()?;
    let minute = u8::try_from(num(14..16)?).ok()?;
    let second = u8::try_from(num(17..19)?).ok()?;
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut n = 0u32;
        for (i, c) in frac[..digits].bytes().take(9).enumerate() {
            n += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        nanos = n;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => time::UtcOffset::UTC,
        _ => {
            let sign: i8 = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i8 = digits[..2].parse().ok()?;
            let m: i8 = digits[2..].parse().ok()?;
            time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_offset(offset))
}

impl Serialize for XsdDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Tolerant for XsdDateTime {
    fn from_str(s: &str) -> Option<Self> {
        Some(XsdDateTime(s.to_owned()))
    }
    fn from_string(s: String) -> Result<Self, String> {
        Ok(XsdDateTime(s))
    }
}

/// Implements `Deserialize` for a [`Tolerant`] type, strictly (other shapes are errors).
macro_rules! strict_deserialize {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::lenient::strict(d)
            }
        }
    )*};
}
pub(crate) use strict_deserialize;

strict_deserialize!(LanguageMap, XsdDateTime);

impl<'de, T: Tolerant> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strict(d)
    }
}

impl<'de, T: Tolerant> Deserialize<'de> for Reference<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strict(d)
    }
}

/// A map key, borrowed from the input when possible.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
    pub(crate) fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_or_many_keeps_shape() {
        let one: OneOrMany<String> = serde_json::from_str(r#""a""#).unwrap();
        assert_eq!(one, OneOrMany::One("a".into()));
        assert_eq!(serde_json::to_string(&one).unwrap(), r#""a""#);
        let many: OneOrMany<String> = serde_json::from_str(r#"["a"]"#).unwrap();
        assert_eq!(many.len(), 1);
        assert_eq!(serde_json::to_string(&many).unwrap(), r#"["a"]"#);
    }

    #[test]
    fn mixed_array_falls_back_to_json() {
        let p: Parsed<OneOrMany<String>> = serde_json::from_str(r#"["a", 1, "b"]"#).unwrap();
        assert_eq!(p, Parsed::Other(serde_json::json!(["a", 1, "b"])));
    }

    #[test]
    fn lenient_timestamps() {
        for s in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123Z",
            "2024-01-02T03:04:05.123456+00:00",
            "2024-01-02T04:04:05+0100",
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05",
        ] {
            let t = XsdDateTime::new_unchecked(s).to_datetime().unwrap();
            assert_eq!(t.unix_timestamp(), 1_704_164_645, "{s}");
        }
        assert!(XsdDateTime::new_unchecked("yesterday")
            .to_datetime()
            .is_none());
        let t = OffsetDateTime::from_unix_timestamp(1_704_164_645).unwrap();
        assert_eq!(XsdDateTime::from(t).as_str(), "2024-01-02T03:04:05Z");
    }

    #[test]
    fn language_map_lookup() {
        let m: LanguageMap =
            serde_json::from_str(r#"{"en-US":"hi","de":"hallo","x":null}"#).unwrap();
        assert_eq!(m.get("en"), Some("hi"));
        assert_eq!(m.get("de"), Some("hallo"));
        assert_eq!(m.get("fr"), None);
        assert_eq!(m.first(), Some(("en-US", "hi")));
    }
}
