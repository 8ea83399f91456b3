//! Conformance cases for dedupe: check-and-set, expiry, purge, a race.

use std::time::Duration;

use futures::future::join_all;

use super::{at, scope};
use crate::*;

/// Dedupe: check-and-set, expiry, purge.
pub async fn dedupe<S: Store + ?Sized>(store: &S) {
    let s = scope("dedupe");
    let id = format!("https://remote.example/{s}/activities/1");
    let ttl = Duration::from_secs(100);
    assert!(
        !store.seen(&id, at(0)).await.expect("seen"),
        "dedupe: unseen at first"
    );
    assert!(
        store.check_and_set(&id, at(0), ttl).await.expect("cas"),
        "dedupe: first sighting is new"
    );
    assert!(
        !store.check_and_set(&id, at(1), ttl).await.expect("cas"),
        "dedupe: second sighting is a duplicate"
    );
    assert!(
        store.seen(&id, at(99)).await.expect("seen"),
        "dedupe: seen until it expires"
    );
    assert!(
        !store.seen(&id, at(100)).await.expect("seen"),
        "dedupe: expired at now + ttl"
    );
    assert!(
        store.check_and_set(&id, at(100), ttl).await.expect("cas"),
        "dedupe: new again after expiry"
    );
    let other = format!("https://remote.example/{s}/activities/2");
    assert!(
        store
            .check_and_set(&other, at(0), Duration::from_secs(10))
            .await
            .expect("cas"),
        "dedupe: other id"
    );
    // Purging everything expired by at(150) removes `other` (expired at 10) but not `id` (200).
    let mut purged = 0;
    for _ in 0..1000 {
        let n = store.purge_expired(at(150), 100).await.expect("purge");
        purged += n;
        if n < 100 {
            break;
        }
    }
    assert!(purged >= 1, "dedupe: purge removed expired records");
    assert!(
        store.seen(&id, at(150)).await.expect("seen"),
        "dedupe: live records survive a purge"
    );
    assert!(
        !store.seen(&other, at(0)).await.expect("seen"),
        "dedupe: purged records are forgotten"
    );
}

/// Of many concurrent check-and-sets of one id, exactly one wins.
pub async fn dedupe_race<S: Store + ?Sized>(store: &S) {
    let s = scope("race");
    let id = format!("https://remote.example/{s}/activities/race");
    let results =
        join_all((0..32).map(|_| store.check_and_set(&id, at(0), Duration::from_secs(60)))).await;
    let winners = results
        .into_iter()
        .map(|r| r.expect("cas"))
        .filter(|w| *w)
        .count();
    assert_eq!(
        winners, 1,
        "dedupe race: exactly one of 32 concurrent check-and-sets wins"
    );
}
