//! Typed object ids.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::OnceLock;

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
///
/// Equality, hashing and ordering use the normalized URL (as [`Url`] does), so
/// `https://Example.COM` and `https://example.com/` are the same id.
///
/// # Cost
///
/// Nearly every id on the fediverse is already in the normalized form `url` would give
/// (`https://host.example/path?query#fragment` with a lowercase ASCII host and no character
/// that needs percent-encoding). Such ids are recognized by a single scan over the bytes,
/// which proves that [`Url::parse`] accepts them unchanged; the [`Url`] itself is then built
/// only when [`ObjectId::url`] is first called (once, thread-safely). Every other id is
/// parsed with [`Url::parse`] right away.
pub struct ObjectId<K> {
    inner: Box<Inner>,
    kind: PhantomData<fn() -> K>,
}

struct Inner {
    /// The id as received (or as built).
    text: Box<str>,
    /// The parsed URL: always set when `text` is not in normalized form; otherwise built on
    /// first use (and then `url.as_str() == text`).
    url: OnceLock<Url>,
}

impl Inner {
    /// The normalized form: what equality, hashing and ordering use.
    fn normalized(&self) -> &str {
        match self.url.get() {
            Some(url) => url.as_str(),
            // Only ids in normalized form are stored without their URL.
            None => &self.text,
        }
    }
}

impl<K> ObjectId<K> {
    /// Parses and validates an id.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if is_normalized_http_url(s) {
            return Ok(Self::lazy(Box::from(s)));
        }
        let url = Self::parse_url(s)?;
        Ok(Self::with_url(Box::from(s), url))
    }

    /// [`ObjectId::parse`] for an owned string (reuses its allocation).
    fn parse_owned(s: String) -> Result<Self, (String, Error)> {
        if is_normalized_http_url(&s) {
            return Ok(Self::lazy(s.into_boxed_str()));
        }
        match Self::parse_url(&s) {
            Ok(url) => Ok(Self::with_url(s.into_boxed_str(), url)),
            Err(e) => Err((s, e)),
        }
    }

    fn lazy(text: Box<str>) -> Self {
        ObjectId {
            inner: Box::new(Inner {
                text,
                url: OnceLock::new(),
            }),
            kind: PhantomData,
        }
    }

    fn with_url(text: Box<str>, url: Url) -> Self {
        ObjectId {
            inner: Box::new(Inner {
                text,
                url: OnceLock::from(url),
            }),
            kind: PhantomData,
        }
    }

    fn parse_url(s: &str) -> Result<Url, Error> {
        let url = Url::parse(s).map_err(|e| Error::InvalidId {
            id: s.to_owned(),
            reason: e.to_string(),
        })?;
        Self::check(&url).map_err(|reason| Error::InvalidId {
            id: s.to_owned(),
            reason: reason.to_owned(),
        })?;
        Ok(url)
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
        Ok(Self::with_url(Box::from(url.as_str()), url))
    }

    /// The parsed URL (built on first use for ids received in normalized form).
    pub fn url(&self) -> &Url {
        self.inner.url.get_or_init(|| {
            // `text` passed `is_normalized_http_url`, which accepts only what `Url::parse`
            // accepts (checked against `url` by the tests in this module).
            Url::parse(&self.inner.text).unwrap_or_else(|_| unreachable_url())
        })
    }

    /// The id as received (or as built).
    pub fn as_str(&self) -> &str {
        &self.inner.text
    }

    /// The host (lowercase; IDNs in punycode).
    pub fn host(&self) -> &str {
        match self.inner.url.get() {
            Some(url) => url.host_str().unwrap_or_default(),
            None => split_normalized(&self.inner.text).1,
        }
    }

    /// The origin (scheme, host, port) as a comparable string, e.g. `https://example.com`
    /// (default ports omitted).
    pub fn origin(&self) -> String {
        match self.inner.url.get() {
            Some(url) => url.origin().ascii_serialization(),
            None => split_normalized(&self.inner.text).0.to_owned(),
        }
    }

    /// Whether two ids share an origin (scheme, host and port).
    pub fn same_origin<K2>(&self, other: &ObjectId<K2>) -> bool {
        match (self.inner.url.get(), other.inner.url.get()) {
            (None, None) => {
                split_normalized(&self.inner.text).0 == split_normalized(&other.inner.text).0
            }
            _ => self.url().origin() == other.url().origin(),
        }
    }

    /// The same id, typed as another kind.
    pub fn cast<K2>(self) -> ObjectId<K2> {
        ObjectId {
            inner: self.inner,
            kind: PhantomData,
        }
    }
}

/// Never reached (see [`ObjectId::url`]); a valid URL so that nothing panics even so.
#[cold]
fn unreachable_url() -> Url {
    debug_assert!(false, "an id in normalized form did not parse");
    #[allow(clippy::expect_used)]
    Url::parse("https://invalid.invalid/").expect("a constant, valid URL")
}

/// Splits an id in normalized form (see [`is_normalized_http_url`]) into its origin
/// (`scheme://host[:port]`) and its host.
fn split_normalized(s: &str) -> (&str, &str) {
    let host_start = s.find("://").map_or(0, |i| i + 3);
    let origin_end = s[host_start..]
        .find('/')
        .map_or(s.len(), |i| host_start + i);
    let origin = &s[..origin_end];
    let authority = &s[host_start..origin_end];
    let host = authority.split(':').next().unwrap_or(authority);
    (origin, host)
}

/// Whether `s` is an absolute `http`/`https` URL with a host that [`Url::parse`] accepts
/// and serializes back unchanged — in one pass over the bytes, without building anything.
///
/// It errs on the side of `false`: any URL it is not sure about (upper case or IDN or IP
/// hosts, userinfo, default or odd ports, dot segments, characters `url` would
/// percent-encode, a missing path, …) is left to [`Url::parse`].
pub(crate) fn is_normalized_http_url(s: &str) -> bool {
    let b = s.as_bytes();
    let (rest, default_port) = if let Some(r) = b.strip_prefix(b"https://") {
        (r, b"443".as_slice())
    } else if let Some(r) = b.strip_prefix(b"http://") {
        (r, b"80".as_slice())
    } else {
        return false;
    };

    // Host: dot-separated, non-empty labels of [a-z0-9-]; none starts with `xn--` (punycode
    // is decoded and checked by `url`); the last starts with a letter (so it is not an IPv4
    // address, in any of the spellings `url` accepts).
    let mut i = 0;
    let mut label_start = 0;
    loop {
        match rest.get(i) {
            Some(b'a'..=b'z' | b'0'..=b'9' | b'-') => i += 1,
            Some(b'.') | Some(b':') | Some(b'/') => {
                let label = &rest[label_start..i];
                if label.is_empty() || label.starts_with(b"xn--") {
                    return false;
                }
                if rest[i] != b'.' {
                    if !label[0].is_ascii_lowercase() {
                        return false;
                    }
                    break;
                }
                i += 1;
                label_start = i;
            }
            // End of input (no path: `url` adds `/`), or anything else.
            _ => return false,
        }
    }

    // Port: digits without a leading zero, at most 65535, not the scheme's default.
    if rest[i] == b':' {
        let start = i + 1;
        let mut end = start;
        while rest.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let port = &rest[start..end];
        if port.is_empty()
            || port.len() > 5
            || port[0] == b'0'
            || port == default_port
            || (port.len() == 5 && port > b"65535".as_slice())
        {
            return false;
        }
        i = end;
    }

    // Path: starts with `/`; segments of characters `url` keeps as they are; no dot segments
    // (`.`, `..`, `%2e`, …), which `url` removes.
    if rest.get(i) != Some(&b'/') {
        return false;
    }
    let mut segment_start = i + 1;
    i += 1;
    loop {
        let c = rest.get(i).copied();
        match c {
            Some(c) if is_path_char(c) => i += 1,
            None | Some(b'/' | b'?' | b'#') => {
                let segment = &rest[segment_start..i];
                if matches!(segment.first(), Some(b'.' | b'%')) && segment.len() <= 6 {
                    return false;
                }
                match c {
                    Some(b'/') => {
                        i += 1;
                        segment_start = i;
                    }
                    _ => break,
                }
            }
            Some(_) => return false,
        }
    }

    // Query and fragment: characters `url` keeps as they are (the fragment may not hold
    // another `#`).
    let mut in_fragment = false;
    if rest.get(i) == Some(&b'?') {
        i += 1;
    } else if rest.get(i) == Some(&b'#') {
        i += 1;
        in_fragment = true;
    }
    while let Some(&c) = rest.get(i) {
        match c {
            b'#' if !in_fragment => in_fragment = true,
            b'/' | b'?' => {}
            c if is_path_char(c) && c != b'\'' => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// Characters of a path segment that `url` neither percent-encodes nor rewrites:
/// unreserved, sub-delimiters, `:`, `@` and `%`.
fn is_path_char(c: u8) -> bool {
    matches!(c,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'-' | b'.' | b'_' | b'~'
        | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        | b':' | b'@' | b'%')
}

impl<K> Clone for ObjectId<K> {
    fn clone(&self) -> Self {
        ObjectId {
            inner: Box::new(Inner {
                text: self.inner.text.clone(),
                url: self.inner.url.clone(),
            }),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for ObjectId<K> {
    fn eq(&self, other: &Self) -> bool {
        self.inner.normalized() == other.inner.normalized()
    }
}
impl<K> Eq for ObjectId<K> {}
impl<K> Hash for ObjectId<K> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // The same as `Url`'s hash: the normalized text.
        self.inner.normalized().hash(h)
    }
}
impl<K> PartialOrd for ObjectId<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
/// Orders by the normalized URL text (as [`Url`] does).
impl<K> Ord for ObjectId<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.inner.normalized().cmp(other.inner.normalized())
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
    fn from_string(s: String) -> Result<Self, String> {
        Self::parse_owned(s).map_err(|(s, _)| s)
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

    /// What `Url::parse` says: `Some(normalized)` for an http(s) URL with a host.
    fn url_crate(s: &str) -> Option<String> {
        let u = Url::parse(s).ok()?;
        ObjectId::<()>::check(&u).ok()?;
        Some(u.as_str().to_owned())
    }

    /// The fast path accepts only what `Url::parse` accepts and leaves unchanged; then the
    /// lazy id behaves exactly like one built from the parsed URL.
    fn check_against_url_crate(s: &str) {
        let fast = is_normalized_http_url(s);
        let slow = url_crate(s);
        if fast {
            assert_eq!(slow.as_deref(), Some(s), "fast path accepted {s:?}");
        }
        let id = ObjectId::<()>::parse(s);
        assert_eq!(id.is_ok(), slow.is_some(), "{s:?}");
        if let (Ok(id), Some(norm)) = (id, slow) {
            assert_eq!(id.as_str(), s);
            let eager = ObjectId::<()>::from_url(Url::parse(s).unwrap()).unwrap();
            assert_eq!(id, eager, "{s:?}");
            assert_eq!(id.host(), eager.url().host_str().unwrap(), "{s:?}");
            assert_eq!(
                id.origin(),
                eager.url().origin().ascii_serialization(),
                "{s:?}"
            );
            assert!(id.same_origin(&eager), "{s:?}");
            assert_eq!(hash_of(&id), hash_of(&eager), "{s:?}");
            assert_eq!(id.cmp(&eager), Ordering::Equal, "{s:?}");
            assert_eq!(id.url().as_str(), norm, "{s:?}");
            // Still equal after the lazy URL was built.
            assert_eq!(id, eager, "{s:?}");
            assert_eq!(hash_of(&id), hash_of(&eager), "{s:?}");
        }
    }

    fn hash_of<T: Hash>(t: &T) -> u64 {
        use std::collections::hash_map::DefaultHasher;
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn fast_path_agrees_with_url_crate() {
        for s in [
            "https://wool.example/users/shepherd/statuses/113000000000000001",
            "https://wool.example/@shepherd/113000000000000001",
            "https://wool.example/users/shepherd#main-key",
            "https://wool.example/users/shepherd/statuses/1/replies?only_other_accounts=true&page=true",
            "http://localhost:3000/a",
            "http://localhost:80/a",
            "https://localhost:443/a",
            "https://localhost:0443/a",
            "https://localhost:65535/a",
            "https://localhost:65536/a",
            "https://localhost:/a",
            "https://a.example",
            "https://a.example?x",
            "https://a.example#x",
            "https://a.example/",
            "https://A.example/",
            "HTTPS://a.example/",
            "https://a.example./x",
            "https://a..example/x",
            "https://.a.example/x",
            "https://127.0.0.1/x",
            "https://1.2.3.4.5/x",
            "https://a.0x7f/x",
            "https://a.09/x",
            "https://a.b1/x",
            "https://xn--nxasmq6b.example/x",
            "https://xn--abc/x",
            "https://ab--cd.example/x",
            "https://-a-.example/x",
            "https://user@a.example/x",
            "https://user:pw@a.example/x",
            "https://[::1]/x",
            "https://a.example/./x",
            "https://a.example/../x",
            "https://a.example/a/%2e%2E/x",
            "https://a.example/a/.%2e",
            "https://a.example/.well-known/webfinger?resource=acct:a@a.example",
            "https://a.example/a b",
            "https://a.example/a\\b",
            "https://a.example/a{b}",
            "https://a.example/a^b|c",
            "https://a.example/a?b'c",
            "https://a.example/a'b",
            "https://a.example/a#b'c",
            "https://a.example/a#b#c",
            "https://a.example/a?b#c?d/e",
            "https://a.example/%zz",
            "https://a.example/\u{e9}",
            "https://a.example/a\tb",
            " https://a.example/",
            "https:///a.example/",
            "https:/a.example/",
            "https:a.example/",
            "ftp://a.example/",
            "https://",
            "https:///",
            "",
        ] {
            check_against_url_crate(s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// URL-like strings built from the characters that matter to the URL parser.
        #[test]
        fn fast_path_never_disagrees(
            scheme in "(https?|HTTPS|ftp)(://|:/|:)",
            host in "[a-zA-Z0-9.\\-_%\\[\\]:@]{0,12}",
            port in "(:[0-9]{0,6})?",
            path in "[/a-zA-Z0-9.%?#'\\\\ \\^{}|`<>\"\\[\\]:@!$&()*+,;=~\\-é\\t]{0,16}",
        ) {
            check_against_url_crate(&format!("{scheme}{host}{port}{path}"));
        }

        #[test]
        fn fast_path_on_plausible_ids(
            host in "[a-z0-9-]{1,4}(\\.[a-z0-9-]{1,4}){0,2}",
            port in "(:[0-9]{1,5})?",
            segs in proptest::collection::vec("(\\.|\\.\\.|%2[eE]|[a-zA-Z0-9._~%@:-]{1,5})", 0..4),
            tail in "(\\?[a-z=&/?']{0,6})?(#[a-z'#/-]{0,6})?",
        ) {
            let s = format!("https://{host}{port}/{}{tail}", segs.join("/"));
            check_against_url_crate(&s);
        }

        /// Hosts the fast path takes, with any printable ASCII after them.
        #[test]
        fn fast_path_on_printable_paths(
            scheme in "https?://",
            host in "[a-z][a-z0-9-]{0,5}(\\.[a-z][a-z0-9-]{0,5}){0,2}",
            port in "(:[1-9][0-9]{0,4})?",
            path in "(/[\\x21-\\x7e]{0,6}){1,3}",
        ) {
            check_against_url_crate(&format!("{scheme}{host}{port}{path}"));
        }
    }
}
