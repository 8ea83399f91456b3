//! The in-memory backend: always available, for tests and small embeddings. Nothing survives
//! the process; every write is visible to later reads as soon as it returns.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use crate::core::{Core, Engine, Visit};
use crate::error::Result;

#[derive(Default)]
pub(crate) struct MemoryEngine(RwLock<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Engine for MemoryEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        Ok(map.get(key).cloned())
    }

    fn range(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        if hi.is_some_and(|h| h <= lo) {
            return Ok(());
        }
        let upper = match hi {
            Some(h) => Bound::Excluded(h),
            None => Bound::Unbounded,
        };
        let range = map.range::<[u8], _>((Bound::Included(lo), upper));
        if reverse {
            for (k, v) in range.rev() {
                if !visit(k, v)? {
                    break;
                }
            }
        } else {
            for (k, v) in range {
                if !visit(k, v)? {
                    break;
                }
            }
        }
        Ok(())
    }

    fn apply(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<()> {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        for (k, v) in writes {
            match v {
                Some(v) => {
                    map.insert(k, v);
                }
                None => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }
}

/// A store kept in memory. Cloning is cheap and clones share the same data.
///
/// Durability: none; [`StoreInfo::is_durable`](crate::StoreInfo::is_durable) is `false`.
/// Atomicity and isolation are as for every backend: each write (and each batch) is applied
/// under one lock, so readers see all of it or none of it.
#[derive(Clone)]
pub struct MemoryStore {
    core: Arc<Core<MemoryEngine>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore {
            core: Arc::new(Core::new(MemoryEngine::default())),
        }
    }
    fn core(&self) -> &Core<MemoryEngine> {
        &self.core
    }
    async fn commit(&self) -> Result<()> {
        Ok(())
    }
    async fn commit_writes(&self, _writes: u64) -> Result<()> {
        Ok(())
    }
    /// Every batch is applied as given (no queue is journaled here).
    fn check_batches(&self, _batches: &[crate::WriteBatch]) -> Result<()> {
        Ok(())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::traits::StoreInfo for MemoryStore {
    fn is_durable(&self) -> bool {
        false
    }
}

crate::core::impl_store_traits!(MemoryStore);
crate::core::impl_queue_store!(MemoryStore);
