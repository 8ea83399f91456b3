//! Benchmark (ignored by default; BENCHMARKS.md "Imports"): a follows file of 10,000
//! accounts on 1,000 hosts imported by one instance in process on the in-memory network.
//! Each host is a small fake server (WebFinger, actor documents, an inbox answering `202`)
//! that counts what it is asked and how many of its requests are in flight at once. The
//! import job runs as `woolly serve` runs it (a chunk at a time), the engine's runner
//! delivers the `Follow`s. Measured: rows per second until the import is finished, the time
//! until every `Follow` arrived, requests per host (WebFinger, actor, `Follow` delivery) and
//! the most resolution requests in flight at once, overall and on one host.
//!
//! `cargo test -p reference-server --test integration bench_import:: -- --ignored --nocapture`
//! (`IMPORT_ROWS=n`, `IMPORT_HOSTS=n` for other sizes).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::Shutdown;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::app::import::ImportType;
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::json;

/// What one fake host saw.
#[derive(Default)]
struct HostCounts {
    webfinger: AtomicUsize,
    actor: AtomicUsize,
    inbox: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn ten_thousand_follows_across_a_thousand_hosts() {
    let rows = env_or("IMPORT_ROWS", 10_000);
    let hosts = env_or("IMPORT_HOSTS", 1_000);
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    net.serve("wool.test", move |req: Request<Bytes>| {
        let r = router.clone();
        async move { r.handle(req, None).await }
    });

    // One key for every fake actor (their signatures are never checked here).
    let pem = http_sig::PrivateKey::generate_ed25519()
        .unwrap()
        .public_key()
        .to_pem()
        .unwrap();
    let resolving_now = Arc::new(AtomicUsize::new(0));
    let resolving_max = Arc::new(AtomicUsize::new(0));
    let mut counts = Vec::with_capacity(hosts);
    for h in 0..hosts {
        let host = format!("h{h}.test");
        let c = Arc::new(HostCounts::default());
        counts.push(c.clone());
        let pem = pem.clone();
        let (now, max) = (resolving_now.clone(), resolving_max.clone());
        let host_name = host.clone();
        net.serve(&host, move |req: Request<Bytes>| {
            let c = c.clone();
            let pem = pem.clone();
            let (now, max) = (now.clone(), max.clone());
            let host = host_name.clone();
            async move {
                let path = req.uri().path().to_owned();
                if req.method() == http::Method::POST {
                    c.inbox.fetch_add(1, Ordering::Relaxed);
                    return Response::builder()
                        .status(StatusCode::ACCEPTED)
                        .body(Bytes::new())
                        .unwrap();
                }
                let here = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                c.max_in_flight.fetch_max(here, Ordering::SeqCst);
                let all = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(all, Ordering::SeqCst);
                // A network's worth of latency, so that requests overlap.
                tokio::time::sleep(Duration::from_millis(2)).await;
                let body = if path == "/.well-known/webfinger" {
                    c.webfinger.fetch_add(1, Ordering::Relaxed);
                    let q = req.uri().query().unwrap_or("");
                    let user = q
                        .split("acct%3A")
                        .nth(1)
                        .or_else(|| q.split("acct:").nth(1))
                        .and_then(|r| r.split(['%', '@']).next())
                        .unwrap_or("");
                    Some((
                        "application/jrd+json",
                        json!({
                            "subject": format!("acct:{user}@{host}"),
                            "links": [{"rel": "self", "type": "application/activity+json",
                                "href": format!("http://{host}/users/{user}")}]
                        }),
                    ))
                } else if let Some(user) = path.strip_prefix("/users/") {
                    c.actor.fetch_add(1, Ordering::Relaxed);
                    let iri = format!("http://{host}/users/{user}");
                    Some((
                        "application/activity+json",
                        json!({
                            "@context": ["https://www.w3.org/ns/activitystreams",
                                "https://w3id.org/security/v1"],
                            "id": iri, "type": "Person", "preferredUsername": user,
                            "inbox": format!("{iri}/inbox"),
                            "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
                            "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
                                "publicKeyPem": pem}
                        }),
                    ))
                } else {
                    None
                };
                c.in_flight.fetch_sub(1, Ordering::SeqCst);
                now.fetch_sub(1, Ordering::SeqCst);
                match body {
                    Some((ct, v)) => Response::builder()
                        .header("content-type", ct)
                        .body(Bytes::from(v.to_string()))
                        .unwrap(),
                    None => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Bytes::new())
                        .unwrap(),
                }
            }
        });
    }

    let alice = app.create_account("alice", None, false).await.unwrap();
    let mut file = String::from("Account address,Show boosts,Notify on new posts,Languages\n");
    for i in 0..rows {
        file.push_str(&format!("u{i}@h{}.test,true,false,\n", i % hosts));
    }
    let shutdown = Shutdown::new();
    let engine = app.engine().clone();
    let stop = shutdown.clone();
    let runner = tokio::spawn(async move {
        engine.run(stop, Duration::from_millis(250)).await.unwrap();
    });

    let start = Instant::now();
    let rec = app
        .create_import(
            alice.id,
            ImportType::Following,
            false,
            file.as_bytes(),
            None,
        )
        .await
        .unwrap();
    let created = start.elapsed();
    // As `woolly serve` runs the jobs: one chunk at a time.
    while app.run_import_jobs(1).await.unwrap() > 0 {}
    let imported = start.elapsed();
    let rec = app.import(alice.id, rec.id).await.unwrap();
    assert_eq!(rec.imported, rows as u64, "{rec:?}");
    let deadline = Instant::now() + Duration::from_secs(600);
    while counts
        .iter()
        .map(|c| c.inbox.load(Ordering::Relaxed))
        .sum::<usize>()
        < rows
    {
        assert!(Instant::now() < deadline, "the Follows did not all arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = start.elapsed();
    shutdown.trigger();
    let _ = runner.await;

    let per = |f: fn(&HostCounts) -> usize| {
        let v: Vec<usize> = counts.iter().map(|c| f(c)).collect();
        (
            *v.iter().min().unwrap(),
            *v.iter().max().unwrap(),
            v.iter().sum::<usize>(),
        )
    };
    let wf = per(|c| c.webfinger.load(Ordering::Relaxed));
    let actor = per(|c| c.actor.load(Ordering::Relaxed));
    let inbox = per(|c| c.inbox.load(Ordering::Relaxed));
    let host_max = per(|c| c.max_in_flight.load(Ordering::Relaxed)).1;
    println!("rows {rows}, hosts {hosts}");
    println!("file read and stored: {created:?}");
    println!(
        "import finished: {imported:?} -> {:.0} rows/s",
        rows as f64 / imported.as_secs_f64()
    );
    println!("every Follow delivered: {delivered:?}");
    println!(
        "WebFinger per host: min {} max {} total {}",
        wf.0, wf.1, wf.2
    );
    println!(
        "actor GET per host: min {} max {} total {}",
        actor.0, actor.1, actor.2
    );
    println!(
        "Follow POSTs per host: min {} max {} total {}",
        inbox.0, inbox.1, inbox.2
    );
    println!(
        "resolution requests in flight at most: {} overall, {} on one host",
        resolving_max.load(Ordering::SeqCst),
        host_max
    );
    assert!(resolving_max.load(Ordering::SeqCst) <= 8);
    assert!(host_max <= 2);
}
