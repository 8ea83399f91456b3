//! Documents: JSON documents (ActivityPub objects, actors, activities) by IRI, with their
//! metadata and tombstones. The [`DocumentStore`] trait, its conveniences and its records.

use std::fmt;

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// JSON documents (objects, actors, activities) by IRI, with tombstones.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The document stored at `iri`, or `None` (also `None` if the IRI is tombstoned).
    ///
    /// A stored record that cannot be decoded gives [`Error::Corrupt`](crate::Error::Corrupt).
    async fn get_document(&self, iri: &str) -> Result<Option<Document>>;

    /// Stores (or replaces) the document at `iri`.
    ///
    /// Fails with [`Error::Tombstoned`](crate::Error::Tombstoned) if the IRI was deleted: a
    /// deleted object is never recreated. Durable on return (see the
    /// [durability contract](crate::traits)).
    async fn put_document(&self, iri: &str, document: &Document) -> Result<()>;

    /// Deletes the document at `iri` (if any) and leaves a tombstone, whether or not a
    /// document was stored. Returns whether a document was removed. Deleting again keeps the
    /// first tombstone. Durable on return.
    async fn delete_document(&self, iri: &str, tombstone: &Tombstone) -> Result<bool>;

    /// The tombstone left at `iri`, if it was deleted.
    async fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>>;
}

/// Conveniences on [`DocumentStore`].
#[async_trait]
pub trait DocumentStoreExt: DocumentStore {
    /// Whether `iri` is tombstoned.
    async fn is_tombstoned(&self, iri: &str) -> Result<bool> {
        Ok(self.tombstone(iri).await?.is_some())
    }
    /// The document at `iri`, parsed as JSON.
    async fn get_json(&self, iri: &str) -> Result<Option<serde_json::Value>> {
        match self.get_document(iri).await? {
            Some(d) => d.json().map(Some),
            None => Ok(None),
        }
    }
    /// Stores a JSON value as a document. Durable on return.
    async fn put_json(
        &self,
        iri: &str,
        value: &serde_json::Value,
        origin: Origin,
        now: Timestamp,
    ) -> Result<()> {
        let doc = Document::from_json(value, origin, now)?;
        self.put_document(iri, &doc).await
    }
}
impl<T: DocumentStore + ?Sized> DocumentStoreExt for T {}

/// Where a stored document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// Authored on this server.
    Local,
    /// Fetched from, or delivered by, another server.
    Remote,
}

/// Metadata stored beside every document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocumentMeta {
    /// Local or remote.
    pub origin: Origin,
    /// When the document was fetched from its origin (remote documents), if known.
    pub fetched_at: Option<Timestamp>,
    /// When this version was stored.
    pub stored_at: Timestamp,
    /// SHA-256 of the body bytes, as stored.
    pub content_hash: [u8; 32],
}

/// A JSON document (an ActivityPub object, actor or activity) with its metadata.
///
/// The body is kept as the exact JSON bytes given, so digests and forwarding see the
/// original bytes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Document {
    /// The JSON text, exactly as stored.
    pub body: Vec<u8>,
    /// Its metadata.
    pub meta: DocumentMeta,
}

impl Document {
    /// A document from JSON bytes, which must be one well-formed JSON value. The content hash
    /// is computed here.
    pub fn from_bytes(body: Vec<u8>, origin: Origin, stored_at: Timestamp) -> Result<Self> {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body)
            .map_err(|e| Error::InvalidArgument(format!("document body is not JSON: {e}")))?;
        let content_hash = Sha256::digest(&body).into();
        Ok(Document {
            body,
            meta: DocumentMeta {
                origin,
                fetched_at: None,
                stored_at,
                content_hash,
            },
        })
    }

    /// A document from a JSON value (serialized compactly).
    pub fn from_json(
        value: &serde_json::Value,
        origin: Origin,
        stored_at: Timestamp,
    ) -> Result<Self> {
        let body = serde_json::to_vec(value)
            .map_err(|e| Error::InvalidArgument(format!("cannot serialize document: {e}")))?;
        let content_hash = Sha256::digest(&body).into();
        Ok(Document {
            body,
            meta: DocumentMeta {
                origin,
                fetched_at: None,
                stored_at,
                content_hash,
            },
        })
    }

    /// Sets the fetched-at time (builder style).
    pub fn with_fetched_at(mut self, at: Timestamp) -> Self {
        self.meta.fetched_at = Some(at);
        self
    }

    /// Parses the body.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Corrupt {
            key: "<document body>".into(),
            reason: format!("stored body is not JSON: {e}"),
        })
    }

    /// Deserializes the body into `T`.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Corrupt {
            key: "<document body>".into(),
            reason: format!("stored body does not match the requested type: {e}"),
        })
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("meta", &self.meta)
            .finish()
    }
}

/// What remains of a deleted IRI.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tombstone {
    /// When it was deleted.
    pub deleted_at: Timestamp,
    /// The `type` the object had, if known (ActivityPub's `Tombstone.formerType`).
    pub former_type: Option<String>,
}

impl Tombstone {
    /// A tombstone with no former type.
    pub fn new(deleted_at: Timestamp) -> Self {
        Tombstone {
            deleted_at,
            former_type: None,
        }
    }
    /// Sets the former type (builder style).
    pub fn with_former_type(mut self, t: impl Into<String>) -> Self {
        self.former_type = Some(t.into());
        self
    }
}
