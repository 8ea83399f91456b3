//! The fedi-storage conformance suite, unchanged, on PostgreSQL.

use crate::common::{database, store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes() {
    let db = database().await;
    let store = store(&db).await;
    fedi_storage::conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes_on_one_connection() {
    // A pool of one: every concurrent case queues for the same connection.
    let db = database().await;
    let store = crate::common::store_with(&db, |c| c.pool_size(1)).await;
    fedi_storage::conformance::run_all(&store).await;
}
