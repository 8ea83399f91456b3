//! [`CountingStore`]: a wrapper that counts the calls made to a store, to measure what an
//! operation costs in store round trips.
//!
//! A server that reads a page of records one at a time makes one call per record; on a
//! backend behind a network (a SQL server) each call is a round trip, so the number of calls,
//! not the number of records, sets the latency of a page. The wrapper makes that number
//! visible to a test or a benchmark:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> fedi_storage::Result<()> {
//! use fedi_storage::{counting::CountingStore, memory::MemoryStore, KvStore};
//!
//! let store = CountingStore::new(MemoryStore::new());
//! store.kv_put("ns", b"a", b"1").await?;
//! store.reset();
//! store.kv_get_many("ns", &[b"a", b"b", b"c"]).await?;
//! let c = store.counts();
//! assert_eq!((c.calls, c.reads, c.writes, c.records_read), (1, 1, 0, 3));
//! # Ok(())
//! # }
//! ```
//!
//! Every method of every storage trait is forwarded to the wrapped store, including those
//! with a default body (`kv_get_many`, `count_many`, `ack_many`, `apply_many` …), so the
//! wrapped backend's own implementations are the ones that run and each call is counted
//! once, as the caller made it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::traits::{
    BatchStore, CollectionStore, DedupeStore, DocumentStore, KeyStore, KvStore, QueueStore,
    StoreInfo,
};
use crate::{
    BatchOutcome, CollectionItem, DeadLetter, Document, Job, Lease, LeaseRequest, LocalKeyPair,
    NewJob, Page, PageRequest, RemoteKey, RetryOutcome, Timestamp, Tombstone, WriteBatch,
};

/// What a [`CountingStore`] has counted since it was made or last [reset](CountingStore::reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreCounts {
    /// Every call (`reads + writes`).
    pub calls: u64,
    /// Calls that only read.
    pub reads: u64,
    /// Calls that may write (including those that also read, such as `lease`, `apply` or
    /// `kv_delete`).
    pub writes: u64,
    /// The records the read calls looked up or returned: one per key, collection or pair a
    /// point read or a count names (found or not), one per item a range read returns (a page,
    /// a scan, the newest items `newest_many` found, a list of keys or lanes or dead
    /// letters).
    pub records_read: u64,
}

#[derive(Default)]
struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    records_read: AtomicU64,
    by_method: Mutex<BTreeMap<&'static str, u64>>,
}

/// A store that forwards every call to `S` and counts it: calls, reads and writes, the
/// records read, and the calls per method. Clones share the wrapped store's clone and the
/// counters.
pub struct CountingStore<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S: Clone> Clone for CountingStore<S> {
    fn clone(&self) -> Self {
        CountingStore {
            inner: self.inner.clone(),
            counters: self.counters.clone(),
        }
    }
}

impl<S> std::fmt::Debug for CountingStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingStore")
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl<S> CountingStore<S> {
    /// Wraps `inner`, with every count at zero.
    pub fn new(inner: S) -> Self {
        CountingStore {
            inner,
            counters: Arc::new(Counters::default()),
        }
    }

    /// The wrapped store (calls made on it directly are not counted).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The counts so far.
    pub fn counts(&self) -> StoreCounts {
        let reads = self.counters.reads.load(Ordering::Relaxed);
        let writes = self.counters.writes.load(Ordering::Relaxed);
        StoreCounts {
            calls: reads + writes,
            reads,
            writes,
            records_read: self.counters.records_read.load(Ordering::Relaxed),
        }
    }

    /// Calls per method name (`"kv_get"`, `"count_many"` …), for the methods called so far.
    pub fn calls_by_method(&self) -> BTreeMap<&'static str, u64> {
        self.counters
            .by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets every count back to zero.
    pub fn reset(&self) {
        let c = &self.counters;
        let mut by_method = c.by_method.lock().unwrap_or_else(|p| p.into_inner());
        c.reads.store(0, Ordering::Relaxed);
        c.writes.store(0, Ordering::Relaxed);
        c.records_read.store(0, Ordering::Relaxed);
        by_method.clear();
    }

    fn method(&self, name: &'static str) {
        *self
            .counters
            .by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name)
            .or_insert(0) += 1;
    }

    /// Counts a read call of `name` that looked up or returned `records` records.
    fn read(&self, name: &'static str, records: usize) {
        self.method(name);
        self.counters.reads.fetch_add(1, Ordering::Relaxed);
        self.counters
            .records_read
            .fetch_add(records as u64, Ordering::Relaxed);
    }

    /// Counts a call of `name` that may write.
    fn write(&self, name: &'static str) {
        self.method(name);
        self.counters.writes.fetch_add(1, Ordering::Relaxed);
    }
}

/// The number of items in a successful result (0 for an error).
fn items<T>(r: &Result<Vec<T>>) -> usize {
    r.as_ref().map_or(0, Vec::len)
}

impl<S: StoreInfo> StoreInfo for CountingStore<S> {
    fn is_durable(&self) -> bool {
        self.inner.is_durable()
    }
    fn journals_queue(&self, queue: &str) -> bool {
        self.inner.journals_queue(queue)
    }
}

#[async_trait]
impl<S: DocumentStore> DocumentStore for CountingStore<S> {
    async fn get_document(&self, iri: &str) -> Result<Option<Document>> {
        self.read("get_document", 1);
        self.inner.get_document(iri).await
    }
    async fn put_document(&self, iri: &str, document: &Document) -> Result<()> {
        self.write("put_document");
        self.inner.put_document(iri, document).await
    }
    async fn delete_document(&self, iri: &str, tombstone: &Tombstone) -> Result<bool> {
        self.write("delete_document");
        self.inner.delete_document(iri, tombstone).await
    }
    async fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>> {
        self.read("tombstone", 1);
        self.inner.tombstone(iri).await
    }
}

#[async_trait]
impl<S: CollectionStore> CollectionStore for CountingStore<S> {
    async fn insert(&self, collection: &str, item: &CollectionItem) -> Result<bool> {
        self.write("insert");
        self.inner.insert(collection, item).await
    }
    async fn remove(&self, collection: &str, member: &str) -> Result<bool> {
        self.write("remove");
        self.inner.remove(collection, member).await
    }
    async fn key_of(&self, collection: &str, member: &str) -> Result<Option<u64>> {
        self.read("key_of", 1);
        self.inner.key_of(collection, member).await
    }
    async fn count(&self, collection: &str) -> Result<u64> {
        self.read("count", 1);
        self.inner.count(collection).await
    }
    async fn page(&self, collection: &str, request: &PageRequest) -> Result<Page> {
        let r = self.inner.page(collection, request).await;
        self.read("page", r.as_ref().map_or(0, |p| p.items.len()));
        r
    }
    async fn count_many(&self, collections: &[&str]) -> Result<Vec<u64>> {
        self.read("count_many", collections.len());
        self.inner.count_many(collections).await
    }
    async fn newest_many(&self, collections: &[&str]) -> Result<Vec<Option<CollectionItem>>> {
        let r = self.inner.newest_many(collections).await;
        let found = r.as_ref().map_or(0, |v| v.iter().flatten().count());
        self.read("newest_many", found);
        r
    }
    async fn key_of_many(&self, pairs: &[(&str, &str)]) -> Result<Vec<Option<u64>>> {
        self.read("key_of_many", pairs.len());
        self.inner.key_of_many(pairs).await
    }
}

#[async_trait]
impl<S: KeyStore> KeyStore for CountingStore<S> {
    async fn put_local_key(&self, key: &LocalKeyPair) -> Result<()> {
        self.write("put_local_key");
        self.inner.put_local_key(key).await
    }
    async fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>> {
        self.read("local_key", 1);
        self.inner.local_key(key_id).await
    }
    async fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>> {
        let r = self.inner.local_keys_of(owner).await;
        self.read("local_keys_of", items(&r));
        r
    }
    async fn put_remote_key(&self, key: &RemoteKey) -> Result<()> {
        self.write("put_remote_key");
        self.inner.put_remote_key(key).await
    }
    async fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>> {
        self.read("remote_key", 1);
        self.inner.remote_key(key_id).await
    }
    async fn invalidate_remote_key(&self, key_id: &str) -> Result<bool> {
        self.write("invalidate_remote_key");
        self.inner.invalidate_remote_key(key_id).await
    }
    async fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize> {
        self.write("invalidate_remote_keys_of");
        self.inner.invalidate_remote_keys_of(owner).await
    }
}

#[async_trait]
impl<S: QueueStore> QueueStore for CountingStore<S> {
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64> {
        self.write("enqueue");
        self.inner.enqueue(queue, job).await
    }
    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>> {
        self.write("lease");
        self.inner.lease(queue, request).await
    }
    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()> {
        self.write("ack");
        self.inner.ack(queue, lease).await
    }
    async fn ack_many(&self, queue: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        self.write("ack_many");
        self.inner.ack_many(queue, leases).await
    }
    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        self.write("retry");
        self.inner.retry(queue, lease, error, not_before, now).await
    }
    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        self.write("bury");
        self.inner.bury(queue, lease, error, now).await
    }
    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>> {
        let r = self.inner.lane_counts(queue).await;
        self.read("lane_counts", items(&r));
        r
    }
    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let r = self.inner.dead_letters(queue, after, limit).await;
        self.read("dead_letters", items(&r));
        r
    }
    async fn count_dead(&self, queue: &str) -> Result<u64> {
        self.read("count_dead", 1);
        self.inner.count_dead(queue).await
    }
    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        self.write("take_dead_letter");
        self.inner.take_dead_letter(queue, id, requeue_at).await
    }
}

#[async_trait]
impl<S: DedupeStore> DedupeStore for CountingStore<S> {
    async fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool> {
        self.write("check_and_set");
        self.inner.check_and_set(id, now, ttl).await
    }
    async fn seen(&self, id: &str, now: Timestamp) -> Result<bool> {
        self.read("seen", 1);
        self.inner.seen(id, now).await
    }
    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<usize> {
        self.write("purge_expired");
        self.inner.purge_expired(now, limit).await
    }
}

#[async_trait]
impl<S: KvStore> KvStore for CountingStore<S> {
    async fn kv_get(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.read("kv_get", 1);
        self.inner.kv_get(namespace, key).await
    }
    async fn kv_put(&self, namespace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.write("kv_put");
        self.inner.kv_put(namespace, key, value).await
    }
    async fn kv_delete(&self, namespace: &str, key: &[u8]) -> Result<bool> {
        self.write("kv_delete");
        self.inner.kv_delete(namespace, key).await
    }
    async fn kv_scan(
        &self,
        namespace: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let r = self.inner.kv_scan(namespace, prefix, after, limit).await;
        self.read("kv_scan", items(&r));
        r
    }
    async fn kv_get_many(&self, namespace: &str, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        self.read("kv_get_many", keys.len());
        self.inner.kv_get_many(namespace, keys).await
    }
}

#[async_trait]
impl<S: BatchStore> BatchStore for CountingStore<S> {
    async fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
        self.write("apply");
        self.inner.apply(batch).await
    }
    async fn apply_many(&self, batches: &[WriteBatch]) -> Result<Vec<Result<BatchOutcome>>> {
        self.write("apply_many");
        self.inner.apply_many(batches).await
    }
}
