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
    /// An upload whose real type (from its bytes) is not accepted here (422).
    #[error("unsupported media: {0}")]
    UnsupportedMedia(String),
    /// An upload over the size limit for its type, in bytes (413).
    #[error("media too large: the limit is {limit} bytes")]
    MediaTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// An image whose header declares more pixels than allowed; refused before decoding (422).
    #[error("image too large: {width}x{height} is over the limit of {max_pixels} pixels")]
    ImageTooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit on width × height.
        max_pixels: u64,
    },
    /// An upload that cannot be decoded: corrupt, truncated or inconsistent (422).
    #[error("corrupt media: {0}")]
    CorruptMedia(String),
    /// Processing an upload took longer than its time bound (422).
    #[error("media processing timed out")]
    MediaTimeout,
    /// Too many failed attempts (a password check behind the login throttle): try again in
    /// `retry_after_ms` (429).
    #[error("too many failed attempts, try again in {} s", retry_after_ms.div_ceil(1000))]
    TooManyAttempts {
        /// Milliseconds until the throttle's window ends.
        retry_after_ms: u64,
    },
    /// An import file refused before any job starts (413 too large, 415 not text, 422 else).
    #[error("{1}")]
    BadImportFile(crate::app::import::BadFile, String),
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
            Error::UnsupportedMedia(_)
            | Error::ImageTooLarge { .. }
            | Error::CorruptMedia(_)
            | Error::MediaTimeout => S::UNPROCESSABLE_ENTITY,
            Error::MediaTooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Error::TooManyAttempts { .. } => S::TOO_MANY_REQUESTS,
            Error::BadImportFile(kind, _) => kind.status(),
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
