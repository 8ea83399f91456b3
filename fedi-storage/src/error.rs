//! The crate's one error type.

/// Everything that can go wrong in a storage operation.
///
/// Callers branch with the `is_*()` predicates rather than by matching variants, so new
/// variants can be added without breaking them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record does not exist (returned by operations that need an existing record, such as
    /// acknowledging an unknown job; plain lookups return `Ok(None)` instead).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked up.
        what: String,
    },
    /// The IRI was deleted earlier and is remembered by a tombstone; it cannot be stored again.
    #[error("{iri} was deleted (tombstoned); it cannot be stored again")]
    Tombstoned {
        /// The tombstoned IRI.
        iri: String,
    },
    /// A stored value could not be decoded (truncated, written by something else, or from an
    /// unknown format version). Only this record is affected; the rest of the store stays
    /// readable.
    #[error("corrupt record at {key}: {reason}")]
    Corrupt {
        /// A printable form of the record's key.
        key: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The caller passed an argument the store cannot accept (an empty name, a name that is
    /// too long, a body that is not JSON, a zero limit where one is needed, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A lease token did not match the job's current lease: the lease ended and the job was
    /// leased again by someone else, or it was already acknowledged.
    #[error("lease on job {job} is no longer held")]
    LeaseLost {
        /// The job's id.
        job: u64,
    },
    /// The backend failed (I/O error, the database is closed or locked by another process).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The store was opened but is unusable (for example the data directory is locked by
    /// another process).
    #[error("cannot open store: {0}")]
    Open(String),
    /// A media key was refused (see [`MediaKey`](crate::media::MediaKey) for the rules): it
    /// is empty, too long, absolute, has an empty, `.`-led or `..` segment, or a character
    /// outside `[A-Za-z0-9._-]`. Nothing was read or written.
    #[error("invalid media key {key:?}: {reason}")]
    InvalidKey {
        /// The refused key (at most its first 100 characters).
        key: String,
        /// Which rule it broke.
        reason: String,
    },
    /// A media upload was longer than the limit it was given. Nothing was stored, and an
    /// earlier object under the key is intact. An HTTP server answers 413.
    #[error("media larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A byte range starts at or beyond the end of the object (or is otherwise empty). An
    /// HTTP server answers 416 with `Content-Range: bytes */{size}`.
    #[error("range not satisfiable for an object of {size} bytes")]
    RangeNotSatisfiable {
        /// The object's total size, in bytes.
        size: u64,
    },
    /// The backend refused the credentials or the operation (a wrong access key or secret,
    /// no permission on the bucket). Retrying will not help until the configuration changes.
    #[error("access denied by the storage backend: {0}")]
    AccessDenied(String),
    /// The stream of bytes given to a media upload failed midway. Nothing was stored, and an
    /// earlier object under the key is intact.
    #[error("media upload stream failed: {0}")]
    Upload(String),
}

impl Error {
    /// The record does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
    /// The IRI is tombstoned.
    pub fn is_tombstoned(&self) -> bool {
        matches!(self, Error::Tombstoned { .. })
    }
    /// A stored record could not be decoded.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Error::Corrupt { .. })
    }
    /// The caller passed a bad argument (an invalid media key included).
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Error::InvalidArgument(_) | Error::InvalidKey { .. })
    }
    /// A media key was refused ([`Error::InvalidKey`]).
    pub fn is_invalid_key(&self) -> bool {
        matches!(self, Error::InvalidKey { .. })
    }
    /// A media upload exceeded its limit ([`Error::TooLarge`]).
    pub fn is_too_large(&self) -> bool {
        matches!(self, Error::TooLarge { .. })
    }
    /// A byte range was not satisfiable ([`Error::RangeNotSatisfiable`]).
    pub fn is_range_not_satisfiable(&self) -> bool {
        matches!(self, Error::RangeNotSatisfiable { .. })
    }
    /// A media upload's stream failed ([`Error::Upload`]).
    pub fn is_upload_failed(&self) -> bool {
        matches!(self, Error::Upload(_))
    }
    /// The backend refused the credentials or the operation ([`Error::AccessDenied`]).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Error::AccessDenied(_))
    }
    /// A lease was no longer held.
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, Error::LeaseLost { .. })
    }
    /// The backend itself failed; the operation may succeed if retried later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Backend(_))
    }

    pub(crate) fn corrupt(key: &[u8], reason: impl Into<String>) -> Self {
        Error::Corrupt {
            key: printable_key(key),
            reason: reason.into(),
        }
    }
}

/// A printable form of a raw key: the tag byte, then the rest with non-printable bytes escaped.
pub(crate) fn printable_key(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.iter().take(200) {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

impl From<::sled::Error> for Error {
    fn from(e: ::sled::Error) -> Self {
        match e {
            ::sled::Error::Corruption { at, .. } => Error::Corrupt {
                key: format!("<sled log at {at:?}>"),
                reason: "the sled log failed its checksum".into(),
            },
            other => Error::Backend(other.to_string()),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
