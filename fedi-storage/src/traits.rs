//! The storage traits: one per concern, each with few required methods; conveniences live in
//! the `*Ext` extension traits, implemented for every implementor.
//!
//! # Durability contract
//!
//! Every method that writes states its durability. For a backend whose
//! [`StoreInfo::is_durable`] is `true` (such as [`SledStore`](crate::sled::SledStore) with the
//! default configuration), a write method that returns `Ok` has made its effect survive a
//! process crash or power loss (the data is flushed to disk before the method returns). For a
//! backend that is not durable (the [`MemoryStore`](crate::memory::MemoryStore)), writes are
//! visible to later reads at once but are lost when the process exits. Every write is atomic:
//! after a crash it has happened completely or not at all. Reads never block on a flush.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::time::Timestamp;
use crate::types::*;

/// Facts about a store.
pub trait StoreInfo: Send + Sync {
    /// Whether writes that returned `Ok` survive a crash.
    fn is_durable(&self) -> bool;
}

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
    /// deleted object is never recreated. Durable on return (see the module docs).
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

/// Ordered collections: followers, following, outboxes, inboxes, timelines, likes, shares,
/// replies, notifications. A collection is named by a string such as
/// `"followers:https://example.com/users/alice"`; each member (usually an IRI) appears at most
/// once, under a `u64` sort key (larger is newer).
#[async_trait]
pub trait CollectionStore: Send + Sync {
    /// Inserts `item`. If its member is already present, its key is replaced (the member
    /// moves). Returns `true` if the member was new. Durable on return.
    async fn insert(&self, collection: &str, item: &CollectionItem) -> Result<bool>;

    /// Removes `member`. Returns whether it was present. Durable on return.
    async fn remove(&self, collection: &str, member: &str) -> Result<bool>;

    /// The sort key of `member`, if present.
    async fn key_of(&self, collection: &str, member: &str) -> Result<Option<u64>>;

    /// How many members the collection has (constant time).
    async fn count(&self, collection: &str) -> Result<u64>;

    /// A page of the collection; see [`PageRequest`] for the cursor semantics.
    async fn page(&self, collection: &str, request: &PageRequest) -> Result<Page>;
}

/// Conveniences on [`CollectionStore`].
#[async_trait]
pub trait CollectionStoreExt: CollectionStore {
    /// Whether `member` is in the collection.
    async fn contains(&self, collection: &str, member: &str) -> Result<bool> {
        Ok(self.key_of(collection, member).await?.is_some())
    }
    /// Every member, newest first, read in pages of `page_size`.
    async fn all_members(&self, collection: &str, page_size: usize) -> Result<Vec<CollectionItem>> {
        let page_size = page_size.max(1);
        let mut out = Vec::new();
        let mut req = PageRequest::newest(page_size);
        loop {
            let page = self.page(collection, &req).await?;
            let full = page.items.len() == page_size;
            let next = page.next_max_id();
            out.extend(page.items);
            match (full, next) {
                (true, Some(n)) => req = PageRequest::newest(page_size).max_id(n),
                _ => return Ok(out),
            }
        }
    }
}
impl<T: CollectionStore + ?Sized> CollectionStoreExt for T {}

/// Key pairs of local actors and a cache of remote actors' public keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores (or replaces) a local key pair, by key id. Durable on return.
    async fn put_local_key(&self, key: &LocalKeyPair) -> Result<()>;

    /// The local key pair with this key id.
    async fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>>;

    /// Every local key pair of `owner`, ordered by key id.
    async fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>>;

    /// Caches a remote public key (replacing any with the same key id). Durable on return.
    async fn put_remote_key(&self, key: &RemoteKey) -> Result<()>;

    /// The cached remote key with this key id.
    async fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>>;

    /// Drops a cached remote key (after a failed verification, to force a refetch). Returns
    /// whether it was cached. Durable on return.
    async fn invalidate_remote_key(&self, key_id: &str) -> Result<bool>;

    /// Drops every cached key of `owner` (actor deleted or updated). Returns how many were
    /// dropped. Durable on return.
    async fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize>;
}

/// Conveniences on [`KeyStore`].
#[async_trait]
pub trait KeyStoreExt: KeyStore {
    /// The cached remote key if it was fetched no longer than `max_age` before `now`.
    async fn fresh_remote_key(
        &self,
        key_id: &str,
        now: Timestamp,
        max_age: Duration,
    ) -> Result<Option<RemoteKey>> {
        Ok(self
            .remote_key(key_id)
            .await?
            .filter(|k| k.fetched_at >= now.saturating_sub(max_age)))
    }
}
impl<T: KeyStore + ?Sized> KeyStoreExt for T {}

/// Durable job queues (deliveries, received activities), with leases, retries and dead
/// letters. Delivery is at least once: a job leased and not acknowledged before its lease ends
/// is leased again.
///
/// Queues are named (`"deliveries"`, `"inbox"`); each job is in one lane (the destination
/// host) for per-lane counts and lane-restricted leases.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// Enqueues a job; returns its id (ids increase within a queue). Durable on return.
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64>;

    /// Leases up to `request.limit` jobs that are due (`not_before <= now`, or whose previous
    /// lease ended), earliest due first, and counts an attempt for each. A job whose lease
    /// ended after its last attempt is dead-lettered (error `"lease expired"`) instead of
    /// leased. Durable on return (a crash after it returns does not lose the attempt count).
    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>>;

    /// Acknowledges a job: it is done and removed. Fails with
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) if the lease is no longer held (the job was
    /// leased again after the lease ended, or already acknowledged). Durable on return.
    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()>;

    /// Acknowledges several jobs in one write (and, on a durable backend, one flush). Returns,
    /// per lease, whether it was acknowledged (`false`: the lease was no longer held). Durable
    /// on return. The default calls [`QueueStore::ack`] for each; backends override it to make
    /// it one atomic write.
    async fn ack_many(&self, queue: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        let mut out = Vec::with_capacity(leases.len());
        for lease in leases {
            match self.ack(queue, lease).await {
                Ok(()) => out.push(true),
                Err(e) if e.is_lease_lost() => out.push(false),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Reports a failed attempt: the job is due again at `not_before`, or, if that was its
    /// last attempt, becomes a dead letter (stamped `now`). Fails with
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) like [`QueueStore::ack`]. Durable on
    /// return.
    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome>;

    /// Moves a leased job to the dead letters at once (a permanent failure, e.g. `410 Gone`).
    /// Durable on return.
    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()>;

    /// Pending jobs (due, scheduled or leased) per lane, ordered by lane.
    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>>;

    /// Dead letters with id greater than `after`, oldest first, at most `limit`.
    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>>;

    /// How many dead letters the queue holds.
    async fn count_dead(&self, queue: &str) -> Result<u64>;

    /// Removes a dead letter; if `requeue_at` is given, enqueues it again as a fresh job due
    /// then, with its attempts reset. Returns the new job id if requeued. Durable on return.
    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>>;
}

/// Conveniences on [`QueueStore`].
#[async_trait]
pub trait QueueStoreExt: QueueStore {
    /// Pending jobs in one lane.
    async fn count_lane(&self, queue: &str, lane: &str) -> Result<u64> {
        Ok(self
            .lane_counts(queue)
            .await?
            .into_iter()
            .find(|(l, _)| l == lane)
            .map(|(_, n)| n)
            .unwrap_or(0))
    }
    /// Pending jobs in all lanes.
    async fn count_pending(&self, queue: &str) -> Result<u64> {
        Ok(self.lane_counts(queue).await?.iter().map(|(_, n)| n).sum())
    }
}
impl<T: QueueStore + ?Sized> QueueStoreExt for T {}

/// "Have I seen this activity id?", answered and recorded in one atomic step.
#[async_trait]
pub trait DedupeStore: Send + Sync {
    /// Returns `true` if `id` had not been seen (or its record expired) and records it as seen
    /// until `now + ttl`; returns `false` if it was already seen. Of several concurrent calls
    /// with the same id, exactly one gets `true`. Durable on return.
    async fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool>;

    /// Whether `id` has been seen and has not expired at `now` (does not record it).
    async fn seen(&self, id: &str, now: Timestamp) -> Result<bool>;

    /// Forgets up to `limit` records that expired at or before `now`; returns how many.
    /// Durable on return.
    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<usize>;
}

/// A namespaced key-value space for an app's own records (accounts, credentials, tokens,
/// relationships), with ordered prefix scans.
#[async_trait]
pub trait KvStore: Send + Sync {
    /// The value at `key` in `namespace`.
    async fn kv_get(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Stores `value` at `key`. Durable on return.
    async fn kv_put(&self, namespace: &str, key: &[u8], value: &[u8]) -> Result<()>;

    /// Deletes `key`; returns whether it existed. Durable on return.
    async fn kv_delete(&self, namespace: &str, key: &[u8]) -> Result<bool>;

    /// Up to `limit` records whose key starts with `prefix`, in key order, starting after
    /// `after` (exclusive) if given.
    async fn kv_scan(
        &self,
        namespace: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
}

/// Conveniences on [`KvStore`].
#[async_trait]
pub trait KvStoreExt: KvStore {
    /// Reads a JSON record. A value that does not deserialize gives
    /// [`Error::Corrupt`](crate::Error::Corrupt).
    async fn kv_get_json<T: serde::de::DeserializeOwned>(
        &self,
        namespace: &str,
        key: &[u8],
    ) -> Result<Option<T>> {
        match self.kv_get(namespace, key).await? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v).map(Some).map_err(|e| {
                crate::Error::corrupt(
                    key,
                    format!("record in {namespace:?} is not the expected JSON: {e}"),
                )
            }),
        }
    }
    /// Writes a JSON record. Durable on return.
    async fn kv_put_json<T: serde::Serialize + Sync>(
        &self,
        namespace: &str,
        key: &[u8],
        value: &T,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| crate::Error::InvalidArgument(format!("cannot serialize: {e}")))?;
        self.kv_put(namespace, key, &bytes).await
    }
}
impl<T: KvStore + ?Sized> KvStoreExt for T {}

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

/// Everything a fediverse server stores: implemented by every type implementing all the
/// concern traits.
pub trait Store:
    StoreInfo
    + DocumentStore
    + CollectionStore
    + KeyStore
    + QueueStore
    + DedupeStore
    + KvStore
    + BatchStore
{
}
impl<T> Store for T where
    T: StoreInfo
        + DocumentStore
        + CollectionStore
        + KeyStore
        + QueueStore
        + DedupeStore
        + KvStore
        + BatchStore
        + ?Sized
{
}
