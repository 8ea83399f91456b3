//! The default bodies of the traits' provided methods (`kv_get_many`, `count_many`,
//! `newest_many`, `key_of_many`, `ack_many`, `apply_many`) pass the conformance suite: the
//! bundled backends override them, so here a wrapper forwards only the required methods and
//! leaves the provided ones to their defaults, as a third-party backend that implements only
//! the required methods would.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use async_trait::async_trait;
use fedi_storage::{
    conformance, memory::MemoryStore, BatchOutcome, BatchStore, CollectionItem, CollectionStore,
    DeadLetter, DedupeStore, Document, DocumentStore, Job, KeyStore, KvStore, Lease, LeaseRequest,
    LocalKeyPair, NewJob, Page, PageRequest, QueueStore, RemoteKey, Result, RetryOutcome,
    StoreInfo, Timestamp, Tombstone, WriteBatch,
};

/// Forwards the required methods only.
struct RequiredOnly(MemoryStore);

impl StoreInfo for RequiredOnly {
    fn is_durable(&self) -> bool {
        self.0.is_durable()
    }
}

#[async_trait]
impl DocumentStore for RequiredOnly {
    async fn get_document(&self, iri: &str) -> Result<Option<Document>> {
        self.0.get_document(iri).await
    }
    async fn put_document(&self, iri: &str, document: &Document) -> Result<()> {
        self.0.put_document(iri, document).await
    }
    async fn delete_document(&self, iri: &str, tombstone: &Tombstone) -> Result<bool> {
        self.0.delete_document(iri, tombstone).await
    }
    async fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>> {
        self.0.tombstone(iri).await
    }
}

#[async_trait]
impl CollectionStore for RequiredOnly {
    async fn insert(&self, collection: &str, item: &CollectionItem) -> Result<bool> {
        self.0.insert(collection, item).await
    }
    async fn remove(&self, collection: &str, member: &str) -> Result<bool> {
        self.0.remove(collection, member).await
    }
    async fn key_of(&self, collection: &str, member: &str) -> Result<Option<u64>> {
        self.0.key_of(collection, member).await
    }
    async fn count(&self, collection: &str) -> Result<u64> {
        self.0.count(collection).await
    }
    async fn page(&self, collection: &str, request: &PageRequest) -> Result<Page> {
        self.0.page(collection, request).await
    }
}

#[async_trait]
impl KeyStore for RequiredOnly {
    async fn put_local_key(&self, key: &LocalKeyPair) -> Result<()> {
        self.0.put_local_key(key).await
    }
    async fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>> {
        self.0.local_key(key_id).await
    }
    async fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>> {
        self.0.local_keys_of(owner).await
    }
    async fn put_remote_key(&self, key: &RemoteKey) -> Result<()> {
        self.0.put_remote_key(key).await
    }
    async fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>> {
        self.0.remote_key(key_id).await
    }
    async fn invalidate_remote_key(&self, key_id: &str) -> Result<bool> {
        self.0.invalidate_remote_key(key_id).await
    }
    async fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize> {
        self.0.invalidate_remote_keys_of(owner).await
    }
}

#[async_trait]
impl QueueStore for RequiredOnly {
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64> {
        self.0.enqueue(queue, job).await
    }
    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>> {
        self.0.lease(queue, request).await
    }
    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()> {
        self.0.ack(queue, lease).await
    }
    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        self.0.retry(queue, lease, error, not_before, now).await
    }
    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        self.0.bury(queue, lease, error, now).await
    }
    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>> {
        self.0.lane_counts(queue).await
    }
    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        self.0.dead_letters(queue, after, limit).await
    }
    async fn count_dead(&self, queue: &str) -> Result<u64> {
        self.0.count_dead(queue).await
    }
    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        self.0.take_dead_letter(queue, id, requeue_at).await
    }
}

#[async_trait]
impl DedupeStore for RequiredOnly {
    async fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool> {
        self.0.check_and_set(id, now, ttl).await
    }
    async fn seen(&self, id: &str, now: Timestamp) -> Result<bool> {
        self.0.seen(id, now).await
    }
    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<usize> {
        self.0.purge_expired(now, limit).await
    }
}

#[async_trait]
impl KvStore for RequiredOnly {
    async fn kv_get(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.0.kv_get(namespace, key).await
    }
    async fn kv_put(&self, namespace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.0.kv_put(namespace, key, value).await
    }
    async fn kv_delete(&self, namespace: &str, key: &[u8]) -> Result<bool> {
        self.0.kv_delete(namespace, key).await
    }
    async fn kv_scan(
        &self,
        namespace: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.0.kv_scan(namespace, prefix, after, limit).await
    }
}

#[async_trait]
impl BatchStore for RequiredOnly {
    async fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
        self.0.apply(batch).await
    }
}

#[tokio::test]
async fn the_default_bodies_pass_conformance() {
    conformance::run_all(&RequiredOnly(MemoryStore::new())).await;
}
