//! The crate's one error type, and the kinds its variants carry.
//!
//! This module depends on no other module of the crate: the vocabulary and the engine both
//! depend on it, never the other way. The kinds of the engine's failures ([`Rejection`],
//! [`FetchErrorKind`], [`TransportErrorKind`]) are therefore defined here, beside the error
//! that carries them, and the engine re-exports them where its users look for them
//! (`engine::Rejection`, `engine::FetchErrorKind`, `engine::transport::TransportErrorKind`).
//! What only the engine does with an error, answering an HTTP request with it
//! (`Error::status`, `Error::to_response`), is implemented in the engine.

/// Everything that can go wrong in `activitypub-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON, or the JSON does not have the shape the type needs.
    #[error("malformed document: {reason}")]
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// An object id is not an absolute http(s) URL with a host.
    #[error("invalid object id {id:?}: {reason}")]
    InvalidId {
        /// The id as given.
        id: String,
        /// Why it was rejected.
        reason: String,
    },
    /// JSON-LD processing (expansion or compaction) failed.
    #[error("JSON-LD processing failed: {reason}")]
    JsonLd {
        /// What was wrong.
        reason: String,
    },
    /// The inbox refused a request; [`Rejection::status`] is the HTTP status to answer.
    #[error("inbox rejected the request ({kind}): {reason}")]
    Rejected {
        /// Why, as one of a fixed set of reasons, each with one HTTP status.
        kind: Rejection,
        /// Details for logs.
        reason: String,
    },
    /// A request got no response (connect failure, timeout, SSRF guard …).
    #[error("{kind} for {url}: {reason}")]
    Transport {
        /// What went wrong.
        kind: TransportErrorKind,
        /// The URL requested.
        url: String,
        /// Details.
        reason: String,
    },
    /// A fetch got a response it cannot use (HTTP error, wrong content type, wrong origin,
    /// too many redirects, budget spent).
    #[error("fetch of {url} failed ({kind}): {reason}")]
    Fetch {
        /// What went wrong.
        kind: FetchErrorKind,
        /// The URL fetched.
        url: String,
        /// Details.
        reason: String,
    },
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(#[from] fedi_storage::Error),
    /// Signing or verifying an HTTP signature failed.
    #[error("HTTP signature: {0}")]
    Signature(#[from] http_sig::Error),
    /// The application's handler failed; `retryable` says whether the inbox queue should try
    /// again later.
    #[error("handler failed: {reason}")]
    Handler {
        /// What went wrong.
        reason: String,
        /// Whether to retry.
        retryable: bool,
    },
    /// A WebFinger lookup failed.
    #[error("WebFinger: {0}")]
    WebFinger(#[from] webfinger::Error),
    /// The engine's configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// A retryable handler error (the inbox queue tries again with back-off).
    pub fn handler(reason: impl Into<String>) -> Self {
        Error::Handler {
            reason: reason.into(),
            retryable: true,
        }
    }
    /// A permanent handler error (the job goes to the dead letters at once).
    pub fn handler_permanent(reason: impl Into<String>) -> Self {
        Error::Handler {
            reason: reason.into(),
            retryable: false,
        }
    }
    /// An inbox rejection.
    pub fn rejected(kind: Rejection, reason: impl Into<String>) -> Self {
        Error::Rejected {
            kind,
            reason: reason.into(),
        }
    }
    /// A transport error.
    pub fn transport(
        kind: TransportErrorKind,
        url: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Transport {
            kind,
            url: url.into(),
            reason: reason.into(),
        }
    }
    /// A fetch error.
    pub fn fetch(kind: FetchErrorKind, url: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Fetch {
            kind,
            url: url.into(),
            reason: reason.into(),
        }
    }
    /// The inbox rejection, if this is one.
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            Error::Rejected { kind, .. } => Some(*kind),
            _ => None,
        }
    }
    /// Whether this is a transport error of this kind.
    pub fn is_transport(&self, kind: TransportErrorKind) -> bool {
        matches!(self, Error::Transport { kind: k, .. } if *k == kind)
    }
    /// Whether this is a fetch error of this kind.
    pub fn is_fetch(&self, kind: FetchErrorKind) -> bool {
        matches!(self, Error::Fetch { kind: k, .. } if *k == kind)
    }
    /// Whether the thing fetched is gone for good (HTTP 410, or a Tombstone).
    pub fn is_gone(&self) -> bool {
        self.is_fetch(FetchErrorKind::Gone)
    }
    /// Whether trying again later may succeed: transport failures that are not the SSRF guard
    /// or a size limit, 5xx/429 fetch failures, storage failures, retryable handler errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => kind.is_retryable(),
            Error::Fetch { kind, .. } => kind.is_retryable(),
            Error::Storage(_) => true,
            Error::Handler { retryable, .. } => *retryable,
            _ => false,
        }
    }
    /// Whether the error is an invalid object id.
    pub fn is_invalid_id(&self) -> bool {
        matches!(self, Error::InvalidId { .. })
    }
    /// Whether the error is a malformed document (not JSON, or the wrong shape).
    pub fn is_malformed(&self) -> bool {
        matches!(self, Error::Malformed { .. })
    }
}

impl Error {
    /// A copy of this error, for every waiter of a result computed once and shared (a key
    /// fetch, a group write). Kinds, statuses and predicates are kept; a storage error of a
    /// kind without a public constructor becomes a backend error with the same text, and a
    /// WebFinger error a fetch error with the same text.
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::Malformed { reason } => Error::Malformed {
                reason: reason.clone(),
            },
            Error::InvalidId { id, reason } => Error::InvalidId {
                id: id.clone(),
                reason: reason.clone(),
            },
            Error::JsonLd { reason } => Error::JsonLd {
                reason: reason.clone(),
            },
            Error::Rejected { kind, reason } => Error::rejected(*kind, reason.clone()),
            Error::Transport { kind, url, reason } => {
                Error::transport(*kind, url.clone(), reason.clone())
            }
            Error::Fetch { kind, url, reason } => Error::fetch(*kind, url.clone(), reason.clone()),
            Error::Storage(e) => Error::Storage(duplicate_storage_error(e)),
            Error::Signature(e) => Error::Signature(e.clone()),
            Error::Handler { reason, retryable } => Error::Handler {
                reason: reason.clone(),
                retryable: *retryable,
            },
            Error::WebFinger(e) => Error::fetch(
                FetchErrorKind::Status,
                String::new(),
                format!("WebFinger: {e}"),
            ),
            Error::Config(m) => Error::Config(m.clone()),
        }
    }
}

/// A copy of a storage error (see [`Error::duplicate`]).
pub(crate) fn duplicate_storage_error(e: &fedi_storage::Error) -> fedi_storage::Error {
    use fedi_storage::Error as E;
    match e {
        E::NotFound { what } => E::NotFound { what: what.clone() },
        E::Tombstoned { iri } => E::Tombstoned { iri: iri.clone() },
        E::Corrupt { key, reason } => E::Corrupt {
            key: key.clone(),
            reason: reason.clone(),
        },
        E::InvalidArgument(m) => E::InvalidArgument(m.clone()),
        E::LeaseLost { job } => E::LeaseLost { job: *job },
        E::Backend(m) => E::Backend(m.clone()),
        E::Open(m) => E::Open(m.clone()),
        other => E::Backend(other.to_string()),
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Malformed {
            reason: e.to_string(),
        }
    }
}

/// Why the inbox (or `Engine::verify_get`) refused a request. Each reason has one HTTP
/// status ([`Rejection::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is larger than the limit (413).
    TooLarge,
    /// The content type is not ActivityStreams JSON (415).
    UnsupportedMediaType,
    /// The body is not JSON, is nested too deeply, or a header is malformed (400).
    BadRequest,
    /// A `Digest` / `Content-Digest` header does not match the body, or a POST has none (401).
    Digest,
    /// No signature, a signature that does not verify, one outside the time window, or a key
    /// that cannot be fetched (401).
    Signature,
    /// The signer is not the activity's actor, an object claims another origin than its
    /// actor, or the actor or its domain is blocked (403).
    Forbidden,
    /// The activity would recreate a deleted object (410).
    Gone,
    /// Well-formed JSON that is not a usable activity: no `id`, no `actor`, invalid ids (422).
    Unprocessable,
    /// The addressed local actor does not exist (404).
    NotFound,
}

impl Rejection {
    /// The HTTP status to answer with.
    pub fn status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Rejection::TooLarge => S::PAYLOAD_TOO_LARGE,
            Rejection::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
            Rejection::BadRequest => S::BAD_REQUEST,
            Rejection::Digest | Rejection::Signature => S::UNAUTHORIZED,
            Rejection::Forbidden => S::FORBIDDEN,
            Rejection::Gone => S::GONE,
            Rejection::Unprocessable => S::UNPROCESSABLE_ENTITY,
            Rejection::NotFound => S::NOT_FOUND,
        }
    }
    /// A short machine-readable name (`"too_large"`, `"signature"` …), used in logs and in
    /// the JSON error body.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::TooLarge => "too_large",
            Rejection::UnsupportedMediaType => "unsupported_media_type",
            Rejection::BadRequest => "bad_request",
            Rejection::Digest => "digest",
            Rejection::Signature => "signature",
            Rejection::Forbidden => "forbidden",
            Rejection::Gone => "gone",
            Rejection::Unprocessable => "unprocessable",
            Rejection::NotFound => "not_found",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a fetch failed although a response arrived (or the fetch was not attempted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// 404.
    NotFound,
    /// 410 Gone (or a Tombstone where an object was expected).
    Gone,
    /// 401/403: the server refused us.
    Refused,
    /// 429 Too Many Requests.
    RateLimited,
    /// 5xx.
    ServerError,
    /// Any other unexpected status.
    Status,
    /// The content type is not ActivityStreams JSON.
    ContentType,
    /// The body is not a usable document.
    Malformed,
    /// The document's `id` has another origin than the URL it was fetched from.
    OriginMismatch,
    /// More redirects than allowed, or a redirect without a usable `Location`.
    Redirect,
    /// The request budget for this operation is spent.
    Budget,
    /// The URL is not an absolute http(s) URL we may fetch.
    InvalidUrl,
}

impl FetchErrorKind {
    /// Whether a later attempt may succeed (429 and 5xx).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FetchErrorKind::RateLimited | FetchErrorKind::ServerError
        )
    }
}

impl std::fmt::Display for FetchErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FetchErrorKind::NotFound => "not found",
            FetchErrorKind::Gone => "gone",
            FetchErrorKind::Refused => "refused",
            FetchErrorKind::RateLimited => "rate limited",
            FetchErrorKind::ServerError => "server error",
            FetchErrorKind::Status => "unexpected status",
            FetchErrorKind::ContentType => "not ActivityStreams JSON",
            FetchErrorKind::Malformed => "malformed document",
            FetchErrorKind::OriginMismatch => "origin mismatch",
            FetchErrorKind::Redirect => "redirect",
            FetchErrorKind::Budget => "request budget spent",
            FetchErrorKind::InvalidUrl => "invalid URL",
        })
    }
}

/// Why a request did not get a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The request is not one we can send (relative URI, unsupported scheme, plain `http`
    /// where only `https` is allowed).
    InvalidRequest,
    /// The host name did not resolve.
    Dns,
    /// Every resolved address is one the transport's `AddressPolicy` denies (SSRF guard).
    AddressDenied,
    /// The connection (TCP or TLS) could not be made, or broke.
    Connect,
    /// The exchange did not finish within the request's `SendOptions::timeout`.
    Timeout,
    /// The response body was longer than the request's `SendOptions::max_response_bytes`.
    ResponseTooLarge,
    /// Anything else (protocol errors).
    Other,
}

impl TransportErrorKind {
    /// Whether trying again later may succeed (connect failures, timeouts, DNS).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Dns
                | TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::Other
        )
    }
}

impl std::fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportErrorKind::InvalidRequest => "invalid request",
            TransportErrorKind::Dns => "name resolution failed",
            TransportErrorKind::AddressDenied => "address denied",
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::ResponseTooLarge => "response too large",
            TransportErrorKind::Other => "transport error",
        })
    }
}

#[cfg(test)]
mod tests {
    /// The module's layering rule: the engine depends on the error, never the other way, so
    /// the vocabulary's error does not drag the engine in.
    #[test]
    fn the_error_module_names_nothing_of_the_engine() {
        let source = include_str!("error.rs");
        for path in [concat!("crate::", "engine"), concat!("super::", "engine")] {
            assert!(!source.contains(path), "error.rs refers to {path}");
        }
    }
}
