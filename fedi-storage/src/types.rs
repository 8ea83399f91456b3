//! The records the traits exchange.

use std::fmt;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::time::Timestamp;

// ---------------------------------------------------------------------------------------------
// Documents

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

// ---------------------------------------------------------------------------------------------
// Collections

/// One member of an ordered collection with its sort key.
///
/// Sort keys should be unique within a collection (snowflake-like ids: milliseconds in the
/// high bits, a sequence in the low bits); members with equal keys are ordered by member.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct CollectionItem {
    /// The sort key (larger is newer).
    pub key: u64,
    /// The member, usually an IRI.
    pub member: String,
}

impl CollectionItem {
    /// An item.
    pub fn new(key: u64, member: impl Into<String>) -> Self {
        CollectionItem {
            key,
            member: member.into(),
        }
    }
}

/// The order of the items in a returned page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Order {
    /// Largest keys first (Mastodon's order for every list).
    #[default]
    NewestFirst,
    /// Smallest keys first.
    OldestFirst,
}

/// Which page of a collection to read, with Mastodon's cursor semantics.
///
/// * `max_id`: only items with key strictly less than it (older).
/// * `since_id`: only items with key strictly greater than it; with [`Order::NewestFirst`]
///   the page is the newest `limit` items above it.
/// * `min_id`: only items with key strictly greater than it; the page is the `limit` items
///   *immediately after* it (the oldest ones above it), i.e. paging forward.
///
/// With [`Order::NewestFirst`] (the default), the page is anchored at the newest end of the
/// range unless `min_id` is set, and items come newest first, as in Mastodon's API. With
/// [`Order::OldestFirst`] the page is always anchored at the oldest end of the range and items
/// come oldest first (walking a collection forward). If both `since_id` and `min_id` are set,
/// the larger one is the lower bound.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageRequest {
    /// Upper bound, exclusive.
    pub max_id: Option<u64>,
    /// Lower bound, exclusive; page anchored at the newest end.
    pub since_id: Option<u64>,
    /// Lower bound, exclusive; page anchored just after it.
    pub min_id: Option<u64>,
    /// The most items to return (0 returns an empty page).
    pub limit: usize,
    /// The order of the returned items.
    pub order: Order,
}

impl PageRequest {
    /// The newest `limit` items, newest first.
    pub fn newest(limit: usize) -> Self {
        PageRequest {
            max_id: None,
            since_id: None,
            min_id: None,
            limit,
            order: Order::NewestFirst,
        }
    }
    /// The oldest `limit` items, oldest first.
    pub fn oldest(limit: usize) -> Self {
        PageRequest {
            order: Order::OldestFirst,
            ..Self::newest(limit)
        }
    }
    /// Sets `max_id`.
    pub fn max_id(mut self, id: u64) -> Self {
        self.max_id = Some(id);
        self
    }
    /// Sets `since_id`.
    pub fn since_id(mut self, id: u64) -> Self {
        self.since_id = Some(id);
        self
    }
    /// Sets `min_id`.
    pub fn min_id(mut self, id: u64) -> Self {
        self.min_id = Some(id);
        self
    }

    /// The exclusive lower bound, if any.
    pub fn lower_bound(&self) -> Option<u64> {
        match (self.since_id, self.min_id) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the page is anchored at the oldest end of its range.
    pub fn anchored_at_oldest(&self) -> bool {
        self.order == Order::OldestFirst || self.min_id.is_some()
    }
}

/// A page of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Page {
    /// The items, in the requested order.
    pub items: Vec<CollectionItem>,
}

impl Page {
    /// The `max_id` for the next older page (the smallest key in this page).
    pub fn next_max_id(&self) -> Option<u64> {
        self.items.iter().map(|i| i.key).min()
    }
    /// The `min_id` for the next newer page (the largest key in this page).
    pub fn prev_min_id(&self) -> Option<u64> {
        self.items.iter().map(|i| i.key).max()
    }
    /// The members, in page order.
    pub fn members(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.member.as_str()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// A local actor's key pair.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalKeyPair {
    /// The key id published in the actor (e.g. `https://example.com/users/alice#main-key`).
    pub key_id: String,
    /// The owning actor's IRI.
    pub owner: String,
    /// The algorithm, e.g. `rsa-sha256` or `ed25519` (free text, for the caller).
    pub algorithm: String,
    /// The private key, PKCS#8 DER.
    pub private_key_pkcs8: Vec<u8>,
    /// The public key, PEM (SPKI).
    pub public_key_pem: String,
    /// When the key pair was created.
    pub created_at: Timestamp,
}

impl LocalKeyPair {
    /// A key pair record.
    pub fn new(
        key_id: impl Into<String>,
        owner: impl Into<String>,
        algorithm: impl Into<String>,
        private_key_pkcs8: Vec<u8>,
        public_key_pem: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        LocalKeyPair {
            key_id: key_id.into(),
            owner: owner.into(),
            algorithm: algorithm.into(),
            private_key_pkcs8,
            public_key_pem: public_key_pem.into(),
            created_at,
        }
    }
}

impl fmt::Debug for LocalKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKeyPair")
            .field("key_id", &self.key_id)
            .field("owner", &self.owner)
            .field("algorithm", &self.algorithm)
            .field("private_key_pkcs8", &"<redacted>")
            .field("public_key_pem", &self.public_key_pem)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A remote actor's public key, cached.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteKey {
    /// The key id (`keyId` / `keyid`).
    pub key_id: String,
    /// The owning actor's IRI.
    pub owner: String,
    /// The public key as published, PEM.
    pub public_key_pem: String,
    /// The key in a parsed form chosen by the caller (e.g. SPKI DER), so it need not be
    /// parsed again.
    pub parsed: Option<Vec<u8>>,
    /// When it was fetched.
    pub fetched_at: Timestamp,
}

impl RemoteKey {
    /// A cached remote key.
    pub fn new(
        key_id: impl Into<String>,
        owner: impl Into<String>,
        public_key_pem: impl Into<String>,
        fetched_at: Timestamp,
    ) -> Self {
        RemoteKey {
            key_id: key_id.into(),
            owner: owner.into(),
            public_key_pem: public_key_pem.into(),
            parsed: None,
            fetched_at,
        }
    }
    /// Sets the parsed form (builder style).
    pub fn with_parsed(mut self, parsed: Vec<u8>) -> Self {
        self.parsed = Some(parsed);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Queues

/// The default number of attempts before a job is dead-lettered (Mastodon retries a delivery
/// about sixteen times over about three days).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 16;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewJob {
    /// The lane, usually the destination host; used for per-lane counts and leasing.
    pub lane: String,
    /// The job's data, opaque to the store.
    pub payload: Vec<u8>,
    /// The job is not leased before this time.
    pub not_before: Timestamp,
    /// How many leases the job gets before it is dead-lettered (at least 1).
    pub max_attempts: u32,
}

impl NewJob {
    /// A job on `lane`, due at `not_before`, with [`DEFAULT_MAX_ATTEMPTS`].
    pub fn new(lane: impl Into<String>, payload: Vec<u8>, not_before: Timestamp) -> Self {
        NewJob {
            lane: lane.into(),
            payload,
            not_before,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
    /// Sets the number of attempts (builder style).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// Proof of holding a job: returned by a lease, required to acknowledge or retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Lease {
    /// The job.
    pub job: u64,
    /// Which lease of that job this is (its attempt number).
    pub token: u32,
    /// When the lease ends; after that the job can be leased again.
    pub until: Timestamp,
}

/// A leased job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The job's id, unique within its queue.
    pub id: u64,
    /// Its lane.
    pub lane: String,
    /// Its data.
    pub payload: Vec<u8>,
    /// How many times it has been leased, this lease included (1 on the first attempt).
    pub attempts: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// The error recorded by the last retry, if any.
    pub last_error: Option<String>,
    /// The lease.
    pub lease: Lease,
}

impl Job {
    /// Whether this is the last attempt (a retry will dead-letter it).
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// What to lease.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseRequest {
    /// The current time: jobs due at or before it are leased.
    pub now: Timestamp,
    /// How long the lease lasts.
    pub duration: Duration,
    /// The most jobs to lease.
    pub limit: usize,
    /// Only jobs of this lane.
    pub lane: Option<String>,
}

impl LeaseRequest {
    /// Up to `limit` due jobs of any lane, leased for `duration`.
    pub fn new(now: Timestamp, duration: Duration, limit: usize) -> Self {
        LeaseRequest {
            now,
            duration,
            limit,
            lane: None,
        }
    }
    /// Restricts the lease to one lane.
    pub fn lane(mut self, lane: impl Into<String>) -> Self {
        self.lane = Some(lane.into());
        self
    }
}

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryOutcome {
    /// The job will be leased again at this time.
    Rescheduled(Timestamp),
    /// The job had used its last attempt and is now a dead letter.
    DeadLettered,
}

/// A job that used up its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The job's id.
    pub id: u64,
    /// Its lane.
    pub lane: String,
    /// Its data.
    pub payload: Vec<u8>,
    /// How many attempts it had.
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When it was dead-lettered.
    pub dead_at: Timestamp,
}

// ---------------------------------------------------------------------------------------------
// Batches

/// One operation of a [`WriteBatch`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BatchOp {
    /// Store a document (the batch fails with [`Error::Tombstoned`] if the IRI is tombstoned).
    PutDocument {
        /// The IRI.
        iri: String,
        /// The document.
        document: Document,
    },
    /// Delete a document, leaving a tombstone.
    DeleteDocument {
        /// The IRI.
        iri: String,
        /// The tombstone.
        tombstone: Tombstone,
    },
    /// Insert (or move) a collection member.
    Insert {
        /// The collection.
        collection: String,
        /// The item.
        item: CollectionItem,
    },
    /// Remove a collection member.
    Remove {
        /// The collection.
        collection: String,
        /// The member.
        member: String,
    },
    /// Put a key-value record.
    KvPut {
        /// The namespace.
        namespace: String,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Delete a key-value record.
    KvDelete {
        /// The namespace.
        namespace: String,
        /// The key.
        key: Vec<u8>,
    },
    /// Enqueue a job; its id is reported in [`BatchOutcome::job_ids`].
    Enqueue {
        /// The queue.
        queue: String,
        /// The job.
        job: NewJob,
    },
}

/// Several writes applied atomically: all of them or none, even across a crash.
///
/// A batch may carry a dedupe guard ([`WriteBatch::unless_seen`]): if the id was already
/// seen (and has not expired) nothing is written and the outcome says so; otherwise the id is
/// marked seen in the same atomic write. This makes "dedupe, then persist" one step.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WriteBatch {
    /// The operations, applied in order.
    pub ops: Vec<BatchOp>,
    /// The dedupe guard: (id, now, time to live).
    pub guard: Option<(String, Timestamp, Duration)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a document put.
    pub fn put_document(mut self, iri: impl Into<String>, document: Document) -> Self {
        self.ops.push(BatchOp::PutDocument {
            iri: iri.into(),
            document,
        });
        self
    }
    /// Adds a document delete.
    pub fn delete_document(mut self, iri: impl Into<String>, tombstone: Tombstone) -> Self {
        self.ops.push(BatchOp::DeleteDocument {
            iri: iri.into(),
            tombstone,
        });
        self
    }
    /// Adds a collection insert.
    pub fn insert(
        mut self,
        collection: impl Into<String>,
        key: u64,
        member: impl Into<String>,
    ) -> Self {
        self.ops.push(BatchOp::Insert {
            collection: collection.into(),
            item: CollectionItem::new(key, member),
        });
        self
    }
    /// Adds a collection remove.
    pub fn remove(mut self, collection: impl Into<String>, member: impl Into<String>) -> Self {
        self.ops.push(BatchOp::Remove {
            collection: collection.into(),
            member: member.into(),
        });
        self
    }
    /// Adds a key-value put.
    pub fn kv_put(
        mut self,
        namespace: impl Into<String>,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> Self {
        self.ops.push(BatchOp::KvPut {
            namespace: namespace.into(),
            key: key.into(),
            value: value.into(),
        });
        self
    }
    /// Adds a key-value delete.
    pub fn kv_delete(mut self, namespace: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        self.ops.push(BatchOp::KvDelete {
            namespace: namespace.into(),
            key: key.into(),
        });
        self
    }
    /// Adds an enqueue.
    pub fn enqueue(mut self, queue: impl Into<String>, job: NewJob) -> Self {
        self.ops.push(BatchOp::Enqueue {
            queue: queue.into(),
            job,
        });
        self
    }
    /// Makes the batch conditional on `id` not having been seen (see [`crate::DedupeStore`]).
    pub fn unless_seen(mut self, id: impl Into<String>, now: Timestamp, ttl: Duration) -> Self {
        self.guard = Some((id.into(), now, ttl));
        self
    }
    /// Adds an operation.
    pub fn push(&mut self, op: BatchOp) {
        self.ops.push(op);
    }
    /// Whether the batch has no operations and no guard.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.guard.is_none()
    }
}

/// What applying a batch did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// `false` if the dedupe guard found the id already seen, so nothing was written.
    pub applied: bool,
    /// The ids of the enqueued jobs, in batch order.
    pub job_ids: Vec<u64>,
}
