//! `CountingStore` forwards every call (the backends still pass the conformance suite
//! through it) and counts each once, as the caller made it.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fedi_storage::counting::CountingStore;
use fedi_storage::{
    conformance, memory::MemoryStore, sled::SledStore, BatchStore, CollectionItem, CollectionStore,
    KvStore, KvStoreExt, LeaseRequest, NewJob, PageRequest, QueueStore, StoreInfo, Timestamp,
    WriteBatch,
};

#[tokio::test]
async fn memory_backend_passes_conformance_through_the_counter() {
    let store = CountingStore::new(MemoryStore::new());
    assert!(!store.is_durable());
    conformance::run_all(&store).await;
    let c = store.counts();
    assert!(c.reads > 0 && c.writes > 0, "{c:?}");
    assert_eq!(c.calls, c.reads + c.writes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_backend_passes_conformance_through_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let store = CountingStore::new(SledStore::open(dir.path().join("db")).unwrap());
    assert!(store.is_durable());
    conformance::run_all(&store).await;
    assert!(store.counts().calls > 0);
}

#[tokio::test]
async fn the_counter_is_dyn_compatible() {
    let store: std::sync::Arc<dyn fedi_storage::Store> =
        std::sync::Arc::new(CountingStore::new(MemoryStore::new()));
    conformance::run_all(&*store).await;
}

#[tokio::test]
async fn reads_writes_and_records_are_counted() {
    let store = CountingStore::new(MemoryStore::new());
    for (k, m) in [(1u64, "a"), (2, "b"), (3, "c")] {
        store.insert("c", &CollectionItem::new(k, m)).await.unwrap();
    }
    store.kv_put("ns", b"k", b"v").await.unwrap();
    let c = store.counts();
    assert_eq!((c.calls, c.reads, c.writes, c.records_read), (4, 0, 4, 0));

    store.reset();
    assert_eq!(store.counts(), Default::default());
    assert!(store.calls_by_method().is_empty());
    store.kv_get("ns", b"k").await.unwrap();
    store.kv_get("ns", b"missing").await.unwrap();
    store.page("c", &PageRequest::newest(2)).await.unwrap();
    store.count_many(&["c", "d", "e"]).await.unwrap();
    store.kv_get_json::<String>("ns", b"missing").await.unwrap();
    store.newest_many(&["c", "d"]).await.unwrap();
    let c = store.counts();
    // Two point reads (2 records), a page of 2 items, three counts, one more point read, and
    // the newest item of one non-empty collection out of two (as a page of one each).
    assert_eq!((c.calls, c.reads, c.writes, c.records_read), (6, 6, 0, 9));
    let by = store.calls_by_method();
    assert_eq!(by.get("kv_get"), Some(&3));
    assert_eq!(by.get("page"), Some(&1));
    assert_eq!(by.get("count_many"), Some(&1));

    // Methods that read and write count as writes.
    store.reset();
    assert!(store.kv_delete("ns", b"k").await.unwrap());
    let c = store.counts();
    assert_eq!((c.reads, c.writes), (0, 1));
    // Calls made on the wrapped store directly are not counted.
    store.inner().kv_get("ns", b"k").await.unwrap();
    assert_eq!(store.counts(), c);
}

#[tokio::test]
async fn provided_methods_are_forwarded_not_left_to_their_defaults() {
    // Counting a counter: each call the outer wrapper receives must reach the inner one as
    // the same single call. Left to its default body, `kv_get_many` would reach it as one
    // `kv_get` per key.
    let inner = CountingStore::new(MemoryStore::new());
    let outer = CountingStore::new(inner.clone());
    let now = Timestamp::from_unix_millis(1_700_000_000_000);
    outer
        .insert("c", &CollectionItem::new(1, "a"))
        .await
        .unwrap();
    outer
        .enqueue("q", &NewJob::new("l", vec![1], now))
        .await
        .unwrap();
    outer
        .enqueue("q", &NewJob::new("l", vec![2], now))
        .await
        .unwrap();
    let jobs = outer
        .lease("q", &LeaseRequest::new(now, Duration::from_secs(60), 10))
        .await
        .unwrap();
    inner.reset();
    outer.reset();
    outer.kv_get_many("ns", &[b"a", b"b", b"c"]).await.unwrap();
    outer.count_many(&["c", "d"]).await.unwrap();
    outer.newest_many(&["c", "d"]).await.unwrap();
    outer.key_of_many(&[("c", "a"), ("c", "b")]).await.unwrap();
    let leases: Vec<_> = jobs.iter().map(|j| j.lease).collect();
    assert_eq!(outer.ack_many("q", &leases).await.unwrap(), [true, true]);
    let batches = [
        WriteBatch::new().kv_put("ns", "x", "1"),
        WriteBatch::new().kv_put("ns", "y", "2"),
    ];
    outer.apply_many(&batches).await.unwrap();
    let by = inner.calls_by_method();
    let expected: std::collections::BTreeMap<&str, u64> = [
        "kv_get_many",
        "count_many",
        "newest_many",
        "key_of_many",
        "ack_many",
        "apply_many",
    ]
    .into_iter()
    .map(|m| (m, 1))
    .collect();
    assert_eq!(by, expected);
    assert_eq!(inner.counts(), outer.counts());
}
