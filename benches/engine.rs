//! The federation engine: inbox throughput and actor fetches (issue #6). The fan-out
//! benchmark is `fanout.rs`.
//!
//! Criterion measures:
//! - `inbox/verify`: bare signature verification of signed `Create(Note)` requests
//!   (`http_sig::verify_request` with the parsed key at hand: signature header parse, policy,
//!   `Digest` check, RSA-2048) — the reference rate;
//! - `inbox/pipeline-memory`, `inbox/pipeline-sled`: the same requests through the whole inbox
//!   pipeline ([`Engine::receive`]: size, content type, JSON depth, digest, signature with the
//!   key from the engine's cache, actor/origin checks, tombstones, dedupe and the durable
//!   enqueue) on the memory backend and on sled (`flush_on_write`: every accepted request is
//!   on disk when `receive` returns), 64 requests in flight on one `current_thread` runtime so
//!   that sled's group commit can share flushes;
//! - `fetch/actor-warm/*` vs `fetch/actor-cold/*`: [`Engine::actor`] for an actor already
//!   stored and fresh, against one that is not (signed GET by the RSA-2048 instance actor over
//!   the in-memory network without latency, parse, store the document, its key and inboxes).
//!
//! Requests are Mastodon-shaped (about 1.7 KB `Create(Note)`, draft-cavage `rsa-sha256`
//! signatures over `(request-target) host date digest content-type`), from 8 remote actors on
//! 4 hosts, each with its own activity id, all signed before timing. The engine's clock is
//! fixed at the requests' `Date`. Every engine's key cache is warmed with one request per
//! signer first. Each engine takes at most [`POOL`] requests (then a fresh engine and store
//! are built, untimed), so dedupe never short-circuits.
//!
//! After criterion, a summary runs the three inbox modes in interleaved rounds and prints
//! requests/s (wall clock and per CPU-second of the runtime thread), the ratios, and sled's
//! durable writes per flush. Set `WOOLLY_BENCH_NO_SUMMARY=1` to skip it.
//!
//! Run: `cargo bench -p woolly-benches --bench engine`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

mod engine_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    Engine, EngineConfig, FetchBudget, InboxTarget, KeyAlgorithm, INBOX_QUEUE,
};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine_support::{
    json_response, mastodon_create, person, process_cpu, serve_documents, thread_cpu,
};
use fedi_storage::memory::MemoryStore;
use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::{ManualClock, Store, Timestamp};
use futures::StreamExt as _;
use http::{HeaderMap, Request, StatusCode};
use http_sig::{PrivateKey, PublicKey, SignOptions};

/// Requests one engine takes before a fresh one is built.
const POOL: usize = 2048;
/// Requests in flight at once in the pipeline.
const IN_FLIGHT: usize = 64;
const SIGNERS: usize = 8;
const HOSTS: usize = 4;
/// 2026-01-01T00:00:00Z.
const T0: Timestamp = Timestamp::from_unix_millis(1_767_225_600_000);
const BASE: &str = "https://wool.example";

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Memory,
    Sled,
    /// sled without `flush_on_write` (durable only at sled's next background flush): shows
    /// what the flushes themselves cost. Summary only.
    SledNoFlush,
    /// sled with the inbox queue in its journal (`SledConfig::journal`, the reference
    /// server's default): dedupe on the request path is the in-memory filter, the enqueue one
    /// append with a shared `fdatasync`.
    SledJournal,
}

struct Signer {
    actor: String,
    key_id: String,
    key: PrivateKey,
}

/// One signed request, ready to be rebuilt (an `http::Request` is consumed by `receive`).
struct Signed {
    headers: HeaderMap,
    body: Bytes,
}

impl Signed {
    fn request(&self) -> Request<Bytes> {
        let mut r = Request::new(self.body.clone());
        *r.method_mut() = http::Method::POST;
        // Path only, with `Host`, as a server hands it over.
        *r.uri_mut() = http::Uri::from_static("/inbox");
        *r.headers_mut() = self.headers.clone();
        r
    }
    fn parts(&self) -> http::request::Parts {
        self.request().into_parts().0
    }
}

struct Fixture {
    net: MemoryNetwork,
    clock: ManualClock,
    /// One request per signer, to warm each fresh engine's key cache.
    warm: Vec<Signed>,
    pool: Vec<Signed>,
    /// The parsed keys, by key id (for bare verification).
    keys: HashMap<String, PublicKey>,
}

fn sign(signer: &Signer, status: u64, at: SystemTime) -> Signed {
    let body = mastodon_create(&signer.actor, status);
    let host = signer.actor.split('/').nth(2).unwrap_or("").to_owned();
    let mut parts = Request::post(format!("{BASE}/inbox"))
        .header("content-type", "application/activity+json")
        .header(
            "user-agent",
            format!("Mastodon/4.3.2 (http.rb/5.2.0; +https://{host}/)"),
        )
        .body(())
        .expect("request")
        .into_parts()
        .0;
    http_sig::sign_request(
        &mut parts,
        &body,
        &signer.key,
        &SignOptions::cavage(signer.key_id.clone()),
        at,
    )
    .expect("signs");
    Signed {
        headers: parts.headers,
        body: Bytes::from(body),
    }
}

fn fixture() -> Fixture {
    let started = Instant::now();
    let net = MemoryNetwork::with_seed(6);
    let clock = ManualClock::new(T0);
    let at: SystemTime = T0.into();
    let keys: Vec<PrivateKey> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    (0..SIGNERS / 2)
                        .map(|_| PrivateKey::generate_rsa(2048).expect("RSA key"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("keygen thread"))
            .collect()
    });
    let mut signers = Vec::new();
    let mut hosts = Vec::new();
    for h in 0..HOSTS {
        hosts.push(serve_documents(&net, &format!("m{h}.example")));
    }
    for (i, key) in keys.into_iter().enumerate() {
        let h = i % HOSTS;
        let actor = format!("https://m{h}.example/users/u{i}");
        let pem = key.public_key().to_pem().expect("pem");
        hosts[h]
            .lock()
            .expect("docs")
            .insert(format!("/users/u{i}"), person(&actor, &pem));
        signers.push(Signer {
            key_id: format!("{actor}#main-key"),
            actor,
            key,
        });
    }
    let warm = signers.iter().map(|s| sign(s, 1, at)).collect();
    // Sign the pool on both cores.
    let pool: Vec<Signed> = std::thread::scope(|s| {
        let signers = &signers;
        let handles: Vec<_> = (0..2u64)
            .map(|t| {
                s.spawn(move || {
                    (0..POOL as u64 / 2)
                        .map(|n| {
                            let i = n * 2 + t;
                            sign(&signers[i as usize % SIGNERS], 1000 + i, at)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    });
    let keys = signers
        .iter()
        .map(|s| (s.key_id.clone(), s.key.public_key().clone()))
        .collect();
    eprintln!(
        "engine bench fixture: {SIGNERS} RSA-2048 signers, {POOL} signed requests of {} bytes, in {:.1?}",
        pool.first().map_or(0, |p| p.body.len()),
        started.elapsed()
    );
    Fixture {
        net,
        clock,
        warm,
        pool,
        keys,
    }
}

/// A fresh engine on a fresh store, its key cache warmed with one request per signer.
struct Receiver {
    engine: Engine,
    sled: Option<SledStore>,
    _dir: Option<tempfile::TempDir>,
}

async fn receiver(f: &Fixture, backend: Backend) -> Receiver {
    let (store, sled, dir): (Arc<dyn Store>, _, _) = match backend {
        Backend::Memory => (Arc::new(MemoryStore::new()), None, None),
        Backend::Sled | Backend::SledNoFlush => {
            let dir = tmpdir();
            let config =
                SledConfig::new(dir.path().join("db")).flush_on_write(backend == Backend::Sled);
            let s = SledStore::open_with(config).expect("sled");
            (Arc::new(s.clone()), Some(s), Some(dir))
        }
        Backend::SledJournal => {
            let dir = tmpdir();
            let config = SledConfig::new(dir.path().join("db"))
                .journal(JournalQueues::Named(vec![INBOX_QUEUE.to_owned()]));
            let s = SledStore::open_with(config).expect("sled");
            (Arc::new(s.clone()), Some(s), Some(dir))
        }
    };
    let mut config = EngineConfig::new(BASE).expect("config");
    // The instance actor only signs the warm-up key fetches here.
    config.instance_key = KeyAlgorithm::Ed25519;
    let engine = Engine::builder(config)
        .store(store)
        .transport(Arc::new(f.net.clone()))
        .clock(Arc::new(f.clock.clone()))
        .build()
        .await
        .expect("engine");
    for w in &f.warm {
        let a = engine
            .receive(w.request(), InboxTarget::Shared)
            .await
            .expect("warm-up request accepted");
        assert!(!a.duplicate);
    }
    Receiver {
        engine,
        sled,
        _dir: dir,
    }
}

/// Time taken, CPU time of the runtime thread, CPU time of the whole process.
struct Timing {
    wall: Duration,
    cpu: Duration,
    process_cpu: Duration,
}

fn since(a: Option<Duration>, b: Option<Duration>) -> Duration {
    match (a, b) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    }
}

/// Runs `reqs` through `receive` with [`IN_FLIGHT`] in flight. Panics unless every request
/// was accepted as new.
async fn pipeline(engine: &Engine, reqs: Vec<Request<Bytes>>) -> Timing {
    let n = reqs.len();
    let accepted = AtomicU64::new(0);
    let cpu0 = thread_cpu();
    let pcpu0 = process_cpu();
    let start = Instant::now();
    futures::stream::iter(reqs)
        .map(|r| engine.receive(r, InboxTarget::Shared))
        .buffer_unordered(IN_FLIGHT)
        .for_each(|r| {
            match r {
                Ok(a) if !a.duplicate => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Ok(a) => panic!("unexpected duplicate {}", a.activity_id),
                Err(e) => panic!("request rejected: {e}"),
            }
            std::future::ready(())
        })
        .await;
    let wall = start.elapsed();
    let timing = Timing {
        wall,
        cpu: since(cpu0, thread_cpu()),
        process_cpu: since(pcpu0, process_cpu()),
    };
    assert_eq!(accepted.load(Ordering::Relaxed) as usize, n);
    timing
}

fn verify_one(
    f: &Fixture,
    parts: &http::request::Parts,
    body: &[u8],
    policy: &http_sig::VerifyPolicy,
) {
    let v = http_sig::verify_request(parts, body, policy, T0.into(), |key_id| {
        f.keys.get(key_id).cloned()
    });
    assert!(v.is_ok(), "verifies: {v:?}");
}

/// The pool as request parts (what bare verification reads), built once.
fn pool_parts(f: &Fixture) -> Vec<http::request::Parts> {
    f.pool.iter().map(Signed::parts).collect()
}

fn policy() -> http_sig::VerifyPolicy {
    EngineConfig::new(BASE).expect("config").verify_policy
}

/// Criterion state for a pipeline benchmark: the current engine and how much of the pool
/// it has taken.
struct PipelineState {
    backend: Backend,
    current: Option<(Receiver, usize)>,
}

impl PipelineState {
    /// Times `iters` requests, building fresh engines (untimed) as the pool runs out.
    fn run(&mut self, rt: &tokio::runtime::Runtime, f: &Fixture, iters: u64) -> Duration {
        let mut left = iters as usize;
        let mut total = Duration::ZERO;
        while left > 0 {
            if self.current.as_ref().is_none_or(|(_, used)| *used >= POOL) {
                // Drop the old engine (and its sled directory) before building the next.
                self.current = None;
                let r = rt.block_on(receiver(f, self.backend));
                self.current = Some((r, 0));
            }
            let (r, used) = self.current.as_mut().expect("engine");
            let n = left.min(POOL - *used);
            let reqs: Vec<_> = f.pool[*used..*used + n]
                .iter()
                .map(Signed::request)
                .collect();
            total += rt.block_on(pipeline(&r.engine, reqs)).wall;
            *used += n;
            left -= n;
        }
        total
    }
}

fn inbox_benches(c: &mut Criterion) {
    let f = fixture();
    let parts = pool_parts(&f);
    let policy = policy();
    let rt = current_thread();
    let mut g = c.benchmark_group("inbox");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let k = i % POOL;
            i += 1;
            verify_one(&f, &parts[k], &f.pool[k].body, &policy);
        })
    });
    for backend in [Backend::Memory, Backend::Sled, Backend::SledJournal] {
        let name = match backend {
            Backend::Memory => "pipeline-memory",
            Backend::SledJournal => "pipeline-sled-journal",
            _ => "pipeline-sled",
        };
        let mut state = PipelineState {
            backend,
            current: None,
        };
        g.bench_function(name, |b| b.iter_custom(|iters| state.run(&rt, &f, iters)));
    }
    g.finish();
    if std::env::var_os("WOOLLY_BENCH_NO_SUMMARY").is_none() {
        summary(&f, &parts, &policy, &rt);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Interleaved rounds of the inbox modes over the whole pool; prints the rates and ratios.
fn summary(
    f: &Fixture,
    parts: &[http::request::Parts],
    policy: &http_sig::VerifyPolicy,
    rt: &tokio::runtime::Runtime,
) {
    // `WOOLLY_BENCH_ROUNDS` overrides the number of rounds (default 5).
    let rounds: usize = std::env::var("WOOLLY_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    const MODES: [(&str, Mode); 7] = [
        ("bare verify", Mode::Verify),
        ("pipeline, memory backend", Mode::Pipeline(Backend::Memory)),
        ("pipeline, sled (durable)", Mode::Pipeline(Backend::Sled)),
        (
            "pipeline, sled, no flush",
            Mode::Pipeline(Backend::SledNoFlush),
        ),
        ("raw sled, 1 new key", Mode::RawSled(1)),
        ("raw sled, 4 new keys", Mode::RawSled(4)),
        (
            "pipeline, sled + journal",
            Mode::Pipeline(Backend::SledJournal),
        ),
    ];
    let load0 = engine_support::loadavg();
    // Per mode: requests/s by wall clock, by runtime-thread CPU, by process CPU.
    let mut rates: Vec<[Vec<f64>; 3]> = MODES.iter().map(|_| Default::default()).collect();
    let mut writes_per_flush = Vec::new();
    let per_s = |d: Duration| POOL as f64 / d.as_secs_f64().max(1e-9);
    // `WOOLLY_BENCH_MODES=sled` (a comma-separated list of `verify`, `memory`, `sled`,
    // `noflush`, `raw1`, `raw4`, `journal`) runs only those modes, e.g. under a profiler.
    let only = std::env::var("WOOLLY_BENCH_MODES").ok();
    let wanted = |m: usize| {
        only.as_deref().is_none_or(|o| {
            o.split(',').any(|w| {
                w.trim()
                    == [
                        "verify", "memory", "sled", "noflush", "raw1", "raw4", "journal",
                    ][m]
            })
        })
    };
    for _ in 0..rounds {
        for (m, (_, backend)) in MODES.iter().enumerate() {
            if !wanted(m) {
                continue;
            }
            let t = match backend {
                Mode::RawSled(keys) => raw_sled(f, *keys),
                Mode::Verify => {
                    let (cpu0, pcpu0) = (thread_cpu(), process_cpu());
                    let start = Instant::now();
                    for (p, s) in parts.iter().zip(&f.pool) {
                        verify_one(f, p, &s.body, policy);
                    }
                    Timing {
                        wall: start.elapsed(),
                        cpu: since(cpu0, thread_cpu()),
                        process_cpu: since(pcpu0, process_cpu()),
                    }
                }
                Mode::Pipeline(backend) => {
                    let r = rt.block_on(receiver(f, *backend));
                    let before = r.sled.as_ref().map(SledStore::stats);
                    let reqs: Vec<_> = f.pool.iter().map(Signed::request).collect();
                    let t = rt.block_on(pipeline(&r.engine, reqs));
                    if let (Some(s), Some(b), Backend::Sled) = (&r.sled, before, backend) {
                        let a = s.stats();
                        let flushes = a.flushes.saturating_sub(b.flushes).max(1);
                        writes_per_flush.push(
                            a.durable_writes.saturating_sub(b.durable_writes) as f64
                                / flushes as f64,
                        );
                    }
                    t
                }
            };
            rates[m][0].push(per_s(t.wall));
            rates[m][1].push(per_s(t.cpu));
            rates[m][2].push(per_s(t.process_cpu));
        }
    }
    if only.is_some() {
        for (m, (name, _)) in MODES.iter().enumerate() {
            if wanted(m) {
                let [w, rt, p] = &rates[m];
                println!(
                    "{name:<28} req/s (wall) {:>8.0}  req/CPU-s (rt) {:>8.0}  req/CPU-s (proc) {:>8.0}",
                    median(w.clone()),
                    median(rt.clone()),
                    median(p.clone())
                );
            }
        }
        return;
    }
    let med: Vec<[f64; 3]> = rates
        .into_iter()
        .map(|[a, b, c]| [median(a), median(b), median(c)])
        .collect();
    println!();
    println!(
        "== engine inbox summary: {POOL} requests × {rounds} interleaved rounds, medians; one current_thread runtime, {IN_FLIGHT} in flight =="
    );
    println!(
        "load average before: {load0}; after: {}",
        engine_support::loadavg()
    );
    println!(
        "{:<28}{:>14}{:>16}{:>18}   ratio to bare verify (wall / rt CPU / process CPU)",
        "", "req/s (wall)", "req/CPU-s (rt)", "req/CPU-s (proc)"
    );
    for ((name, _), r) in MODES.iter().zip(&med) {
        println!(
            "{name:<28}{:>14.0}{:>16.0}{:>18.0}   {:.2} / {:.2} / {:.2}",
            r[0],
            r[1],
            r[2],
            r[0] / med[0][0],
            r[1] / med[0][1],
            r[2] / med[0][2]
        );
    }
    println!(
        "sled ÷ memory: {:.2} (wall), {:.2} (rt CPU), {:.2} (process CPU); sled durable writes per flush: {:.1}",
        med[2][0] / med[1][0],
        med[2][1] / med[1][1],
        med[2][2] / med[1][2],
        median(writes_per_flush)
    );
    println!(
        "(rt CPU: the runtime thread only; process CPU adds sled's flusher and background threads.)"
    );
    // What a durable write may cost if the pipeline is to reach 0.60 of bare verification:
    // the time per request at 0.60, less what the pipeline spends on the memory backend.
    let us = |rate: f64| 1e6 / rate.max(1e-9);
    let budget = us(med[0][0]) / 0.60 - us(med[1][0]);
    println!(
        "storage budget for 0.60 (wall): {:.1} µs/request = {:.1} (1/0.60 of bare verify) - {:.1} (memory pipeline); \
         raw sled, no flush: {:.1} µs/request for 1 new key (the body), {:.1} for 4 new keys (body + 3 index keys)",
        budget,
        us(med[0][0]) / 0.60,
        us(med[1][0]),
        us(med[4][0]),
        us(med[5][0]),
    );
}

/// What the inbox's modes are measured against.
#[derive(Clone, Copy)]
enum Mode {
    /// `http_sig::verify_request` alone.
    Verify,
    /// `Engine::receive` on a store.
    Pipeline(Backend),
    /// Only sled inserts, `n` new keys per request (the request's body under a new
    /// sequential key, then `n - 1` small index-like keys in other key ranges), on a fresh
    /// sled database configured like the store's (cache size), with no flush, no redo record
    /// and no reads: a lower bound on what keeping the inbox queue and dedupe set in sled
    /// costs per request.
    RawSled(u8),
}

/// Inserts each pooled request's body (and `keys - 1` small keys) into a fresh sled tree.
fn raw_sled(f: &Fixture, keys: u8) -> Timing {
    let dir = tmpdir();
    let db = sled::Config::new()
        .path(dir.path().join("raw"))
        .cache_capacity(fedi_storage::sled::DEFAULT_CACHE_BYTES)
        .open()
        .expect("sled");
    let tree = db.open_tree("raw").expect("tree");
    let (cpu0, pcpu0) = (thread_cpu(), process_cpu());
    let start = Instant::now();
    for (i, s) in f.pool.iter().enumerate() {
        let seq = (i as u64).to_be_bytes();
        for k in 0..keys {
            // Prefix, a 24-byte stand-in for an id hash or timestamp, then the sequence.
            let mut key = vec![b'a' + k, b'/'];
            key.extend_from_slice(&[k; 24]);
            key.extend_from_slice(&seq);
            let value: &[u8] = if k == 0 { &s.body } else { &seq };
            tree.insert(key, value).expect("insert");
        }
    }
    let t = Timing {
        wall: start.elapsed(),
        cpu: since(cpu0, thread_cpu()),
        process_cpu: since(pcpu0, process_cpu()),
    };
    drop(tree);
    drop(db);
    t
}

/// A remote host that serves an actor at any `/users/uNNNNNNNNN` (a cold fetch never
/// finds the actor stored).
fn serve_any_actor(net: &MemoryNetwork, host: &'static str, pem: &str) {
    let template = person(&format!("https://{host}/users/u000000000"), pem);
    let template = String::from_utf8(template.to_vec()).expect("utf-8");
    net.serve(host, move |req: Request<Bytes>| {
        let path = req.uri().path().to_owned();
        let body = path
            .strip_prefix("/users/")
            .filter(|n| n.len() == 10 && n.starts_with('u'))
            .map(|n| Bytes::from(template.replace("u000000000", n)));
        async move {
            match body {
                Some(b) => json_response(StatusCode::OK, b),
                None => json_response(StatusCode::NOT_FOUND, Bytes::new()),
            }
        }
    });
}

fn fetch_benches(c: &mut Criterion) {
    const HOST: &str = "people.example";
    let rt = current_thread();
    let net = MemoryNetwork::with_seed(7);
    let key = PrivateKey::generate_rsa(2048).expect("RSA key");
    serve_any_actor(&net, HOST, &key.public_key().to_pem().expect("pem"));
    let mut g = c.benchmark_group("fetch");
    for backend in [Backend::Memory, Backend::Sled] {
        let tag = match backend {
            Backend::Memory => "memory",
            _ => "sled",
        };
        let dir = tmpdir();
        let store: Arc<dyn Store> = match backend {
            Backend::Memory => Arc::new(MemoryStore::new()),
            _ => Arc::new(SledStore::open(dir.path().join("db")).expect("sled")),
        };
        // The default instance actor (RSA-2048, as Mastodon's) signs the cold fetches.
        let engine = rt
            .block_on(
                Engine::builder(EngineConfig::new(BASE).expect("config"))
                    .store(store)
                    .transport(Arc::new(net.clone()))
                    .build(),
            )
            .expect("engine");
        let warm_iri = format!("https://{HOST}/users/u000000001");
        let a = rt
            .block_on(engine.actor(&warm_iri, &mut FetchBudget::new(5)))
            .expect("first fetch");
        assert_eq!(a.id.as_ref().map(|i| i.as_str()), Some(warm_iri.as_str()));
        let requests_before = net.stats().requests;
        g.bench_function(format!("actor-warm/{tag}"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let a = engine
                            .actor(&warm_iri, &mut FetchBudget::new(5))
                            .await
                            .expect("warm actor");
                        std::hint::black_box(a);
                    }
                    start.elapsed()
                })
            })
        });
        assert_eq!(
            net.stats().requests,
            requests_before,
            "a warm lookup must not touch the network"
        );
        let mut n = 1_000u64;
        g.bench_function(format!("actor-cold/{tag}"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let iris: Vec<String> = (0..iters)
                        .map(|_| {
                            n += 1;
                            format!("https://{HOST}/users/u{n:09}")
                        })
                        .collect();
                    let start = Instant::now();
                    for iri in &iris {
                        let a = engine
                            .actor(iri, &mut FetchBudget::new(5))
                            .await
                            .expect("cold actor");
                        std::hint::black_box(a);
                    }
                    start.elapsed()
                })
            })
        });
        drop(engine);
        drop(dir);
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = inbox_benches, fetch_benches
}
criterion_main!(benches);
