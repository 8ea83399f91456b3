//! Benchmark (ignored by default; BENCHMARKS.md "Polls"): a local poll answered by 10,000
//! remote voters. Each vote is a signed `Create(Note)` (Ed25519, draft-cavage) POSTed to the
//! shared inbox through the router, so it passes the whole inbox pipeline (digest,
//! signature, the voter's key fetched once from its actor document, dedupe, the durable
//! queue) and the poll handler; the engine's runner and the poll jobs run as `woolly serve`
//! runs them. Measured: votes counted per second (from the first POST until the poll shows
//! every vote), and how many result `Update(Question)`s reached the voters' server
//! (coalesced: one per [`UPDATE_DELAY`](reference_server::app::polls::UPDATE_DELAY) window,
//! not one per vote), plus the closing one.
//!
//! `cargo test -p reference-server --test integration bench_poll_votes:: -- --ignored --nocapture`
//! (`POLL_VOTERS=n` for another number of voters).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::Shutdown;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const VOTERS_HOST: &str = "voters.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn ten_thousand_remote_voters() {
    let n: usize = std::env::var("POLL_VOTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let r = router.clone();
    net.serve("wool.test", move |req: Request<Bytes>| {
        let r = r.clone();
        async move { r.handle(req, None).await }
    });

    // The voters' server: actor documents, and a shared inbox that counts Updates.
    let mut keys = Vec::with_capacity(n);
    let mut docs: HashMap<String, Bytes> = HashMap::with_capacity(n);
    for i in 0..n {
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let iri = format!("http://{VOTERS_HOST}/users/v{i}");
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": iri, "type": "Person", "preferredUsername": format!("v{i}"),
            "inbox": format!("{iri}/inbox"),
            "endpoints": {"sharedInbox": format!("http://{VOTERS_HOST}/inbox")},
            "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
                "publicKeyPem": key.public_key().to_pem().unwrap()}
        });
        docs.insert(format!("/users/v{i}"), Bytes::from(doc.to_string()));
        keys.push((iri, key));
    }
    let docs = Arc::new(docs);
    let updates: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = updates.clone();
    net.serve(VOTERS_HOST, move |req: Request<Bytes>| {
        let docs = docs.clone();
        let seen = seen.clone();
        async move {
            if req.method() == http::Method::POST {
                if let Ok(v) = serde_json::from_slice::<Value>(req.body()) {
                    if v["type"] == "Update" {
                        seen.lock().unwrap().push(v);
                    }
                }
                return Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .body(Bytes::new())
                    .unwrap();
            }
            match docs.get(req.uri().path()) {
                Some(d) => Response::builder()
                    .header("content-type", "application/activity+json")
                    .body(d.clone())
                    .unwrap(),
                None => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Bytes::new())
                    .unwrap(),
            }
        }
    });

    // The poll, and everything `woolly serve` runs beside the server.
    let alice = app.create_account("alice", None, false).await.unwrap();
    let s = app
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "Which one?".into(),
                poll: Some(reference_server::app::NewPoll {
                    options: vec!["one".into(), "two".into(), "three".into(), "four".into()],
                    expires_in: 300,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let shutdown = Shutdown::new();
    let engine = app.engine().clone();
    let stop = shutdown.clone();
    let runner = tokio::spawn(async move {
        engine.run(stop, Duration::from_millis(250)).await.unwrap();
    });
    let jobs_app = app.clone();
    let jobs_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let js = jobs_stop.clone();
    let jobs = tokio::spawn(async move {
        while !js.load(Ordering::Relaxed) {
            if jobs_app.run_poll_jobs(100).await.unwrap() == 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });

    // The votes: 32 senders, each signing and POSTing its share.
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let keys = Arc::new(keys);
    let mut senders = Vec::new();
    for _ in 0..32 {
        let (router, next, keys, uri) = (router.clone(), next.clone(), keys.clone(), s.uri.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= keys.len() {
                    return;
                }
                let (iri, key) = &keys[i];
                let choice = ["one", "two", "three", "four"][i % 4];
                let vote = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{iri}#votes/1/activity"), "type": "Create", "actor": iri,
                    "to": ["http://wool.test/users/alice"],
                    "object": {"id": format!("{iri}#votes/1"), "type": "Note",
                        "name": choice,
                        "attributedTo": iri, "to": ["http://wool.test/users/alice"],
                        "inReplyTo": uri},
                });
                let body = vote.to_string().into_bytes();
                let (mut parts, ()) = Request::post("http://wool.test/inbox")
                    .header("content-type", "application/activity+json")
                    .body(())
                    .unwrap()
                    .into_parts();
                http_sig::sign_request(
                    &mut parts,
                    &body,
                    key,
                    &http_sig::SignOptions::cavage(format!("{iri}#main-key")),
                    SystemTime::now(),
                )
                .unwrap();
                let req = Request::from_parts(parts, Bytes::from(body));
                let resp = router.handle(req, None).await;
                assert_eq!(resp.status(), StatusCode::ACCEPTED);
            }
        }));
    }
    for t in senders {
        t.await.unwrap();
    }
    let accepted = start.elapsed();
    let path = format!("/api/v1/polls/{}", s.id);
    let counted = loop {
        let resp = router
            .handle(
                Request::get(format!("http://wool.test{path}"))
                    .body(Bytes::new())
                    .unwrap(),
                None,
            )
            .await;
        let p: Value = serde_json::from_slice(resp.body()).unwrap();
        if p["votes_count"].as_u64() == Some(n as u64) {
            break start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1200),
            "votes not counted: {p}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The last coalesced Update goes out within the delay; then nothing more.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let sent = updates.lock().unwrap().len();
    let last = updates.lock().unwrap().last().cloned().unwrap();
    let total: u64 = last["object"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["replies"]["totalItems"].as_u64().unwrap())
        .sum();
    assert_eq!(total, n as u64, "the last Update carries every vote");
    assert_eq!(last["object"]["votersCount"], n as u64);
    println!(
        "poll votes: {n} remote voters; all accepted (202) after {:.2} s; all counted after \
         {:.2} s = {:.0} votes/s through the inbox; result Updates received by the voters' \
         server: {sent} (one per {} s window, not one per vote)",
        accepted.as_secs_f64(),
        counted.as_secs_f64(),
        n as f64 / counted.as_secs_f64(),
        reference_server::app::polls::UPDATE_DELAY.as_secs(),
    );
    assert!(sent < n / 10, "{sent} updates for {n} votes: not coalesced");
    jobs_stop.store(true, Ordering::Relaxed);
    shutdown.trigger();
    let _ = jobs.await;
    let _ = runner.await;
}
