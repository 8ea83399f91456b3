//! Both bundled backends pass the public conformance suite.
#![allow(clippy::unwrap_used)]

use fedi_storage::{conformance, memory::MemoryStore, sled::SledStore, StoreInfo};

/// Opens a sled store again after the previous handle was dropped. sled 0.34 releases its
/// file lock when its own background threads let go of the database, which can be a moment
/// after the last handle is dropped: a lock error is retried, bounded (10 s); any other
/// error fails at once.
fn reopen(path: &std::path::Path) -> SledStore {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(path) {
            Ok(s) => return s,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("reopen {}: {e}", path.display()),
        }
    }
}

#[tokio::test]
async fn memory_backend_passes_conformance() {
    let store = MemoryStore::new();
    assert!(!store.is_durable());
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_backend_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path().join("db")).unwrap();
    assert!(store.is_durable());
    conformance::run_all(&store).await;
    let stats = store.stats();
    assert!(
        stats.flushes > 0 && stats.flushes <= stats.durable_writes,
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_backend_passes_conformance_twice_on_the_same_store_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path().join("db")).unwrap();
        conformance::run_all(&store).await;
    }
    let store = reopen(&dir.path().join("db"));
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_from_many_tasks_share_flushes() {
    use fedi_storage::{NewJob, QueueStore, QueueStoreExt, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path().join("db")).unwrap();
    let mut tasks = Vec::new();
    for p in 0..32u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20u64 {
                store
                    .enqueue(
                        "q",
                        &NewJob::new(
                            format!("h{}", p % 3),
                            (p * 100 + i).to_be_bytes().to_vec(),
                            Timestamp::EPOCH,
                        ),
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.count_pending("q").await.unwrap(), 640);
    let stats = store.stats();
    assert_eq!(stats.durable_writes, 640);
    assert!(
        stats.flushes < 640,
        "concurrent writers should share flushes: {stats:?}"
    );
}

#[tokio::test]
async fn the_traits_are_dyn_compatible() {
    // The engine and server hold the store as a trait object.
    let store: std::sync::Arc<dyn fedi_storage::Store> = std::sync::Arc::new(MemoryStore::new());
    conformance::run_all(&*store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_apply_many_is_one_durable_write_that_survives_reopen() {
    use fedi_storage::{
        BatchStore, DedupeStore, LeaseRequest, NewJob, QueueStore, Timestamp, WriteBatch,
    };
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_unix_millis(1_700_000_000_000);
    let ttl = Duration::from_secs(3600);
    let batches: Vec<WriteBatch> = (0..10u64)
        .map(|i| {
            WriteBatch::new()
                .unless_seen(format!("https://remote.example/a/{}", i % 8), now, ttl)
                .enqueue("inbox", NewJob::new("remote.example", vec![i as u8], now))
        })
        .collect();
    {
        let store = SledStore::open(dir.path().join("db")).unwrap();
        let before = store.stats();
        let results = store.apply_many(&batches).await.unwrap();
        let applied: Vec<bool> = results
            .iter()
            .map(|r| r.as_ref().unwrap().applied)
            .collect();
        // Ids 8 and 9 repeat the guards of 0 and 1.
        assert_eq!(
            applied,
            [true, true, true, true, true, true, true, true, false, false]
        );
        let after = store.stats();
        assert_eq!(
            after.commits - before.commits,
            1,
            "one store write: {after:?}"
        );
        assert_eq!(after.durable_writes - before.durable_writes, 8, "{after:?}");
        assert!(after.flushes > before.flushes, "flushed before returning");
    }
    let store = reopen(&dir.path().join("db"));
    let jobs = store
        .lease(
            "inbox",
            &LeaseRequest::new(now, Duration::from_secs(30), 100),
        )
        .await
        .unwrap();
    let payloads: Vec<u8> = jobs.iter().map(|j| j.payload[0]).collect();
    assert_eq!(payloads, (0..8u8).collect::<Vec<_>>());
    for i in 0..8 {
        assert!(store
            .seen(&format!("https://remote.example/a/{i}"), now)
            .await
            .unwrap());
    }
}

#[test]
fn a_data_directory_keeps_the_sled_segment_size_it_was_created_with() {
    use fedi_storage::sled::SledConfig;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    drop(SledStore::open_with(SledConfig::new(&path).segment_size(1 << 20)).unwrap());
    let conf = String::from_utf8_lossy(&std::fs::read(path.join("conf")).unwrap()).into_owned();
    assert!(conf.contains("segment_size: 1048576"), "{conf}");
    // sled refuses another size for an existing directory; the store reads the recorded one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open_with(SledConfig::new(&path).segment_size(64 << 10)) {
            Ok(_) => break,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("reopen with another segment size: {e}"),
        }
    }
}
