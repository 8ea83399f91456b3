//! [`PostgresStore`]: the pool, the per-lane limits, the LISTEN/NOTIFY waiter, and the
//! plumbing every concern shares (getting a connection, running a statement through the
//! statement cache, retrying a transaction that lost a deadlock or a serialization race).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{GenericClient, Object, Pool};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::config::PostgresConfig;
use crate::error::{Fail, R};
use crate::listen::{Listener, Notifier, QueueWaiter};

/// How many times a statement or transaction that lost a deadlock or a serialization race is
/// run again before the error is returned.
pub(crate) const MAX_CONFLICT_RETRIES: u32 = 10;

/// Runs `$body` (an expression evaluating to an `R<T>` future's output, re-evaluated on every
/// attempt) again while it fails with a deadlock or serialization conflict, with a short
/// randomized back-off.
macro_rules! retrying {
    ($body:expr) => {{
        let mut attempt = 0u32;
        loop {
            let result: $crate::error::R<_> = $body;
            match result {
                Err(e) if e.is_conflict() && attempt < $crate::store::MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    $crate::store::conflict_backoff(attempt).await;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use retrying;

/// Runs `$body` in a transaction bound to `$tx` (a `deadpool_postgres::Transaction`),
/// committing if it returns `Ok`, rolling back if it returns `Err`, and starting over on a
/// deadlock or serialization conflict.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:block) => {
        $crate::store::retrying!(
            async {
                let mut client = $store.client().await?;
                #[allow(unused_mut)]
                let mut $tx = client.transaction().await?;
                let value = $body;
                $tx.commit().await?;
                Ok(value)
            }
            .await
        )
    };
}
pub(crate) use in_tx;

/// Sleeps a little before attempt `attempt` of a conflicted transaction.
pub(crate) async fn conflict_backoff(attempt: u32) {
    use rand::Rng as _;
    let ms = rand::thread_rng().gen_range(1..=10u64) * u64::from(attempt.min(8));
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Runs one statement through the connection's statement cache.
pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> R<Vec<Row>> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, params).await?)
}

/// Runs one statement through the statement cache and returns the rows it changed.
pub(crate) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> R<u64> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, params).await?)
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) config: PostgresConfig,
    /// Started by the first [`PostgresStore::queue_waiter`]; stopped when the store is.
    listener: Mutex<Option<Listener>>,
    /// Sends the notifications of this store's enqueues.
    pub(crate) notifier: Notifier,
}

impl Inner {
    pub(crate) fn new(pool: Pool, config: PostgresConfig) -> Self {
        Inner {
            pool,
            config,
            listener: Mutex::new(None),
            notifier: Notifier::new(),
        }
    }
}

/// The storage traits on PostgreSQL. Cloning is cheap; clones share the pool.
///
/// Any number of stores, in any number of processes, may use one database at once: every
/// operation is atomic in the database, queue leases are taken with `FOR UPDATE SKIP
/// LOCKED`, the dedupe guard is a primary key, and per-lane limits are counted in the
/// database (see the crate documentation).
///
/// Durability: a write that returned `Ok` is committed; with PostgreSQL's default
/// `synchronous_commit = on` it survives a crash of the server or the machine, and
/// [`StoreInfo::is_durable`](fedi_storage::StoreInfo::is_durable) is `true`.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.inner.pool.status();
        f.debug_struct("PostgresStore")
            .field("pool_size", &status.size)
            .field("pool_available", &status.available)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        PostgresStore {
            inner: Arc::new(inner),
        }
    }

    /// A connection from the pool.
    pub(crate) async fn client(&self) -> R<Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// Wakes the consumers of `queues` (in every process on the database): call after the
    /// transaction that added their jobs committed.
    pub(crate) fn jobs_added<'a>(&self, queues: impl IntoIterator<Item = &'a str>) {
        self.inner.notifier.added(&self.inner.pool, queues);
    }

    /// The per-lane limit configured for `queue`, if any.
    pub(crate) fn lane_limit(&self, queue: &str) -> Option<u32> {
        self.inner.config.lane_limits.get(queue).copied()
    }

    /// A waiter for new jobs in `queue`: [`QueueWaiter::wait`] returns as soon as a job is
    /// enqueued in it by any store on the database (PostgreSQL `LISTEN`/`NOTIFY`), or when
    /// its timeout passes, whichever is first. The first waiter starts one listening
    /// connection for the store (outside the pool); without a Tokio runtime, or while that
    /// connection is down, waiters just wait out their timeouts (the bounded fallback poll).
    pub fn queue_waiter(&self, queue: &str) -> QueueWaiter {
        let mut guard = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let listener = guard.get_or_insert_with(|| Listener::start(self.inner.config.clone()));
        listener.waiter(queue)
    }

    /// Closes the pool: connections in use are closed when returned; later calls fail.
    pub fn close(&self) {
        self.inner.pool.close();
        if let Some(l) = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            drop(l);
        }
    }
}

impl fedi_storage::StoreInfo for PostgresStore {
    fn is_durable(&self) -> bool {
        true
    }
}

/// The error of a missing record that an operation needed.
pub(crate) fn not_found(what: String) -> Fail {
    Fail::Store(fedi_storage::Error::NotFound { what })
}
