//! Typed object ids.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::lenient::Tolerant;
use crate::Error;

/// The id of an ActivityPub object of kind `K`: an absolute `http`/`https` URL with a host,
/// validated when parsed.
///
/// `K` is only a marker (`ObjectId<Actor>`, `ObjectId<Object>`, …); it costs nothing at run
/// time. The text is kept as received: when `url` would normalize it (case of the host, a
/// missing `/` path, percent-encoding), the original spelling is serialized back, so ids
/// round-trip byte for byte.
pub struct ObjectId<K> {
    inner: Box<Inner>,
    kind: PhantomData<fn() -> K>,
}

struct Inner {
    url: Url,
    original: Option<Box<str>>,
}

impl<K> ObjectId<K> {
    /// Parses and validates an id.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let url = Url::parse(s).map_err(|e| Error::InvalidId {
            id: s.to_owned(),
            reason: e.to_string(),
        })?;
        Self::check(&url).map_err(|reason| Error::InvalidId {
            id: s.to_owned(),
            reason: reason.to_owned(),
        })?;
        let original = (url.as_str() != s).then(|| Box::from(s));
        Ok(ObjectId {
            inner: Box::new(Inner { url, original }),
            kind: PhantomData,
        })
    }

    fn check(url: &Url) -> Result<(), &'static str> {
        match url.scheme() {
            "http" | "https" => {}
            _ => return Err("not an http(s) URL"),
        }
        match url.host_str() {
            Some(h) if !h.is_empty() => Ok(()),
            _ => Err("no host"),
        }
    }

    /// Wraps an already parsed URL; fails unless it is absolute http(s) with a host.
    pub fn from_url(url: Url) -> Result<Self, Error> {
        Self::check(&url).map_err(|reason| Error::InvalidId {
            id: url.to_string(),
            reason: reason.to_owned(),
        })?;
        Ok(ObjectId {
            inner: Box::new(Inner {
                url,
                original: None,
            }),
            kind: PhantomData,
        })
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The id as received (or as built).
    pub fn as_str(&self) -> &str {
        self.inner
            .original
            .as_deref()
            .unwrap_or_else(|| self.inner.url.as_str())
    }

    /// The host (lowercase; IDNs in punycode).
    pub fn host(&self) -> &str {
        self.inner.url.host_str().unwrap_or_default()
    }

    /// The origin (scheme, host, port) as a comparable string, e.g. `https://example.com`
    /// (default ports omitted).
    pub fn origin(&self) -> String {
        self.inner.url.origin().ascii_serialization()
    }

    /// Whether two ids share an origin (scheme, host and port).
    pub fn same_origin<K2>(&self, other: &ObjectId<K2>) -> bool {
        self.inner.url.origin() == other.inner.url.origin()
    }

    /// The same id, typed as another kind.
    pub fn cast<K2>(self) -> ObjectId<K2> {
        ObjectId {
            inner: self.inner,
            kind: PhantomData,
        }
    }
}

impl<K> Clone for ObjectId<K> {
    fn clone(&self) -> Self {
        ObjectId {
            inner: Box::new(Inner {
                url: self.inner.url.clone(),
                original: self.inner.original.clone(),
            }),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for ObjectId<K> {
    fn eq(&self, other: &Self) -> bool {
        self.inner.url == other.inner.url
    }
}
impl<K> Eq for ObjectId<K> {}
impl<K> Hash for ObjectId<K> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.inner.url.hash(h)
    }
}

impl<K> fmt::Debug for ObjectId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({:?})", self.as_str())
    }
}

impl<K> fmt::Display for ObjectId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<K> std::str::FromStr for ObjectId<K> {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl<K> TryFrom<&str> for ObjectId<K> {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl<K> Serialize for ObjectId<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<K> Tolerant for ObjectId<K> {
    fn from_str(s: &str) -> Option<Self> {
        Self::parse(s).ok()
    }
}

impl<'de, K> Deserialize<'de> for ObjectId<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::lenient::strict(d)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn validates() {
        assert!(ObjectId::<()>::parse("https://example.com/users/a").is_ok());
        assert!(ObjectId::<()>::parse("http://127.0.0.1:3000/a").is_ok());
        for bad in [
            "/users/a",
            "acct:a@example.com",
            "as:Public",
            "ftp://x/y",
            "https://",
            "",
        ] {
            let e = ObjectId::<()>::parse(bad).unwrap_err();
            assert!(e.is_invalid_id(), "{bad}");
        }
    }

    #[test]
    fn keeps_original_spelling() {
        let id = ObjectId::<()>::parse("https://Example.COM").unwrap();
        assert_eq!(id.as_str(), "https://Example.COM");
        assert_eq!(id.url().as_str(), "https://example.com/");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""https://Example.COM""#
        );
        assert_eq!(id.host(), "example.com");
        assert_eq!(id.origin(), "https://example.com");
    }
}
