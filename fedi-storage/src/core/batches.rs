//! Batches in the engine: a batch's guard and operations run as one transaction of the other
//! concerns' steps, and the steps of [`BatchStore`](crate::BatchStore).

use std::collections::BTreeMap;

use super::kv::kv_key;
use super::{Core, Engine, Tx};
use crate::batches::{BatchOp, BatchOutcome, WriteBatch};
use crate::error::Result;

impl<E: Engine> Core<E> {
    pub(crate) fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
        self.write(|tx| Self::tx_apply(tx, batch))
    }

    /// Evaluates the batches in order under one writer lock, each in its own layer over the
    /// pending writes of the batches before it (so it sees their effects, and a failing batch
    /// drops only its own layer), and applies the layers of the batches that succeeded as one
    /// atomic engine write.
    pub(crate) fn apply_many(&self, batches: &[WriteBatch]) -> Result<Vec<Result<BatchOutcome>>> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(batches.len());
            for batch in batches {
                let mut layer = Tx {
                    engine: tx.engine,
                    base: Some(&tx.writes),
                    writes: BTreeMap::new(),
                };
                let r = Self::tx_apply(&mut layer, batch);
                let writes = layer.writes;
                if r.is_ok() {
                    tx.writes.extend(writes);
                }
                out.push(r);
            }
            Ok(out)
        })
    }

    fn tx_apply(tx: &mut Tx<'_, E>, batch: &WriteBatch) -> Result<BatchOutcome> {
        if let Some((id, now, ttl)) = &batch.guard {
            if !Self::tx_check_and_set(tx, id, *now, *ttl)? {
                tx.writes.clear();
                return Ok(BatchOutcome {
                    applied: false,
                    job_ids: Vec::new(),
                });
            }
        }
        let mut job_ids = Vec::new();
        for op in &batch.ops {
            match op {
                BatchOp::PutDocument { iri, document } => Self::tx_put_document(tx, iri, document)?,
                BatchOp::DeleteDocument { iri, tombstone } => {
                    Self::tx_delete_document(tx, iri, tombstone)?;
                }
                BatchOp::Insert { collection, item } => {
                    Self::tx_insert(tx, collection, item)?;
                }
                BatchOp::Remove { collection, member } => {
                    Self::tx_remove(tx, collection, member)?;
                }
                BatchOp::KvPut {
                    namespace,
                    key,
                    value,
                } => tx.put(kv_key(namespace, key)?, value.clone()),
                BatchOp::KvDelete { namespace, key } => tx.del(kv_key(namespace, key)?),
                BatchOp::Enqueue { queue, job } => job_ids.push(Self::tx_enqueue(tx, queue, job)?),
            }
        }
        Ok(BatchOutcome {
            applied: true,
            job_ids,
        })
    }
}
