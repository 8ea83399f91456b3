//! The embedded default backend, on [`sled`] 0.34, behind a write-ahead log.
//!
//! One sled tree (named [`TREE_NAME`]) holds every record, each keyspace under its own tag
//! byte. Writes are serialized by an in-process writer lock held only while the write is
//! computed and applied in memory; the sync to disk happens after the lock is released.
//!
//! # The write path
//!
//! A write (which may touch several keys: an enqueue writes the job, its due-index entry,
//! the lane count and the id sequence) is applied to an in-memory overlay, a sorted map of
//! the latest value of each key written since the last checkpoint, and appended as one
//! framed record (length, CRC-32, the keys and values) to the write-ahead log: files in
//! [`LOG_DIR`] inside the data directory. Reads look at the overlay first, then at sled;
//! range scans merge the two in either direction.
//!
//! A checkpoint copies the overlay into sled as one sled batch, flushes sled, and deletes
//! the log segments it covered. It runs on its own thread once the overlay holds
//! [`SledConfig::checkpoint_bytes`] (8 MiB by default), at least every
//! [`SledConfig::checkpoint_every_ms`] (10 s), on [`SledStore::checkpoint`], and when the
//! store closes, so a cleanly closed data directory holds everything in sled and no log.
//! While a checkpoint runs, the overlay it copies stays readable and new writes go to a fresh
//! one. A key written and deleted between two checkpoints (an inbox job received, processed
//! and acknowledged) never reaches sled: that, and one sequential log append per write
//! instead of a sled insert per key, is what makes this path cheaper than writing to sled
//! directly.
//!
//! Why not sled alone: each sled insert costs several microseconds (page-cache updates,
//! node splits, epoch-based reclamation), and an inbox request writes four keys; sled's own
//! `Batch` (atomic across keys) switches a process-wide lock on in sled 0.34 that stalls
//! every read behind a waiting batch. Here sled sees one batch per checkpoint.
//!
//! # Durability and crashes
//!
//! With [`SledConfig::flush_on_write`] (the default) every write method returns only after
//! its log record is synced (`fdatasync`; a new segment's directory entry is synced too).
//! Concurrent writers share syncs (group commit): a dedicated log thread syncs in a loop while
//! writes are waiting, each sync covering every record appended before it started. With
//! `flush_on_write` off, the log is written and synced every [`SledConfig::flush_every_ms`],
//! so a crash loses at most that window, but never leaves a write half-applied.
//!
//! Opening a directory replays every log segment left by a crash into sled, in order, then
//! flushes sled and deletes them. Records hold final values and deletions, so replaying a
//! segment whose checkpoint had already (partly or wholly) reached sled gives the same
//! state. A record cut short or failing its checksum ends the replay of its segment: at the
//! end of the last segment that is the write in progress when the process died (never
//! acknowledged); anywhere else it is damage, logged as an error. If a log write or sync
//! fails, the store refuses every later write (reads go on), since what reached the disk is
//! then unknown.
//!
//! A data directory written by an earlier version (which applied multi-key writes to sled
//! directly behind a redo record) is recovered as before on open.
//!
//! sled allows one process per data directory at a time; opening a directory in use fails
//! with [`Error::Open`].

mod log;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{Dec, Enc, K_INTENT, T_INTENT};
use crate::core::Core;
use crate::error::{Error, Result};
use log::{Log, LogEngine, Tuning};

/// The name of the sled tree holding the store's records.
pub const TREE_NAME: &str = "fedi-storage-v1";

/// The default size of sled's page cache: 16 MiB (the reference server targets ≤ 20 MB
/// resident when idle).
pub const DEFAULT_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// The key of the redo record that earlier versions wrote around a multi-key write.
const INTENT_KEY: [u8; 2] = [T_INTENT, b'!'];

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

/// Encodes a set of writes (the redo record of earlier versions; now the payload of a log
/// record).
pub(crate) fn enc_intent(writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Vec<u8> {
    let n = u32::try_from(writes.len()).unwrap_or(u32::MAX);
    let size: usize = writes
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len) + 12)
        .sum();
    writes
        .iter()
        .fold(
            Enc::with_capacity(K_INTENT, size + 16).u32(n),
            |e, (k, v)| e.bytes(k).opt_bytes(v.as_deref()),
        )
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

/// Completes a multi-key write that a crash interrupted in a data directory written by an
/// earlier version (which applied multi-key writes to sled directly, behind a redo record):
/// if the record is present, its writes are applied again (they are idempotent: final values
/// and deletions) and the record is removed. Returns whether there was one.
fn recover_redo_record(tree: &::sled::Tree) -> Result<bool> {
    let Some(v) = tree.get(INTENT_KEY)? else {
        return Ok(false);
    };
    match dec_intent(&v) {
        Ok(writes) => {
            tracing::info!(
                keys = writes.len(),
                "completing a write interrupted by a crash"
            );
            for (k, v) in writes {
                set(tree, k, v)?;
            }
        }
        Err(e) => {
            // Only this store writes the record, so this is damage on disk; the records
            // it named keep whatever state sled recovered for them.
            tracing::error!(error = %e, "unreadable redo record dropped");
        }
    }
    tree.remove(INTENT_KEY)?;
    Ok(true)
}

/// Replays the write-ahead log left by a crash into sled, flushes sled and deletes the
/// segments. Returns the first segment number to write next and how many records were
/// replayed.
fn replay_log(db: &::sled::Db, tree: &::sled::Tree, dir: &std::path::Path) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Open(format!("cannot create {}: {e}", dir.display())))?;
    let found = log::segments(dir)?;
    let next = found.last().map_or(1, |(n, _)| n + 1);
    let mut replayed = 0u64;
    let last = found.len().saturating_sub(1);
    for (i, (_, path)) in found.iter().enumerate() {
        let buf = std::fs::read(path)
            .map_err(|e| Error::Open(format!("cannot read {}: {e}", path.display())))?;
        let (records, stop) = log::records(&buf);
        for payload in records {
            match dec_intent(payload) {
                Ok(writes) => {
                    for (k, v) in writes {
                        set(tree, k, v)?;
                    }
                    replayed += 1;
                }
                Err(e) => {
                    // The checksum matched, so only a bug could write this; skip the record.
                    tracing::error!(path = %path.display(), error = %e, "unreadable log record skipped");
                }
            }
        }
        if let Some(at) = stop {
            if i == last {
                // The write in progress when the process died: never acknowledged.
                tracing::info!(path = %path.display(), offset = at, "incomplete last log record ignored");
            } else {
                tracing::error!(path = %path.display(), offset = at, "damaged log segment: the rest of it is skipped");
            }
        }
    }
    if !found.is_empty() {
        db.flush()?;
        for (_, path) in &found {
            std::fs::remove_file(path)
                .map_err(|e| Error::Open(format!("cannot remove {}: {e}", path.display())))?;
        }
        tracing::info!(
            segments = found.len(),
            records = replayed,
            "write-ahead log replayed"
        );
    }
    Ok((next, replayed))
}

/// How to open a [`SledStore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SledConfig {
    /// The data directory.
    pub path: PathBuf,
    /// sled's page cache size in bytes ([`DEFAULT_CACHE_BYTES`] by default).
    pub cache_capacity: u64,
    /// Sync the write-ahead log before every write returns (default `true`): see the module
    /// docs.
    pub flush_on_write: bool,
    /// Without `flush_on_write`, how often buffered writes are written to the log and synced,
    /// in milliseconds (default 500; `None`: only when a megabyte is buffered, on
    /// [`SledStore::flush`] and on close). Also sled's own background flush interval.
    pub flush_every_ms: Option<u64>,
    /// Copy the writes held in memory into sled once they take this many bytes (default
    /// [`DEFAULT_CHECKPOINT_BYTES`]). Writers wait for a checkpoint when four times this much
    /// is held.
    pub checkpoint_bytes: usize,
    /// Copy the writes held in memory into sled at least this often, in milliseconds
    /// (default 10,000; `None`: only by size, on [`SledStore::checkpoint`] and on close).
    pub checkpoint_every_ms: Option<u64>,
    /// Delete the directory when the store is dropped (for tests and benchmarks).
    pub temporary: bool,
}

/// The default [`SledConfig::checkpoint_bytes`]: 8 MiB.
pub const DEFAULT_CHECKPOINT_BYTES: usize = 8 << 20;

/// The directory, inside the data directory, holding the write-ahead log.
pub const LOG_DIR: &str = "woolly-wal";

impl SledConfig {
    /// The default configuration for a data directory.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SledConfig {
            path: path.into(),
            cache_capacity: DEFAULT_CACHE_BYTES,
            flush_on_write: true,
            flush_every_ms: Some(500),
            checkpoint_bytes: DEFAULT_CHECKPOINT_BYTES,
            checkpoint_every_ms: Some(10_000),
            temporary: false,
        }
    }
    /// Sets the cache size.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }
    /// Sets whether every write is synced before it returns.
    pub fn flush_on_write(mut self, yes: bool) -> Self {
        self.flush_on_write = yes;
        self
    }
    /// Sets how many bytes of writes held in memory start a checkpoint.
    pub fn checkpoint_bytes(mut self, bytes: usize) -> Self {
        self.checkpoint_bytes = bytes.max(1);
        self
    }
    /// Sets the longest time between checkpoints (`None`: by size and on request only).
    pub fn checkpoint_every_ms(mut self, ms: Option<u64>) -> Self {
        self.checkpoint_every_ms = ms;
        self
    }
    /// Sets whether the directory is deleted on drop.
    pub fn temporary(mut self, yes: bool) -> Self {
        self.temporary = yes;
        self
    }
}

/// Counters for observing group commit and checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SledStats {
    /// Writes that waited for durability (each batch applied by
    /// [`BatchStore::apply_many`](crate::BatchStore::apply_many) counts as one).
    pub durable_writes: u64,
    /// Log syncs (`fdatasync`) performed (`durable_writes / flushes` is the group-commit
    /// factor).
    pub flushes: u64,
    /// Calls that waited for a sync: one per write, and one per `apply_many` whatever the
    /// number of batches it applied (`durable_writes / commits` is how many batches shared a
    /// store write).
    pub commits: u64,
    /// Checkpoints done (writes held in memory copied into sled, and their log deleted).
    pub checkpoints: u64,
    /// Log records replayed when the store was opened (writes a crash left in the log).
    pub replayed: u64,
}

struct Inner {
    /// Declared first so that it is dropped first: its threads sync the log and copy what is
    /// left into sled before the database closes.
    log: Log,
    core: Core<LogEngine>,
    db: ::sled::Db,
    flush_on_write: bool,
    replayed: u64,
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

    /// Opens (or creates) a store. If the last process using the directory crashed, the
    /// writes it left in the write-ahead log are copied into sled first.
    pub fn open_with(config: SledConfig) -> Result<Self> {
        let db = ::sled::Config::new()
            .path(&config.path)
            .cache_capacity(config.cache_capacity)
            .flush_every_ms(config.flush_every_ms)
            .temporary(config.temporary)
            .open()
            .map_err(|e| Error::Open(format!("{}: {e}", config.path.display())))?;
        let tree = db.open_tree(TREE_NAME)?;
        if recover_redo_record(&tree)? {
            db.flush()?;
        }
        let dir = config.path.join(LOG_DIR);
        let (next_segment, replayed) = replay_log(&db, &tree, &dir)?;
        let log = Log::start(
            tree,
            db.clone(),
            dir,
            next_segment,
            Tuning {
                flush_on_write: config.flush_on_write,
                flush_every: config.flush_every_ms.map(Duration::from_millis),
                checkpoint_bytes: config.checkpoint_bytes.max(1),
                checkpoint_every: config.checkpoint_every_ms.map(Duration::from_millis),
            },
        )?;
        let engine = LogEngine(log.shared.clone());
        Ok(SledStore {
            inner: Arc::new(Inner {
                log,
                core: Core::new(engine),
                db,
                flush_on_write: config.flush_on_write,
                replayed,
            }),
        })
    }

    /// Makes everything written so far durable (syncs the write-ahead log), whatever
    /// [`SledConfig::flush_on_write`] says.
    pub async fn flush(&self) -> Result<()> {
        self.inner.log.sync().await
    }

    /// Copies every write made so far into sled, flushes sled and deletes the write-ahead log
    /// that held them; returns when that is done. Checkpoints also run on their own (see
    /// [`SledConfig::checkpoint_bytes`]) and when the store closes; this is for operators
    /// (before a file-level backup of sled alone) and benchmarks.
    pub async fn checkpoint(&self) -> Result<()> {
        self.inner.log.checkpoint().await
    }

    /// Group-commit and checkpoint counters.
    pub fn stats(&self) -> SledStats {
        let s = &self.inner.log.shared;
        SledStats {
            durable_writes: s.writes.load(Ordering::Relaxed),
            flushes: s.syncs.load(Ordering::Relaxed),
            commits: s.commits.load(Ordering::Relaxed),
            checkpoints: s.checkpoints.load(Ordering::Relaxed),
            replayed: self.inner.replayed,
        }
    }

    /// Bytes sled uses on disk (the write-ahead log not included).
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.db.size_on_disk()?)
    }

    fn core(&self) -> &Core<LogEngine> {
        &self.inner.core
    }

    async fn commit(&self) -> Result<()> {
        self.commit_writes(1).await
    }

    /// Waits for the sync covering a store write made of `writes` logical writes.
    async fn commit_writes(&self, writes: u64) -> Result<()> {
        if self.inner.flush_on_write || self.inner.log.failed() {
            self.inner.log.commit(writes).await
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{CollectionItem, CollectionStore, CollectionStoreExt, KvStore, PageRequest};

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

    #[test]
    fn log_records_are_framed_and_reading_stops_at_damage() {
        let payloads: Vec<Vec<u8>> = vec![b"one".to_vec(), Vec::new(), vec![7; 300]];
        let mut buf = Vec::new();
        for p in &payloads {
            log::frame(p, &mut buf);
        }
        let (all, stop) = log::records(&buf);
        assert_eq!(all, payloads.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert_eq!(stop, None);
        // Every cut inside a record keeps the records before it and names where it stopped.
        let ends = [11, 19, 327];
        for cut in 0..buf.len() {
            let (got, stop) = log::records(&buf[..cut]);
            let whole = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(got.len(), whole, "cut at {cut}");
            let start = if whole == 0 { 0 } else { ends[whole - 1] };
            assert_eq!(stop, (cut != start).then_some(start), "cut at {cut}");
        }
        // A flipped byte fails the checksum of its record only.
        let mut bad = buf.clone();
        bad[19 + 8 + 100] ^= 0x40;
        let (got, stop) = log::records(&bad);
        assert_eq!(got.len(), 2);
        assert_eq!(stop, Some(19));
    }

    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    /// The log a process leaves when it dies (synced writes not yet checkpointed) is replayed
    /// into sled on open, a torn last record is ignored, and the log is gone afterwards.
    #[test]
    fn a_log_left_by_a_crash_is_replayed_on_open() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live");
        let config = |p: &std::path::Path| {
            SledConfig::new(p)
                .checkpoint_every_ms(None)
                .checkpoint_bytes(usize::MAX / 8)
        };
        rt.block_on(async {
            let store = SledStore::open_with(config(&live)).unwrap();
            store
                .insert("c", &CollectionItem::new(1, "m1"))
                .await
                .unwrap();
        });
        // The state of the directory before the writes that will be lost with the process.
        let before = dir.path().join("before");
        copy_dir(&live, &before);
        let log_copy = dir.path().join("log-copy");
        rt.block_on(async {
            let store = SledStore::open_with(config(&live)).unwrap();
            for i in 2..=40u64 {
                store
                    .insert("c", &CollectionItem::new(i, format!("m{i}")))
                    .await
                    .unwrap();
            }
            store.kv_put("ns", b"gone", b"x").await.unwrap();
            store.kv_delete("ns", b"gone").await.unwrap();
            // Every write returned, so it is synced in the log; none is in sled yet.
            assert_eq!(store.stats().checkpoints, 0);
            copy_dir(&live.join(LOG_DIR), &log_copy);
        });
        let segments = log::segments(&log_copy).unwrap();
        assert!(!segments.is_empty(), "the writes are in the log");
        for torn in [false, true] {
            let crashed = dir.path().join(format!("crashed-{torn}"));
            copy_dir(&before, &crashed);
            copy_dir(&log_copy, &crashed.join(LOG_DIR));
            if torn {
                // Half a record at the end: the write in progress when the process died.
                let (_, last) = segments.last().unwrap();
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(crashed.join(LOG_DIR).join(last.file_name().unwrap()))
                    .unwrap();
                let mut rec = Vec::new();
                log::frame(
                    &enc_intent(&BTreeMap::from([(b"Azz".to_vec(), Some(b"v".to_vec()))])),
                    &mut rec,
                );
                std::io::Write::write_all(&mut f, &rec[..rec.len() / 2]).unwrap();
            }
            let store = SledStore::open_with(config(&crashed)).unwrap();
            assert!(store.stats().replayed >= 41, "{:?}", store.stats());
            assert!(
                log::segments(&crashed.join(LOG_DIR)).unwrap().is_empty(),
                "replayed segments are deleted"
            );
            rt.block_on(async {
                assert_eq!(store.count("c").await.unwrap(), 40, "torn {torn}");
                let page = store.page("c", &PageRequest::newest(3)).await.unwrap();
                assert_eq!(page.members(), ["m40", "m39", "m38"]);
                assert_eq!(store.kv_get("ns", b"gone").await.unwrap(), None);
            });
            drop(store);
            // Replayed writes are in sled itself.
            let snap = snapshot(&crashed);
            assert!(snap.len() > 40, "torn {torn}: {} keys", snap.len());
        }
    }
}
