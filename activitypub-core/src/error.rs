//! The crate's one error type.

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
    /// The inbox refused a request; [`Rejection::status`](crate::engine::Rejection::status) is the HTTP status to answer.
    #[error("inbox rejected the request ({kind}): {reason}")]
    Rejected {
        /// Why, as one of a fixed set of reasons, each with one HTTP status.
        kind: crate::engine::Rejection,
        /// Details for logs.
        reason: String,
    },
    /// A request got no response (connect failure, timeout, SSRF guard …).
    #[error("{kind} for {url}: {reason}")]
    Transport {
        /// What went wrong.
        kind: crate::engine::transport::TransportErrorKind,
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
        kind: crate::engine::FetchErrorKind,
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
    pub fn rejected(kind: crate::engine::Rejection, reason: impl Into<String>) -> Self {
        Error::Rejected {
            kind,
            reason: reason.into(),
        }
    }
    /// A transport error.
    pub fn transport(
        kind: crate::engine::transport::TransportErrorKind,
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
    pub fn fetch(
        kind: crate::engine::FetchErrorKind,
        url: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Fetch {
            kind,
            url: url.into(),
            reason: reason.into(),
        }
    }
    /// The HTTP status this error answers with when it ends an inbox request: the rejection's
    /// status; 503 for storage failures; 500 otherwise.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Error::Rejected { kind, .. } => kind.status(),
            Error::Malformed { .. } | Error::InvalidId { .. } | Error::JsonLd { .. } => {
                http::StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::Storage(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    /// The error as an HTTP answer, the way [`Engine::inbox`](crate::engine::Engine::inbox)
    /// answers a rejection: [`status`](Self::status), `Content-Type: application/json` and the
    /// body `{"error": "<kind>", "detail": "<this error>"}`, where the kind is the
    /// [`Rejection`](crate::engine::Rejection) name (`too_large`, `signature` …) or `internal`.
    ///
    /// ```
    /// use activitypub_core::{engine::Rejection, Error};
    /// let res = Error::rejected(Rejection::TooLarge, "body larger than 10 bytes").to_response();
    /// assert_eq!(res.status(), 413);
    /// assert_eq!(res.headers()["content-type"], "application/json");
    /// assert_eq!(
    ///     res.body().as_ref(),
    ///     br#"{"error":"too_large","detail":"inbox rejected the request (too_large): body larger than 10 bytes"}"#
    /// );
    /// ```
    pub fn to_response(&self) -> http::Response<bytes::Bytes> {
        let kind = self.rejection().map_or("internal", |k| k.as_str());
        let body = serde_json::json!({"error": kind, "detail": self.to_string()});
        let mut res = http::Response::new(bytes::Bytes::from(body.to_string()));
        *res.status_mut() = self.status();
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        res
    }
    /// The inbox rejection, if this is one.
    pub fn rejection(&self) -> Option<crate::engine::Rejection> {
        match self {
            Error::Rejected { kind, .. } => Some(*kind),
            _ => None,
        }
    }
    /// Whether this is a transport error of this kind.
    pub fn is_transport(&self, kind: crate::engine::transport::TransportErrorKind) -> bool {
        matches!(self, Error::Transport { kind: k, .. } if *k == kind)
    }
    /// Whether this is a fetch error of this kind.
    pub fn is_fetch(&self, kind: crate::engine::FetchErrorKind) -> bool {
        matches!(self, Error::Fetch { kind: k, .. } if *k == kind)
    }
    /// Whether the thing fetched is gone for good (HTTP 410, or a Tombstone).
    pub fn is_gone(&self) -> bool {
        self.is_fetch(crate::engine::FetchErrorKind::Gone)
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
                crate::engine::FetchErrorKind::Status,
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

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::engine::Rejection;

    fn body(e: &Error) -> serde_json::Value {
        serde_json::from_slice(e.to_response().body()).expect("a JSON body")
    }

    #[test]
    fn every_error_answers_with_its_status_and_a_json_body() {
        let e = Error::rejected(Rejection::Signature, "no signature");
        let res = e.to_response();
        assert_eq!(res.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers().len(), 1);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(
            body(&e),
            serde_json::json!({"error": "signature", "detail": e.to_string()})
        );
        // Not a rejection: "internal", with the error's own status.
        let e = Error::Storage(fedi_storage::Error::Backend("disk full".into()));
        assert_eq!(
            e.to_response().status(),
            http::StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(body(&e)["error"], "internal");
        let e = Error::Config("no key".into());
        assert_eq!(
            e.to_response().status(),
            http::StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            body(&e),
            serde_json::json!({"error": "internal", "detail": "configuration: no key"})
        );
    }
}
