//! WebFinger resources: `acct:` accounts and `http(s)` URLs.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::{Error, ResourceErrorKind};

/// Characters printed percent-encoded in an `acct:` user part: everything except RFC 3986
/// unreserved and sub-delims (RFC 7565 §7).
const USERPART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

fn invalid(kind: ResourceErrorKind) -> Error {
    Error::InvalidResource(kind)
}

/// An account: a user at a host (with an optional port), as in `acct:alice@example.com`.
///
/// The host is normalized: lowercase, internationalized names in punycode (`bücher.example` →
/// `xn--bcher-kva.example`), IP addresses in canonical form. The user part is kept as given
/// (case included) after percent-decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    user: String,
    host: String,
    port: Option<u16>,
}

impl Account {
    /// An account from a (decoded) user name and a host, which may carry a `:port`.
    pub fn new(user: &str, host: &str) -> Result<Self, Error> {
        if user.is_empty() {
            return Err(invalid(ResourceErrorKind::EmptyUser));
        }
        let (host, port) = parse_authority(host)?;
        Ok(Self {
            user: user.to_owned(),
            host,
            port,
        })
    }

    /// Parses `acct:user@host`, `@user@host` or `user@host`.
    pub fn parse(input: &str) -> Result<Self, Error> {
        match Resource::parse(input)? {
            Resource::Acct(a) => Ok(a),
            Resource::Url(_) => Err(invalid(ResourceErrorKind::UnsupportedScheme)),
        }
    }

    /// The user part, percent-decoded.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The host, normalized, without the port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host` or `host:port`: where this account's WebFinger lives.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The handle form: `@user@host`.
    pub fn handle(&self) -> String {
        format!("@{}", self.user_at_authority())
    }

    fn user_at_authority(&self) -> String {
        format!(
            "{}@{}",
            utf8_percent_encode(&self.user, USERPART),
            self.authority()
        )
    }

    /// Same account, comparing the user part case-insensitively (as Mastodon does).
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        self.host == other.host
            && self.port == other.port
            && self.user.to_lowercase() == other.user.to_lowercase()
    }
}

impl fmt::Display for Account {
    /// `acct:user@host[:port]`, with the user part percent-encoded where RFC 7565 requires.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "acct:{}", self.user_at_authority())
    }
}

impl FromStr for Account {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// What a WebFinger query asks about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// An account: `acct:user@host` (also parsed from `@user@host` and `user@host`).
    Acct(Account),
    /// An `http` or `https` URL, e.g. an actor or profile URL.
    Url(Url),
}

impl Resource {
    /// Parses `acct:user@host`, `@user@host`, `user@host` or an `http(s)` URL.
    ///
    /// Surrounding whitespace is ignored; schemes are matched case-insensitively; hosts are
    /// normalized (see [`Account`]).
    pub fn parse(input: &str) -> Result<Self, Error> {
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid(ResourceErrorKind::Empty));
        }
        if let Some(rest) = strip_prefix_ignore_case(s, "acct:") {
            return parse_account(rest.strip_prefix('@').unwrap_or(rest)).map(Self::Acct);
        }
        if strip_prefix_ignore_case(s, "http://").is_some()
            || strip_prefix_ignore_case(s, "https://").is_some()
        {
            let url = Url::parse(s).map_err(|_| invalid(ResourceErrorKind::InvalidUrl))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(invalid(ResourceErrorKind::InvalidUrl));
            }
            return Ok(Self::Url(url));
        }
        if has_scheme(s) {
            return Err(invalid(ResourceErrorKind::UnsupportedScheme));
        }
        parse_account(s.strip_prefix('@').unwrap_or(s)).map(Self::Acct)
    }

    /// The host (and port) the query goes to: the account's host, or the URL's.
    pub fn authority(&self) -> String {
        match self {
            Self::Acct(a) => a.authority(),
            Self::Url(u) => {
                let host = u.host_str().unwrap_or_default();
                match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                }
            }
        }
    }

    /// The account, if this is one.
    pub fn as_account(&self) -> Option<&Account> {
        match self {
            Self::Acct(a) => Some(a),
            Self::Url(_) => None,
        }
    }

    /// The URL, if this is one.
    pub fn as_url(&self) -> Option<&Url> {
        match self {
            Self::Url(u) => Some(u),
            Self::Acct(_) => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Acct(a) => a.fmt(f),
            Self::Url(u) => f.write_str(u.as_str()),
        }
    }
}

impl FromStr for Resource {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl From<Account> for Resource {
    fn from(a: Account) -> Self {
        Self::Acct(a)
    }
}

impl From<Url> for Resource {
    fn from(u: Url) -> Self {
        Self::Url(u)
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `scheme:` before any `@` (RFC 3986 scheme syntax).
fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    if s[..colon].contains('@') {
        return false;
    }
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn parse_account(s: &str) -> Result<Account, Error> {
    let Some((user, host)) = s.split_once('@') else {
        return Err(invalid(ResourceErrorKind::MissingHost));
    };
    if user.is_empty() {
        return Err(invalid(ResourceErrorKind::EmptyUser));
    }
    if host.is_empty() {
        return Err(invalid(ResourceErrorKind::MissingHost));
    }
    // Raw: RFC 3986 unreserved, sub-delims and `%` escapes; other non-ASCII letters are
    // tolerated (people type `jürgen@host`), whitespace and controls are not.
    let valid_raw = user.chars().all(|c| {
        (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
            || c.is_ascii_alphanumeric()
            || "-._~!$&'()*+,;=%".contains(c)
    });
    if !valid_raw || !percent_escapes_are_complete(user) {
        return Err(invalid(ResourceErrorKind::InvalidUser));
    }
    let decoded = percent_decode_str(user)
        .decode_utf8()
        .map_err(|_| invalid(ResourceErrorKind::InvalidUser))?;
    Account::new(&decoded, host)
}

/// Every `%` is followed by two hex digits.
fn percent_escapes_are_complete(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Parses `host`, `host:port`, `[v6]` or `[v6]:port` into a normalized host and a port.
fn parse_authority(s: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(ResourceErrorKind::InvalidHost))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid(ResourceErrorKind::InvalidPort))?,
            ),
        };
        (&s[..v6.len() + 2], port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(ResourceErrorKind::InvalidPort));
            }
            Some(
                p.parse::<u16>()
                    .map_err(|_| invalid(ResourceErrorKind::InvalidPort))?,
            )
        }
    };
    if host.is_empty() || host.contains('%') {
        return Err(invalid(ResourceErrorKind::InvalidHost));
    }
    let parsed = url::Host::parse(host).map_err(|_| invalid(ResourceErrorKind::InvalidHost))?;
    let normalized = parsed.to_string();
    if normalized.is_empty() {
        return Err(invalid(ResourceErrorKind::InvalidHost));
    }
    Ok((normalized, port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn acct(s: &str) -> Account {
        Account::parse(s).unwrap()
    }

    #[test]
    fn forms_of_an_account() {
        for s in [
            "acct:alice@example.com",
            "ACCT:alice@example.com",
            "@alice@example.com",
            "alice@example.com",
            " alice@EXAMPLE.com ",
            "acct:@alice@example.com",
        ] {
            let a = acct(s);
            assert_eq!(a.user(), "alice", "{s}");
            assert_eq!(a.host(), "example.com", "{s}");
            assert_eq!(a.to_string(), "acct:alice@example.com", "{s}");
        }
    }

    #[test]
    fn ports_ipv4_ipv6() {
        let a = acct("acct:bob@127.0.0.2:8080");
        assert_eq!((a.host(), a.port()), ("127.0.0.2", Some(8080)));
        assert_eq!(a.authority(), "127.0.0.2:8080");
        assert_eq!(a.to_string(), "acct:bob@127.0.0.2:8080");
        let b = acct("bob@[::1]:3000");
        assert_eq!((b.host(), b.port()), ("[::1]", Some(3000)));
        assert_eq!(b.handle(), "@bob@[::1]:3000");
        assert_eq!(acct("bob@localhost:8080").authority(), "localhost:8080");
    }

    #[test]
    fn internationalized_hosts_become_punycode() {
        let a = acct("@anna@Bücher.Example");
        assert_eq!(a.host(), "xn--bcher-kva.example");
        assert_eq!(a.to_string(), "acct:anna@xn--bcher-kva.example");
        assert_eq!(acct("anna@xn--bcher-kva.example"), a);
    }

    #[test]
    fn percent_encoded_user_parts() {
        let a = acct("acct:first%2Elast%40old@example.com");
        assert_eq!(a.user(), "first.last@old");
        assert_eq!(a.to_string(), "acct:first.last%40old@example.com");
        let b = acct("acct:j%C3%BCrgen@example.com");
        assert_eq!(b.user(), "jürgen");
        assert_eq!(b.to_string(), "acct:j%C3%BCrgen@example.com");
        assert_eq!(acct("jürgen@example.com"), b);
    }

    #[test]
    fn urls() {
        let r = Resource::parse("https://Example.COM/users/alice").unwrap();
        assert_eq!(r.to_string(), "https://example.com/users/alice");
        assert_eq!(r.authority(), "example.com");
        let r = Resource::parse("http://127.0.0.2:8080/u/a").unwrap();
        assert_eq!(r.authority(), "127.0.0.2:8080");
    }

    #[test]
    fn errors_are_typed() {
        use ResourceErrorKind::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("mailto:a@b.c", UnsupportedScheme),
            ("did:plc:abc", UnsupportedScheme),
            ("alice", MissingHost),
            ("acct:alice@", MissingHost),
            ("@example.com", MissingHost),
            ("acct:@", MissingHost),
            ("@@example.com", EmptyUser),
            ("a b@example.com", InvalidUser),
            ("a@b@example.com", InvalidHost),
            ("a%zz@example.com", InvalidUser),
            ("a%ff@example.com", InvalidUser),
            ("a:b@example.com", UnsupportedScheme),
            ("a@exa mple.com", InvalidHost),
            ("a@example.com/path", InvalidHost),
            ("a@example.com:", InvalidPort),
            ("a@example.com:99999", InvalidPort),
            ("a@example.com:80a", InvalidPort),
            ("a@[::1", InvalidHost),
            ("a@[::1]x", InvalidPort),
            ("https://", InvalidUrl),
            ("https://exa mple.com/", InvalidUrl),
        ];
        for (input, kind) in cases {
            match Resource::parse(input) {
                Err(Error::InvalidResource(k)) => assert_eq!(k, kind, "{input:?}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn case_insensitive_compare() {
        assert!(acct("Alice@example.com").eq_ignore_case(&acct("alice@EXAMPLE.COM")));
        assert_ne!(acct("Alice@example.com"), acct("alice@example.com"));
    }
}
