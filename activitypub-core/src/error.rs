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
    /// JSON-LD processing (expansion or compaction) failed.
    #[error("JSON-LD processing failed: {reason}")]
    JsonLd {
        /// What was wrong.
        reason: String,
    },
}
