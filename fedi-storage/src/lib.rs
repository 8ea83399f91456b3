//! Storage for a fediverse server, behind small traits, with an in-memory backend and an
//! embedded [`sled`](https://docs.rs/sled/0.34) backend, and one conformance suite that every
//! backend passes.
//!
//! One trait per concern, each with a few required methods (conveniences are in the `*Ext`
//! extension traits, implemented for every implementor):
//!
//! | trait | what |
//! |---|---|
//! | [`DocumentStore`] | JSON documents by IRI, with metadata and tombstones |
//! | [`CollectionStore`] | ordered collections (followers, outboxes, timelines) paged with Mastodon's `max_id` / `since_id` / `min_id` |
//! | [`KeyStore`] | local key pairs, and a cache of remote public keys |
//! | [`QueueStore`] | durable job queues with lanes, leases, retries and dead letters |
//! | [`DedupeStore`] | an atomic "have I seen this id?" with expiry |
//! | [`KvStore`] | a namespaced key-value space with prefix scans |
//! | [`BatchStore`] | atomic writes across all of the above |
//!
//! [`Store`] is implemented by every type implementing all of them. The crate stores JSON
//! documents, IRIs and bytes; it knows nothing of the ActivityStreams vocabulary.
//!
//! Time is never read from the system clock inside the store: operations that depend on it
//! take a `now` [`Timestamp`], so tests can fast-forward (see [`ManualClock`]).
//!
//! The durability contract of each write is stated on its trait method; in short, on a
//! durable backend ([`StoreInfo::is_durable`]) a write that returned `Ok` survives a crash, and
//! every write is atomic. See [`traits`] and [`sled`].
//!
//! # Getting started
//!
//! ```
//! use std::time::Duration;
//! use fedi_storage::{memory::MemoryStore, *};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> fedi_storage::Result<()> {
//! let store = MemoryStore::new();
//! let now = Timestamp::from_unix_millis(1_700_000_000_000);
//!
//! // A document, then its deletion: the tombstone stops it from being created again.
//! let note = serde_json::json!({"id": "https://example.com/notes/1", "type": "Note"});
//! store.put_json("https://example.com/notes/1", &note, Origin::Local, now).await?;
//! assert_eq!(store.get_json("https://example.com/notes/1").await?, Some(note.clone()));
//! store.delete_document("https://example.com/notes/1", &Tombstone::new(now)).await?;
//! let again = store.put_json("https://example.com/notes/1", &note, Origin::Local, now).await;
//! assert!(again.unwrap_err().is_tombstoned());
//!
//! // An ordered collection, paged newest first as Mastodon does.
//! let followers = "followers:https://example.com/users/alice";
//! for (key, who) in [(10, "https://a.example/u/1"), (20, "https://b.example/u/2"), (30, "https://c.example/u/3")] {
//!     store.insert(followers, &CollectionItem::new(key, who)).await?;
//! }
//! let page = store.page(followers, &PageRequest::newest(2)).await?;
//! assert_eq!(page.members(), ["https://c.example/u/3", "https://b.example/u/2"]);
//! let older = store.page(followers, &PageRequest::newest(2).max_id(page.next_max_id().unwrap())).await?;
//! assert_eq!(older.members(), ["https://a.example/u/1"]);
//!
//! // A durable queue: lease, fail once, lease again after the back-off, acknowledge.
//! store.enqueue("deliveries", &NewJob::new("b.example", b"{...}".to_vec(), now)).await?;
//! let jobs = store.lease("deliveries", &LeaseRequest::new(now, Duration::from_secs(60), 10)).await?;
//! assert_eq!(jobs.len(), 1);
//! let later = now.saturating_add(Duration::from_secs(30));
//! store.retry("deliveries", &jobs[0].lease, "503 from b.example", later, now).await?;
//! let jobs = store.lease("deliveries", &LeaseRequest::new(later, Duration::from_secs(60), 10)).await?;
//! assert_eq!(jobs[0].attempts, 2);
//! store.ack("deliveries", &jobs[0].lease).await?;
//! assert_eq!(store.count_pending("deliveries").await?, 0);
//!
//! // Dedupe and persist in one atomic step, as an inbox does.
//! let batch = WriteBatch::new()
//!     .unless_seen("https://b.example/activities/9", now, Duration::from_secs(86_400))
//!     .enqueue("inbox", NewJob::new("b.example", b"{...}".to_vec(), now));
//! assert!(store.apply(&batch).await?.applied);
//! assert!(!store.apply(&batch).await?.applied); // a replay writes nothing
//! # Ok(())
//! # }
//! ```
//!
//! Besides the single reads, [`KvStore::kv_get_many`], [`CollectionStore::count_many`],
//! [`CollectionStore::newest_many`] and [`CollectionStore::key_of_many`] read many records in
//! one call (a page of a timeline needs some hundred); their default bodies loop over the
//! single reads, so a backend behind a network overrides them with one query each.
//! [`counting::CountingStore`] wraps any store and counts its calls.
//!
//! A third-party backend implements the traits and runs [`conformance::run_all`] in its tests.
//!
//! Media files (uploads) have a store of their own, [`media::MediaStore`], with a filesystem
//! backend, an S3-compatible backend (`media::s3`, behind the cargo feature `s3`, off by
//! default: it brings in the `object_store` crate and an HTTP client) and a conformance
//! suite: see [`media`].

// One module per concern, each with its trait, its `*Ext` conveniences and its records; all
// re-exported here, so every item is at the crate root.
mod batches;
mod collections;
mod dedupe;
mod documents;
mod keys;
mod kv;
mod queues;

pub mod conformance;
mod core;
pub mod counting;
mod error;
mod journal;
pub mod media;
pub mod memory;
pub mod sled;
mod time;
pub mod traits;
mod usage;

pub use crate::batches::*;
pub use crate::collections::*;
pub use crate::dedupe::*;
pub use crate::documents::*;
pub use crate::error::{Error, Result};
pub use crate::keys::*;
pub use crate::kv::*;
pub use crate::queues::*;
pub use crate::time::{Clock, ManualClock, SystemClock, Timestamp};
pub use crate::traits::{Store, StoreInfo};
pub use crate::usage::KeyspaceUsage;
