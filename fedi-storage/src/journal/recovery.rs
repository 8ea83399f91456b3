//! Opening a journal: the scan of its segments, the cut of a torn tail, and the recovery of
//! leases a restart interrupted (see the parent module's docs, "Recovery").

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::record::FILE_MAGIC;
use super::{
    adopted, lock, segment, Cursor, Done, Journal, Seg, State, SyncInner, SyncShared, Writer,
};
use crate::core::{Core, Engine};
use crate::error::Result;

impl Journal {
    /// Opens (or creates) the journal of `queue` in `dir`, recovering as the module docs say.
    /// Returns whether it wrote to sled (the caller flushes then).
    pub(crate) fn open<E: Engine>(
        dir: PathBuf,
        queue: &str,
        segment_bytes: u64,
        core: &Core<E>,
    ) -> Result<(Journal, bool)> {
        std::fs::create_dir_all(&dir).map_err(|e| segment::io("creating", &dir, e))?;
        let (pos, bitmaps) = core.journal_state(queue)?;
        let bitmaps: HashMap<u64, Vec<u8>> = bitmaps.into_iter().collect();
        let mut bases = segment::list(&dir)?;
        let pos = pos.unwrap_or_default();
        if bases.is_empty() {
            // After the ids the queue's sled records gave (jobs enqueued before the queue was
            // journaled), which they keep: an id is never given twice.
            let base = pos.frontier.max(core.queue_seq(queue)? + 1);
            segment::create(&dir, base)?;
            bases.push(base);
        }
        let frontier = pos.frontier.max(bases.first().copied().unwrap_or(1));
        let is_handled = |base: u64, id: u64| -> bool {
            let i = id - base;
            bitmaps
                .get(&base)
                .and_then(|b| b.get(usize::try_from(i / 8).ok()?))
                .is_some_and(|byte| byte & (1 << (i % 8)) != 0)
        };
        let mut segments = BTreeMap::new();
        let mut lanes: BTreeMap<String, u64> = BTreeMap::new();
        let mut recover: Vec<(u64, u64)> = Vec::new();
        let mut cursor_at: Option<(u64, u64)> = None;
        let last = bases.last().copied().unwrap_or(1);
        let mut active_len = FILE_MAGIC.len() as u64;
        let mut next_id = last;
        for &base in &bases {
            let file = segment::open_read(&dir, base)?;
            let mut seg = Seg::default();
            let (end, torn) = segment::scan(&file, base, |h, off| {
                seg.records += 1;
                if is_handled(base, h.id) {
                    seg.handled += 1;
                } else if h.id < frontier {
                    recover.push((base, off));
                } else {
                    *lanes.entry(h.lane.clone()).or_default() += 1;
                }
                if h.id == frontier {
                    cursor_at = Some((base, off));
                }
            })?;
            if base == last {
                if torn || end < FILE_MAGIC.len() as u64 {
                    tracing::warn!(segment = base, at = end, "journal: torn tail cut");
                    cut(&dir, base, end)?;
                }
                active_len = end.max(FILE_MAGIC.len() as u64);
                next_id = base + seg.records;
            } else if torn {
                tracing::error!(
                    segment = base,
                    at = end,
                    "journal: damaged segment; its records after the damage are lost"
                );
            }
            segments.insert(base, seg);
        }
        let mut active = last;
        if frontier > next_id {
            // The stored position is past the records on disk (segments removed by hand):
            // never reuse an id that may be in sled already.
            tracing::warn!(frontier, next_id, "journal: position past the last record");
            segment::create(&dir, frontier)?;
            segments.insert(frontier, Seg::default());
            active = frontier;
            active_len = FILE_MAGIC.len() as u64;
            next_id = frontier;
        }
        let (cbase, coff) = cursor_at.unwrap_or((active, active_len));
        let mut state = State {
            segments,
            active,
            cursor: Cursor {
                next_id: frontier
                    .max(bases.first().copied().unwrap_or(1))
                    .min(next_id),
                base: cbase,
                offset: coff,
                file: None,
            },
            until: pos.until,
            leases: HashMap::new(),
            lanes,
        };
        if cursor_at.is_none() {
            state.cursor.next_id = next_id;
        }
        let journal = Journal {
            queue: queue.to_owned(),
            dir: dir.clone(),
            segment_bytes: segment_bytes.max(FILE_MAGIC.len() as u64 + 1),
            writer: Mutex::new(Writer {
                file: Arc::new(segment::open_append(&dir, active)?),
                base: active,
                len: active_len,
                next_id,
            }),
            sync: Arc::new(SyncShared {
                inner: Mutex::new(SyncInner::default()),
                durable: watch::Sender::new(next_id.saturating_sub(1)),
            }),
            state: Mutex::new(state),
        };
        // Records leased when the process stopped: adopted as leased once.
        let mut wrote = false;
        if !recover.is_empty() {
            tracing::info!(
                records = recover.len(),
                "journal: leases interrupted by a restart"
            );
            let mut st = lock(&journal.state);
            let until = st.until;
            let mut loaded = Vec::with_capacity(recover.len());
            for (base, offset) in recover {
                loaded.push(journal.load(base, offset)?);
            }
            core.journal_write(|_, tx| {
                for l in &loaded {
                    tx.adopt(queue, l.head.id, adopted(l, 1, until, true))?;
                    tx.mark_handled(queue, l.base, l.head.id - l.base)?;
                }
                Ok(())
            })?;
            for l in &loaded {
                let _ = st.handled(l.base);
            }
            wrote = true;
        }
        // Segments done before the restart (their deletion was interrupted) and bitmaps of
        // segments no longer there.
        let done: Vec<u64> = {
            let st = lock(&journal.state);
            st.segments
                .iter()
                .filter(|(b, s)| **b != st.active && s.handled >= s.records)
                .map(|(b, _)| *b)
                .collect()
        };
        let stale: Vec<u64> = bitmaps
            .keys()
            .copied()
            .filter(|b| !lock(&journal.state).segments.contains_key(b))
            .collect();
        if !stale.is_empty() {
            core.journal_write(|_, tx| {
                stale.iter().try_for_each(|b| tx.forget_segment(queue, *b))
            })?;
            wrote = true;
        }
        journal.remove_segments(core, Done(done))?;
        Ok((journal, wrote))
    }
}

/// Cuts the active segment at `end` (rewriting the magic if even that was torn), durably.
fn cut(dir: &Path, base: u64, end: u64) -> Result<()> {
    let p = segment::path(dir, base);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .map_err(|e| segment::io("opening", &p, e))?;
    let r = if end < FILE_MAGIC.len() as u64 {
        f.set_len(0).and_then(|()| f.write_all(FILE_MAGIC))
    } else {
        f.set_len(end)
    };
    r.and_then(|()| f.sync_all())
        .map_err(|e| segment::io("cutting", &p, e))
}
