//! The storage traits, all in one place: one per concern, each with few required methods;
//! conveniences live in the `*Ext` extension traits, implemented for every implementor. Each
//! concern's traits are defined in that concern's module, beside its records, and re-exported
//! here; the whole-store traits ([`StoreInfo`], [`Store`]) and the durability contract that
//! every write method refers to are defined here.
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

pub use crate::batches::BatchStore;
pub use crate::collections::{CollectionStore, CollectionStoreExt};
pub use crate::dedupe::DedupeStore;
pub use crate::documents::{DocumentStore, DocumentStoreExt};
pub use crate::keys::{KeyStore, KeyStoreExt};
pub use crate::kv::{KvStore, KvStoreExt};
pub use crate::queues::{QueueStore, QueueStoreExt};

/// Facts about a store.
pub trait StoreInfo: Send + Sync {
    /// Whether writes that returned `Ok` survive a crash.
    fn is_durable(&self) -> bool;

    /// Whether `queue` is kept in an append-only journal (the sled backend's, with
    /// [`SledConfig::journal`](crate::sled::SledConfig::journal)): an enqueue into it is one
    /// cheap append, and it must be made on its own, not inside a
    /// [`WriteBatch`](crate::WriteBatch) (which would fail with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument)). Callers use it to choose how
    /// they enqueue (the federation engine then deduplicates received activities in its runner
    /// rather than in the enqueue's batch). `false` by default.
    fn journals_queue(&self, _queue: &str) -> bool {
        false
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
