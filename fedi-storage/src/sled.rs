//! The embedded default backend, on [`sled`] 0.34.
//!
//! One sled tree (named [`TREE_NAME`]) holds every record, each keyspace under its own tag
//! byte. Writes are serialized by an in-process writer lock held only while the write is
//! computed and applied in memory; the flush to disk happens after the lock is released.
//!
//! # Atomic writes
//!
//! A write that touches several keys (an enqueue writes the job, its due-index entry, the
//! lane count and the id sequence) is atomic for readers and across a crash. It does not use
//! sled's `Batch`: in sled 0.34 the first `apply_batch` in a process switches a process-wide
//! lock on, after which every batch waits for any flush in progress and every read waits
//! behind a waiting batch, so writers and flushes could never overlap (group commit then
//! topped out near 5,000 durable jobs/s). Instead a multi-key write is first recorded as one
//! redo record (a single sled insert, which is atomic), then its keys are applied one by one
//! while readers are held off by this backend's own reader/writer lock, then the record is
//! removed. If a crash interrupts it, opening the store finds the record and completes the
//! write before anything else runs. This relies on sled recovering its log as a prefix (a
//! later update is never recovered without the earlier ones), which is also what sled's own
//! batches rely on.
//!
//! # Durability
//!
//! With [`SledConfig::flush_on_write`] (the default) every write method returns only after
//! sled has flushed its log up to and including that write (`Db::flush`: the log buffers are
//! written and sled waits for the data to reach the disk). Concurrent writers share flushes
//! (group commit): a dedicated flusher thread flushes in a loop while writes are waiting,
//! each flush covering every write applied before it started, so while one flush runs the
//! writers that arrive wait and are all covered by the next one, and 64 concurrent producers
//! cost far fewer than 64 flushes. With `flush_on_write` off, writes are made durable by
//! sled's background flusher (every [`SledConfig::flush_every_ms`]), so a crash loses at most
//! that window, but never leaves a write half-applied.
//!
//! sled allows one process per data directory at a time; opening a directory in use fails
//! with [`Error::Open`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use tokio::sync::oneshot;

use crate::core::codec::{Dec, Enc, K_INTENT, T_INTENT};
use crate::core::{Core, Engine, Visit};
use crate::error::{Error, Result};
pub use crate::journal::JournalQueues;
pub use crate::journal::DEFAULT_SEGMENT_BYTES;
use crate::journal::{dir_name, Journal};

/// The name of the sled tree holding the store's records.
pub const TREE_NAME: &str = "fedi-storage-v1";

/// The default size of sled's page cache: 16 MiB (the reference server targets ≤ 20 MB
/// resident when idle).
pub const DEFAULT_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// The key of the redo record (see [`SledEngine::apply`]).
const INTENT_KEY: [u8; 2] = [T_INTENT, b'!'];

pub(crate) struct SledEngine {
    tree: ::sled::Tree,
    /// Readers hold it shared; a multi-key write holds it exclusively while its keys are
    /// applied one by one, so readers never see half of a write.
    visible: RwLock<()>,
}

fn set(tree: &::sled::Tree, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<()> {
    match value {
        Some(v) => {
            tree.insert(key, v)?;
        }
        None => {
            tree.remove(key)?;
        }
    }
    Ok(())
}

fn enc_intent(writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Vec<u8> {
    let n = u32::try_from(writes.len()).unwrap_or(u32::MAX);
    writes
        .iter()
        .fold(Enc::new(K_INTENT).u32(n), |e, (k, v)| {
            e.bytes(k).opt_bytes(v.as_deref())
        })
        .finish()
}

fn dec_intent(buf: &[u8]) -> Result<BTreeMap<Vec<u8>, Option<Vec<u8>>>> {
    let mut d = Dec::expect(&INTENT_KEY, buf, K_INTENT)?;
    let n = d.u32()?;
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let k = d.bytes()?;
        let v = d.opt_bytes()?;
        out.insert(k, v);
    }
    d.finish()?;
    Ok(out)
}

impl SledEngine {
    fn new(tree: ::sled::Tree) -> Self {
        SledEngine {
            tree,
            visible: RwLock::new(()),
        }
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        // The lock guards no data; a poisoned lock carries no broken state.
        self.visible.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Completes a multi-key write that a crash interrupted: if a redo record is present, its
    /// writes are applied again (they are idempotent: final values and deletions) and the
    /// record is removed. Returns whether there was one.
    fn recover(&self) -> Result<bool> {
        let Some(v) = self.tree.get(INTENT_KEY)? else {
            return Ok(false);
        };
        match dec_intent(&v) {
            Ok(writes) => {
                tracing::info!(
                    keys = writes.len(),
                    "completing a write interrupted by a crash"
                );
                for (k, v) in writes {
                    set(&self.tree, k, v)?;
                }
            }
            Err(e) => {
                // Only this store writes the record, so this is damage on disk; the records
                // it named keep whatever state sled recovered for them.
                tracing::error!(error = %e, "unreadable redo record dropped");
            }
        }
        self.tree.remove(INTENT_KEY)?;
        Ok(true)
    }
}

impl Engine for SledEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _g = self.read_lock();
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
        let _g = self.read_lock();
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

    /// Applies the writes atomically for readers and across a crash, without sled's
    /// `apply_batch` (see the module docs for why): a single write is one sled insert or
    /// remove; several are first recorded as one redo record (one atomic insert), then
    /// applied one by one while readers are held off, then the record is removed. A crash
    /// in between leaves the record, and [`SledEngine::recover`] completes the write on open.
    /// The caller (the core's writer lock) serializes writes, so one record key suffices.
    fn apply(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<()> {
        if writes.len() <= 1 {
            // A single insert or remove is atomic in sled.
            if let Some((k, v)) = writes.into_iter().next() {
                set(&self.tree, k, v)?;
            }
            return Ok(());
        }
        self.tree.insert(INTENT_KEY, enc_intent(&writes))?;
        {
            let _g = self.visible.write().unwrap_or_else(|p| p.into_inner());
            for (k, v) in writes {
                set(&self.tree, k, v)?;
            }
        }
        self.tree.remove(INTENT_KEY)?;
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
    /// The queues kept in an append-only journal beside sled rather than in sled's tree
    /// (default: none). See [`crate::sled`]'s "Journaled queues".
    pub journal: JournalQueues,
    /// sled's log segment size in bytes, for a new data directory (a power of two, 256 B to
    /// 16 MiB; `None`: sled's default, 512 KiB). sled cannot change it later, so a directory
    /// that exists keeps the size it was created with, whatever this says. Smaller segments
    /// let sled's cleaner reclaim space sooner (it rewrites a segment once at most half of it
    /// is live): see BENCHMARKS.md, "Disk".
    pub segment_size: Option<usize>,
    /// The size at which a journal starts a new segment file
    /// ([`DEFAULT_SEGMENT_BYTES`](crate::sled::DEFAULT_SEGMENT_BYTES) by default).
    pub journal_segment_bytes: u64,
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
            journal: JournalQueues::None,
            journal_segment_bytes: DEFAULT_SEGMENT_BYTES,
            segment_size: None,
        }
    }
    /// Sets sled's log segment size for a new data directory.
    pub fn segment_size(mut self, bytes: usize) -> Self {
        self.segment_size = Some(bytes);
        self
    }
    /// Sets which queues are journaled.
    pub fn journal(mut self, queues: JournalQueues) -> Self {
        self.journal = queues;
        self
    }
    /// Sets the journal's segment size.
    pub fn journal_segment_bytes(mut self, bytes: u64) -> Self {
        self.journal_segment_bytes = bytes;
        self
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
    /// Writes that waited for durability (each batch applied by
    /// [`BatchStore::apply_many`](crate::BatchStore::apply_many) counts as one).
    pub durable_writes: u64,
    /// Flushes performed for them (`durable_writes / flushes` is the group-commit factor).
    pub flushes: u64,
    /// Calls that waited for a flush: one per write, and one per `apply_many` whatever the
    /// number of batches it applied (`durable_writes / commits` is how many batches shared a
    /// store write).
    pub commits: u64,
}

/// Group commit on a dedicated flusher thread.
///
/// A writer applies its write in memory, then takes a ticket and waits. The flusher thread
/// loops: it takes every ticket issued so far, calls sled's synchronous `Db::flush` (write the
/// log buffer and wait for it to reach the disk), and then completes every waiter whose ticket
/// it covered. A ticket is only taken after its write was applied, so a flush that starts
/// after a ticket was issued covers that write. While one flush runs, new writers queue up and
/// are all covered by the next one, which starts as soon as the previous one ends.
struct GroupCommit {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    state: Mutex<FlushState>,
    /// Wakes the flusher thread.
    wake: Condvar,
    flushes: AtomicU64,
    writes: AtomicU64,
    commits: AtomicU64,
}

#[derive(Default)]
struct FlushState {
    /// The last ticket issued.
    issued: u64,
    /// Waiters, in ticket order.
    waiters: VecDeque<(u64, oneshot::Sender<Result<()>>)>,
    shutdown: bool,
}

impl GroupCommit {
    fn start(db: ::sled::Db) -> Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(FlushState::default()),
            wake: Condvar::new(),
            flushes: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        });
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fedi-storage-flush".into())
            .spawn(move || flusher(&for_thread, &db))
            .map_err(|e| Error::Open(format!("cannot start the flusher thread: {e}")))?;
        Ok(GroupCommit {
            shared,
            thread: Some(thread),
        })
    }

    /// Waits until every write applied before this call is on disk; `writes` is how many
    /// logical writes this covers (for [`SledStats`]).
    async fn commit(&self, writes: u64) -> Result<()> {
        self.shared.writes.fetch_add(writes, Ordering::Relaxed);
        self.shared.commits.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.shared.lock();
            if s.shutdown {
                return Err(Error::Backend("store closed".into()));
            }
            s.issued += 1;
            let ticket = s.issued;
            s.waiters.push_back((ticket, tx));
        }
        self.shared.wake.notify_one();
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(Error::Backend("store closed before the flush".into())),
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, FlushState> {
        // A poisoned lock only means a thread panicked while holding it; the state stays
        // consistent (every update is a single assignment or queue operation).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The flusher thread's loop; returns when the store is dropped.
fn flusher(shared: &Shared, db: &::sled::Db) {
    /// However the thread ends (even by a panic in sled), later writers must not wait for it:
    /// mark the store closed and fail the writers still waiting (their senders drop).
    struct Closing<'a>(&'a Shared);
    impl Drop for Closing<'_> {
        fn drop(&mut self) {
            let mut s = self.0.lock();
            s.shutdown = true;
            s.waiters.clear();
        }
    }
    let _closing = Closing(shared);
    loop {
        let target = {
            let mut s = shared.lock();
            // Bounded: each wait ends when a writer or `Drop` notifies.
            while s.waiters.is_empty() && !s.shutdown {
                s = shared.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            if s.waiters.is_empty() && s.shutdown {
                return;
            }
            s.issued
        };
        let res = db.flush();
        shared.flushes.fetch_add(1, Ordering::Relaxed);
        let done: Vec<_> = {
            let mut s = shared.lock();
            let n = s.waiters.iter().take_while(|(t, _)| *t <= target).count();
            s.waiters.drain(..n).collect()
        };
        for (_, tx) in done {
            let r = match &res {
                Ok(_) => Ok(()),
                Err(e) => Err(Error::Backend(format!("flush failed: {e}"))),
            };
            // The writer may have stopped waiting (its future was dropped); nothing to do.
            let _ = tx.send(r);
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            // The thread only panics if sled does; nothing more to do here then.
            let _ = t.join();
        }
    }
}

struct Inner {
    /// `None` when writes are not flushed on return. Declared first so that it is dropped
    /// first: its flusher thread finishes before the database closes.
    group: Option<GroupCommit>,
    core: Core<SledEngine>,
    /// The journaled queues opened so far, by name.
    journals: Mutex<HashMap<String, Arc<Journal>>>,
    journal: JournalQueues,
    journal_segment_bytes: u64,
    path: PathBuf,
    db: ::sled::Db,
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
        let mut sled_config = ::sled::Config::new();
        if let Some(size) = persisted_segment_size(&config.path).or(config.segment_size) {
            sled_config = sled_config.segment_size(size);
        }
        let db = sled_config
            .path(&config.path)
            .cache_capacity(config.cache_capacity)
            .flush_every_ms(config.flush_every_ms)
            .temporary(config.temporary)
            .open()
            .map_err(|e| Error::Open(format!("{}: {e}", config.path.display())))?;
        let tree = db.open_tree(TREE_NAME)?;
        let engine = SledEngine::new(tree);
        if engine.recover()? {
            db.flush()?;
        }
        let group = if config.flush_on_write {
            Some(GroupCommit::start(db.clone())?)
        } else {
            None
        };
        let store = SledStore {
            inner: Arc::new(Inner {
                group,
                core: Core::new(engine),
                journals: Mutex::new(HashMap::new()),
                journal: config.journal.clone(),
                journal_segment_bytes: config.journal_segment_bytes,
                path: config.path.clone(),
                db,
                flush_on_write: config.flush_on_write,
            }),
        };
        // Named journals recover on open, before anything is served.
        if let JournalQueues::Named(names) = &config.journal {
            for name in names {
                store.journal_of(name)?;
            }
        }
        Ok(store)
    }

    /// The journal of `queue`, opened on first use, if `queue` is journaled.
    pub(crate) fn journal_of(&self, queue: &str) -> Result<Option<Arc<Journal>>> {
        if !self.inner.journal.includes(queue) {
            return Ok(None);
        }
        let mut journals = self
            .inner
            .journals
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(j) = journals.get(queue) {
            return Ok(Some(j.clone()));
        }
        let dir = self.inner.path.join("journal").join(dir_name(queue));
        let (journal, wrote) = Journal::open(
            dir,
            queue,
            self.inner.journal_segment_bytes,
            &self.inner.core,
        )?;
        if wrote {
            self.inner.db.flush()?;
        }
        let journal = Arc::new(journal);
        journals.insert(queue.to_owned(), journal.clone());
        Ok(Some(journal))
    }

    /// The journal segments of `queue` (their first ids), if it is journaled and open.
    pub fn journal_segments(&self, queue: &str) -> Vec<u64> {
        let journals = self
            .inner
            .journals
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        journals
            .get(queue)
            .map(|j| j.segments())
            .unwrap_or_default()
    }

    /// Refuses a batch that enqueues into a journaled queue (see
    /// [`StoreInfo::journals_queue`](crate::StoreInfo::journals_queue)).
    fn check_batches(&self, batches: &[crate::WriteBatch]) -> Result<()> {
        for b in batches {
            for op in &b.ops {
                if let crate::BatchOp::Enqueue { queue, .. } = op {
                    if self.inner.journal.includes(queue) {
                        return Err(Error::InvalidArgument(format!(
                            "queue {queue:?} is journaled: enqueue into it alone, not in a batch"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Flushes everything written so far to disk.
    pub async fn flush(&self) -> Result<()> {
        self.inner.db.flush_async().await?;
        Ok(())
    }

    /// Group-commit counters.
    pub fn stats(&self) -> SledStats {
        match &self.inner.group {
            Some(g) => SledStats {
                durable_writes: g.shared.writes.load(Ordering::Relaxed),
                flushes: g.shared.flushes.load(Ordering::Relaxed),
                commits: g.shared.commits.load(Ordering::Relaxed),
            },
            None => SledStats::default(),
        }
    }

    /// Bytes sled uses on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.db.size_on_disk()?)
    }

    /// The tree holding every record.
    pub(crate) fn tree(&self) -> &::sled::Tree {
        &self.inner.core.engine.tree
    }

    pub(crate) fn core(&self) -> &Core<SledEngine> {
        &self.inner.core
    }

    pub(crate) async fn commit(&self) -> Result<()> {
        self.commit_writes(1).await
    }

    /// Waits for the flush covering a store write made of `writes` logical writes.
    async fn commit_writes(&self, writes: u64) -> Result<()> {
        match &self.inner.group {
            Some(g) => g.commit(writes).await,
            None => Ok(()),
        }
    }
}

impl crate::traits::StoreInfo for SledStore {
    fn is_durable(&self) -> bool {
        self.inner.flush_on_write
    }
    fn journals_queue(&self, queue: &str) -> bool {
        self.inner.journal.includes(queue)
    }
}

/// The segment size an existing data directory was created with (sled records it in its
/// `conf` file and refuses to open with another).
fn persisted_segment_size(path: &std::path::Path) -> Option<usize> {
    // The file ends in a binary checksum: read it lossily.
    let conf = std::fs::read(path.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|l| l.strip_prefix("segment_size: "))
        .and_then(|v| v.trim().parse().ok())
}

crate::core::impl_store_traits!(SledStore);
// `QueueStore` is implemented in `journal/queue_store.rs`, routing journaled queues.

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{CollectionItem, CollectionStore, CollectionStoreExt, PageRequest};

    type Snapshot = BTreeMap<Vec<u8>, Vec<u8>>;

    fn snapshot(path: &std::path::Path) -> Snapshot {
        let db = ::sled::open(path).unwrap();
        let tree = db.open_tree(TREE_NAME).unwrap();
        tree.iter()
            .map(|kv| {
                let (k, v) = kv.unwrap();
                (k.to_vec(), v.to_vec())
            })
            .collect()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// The writes that took the store from `before` to `after`.
    fn diff(before: &Snapshot, after: &Snapshot) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        let mut w = BTreeMap::new();
        for (k, v) in after {
            if before.get(k) != Some(v) {
                w.insert(k.clone(), Some(v.clone()));
            }
        }
        for k in before.keys() {
            if !after.contains_key(k) {
                w.insert(k.clone(), None);
            }
        }
        w
    }

    /// Rewrites the store's tree to `state`, plus the redo record of `writes` with only the
    /// first `applied` of them applied: the state a crash in the middle of a write leaves.
    fn crash_mid_write(
        path: &std::path::Path,
        state: &Snapshot,
        writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        applied: usize,
    ) {
        let db = ::sled::open(path).unwrap();
        let tree = db.open_tree(TREE_NAME).unwrap();
        tree.clear().unwrap();
        for (k, v) in state {
            tree.insert(k, v.clone()).unwrap();
        }
        tree.insert(INTENT_KEY, enc_intent(writes)).unwrap();
        for (k, v) in writes.iter().take(applied) {
            set(&tree, k.clone(), v.clone()).unwrap();
        }
        db.flush().unwrap();
    }

    #[test]
    fn an_interrupted_multi_key_write_is_completed_on_open() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let one = rt.block_on(async {
            let store = SledStore::open(&path).unwrap();
            store
                .insert("c", &CollectionItem::new(1, "m1"))
                .await
                .unwrap();
            drop(store);
            snapshot(&path)
        });
        let two = rt.block_on(async {
            let store = SledStore::open(&path).unwrap();
            // Three keys change: the ordered entry, the member record and the count.
            store
                .insert("c", &CollectionItem::new(2, "m2"))
                .await
                .unwrap();
            drop(store);
            snapshot(&path)
        });
        assert!(!two.contains_key(&INTENT_KEY[..]), "the record is removed");
        let writes = diff(&one, &two);
        assert!(
            writes.len() >= 3,
            "an insert changes several keys: {writes:?}"
        );
        for applied in 0..writes.len() {
            crash_mid_write(&path, &one, &writes, applied);
            let store = SledStore::open(&path).unwrap();
            rt.block_on(async {
                assert_eq!(store.count("c").await.unwrap(), 2, "applied {applied}");
                let page = store.page("c", &PageRequest::newest(10)).await.unwrap();
                assert_eq!(page.members(), ["m2", "m1"], "applied {applied}");
                assert_eq!(store.key_of("c", "m2").await.unwrap(), Some(2));
                assert!(store.contains("c", "m1").await.unwrap());
            });
            drop(store);
            assert_eq!(
                snapshot(&path),
                two,
                "applied {applied}: the same state as no crash"
            );
        }
    }

    #[test]
    fn an_unreadable_redo_record_does_not_stop_the_store_from_opening() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        rt.block_on(async {
            let store = SledStore::open(&path).unwrap();
            store
                .insert("c", &CollectionItem::new(1, "m1"))
                .await
                .unwrap();
        });
        {
            let db = ::sled::open(&path).unwrap();
            let tree = db.open_tree(TREE_NAME).unwrap();
            let mut bad = enc_intent(&BTreeMap::from([(b"k".to_vec(), Some(b"v".to_vec()))]));
            bad.truncate(bad.len() - 1);
            tree.insert(INTENT_KEY, bad).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(&path).unwrap();
        rt.block_on(async {
            assert_eq!(store.count("c").await.unwrap(), 1);
            assert!(store.contains("c", "m1").await.unwrap());
        });
        drop(store);
        assert!(!snapshot(&path).contains_key(&INTENT_KEY[..]));
    }

    #[test]
    fn redo_records_round_trip_and_truncations_are_corrupt() {
        let w = BTreeMap::from([
            (b"a".to_vec(), Some(b"1".to_vec())),
            (b"b".to_vec(), None),
            (vec![0xFF; 3], Some(Vec::new())),
        ]);
        let enc = enc_intent(&w);
        assert_eq!(dec_intent(&enc).unwrap(), w);
        for cut in 0..enc.len() {
            assert!(dec_intent(&enc[..cut]).unwrap_err().is_corrupt());
        }
    }
}
