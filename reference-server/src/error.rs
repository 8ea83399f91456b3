//! The crate's one error type.

/// Everything that can go wrong in the reference server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No such record (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is not acceptable (422), e.g. a status over the character limit.
    #[error("{0}")]
    Unprocessable(String),
    /// The caller may not do this (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A bad parameter (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Authentication required or failed (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The thing existed and was deleted (410).
    #[error("gone: {0}")]
    Gone(String),
    /// Configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// The federation layer.
    #[error(transparent)]
    Federation(#[from] activitypub_core::Error),
    /// Storage.
    #[error(transparent)]
    Storage(#[from] fedi_storage::Error),
    /// I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The HTTP status for this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Error::NotFound(_) => S::NOT_FOUND,
            Error::Unprocessable(_) => S::UNPROCESSABLE_ENTITY,
            Error::Forbidden(_) => S::FORBIDDEN,
            Error::BadRequest(_) => S::BAD_REQUEST,
            Error::Unauthorized(_) => S::UNAUTHORIZED,
            Error::Gone(_) => S::GONE,
            Error::Federation(e) if e.rejection().is_some() => e.status(),
            Error::Federation(e) if e.is_gone() => S::GONE,
            Error::Federation(_) => S::BAD_GATEWAY,
            Error::Storage(e) if e.is_not_found() => S::NOT_FOUND,
            _ => S::INTERNAL_SERVER_ERROR,
        }
    }
    /// Whether this is a not-found error.
    pub fn is_not_found(&self) -> bool {
        self.status() == http::StatusCode::NOT_FOUND
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::BadRequest(e.to_string())
    }
}
