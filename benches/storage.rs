//! Storage benchmarks: the sled backend beside the memory backend, so the cost of
//! durability shows as a ratio.
//!
//! * `page40/*`: a page of 40 from a collection of 1,000,000 items, at the newest end and
//!   deep in the middle (`max_id` half-way down). Besides criterion's estimates, a manual
//!   loop of 20,000 timed pages prints p50 / p99 / max (the target is p99 ≤ 1 ms on sled),
//!   including pages at random depths.
//! * `queue/*`: durable enqueue → lease → acknowledge with 1, 8 and 64 concurrent producers
//!   (and two consumers leasing batches of 64, acknowledging concurrently); reported in
//!   jobs/s, with the number of durable writes per flush (group commit) and the bytes written
//!   to files per job and per flush (Linux: `/proc/self/io`) printed.
//! * `document/*`: get and put of 1 KB and 16 KB documents (puts are durable on sled).
//!
//! Run: `cargo bench -p woolly-benches --bench storage`. The 1,000,000-item collections are
//! built once per run, in batches, in a temporary directory under the target directory.
//! A plain criterion filter also skips the setup of the groups it excludes, so
//! `cargo bench -p woolly-benches --bench storage -- queue` runs only the queue group (about a
//! minute), without building the 1,000,000-item collections.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fedi_storage::memory::MemoryStore;
use fedi_storage::sled::{SledConfig, SledStore};
use fedi_storage::*;

const ITEMS: u64 = 1_000_000;
const COLL: &str = "timeline:home:https://example.com/users/alice";
const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Snowflake-like key of the i-th status: milliseconds in the high bits, a sequence below.
fn key(i: u64) -> u64 {
    ((1_700_000_000_000 + i * 7) << 16) | (i & 0xFFFF)
}

async fn fill<S: Store>(store: &S) -> Duration {
    let start = Instant::now();
    const BATCH: u64 = 20_000;
    for b in 0..ITEMS / BATCH {
        let mut batch = WriteBatch::new();
        for i in b * BATCH..(b + 1) * BATCH {
            batch = batch.insert(
                COLL,
                key(i),
                format!(
                    "https://remote{}.example/users/u{}/statuses/{}",
                    i % 1000,
                    i % 5000,
                    key(i)
                ),
            );
        }
        store.apply(&batch).await.expect("fill");
    }
    assert_eq!(store.count(COLL).await.expect("count"), ITEMS);
    start.elapsed()
}

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort_unstable();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p) as usize];
    format!(
        "p50 {:>8.1?}  p99 {:>8.1?}  p99.9 {:>8.1?}  max {:>8.1?}",
        at(0.50),
        at(0.99),
        at(0.999),
        at(1.0)
    )
}

fn manual_page_timings<S: Store>(rt: &tokio::runtime::Runtime, name: &str, store: &S) {
    const N: usize = 20_000;
    let mut rng = 0x853c_49e6_748f_ea9bu64;
    for (label, pick) in [
        ("newest", 0u8),
        ("middle (max_id at 500,000)", 1),
        ("random depth", 2),
    ] {
        let mut times = Vec::with_capacity(N);
        rt.block_on(async {
            for _ in 0..N {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let req = match pick {
                    0 => PageRequest::newest(40),
                    1 => PageRequest::newest(40).max_id(key(ITEMS / 2)),
                    _ => PageRequest::newest(40).max_id(key(40 + rng % (ITEMS - 40))),
                };
                let t = Instant::now();
                let page = store.page(COLL, &req).await.expect("page");
                times.push(t.elapsed());
                assert_eq!(page.items.len(), 40);
            }
        });
        println!("page40 {name:<6} {label:<28} {}", percentiles(times));
    }
}

/// The criterion filter given on the command line, if any (the first positional argument).
fn filter_arg() -> Option<String> {
    // Options of criterion's command line that take a value.
    const WITH_VALUE: &[&str] = &[
        "--color",
        "-c",
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--output-format",
        "--plotting-backend",
        "--format",
        "--logfile",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// Whether any of `ids` (full benchmark ids, `group/function/parameter`) can be selected by
/// the command-line filter, so a group's expensive setup is skipped when none can. A filter
/// that is not a plain literal (criterion reads it as a regular expression) selects
/// everything here; criterion then does the exact matching.
fn selected(ids: &[&str]) -> bool {
    match filter_arg() {
        None => true,
        Some(f)
            if f.chars()
                .any(|c| !(c.is_ascii_alphanumeric() || "/_-".contains(c))) =>
        {
            true
        }
        Some(f) => ids.iter().any(|id| id.contains(f.as_str())),
    }
}

fn page_benches(c: &mut Criterion) {
    if !selected(&[
        "page40/newest/sled",
        "page40/middle/sled",
        "page40/newest/memory",
        "page40/middle/memory",
    ]) {
        return;
    }
    let rt = current_thread();
    let dir = tmpdir();
    let path = dir.path().join("db");
    {
        // Bulk load with a large cache (bounded setup time), then reopen with the defaults
        // (16 MiB cache, flush on every write) for the measurements.
        let bulk = SledStore::open_with(
            SledConfig::new(&path)
                .cache_capacity(1024 * 1024 * 1024)
                .flush_on_write(false),
        )
        .expect("open sled");
        let t = rt.block_on(fill(&bulk));
        rt.block_on(bulk.flush()).expect("flush");
        println!(
            "setup: 1,000,000 items into sled in {t:.1?} ({} MB on disk)",
            bulk.size_on_disk().unwrap_or(0) / 1_000_000
        );
    }
    let sled = SledStore::open(&path).expect("reopen sled");
    let memory = MemoryStore::new();
    let t = rt.block_on(fill(&memory));
    println!("setup: 1,000,000 items into memory in {t:.1?}");

    manual_page_timings(&rt, "sled", &sled);
    manual_page_timings(&rt, "memory", &memory);

    let mut g = c.benchmark_group("page40");
    g.throughput(Throughput::Elements(1));
    for (name, store) in [("sled", &sled as &dyn StoreDyn), ("memory", &memory)] {
        g.bench_function(BenchmarkId::new("newest", name), |b| {
            b.iter(|| rt.block_on(store.page_dyn(&PageRequest::newest(40))))
        });
        g.bench_function(BenchmarkId::new("middle", name), |b| {
            b.iter(|| rt.block_on(store.page_dyn(&PageRequest::newest(40).max_id(key(ITEMS / 2)))))
        });
    }
    g.finish();
}

/// Object-safe view used to put both stores in one list.
trait StoreDyn {
    fn page_dyn<'a>(
        &'a self,
        req: &'a PageRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + 'a>>;
}
impl<S: Store> StoreDyn for S {
    fn page_dyn<'a>(
        &'a self,
        req: &'a PageRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + 'a>> {
        Box::pin(async move { self.page(COLL, req).await.expect("page").items.len() })
    }
}

/// `jobs` jobs through enqueue → lease → ack with `producers` producers and two consumers;
/// each consumer leases up to 64 jobs and acknowledges them with one `ack_many`, or, with
/// `ack_each`, with one concurrent `ack` per job.
async fn pipeline<S: Store + Clone + 'static>(
    store: S,
    producers: u64,
    jobs: u64,
    queue: Arc<str>,
    ack_each: bool,
) -> Duration {
    let start = Instant::now();
    let per = jobs / producers;
    let mut tasks = Vec::new();
    for p in 0..producers {
        let store = store.clone();
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let job = NewJob::new(format!("host{}.example", (p + i) % 50), vec![0u8; 512], T0);
                store.enqueue(&queue, &job).await.expect("enqueue");
            }
        }));
    }
    let total = per * producers;
    let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for _ in 0..2 {
        let store = store.clone();
        let queue = queue.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            // Bounded: ends when every job is acknowledged, or after 60 s.
            let deadline = Instant::now() + Duration::from_secs(60);
            while done.load(std::sync::atomic::Ordering::SeqCst) < total
                && Instant::now() < deadline
            {
                let leased = store
                    .lease(&queue, &LeaseRequest::new(T0, Duration::from_secs(300), 64))
                    .await
                    .expect("lease");
                if leased.is_empty() {
                    // A worker polls an empty queue with a short pause, not a busy loop.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                let n = leased.len() as u64;
                if ack_each {
                    let acks = leased.iter().map(|j| store.ack(&queue, &j.lease));
                    for r in futures_join_all(acks).await {
                        r.expect("ack");
                    }
                } else {
                    let leases: Vec<Lease> = leased.iter().map(|j| j.lease).collect();
                    let acked = store.ack_many(&queue, &leases).await.expect("ack_many");
                    assert!(acked.iter().all(|a| *a), "every lease held");
                }
                done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(
        done.load(std::sync::atomic::Ordering::SeqCst),
        total,
        "every job acknowledged"
    );
    start.elapsed()
}

/// A minimal join_all (the benches crate does not depend on `futures`).
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.expect("ready")).collect()
}

/// Bytes this process has written with write system calls so far (`wchar` of
/// `/proc/self/io`; 0 where that is not available). Includes criterion's own reports,
/// which are small beside the queue's log writes.
fn bytes_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("wchar:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn queue_benches(c: &mut Criterion) {
    if !selected(&[
        "queue/sled/1",
        "queue/sled/8",
        "queue/sled/64",
        "queue/sled/64-ack-each",
        "queue/memory/1",
        "queue/memory/8",
        "queue/memory/64",
        "queue/memory/64-ack-each",
    ]) {
        return;
    }
    let rt = multi_thread();
    let dir = tmpdir();
    let sled = SledStore::open(dir.path().join("db")).expect("open sled");
    let memory = MemoryStore::new();
    let mut g = c.benchmark_group("queue");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for (producers, ack_each) in [(1u64, false), (8, false), (64, false), (64, true)] {
        let jobs = match producers {
            1 => 256,
            8 => 1024,
            _ => 4096,
        };
        let name = if ack_each {
            format!("{producers}-ack-each")
        } else {
            producers.to_string()
        };
        g.throughput(Throughput::Elements(jobs));
        let before = sled.stats();
        let written_before = bytes_written();
        let mut total_time = Duration::ZERO;
        let mut total_jobs = 0u64;
        g.bench_function(BenchmarkId::new("sled", &name), |b| {
            b.iter_custom(|iters| {
                let mut t = Duration::ZERO;
                for _ in 0..iters {
                    let q: Arc<str> = format!("q{name}-{total_jobs}").into();
                    t += rt.block_on(pipeline(sled.clone(), producers, jobs, q, ack_each));
                    total_jobs += jobs;
                }
                total_time += t;
                t
            })
        });
        let after = sled.stats();
        let writes = after.durable_writes - before.durable_writes;
        let flushes = after.flushes - before.flushes;
        let written = bytes_written().saturating_sub(written_before);
        if total_jobs > 0 {
            println!(
            "queue sled {name:>12} producers: {:.0} jobs/s overall; {writes} durable writes, {flushes} flushes ({:.1} writes per flush, {:.3} flushes per job)",
            total_jobs as f64 / total_time.as_secs_f64(),
            writes as f64 / flushes.max(1) as f64,
                flushes as f64 / total_jobs.max(1) as f64,
            );
            if written > 0 {
                println!(
                    "queue sled {name:>12} producers: {:.1} KB written to files per job, {:.1} KB per flush",
                    written as f64 / 1000.0 / total_jobs as f64,
                    written as f64 / 1000.0 / flushes.max(1) as f64,
                );
            }
        }
        let mut run = 0u64;
        let mut memory_time = Duration::ZERO;
        g.bench_function(BenchmarkId::new("memory", &name), |b| {
            b.iter_custom(|iters| {
                let mut t = Duration::ZERO;
                for _ in 0..iters {
                    run += 1;
                    let q: Arc<str> = format!("mq{name}-{run}").into();
                    t += rt.block_on(pipeline(memory.clone(), producers, jobs, q, ack_each));
                }
                memory_time += t;
                t
            })
        });
        if run > 0 {
            println!(
                "queue memory {name:>10} producers: {:.0} jobs/s overall",
                (run * jobs) as f64 / memory_time.as_secs_f64(),
            );
        }
    }
    g.finish();

    // The cost of one flush on its own: a durable write with nobody to share the flush.
    let mut times = Vec::new();
    rt.block_on(async {
        for i in 0..300u64 {
            let t = Instant::now();
            sled.kv_put("flush", &i.to_be_bytes(), b"x")
                .await
                .expect("put");
            times.push(t.elapsed());
        }
    });
    println!(
        "single durable write (one flush each): {}",
        percentiles(times)
    );
}

fn document_benches(c: &mut Criterion) {
    if !selected(&[
        "document/get/1KB/sled",
        "document/get/1KB/memory",
        "document/put/1KB/sled",
        "document/put/1KB/memory",
        "document/get/16KB/sled",
        "document/get/16KB/memory",
        "document/put/16KB/sled",
        "document/put/16KB/memory",
    ]) {
        return;
    }
    let rt = current_thread();
    let dir = tmpdir();
    let sled = SledStore::open(dir.path().join("db")).expect("open sled");
    let memory = MemoryStore::new();
    let mut g = c.benchmark_group("document");
    for size in [1024usize, 16 * 1024] {
        let content = "x".repeat(size - 80);
        let json = serde_json::json!({"id": "https://example.com/notes/1", "type": "Note", "content": content});
        let doc = Document::from_json(&json, Origin::Remote, T0).expect("doc");
        g.throughput(Throughput::Bytes(doc.body.len() as u64));
        // 1,000 documents to read from.
        for i in 0..1000 {
            let iri = format!("https://example.com/notes/{size}/{i}");
            rt.block_on(sled.put_document(&iri, &doc)).expect("put");
            rt.block_on(memory.put_document(&iri, &doc)).expect("put");
        }
        let label = format!("{}KB", size / 1024);
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new(format!("get/{label}"), "sled"), |b| {
            b.iter(|| {
                i = (i + 1) % 1000;
                rt.block_on(sled.get_document(&format!("https://example.com/notes/{size}/{i}")))
                    .expect("get")
                    .expect("found")
            })
        });
        g.bench_function(BenchmarkId::new(format!("get/{label}"), "memory"), |b| {
            b.iter(|| {
                i = (i + 1) % 1000;
                rt.block_on(memory.get_document(&format!("https://example.com/notes/{size}/{i}")))
                    .expect("get")
                    .expect("found")
            })
        });
        g.bench_function(BenchmarkId::new(format!("put/{label}"), "sled"), |b| {
            b.iter(|| {
                i = (i + 1) % 1000;
                rt.block_on(
                    sled.put_document(&format!("https://example.com/notes/{size}/{i}"), &doc),
                )
                .expect("put")
            })
        });
        g.bench_function(BenchmarkId::new(format!("put/{label}"), "memory"), |b| {
            b.iter(|| {
                i = (i + 1) % 1000;
                rt.block_on(
                    memory.put_document(&format!("https://example.com/notes/{size}/{i}"), &doc),
                )
                .expect("put")
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = page_benches, queue_benches, document_benches
}
criterion_main!(benches);
