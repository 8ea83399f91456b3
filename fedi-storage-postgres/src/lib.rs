//! The [`fedi_storage`] traits on PostgreSQL: any number of Woolly processes (or other
//! applications) on one database, coordinating through it.
//!
//! [`PostgresStore`] implements every concern of [`fedi_storage::Store`] (documents,
//! collections, keys, queues, dedupe, the key-value space, atomic batches) and passes
//! [`fedi_storage::conformance::run_all`]. Media files are not stored here: they stay on the
//! filesystem or S3-compatible media stores of [`fedi_storage::media`].
//!
//! - **Schema**: versioned migrations embedded in the binary, applied at
//!   [`connect`](PostgresConfig::connect) under an advisory lock, so that several processes
//!   starting at once apply each exactly once ([`schema`]).
//! - **Queues**: leases are taken with `FOR UPDATE SKIP LOCKED`; a lease's end is stored in
//!   the job's row, so the job of a consumer that died is leased again when its lease ends;
//!   per-lane limits ([`PostgresConfig::lane_limit`]) are counted in the database and hold
//!   across every store on it; dead letters are a table. Idle consumers wait on a
//!   [`QueueWaiter`] ([`PostgresStore::queue_waiter`]), woken by `LISTEN`/`NOTIFY` when any
//!   store adds a job (each store sends its notifications after the enqueue commits,
//!   coalesced), with their timeout as the bounded fallback poll.
//! - **Atomicity**: every write is one statement or one transaction; a batch is one
//!   transaction, a group of batches one transaction with a savepoint per batch. The dedupe
//!   guard is a primary key (`INSERT … ON CONFLICT`), never read-then-write. A transaction
//!   that loses a deadlock or a serialization race is run again (up to ten times).
//! - **Connections**: a [`deadpool_postgres`] pool over `tokio-postgres`, with TLS through
//!   rustls (see [`PostgresConfig`]).
//! - **Errors**: every method returns [`fedi_storage::Error`]; a failure of the database or
//!   the connection is [`Error::Backend`](fedi_storage::Error::Backend) (retryable), a
//!   connection or schema problem at start [`Error::Open`](fedi_storage::Error::Open).
//!
//! Names (IRIs, collections, members, queues, lanes, namespaces, key ids) must not contain
//! NUL, which PostgreSQL text cannot hold (they are refused with
//! [`Error::InvalidArgument`](fedi_storage::Error::InvalidArgument)); NUL in free text
//! (error messages, PEM) is replaced with U+FFFD.
//!
//! # Getting started
//!
//! The example runs against the database named by `WOOLLY_TEST_DATABASE_URL` and returns
//! early when it is not set (the crate's tests start a private cluster: see
//! [`test_support`]).
//!
//! ```
//! use std::time::Duration;
//! use fedi_storage::*;
//! use fedi_storage_postgres::PostgresConfig;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> fedi_storage::Result<()> {
//! let Ok(url) = std::env::var("WOOLLY_TEST_DATABASE_URL") else { return Ok(()) };
//! let store = PostgresConfig::new(url)
//!     .lane_limit("deliveries", 4) // at most 4 deliveries per host in flight, database-wide
//!     .connect()
//!     .await?;
//! let now = Timestamp::now();
//! let queue = format!("doctest-{}", now.as_unix_millis());
//!
//! // Enqueue from one process; any process on the database may lease it.
//! let id = store.enqueue(&queue, &NewJob::new("b.example", b"{}".to_vec(), now)).await?;
//! let jobs = store.lease(&queue, &LeaseRequest::new(now, Duration::from_secs(60), 10)).await?;
//! assert_eq!(jobs[0].id, id);
//! store.ack(&queue, &jobs[0].lease).await?;
//!
//! // An idle consumer waits for the next job without polling the database.
//! let mut waiter = store.queue_waiter(&queue);
//! let woken = waiter.wait(Duration::from_millis(50)).await;
//! # let _ = woken;
//!
//! // The dedupe guard is atomic across every process.
//! assert!(store.check_and_set(&format!("{queue}/activity"), now, Duration::from_secs(60)).await?);
//! # Ok(())
//! # }
//! ```

mod batches;
mod codec;
mod collections;
mod config;
mod dedupe;
mod documents;
mod error;
mod keys;
mod kv;
mod listen;
mod queues;
pub mod schema;
mod store;
pub mod test_support;

pub use crate::config::PostgresConfig;
pub use crate::listen::QueueWaiter;
pub use crate::store::PostgresStore;

/// Connects to the database at `url` with the default [`PostgresConfig`] (migrating the
/// schema first).
pub async fn connect(url: impl Into<String>) -> fedi_storage::Result<PostgresStore> {
    PostgresConfig::new(url).connect().await
}
