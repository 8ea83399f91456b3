//! The embedded default backend, on [`sled`] 0.34.
//!
//! One sled tree (named [`TREE_NAME`]) holds every record, each keyspace under its own tag
//! byte, so a write touching several concerns is one atomic `apply_batch`. Writes are
//! serialized by an in-process writer lock held only while the write is computed and applied
//! in memory; the flush to disk happens after the lock is released.
//!
//! # Durability
//!
//! With [`SledConfig::flush_on_write`] (the default) every write method returns only after
//! sled has flushed (and fsynced) its log up to and including that write. Concurrent writers
//! share flushes (group commit): while one flush runs, the writers that arrive wait and are
//! all covered by the next single flush, so 64 concurrent producers cost far fewer than 64
//! fsyncs. With `flush_on_write` off, writes are made durable by sled's background flusher
//! (every [`SledConfig::flush_every_ms`]), so a crash loses at most that window, but never
//! leaves a write half-applied.
//!
//! sled allows one process per data directory at a time; opening a directory in use fails
//! with [`Error::Open`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::core::{Core, Engine, Visit};
use crate::error::{Error, Result};

/// The name of the sled tree holding the store's records.
pub const TREE_NAME: &str = "fedi-storage-v1";

/// The default size of sled's page cache: 16 MiB (the reference server targets ≤ 20 MB
/// resident when idle).
pub const DEFAULT_CACHE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) struct SledEngine {
    tree: ::sled::Tree,
}

impl Engine for SledEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    fn range(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        if hi.is_some_and(|h| h <= lo) {
            return Ok(());
        }
        let iter = match hi {
            Some(h) => self.tree.range(lo..h),
            None => self.tree.range(lo..),
        };
        if reverse {
            for kv in iter.rev() {
                let (k, v) = kv?;
                if !visit(&k, &v)? {
                    break;
                }
            }
        } else {
            for kv in iter {
                let (k, v) = kv?;
                if !visit(&k, &v)? {
                    break;
                }
            }
        }
        Ok(())
    }

    fn apply(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<()> {
        if writes.len() == 1 {
            // A single write needs no batch (a single insert/remove is atomic in sled).
            if let Some((k, v)) = writes.into_iter().next() {
                match v {
                    Some(v) => {
                        self.tree.insert(k, v)?;
                    }
                    None => {
                        self.tree.remove(k)?;
                    }
                }
            }
            return Ok(());
        }
        let mut batch = ::sled::Batch::default();
        for (k, v) in writes {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }
}

/// How to open a [`SledStore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SledConfig {
    /// The data directory.
    pub path: PathBuf,
    /// sled's page cache size in bytes ([`DEFAULT_CACHE_BYTES`] by default).
    pub cache_capacity: u64,
    /// Flush before every write returns (default `true`): see the module docs.
    pub flush_on_write: bool,
    /// sled's background flush interval in milliseconds (default 500; `None` disables it).
    pub flush_every_ms: Option<u64>,
    /// Delete the directory when the store is dropped (for tests and benchmarks).
    pub temporary: bool,
}

impl SledConfig {
    /// The default configuration for a data directory.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SledConfig {
            path: path.into(),
            cache_capacity: DEFAULT_CACHE_BYTES,
            flush_on_write: true,
            flush_every_ms: Some(500),
            temporary: false,
        }
    }
    /// Sets the cache size.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }
    /// Sets whether every write is flushed before it returns.
    pub fn flush_on_write(mut self, yes: bool) -> Self {
        self.flush_on_write = yes;
        self
    }
    /// Sets whether the directory is deleted on drop.
    pub fn temporary(mut self, yes: bool) -> Self {
        self.temporary = yes;
        self
    }
}

/// Counters for observing group commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SledStats {
    /// Writes that waited for durability.
    pub durable_writes: u64,
    /// Flushes performed for them (`durable_writes / flushes` is the group-commit factor).
    pub flushes: u64,
}

/// Group commit: writers take a ticket after applying their write; one of them flushes for
/// everyone holding a ticket at the time the flush starts.
struct GroupCommit {
    state: Mutex<GroupState>,
    /// (highest ticket flushed, highest ticket whose flush failed)
    done: watch::Sender<(u64, u64)>,
    flushes: AtomicU64,
    writes: AtomicU64,
}

struct GroupState {
    next_ticket: u64,
    flushing: bool,
}

/// Resets the flushing flag if a leader's future is dropped mid-flush, waking the others.
struct LeaderGuard<'a> {
    group: &'a GroupCommit,
    armed: bool,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.group
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .flushing = false;
            self.group.done.send_modify(|_| {});
        }
    }
}

impl GroupCommit {
    fn new() -> Self {
        GroupCommit {
            state: Mutex::new(GroupState {
                next_ticket: 0,
                flushing: false,
            }),
            done: watch::Sender::new((0, 0)),
            flushes: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    async fn commit(&self, db: &::sled::Db) -> Result<()> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        let ticket = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            s.next_ticket += 1;
            s.next_ticket
        };
        let mut rx = self.done.subscribe();
        // Bounded: every iteration either returns, flushes, or waits for a flush to finish.
        loop {
            let (flushed, failed) = *rx.borrow_and_update();
            if flushed >= ticket {
                return Ok(());
            }
            if failed >= ticket {
                return Err(Error::Backend("flush failed".into()));
            }
            let target = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                if s.flushing {
                    None
                } else {
                    s.flushing = true;
                    Some(s.next_ticket)
                }
            };
            match target {
                Some(_) => {
                    let mut guard = LeaderGuard {
                        group: self,
                        armed: true,
                    };
                    // Let writers that are ready to run apply their writes first, so that this
                    // flush covers them too (a commit delay of one scheduling round).
                    tokio::task::yield_now().await;
                    // Every ticket taken so far belongs to a write already applied, so the
                    // flush that starts now covers it.
                    let target = self
                        .state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .next_ticket;
                    let res = db.flush_async().await;
                    self.flushes.fetch_add(1, Ordering::Relaxed);
                    guard.armed = false;
                    self.state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .flushing = false;
                    match res {
                        Ok(_) => self.done.send_modify(|d| d.0 = d.0.max(target)),
                        Err(e) => {
                            self.done.send_modify(|d| d.1 = d.1.max(target));
                            return Err(e.into());
                        }
                    }
                }
                None => {
                    if rx.changed().await.is_err() {
                        return Err(Error::Backend("store closed".into()));
                    }
                }
            }
        }
    }
}

struct Inner {
    core: Core<SledEngine>,
    db: ::sled::Db,
    group: GroupCommit,
    flush_on_write: bool,
}

/// The sled-backed store. Cloning is cheap and clones share the same database.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("flush_on_write", &self.inner.flush_on_write)
            .finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (or creates) a store with the default configuration.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        Self::open_with(SledConfig::new(path))
    }

    /// Opens (or creates) a store.
    pub fn open_with(config: SledConfig) -> Result<Self> {
        let db = ::sled::Config::new()
            .path(&config.path)
            .cache_capacity(config.cache_capacity)
            .flush_every_ms(config.flush_every_ms)
            .temporary(config.temporary)
            .open()
            .map_err(|e| Error::Open(format!("{}: {e}", config.path.display())))?;
        let tree = db.open_tree(TREE_NAME)?;
        Ok(SledStore {
            inner: Arc::new(Inner {
                core: Core::new(SledEngine { tree }),
                db,
                group: GroupCommit::new(),
                flush_on_write: config.flush_on_write,
            }),
        })
    }

    /// Flushes everything written so far to disk.
    pub async fn flush(&self) -> Result<()> {
        self.inner.db.flush_async().await?;
        Ok(())
    }

    /// Group-commit counters.
    pub fn stats(&self) -> SledStats {
        SledStats {
            durable_writes: self.inner.group.writes.load(Ordering::Relaxed),
            flushes: self.inner.group.flushes.load(Ordering::Relaxed),
        }
    }

    /// Bytes sled uses on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.db.size_on_disk()?)
    }

    fn core(&self) -> &Core<SledEngine> {
        &self.inner.core
    }

    async fn commit(&self) -> Result<()> {
        if self.inner.flush_on_write {
            self.inner.group.commit(&self.inner.db).await
        } else {
            Ok(())
        }
    }
}

impl crate::traits::StoreInfo for SledStore {
    fn is_durable(&self) -> bool {
        self.inner.flush_on_write
    }
}

crate::store_impl::impl_store_traits!(SledStore);
