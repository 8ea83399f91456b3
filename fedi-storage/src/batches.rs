//! Batches: atomic writes across documents, collections, the key-value space and queues,
//! optionally guarded by a dedupe check. The [`BatchStore`] trait and its records.

use std::time::Duration;

use async_trait::async_trait;

use crate::collections::CollectionItem;
use crate::documents::{Document, Tombstone};
use crate::error::Result;
use crate::queues::NewJob;
use crate::time::Timestamp;

/// Atomic multi-record writes across documents, collections, the key-value space and queues.
#[async_trait]
pub trait BatchStore: Send + Sync {
    /// Applies every operation of the batch, or none: concurrent readers and a crash see
    /// either all of it or nothing. If the batch has a dedupe guard and the id was already
    /// seen, nothing is written and `applied` is `false`. Fails (writing nothing) if an
    /// operation is invalid, e.g. a document put on a tombstoned IRI. Durable on return.
    async fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome>;

    /// Applies several batches, in order, as if by one [`BatchStore::apply`] each, but in one
    /// write and (on a durable backend) one flush, so that writers with work in flight can
    /// share the cost of a write.
    ///
    /// Each batch keeps the semantics of `apply`: it is applied completely or not at all, its
    /// dedupe guard is checked and set, and it sees the effects of the batches before it in
    /// the same call (of two batches guarded by the same id, the second is not applied).
    /// The result has one entry per batch, in order: `Ok(outcome)`, or `Err` if that batch
    /// failed (for example a document put on a tombstoned IRI); a failed batch writes nothing
    /// and does not affect the others. The outer `Err` means the call as a whole failed (the
    /// backend could not write or flush); then, as for `apply`, a crash may leave the batches
    /// that would have been applied either all present or all absent.
    ///
    /// Durable on return. The default calls [`BatchStore::apply`] for each batch (so each is
    /// its own write, and every error is reported per batch); the bundled backends override
    /// it to make it one atomic write with one flush.
    async fn apply_many(&self, batches: &[WriteBatch]) -> Result<Vec<Result<BatchOutcome>>> {
        let mut out = Vec::with_capacity(batches.len());
        for batch in batches {
            out.push(self.apply(batch).await);
        }
        Ok(out)
    }
}

/// One operation of a [`WriteBatch`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BatchOp {
    /// Store a document (the batch fails with [`Error::Tombstoned`](crate::Error::Tombstoned)
    /// if the IRI is tombstoned).
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
