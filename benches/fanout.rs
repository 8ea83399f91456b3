//! Fan-out (issue #6): one post to 10,000 followers spread over 1,000 hosts on the in-memory
//! network, 20 ms of latency per request. A one-shot measurement, printed (no criterion: one
//! run takes about a second and the figures of interest are counts, a time and memory).
//!
//! Setup (untimed): 1,000 hosts `fNNNN.example`, each serving 10 Mastodon-style actors whose
//! `endpoints.sharedInbox` is the host's `/inbox`; a local actor with an RSA-2048 key (as
//! Mastodon) whose 10,000 followers are those actors; every follower's actor fetched once with
//! [`Engine::actor`] (as the engine would have when they followed), with no latency. Then the
//! latency is set to 20 ms per request (`Latency::fixed`) and each run times
//! [`Engine::deliver`] (followers expanded into shared inboxes, 1,000 durable jobs in one write)
//! plus [`Engine::process_deliveries`] passes (each delivery signed at send time, draft-cavage
//! RSA-2048) until every host's inbox has the post. Each receiving host counts the signed POSTs
//! to its inbox and answers `202`.
//!
//! Checked on every run: requests sent = shared inboxes = 1,000, and each host received the
//! post exactly once. Reported: time to all delivered, CPU time, peak requests in flight, and
//! for the first run the peak resident memory (`VmHWM`, reset just before the run through
//! `/proc/self/clear_refs`) and its growth over the resident size before the run.
//!
//! Runs: sled (durable) with the default delivery concurrency (64 in flight, 4 per host) and
//! passes of `4 × concurrency` jobs as [`Engine::run`] leases them; the same with one pass of
//! every job; concurrency 16, 256 and 1,024; and the memory backend with the defaults.
//!
//! Run: `cargo bench -p woolly-benches --bench fanout` (about a minute).

#![allow(missing_docs)]

mod engine_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use activitypub_core::engine::transport::memory::{Faults, Latency, MemoryNetwork};
use activitypub_core::engine::{
    Engine, EngineConfig, FetchBudget, KeyAlgorithm, Recipients, DELIVERY_QUEUE,
};
use activitypub_core::{Actor, ObjectId};
use bytes::Bytes;
use engine_support::{
    json_response, loadavg, mastodon_create, person, process_cpu, reset_peak_rss, status_kb,
};
use fedi_storage::memory::MemoryStore;
use fedi_storage::sled::SledStore;
use fedi_storage::{QueueStoreExt, Store};
use futures::StreamExt as _;
use http::{Request, StatusCode};

const HOSTS: usize = 1_000;
const PER_HOST: usize = 10;
const LATENCY: Duration = Duration::from_millis(20);
const BASE: &str = "https://wool.example";
const TARGET: Duration = Duration::from_secs(10);

/// The 1,000 receiving hosts and what each received.
struct World {
    net: MemoryNetwork,
    /// Signed POSTs received by each host's shared inbox.
    received: Arc<Vec<AtomicU64>>,
    followers: Vec<String>,
}

fn host(h: usize) -> String {
    format!("f{h:04}.example")
}

fn world(pem: Arc<String>) -> World {
    let net = MemoryNetwork::with_seed(66);
    // The network's request log is test bookkeeping, not the engine's memory.
    net.set_log_capacity(0);
    let received: Arc<Vec<AtomicU64>> = Arc::new((0..HOSTS).map(|_| AtomicU64::new(0)).collect());
    let mut followers = Vec::with_capacity(HOSTS * PER_HOST);
    for h in 0..HOSTS {
        let name = host(h);
        for u in 0..PER_HOST {
            followers.push(format!("https://{name}/users/u{u}"));
        }
        let received = received.clone();
        let pem = pem.clone();
        let authority = name.clone();
        net.serve(&authority, move |req: Request<Bytes>| {
            let reply = if req.method() == http::Method::POST {
                if req.uri().path() == "/inbox" && req.headers().contains_key("signature") {
                    received[h].fetch_add(1, Ordering::SeqCst);
                    json_response(StatusCode::ACCEPTED, Bytes::new())
                } else {
                    json_response(StatusCode::UNAUTHORIZED, Bytes::new())
                }
            } else {
                match req.uri().path().strip_prefix("/users/") {
                    Some(u) if !u.contains('/') => json_response(
                        StatusCode::OK,
                        person(&format!("https://{name}/users/{u}"), &pem),
                    ),
                    _ => json_response(StatusCode::NOT_FOUND, Bytes::new()),
                }
            };
            async move { reply }
        });
    }
    World {
        net,
        received,
        followers,
    }
}

fn alice() -> ObjectId<Actor> {
    ObjectId::parse(&format!("{BASE}/users/alice")).expect("actor id")
}

async fn engine(world: &World, store: &Arc<dyn Store>, concurrency: usize) -> Engine {
    let mut config = EngineConfig::new(BASE).expect("config");
    // The instance actor only signs the untimed actor fetches of the setup.
    config.instance_key = KeyAlgorithm::Ed25519;
    config.delivery.concurrency = concurrency;
    Engine::builder(config)
        .store(store.clone())
        .transport(Arc::new(world.net.clone()))
        .build()
        .await
        .expect("engine")
}

/// The local actor, its 10,000 followers, and every follower's actor fetched once.
async fn prepare(world: &World, store: &Arc<dyn Store>) {
    let started = Instant::now();
    world.net.set_faults(Faults::none());
    let e = engine(world, store, 64).await;
    e.create_local_actor(&alice(), KeyAlgorithm::Rsa2048)
        .await
        .expect("local actor");
    futures::stream::iter(world.followers.iter().enumerate())
        .map(|(i, f)| {
            let e = e.clone();
            async move {
                e.add_follower(alice().as_str(), f, i as u64)
                    .await
                    .expect("follower added")
            }
        })
        .buffer_unordered(256)
        .for_each(|_| std::future::ready(()))
        .await;
    futures::stream::iter(world.followers.iter())
        .map(|f| {
            let e = e.clone();
            async move {
                e.actor(f, &mut FetchBudget::new(5))
                    .await
                    .expect("actor fetched")
            }
        })
        .buffer_unordered(256)
        .for_each(|_| std::future::ready(()))
        .await;
    println!(
        "setup: {} followers on {HOSTS} hosts stored and fetched in {:.1?}",
        world.followers.len(),
        started.elapsed()
    );
}

struct Run {
    elapsed: Duration,
    enqueue: Duration,
    sent: u64,
    passes: usize,
    cpu: Duration,
    peak_in_flight: usize,
}

/// One post to every follower; returns when every host's inbox has it.
async fn run(
    world: &World,
    store: &Arc<dyn Store>,
    concurrency: usize,
    batch: usize,
    post: u64,
) -> Run {
    let e = engine(world, store, concurrency).await;
    let me = alice();
    let body = mastodon_create(me.as_str(), post);
    world
        .net
        .set_faults(Faults::none().with_latency(Latency::fixed(LATENCY)));
    world.net.reset_peaks();
    let before: Vec<u64> = world
        .received
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    let requests0 = world.net.stats().requests;
    let cpu0 = process_cpu();
    let start = Instant::now();
    let report = e
        .deliver(&body, &me, &Recipients::new().followers_of(me.as_str()))
        .await
        .expect("deliver");
    let enqueue = start.elapsed();
    assert_eq!(report.inboxes.len(), HOSTS, "one job per shared inbox");
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    let all_there = || {
        world
            .received
            .iter()
            .zip(&before)
            .all(|(c, b)| c.load(Ordering::SeqCst) > *b)
    };
    let mut passes = 0;
    // Bounded: at most 100 passes (each leases every due job up to `batch`).
    while !all_there() && passes < 100 {
        let r = e.process_deliveries(batch).await.expect("deliveries");
        passes += 1;
        assert_eq!(
            r.retried + r.dead + r.errors,
            0,
            "no delivery may fail: {r:?}"
        );
    }
    let elapsed = start.elapsed();
    let cpu = process_cpu()
        .zip(cpu0)
        .map_or(Duration::ZERO, |(b, a)| b.saturating_sub(a));
    assert!(all_there(), "every host received the post");
    for (h, (c, b)) in world.received.iter().zip(&before).enumerate() {
        assert_eq!(
            c.load(Ordering::SeqCst),
            b + 1,
            "{} got it exactly once",
            host(h)
        );
    }
    let stats = world.net.stats();
    let sent = stats.requests - requests0;
    assert_eq!(sent, HOSTS as u64, "requests sent = shared inboxes");
    assert_eq!(store.count_pending(DELIVERY_QUEUE).await.expect("count"), 0);
    Run {
        elapsed,
        enqueue,
        sent,
        passes,
        cpu,
        peak_in_flight: stats.peak_in_flight,
    }
}

fn print_run(label: &str, r: &Run) {
    println!(
        "{label:<44} {:>9.0} ms {:>9.0} ms {:>6} {:>5} {:>8.0} ms {:>6}   {}",
        r.elapsed.as_secs_f64() * 1e3,
        r.enqueue.as_secs_f64() * 1e3,
        r.sent,
        r.passes,
        r.cpu.as_secs_f64() * 1e3,
        r.peak_in_flight,
        loadavg(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a criterion-style filter or `--list` is ignored.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let key = http_sig::PrivateKey::generate_rsa(2048).expect("RSA key");
    let pem = Arc::new(key.public_key().to_pem().expect("pem"));
    let world = world(pem);
    println!(
        "== fan-out: one post to {} followers on {HOSTS} hosts (shared inboxes), {} ms latency per request; load average {} ==",
        world.followers.len(),
        LATENCY.as_millis(),
        loadavg()
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path().join("db")).expect("sled"));
    rt.block_on(prepare(&world, &sled));
    println!(
        "{:<44} {:>12} {:>12} {:>6} {:>5} {:>11} {:>6}   load",
        "run", "delivered", "enqueued", "sent", "passes", "CPU", "peak"
    );
    let mut post = 100u64;
    let mut next = || {
        post += 1;
        post
    };

    // The first run also measures memory.
    let peak_reset = reset_peak_rss();
    let rss0 = status_kb("VmRSS").unwrap_or(0);
    let r = rt.block_on(run(&world, &sled, 64, 256, next()));
    let hwm = status_kb("VmHWM").unwrap_or(0);
    let rss1 = status_kb("VmRSS").unwrap_or(0);
    print_run("sled, default (64 in flight), passes of 256", &r);
    let default_time = r.elapsed;
    let r = rt.block_on(run(&world, &sled, 64, 10_000, next()));
    print_run("sled, default (64 in flight), one pass", &r);
    for c in [16usize, 256, 1024] {
        let r = rt.block_on(run(&world, &sled, c, 4 * c, next()));
        print_run(&format!("sled, {c} in flight, passes of {}", 4 * c), &r);
    }
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    rt.block_on(prepare(&world, &memory));
    let r = rt.block_on(run(&world, &memory, 64, 256, next()));
    print_run("memory backend, default, passes of 256", &r);

    println!(
        "memory (first run): VmRSS before {:.1} MiB, peak VmHWM {:.1} MiB{}, growth {:.1} MiB, VmRSS after {:.1} MiB",
        rss0 as f64 / 1024.0,
        hwm as f64 / 1024.0,
        if peak_reset {
            " (reset just before the run)"
        } else {
            " (since process start: clear_refs not available)"
        },
        hwm.saturating_sub(rss0) as f64 / 1024.0,
        rss1 as f64 / 1024.0
    );
    println!(
        "process peak VmHWM now {:.1} MiB; target < {} s: {}",
        status_kb("VmHWM").unwrap_or(0) as f64 / 1024.0,
        TARGET.as_secs(),
        if default_time < TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
}
