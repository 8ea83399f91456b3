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
}

impl Error {
    /// Whether the error is an invalid object id.
    pub fn is_invalid_id(&self) -> bool {
        matches!(self, Error::InvalidId { .. })
    }
    /// Whether the error is a malformed document (not JSON, or the wrong shape).
    pub fn is_malformed(&self) -> bool {
        matches!(self, Error::Malformed { .. })
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Malformed {
            reason: e.to_string(),
        }
    }
}
