//! Atomic batches: a batch is one transaction (its dedupe guard first, so a replay writes
//! nothing); a group of batches ([`BatchStore::apply_many`]) is one transaction with a
//! savepoint per batch, so a failing batch is rolled back alone and the others commit
//! together.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{BatchOp, BatchOutcome, BatchStore, Error, Result, WriteBatch};

use crate::error::{Fail, R};
use crate::store::{in_tx, query, PostgresStore};
use crate::{collections, dedupe, documents, kv, queues};

// Takes the transaction-scoped advisory lock of every guard id of a transaction, in one
// global order, before any of their `fedi_seen` rows is touched: transactions guarding
// overlapping ids then queue on the first lock they share instead of deadlocking on each
// other's uncommitted rows (a group of batches may guard its ids in any order).
const LOCK_GUARDS: &str = "SELECT count(pg_advisory_xact_lock(k)) FROM (
        SELECT DISTINCT hashtextextended(id, 1) AS k FROM unnest($1::text[]) AS g(id)
        ORDER BY k
    ) AS keys";

async fn lock_guards<C: GenericClient>(c: &C, batches: &[WriteBatch]) -> R<()> {
    let ids: Vec<&str> = batches
        .iter()
        .filter_map(|b| b.guard.as_ref().map(|(id, _, _)| id.as_str()))
        .filter(|id| !id.contains('\0'))
        .collect();
    if !ids.is_empty() {
        query(c, LOCK_GUARDS, &[&ids]).await?;
    }
    Ok(())
}

/// Runs a batch's guard and operations on `c` (inside a transaction or savepoint).
async fn run<C: GenericClient>(c: &C, batch: &WriteBatch) -> R<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if let Some((id, now, ttl)) = &batch.guard {
        if !dedupe::check_and_set(c, id, *now, *ttl).await? {
            return Ok(outcome);
        }
    }
    for op in &batch.ops {
        match op {
            BatchOp::PutDocument { iri, document } => documents::put(c, iri, document).await?,
            BatchOp::DeleteDocument { iri, tombstone } => {
                documents::delete(c, iri, tombstone).await?;
            }
            BatchOp::Insert { collection, item } => {
                collections::insert(c, collection, item).await?;
            }
            BatchOp::Remove { collection, member } => {
                collections::remove(c, collection, member).await?;
            }
            BatchOp::KvPut {
                namespace,
                key,
                value,
            } => kv::put(c, namespace, key, value).await?,
            BatchOp::KvDelete { namespace, key } => {
                kv::delete(c, namespace, key).await?;
            }
            BatchOp::Enqueue { queue, job } => {
                outcome.job_ids.push(queues::enqueue(c, queue, job).await?);
            }
            other => {
                return Err(Fail::Store(Error::InvalidArgument(format!(
                    "batch operation not supported by this backend: {other:?}"
                ))))
            }
        }
    }
    outcome.applied = true;
    Ok(outcome)
}

/// The queues a batch enqueues into.
fn enqueued(batch: &WriteBatch) -> impl Iterator<Item = &str> {
    batch.ops.iter().filter_map(|op| match op {
        BatchOp::Enqueue { queue, .. } => Some(queue.as_str()),
        _ => None,
    })
}

#[async_trait]
impl BatchStore for PostgresStore {
    async fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
        if batch.is_empty() {
            let mut outcome = BatchOutcome::default();
            outcome.applied = true;
            return Ok(outcome);
        }
        let outcome = in_tx!(self, |tx| {
            lock_guards(&tx, std::slice::from_ref(batch)).await?;
            run(&tx, batch).await?
        })?;
        if outcome.applied {
            self.jobs_added(enqueued(batch));
        }
        Ok(outcome)
    }

    async fn apply_many(&self, batches: &[WriteBatch]) -> Result<Vec<Result<BatchOutcome>>> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        let results = in_tx!(self, |tx| {
            lock_guards(&tx, batches).await?;
            let mut out = Vec::with_capacity(batches.len());
            for (i, batch) in batches.iter().enumerate() {
                let sp = tx.savepoint(format!("batch_{i}")).await?;
                match run(&sp, batch).await {
                    Ok(o) => {
                        sp.commit().await?;
                        out.push(Ok(o));
                    }
                    // A lost deadlock aborts the whole transaction: start it over.
                    Err(f) if f.is_conflict() => return Err(f),
                    Err(f) => {
                        sp.rollback().await?;
                        out.push(Err(Error::from(f)));
                    }
                }
            }
            out
        })?;
        for (batch, result) in batches.iter().zip(&results) {
            if result.as_ref().is_ok_and(|o| o.applied) {
                self.jobs_added(enqueued(batch));
            }
        }
        Ok(results)
    }
}
