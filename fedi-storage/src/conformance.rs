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

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::join_all;
use sha2::{Digest as _, Sha256};

use crate::*;

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
    concurrent_writers(store).await;
    keys(store).await;
    queue_lease_and_ack(store).await;
    lease_expiry_and_redelivery(store).await;
    retries_and_dead_letters(store).await;
    lanes(store).await;
    dedupe(store).await;
    dedupe_race(store).await;
    kv_prefix_scans(store).await;
    atomic_batches(store).await;
    batch_dedupe_race(store).await;
    batch_groups(store).await;
    batch_group_race(store).await;
}

/// Documents: put, get, replace, metadata, bad arguments.
pub async fn documents<S: Store + ?Sized>(store: &S) {
    let s = scope("documents");
    let iri = format!("https://example.com/{s}/notes/1");
    assert!(
        store.get_document(&iri).await.expect("get").is_none(),
        "documents: a missing IRI reads as None"
    );
    let body = br#"{"id":"x","type":"Note","content":"caf\u00e9 \u2603"}"#.to_vec();
    let doc = Document::from_bytes(body.clone(), Origin::Remote, at(1))
        .expect("valid JSON")
        .with_fetched_at(at(0));
    store.put_document(&iri, &doc).await.expect("put");
    let got = store
        .get_document(&iri)
        .await
        .expect("get")
        .expect("documents: stored document must be found");
    assert_eq!(
        got.body, body,
        "documents: body bytes must come back exactly"
    );
    assert_eq!(got.meta.origin, Origin::Remote, "documents: origin kept");
    assert_eq!(
        got.meta.fetched_at,
        Some(at(0)),
        "documents: fetched_at kept"
    );
    assert_eq!(got.meta.stored_at, at(1), "documents: stored_at kept");
    let expected: [u8; 32] = Sha256::digest(&body).into();
    assert_eq!(
        got.meta.content_hash, expected,
        "documents: content hash is SHA-256 of the body"
    );

    let v2 = serde_json::json!({"id": "x", "type": "Note", "content": "edited"});
    store
        .put_json(&iri, &v2, Origin::Local, at(2))
        .await
        .expect("replace");
    assert_eq!(
        store.get_json(&iri).await.expect("get"),
        Some(v2),
        "documents: a put replaces the document"
    );
    assert!(
        !store.is_tombstoned(&iri).await.expect("tombstone"),
        "documents: a live document is not tombstoned"
    );

    assert!(
        Document::from_bytes(b"{not json".to_vec(), Origin::Local, at(0))
            .is_err_and(|e| e.is_invalid_argument()),
        "documents: a body that is not JSON is refused"
    );
    assert!(
        store
            .put_document("", &doc)
            .await
            .is_err_and(|e| e.is_invalid_argument()),
        "documents: an empty IRI is refused"
    );
}

/// Tombstones: deletion is remembered and refuses re-creation.
pub async fn tombstones<S: Store + ?Sized>(store: &S) {
    let s = scope("tombstones");
    let iri = format!("https://example.com/{s}/notes/1");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Local, at(0))
        .expect("doc");
    store.put_document(&iri, &doc).await.expect("put");
    let t = Tombstone::new(at(5)).with_former_type("Note");
    assert!(
        store.delete_document(&iri, &t).await.expect("delete"),
        "tombstones: deleting a stored document reports it existed"
    );
    assert!(
        store.get_document(&iri).await.expect("get").is_none(),
        "tombstones: a deleted document reads as None"
    );
    assert_eq!(
        store.tombstone(&iri).await.expect("tombstone"),
        Some(t.clone()),
        "tombstones: the tombstone is kept"
    );
    let err = store
        .put_document(&iri, &doc)
        .await
        .expect_err("tombstones: putting a tombstoned IRI must fail");
    assert!(
        err.is_tombstoned(),
        "tombstones: the error is Tombstoned, got {err:?}"
    );
    assert!(
        !store
            .delete_document(&iri, &Tombstone::new(at(9)))
            .await
            .expect("delete again"),
        "tombstones: deleting again reports nothing removed"
    );
    assert_eq!(
        store.tombstone(&iri).await.expect("tombstone"),
        Some(t),
        "tombstones: the first tombstone is kept"
    );

    let never = format!("https://example.com/{s}/notes/never-seen");
    assert!(
        !store
            .delete_document(&never, &Tombstone::new(at(1)))
            .await
            .expect("delete unknown"),
        "tombstones: deleting an unknown IRI reports nothing removed"
    );
    assert!(
        store.is_tombstoned(&never).await.expect("is_tombstoned"),
        "tombstones: an unknown deleted IRI is still tombstoned"
    );
    assert!(
        store
            .put_document(&never, &doc)
            .await
            .is_err_and(|e| e.is_tombstoned()),
        "tombstones: a Create after the Delete of an unknown IRI is refused"
    );
}

/// Collections: order, count, contains, moves and removals.
pub async fn collection_ordering<S: Store + ?Sized>(store: &S) {
    let c = scope("ordering");
    for k in [5u64, 1, 9, 3, 7] {
        assert!(
            store
                .insert(&c, &CollectionItem::new(k, format!("m{k}")))
                .await
                .expect("insert"),
            "ordering: a new member reports true"
        );
    }
    assert!(
        !store
            .insert(&c, &CollectionItem::new(5, "m5"))
            .await
            .expect("insert"),
        "ordering: re-inserting reports false"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        5,
        "ordering: count after 5 inserts"
    );
    let newest = store
        .page(&c, &PageRequest::newest(10))
        .await
        .expect("page");
    assert_eq!(
        newest.members(),
        ["m9", "m7", "m5", "m3", "m1"],
        "ordering: newest first"
    );
    let oldest = store
        .page(&c, &PageRequest::oldest(10))
        .await
        .expect("page");
    assert_eq!(
        oldest.members(),
        ["m1", "m3", "m5", "m7", "m9"],
        "ordering: oldest first"
    );
    assert_eq!(
        newest.items[0],
        CollectionItem::new(9, "m9"),
        "ordering: items carry their keys"
    );

    // Moving a member keeps the count and changes its position.
    assert!(
        !store
            .insert(&c, &CollectionItem::new(10, "m1"))
            .await
            .expect("move"),
        "ordering: moving reports false"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        5,
        "ordering: moving keeps the count"
    );
    assert_eq!(
        store.key_of(&c, "m1").await.expect("key_of"),
        Some(10),
        "ordering: the moved member has its new key"
    );
    let p = store
        .page(&c, &PageRequest::newest(10))
        .await
        .expect("page");
    assert_eq!(
        p.members(),
        ["m1", "m9", "m7", "m5", "m3"],
        "ordering: moved member at its new place, not twice"
    );

    assert!(
        store.remove(&c, "m9").await.expect("remove"),
        "ordering: removing a member reports true"
    );
    assert!(
        !store.remove(&c, "m9").await.expect("remove"),
        "ordering: removing again reports false"
    );
    assert!(
        !store.contains(&c, "m9").await.expect("contains"),
        "ordering: removed member is gone"
    );
    assert!(
        store.contains(&c, "m7").await.expect("contains"),
        "ordering: others remain"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        4,
        "ordering: count after remove"
    );
    assert_eq!(
        store.count(&format!("{c}-other")).await.expect("count"),
        0,
        "ordering: unknown collection counts 0"
    );

    // Collections whose names share a prefix do not see each other.
    let c2 = format!("{c}x");
    store
        .insert(&c2, &CollectionItem::new(1, "other"))
        .await
        .expect("insert");
    assert_eq!(
        store.count(&c).await.expect("count"),
        4,
        "ordering: a collection named with a longer name is separate"
    );
    assert_eq!(
        store
            .page(&c2, &PageRequest::newest(10))
            .await
            .expect("page")
            .members(),
        ["other"],
        "ordering: separate collections"
    );
    // Extreme keys.
    let c3 = format!("{c}-extremes");
    store
        .insert(&c3, &CollectionItem::new(0, "zero"))
        .await
        .expect("insert");
    store
        .insert(&c3, &CollectionItem::new(u64::MAX, "max"))
        .await
        .expect("insert");
    assert_eq!(
        store
            .page(&c3, &PageRequest::newest(5))
            .await
            .expect("page")
            .members(),
        ["max", "zero"],
        "ordering: keys 0 and u64::MAX"
    );
    assert!(
        store
            .page(&c3, &PageRequest::newest(5).since_id(u64::MAX))
            .await
            .expect("page")
            .items
            .is_empty(),
        "ordering: nothing above u64::MAX"
    );
    assert!(
        store
            .page(&c3, &PageRequest::newest(5).max_id(0))
            .await
            .expect("page")
            .items
            .is_empty(),
        "ordering: nothing below 0"
    );
    assert_eq!(
        store
            .page(&c3, &PageRequest::newest(5).max_id(u64::MAX))
            .await
            .expect("page")
            .members(),
        ["zero"],
        "ordering: below u64::MAX"
    );
}

/// Paging edges: empty collections, exact pages, cursors at both ends.
pub async fn paging_edges<S: Store + ?Sized>(store: &S) {
    let empty = scope("paging-empty");
    for req in [
        PageRequest::newest(40),
        PageRequest::oldest(40),
        PageRequest::newest(40).max_id(100),
        PageRequest::newest(40).since_id(0),
        PageRequest::newest(40).min_id(0),
    ] {
        assert!(
            store
                .page(&empty, &req)
                .await
                .expect("page")
                .items
                .is_empty(),
            "paging: empty collection gives an empty page for {req:?}"
        );
    }

    let c = scope("paging");
    // Keys 10, 20, ..., 100.
    for i in 1..=10u64 {
        store
            .insert(&c, &CollectionItem::new(i * 10, format!("m{}", i * 10)))
            .await
            .expect("insert");
    }
    let keys = |p: &Page| p.items.iter().map(|i| i.key).collect::<Vec<_>>();
    let cr: &str = &c;
    let page = |r: PageRequest| async move { store.page(cr, &r).await.expect("page") };

    // An exact page: the limit equals the size; the next page is empty.
    let p = page(PageRequest::newest(10)).await;
    assert_eq!(
        keys(&p),
        [100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        "paging: exact page"
    );
    let next = page(PageRequest::newest(10).max_id(p.next_max_id().expect("cursor"))).await;
    assert!(
        next.items.is_empty(),
        "paging: the page after an exact page is empty"
    );
    // Walking with max_id visits everything once.
    let mut seen = Vec::new();
    let mut req = PageRequest::newest(3);
    for _ in 0..10 {
        let p = page(req.clone()).await;
        if p.items.is_empty() {
            break;
        }
        seen.extend(keys(&p));
        req = PageRequest::newest(3).max_id(p.next_max_id().expect("cursor"));
    }
    assert_eq!(
        seen,
        [100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        "paging: walking down with max_id"
    );
    // Cursors at both ends.
    assert!(
        page(PageRequest::newest(5).max_id(10))
            .await
            .items
            .is_empty(),
        "paging: max_id at the oldest item"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(100)).await),
        [90, 80],
        "paging: max_id at the newest item"
    );
    assert!(
        page(PageRequest::newest(5).since_id(100))
            .await
            .items
            .is_empty(),
        "paging: since_id at the newest item"
    );
    assert!(
        page(PageRequest::newest(5).min_id(100))
            .await
            .items
            .is_empty(),
        "paging: min_id at the newest item"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).since_id(10)).await),
        [100, 90],
        "paging: since_id gives the newest above it"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).min_id(10)).await),
        [30, 20],
        "paging: min_id gives the ones right after it, newest first"
    );
    assert_eq!(
        keys(&page(PageRequest::oldest(2).min_id(10)).await),
        [20, 30],
        "paging: min_id oldest first"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(3).min_id(0)).await),
        [30, 20, 10],
        "paging: min_id 0 gives the oldest"
    );
    // Between two cursors.
    assert_eq!(
        keys(&page(PageRequest::newest(10).max_id(70).since_id(30)).await),
        [60, 50, 40],
        "paging: max_id and since_id"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(70).min_id(30)).await),
        [50, 40],
        "paging: max_id and min_id"
    );
    // Cursors between keys.
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(55)).await),
        [50, 40],
        "paging: max_id between keys"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).min_id(55)).await),
        [70, 60],
        "paging: min_id between keys"
    );
    // Walking up with min_id visits everything once.
    let mut seen = Vec::new();
    let mut req = PageRequest::newest(4).min_id(0);
    for _ in 0..10 {
        let p = page(req.clone()).await;
        if p.items.is_empty() {
            break;
        }
        let mut k = keys(&p);
        k.reverse();
        seen.extend(k);
        req = PageRequest::newest(4).min_id(p.prev_min_id().expect("cursor"));
    }
    assert_eq!(
        seen,
        [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        "paging: walking up with min_id"
    );
    assert!(
        page(PageRequest::newest(0)).await.items.is_empty(),
        "paging: limit 0 gives an empty page"
    );
}

/// Pages for many cursor combinations equal those of a simple model.
pub async fn paging_matches_model<S: Store + ?Sized>(store: &S) {
    let c = scope("model");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut model: Vec<u64> = Vec::new();
    for _ in 0..60 {
        let k = next() % 200;
        if !model.contains(&k) {
            model.push(k);
            store
                .insert(&c, &CollectionItem::new(k, format!("k{k}")))
                .await
                .expect("insert");
        }
    }
    model.sort_unstable();
    for _ in 0..200 {
        let pick = |n: u64| {
            if n.is_multiple_of(3) {
                None
            } else {
                Some(n % 210)
            }
        };
        let req = PageRequest {
            max_id: pick(next()),
            since_id: if next().is_multiple_of(2) {
                pick(next())
            } else {
                None
            },
            min_id: if next().is_multiple_of(2) {
                pick(next())
            } else {
                None
            },
            limit: (next() % 8) as usize,
            order: if next().is_multiple_of(4) {
                Order::OldestFirst
            } else {
                Order::NewestFirst
            },
        };
        let lower = req.since_id.max(req.min_id);
        let in_range: Vec<u64> = model
            .iter()
            .copied()
            .filter(|k| req.max_id.is_none_or(|m| *k < m) && lower.is_none_or(|l| *k > l))
            .collect();
        let mut expected: Vec<u64> = if req.min_id.is_some() || req.order == Order::OldestFirst {
            in_range.iter().copied().take(req.limit).collect()
        } else {
            in_range.iter().rev().copied().take(req.limit).collect()
        };
        expected.sort_unstable();
        if req.order == Order::NewestFirst {
            expected.reverse();
        }
        let got: Vec<u64> = store
            .page(&c, &req)
            .await
            .expect("page")
            .items
            .iter()
            .map(|i| i.key)
            .collect();
        assert_eq!(got, expected, "paging model: wrong page for {req:?}");
    }
}

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

/// Local key pairs and the remote key cache.
pub async fn keys<S: Store + ?Sized>(store: &S) {
    let s = scope("keys");
    let alice = format!("https://example.com/{s}/users/alice");
    let rsa = LocalKeyPair::new(
        format!("{alice}#main-key"),
        &alice,
        "rsa-sha256",
        vec![1, 2, 3],
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        at(0),
    );
    let ed = LocalKeyPair::new(
        format!("{alice}#ed25519-key"),
        &alice,
        "ed25519",
        vec![4, 5],
        "-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----\n",
        at(1),
    );
    store.put_local_key(&rsa).await.expect("put");
    store.put_local_key(&ed).await.expect("put");
    assert_eq!(
        store.local_key(&rsa.key_id).await.expect("get"),
        Some(rsa.clone()),
        "keys: local key round trip"
    );
    let mine = store.local_keys_of(&alice).await.expect("list");
    assert_eq!(
        mine,
        vec![ed.clone(), rsa.clone()],
        "keys: both keys of the owner, ordered by key id"
    );
    assert!(
        store
            .local_key("https://example.com/nope#k")
            .await
            .expect("get")
            .is_none(),
        "keys: unknown local key"
    );

    let bob = format!("https://remote.example/{s}/users/bob");
    let k1 =
        RemoteKey::new(format!("{bob}#main-key"), &bob, "PEM1", at(10)).with_parsed(vec![9, 9]);
    let k2 = RemoteKey::new(format!("{bob}#other"), &bob, "PEM2", at(10));
    store.put_remote_key(&k1).await.expect("put");
    store.put_remote_key(&k2).await.expect("put");
    assert_eq!(
        store.remote_key(&k1.key_id).await.expect("get"),
        Some(k1.clone()),
        "keys: remote key round trip"
    );
    assert!(
        store
            .fresh_remote_key(&k1.key_id, at(100), Duration::from_secs(90))
            .await
            .expect("fresh")
            .is_some(),
        "keys: fresh within max age"
    );
    assert!(
        store
            .fresh_remote_key(&k1.key_id, at(101), Duration::from_secs(90))
            .await
            .expect("fresh")
            .is_none(),
        "keys: stale after max age"
    );
    assert!(
        store
            .invalidate_remote_key(&k1.key_id)
            .await
            .expect("invalidate"),
        "keys: invalidating a cached key reports true"
    );
    assert!(
        !store
            .invalidate_remote_key(&k1.key_id)
            .await
            .expect("invalidate"),
        "keys: invalidating again reports false"
    );
    assert!(
        store.remote_key(&k1.key_id).await.expect("get").is_none(),
        "keys: invalidated key is gone"
    );
    store.put_remote_key(&k1).await.expect("put");
    assert_eq!(
        store
            .invalidate_remote_keys_of(&bob)
            .await
            .expect("invalidate all"),
        2,
        "keys: both of the owner's keys dropped"
    );
    assert!(
        store.remote_key(&k2.key_id).await.expect("get").is_none(),
        "keys: owner's keys are gone"
    );
    // A key that changes owner is listed under the new owner only.
    let carol = format!("https://remote.example/{s}/users/carol");
    let moved = RemoteKey::new(k2.key_id.clone(), &carol, "PEM3", at(20));
    store.put_remote_key(&k2).await.expect("put");
    store.put_remote_key(&moved).await.expect("put");
    assert_eq!(
        store
            .invalidate_remote_keys_of(&bob)
            .await
            .expect("invalidate"),
        0,
        "keys: old owner no longer has the key"
    );
    assert_eq!(
        store
            .invalidate_remote_keys_of(&carol)
            .await
            .expect("invalidate"),
        1,
        "keys: new owner has it"
    );
}

/// Enqueue, due times, lease order, ack.
pub async fn queue_lease_and_ack<S: Store + ?Sized>(store: &S) {
    let q = scope("queue");
    let a = store
        .enqueue(&q, &NewJob::new("a.example", b"A".to_vec(), at(10)))
        .await
        .expect("enqueue");
    let b = store
        .enqueue(&q, &NewJob::new("b.example", b"B".to_vec(), at(5)))
        .await
        .expect("enqueue");
    let c = store
        .enqueue(&q, &NewJob::new("a.example", b"C".to_vec(), at(100)))
        .await
        .expect("enqueue");
    assert!(a < b && b < c, "queue: ids increase");
    let lease = |now, limit| LeaseRequest::new(now, Duration::from_secs(60), limit);
    assert!(
        store
            .lease(&q, &lease(at(4), 10))
            .await
            .expect("lease")
            .is_empty(),
        "queue: nothing due before its time"
    );
    let jobs = store.lease(&q, &lease(at(10), 10)).await.expect("lease");
    let got: Vec<(u64, &[u8])> = jobs.iter().map(|j| (j.id, j.payload.as_slice())).collect();
    assert_eq!(
        got,
        vec![(b, &b"B"[..]), (a, &b"A"[..])],
        "queue: due jobs, earliest due first"
    );
    assert!(
        jobs.iter()
            .all(|j| j.attempts == 1 && j.lease.until == at(70)),
        "queue: first attempt, lease until now + duration"
    );
    assert!(
        store
            .lease(&q, &lease(at(11), 10))
            .await
            .expect("lease")
            .is_empty(),
        "queue: leased jobs are not leased again during the lease"
    );
    store.ack(&q, &jobs[0].lease).await.expect("ack");
    assert!(
        store
            .ack(&q, &jobs[0].lease)
            .await
            .is_err_and(|e| e.is_lease_lost()),
        "queue: acking twice fails with LeaseLost"
    );
    assert_eq!(
        store.lane_counts(&q).await.expect("counts"),
        vec![("a.example".to_string(), 2)],
        "queue: lane counts after ack"
    );
    assert_eq!(
        store
            .ack_many(&q, &[jobs[1].lease, jobs[0].lease])
            .await
            .expect("ack_many"),
        vec![true, false],
        "queue: ack_many acknowledges held leases and reports lost ones"
    );
    assert!(
        store
            .ack(&q, &jobs[1].lease)
            .await
            .is_err_and(|e| e.is_lease_lost()),
        "queue: ack_many removed the job"
    );
    let late = store.lease(&q, &lease(at(100), 1)).await.expect("lease");
    assert_eq!(late.len(), 1, "queue: the scheduled job becomes due");
    assert_eq!(late[0].id, c, "queue: it is the scheduled job");
    assert!(
        store
            .lease(&q, &lease(at(100), 0))
            .await
            .expect("lease")
            .is_empty(),
        "queue: limit 0 leases nothing"
    );
}

/// A lease that ends without an ack makes the job leasable again; the old lease is dead.
pub async fn lease_expiry_and_redelivery<S: Store + ?Sized>(store: &S) {
    let q = scope("expiry");
    let id = store
        .enqueue(&q, &NewJob::new("h", b"x".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let first = store
        .lease(&q, &LeaseRequest::new(at(0), Duration::from_secs(30), 5))
        .await
        .expect("lease");
    assert_eq!(first.len(), 1, "expiry: leased once");
    assert!(
        store
            .lease(&q, &LeaseRequest::new(at(29), Duration::from_secs(30), 5))
            .await
            .expect("lease")
            .is_empty(),
        "expiry: not redelivered before the lease ends"
    );
    let second = store
        .lease(&q, &LeaseRequest::new(at(30), Duration::from_secs(30), 5))
        .await
        .expect("lease");
    assert_eq!(second.len(), 1, "expiry: redelivered when the lease ends");
    assert_eq!(second[0].id, id, "expiry: the same job");
    assert_eq!(second[0].attempts, 2, "expiry: the attempt was counted");
    assert_ne!(
        second[0].lease.token, first[0].lease.token,
        "expiry: a new lease token"
    );
    let err = store
        .ack(&q, &first[0].lease)
        .await
        .expect_err("expiry: the old lease must not ack");
    assert!(err.is_lease_lost(), "expiry: LeaseLost, got {err:?}");
    store
        .ack(&q, &second[0].lease)
        .await
        .expect("ack with the current lease");
    assert!(
        store
            .lease(&q, &LeaseRequest::new(at(1000), Duration::from_secs(30), 5))
            .await
            .expect("lease")
            .is_empty(),
        "expiry: acked job never returns"
    );
    // A lease that ended but was not re-leased can still be acknowledged by its holder.
    store
        .enqueue(&q, &NewJob::new("h", b"y".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(at(2000), Duration::from_secs(1), 5))
        .await
        .expect("lease");
    store
        .ack(&q, &j[0].lease)
        .await
        .expect("late ack of an expired but not re-leased job");
    assert_eq!(
        store.count_pending(&q).await.expect("count"),
        0,
        "expiry: late ack removed the job"
    );
}

/// Retries with errors, dead letters after the last attempt, burying, requeueing.
pub async fn retries_and_dead_letters<S: Store + ?Sized>(store: &S) {
    let q = scope("dead");
    let id = store
        .enqueue(
            &q,
            &NewJob::new("gone.example", b"p".to_vec(), at(0)).with_max_attempts(3),
        )
        .await
        .expect("enqueue");
    let mut now = at(0);
    for attempt in 1..=3u32 {
        let jobs = store
            .lease(&q, &LeaseRequest::new(now, Duration::from_secs(60), 1))
            .await
            .expect("lease");
        assert_eq!(jobs.len(), 1, "dead: leased on attempt {attempt}");
        assert_eq!(jobs[0].attempts, attempt, "dead: attempt count");
        if attempt > 1 {
            assert_eq!(
                jobs[0].last_error.as_deref(),
                Some(format!("error {}", attempt - 1).as_str()),
                "dead: the last error is carried"
            );
        }
        assert_eq!(
            jobs[0].is_last_attempt(),
            attempt == 3,
            "dead: is_last_attempt"
        );
        let next = now.saturating_add(Duration::from_secs(10 * u64::from(attempt)));
        let out = store
            .retry(&q, &jobs[0].lease, &format!("error {attempt}"), next, now)
            .await
            .expect("retry");
        if attempt < 3 {
            assert_eq!(out, RetryOutcome::Rescheduled(next), "dead: rescheduled");
            assert!(
                store
                    .lease(
                        &q,
                        &LeaseRequest::new(
                            next.saturating_sub(Duration::from_millis(1)),
                            Duration::from_secs(60),
                            1
                        )
                    )
                    .await
                    .expect("lease")
                    .is_empty(),
                "dead: not due before the back-off"
            );
        } else {
            assert_eq!(
                out,
                RetryOutcome::DeadLettered,
                "dead: dead-lettered after the last attempt"
            );
        }
        now = next;
    }
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        1,
        "dead: one dead letter"
    );
    assert_eq!(
        store.count_pending(&q).await.expect("count"),
        0,
        "dead: no longer pending"
    );
    let dl = store.dead_letters(&q, None, 10).await.expect("list");
    assert_eq!(dl.len(), 1, "dead: listed");
    assert_eq!(
        (
            dl[0].id,
            dl[0].attempts,
            dl[0].last_error.as_str(),
            dl[0].payload.as_slice()
        ),
        (id, 3, "error 3", &b"p"[..]),
        "dead: letter contents"
    );
    assert!(
        store
            .dead_letters(&q, Some(id), 10)
            .await
            .expect("list")
            .is_empty(),
        "dead: paging after the last"
    );

    // Bury: a permanent failure at once.
    store
        .enqueue(&q, &NewJob::new("gone.example", b"q".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(now, Duration::from_secs(60), 1))
        .await
        .expect("lease");
    store
        .bury(&q, &j[0].lease, "410 Gone", now)
        .await
        .expect("bury");
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        2,
        "dead: buried job is a dead letter"
    );

    // A job whose last lease expires is dead-lettered, not leased a fourth time.
    store
        .enqueue(
            &q,
            &NewJob::new("slow.example", b"r".to_vec(), at(0)).with_max_attempts(1),
        )
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(now, Duration::from_secs(5), 1))
        .await
        .expect("lease");
    assert_eq!(j.len(), 1, "dead: leased once");
    let later = now.saturating_add(Duration::from_secs(6));
    assert!(
        store
            .lease(&q, &LeaseRequest::new(later, Duration::from_secs(5), 5))
            .await
            .expect("lease")
            .is_empty(),
        "dead: expired last attempt is not leased again"
    );
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        3,
        "dead: expired last attempt is dead-lettered"
    );
    let all = store.dead_letters(&q, None, 10).await.expect("list");
    assert_eq!(
        all.last().map(|d| d.last_error.as_str()),
        Some("lease expired"),
        "dead: its error says so"
    );

    // Requeue a dead letter.
    let new_id = store
        .take_dead_letter(&q, id, Some(later))
        .await
        .expect("requeue")
        .expect("a new job id");
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        2,
        "dead: taken out of the dead letters"
    );
    let j = store
        .lease(&q, &LeaseRequest::new(later, Duration::from_secs(5), 5))
        .await
        .expect("lease");
    assert_eq!(
        (j.len(), j[0].id, j[0].attempts, j[0].payload.as_slice()),
        (1, new_id, 1, &b"p"[..]),
        "dead: requeued with attempts reset"
    );
    assert!(
        store
            .take_dead_letter(&q, id, None)
            .await
            .is_err_and(|e| e.is_not_found()),
        "dead: taking a missing dead letter is NotFound"
    );
}

/// Lane-restricted leases and per-lane counts.
pub async fn lanes<S: Store + ?Sized>(store: &S) {
    let q = scope("lanes");
    for i in 0..6u64 {
        let lane = if i.is_multiple_of(2) {
            "even.example"
        } else {
            "odd.example"
        };
        store
            .enqueue(&q, &NewJob::new(lane, i.to_be_bytes().to_vec(), at(i)))
            .await
            .expect("enqueue");
    }
    assert_eq!(
        store.lane_counts(&q).await.expect("counts"),
        vec![
            ("even.example".to_string(), 3),
            ("odd.example".to_string(), 3)
        ],
        "lanes: counts per lane"
    );
    let odd = store
        .lease(
            &q,
            &LeaseRequest::new(at(10), Duration::from_secs(60), 10).lane("odd.example"),
        )
        .await
        .expect("lease");
    assert_eq!(
        odd.len(),
        3,
        "lanes: lane-restricted lease gets that lane's jobs"
    );
    assert!(
        odd.iter().all(|j| j.lane == "odd.example"),
        "lanes: only that lane"
    );
    let rest = store
        .lease(&q, &LeaseRequest::new(at(10), Duration::from_secs(60), 10))
        .await
        .expect("lease");
    assert!(
        rest.len() == 3 && rest.iter().all(|j| j.lane == "even.example"),
        "lanes: the other lane remains"
    );
    for j in odd {
        store.ack(&q, &j.lease).await.expect("ack");
    }
    assert_eq!(
        store.count_lane(&q, "odd.example").await.expect("count"),
        0,
        "lanes: emptied lane counts 0"
    );
    assert_eq!(
        store.count_lane(&q, "even.example").await.expect("count"),
        3,
        "lanes: leased jobs still count as pending"
    );
}

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

/// The key-value space: namespaces, prefix scans, paging with `after`.
pub async fn kv_prefix_scans<S: Store + ?Sized>(store: &S) {
    let ns = scope("kv");
    let ns2 = format!("{ns}2");
    for k in [
        "account:alice",
        "account:bob",
        "account:carol",
        "token:1",
        "token:2",
        "accounts",
    ] {
        store
            .kv_put(&ns, k.as_bytes(), format!("v-{k}").as_bytes())
            .await
            .expect("put");
    }
    store
        .kv_put(&ns2, b"account:zed", b"other")
        .await
        .expect("put");
    assert_eq!(
        store.kv_get(&ns, b"account:bob").await.expect("get"),
        Some(b"v-account:bob".to_vec()),
        "kv: get"
    );
    assert_eq!(
        store.kv_get(&ns, b"account:zed").await.expect("get"),
        None,
        "kv: namespaces are separate"
    );
    let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| {
        v.into_iter()
            .map(|(k, _)| String::from_utf8(k).expect("utf8"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", None, 10)
                .await
                .expect("scan")
        ),
        ["account:alice", "account:bob", "account:carol"],
        "kv: prefix scan in key order, nothing outside the prefix"
    );
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", Some(b"account:alice"), 1)
                .await
                .expect("scan")
        ),
        ["account:bob"],
        "kv: scan after a key, with a limit"
    );
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", Some(b"account:carol"), 10)
                .await
                .expect("scan")
        ),
        Vec::<String>::new(),
        "kv: scan after the last key"
    );
    assert_eq!(
        keys(store.kv_scan(&ns, b"", None, 100).await.expect("scan")).len(),
        6,
        "kv: empty prefix scans the namespace only"
    );
    let all = store.kv_scan(&ns, b"token:", None, 10).await.expect("scan");
    assert_eq!(
        all[1],
        (b"token:2".to_vec(), b"v-token:2".to_vec()),
        "kv: scan returns values"
    );
    assert!(
        store.kv_delete(&ns, b"token:1").await.expect("delete"),
        "kv: delete existing"
    );
    assert!(
        !store.kv_delete(&ns, b"token:1").await.expect("delete"),
        "kv: delete missing"
    );
    assert_eq!(
        keys(store.kv_scan(&ns, b"token:", None, 10).await.expect("scan")),
        ["token:2"],
        "kv: deleted key not scanned"
    );
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Account {
        name: String,
        locked: bool,
    }
    let acct = Account {
        name: "alice".into(),
        locked: true,
    };
    store
        .kv_put_json(&ns, b"json:alice", &acct)
        .await
        .expect("put json");
    assert_eq!(
        store
            .kv_get_json::<Account>(&ns, b"json:alice")
            .await
            .expect("get json"),
        Some(acct),
        "kv: JSON round trip"
    );
    assert!(
        store
            .kv_get_json::<Account>(&ns, b"account:bob")
            .await
            .is_err_and(|e| e.is_corrupt()),
        "kv: a record of the wrong shape is Corrupt"
    );
}

/// Batches apply across concerns atomically, or not at all.
pub async fn atomic_batches<S: Store + ?Sized>(store: &S) {
    let s = scope("batch");
    let alice = format!("https://example.com/{s}/users/alice");
    let bob = format!("https://remote.example/{s}/users/bob");
    let followers = format!("followers:{alice}");
    let following = format!("following:{bob}");
    let rel = format!("{alice}|{bob}");
    // Accepting a follow: relationship, followers and following together.
    let accept = WriteBatch::new()
        .kv_put(&s, rel.as_bytes(), &b"accepted"[..])
        .insert(&followers, 7, &bob)
        .insert(&following, 7, &alice)
        .enqueue(&s, NewJob::new("remote.example", b"Accept".to_vec(), at(0)));
    let out = store.apply(&accept).await.expect("apply");
    assert!(out.applied, "batch: applied");
    assert_eq!(out.job_ids.len(), 1, "batch: enqueued job id reported");
    assert_eq!(
        store.kv_get(&s, rel.as_bytes()).await.expect("get"),
        Some(b"accepted".to_vec()),
        "batch: kv written"
    );
    assert!(
        store.contains(&followers, &bob).await.expect("contains"),
        "batch: followers written"
    );
    assert!(
        store.contains(&following, &alice).await.expect("contains"),
        "batch: following written"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch: job enqueued"
    );

    // Several inserts into one collection within one batch are all counted.
    let many = (0..5u64).fold(WriteBatch::new(), |b, i| {
        b.insert(&followers, 100 + i, format!("{bob}/{i}"))
    });
    store
        .apply(&many.remove(&followers, &bob))
        .await
        .expect("apply");
    assert_eq!(
        store.count(&followers).await.expect("count"),
        5,
        "batch: counts see the batch's own writes"
    );

    // A batch with a failing operation writes nothing.
    let dead = format!("https://example.com/{s}/notes/deleted");
    store
        .delete_document(&dead, &Tombstone::new(at(0)))
        .await
        .expect("delete");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Remote, at(1))
        .expect("doc");
    let bad = WriteBatch::new()
        .kv_put(&s, &b"must-not-exist"[..], &b"x"[..])
        .insert(&followers, 1, "https://must.not/exist")
        .put_document(&dead, doc)
        .enqueue(&s, NewJob::new("x", vec![], at(0)));
    let err = store
        .apply(&bad)
        .await
        .expect_err("batch: must fail on the tombstoned IRI");
    assert!(
        err.is_tombstoned(),
        "batch: the error is Tombstoned, got {err:?}"
    );
    assert_eq!(
        store.kv_get(&s, b"must-not-exist").await.expect("get"),
        None,
        "batch: no kv write from a failed batch"
    );
    assert!(
        !store
            .contains(&followers, "https://must.not/exist")
            .await
            .expect("contains"),
        "batch: no insert from a failed batch"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch: no enqueue from a failed batch"
    );

    // Document put and delete in batches.
    let iri = format!("https://example.com/{s}/notes/1");
    let d = Document::from_json(
        &serde_json::json!({"type": "Note", "n": 1}),
        Origin::Local,
        at(1),
    )
    .expect("doc");
    store
        .apply(
            &WriteBatch::new()
                .put_document(&iri, d.clone())
                .kv_delete(&s, rel.as_bytes()),
        )
        .await
        .expect("apply");
    assert_eq!(
        store.get_document(&iri).await.expect("get"),
        Some(d),
        "batch: document put"
    );
    assert_eq!(
        store.kv_get(&s, rel.as_bytes()).await.expect("get"),
        None,
        "batch: kv delete"
    );
    store
        .apply(&WriteBatch::new().delete_document(&iri, Tombstone::new(at(2))))
        .await
        .expect("apply");
    assert!(
        store.is_tombstoned(&iri).await.expect("tombstone"),
        "batch: document delete tombstones"
    );

    // A guarded batch: applied once, then skipped.
    let guarded = WriteBatch::new()
        .unless_seen(
            format!("https://remote.example/{s}/activities/1"),
            at(0),
            Duration::from_secs(60),
        )
        .enqueue(&s, NewJob::new("remote.example", b"in".to_vec(), at(0)));
    assert!(
        store.apply(&guarded).await.expect("apply").applied,
        "batch: guarded batch applies the first time"
    );
    let again = store.apply(&guarded).await.expect("apply");
    assert!(
        !again.applied && again.job_ids.is_empty(),
        "batch: guarded batch is skipped for a seen id"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        2,
        "batch: only one job from the guarded batch"
    );
}

/// Concurrent guarded batches with one id: exactly one applies.
pub async fn batch_dedupe_race<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-race");
    let batch = WriteBatch::new()
        .unless_seen(
            format!("https://remote.example/{s}/a"),
            at(0),
            Duration::from_secs(60),
        )
        .enqueue(&s, NewJob::new("remote.example", b"in".to_vec(), at(0)));
    let results = join_all((0..16).map(|_| store.apply(&batch))).await;
    let applied = results
        .into_iter()
        .map(|r| r.expect("apply"))
        .filter(|o| o.applied)
        .count();
    assert_eq!(
        applied, 1,
        "batch race: exactly one of 16 concurrent guarded batches applies"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch race: exactly one job enqueued"
    );
}

/// [`BatchStore::apply_many`]: batches applied in order, each as by `apply`, seeing the
/// batches before it; a failing batch fails alone.
pub async fn batch_groups<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-group");
    let ttl = Duration::from_secs(60);
    let id1 = format!("https://remote.example/{s}/activities/1");
    let id2 = format!("https://remote.example/{s}/activities/2");
    let coll = format!("followers:{s}");
    let dead = format!("https://example.com/{s}/notes/deleted");
    store
        .delete_document(&dead, &Tombstone::new(at(0)))
        .await
        .expect("delete");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Remote, at(1))
        .expect("doc");

    assert!(
        store.apply_many(&[]).await.expect("apply_many").is_empty(),
        "batch group: no batches, no results"
    );

    let batches = [
        // 0: applied.
        WriteBatch::new()
            .unless_seen(&id1, at(0), ttl)
            .enqueue(&s, NewJob::new("remote.example", b"one".to_vec(), at(0))),
        // 1: the same id as batch 0: not applied.
        WriteBatch::new()
            .unless_seen(&id1, at(0), ttl)
            .enqueue(&s, NewJob::new("remote.example", b"dup".to_vec(), at(0))),
        // 2: fails (a tombstoned IRI); its other writes must not happen.
        WriteBatch::new()
            .unless_seen(format!("{id2}/bad"), at(0), ttl)
            .kv_put(&s, &b"from-bad"[..], &b"x"[..])
            .insert(&coll, 1, "https://must.not/exist")
            .enqueue(&s, NewJob::new("x", b"bad".to_vec(), at(0)))
            .put_document(&dead, doc.clone()),
        // 3: applied, after the failure.
        WriteBatch::new()
            .unless_seen(&id2, at(0), ttl)
            .kv_put(&s, &b"from-good"[..], &b"y"[..])
            .insert(&coll, 2, "https://remote.example/users/bob")
            .enqueue(&s, NewJob::new("other.example", b"two".to_vec(), at(0))),
        // 4: sees batch 3's insert (the member moves, the count stays 1).
        WriteBatch::new().insert(&coll, 3, "https://remote.example/users/bob"),
    ];
    let results = store.apply_many(&batches).await.expect("apply_many");
    assert_eq!(results.len(), 5, "batch group: one result per batch");
    let first = results[0].as_ref().expect("batch group: batch 0 succeeds");
    assert!(
        first.applied && first.job_ids.len() == 1,
        "batch group: batch 0 applied with one job: {first:?}"
    );
    let second = results[1].as_ref().expect("batch group: batch 1 succeeds");
    assert!(
        !second.applied && second.job_ids.is_empty(),
        "batch group: batch 1 (same dedupe id as batch 0) is not applied: {second:?}"
    );
    let err = results[2]
        .as_ref()
        .expect_err("batch group: batch 2 fails on the tombstoned IRI");
    assert!(
        err.is_tombstoned(),
        "batch group: batch 2's error is Tombstoned, got {err:?}"
    );
    let fourth = results[3].as_ref().expect("batch group: batch 3 succeeds");
    assert!(
        fourth.applied && fourth.job_ids.len() == 1,
        "batch group: batch 3 applied with one job: {fourth:?}"
    );
    assert!(
        fourth.job_ids[0] > first.job_ids[0],
        "batch group: job ids increase in batch order"
    );
    assert!(
        results[4].as_ref().expect("batch 4").applied,
        "batch group: batch 4 applied"
    );

    // The effects: batches 0, 3 and 4, nothing of 1 and 2.
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        2,
        "batch group: the jobs of batches 0 and 3"
    );
    assert_eq!(
        store.count_lane(&s, "other.example").await.expect("count"),
        1,
        "batch group: batch 3's lane"
    );
    let jobs = store
        .lease(&s, &LeaseRequest::new(at(1), Duration::from_secs(30), 10))
        .await
        .expect("lease");
    let payloads: Vec<&[u8]> = jobs.iter().map(|j| &j.payload[..]).collect();
    assert_eq!(
        payloads,
        [&b"one"[..], &b"two"[..]],
        "batch group: exactly the jobs of the applied batches, in order"
    );
    assert_eq!(
        jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        [first.job_ids[0], fourth.job_ids[0]],
        "batch group: the reported job ids"
    );
    assert_eq!(
        store.kv_get(&s, b"from-bad").await.expect("get"),
        None,
        "batch group: no kv write from the failed batch"
    );
    assert_eq!(
        store.kv_get(&s, b"from-good").await.expect("get"),
        Some(b"y".to_vec()),
        "batch group: kv write from batch 3"
    );
    assert!(
        !store
            .contains(&coll, "https://must.not/exist")
            .await
            .expect("contains"),
        "batch group: no insert from the failed batch"
    );
    assert_eq!(
        store.count(&coll).await.expect("count"),
        1,
        "batch group: batch 4 moved batch 3's member"
    );
    assert_eq!(
        store
            .key_of(&coll, "https://remote.example/users/bob")
            .await
            .expect("key_of"),
        Some(3),
        "batch group: batch 4's key wins"
    );
    assert!(
        store.seen(&id1, at(1)).await.expect("seen")
            && store.seen(&id2, at(1)).await.expect("seen"),
        "batch group: the guards of applied batches are recorded"
    );
    assert!(
        !store
            .seen(&format!("{id2}/bad"), at(1))
            .await
            .expect("seen"),
        "batch group: the failed batch's guard is not recorded"
    );
    assert!(
        !store.check_and_set(&id1, at(1), ttl).await.expect("check"),
        "batch group: a later check sees the id"
    );

    // A batch sees an earlier batch's delete within the same call.
    let iri = format!("https://example.com/{s}/notes/1");
    let results = store
        .apply_many(&[
            WriteBatch::new().delete_document(&iri, Tombstone::new(at(2))),
            WriteBatch::new().put_document(&iri, doc),
        ])
        .await
        .expect("apply_many");
    assert!(
        results[0].as_ref().is_ok_and(|o| o.applied),
        "batch group: delete applied"
    );
    assert!(
        results[1].as_ref().is_err_and(|e| e.is_tombstoned()),
        "batch group: a put after a delete in the same call is refused: {:?}",
        results[1]
    );
    assert!(
        store.is_tombstoned(&iri).await.expect("tombstone"),
        "batch group: the tombstone is written"
    );

    // A group where every batch fails or is a duplicate writes nothing.
    let results = store
        .apply_many(&[
            WriteBatch::new()
                .unless_seen(&id1, at(1), ttl)
                .kv_put(&s, &b"late"[..], &b"z"[..]),
            WriteBatch::new()
                .kv_put(&s, &b"late"[..], &b"z"[..])
                .insert("", 1, "m"),
        ])
        .await
        .expect("apply_many");
    assert!(
        results[0].as_ref().is_ok_and(|o| !o.applied),
        "batch group: duplicate not applied"
    );
    assert!(
        results[1].as_ref().is_err_and(|e| e.is_invalid_argument()),
        "batch group: an empty collection name is an invalid argument: {:?}",
        results[1]
    );
    assert_eq!(
        store.kv_get(&s, b"late").await.expect("get"),
        None,
        "batch group: nothing written"
    );
}

/// Concurrent `apply_many` calls and `apply` calls guarded by the same ids: each id is
/// applied exactly once.
pub async fn batch_group_race<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-group-race");
    let ttl = Duration::from_secs(60);
    let batch = |n: u64| {
        WriteBatch::new()
            .unless_seen(format!("https://remote.example/{s}/a/{n}"), at(0), ttl)
            .enqueue(
                &s,
                NewJob::new("remote.example", n.to_be_bytes().to_vec(), at(0)),
            )
    };
    // 8 groups over ids 0..8 in different orders, and 8 single applies.
    let groups: Vec<Vec<WriteBatch>> = (0..8u64)
        .map(|g| (0..8u64).map(|n| batch((n + g) % 8)).collect())
        .collect();
    let singles: Vec<WriteBatch> = (0..8u64).map(batch).collect();
    let (grouped, single) = futures::join!(
        join_all(groups.iter().map(|g| store.apply_many(g))),
        join_all(singles.iter().map(|b| store.apply(b))),
    );
    let mut applied = 0;
    for r in grouped {
        for o in r.expect("apply_many") {
            applied += usize::from(o.expect("batch").applied);
        }
    }
    for o in single {
        applied += usize::from(o.expect("apply").applied);
    }
    assert_eq!(applied, 8, "batch group race: each of 8 ids applied once");
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        8,
        "batch group race: one job per id"
    );
}
