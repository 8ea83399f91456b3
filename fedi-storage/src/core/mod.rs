//! The logic shared by the bundled backends, written once over a small ordered key-value
//! engine with atomic batches. Writes are serialized by one writer lock (held only for the
//! in-memory part of a write, never across a flush), so read-modify-write steps are atomic;
//! reads take no lock.
//!
//! This module holds what every concern shares: the [`Engine`] the backends provide, the
//! transaction [`Tx`] and the writer lock of [`Core`]. Each concern's part of `Core` (its keys,
//! its record codecs, its read and write steps) is in the submodule of the same name; `batches`
//! composes the others' transaction steps. [`codec`] is the on-disk layout (key and record
//! framing, and the one table of keyspace tags and record kinds), and [`store_impl`] implements
//! the public traits for a backend by delegating to its `Core`.

mod batches;
pub(crate) mod codec;
mod collections;
mod dedupe;
mod documents;
pub(crate) mod journal;
mod keys;
mod kv;
pub(crate) mod queues;
mod store_impl;

pub(crate) use store_impl::{impl_queue_store, impl_store_traits};

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use codec::{dec_u64, enc_u64};

/// A visitor of (key, value) pairs; returns whether to go on.
pub(crate) type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// An ordered byte key-value engine.
pub(crate) trait Engine: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Visits keys in `[lo, hi)` (no upper bound if `hi` is `None`), ascending or descending,
    /// until `visit` returns `false`. `visit` must not call back into the engine.
    fn range(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()>;
    /// Applies all writes atomically (`None` deletes).
    fn apply(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<()>;
}

/// Pending writes with read-your-writes.
struct Tx<'e, E: Engine> {
    engine: &'e E,
    /// The pending writes of an enclosing transaction, read under `writes` (see
    /// [`Core::apply_many`]: each batch is a layer over the batches before it).
    base: Option<&'e BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'e, E: Engine> Tx<'e, E> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        match self.base.and_then(|b| b.get(key)) {
            Some(v) => Ok(v.clone()),
            None => self.engine.get(key),
        }
    }
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    fn del(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }
    fn get_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        self.get(key)?.map(|v| dec_u64(key, &v)).transpose()
    }
    fn add_counter(&mut self, key: Vec<u8>, delta: i64) -> Result<()> {
        let cur = self.get_u64(&key)?.unwrap_or(0);
        let new = if delta >= 0 {
            cur.saturating_add(delta.unsigned_abs())
        } else {
            cur.saturating_sub(delta.unsigned_abs())
        };
        if new == 0 {
            self.del(key);
        } else {
            self.put(key, enc_u64(new));
        }
        Ok(())
    }
}

pub(crate) struct Core<E: Engine> {
    pub(crate) engine: E,
    writer: Mutex<()>,
}

fn utf8(key: &[u8], b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::corrupt(key, "member is not UTF-8"))
}

impl<E: Engine> Core<E> {
    pub(crate) fn new(engine: E) -> Self {
        Core {
            engine,
            writer: Mutex::new(()),
        }
    }

    /// Runs `f` under the writer lock and applies its writes atomically.
    fn write<T>(&self, f: impl FnOnce(&mut Tx<'_, E>) -> Result<T>) -> Result<T> {
        // A poisoned lock only means another writer panicked; its writes were not applied.
        let _guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut tx = Tx {
            engine: &self.engine,
            base: None,
            writes: BTreeMap::new(),
        };
        let out = f(&mut tx)?;
        if !tx.writes.is_empty() {
            self.engine.apply(tx.writes)?;
        }
        Ok(out)
    }

    /// Collects up to `limit` (key, value) pairs of a range.
    fn collect(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        if limit == 0 {
            return Ok(out);
        }
        self.engine.range(lo, hi, reverse, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::codec::*;
    use super::documents::dec_doc;
    use super::keys::{dec_local_key, dec_remote_key};
    use super::queues::{dec_dead, dec_job};
    use proptest::prelude::*;

    proptest! {
        /// Decoding arbitrary bytes never panics: it gives a record or a Corrupt error.
        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), kind in 0u8..9) {
            let mut framed = vec![MAGIC, kind, VERSION];
            framed.extend_from_slice(&bytes);
            for v in [&bytes[..], &framed[..]] {
                for r in [
                    dec_doc(b"k", v).err(),
                    dec_job(b"k", v).err(),
                    dec_dead(b"k", v).err(),
                    dec_local_key(b"k", v).err(),
                    dec_remote_key(b"k", v).err(),
                    dec_u64(b"k", v).err(),
                ].into_iter().flatten() {
                    prop_assert!(r.is_corrupt());
                }
            }
        }
    }
}
