//! The tool's one error type.

/// What can go wrong while preparing or running a measurement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket, file or process operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP exchange failed below the status code (connect, protocol, closed connection).
    #[error("http: {0}")]
    Http(String),
    /// The server answered, but not as expected.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    /// Signing or key generation failed.
    #[error("signature: {0}")]
    Signature(#[from] http_sig::Error),
    /// The reference server's code failed (seeding, in-process measurements).
    #[error("server: {0}")]
    Server(#[from] reference_server::Error),
    /// The store failed (seeding).
    #[error("storage: {0}")]
    Storage(#[from] fedi_storage::Error),
    /// JSON encoding failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A bad argument (target URL, counts, missing process).
    #[error("usage: {0}")]
    Usage(String),
    /// A bounded wait ran out.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl Error {
    /// Whether the error is a bad argument rather than a failure while running.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }
    /// Whether a bounded wait ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }
    /// Whether the failure happened on the wire (connect, protocol).
    pub fn is_http(&self) -> bool {
        matches!(self, Error::Http(_) | Error::Io(_))
    }
}

/// The tool's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
