//! The crate's error type.

use http::StatusCode;

/// Why a string is not a valid WebFinger resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceErrorKind {
    /// The input is empty (or only whitespace).
    Empty,
    /// The input has a URI scheme other than `acct:`, `http:` or `https:`.
    UnsupportedScheme,
    /// An account has no `@host` part.
    MissingHost,
    /// An account has an empty user part.
    EmptyUser,
    /// The user part holds a character that must be percent-encoded, or bad UTF-8.
    InvalidUser,
    /// The host is not a valid domain name or IP address.
    InvalidHost,
    /// The port is not a number from 0 to 65535.
    InvalidPort,
    /// An `http(s)` URL that does not parse or has no host.
    InvalidUrl,
}

impl ResourceErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty resource",
            Self::UnsupportedScheme => "unsupported scheme (expected acct:, http: or https:)",
            Self::MissingHost => "account without a host",
            Self::EmptyUser => "account with an empty user part",
            Self::InvalidUser => "invalid character in the user part",
            Self::InvalidHost => "invalid host",
            Self::InvalidPort => "invalid port",
            Self::InvalidUrl => "invalid http(s) URL",
        }
    }
}

impl std::fmt::Display for ResourceErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A resource (`acct:user@host`, `@user@host`, URL) could not be parsed.
    #[error("invalid WebFinger resource: {0}")]
    InvalidResource(ResourceErrorKind),
    /// A JRD body is not a JSON object of the right shape.
    #[error("invalid JRD document: {0}")]
    InvalidJrd(#[source] serde_json::Error),
    /// An XRD (XML) body could not be parsed.
    #[error("invalid XRD document: {0}")]
    InvalidXrd(String),
    /// The body is larger than the configured limit.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The server does not know the resource (HTTP 404, or no way to look it up).
    #[error("resource not found")]
    NotFound,
    /// The server says the resource is gone for good (HTTP 410).
    #[error("resource gone")]
    Gone,
    /// The server answered with a status this crate does not accept.
    #[error("unexpected HTTP status {0}")]
    UnexpectedStatus(StatusCode),
    /// The answer names no ActivityPub actor (`rel="self"` with an ActivityStreams type).
    #[error("no ActivityPub actor link in the JRD")]
    NoActorLink,
    /// The answer has no usable subject.
    #[error("JRD subject missing or not an account: {0:?}")]
    InvalidSubject(Option<String>),
    /// The answer names another account as its subject and domain hops are disabled
    /// (`max_hops` is 0).
    #[error("asked for {expected}, the answer is about {found}")]
    SubjectMismatch {
        /// The account asked for in the confirming query.
        expected: String,
        /// The subject the confirming answer named.
        found: String,
    },
    /// Too many domain hops, host-meta fallbacks or HTTP redirects.
    #[error("too many hops (limit {limit})")]
    TooManyHops {
        /// The configured limit.
        limit: u8,
    },
    /// host-meta holds no `lrdd` template.
    #[error("host-meta has no lrdd template")]
    NoLrddTemplate,
    /// [`Lookup::feed`](crate::client::Lookup::feed) was called after the lookup finished.
    #[error("the lookup has already finished")]
    LookupFinished,
    /// A URL built from a template, redirect or host is not a valid request URI.
    #[error("invalid request URI: {0}")]
    InvalidUri(String),
}

impl Error {
    /// The account or document does not exist (HTTP 404 or 410).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound | Self::Gone)
    }

    /// The account is gone for good (HTTP 410).
    pub fn is_gone(&self) -> bool {
        matches!(self, Self::Gone)
    }

    /// The input resource string was invalid (a caller error; answer 400 on the server side).
    pub fn is_invalid_resource(&self) -> bool {
        matches!(self, Self::InvalidResource(_))
    }

    /// Trying again later may succeed (HTTP 5xx, 408 or 429).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::UnexpectedStatus(s) => {
                s.is_server_error()
                    || *s == StatusCode::TOO_MANY_REQUESTS
                    || *s == StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }

    /// The remote answered something unusable or untrustworthy (bad body, bad subject, no actor).
    pub fn is_invalid_response(&self) -> bool {
        matches!(
            self,
            Self::InvalidJrd(_)
                | Self::InvalidXrd(_)
                | Self::BodyTooLarge { .. }
                | Self::NoActorLink
                | Self::InvalidSubject(_)
                | Self::SubjectMismatch { .. }
                | Self::NoLrddTemplate
                | Self::InvalidUri(_)
        )
    }

    /// The lookup stopped because it hit its hop bound.
    pub fn is_too_many_hops(&self) -> bool {
        matches!(self, Self::TooManyHops { .. })
    }
}
