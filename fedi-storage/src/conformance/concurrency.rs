//! Conformance cases with writers of several concerns at once.

use std::time::Duration;

use futures::future::join_all;

use super::{scope, T0};
use crate::*;

/// Concurrent writers to one collection and one queue lose nothing.
pub async fn concurrent_writers<S: Store + ?Sized>(store: &S) {
    let c = scope("concurrent");
    let q = scope("concurrent-q");
    let inserts = join_all((0..64u64).map(|i| {
        let c = &c;
        async move {
            store
                .insert(c, &CollectionItem::new(i, format!("m{i}")))
                .await
        }
    }));
    let enqueues = join_all((0..64u64).map(|i| {
        let q = &q;
        async move {
            store
                .enqueue(
                    q,
                    &NewJob::new(format!("h{}", i % 4), i.to_be_bytes().to_vec(), T0),
                )
                .await
        }
    }));
    let (ins, ids) = futures::join!(inserts, enqueues);
    assert!(
        ins.into_iter().all(|r| r.expect("insert")),
        "concurrent: every insert was new"
    );
    let mut ids: Vec<u64> = ids.into_iter().map(|r| r.expect("enqueue")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 64, "concurrent: 64 distinct job ids");
    assert_eq!(
        store.count(&c).await.expect("count"),
        64,
        "concurrent: the count saw every insert"
    );
    let all = store.all_members(&c, 10).await.expect("all");
    assert_eq!(all.len(), 64, "concurrent: every member is listed");
    assert_eq!(
        store.count_pending(&q).await.expect("count"),
        64,
        "concurrent: every job is pending"
    );
    assert_eq!(
        store.count_lane(&q, "h3").await.expect("count"),
        16,
        "concurrent: per-lane count"
    );
    // Concurrent leasers never get the same job.
    let leases = join_all((0..8).map(|_| {
        let q = &q;
        async move {
            store
                .lease(q, &LeaseRequest::new(T0, Duration::from_secs(60), 10))
                .await
        }
    }))
    .await;
    let mut leased: Vec<u64> = leases
        .into_iter()
        .flat_map(|r| r.expect("lease"))
        .map(|j| j.id)
        .collect();
    let n = leased.len();
    leased.sort_unstable();
    leased.dedup();
    assert_eq!(n, 64, "concurrent: 8 leasers of 10 got all 64 jobs");
    assert_eq!(leased.len(), n, "concurrent: no job was leased twice");
}
