//! Media: uploaded files (avatars, headers, attachments) stored by key, behind the small
//! [`MediaStore`] trait, with a filesystem backend ([`fs::FsMediaStore`]), an in-memory one
//! ([`memory::MemoryMediaStore`]), an S3-compatible backend (`s3::S3MediaStore`, with the
//! crate feature `s3`) and a conformance suite of its own ([`conformance::run_all`]) that all
//! of them pass.
//!
//! A media store is separate from [`Store`](crate::Store): files are large and streamed, and
//! may live elsewhere (a directory served by a web server, an object store). Its errors are
//! variants of the crate's one [`Error`]: [`Error::InvalidKey`],
//! [`Error::TooLarge`], [`Error::RangeNotSatisfiable`] and [`Error::Upload`] (and, from the
//! S3 backend, [`Error::AccessDenied`] when the credentials are refused).
//!
//! ```
//! use bytes::Bytes;
//! use fedi_storage::media::{fs::FsMediaStore, ByteRange, MediaKey, MediaStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> fedi_storage::Result<()> {
//! # let dir = tempfile::tempdir().map_err(|e| fedi_storage::Error::Backend(e.to_string()))?;
//! let store = FsMediaStore::open(dir.path()).await?;
//! let key = MediaKey::new("attachments/ab/photo.png")?;
//! let body = futures::stream::iter([Ok(Bytes::from_static(b"hello ")), Ok(Bytes::from_static(b"world"))]);
//! let info = store.put(&key, Box::pin(body), 1024).await?;
//! assert_eq!(info.size, 11);
//! let object = store.get(&key, Some(ByteRange::from_start(6))).await?.expect("stored");
//! assert_eq!(&object.bytes[..], b"world");
//! assert_eq!(object.etag, info.etag);
//! assert!(MediaKey::new("../etc/passwd").unwrap_err().is_invalid_key());
//! # Ok(())
//! # }
//! ```

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::{Error, Result};

pub mod conformance;
pub mod fs;
pub mod memory;
#[cfg(feature = "s3")]
pub mod s3;

/// The body of an upload: a stream of chunks; an `Err` item aborts the upload
/// ([`Error::Upload`]) and nothing is stored.
pub type ByteStream<'a> = BoxStream<'a, std::io::Result<Bytes>>;

/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// The longest segment of a key, in bytes (file systems limit a name to 255 bytes).
pub const MAX_SEGMENT_LEN: usize = 200;

/// A validated media key: relative, `/`-separated segments of `[A-Za-z0-9._-]`.
///
/// No segment is empty or starts with `.` (so neither `.` nor `..`, and no hidden names: a
/// backend keeps its temporary files under such names), the key does not start or end with
/// `/`, is at most [`MAX_KEY_LEN`] bytes and each segment at most [`MAX_SEGMENT_LEN`]. A key
/// therefore always names a path below a backend's root and never escapes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MediaKey(String);

impl MediaKey {
    /// Validates `key`; [`Error::InvalidKey`] names the rule it broke.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        match key_problem(&key) {
            None => Ok(MediaKey(key)),
            Some(reason) => Err(Error::InvalidKey {
                key: key.chars().take(100).collect(),
                reason: reason.into(),
            }),
        }
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the key is empty");
    }
    if key.len() > MAX_KEY_LEN {
        return Some("the key is too long");
    }
    if key.starts_with('/') {
        return Some("the key is absolute (starts with '/')");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return Some("the key has an empty segment");
        }
        if segment.starts_with('.') {
            return Some("a segment starts with '.' (such as '.' or '..')");
        }
        if segment.len() > MAX_SEGMENT_LEN {
            return Some("a segment is too long");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Some("a character is outside [A-Za-z0-9._-]");
        }
    }
    None
}

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for MediaKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        MediaKey::new(s)
    }
}

impl TryFrom<&str> for MediaKey {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        MediaKey::new(s)
    }
}

impl AsRef<str> for MediaKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The size and ETag of a stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The size in bytes.
    pub size: u64,
    /// The lowercase hex SHA-256 of the content: equal for equal content, usable as a strong
    /// HTTP ETag (quoted).
    pub etag: String,
}

impl MediaInfo {
    /// An object's description.
    pub fn new(size: u64, etag: impl Into<String>) -> Self {
        MediaInfo {
            size,
            etag: etag.into(),
        }
    }
}

/// One object named by [`MediaStore::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaEntry {
    /// The object's key.
    pub key: MediaKey,
    /// Its size in bytes.
    pub size: u64,
}

impl MediaEntry {
    /// A listed object.
    pub fn new(key: MediaKey, size: u64) -> Self {
        MediaEntry { key, size }
    }
}

/// A byte range to read, as in an HTTP `Range: bytes=...` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ByteRange {
    /// `start-end`: from `start` to `end`, both inclusive (an `end` beyond the object is
    /// read as its last byte).
    Inclusive {
        /// The first byte.
        start: u64,
        /// The last byte.
        end: u64,
    },
    /// `start-`: from `start` to the end.
    From {
        /// The first byte.
        start: u64,
    },
    /// `-len`: the last `len` bytes (the whole object if it is shorter).
    Suffix {
        /// How many bytes.
        len: u64,
    },
}

impl ByteRange {
    /// `start-end`, both inclusive.
    pub fn inclusive(start: u64, end: u64) -> Self {
        ByteRange::Inclusive { start, end }
    }
    /// `start-`, to the end.
    pub fn from_start(start: u64) -> Self {
        ByteRange::From { start }
    }
    /// `-len`, the last `len` bytes.
    pub fn suffix(len: u64) -> Self {
        ByteRange::Suffix { len }
    }

    /// The half-open span `start..end` this range selects in an object of `size` bytes, with
    /// RFC 9110's rules: [`Error::RangeNotSatisfiable`] if it starts at or beyond the end,
    /// if `start > end`, or if it selects nothing (a zero suffix, any range of an empty
    /// object).
    pub fn resolve(&self, size: u64) -> Result<(u64, u64)> {
        let unsatisfiable = Err(Error::RangeNotSatisfiable { size });
        match *self {
            ByteRange::Inclusive { start, end } => {
                if start > end || start >= size {
                    return unsatisfiable;
                }
                Ok((start, end.saturating_add(1).min(size)))
            }
            ByteRange::From { start } => {
                if start >= size {
                    return unsatisfiable;
                }
                Ok((start, size))
            }
            ByteRange::Suffix { len } => {
                if len == 0 || size == 0 {
                    return unsatisfiable;
                }
                Ok((size - len.min(size), size))
            }
        }
    }
}

/// An object read by [`MediaStore::get`]: the bytes asked for, the total size and the ETag.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaObject {
    /// The bytes of the range asked for (the whole object without a range).
    pub bytes: Bytes,
    /// The half-open span `start..end` of the object that `bytes` holds (an HTTP server
    /// answers `Content-Range: bytes {start}-{end - 1}/{size}`).
    pub span: (u64, u64),
    /// The object's total size in bytes.
    pub size: u64,
    /// The object's ETag, as in [`MediaInfo::etag`].
    pub etag: String,
}

impl MediaObject {
    /// An object read.
    pub fn new(bytes: Bytes, span: (u64, u64), size: u64, etag: impl Into<String>) -> Self {
        MediaObject {
            bytes,
            span,
            size,
            etag: etag.into(),
        }
    }
}

/// Storage for media files by [`MediaKey`].
///
/// Dyn-compatible (`Arc<dyn MediaStore>` works). Every backend runs
/// [`conformance::run_all`].
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores the bytes of `body` under `key`, replacing any object there, and returns its
    /// size and ETag.
    ///
    /// Atomic: readers see the old object or the new one, never a part; concurrent puts of
    /// one key leave one of them whole (the last to finish). If `body` yields more than
    /// `limit` bytes the put fails with [`Error::TooLarge`], and if it yields an error with
    /// [`Error::Upload`]; either way nothing is stored and an earlier object under `key` is
    /// intact. On a durable backend the object survives a crash once this returns `Ok`.
    async fn put(&self, key: &MediaKey, body: ByteStream<'_>, limit: u64) -> Result<MediaInfo>;

    /// The object under `key` (`None` if there is none), whole or only `range`.
    /// A range it cannot satisfy gives [`Error::RangeNotSatisfiable`].
    async fn get(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<Option<MediaObject>>;

    /// The size and ETag of the object under `key`, without its bytes.
    async fn head(&self, key: &MediaKey) -> Result<Option<MediaInfo>>;

    /// Deletes the object under `key`; returns whether there was one.
    async fn delete(&self, key: &MediaKey) -> Result<bool>;

    /// Up to `limit` objects whose key starts with the string `prefix` (`""` for all), in key
    /// order, starting after `after` (exclusive) if given: a cleanup job pages through a
    /// store with it. A `prefix` with a character a key cannot hold gives
    /// [`Error::InvalidKey`].
    async fn list(
        &self,
        prefix: &str,
        after: Option<&MediaKey>,
        limit: usize,
    ) -> Result<Vec<MediaEntry>>;

    /// Where the object under `key` is served directly (a URL under a configured base, a
    /// public bucket URL), or `None` if the server must serve it itself. It does not check
    /// that the object exists.
    fn url_for(&self, key: &MediaKey) -> Option<String>;
}

/// Checks a [`MediaStore::list`] prefix: every character one a key may hold.
pub(crate) fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.len() > MAX_KEY_LEN
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    {
        return Err(Error::InvalidKey {
            key: prefix.chars().take(100).collect(),
            reason: "the prefix cannot start any key".into(),
        });
    }
    Ok(())
}
