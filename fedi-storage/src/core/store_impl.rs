//! Implements every trait for a bundled store type by delegating to its `Core`; each write
//! then awaits `self.commit()`, which makes it durable when the backend is. The queue trait
//! has a macro of its own, since the sled backend routes some queues to its journal.

macro_rules! impl_store_traits {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::traits::DocumentStore for $ty {
            async fn get_document(&self, iri: &str) -> $crate::Result<Option<$crate::Document>> {
                self.core().get_document(iri)
            }
            async fn put_document(
                &self,
                iri: &str,
                document: &$crate::Document,
            ) -> $crate::Result<()> {
                self.core().put_document(iri, document)?;
                self.commit().await
            }
            async fn delete_document(
                &self,
                iri: &str,
                tombstone: &$crate::Tombstone,
            ) -> $crate::Result<bool> {
                let r = self.core().delete_document(iri, tombstone)?;
                self.commit().await?;
                Ok(r)
            }
            async fn tombstone(&self, iri: &str) -> $crate::Result<Option<$crate::Tombstone>> {
                self.core().tombstone(iri)
            }
        }

        #[async_trait::async_trait]
        impl $crate::traits::CollectionStore for $ty {
            async fn insert(
                &self,
                collection: &str,
                item: &$crate::CollectionItem,
            ) -> $crate::Result<bool> {
                let r = self.core().insert(collection, item)?;
                self.commit().await?;
                Ok(r)
            }
            async fn remove(&self, collection: &str, member: &str) -> $crate::Result<bool> {
                let r = self.core().remove(collection, member)?;
                self.commit().await?;
                Ok(r)
            }
            async fn key_of(&self, collection: &str, member: &str) -> $crate::Result<Option<u64>> {
                self.core().key_of(collection, member)
            }
            async fn count(&self, collection: &str) -> $crate::Result<u64> {
                self.core().count(collection)
            }
            async fn page(
                &self,
                collection: &str,
                request: &$crate::PageRequest,
            ) -> $crate::Result<$crate::Page> {
                self.core().page(collection, request)
            }
            async fn count_many(&self, collections: &[&str]) -> $crate::Result<Vec<u64>> {
                self.core().count_many(collections)
            }
            async fn newest_many(
                &self,
                collections: &[&str],
            ) -> $crate::Result<Vec<Option<$crate::CollectionItem>>> {
                self.core().newest_many(collections)
            }
            async fn key_of_many(
                &self,
                pairs: &[(&str, &str)],
            ) -> $crate::Result<Vec<Option<u64>>> {
                self.core().key_of_many(pairs)
            }
        }

        #[async_trait::async_trait]
        impl $crate::traits::KeyStore for $ty {
            async fn put_local_key(&self, key: &$crate::LocalKeyPair) -> $crate::Result<()> {
                self.core().put_local_key(key)?;
                self.commit().await
            }
            async fn local_key(
                &self,
                key_id: &str,
            ) -> $crate::Result<Option<$crate::LocalKeyPair>> {
                self.core().local_key(key_id)
            }
            async fn local_keys_of(
                &self,
                owner: &str,
            ) -> $crate::Result<Vec<$crate::LocalKeyPair>> {
                self.core().local_keys_of(owner)
            }
            async fn put_remote_key(&self, key: &$crate::RemoteKey) -> $crate::Result<()> {
                self.core().put_remote_key(key)?;
                self.commit().await
            }
            async fn remote_key(&self, key_id: &str) -> $crate::Result<Option<$crate::RemoteKey>> {
                self.core().remote_key(key_id)
            }
            async fn invalidate_remote_key(&self, key_id: &str) -> $crate::Result<bool> {
                let r = self.core().invalidate_remote_key(key_id)?;
                self.commit().await?;
                Ok(r)
            }
            async fn invalidate_remote_keys_of(&self, owner: &str) -> $crate::Result<usize> {
                let r = self.core().invalidate_remote_keys_of(owner)?;
                self.commit().await?;
                Ok(r)
            }
        }

        #[async_trait::async_trait]
        impl $crate::traits::DedupeStore for $ty {
            async fn check_and_set(
                &self,
                id: &str,
                now: $crate::Timestamp,
                ttl: std::time::Duration,
            ) -> $crate::Result<bool> {
                let r = self.core().check_and_set(id, now, ttl)?;
                if r {
                    self.commit().await?;
                }
                Ok(r)
            }
            async fn seen(&self, id: &str, now: $crate::Timestamp) -> $crate::Result<bool> {
                self.core().seen(id, now)
            }
            async fn purge_expired(
                &self,
                now: $crate::Timestamp,
                limit: usize,
            ) -> $crate::Result<usize> {
                let r = self.core().purge_expired(now, limit)?;
                if r > 0 {
                    self.commit().await?;
                }
                Ok(r)
            }
        }

        #[async_trait::async_trait]
        impl $crate::traits::KvStore for $ty {
            async fn kv_get(&self, namespace: &str, key: &[u8]) -> $crate::Result<Option<Vec<u8>>> {
                self.core().kv_get(namespace, key)
            }
            async fn kv_put(
                &self,
                namespace: &str,
                key: &[u8],
                value: &[u8],
            ) -> $crate::Result<()> {
                self.core().kv_put(namespace, key, value)?;
                self.commit().await
            }
            async fn kv_delete(&self, namespace: &str, key: &[u8]) -> $crate::Result<bool> {
                let r = self.core().kv_delete(namespace, key)?;
                self.commit().await?;
                Ok(r)
            }
            async fn kv_scan(
                &self,
                namespace: &str,
                prefix: &[u8],
                after: Option<&[u8]>,
                limit: usize,
            ) -> $crate::Result<Vec<(Vec<u8>, Vec<u8>)>> {
                self.core().kv_scan(namespace, prefix, after, limit)
            }
            async fn kv_get_many(
                &self,
                namespace: &str,
                keys: &[&[u8]],
            ) -> $crate::Result<Vec<Option<Vec<u8>>>> {
                self.core().kv_get_many(namespace, keys)
            }
        }

        #[async_trait::async_trait]
        impl $crate::traits::BatchStore for $ty {
            async fn apply(
                &self,
                batch: &$crate::WriteBatch,
            ) -> $crate::Result<$crate::BatchOutcome> {
                self.check_batches(std::slice::from_ref(batch))?;
                let r = self.core().apply(batch)?;
                if r.applied {
                    self.commit().await?;
                }
                Ok(r)
            }
            async fn apply_many(
                &self,
                batches: &[$crate::WriteBatch],
            ) -> $crate::Result<Vec<$crate::Result<$crate::BatchOutcome>>> {
                self.check_batches(batches)?;
                let r = self.core().apply_many(batches)?;
                let applied = r
                    .iter()
                    .filter(|o| o.as_ref().is_ok_and(|o| o.applied))
                    .count();
                if applied > 0 {
                    self.commit_writes(applied as u64).await?;
                }
                Ok(r)
            }
        }
    };
}

pub(crate) use impl_store_traits;

/// Implements [`QueueStore`](crate::QueueStore) for a bundled store type by delegating to its
/// `Core` (the sled backend implements it by hand, to route journaled queues).
macro_rules! impl_queue_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::traits::QueueStore for $ty {
            async fn enqueue(&self, queue: &str, job: &$crate::NewJob) -> $crate::Result<u64> {
                let r = self.core().enqueue(queue, job)?;
                self.commit().await?;
                Ok(r)
            }
            async fn lease(
                &self,
                queue: &str,
                request: &$crate::LeaseRequest,
            ) -> $crate::Result<Vec<$crate::Job>> {
                let (jobs, wrote) = self.core().lease(queue, request)?;
                if wrote {
                    self.commit().await?;
                }
                Ok(jobs)
            }
            async fn ack(&self, queue: &str, lease: &$crate::Lease) -> $crate::Result<()> {
                self.core().ack(queue, lease)?;
                self.commit().await
            }
            async fn ack_many(
                &self,
                queue: &str,
                leases: &[$crate::Lease],
            ) -> $crate::Result<Vec<bool>> {
                let r = self.core().ack_many(queue, leases)?;
                if r.iter().any(|acked| *acked) {
                    self.commit().await?;
                }
                Ok(r)
            }
            async fn retry(
                &self,
                queue: &str,
                lease: &$crate::Lease,
                error: &str,
                not_before: $crate::Timestamp,
                now: $crate::Timestamp,
            ) -> $crate::Result<$crate::RetryOutcome> {
                let r = self.core().retry(queue, lease, error, not_before, now)?;
                self.commit().await?;
                Ok(r)
            }
            async fn bury(
                &self,
                queue: &str,
                lease: &$crate::Lease,
                error: &str,
                now: $crate::Timestamp,
            ) -> $crate::Result<()> {
                self.core().bury(queue, lease, error, now)?;
                self.commit().await
            }
            async fn lane_counts(&self, queue: &str) -> $crate::Result<Vec<(String, u64)>> {
                self.core().lane_counts(queue)
            }
            async fn dead_letters(
                &self,
                queue: &str,
                after: Option<u64>,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::DeadLetter>> {
                self.core().dead_letters(queue, after, limit)
            }
            async fn count_dead(&self, queue: &str) -> $crate::Result<u64> {
                self.core().count_dead(queue)
            }
            async fn take_dead_letter(
                &self,
                queue: &str,
                id: u64,
                requeue_at: Option<$crate::Timestamp>,
            ) -> $crate::Result<Option<u64>> {
                let r = self.core().take_dead_letter(queue, id, requeue_at)?;
                self.commit().await?;
                Ok(r)
            }
        }
    };
}

pub(crate) use impl_queue_store;
