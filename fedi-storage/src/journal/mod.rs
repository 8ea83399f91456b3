//! The sled backend's queue journal: the home of a journaled queue (the inbox), where an
//! enqueue is one append to a file rather than four sled keys.
//!
//! # Layout
//!
//! A journal is a directory of segment files, `{first id:020}.seg`, each holding records with
//! consecutive ids (see [`record`] for the format: a length, a CRC-32 and the job's lane,
//! due time, attempt limit and payload bytes). Appends go to the newest (active) segment; when
//! it would pass the segment size a new one is started (the old one is synced first).
//!
//! # Group commit
//!
//! [`Journal::enqueue`] appends its record under the writer lock, then waits until a
//! `fdatasync` has covered it. The first waiter that finds no sync running leads: it syncs
//! the active segment on a blocking thread, covering every record appended before the sync
//! started, and wakes everyone; waiters that arrive while a sync runs wait for it and then, if
//! it did not cover them, one of them leads the next. So concurrent enqueues share one
//! `fdatasync`, and none returns before its record is on disk. A failed sync fails the
//! journal: every later enqueue errors (after a failed `fdatasync` the page cache may no
//! longer say what is on disk).
//!
//! # Reading, leasing, handling
//!
//! Records are read in id order from a cursor (only records already synced), at most a
//! lease's `limit` at a time: nothing queued is held in memory beyond the records in hand
//! (and the in-memory lease of each, without its payload). A lease of fresh records stores
//! the reader's position (the first id never leased, and when that lease ends) in sled, so
//! the attempt is not lost in a crash. An acknowledgement marks the record handled in its
//! segment's bitmap (one sled key per segment). The rare records that do not fit the fast
//! path are handed to the queue's sled records under their own id ("adopted"), which then
//! give them the full queue semantics (retries with back-off, lease expiry, dead letters,
//! lanes): a record whose handler failed (retry, bury), whose lease ended, that is not due
//! yet, or that a lane-restricted lease needs. An adopted record counts as handled in the
//! journal. A segment whose records are all handled, other than the active one, is deleted.
//!
//! # Recovery
//!
//! On open every segment is scanned: the active one's records are checked up to the first
//! torn or damaged record (a short read or a failed checksum, what a crash in the middle of
//! an append leaves), and the file is cut there. Records below the stored position that are
//! not handled were leased when the process stopped; they are adopted as leased once, due
//! when that lease ends, as a lease that ended does in the sled queue.

mod queue_store;
mod record;
mod recovery;
mod segment;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::core::journal::Position;
use crate::core::queues::AdoptedJob;
use crate::core::{Core, Engine};
use crate::error::{Error, Result};
use crate::queues::{Job, Lease, LeaseRequest, NewJob, RetryOutcome};
use crate::time::Timestamp;
use record::{Head, FILE_MAGIC};
use segment::Read;

/// The default size at which a new segment is started: 4 MiB (about 1,800 inbox deliveries
/// of 2.3 KB; a segment's bytes are freed once all of its records are handled).
pub const DEFAULT_SEGMENT_BYTES: u64 = 4 << 20;

/// Which queues a [`SledStore`](crate::sled::SledStore) keeps in its journal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum JournalQueues {
    /// None: every queue in sled's tree.
    #[default]
    None,
    /// These queues (a server's inbox queue: `Named(vec!["inbox".into()])`).
    Named(Vec<String>),
    /// Every queue (to run the conformance suite's queue cases on the journal).
    All,
}

impl JournalQueues {
    /// Whether `queue` is journaled.
    pub fn includes(&self, queue: &str) -> bool {
        match self {
            JournalQueues::None => false,
            JournalQueues::Named(names) => names.iter().any(|n| n == queue),
            JournalQueues::All => true,
        }
    }
}

/// A journal's directory name: the queue name with bytes other than ASCII letters, digits,
/// `-` and `_` written `%XX`.
pub(crate) fn dir_name(queue: &str) -> String {
    let mut out = String::with_capacity(queue.len());
    for b in queue.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Records handed to sled per write by a lane-restricted lease.
const SPILL_CHUNK: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks is completed before anything can fail, or is undone:
    // a poisoned lock carries no broken state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One journaled queue.
pub(crate) struct Journal {
    queue: String,
    dir: PathBuf,
    segment_bytes: u64,
    writer: Mutex<Writer>,
    sync: Arc<SyncShared>,
    state: Mutex<State>,
}

struct Writer {
    file: Arc<File>,
    base: u64,
    len: u64,
    next_id: u64,
}

struct SyncShared {
    inner: Mutex<SyncInner>,
    /// The highest id known to be on disk.
    durable: watch::Sender<u64>,
}

#[derive(Default)]
struct SyncInner {
    syncing: bool,
    failed: Option<String>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Seg {
    records: u64,
    handled: u64,
}

struct Cursor {
    next_id: u64,
    base: u64,
    offset: u64,
    file: Option<File>,
}

/// A fresh record leased from the journal (attempt 1), without its payload.
struct Fresh {
    base: u64,
    offset: u64,
    until: u64,
    lane: String,
}

struct State {
    segments: BTreeMap<u64, Seg>,
    active: u64,
    cursor: Cursor,
    until: u64,
    leases: HashMap<u64, Fresh>,
    /// Records neither handled nor adopted, per lane.
    lanes: BTreeMap<String, u64>,
}

/// A record read back, with where it lives.
struct Loaded {
    head: Head,
    payload: Vec<u8>,
    base: u64,
    offset: u64,
}

impl State {
    fn segment_of(&self, id: u64) -> Option<u64> {
        self.segments.range(..=id).next_back().map(|(b, _)| *b)
    }

    fn lane_sub(&mut self, lane: &str) {
        if let Some(n) = self.lanes.get_mut(lane) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.lanes.remove(lane);
            }
        }
    }

    /// Counts a record handled; returns its segment's base if that segment is now done.
    fn handled(&mut self, base: u64) -> Option<u64> {
        let active = self.active;
        let seg = self.segments.get_mut(&base)?;
        seg.handled += 1;
        (seg.handled >= seg.records && base != active).then_some(base)
    }

    /// Reads the record at the cursor (if it is at most `durable`) and moves past it.
    fn read_next(&mut self, dir: &Path, durable: u64) -> Result<Option<Loaded>> {
        loop {
            let id = self.cursor.next_id;
            if id > durable {
                return Ok(None);
            }
            let Some(base) = self.segment_of(id) else {
                return Ok(None);
            };
            if self.cursor.file.is_none() || self.cursor.base != base {
                self.cursor.file = Some(segment::open_read(dir, base)?);
                if self.cursor.base != base {
                    self.cursor.base = base;
                    self.cursor.offset = FILE_MAGIC.len() as u64;
                }
            }
            let Some(file) = self.cursor.file.as_ref() else {
                return Ok(None);
            };
            match segment::read_at(file, self.cursor.offset)? {
                Read::Record(head, payload, next) if head.id == id => {
                    let offset = self.cursor.offset;
                    self.cursor.offset = next;
                    self.cursor.next_id = id + 1;
                    return Ok(Some(Loaded {
                        head,
                        payload,
                        base,
                        offset,
                    }));
                }
                _ => {
                    // The segment has no more whole records: go on at the next segment.
                    let next = self.segments.range(id + 1..).next().map(|(b, _)| *b);
                    match next {
                        Some(n) => {
                            if n != id {
                                tracing::error!(
                                    first = id,
                                    next = n,
                                    "journal: records missing from a damaged segment"
                                );
                            }
                            self.cursor.next_id = n;
                        }
                        None => return Ok(None),
                    }
                }
            }
        }
    }
}

/// What a journal operation leaves to do once its sled write is durable: the segments whose
/// records are all handled, to delete.
#[derive(Debug, Default)]
#[must_use]
pub(crate) struct Done(pub(crate) Vec<u64>);

impl Journal {
    fn load(&self, base: u64, offset: u64) -> Result<Loaded> {
        let file = segment::open_read(&self.dir, base)?;
        match segment::read_at(&file, offset)? {
            Read::Record(head, payload, _) => Ok(Loaded {
                head,
                payload,
                base,
                offset,
            }),
            Read::End => Err(Error::Corrupt {
                key: format!("journal {} segment {base} offset {offset}", self.queue),
                reason: "a record read before no longer reads back".into(),
            }),
        }
    }

    /// Appends a job and waits until it is on disk; returns its id.
    pub(crate) async fn enqueue(&self, job: &NewJob) -> Result<u64> {
        let id = self.append(job)?;
        self.wait_durable(id).await?;
        Ok(id)
    }

    fn append(&self, job: &NewJob) -> Result<u64> {
        if let Some(e) = &lock(&self.sync.inner).failed {
            return Err(Error::Backend(e.clone()));
        }
        let mut w = lock(&self.writer);
        let id = w.next_id;
        let head = Head {
            id,
            not_before: job.not_before.as_unix_millis(),
            max_attempts: job.max_attempts.max(1),
            lane: job.lane.clone(),
        };
        let rec = record::encode(&head, &job.payload)?;
        if w.len > FILE_MAGIC.len() as u64 && w.len + rec.len() as u64 > self.segment_bytes {
            self.roll(&mut w)?;
        }
        if let Err(e) = (&*w.file).write_all(&rec) {
            // Take the partial record back, or no later record could be read.
            if let Err(e2) = w.file.set_len(w.len) {
                lock(&self.sync.inner).failed =
                    Some(format!("journal: cannot cut a failed append: {e2}"));
            }
            return Err(segment::io(
                "appending to",
                &segment::path(&self.dir, w.base),
                e,
            ));
        }
        w.len += rec.len() as u64;
        w.next_id += 1;
        let mut st = lock(&self.state);
        st.segments.entry(w.base).or_default().records += 1;
        *st.lanes.entry(head.lane).or_default() += 1;
        Ok(id)
    }

    /// Starts a new segment (the writer lock is held): the old one is synced first, so the
    /// group commit only ever needs to sync the active segment.
    fn roll(&self, w: &mut Writer) -> Result<()> {
        let old = segment::path(&self.dir, w.base);
        w.file
            .sync_data()
            .map_err(|e| segment::io("syncing", &old, e))?;
        let last = w.next_id.saturating_sub(1);
        self.sync.durable.send_modify(|d| *d = (*d).max(last));
        let file = segment::create(&self.dir, w.next_id)?;
        w.file = Arc::new(file);
        w.base = w.next_id;
        w.len = FILE_MAGIC.len() as u64;
        let mut st = lock(&self.state);
        st.segments.insert(w.base, Seg::default());
        st.active = w.base;
        Ok(())
    }

    /// Waits until record `id` is on disk, leading a sync if none is running.
    async fn wait_durable(&self, id: u64) -> Result<()> {
        let mut rx = self.sync.durable.subscribe();
        loop {
            if *rx.borrow_and_update() >= id {
                return Ok(());
            }
            let lead = {
                let mut s = lock(&self.sync.inner);
                if let Some(e) = &s.failed {
                    return Err(Error::Backend(e.clone()));
                }
                !std::mem::replace(&mut s.syncing, true)
            };
            if lead {
                let (file, last, path) = {
                    let w = lock(&self.writer);
                    (
                        w.file.clone(),
                        w.next_id.saturating_sub(1),
                        segment::path(&self.dir, w.base),
                    )
                };
                let sync = self.sync.clone();
                // The sync and its bookkeeping run to the end even if this future is dropped.
                let task = tokio::task::spawn_blocking(move || {
                    let r = file.sync_data();
                    {
                        let mut s = lock(&sync.inner);
                        s.syncing = false;
                        if let Err(e) = &r {
                            s.failed = Some(format!("journal: syncing {}: {e}", path.display()));
                        }
                    }
                    // Always wake the waiters: those not covered lead the next sync.
                    sync.durable.send_modify(|d| {
                        if r.is_ok() {
                            *d = (*d).max(last);
                        }
                    });
                });
                if task.await.is_err() {
                    let mut s = lock(&self.sync.inner);
                    s.syncing = false;
                    s.failed = Some("journal: the sync task failed".into());
                }
            } else if rx.changed().await.is_err() {
                return Err(Error::Backend("journal closed".into()));
            }
        }
    }

    /// Leases due jobs: the sled-held ones and fresh records, earliest due first. Returns the
    /// jobs and whether sled was written (the caller then commits).
    pub(crate) fn lease<E: Engine>(
        &self,
        core: &Core<E>,
        req: &LeaseRequest,
    ) -> Result<(Vec<Job>, bool, Done)> {
        let q = self.queue.as_str();
        let mut st = lock(&self.state);
        let now = req.now.as_unix_millis();
        let durable = *self.sync.durable.borrow();
        let mut wrote = false;
        let mut done = Vec::new();
        // 1. Fresh leases that ended: adopted as leased (the sled queue re-leases them, or
        //    dead-letters a last attempt). A lane-restricted lease first hands every readable
        //    record to sled, whose index has lanes.
        let expired: Vec<u64> = st
            .leases
            .iter()
            .filter(|(_, f)| f.until <= now)
            .map(|(id, _)| *id)
            .collect();
        // In chunks, so that memory stays bounded however long the backlog.
        let mut expired = expired;
        loop {
            let mut spill_all = Vec::new();
            if req.lane.is_some() && req.limit > 0 {
                while spill_all.len() < SPILL_CHUNK {
                    match st.read_next(&self.dir, durable)? {
                        Some(l) => spill_all.push(l),
                        None => break,
                    }
                }
            }
            if expired.is_empty() && spill_all.is_empty() {
                break;
            }
            let mut loaded = Vec::with_capacity(expired.len());
            for id in std::mem::take(&mut expired) {
                if let Some(f) = st.leases.get(&id) {
                    loaded.push((self.load(f.base, f.offset)?, f.until));
                }
            }
            let position = Position {
                frontier: st.cursor.next_id,
                until: st.until,
            };
            core.journal_write(|_, tx| {
                for (l, until) in &loaded {
                    tx.adopt(q, l.head.id, adopted(l, 1, *until, true))?;
                    tx.mark_handled(q, l.base, l.head.id - l.base)?;
                }
                for l in &spill_all {
                    tx.adopt(q, l.head.id, adopted(l, 0, l.head.not_before, false))?;
                    tx.mark_handled(q, l.base, l.head.id - l.base)?;
                }
                if !spill_all.is_empty() {
                    tx.set_position(q, position)?;
                }
                Ok(())
            })?;
            wrote = true;
            for (l, _) in &loaded {
                st.leases.remove(&l.head.id);
                st.lane_sub(&l.head.lane);
                done.extend(st.handled(l.base));
            }
            for l in &spill_all {
                st.lane_sub(&l.head.lane);
                done.extend(st.handled(l.base));
            }
            if spill_all.len() < SPILL_CHUNK {
                break;
            }
        }
        if req.lane.is_some() || req.limit == 0 {
            let jobs = if req.limit == 0 {
                Vec::new()
            } else {
                core.journal_write(|c, tx| {
                    let jobs = tx.lease(c, q, req)?;
                    wrote |= tx.wrote();
                    Ok(jobs)
                })?
            };
            return Ok((jobs, wrote, Done(done)));
        }
        // 2. Fresh records from the cursor; those not due yet go to sled.
        let mut fresh = Vec::new();
        let mut spill = Vec::new();
        let mut reads = 0usize;
        while fresh.len() < req.limit && reads < req.limit.saturating_add(256) {
            let Some(l) = st.read_next(&self.dir, durable)? else {
                break;
            };
            reads += 1;
            if l.head.not_before > now {
                spill.push(l);
            } else {
                fresh.push(l);
            }
        }
        // 3. Merged with the sled-held jobs due, earliest due first.
        let held = core.journal_peek_due(q, req.now, req.limit)?;
        let mut order: Vec<(u64, u64, Option<usize>)> = held
            .iter()
            .map(|(due, id)| (*due, *id, None))
            .chain(
                fresh
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.head.not_before, l.head.id, Some(i))),
            )
            .collect();
        order.sort_unstable_by_key(|(due, id, _)| (*due, *id));
        order.truncate(req.limit);
        let from_sled = order.iter().filter(|o| o.2.is_none()).count();
        let mut chosen = vec![false; fresh.len()];
        for (_, _, i) in &order {
            if let Some(i) = i {
                chosen[*i] = true;
            }
        }
        let (taken, rest): (Vec<_>, Vec<_>) = fresh.into_iter().zip(chosen).partition(|(_, c)| *c);
        spill.extend(rest.into_iter().map(|(l, _)| l));
        let taken: Vec<Loaded> = taken.into_iter().map(|(l, _)| l).collect();
        let until = req.now.saturating_add(req.duration).as_unix_millis();
        let new_until = if taken.is_empty() {
            st.until
        } else {
            st.until.max(until)
        };
        let position = Position {
            frontier: st.cursor.next_id,
            until: new_until,
        };
        let moved = reads > 0;
        let sled_jobs = if moved || from_sled > 0 {
            core.journal_write(|c, tx| {
                for l in &spill {
                    tx.adopt(q, l.head.id, adopted(l, 0, l.head.not_before, false))?;
                    tx.mark_handled(q, l.base, l.head.id - l.base)?;
                }
                if moved {
                    tx.set_position(q, position)?;
                }
                let jobs = if from_sled > 0 {
                    let mut r = req.clone();
                    r.limit = from_sled;
                    tx.lease(c, q, &r)?
                } else {
                    Vec::new()
                };
                wrote |= tx.wrote();
                Ok(jobs)
            })?
        } else {
            Vec::new()
        };
        st.until = new_until;
        for l in &spill {
            st.lane_sub(&l.head.lane);
            done.extend(st.handled(l.base));
        }
        let mut jobs = sled_jobs;
        for l in taken {
            let lease = Lease {
                job: l.head.id,
                token: 1,
                until: Timestamp::from_unix_millis(until),
            };
            st.leases.insert(
                l.head.id,
                Fresh {
                    base: l.base,
                    offset: l.offset,
                    until,
                    lane: l.head.lane.clone(),
                },
            );
            jobs.push(Job {
                id: l.head.id,
                lane: l.head.lane,
                payload: l.payload,
                attempts: 1,
                max_attempts: l.head.max_attempts,
                last_error: None,
                lease,
            });
        }
        let rank: HashMap<u64, usize> = order.iter().enumerate().map(|(i, o)| (o.1, i)).collect();
        jobs.sort_by_key(|j| rank.get(&j.id).copied().unwrap_or(usize::MAX));
        Ok((jobs, wrote, Done(done)))
    }

    fn is_fresh(st: &State, lease: &Lease) -> bool {
        lease.token == 1 && st.leases.contains_key(&lease.job)
    }

    /// Acknowledges leases, fresh or sled-held, in one sled write: per lease whether it was
    /// still held.
    pub(crate) fn ack_many<E: Engine>(
        &self,
        core: &Core<E>,
        leases: &[Lease],
    ) -> Result<(Vec<bool>, Done)> {
        let q = self.queue.as_str();
        let mut st = lock(&self.state);
        let mut fresh = Vec::new();
        let out = core.journal_write(|_, tx| {
            let mut out = Vec::with_capacity(leases.len());
            for lease in leases {
                if Self::is_fresh(&st, lease) && !fresh.contains(&lease.job) {
                    if let Some(f) = st.leases.get(&lease.job) {
                        tx.mark_handled(q, f.base, lease.job - f.base)?;
                        fresh.push(lease.job);
                        out.push(true);
                    }
                    continue;
                }
                match tx.ack(q, lease) {
                    Ok(()) => out.push(true),
                    Err(e) if e.is_lease_lost() => out.push(false),
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })?;
        let mut done = Vec::new();
        for id in fresh {
            if let Some(f) = st.leases.remove(&id) {
                st.lane_sub(&f.lane);
                done.extend(st.handled(f.base));
            }
        }
        Ok((out, Done(done)))
    }

    /// Retries (`Some(not_before)`) or buries (`None`) a leased job; a fresh one is adopted
    /// by sled first, which then holds its retry state.
    pub(crate) fn fail<E: Engine>(
        &self,
        core: &Core<E>,
        lease: &Lease,
        error: &str,
        not_before: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(RetryOutcome, Done)> {
        let q = self.queue.as_str();
        let mut st = lock(&self.state);
        let fresh = if Self::is_fresh(&st, lease) {
            st.leases
                .get(&lease.job)
                .map(|f| (f.base, f.offset, f.until))
        } else {
            None
        };
        let loaded = match fresh {
            Some((base, offset, until)) => Some((self.load(base, offset)?, until)),
            None => None,
        };
        let outcome = core.journal_write(|_, tx| {
            if let Some((l, until)) = &loaded {
                tx.adopt(q, l.head.id, adopted(l, 1, *until, true))?;
                tx.mark_handled(q, l.base, l.head.id - l.base)?;
            }
            match not_before {
                Some(at) => tx.retry(q, lease, error, at, now),
                None => tx
                    .bury(q, lease, error, now)
                    .map(|()| RetryOutcome::DeadLettered),
            }
        })?;
        let mut done = Vec::new();
        if let Some((l, _)) = loaded {
            if let Some(f) = st.leases.remove(&l.head.id) {
                st.lane_sub(&f.lane);
                done.extend(st.handled(f.base));
            }
        }
        Ok((outcome, Done(done)))
    }

    /// Pending records per lane (not yet handled, not in sled).
    pub(crate) fn lane_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.state).lanes.clone()
    }

    /// Deletes the segments `done` names (after the sled write that finished them is
    /// durable), then forgets their bitmaps.
    pub(crate) fn remove_segments<E: Engine>(&self, core: &Core<E>, done: Done) -> Result<()> {
        if done.0.is_empty() {
            return Ok(());
        }
        let mut removed = Vec::new();
        {
            let mut st = lock(&self.state);
            for base in done.0 {
                if base == st.active || !st.segments.contains_key(&base) {
                    continue;
                }
                let p = segment::path(&self.dir, base);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(segment::io("removing", &p, e)),
                }
                st.segments.remove(&base);
                removed.push(base);
            }
        }
        if removed.is_empty() {
            return Ok(());
        }
        segment::sync_dir(&self.dir)?;
        let q = self.queue.as_str();
        core.journal_write(|_, tx| removed.iter().try_for_each(|b| tx.forget_segment(q, *b)))
    }

    /// Segment files and their bytes (for measurements and tests).
    pub(crate) fn segments(&self) -> Vec<u64> {
        lock(&self.state).segments.keys().copied().collect()
    }
}

/// The sled record of an adopted journal record.
fn adopted(l: &Loaded, attempts: u32, due_at: u64, leased: bool) -> AdoptedJob {
    AdoptedJob {
        lane: l.head.lane.clone(),
        payload: l.payload.clone(),
        attempts,
        max_attempts: l.head.max_attempts,
        due_at,
        leased,
    }
}
