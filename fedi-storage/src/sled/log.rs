//! The write path of the sled backend: a write-ahead log in front of sled.
//!
//! A write is applied to an in-memory overlay (a sorted map of the latest value of each key it
//! touched, or a deletion mark) and appended, as one framed record, to a buffer that the log
//! thread writes to the current log segment and syncs (group commit: one `fdatasync` covers
//! every write applied before it started). Reads look at the overlay first, then at sled.
//!
//! When the overlay holds [`Tuning::checkpoint_bytes`] (or [`Tuning::checkpoint_every`] has
//! passed), the log thread freezes it at a segment boundary: the frozen map stays readable
//! while the checkpoint thread copies it into sled, flushes sled, deletes the segments it
//! covered and only then drops the map. A key written and deleted between two checkpoints
//! (an inbox job leased and acknowledged) never reaches sled at all.
//!
//! Crash recovery (in `sled.rs`) replays every remaining segment into sled in order. Records
//! hold final values and deletions, so replaying a segment whose checkpoint was interrupted,
//! or already completed, gives the same state.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Write as _;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::core::{Engine, Visit};
use crate::error::{Error, Result};

/// Pending writes: the latest value of each key, or `None` for a deletion.
pub(crate) type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Wake the log thread once this many bytes of records wait to be written, even if nobody
/// waits for them (`flush_on_write` off).
const PENDING_WAKE: usize = 1 << 20;
/// Roughly what a map entry costs beyond its key and value bytes.
const ENTRY_OVERHEAD: usize = 48;
/// How long a writer held back by a full overlay waits for a checkpoint, in total.
const BACKPRESSURE_WAIT: Duration = Duration::from_secs(10);

/// The log and checkpoint settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Sync the log before a write returns.
    pub(crate) flush_on_write: bool,
    /// Without `flush_on_write`: how often buffered records are written and synced.
    pub(crate) flush_every: Option<Duration>,
    /// Freeze and checkpoint the overlay once it holds this many bytes.
    pub(crate) checkpoint_bytes: usize,
    /// Checkpoint a non-empty overlay at least this often.
    pub(crate) checkpoint_every: Option<Duration>,
}

impl Tuning {
    /// Writers wait for a checkpoint once active and frozen maps hold this many bytes.
    fn max_overlay_bytes(&self) -> usize {
        self.checkpoint_bytes.saturating_mul(4).max(1 << 20)
    }
}

/// A frozen overlay, being copied into sled.
struct Frozen {
    map: Arc<Writes>,
    bytes: usize,
}

#[derive(Default)]
struct Overlay {
    active: Writes,
    active_bytes: usize,
    /// Oldest first.
    frozen: VecDeque<Frozen>,
    frozen_bytes: usize,
    /// Framed records applied to `active` and not yet taken by the log thread, in order.
    pending: Vec<u8>,
}

/// What the log thread is asked to do, and the waiters it answers.
#[derive(Default)]
struct LogState {
    /// The last durability ticket issued.
    issued: u64,
    /// Writers waiting for their records to be synced, in ticket order.
    waiters: VecDeque<(u64, oneshot::Sender<Result<()>>)>,
    /// Callers of [`Log::checkpoint`] not yet registered with a checkpoint.
    checkpoint_requests: Vec<oneshot::Sender<Result<()>>>,
    /// Callers waiting until checkpoint number `n` is done.
    checkpoint_waiters: Vec<(u64, oneshot::Sender<Result<()>>)>,
    /// A writer saw the overlay or the record buffer grow past a threshold.
    kick: bool,
    shutdown: bool,
    /// Overlays frozen so far; checkpoints done so far.
    freezes: u64,
    checkpoints_done: u64,
    /// The first log write or sync that failed: every later write fails with it.
    failed: Option<String>,
}

/// State shared by the engine, the store and the two threads.
pub(crate) struct Shared {
    pub(crate) tree: ::sled::Tree,
    db: ::sled::Db,
    overlay: RwLock<Overlay>,
    state: Mutex<LogState>,
    /// Wakes the log thread.
    wake: Condvar,
    /// Signalled after each checkpoint (writers held back by a full overlay wait on it).
    drained: Condvar,
    tuning: Tuning,
    dir: PathBuf,
    pub(crate) syncs: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) commits: AtomicU64,
    pub(crate) checkpoints: AtomicU64,
}

fn poisoned<T>(p: std::sync::PoisonError<T>) -> T {
    // The locks guard maps and counters that every update leaves consistent (a panic while
    // one is held cannot leave a write half-applied to them), so a poisoned lock is usable.
    p.into_inner()
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(poisoned)
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(poisoned)
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Overlay> {
        self.overlay.write().unwrap_or_else(poisoned)
    }
}

/// One framed log record: payload length (`u32` little-endian), CRC-32 of the payload, then
/// the payload (the writes, encoded as the redo record of earlier versions).
#[cfg(test)]
pub(crate) fn frame(payload: &[u8], out: &mut Vec<u8>) {
    frame_checked(payload, crc32fast::hash(payload), out);
}

/// [`frame`] with the payload's CRC-32 computed beforehand.
fn frame_checked(payload: &[u8], crc: u32, out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Splits a segment's bytes into record payloads. Stops at the first record that is cut short
/// or fails its checksum, and returns the offset where it starts (`None`: all of it read).
pub(crate) fn records(buf: &[u8]) -> (Vec<&[u8]>, Option<usize>) {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let Some(head) = buf.get(at..at + 8) else {
            return (out, Some(at));
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(payload) = buf.get(at + 8..(at + 8).saturating_add(len)) else {
            return (out, Some(at));
        };
        if crc32fast::hash(payload) != crc {
            return (out, Some(at));
        }
        out.push(payload);
        at += 8 + len;
    }
    (out, None)
}

/// The file name of log segment `n`.
pub(crate) fn segment_name(n: u64) -> String {
    format!("{n:020}.wal")
}

/// The log segments in `dir`, oldest first.
pub(crate) fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Open(format!("cannot list {}: {e}", dir.display())))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::Open(format!("cannot list {}: {e}", dir.display())))?;
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|s| s.strip_suffix(".wal"))
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        out.push((n, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// Makes a directory entry (a created or removed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn entry_bytes(k: &[u8], v: &Option<Vec<u8>>) -> usize {
    k.len() + v.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD
}

/// The engine the shared core runs on: overlay first, then sled.
pub(crate) struct LogEngine(pub(crate) Arc<Shared>);

impl Engine for LogEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        {
            let o = self.0.read();
            if let Some(v) = o.active.get(key) {
                return Ok(v.clone());
            }
            for f in o.frozen.iter().rev() {
                if let Some(v) = f.map.get(key) {
                    return Ok(v.clone());
                }
            }
        }
        // Not in the overlay: sled holds the latest value. A write that lands in the overlay
        // meanwhile is simply ordered after this read.
        Ok(self.0.tree.get(key)?.map(|v| v.to_vec()))
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
        // Held for the whole scan: no write is applied and no frozen map is dropped meanwhile,
        // and a checkpoint only copies into sled values the frozen maps still shadow, so the
        // scan sees one consistent state.
        let o = self.0.read();
        let bounds = (
            Bound::Included(lo),
            hi.map_or(Bound::Unbounded, Bound::Excluded),
        );
        // Newest layer first: it wins on equal keys.
        let mut layers: Vec<Layer<'_>> = Vec::with_capacity(1 + o.frozen.len());
        layers.push(Layer::new(&o.active, bounds, reverse));
        for f in o.frozen.iter().rev() {
            layers.push(Layer::new(&f.map, bounds, reverse));
        }
        let base = match hi {
            Some(h) => self.0.tree.range(lo..h),
            None => self.0.tree.range(lo..),
        };
        let mut base: Box<dyn Iterator<Item = ::sled::Result<(::sled::IVec, ::sled::IVec)>>> =
            if reverse {
                Box::new(base.rev())
            } else {
                Box::new(base)
            };
        let mut next_base = base.next().transpose()?;
        let before = |a: &[u8], b: &[u8]| if reverse { a > b } else { a < b };
        loop {
            // The smallest (or, in reverse, largest) key among the layers, newest on ties.
            let mut best: Option<(usize, &[u8])> = None;
            for (i, l) in layers.iter().enumerate() {
                if let Some((k, _)) = l.peek() {
                    if best.is_none_or(|(_, b)| before(k, b)) {
                        best = Some((i, k));
                    }
                }
            }
            let base_key = next_base.as_ref().map(|(k, _)| k.as_ref());
            let (from_overlay, base_too) = match (best, base_key) {
                (None, None) => return Ok(()),
                (Some(_), None) => (true, false),
                (None, Some(_)) => (false, false),
                (Some((_, k)), Some(b)) => (!before(b, k), b == k),
            };
            if let (true, Some((i, k))) = (from_overlay, best) {
                if base_too {
                    // The overlay's entry shadows sled's.
                    next_base = base.next().transpose()?;
                }
                let mut value = None;
                for (j, l) in layers.iter_mut().enumerate() {
                    if l.peek().is_some_and(|(lk, _)| lk == k) {
                        let v = l.next_value();
                        if j == i {
                            value = v;
                        }
                    }
                }
                if let Some(v) = value {
                    if !visit(k, v)? {
                        return Ok(());
                    }
                }
            } else {
                let Some((k, v)) = next_base.take() else {
                    return Ok(());
                };
                next_base = base.next().transpose()?;
                if !visit(&k, &v)? {
                    return Ok(());
                }
            }
        }
    }

    fn apply(&self, writes: Writes) -> Result<()> {
        let shared = &self.0;
        // Encoded and checksummed before the lock; framed straight into the buffer under it.
        let payload = crate::sled::enc_intent(&writes);
        let crc = crc32fast::hash(&payload);
        let (kick, full) = {
            let mut o = shared.write();
            frame_checked(&payload, crc, &mut o.pending);
            for (k, v) in writes {
                let add = entry_bytes(&k, &v);
                let new_len = v.as_ref().map_or(0, Vec::len);
                o.active_bytes = match o.active.insert(k, v) {
                    // The key was counted already: only the value changes.
                    Some(old) => {
                        (o.active_bytes + new_len).saturating_sub(old.as_ref().map_or(0, Vec::len))
                    }
                    None => o.active_bytes.saturating_add(add),
                };
            }
            let kick =
                o.active_bytes >= shared.tuning.checkpoint_bytes || o.pending.len() >= PENDING_WAKE;
            let full = o.active_bytes + o.frozen_bytes > shared.tuning.max_overlay_bytes();
            (kick, full)
        };
        if kick {
            shared.lock().kick = true;
            shared.wake.notify_one();
        }
        if full {
            // Back-pressure: wait (bounded) for the checkpoint thread to catch up.
            let deadline = Instant::now() + BACKPRESSURE_WAIT;
            let mut s = shared.lock();
            while !s.shutdown && Instant::now() < deadline {
                let o = shared.read();
                if o.active_bytes + o.frozen_bytes <= shared.tuning.max_overlay_bytes()
                    || o.frozen.is_empty() && o.active_bytes < shared.tuning.checkpoint_bytes
                {
                    break;
                }
                drop(o);
                s = shared
                    .drained
                    .wait_timeout(s, Duration::from_millis(50))
                    .unwrap_or_else(poisoned)
                    .0;
            }
        }
        Ok(())
    }
}

/// An overlay entry: a key and its latest value (`None`: deleted).
type Entry<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

/// One sorted layer of the overlay, walked in the scan's direction.
struct Layer<'a> {
    iter: Box<dyn Iterator<Item = Entry<'a>> + 'a>,
    head: Option<Entry<'a>>,
}

impl<'a> Layer<'a> {
    fn new(map: &'a Writes, bounds: (Bound<&[u8]>, Bound<&[u8]>), reverse: bool) -> Self {
        let range = map.range::<[u8], _>(bounds);
        let mut iter: Box<dyn Iterator<Item = _> + 'a> = if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        let head = iter.next();
        Layer { iter, head }
    }
    fn peek(&self) -> Option<(&'a [u8], &'a Option<Vec<u8>>)> {
        self.head.map(|(k, v)| (k.as_slice(), v))
    }
    /// Takes the head entry and returns its value (`None`: deleted).
    fn next_value(&mut self) -> Option<&'a [u8]> {
        let v = self.head.take().and_then(|(_, v)| v.as_deref());
        self.head = self.iter.next();
        v
    }
}

/// The log and checkpoint threads, stopped (after a last sync and checkpoint) on drop.
pub(crate) struct Log {
    pub(crate) shared: Arc<Shared>,
    log_thread: Option<std::thread::JoinHandle<()>>,
    checkpoint_thread: Option<std::thread::JoinHandle<()>>,
}

impl Log {
    /// Starts the threads; `next_segment` is the first segment number to write.
    pub(crate) fn start(
        tree: ::sled::Tree,
        db: ::sled::Db,
        dir: PathBuf,
        next_segment: u64,
        tuning: Tuning,
    ) -> Result<Self> {
        let shared = Arc::new(Shared {
            tree,
            db,
            overlay: RwLock::new(Overlay::default()),
            state: Mutex::new(LogState::default()),
            wake: Condvar::new(),
            drained: Condvar::new(),
            tuning,
            dir,
            syncs: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            checkpoints: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel::<(u64, Arc<Writes>)>();
        let for_checkpoints = shared.clone();
        let checkpoint_thread = std::thread::Builder::new()
            .name("fedi-storage-checkpoint".into())
            .spawn(move || checkpointer(&for_checkpoints, &rx))
            .map_err(|e| Error::Open(format!("cannot start the checkpoint thread: {e}")))?;
        let for_log = shared.clone();
        let log_thread = std::thread::Builder::new()
            .name("fedi-storage-log".into())
            .spawn(move || logger(&for_log, next_segment, &tx))
            .map_err(|e| Error::Open(format!("cannot start the log thread: {e}")))?;
        Ok(Log {
            shared,
            log_thread: Some(log_thread),
            checkpoint_thread: Some(checkpoint_thread),
        })
    }

    /// Waits until every write applied before this call is synced to the log; `writes` is how
    /// many logical writes this covers (for the statistics).
    pub(crate) async fn commit(&self, writes: u64) -> Result<()> {
        self.shared.writes.fetch_add(writes, Ordering::Relaxed);
        self.shared.commits.fetch_add(1, Ordering::Relaxed);
        self.sync().await
    }

    /// Waits until every write applied before this call is synced to the log.
    pub(crate) async fn sync(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.shared.lock();
            if let Some(e) = &s.failed {
                return Err(Error::Backend(format!("the write-ahead log failed: {e}")));
            }
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
            Err(_) => Err(Error::Backend("store closed before the log sync".into())),
        }
    }

    /// Copies every write applied before this call into sled and returns once sled has
    /// flushed it and the log segments holding it are deleted.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.shared.lock();
            if s.shutdown {
                return Err(Error::Backend("store closed".into()));
            }
            s.checkpoint_requests.push(tx);
        }
        self.shared.wake.notify_one();
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(Error::Backend("store closed before the checkpoint".into())),
        }
    }

    /// Whether the write-ahead log has failed (every later write fails).
    pub(crate) fn failed(&self) -> bool {
        self.shared.lock().failed.is_some()
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        // The log thread syncs, freezes what is left and hands it over before it ends; the
        // checkpoint thread then ends when its channel closes. Neither panics unless sled or
        // the allocator does; nothing more could be done about it here.
        if let Some(t) = self.log_thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.checkpoint_thread.take() {
            let _ = t.join();
        }
    }
}

/// The open log segment.
struct Segment {
    number: u64,
    file: Option<File>,
}

impl Segment {
    /// Appends and syncs `buf` (creating the segment file first if needed).
    fn append(&mut self, dir: &Path, buf: &[u8]) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join(segment_name(self.number)))?;
                // The new name must survive a crash as well as what is written into it.
                sync_dir(dir)?;
                self.file.insert(f)
            }
        };
        file.write_all(buf)?;
        file.sync_data()
    }
    /// Starts the next segment (its file is created on the first write).
    fn rotate(&mut self) {
        self.file = None;
        self.number += 1;
    }
}

/// The log thread: syncs records for waiting writers (or on a timer), freezes the overlay
/// when a checkpoint is due and hands it to the checkpoint thread.
fn logger(shared: &Shared, first_segment: u64, to_checkpoint: &mpsc::Sender<(u64, Arc<Writes>)>) {
    /// However the thread ends, later writers must not wait for it.
    struct Closing<'a>(&'a Shared);
    impl Drop for Closing<'_> {
        fn drop(&mut self) {
            let mut s = self.0.lock();
            s.shutdown = true;
            s.waiters.clear();
            s.checkpoint_requests.clear();
        }
    }
    let _closing = Closing(shared);
    let tuning = shared.tuning;
    let mut segment = Segment {
        number: first_segment,
        file: None,
    };
    let mut last_flush = Instant::now();
    let mut last_checkpoint = Instant::now();
    loop {
        let (target, requests, shutdown, checkpoint_due) = {
            let mut s = shared.lock();
            loop {
                let now = Instant::now();
                let flush_due = !tuning.flush_on_write
                    && tuning.flush_every.is_some_and(|d| now >= last_flush + d);
                let checkpoint_due = tuning
                    .checkpoint_every
                    .is_some_and(|d| now >= last_checkpoint + d);
                if s.shutdown
                    || s.kick
                    || !s.waiters.is_empty()
                    || !s.checkpoint_requests.is_empty()
                    || flush_due
                    || checkpoint_due
                {
                    s.kick = false;
                    break (
                        s.issued,
                        std::mem::take(&mut s.checkpoint_requests),
                        s.shutdown,
                        checkpoint_due,
                    );
                }
                // Bounded: each wait ends within a second, or earlier when notified.
                s = shared
                    .wake
                    .wait_timeout(s, Duration::from_secs(1))
                    .unwrap_or_else(poisoned)
                    .0;
            }
        };
        if checkpoint_due {
            last_checkpoint = Instant::now();
        }
        let failed = shared.lock().failed.clone();
        // Take the records to write and, if a checkpoint is due, freeze the overlay at the
        // same point: every record of the frozen map goes to this segment or an earlier one.
        let (buf, frozen) = {
            let mut o = shared.write();
            // The next buffer starts with room for as much as this one held.
            let room = o.pending.len();
            let buf = std::mem::replace(&mut o.pending, Vec::with_capacity(room));
            let freeze = !o.active.is_empty()
                && failed.is_none()
                && (shutdown
                    || checkpoint_due
                    || !requests.is_empty()
                    || o.active_bytes >= tuning.checkpoint_bytes);
            let frozen = if freeze {
                let map = Arc::new(std::mem::take(&mut o.active));
                let bytes = std::mem::take(&mut o.active_bytes);
                o.frozen_bytes += bytes;
                o.frozen.push_back(Frozen {
                    map: map.clone(),
                    bytes,
                });
                Some(map)
            } else {
                None
            };
            (buf, frozen)
        };
        let result: std::result::Result<(), String> = match &failed {
            Some(e) => Err(format!("the write-ahead log failed: {e}")),
            None if buf.is_empty() => Ok(()),
            None => {
                let r = segment.append(&shared.dir, &buf);
                shared.syncs.fetch_add(1, Ordering::Relaxed);
                match r {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let msg = format!("{}: {e}", shared.dir.display());
                        tracing::error!(error = %msg, "write-ahead log write failed; the store refuses writes from now on");
                        shared.lock().failed = Some(msg.clone());
                        Err(format!("the write-ahead log failed: {msg}"))
                    }
                }
            }
        };
        last_flush = Instant::now();
        let frozen_segment = segment.number;
        if frozen.is_some() {
            segment.rotate();
            last_checkpoint = Instant::now();
        }
        {
            let mut s = shared.lock();
            let n = s.waiters.iter().take_while(|(t, _)| *t <= target).count();
            for (_, tx) in s.waiters.drain(..n) {
                // The writer may have stopped waiting (its future was dropped).
                let _ = tx.send(result.clone().map_err(Error::Backend));
            }
            if frozen.is_some() {
                s.freezes += 1;
            }
            // A checkpoint request is answered once every overlay frozen so far is in sled.
            let wanted = s.freezes;
            for tx in requests {
                if let Err(e) = &result {
                    let _ = tx.send(Err(Error::Backend(e.clone())));
                } else if s.checkpoints_done >= wanted {
                    let _ = tx.send(Ok(()));
                } else {
                    s.checkpoint_waiters.push((wanted, tx));
                }
            }
        }
        if let Some(map) = frozen {
            if to_checkpoint.send((frozen_segment, map)).is_err() {
                tracing::error!("the checkpoint thread ended; the log keeps every write");
            }
        }
        if shutdown {
            return;
        }
    }
}

/// The checkpoint thread: copies each frozen overlay into sled, flushes sled, deletes the log
/// segments it covered, then drops the map from the overlay. Ends when the log thread does.
fn checkpointer(shared: &Shared, frozen: &mpsc::Receiver<(u64, Arc<Writes>)>) {
    while let Ok((segment, map)) = frozen.recv() {
        let mut attempt = 0u32;
        loop {
            match copy_into_sled(shared, &map) {
                Ok(()) => break,
                Err(e) => {
                    attempt += 1;
                    tracing::error!(error = %e, attempt, "checkpoint into sled failed; the log keeps the writes");
                    if shared.lock().shutdown || attempt >= 30 {
                        // Left to the replay at the next open.
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        // The segments are only needed until sled holds their writes. A failure to delete
        // one only means it is replayed again at the next open, which is harmless.
        if let Ok(all) = segments(&shared.dir) {
            for (n, path) in all {
                if n <= segment {
                    if let Err(e) = std::fs::remove_file(&path) {
                        tracing::warn!(path = %path.display(), error = %e, "cannot delete a checkpointed log segment");
                    }
                }
            }
        }
        {
            let mut o = shared.write();
            if let Some(f) = o.frozen.pop_front() {
                o.frozen_bytes = o.frozen_bytes.saturating_sub(f.bytes);
            }
        }
        shared.checkpoints.fetch_add(1, Ordering::Relaxed);
        let mut s = shared.lock();
        s.checkpoints_done += 1;
        let done = s.checkpoints_done;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut s.checkpoint_waiters)
            .into_iter()
            .partition(|(n, _)| *n <= done);
        s.checkpoint_waiters = waiting;
        drop(s);
        for (_, tx) in ready {
            let _ = tx.send(Ok(()));
        }
        shared.drained.notify_all();
    }
}

/// Copies a frozen overlay into sled as one sled batch (atomic in sled: if the data file
/// later loses its tail, a checkpoint is there whole or not at all, so no logical write is
/// ever torn), then flushes sled.
fn copy_into_sled(shared: &Shared, map: &Writes) -> Result<()> {
    let mut batch = ::sled::Batch::default();
    for (k, v) in map {
        match v {
            Some(v) => batch.insert(k.as_slice(), v.as_slice()),
            None => batch.remove(k.as_slice()),
        }
    }
    shared.tree.apply_batch(batch)?;
    shared.db.flush()?;
    Ok(())
}
