//! The conformance suite: async test cases every backend must pass.
//!
//! Call [`run_all`] from a test with a fresh store (it may be shared with nothing else while
//! the suite runs; every case uses names of its own, so a store that already holds unrelated
//! data is fine too). Each case panics with a message naming the case and the expectation
//! that failed.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = fedi_storage::memory::MemoryStore::new();
//! fedi_storage::conformance::run_all(&store).await;
//! # }
//! ```
//!
//! Some cases run operations concurrently (joined futures in one task, so the store need
//! not be `'static`); a backend that suspends inside its methods (e.g. for a flush) is
//! exercised with real interleavings.

// One module of cases per concern (and one for writers of several concerns at once); every
// case is public here, as `conformance::NAME`.
mod batches;
mod collections;
mod concurrency;
mod dedupe;
mod documents;
mod keys;
mod kv;
mod queues;

pub use batches::{atomic_batches, batch_dedupe_race, batch_group_race, batch_groups};
pub use collections::{
    collection_multi_reads, collection_ordering, paging_edges, paging_matches_model,
};
pub use concurrency::concurrent_writers;
pub use dedupe::{dedupe, dedupe_race};
pub use documents::{documents, tombstones};
pub use keys::keys;
pub use kv::{kv_multi_reads, kv_prefix_scans};
pub use queues::{
    lanes, lease_expiry_and_redelivery, queue_lease_and_ack, retries_and_dead_letters,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::{Store, Timestamp};

static RUN: AtomicU64 = AtomicU64::new(0);

/// A unique name prefix for one case, so cases never see each other's data.
fn scope(case: &str) -> String {
    format!(
        "conf{}-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed),
        case
    )
}

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn at(secs: u64) -> Timestamp {
    T0.saturating_add(Duration::from_secs(secs))
}

/// Runs every case.
pub async fn run_all<S: Store + ?Sized>(store: &S) {
    documents(store).await;
    tombstones(store).await;
    collection_ordering(store).await;
    paging_edges(store).await;
    paging_matches_model(store).await;
    collection_multi_reads(store).await;
    concurrent_writers(store).await;
    keys(store).await;
    queue_lease_and_ack(store).await;
    lease_expiry_and_redelivery(store).await;
    retries_and_dead_letters(store).await;
    lanes(store).await;
    dedupe(store).await;
    dedupe_race(store).await;
    kv_prefix_scans(store).await;
    kv_multi_reads(store).await;
    atomic_batches(store).await;
    batch_dedupe_race(store).await;
    batch_groups(store).await;
    batch_group_race(store).await;
}
