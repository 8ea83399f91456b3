//! The public data types: parsed signatures, policy, results, signing options.

use std::time::Duration;

use crate::digest::DigestAlgorithm;
use crate::key::Algorithm;

/// Which HTTP signature specification a signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// draft-cavage-http-signatures-12, as Mastodon and most of the fediverse use it
    /// (`Signature: keyId=…,algorithm=…,headers=…,signature=…`).
    Cavage,
    /// RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`).
    Rfc9421,
}

impl Scheme {
    /// `"cavage"` or `"rfc9421"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Cavage => "cavage",
            Scheme::Rfc9421 => "rfc9421",
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One covered component of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Component {
    /// The component's name, lower-cased: a header name (`host`, `digest`), a cavage
    /// pseudo-header (`(request-target)`, `(created)`, `(expires)`) or an RFC 9421 derived
    /// component (`@method`, `@target-uri`, …).
    pub name: String,
    /// The identifier exactly as it appears in the signature base: for cavage the same as
    /// `name`; for RFC 9421 the serialized structured-field string with its parameters, e.g.
    /// `"@query-param";name="pet"` or `"content-digest"`.
    pub identifier: String,
}

/// A signature found in a message, parsed and with its signature base built — step 1 of
/// verification. No crypto has been done yet. Resolve the key by [`key_id`](Self::key_id), then
/// call [`verify`](crate::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedSignature {
    /// The scheme.
    pub scheme: Scheme,
    /// The RFC 9421 label (`sig1` in `Signature-Input: sig1=(…)`); `None` for cavage.
    pub label: Option<String>,
    /// `keyId` (cavage) / `keyid` (RFC 9421): in the fediverse, the URL of the actor's key.
    pub key_id: String,
    /// The declared algorithm, as sent: cavage `algorithm` (`rsa-sha256`, `hs2019`, …) or RFC
    /// 9421 `alg`. `None` when absent (the key then decides).
    pub algorithm: Option<String>,
    /// The covered components, in order.
    pub components: Vec<Component>,
    /// `created`, UNIX seconds.
    pub created: Option<i64>,
    /// `expires`, UNIX seconds.
    pub expires: Option<i64>,
    /// The covered `Date` header's time, UNIX seconds (when `date` is covered and parses).
    pub date: Option<i64>,
    /// RFC 9421 `nonce`.
    pub nonce: Option<String>,
    /// RFC 9421 `tag`.
    pub tag: Option<String>,
    /// The signed message's method (requests only), for method-dependent policy.
    pub method: Option<http::Method>,
    /// The exact bytes that were signed.
    pub signature_base: Vec<u8>,
    /// Cavage only, when `(request-target)` is covered and the URI has a query: the signing
    /// string with the query left out of `(request-target)`, as some older Mastodon versions
    /// produced it. [`verify`](crate::verify) falls back to it when
    /// [`VerifyPolicy::accept_cavage_without_query`] is set (off by default).
    pub legacy_signature_base: Option<Vec<u8>>,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
}

impl ParsedSignature {
    /// Whether the component `name` (lower-case, e.g. `"digest"`, `"(request-target)"`,
    /// `"@method"`) is covered, with any parameters.
    pub fn covers(&self, name: &str) -> bool {
        self.components.iter().any(|c| c.name == name)
    }
}

/// The outcome of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The key id whose key verified the signature.
    pub key_id: String,
    /// The scheme of the verified signature.
    pub scheme: Scheme,
    /// The RFC 9421 label of the verified signature.
    pub label: Option<String>,
    /// The algorithm that verified.
    pub algorithm: Algorithm,
    /// When the signature was made (`created`, else the covered `Date`), UNIX seconds.
    pub signed_at: Option<i64>,
    /// The covered components.
    pub components: Vec<Component>,
}

/// What a verifier accepts. [`VerifyPolicy::default`] is Mastodon's policy.
///
/// Defaults, and why (each one is what Mastodon's `SignedRequest` enforces):
/// - `require_digest_on_post`: a POST must cover `digest` (cavage) / `content-digest` (RFC
///   9421): otherwise the body, the activity, is not authenticated.
/// - `require_host_on_get`: a GET must cover `host` (RFC 9421: `@authority`, `@target-uri` or
///   `host`), so a signed fetch cannot be replayed against another server.
/// - `require_date_or_created`: cavage must cover `date` or `(created)`; RFC 9421 must carry
///   `created`. Otherwise a signature could be replayed forever.
/// - `require_target`: cavage must cover `(request-target)` or `digest`; RFC 9421 must cover
///   `@method` and `@target-uri`.
/// - Time window: `max_age` = 65 minutes, `max_future` = 1 hour. Mastodon gives a signature
///   without `expires` an expiry of `created` + 5 minutes and then allows 1 hour of clock skew
///   (`CLOCK_SKEW_MARGIN`), so it accepts signatures up to 65 minutes old and up to 1 hour in
///   the future. With an explicit `expires`, the signature is accepted until
///   `min(expires, created + expires_limit)` + `max_future`, with `expires_limit` = 12 hours
///   (`EXPIRATION_WINDOW_LIMIT`). Senders sign at send time (Mastodon re-signs every retry), so
///   live traffic is seconds old; the hour absorbs slow queues and bad clocks while keeping
///   replays short-lived.
/// - `accept_cavage_without_query` = false, stricter than Mastodon: Mastodon also accepts a
///   cavage signature whose `(request-target)` left out the query string (as some older
///   Mastodon versions signed), but then the query is not authenticated: anyone can add one
///   to a signed request without a query. Turn it on for compatibility with such senders.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyPolicy {
    /// Oldest acceptable `created` / `Date` when the signature has no `expires`.
    pub max_age: Duration,
    /// How far in the future `created` / `Date` may be (clock skew); also the leeway after
    /// `expires`.
    pub max_future: Duration,
    /// With `expires`: the longest validity honoured, counted from `created` / `Date`.
    pub expires_limit: Duration,
    /// Accept cavage signatures whose `(request-target)` omits the query string.
    pub accept_cavage_without_query: bool,
    /// POST requests must cover `digest` or `content-digest`.
    pub require_digest_on_post: bool,
    /// GET requests must cover `host` / `@authority` / `@target-uri`.
    pub require_host_on_get: bool,
    /// `date` or a `created` time must be covered.
    pub require_date_or_created: bool,
    /// The request target must be covered (see the type's docs).
    pub require_target: bool,
    /// In [`verify_request`](crate::verify_request): a non-empty body must come with a
    /// `Digest` or `Content-Digest` header that matches it.
    pub require_body_digest: bool,
    /// Accept draft-cavage signatures.
    pub accept_cavage: bool,
    /// Accept RFC 9421 signatures.
    pub accept_rfc9421: bool,
    /// Only consider the RFC 9421 signature with this label.
    pub label: Option<String>,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            max_age: Duration::from_secs(65 * 60),
            max_future: Duration::from_secs(3600),
            expires_limit: Duration::from_secs(12 * 3600),
            accept_cavage_without_query: false,
            require_digest_on_post: true,
            require_host_on_get: true,
            require_date_or_created: true,
            require_target: true,
            require_body_digest: true,
            accept_cavage: true,
            accept_rfc9421: true,
            label: None,
        }
    }
}

impl VerifyPolicy {
    /// The default policy with Mastodon's own time window: 12 hours old, 1 hour of skew.
    pub fn mastodon_window() -> Self {
        VerifyPolicy {
            max_age: Duration::from_secs(12 * 3600),
            ..Self::default()
        }
    }

    /// No coverage requirements and an unlimited time window: checks only the cryptography
    /// (and body digests in `verify_request`). For test vectors and debugging tools.
    pub fn permissive() -> Self {
        VerifyPolicy {
            max_age: Duration::from_secs(u64::MAX / 4),
            max_future: Duration::from_secs(u64::MAX / 4),
            expires_limit: Duration::from_secs(u64::MAX / 4),
            accept_cavage_without_query: true,
            require_digest_on_post: false,
            require_host_on_get: false,
            require_date_or_created: false,
            require_target: false,
            require_body_digest: false,
            accept_cavage: true,
            accept_rfc9421: true,
            label: None,
        }
    }
}

/// How to sign. Start from [`SignOptions::cavage`] or [`SignOptions::rfc9421`] (the Mastodon
/// profiles) and adjust the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignOptions {
    /// The scheme.
    pub scheme: Scheme,
    /// The key id to send (the actor's key URL, e.g. `https://example.com/users/alice#main-key`).
    pub key_id: String,
    /// The components to cover; `None` = the profile's defaults (see [`SignOptions::cavage`] and
    /// [`SignOptions::rfc9421`]). Cavage names: `(request-target)`, `(created)`, `(expires)`,
    /// header names. RFC 9421: `@method`, header names, or a full identifier with parameters
    /// such as `"@query-param";name="id"` or `"example-dict";key="a"`.
    pub components: Option<Vec<String>>,
    /// The algorithm; `None` = the key's default ([`KeyKind::default_algorithm`](crate::KeyKind::default_algorithm)).
    pub algorithm: Option<Algorithm>,
    /// The body digest to add (`Digest` for cavage, `Content-Digest` for RFC 9421) when the
    /// body is non-empty or the method is POST. `None` = add no digest header.
    pub digest: Option<DigestAlgorithm>,
    /// RFC 9421 label (default `sig1`).
    pub label: String,
    /// Send the `created` parameter (default: false for cavage, as Mastodon; true for RFC 9421).
    pub include_created: bool,
    /// Send `expires` = now + this.
    pub expires_in: Option<Duration>,
    /// RFC 9421: send the `alg` parameter (default false, as Mastodon).
    pub include_alg: bool,
    /// RFC 9421 `nonce`.
    pub nonce: Option<String>,
    /// RFC 9421 `tag`.
    pub tag: Option<String>,
    /// Add a `Date` header when the message has none (default true).
    pub add_date: bool,
}

impl SignOptions {
    /// Mastodon's draft-cavage signing: POST (and any request with a body) covers
    /// `(request-target) host date digest` plus `content-type` when present; other requests
    /// `(request-target) host date`. `algorithm="rsa-sha256"` for RSA keys, `hs2019` otherwise.
    /// Adds `Date`, `Host` (from the URI) and `Digest: SHA-256=…` as needed.
    pub fn cavage(key_id: impl Into<String>) -> Self {
        SignOptions {
            scheme: Scheme::Cavage,
            key_id: key_id.into(),
            components: None,
            algorithm: None,
            digest: Some(DigestAlgorithm::Sha256),
            label: "sig1".into(),
            include_created: false,
            expires_in: None,
            include_alg: false,
            nonce: None,
            tag: None,
            add_date: true,
        }
    }

    /// Mastodon 4.5's RFC 9421 profile: one signature `sig1` with `created` and `keyid`,
    /// covering `@method` and `@target-uri`, plus `content-digest` when there is a body
    /// (`Content-Digest: sha-256=:…:` is added). For responses: `@status`, plus
    /// `content-digest` with a body.
    pub fn rfc9421(key_id: impl Into<String>) -> Self {
        SignOptions {
            scheme: Scheme::Rfc9421,
            include_created: true,
            ..Self::cavage(key_id)
        }
    }
}
