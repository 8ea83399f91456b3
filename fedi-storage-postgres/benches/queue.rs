//! Durable queue throughput: 64 producers enqueue jobs while 1, 2 or 4 consumers lease them
//! (64 at a time) and acknowledge them (`ack_many`), on PostgreSQL and, in the same run, on
//! sled. Jobs per second overall, from the first enqueue to the last acknowledgement.
//!
//! On PostgreSQL each consumer is a store of its own (its own pool, as a separate process
//! would have), waiting on a `QueueWaiter` (LISTEN/NOTIFY) when the queue is empty; the
//! producers share one store. On sled (one process per data directory) the consumers are
//! tasks on one store, polling an empty queue every millisecond as the workspace's sled
//! queue bench does.
//!
//! The database: `WOOLLY_BENCH_DATABASE_URL` when set (a database the bench may create
//! tables in), else a private cluster with PostgreSQL's durable defaults (`fsync` and
//! `synchronous_commit` on), started and stopped by the bench. `WOOLLY_BENCH_JOBS` sets the
//! jobs per run (default 20,000).
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fedi_storage::sled::SledStore;
use fedi_storage::*;
use fedi_storage_postgres::test_support::TestCluster;
use fedi_storage_postgres::{PostgresConfig, PostgresStore};

const PRODUCERS: u64 = 64;
const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

async fn produce<S: Store + Clone + 'static>(store: S, queue: Arc<str>, jobs: u64) {
    let per = jobs / PRODUCERS;
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let store = store.clone();
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let job = NewJob::new(format!("host{}.example", (p + i) % 50), vec![0u8; 512], T0);
                store.enqueue(&queue, &job).await.expect("enqueue");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// One consumer: leases and acks until `done` reaches `total` (or 120 s pass).
async fn consume<S: Store + 'static>(
    store: S,
    queue: Arc<str>,
    done: Arc<AtomicU64>,
    total: u64,
    mut idle: impl FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + 'static,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while done.load(Ordering::SeqCst) < total && Instant::now() < deadline {
        let jobs = store
            .lease(&queue, &LeaseRequest::new(T0, Duration::from_secs(300), 64))
            .await
            .expect("lease");
        if jobs.is_empty() {
            idle().await;
            continue;
        }
        let leases: Vec<Lease> = jobs.iter().map(|j| j.lease).collect();
        let acked = store.ack_many(&queue, &leases).await.expect("ack_many");
        assert!(acked.iter().all(|a| *a));
        done.fetch_add(jobs.len() as u64, Ordering::SeqCst);
    }
}

async fn postgres_run(url: &str, consumers: usize, jobs: u64, queue: &str) -> f64 {
    let producer = PostgresConfig::new(url)
        .pool_size(32)
        .connect()
        .await
        .unwrap();
    let queue: Arc<str> = queue.into();
    let total = jobs / PRODUCERS * PRODUCERS;
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let mut stores: Vec<PostgresStore> = Vec::new();
    for _ in 0..consumers {
        stores.push(
            PostgresConfig::new(url)
                .pool_size(4)
                .connect()
                .await
                .unwrap(),
        );
    }
    let start = Instant::now();
    for s in stores {
        let waiter = Arc::new(tokio::sync::Mutex::new(s.queue_waiter(&queue)));
        let idle = move || {
            let w = waiter.clone();
            Box::pin(async move {
                w.lock().await.wait(Duration::from_millis(200)).await;
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        tasks.push(tokio::spawn(consume(
            s,
            queue.clone(),
            done.clone(),
            total,
            idle,
        )));
    }
    produce(producer, queue.clone(), jobs).await;
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), total, "every job acknowledged");
    total as f64 / start.elapsed().as_secs_f64()
}

async fn sled_run(store: SledStore, consumers: usize, jobs: u64, queue: &str) -> f64 {
    let queue: Arc<str> = queue.into();
    let total = jobs / PRODUCERS * PRODUCERS;
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..consumers {
        let idle = || {
            Box::pin(tokio::time::sleep(Duration::from_millis(1)))
                as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        tasks.push(tokio::spawn(consume(
            store.clone(),
            queue.clone(),
            done.clone(),
            total,
            idle,
        )));
    }
    produce(store, queue.clone(), jobs).await;
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), total, "every job acknowledged");
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let jobs: u64 = std::env::var("WOOLLY_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_cluster, url) = match std::env::var("WOOLLY_BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (None, url),
        _ => {
            let c = TestCluster::start(true).expect("start PostgreSQL");
            let url = c.url("postgres");
            (Some(c), url)
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path().join("db")).unwrap();
    let stamp = Timestamp::now().as_unix_millis();
    println!("durable queue, {PRODUCERS} producers, {jobs} jobs of 512 bytes per run");
    for consumers in [1usize, 2, 4] {
        let q = format!("bench-{stamp}-{consumers}");
        let pg = rt.block_on(postgres_run(&url, consumers, jobs, &q));
        let sl = rt.block_on(sled_run(sled.clone(), consumers, jobs, &q));
        println!("consumers {consumers}: postgres {pg:>8.0} jobs/s   sled {sl:>8.0} jobs/s");
    }
}
