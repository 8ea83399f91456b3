//! The sled backend's journal state in the engine: per journaled queue, the consumed position
//! (the first record never leased, and the end of the latest lease of fresh records) and, per
//! segment, a bitmap of its handled records. See `crate::journal` for the journal itself.

use super::codec::*;
use super::queues::AdoptedJob;
use super::{Core, Engine, Tx};
use crate::error::Result;

/// The durable part of a journal's reader: every record before `frontier` has been leased
/// at least once; the latest lease of fresh records ends at `until` (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Position {
    pub(crate) frontier: u64,
    pub(crate) until: u64,
}

/// The handled bitmaps of a journal's segments: (segment base, bits).
pub(crate) type Bitmaps = Vec<(u64, Vec<u8>)>;

fn pos_key(q: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOURNAL).name(q)?.bytes(b"P").build())
}
fn handled_prefix(q: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOURNAL).name(q)?.bytes(b"H").build())
}
fn handled_key(q: &str, base: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOURNAL).name(q)?.bytes(b"H").u64(base).build())
}

fn dec_handled(key: &[u8], buf: &[u8]) -> Result<Vec<u8>> {
    let mut d = Dec::expect(key, buf, K_JOURNAL_HANDLED)?;
    let bits = d.bytes()?;
    d.finish()?;
    Ok(bits)
}

impl<E: Engine> Core<E> {
    /// The stored position and the handled bitmaps (segment base, bits) of queue `q`.
    pub(crate) fn journal_state(&self, q: &str) -> Result<(Option<Position>, Bitmaps)> {
        let pk = pos_key(q)?;
        let pos = match self.engine.get(&pk)? {
            None => None,
            Some(v) => {
                let mut d = Dec::expect(&pk, &v, K_JOURNAL_POS)?;
                let p = Position {
                    frontier: d.u64()?,
                    until: d.u64()?,
                };
                d.finish()?;
                Some(p)
            }
        };
        let prefix = handled_prefix(q)?;
        let bitmaps = self
            .collect(&prefix, prefix_end(&prefix).as_deref(), false, usize::MAX)?
            .into_iter()
            .map(|(k, v)| Ok((key_u64(&k, prefix.len())?, dec_handled(&k, &v)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok((pos, bitmaps))
    }

    /// Runs the journal's steps `f` as one atomic write (with the queue steps it calls).
    pub(crate) fn journal_write<T>(
        &self,
        f: impl FnOnce(&Self, &mut JournalTx<'_, '_, E>) -> Result<T>,
    ) -> Result<T> {
        self.write(|tx| {
            let mut jtx = JournalTx { tx };
            f(self, &mut jtx)
        })
    }
}

/// A write transaction seen by the journal: its own keys plus the queue steps it needs.
pub(crate) struct JournalTx<'a, 'e, E: Engine> {
    tx: &'a mut Tx<'e, E>,
}

impl<E: Engine> JournalTx<'_, '_, E> {
    /// Whether the transaction has any write.
    pub(crate) fn wrote(&self) -> bool {
        !self.tx.writes.is_empty()
    }

    /// Stores the consumed position.
    pub(crate) fn set_position(&mut self, q: &str, p: Position) -> Result<()> {
        self.tx.put(
            pos_key(q)?,
            Enc::new(K_JOURNAL_POS)
                .u64(p.frontier)
                .u64(p.until)
                .finish(),
        );
        Ok(())
    }

    /// Marks record `index` of the segment starting at `base` handled.
    pub(crate) fn mark_handled(&mut self, q: &str, base: u64, index: u64) -> Result<()> {
        let k = handled_key(q, base)?;
        let mut bits = match self.tx.get(&k)? {
            Some(v) => dec_handled(&k, &v).unwrap_or_default(),
            None => Vec::new(),
        };
        let byte = usize::try_from(index / 8).unwrap_or(usize::MAX);
        if bits.len() <= byte {
            bits.resize(byte.saturating_add(1), 0);
        }
        if let Some(b) = bits.get_mut(byte) {
            *b |= 1 << (index % 8);
        }
        self.tx
            .put(k, Enc::new(K_JOURNAL_HANDLED).bytes(&bits).finish());
        Ok(())
    }

    /// Forgets the bitmap of a deleted segment.
    pub(crate) fn forget_segment(&mut self, q: &str, base: u64) -> Result<()> {
        self.tx.del(handled_key(q, base)?);
        Ok(())
    }

    /// Hands a record over to the queue's sled records (see `Core::tx_adopt`).
    pub(crate) fn adopt(&mut self, q: &str, id: u64, job: AdoptedJob) -> Result<()> {
        Core::tx_adopt(self.tx, q, id, job)
    }

    /// The queue's acknowledgement step.
    pub(crate) fn ack(&mut self, q: &str, lease: &crate::Lease) -> Result<()> {
        Core::tx_ack(self.tx, q, lease)
    }

    /// The queue's retry step.
    pub(crate) fn retry(
        &mut self,
        q: &str,
        lease: &crate::Lease,
        error: &str,
        not_before: crate::Timestamp,
        now: crate::Timestamp,
    ) -> Result<crate::RetryOutcome> {
        Core::tx_retry(self.tx, q, lease, error, not_before, now)
    }

    /// The queue's bury step.
    pub(crate) fn bury(
        &mut self,
        q: &str,
        lease: &crate::Lease,
        error: &str,
        now: crate::Timestamp,
    ) -> Result<()> {
        Core::tx_bury(self.tx, q, lease, error, now)
    }

    /// The queue's lease step over its sled records.
    pub(crate) fn lease(
        &mut self,
        core: &Core<E>,
        q: &str,
        req: &crate::LeaseRequest,
    ) -> Result<Vec<crate::Job>> {
        core.tx_lease(self.tx, q, req)
    }
}

impl<E: Engine> Core<E> {
    /// The (due, id) of up to `limit` sled-held jobs of `q` due at `now`.
    pub(crate) fn journal_peek_due(
        &self,
        q: &str,
        now: crate::Timestamp,
        limit: usize,
    ) -> Result<Vec<(u64, u64)>> {
        self.peek_due(q, now, limit)
    }
}
