//! Delivery behaviour against hosts that answer in particular ways: double-knocking,
//! per-host concurrency, `410`, `429` with `Retry-After`, permanent 4xx.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::{Faults, Latency, MemoryNetwork};
use activitypub_core::engine::{KeyAlgorithm, Recipients};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_sig::Scheme;
use support::{start_clock, Backend, Instance};

fn answer(status: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

/// An inbox host that answers each POST with `f(request)` and counts them.
fn host<F>(net: &MemoryNetwork, name: &str, f: F) -> Arc<AtomicUsize>
where
    F: Fn(&Request<Bytes>) -> Response<Bytes> + Send + Sync + 'static,
{
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let f = Arc::new(f);
    net.serve(name, move |req: Request<Bytes>| {
        let (c, f) = (c.clone(), f.clone());
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            f(&req)
        }
    });
    count
}

async fn sender(
    net: &MemoryNetwork,
) -> (
    Instance,
    activitypub_core::ObjectId<activitypub_core::Actor>,
    fedi_storage::ManualClock,
) {
    let clock = start_clock();
    let a = Instance::start(net, "a.test", Backend::Memory, &clock).await;
    let alice = a.actor("alice", KeyAlgorithm::Ed25519).await;
    (a, alice, clock)
}

async fn send_to(
    a: &Instance,
    alice: &activitypub_core::ObjectId<activitypub_core::Actor>,
    inbox: &str,
) {
    let note = activitypub_core::builder::like(
        &a.new_id(alice, "likes"),
        alice,
        &activitypub_core::ObjectId::parse("http://x.test/notes/1").unwrap(),
    );
    a.send(alice, &note, Recipients::new().inbox(inbox)).await;
}

#[tokio::test]
async fn double_knocking_switches_scheme_once_and_remembers() {
    let net = MemoryNetwork::with_seed(3);
    let (a, alice, _clock) = sender(&net).await;
    // A host that takes only RFC 9421 signatures.
    let seen_cavage = Arc::new(AtomicUsize::new(0));
    let sc = seen_cavage.clone();
    let posts = host(&net, "strict.test", move |req| {
        if req.headers().contains_key("signature-input") {
            answer(StatusCode::ACCEPTED)
        } else {
            sc.fetch_add(1, Ordering::SeqCst);
            answer(StatusCode::UNAUTHORIZED)
        }
    });
    assert_eq!(a.engine.scheme_for("strict.test"), Scheme::Cavage);
    send_to(&a, &alice, "http://strict.test/inbox").await;
    let run = a.engine.process_deliveries(10).await.unwrap();
    assert_eq!(run.done, 1, "delivered on the second knock");
    assert_eq!(posts.load(Ordering::SeqCst), 2);
    assert_eq!(seen_cavage.load(Ordering::SeqCst), 1);
    assert_eq!(
        a.engine.scheme_for("strict.test"),
        Scheme::Rfc9421,
        "remembered"
    );
    // The next delivery goes out RFC 9421 first: one request.
    send_to(&a, &alice, "http://strict.test/inbox").await;
    a.engine.process_deliveries(10).await.unwrap();
    assert_eq!(posts.load(Ordering::SeqCst), 3);
    assert_eq!(seen_cavage.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_concurrency_is_bounded() {
    let net = MemoryNetwork::with_seed(4);
    let (a, alice, _clock) = sender(&net).await;
    host(&net, "busy.test", |_| answer(StatusCode::ACCEPTED));
    host(&net, "other.test", |_| answer(StatusCode::ACCEPTED));
    net.set_faults(Faults::none().with_latency(Latency::fixed(Duration::from_millis(20))));
    for n in 0..20 {
        send_to(&a, &alice, &format!("http://busy.test/users/u{n}/inbox")).await;
        send_to(&a, &alice, &format!("http://other.test/users/u{n}/inbox")).await;
    }
    let run = a.engine.process_deliveries(100).await.unwrap();
    assert_eq!(run.done, 40);
    let per_host = a.engine.config().delivery.per_host_concurrency;
    for h in ["busy.test", "other.test"] {
        let peak = net.host_stats(h).unwrap().peak_in_flight;
        assert!(peak <= per_host, "{h}: {peak} in flight > {per_host}");
        assert!(peak >= 2, "{h}: requests did run in parallel ({peak})");
    }
}

#[tokio::test]
async fn gone_ends_retries_and_other_4xx_are_permanent() {
    let net = MemoryNetwork::with_seed(5);
    let (a, alice, _clock) = sender(&net).await;
    let gone = host(&net, "gone.test", |_| answer(StatusCode::GONE));
    let bad = host(&net, "bad.test", |_| {
        answer(StatusCode::UNPROCESSABLE_ENTITY)
    });
    send_to(&a, &alice, "http://gone.test/inbox").await;
    send_to(&a, &alice, "http://bad.test/inbox").await;
    let run = a.engine.process_deliveries(10).await.unwrap();
    assert_eq!(run.dead, 2);
    assert_eq!(a.dead_deliveries().await, 2);
    assert_eq!(a.pending().await, 0, "nothing left to retry");
    assert_eq!(
        (gone.load(Ordering::SeqCst), bad.load(Ordering::SeqCst)),
        (1, 1)
    );
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let net = MemoryNetwork::with_seed(6);
    let (a, alice, clock) = sender(&net).await;
    let first = Arc::new(AtomicUsize::new(0));
    let f = first.clone();
    let posts = host(&net, "slowdown.test", move |_| {
        if f.fetch_add(1, Ordering::SeqCst) == 0 {
            let mut r = answer(StatusCode::TOO_MANY_REQUESTS);
            r.headers_mut()
                .insert("retry-after", "3600".parse().unwrap());
            r
        } else {
            answer(StatusCode::ACCEPTED)
        }
    });
    send_to(&a, &alice, "http://slowdown.test/inbox").await;
    assert_eq!(a.engine.process_deliveries(10).await.unwrap().retried, 1);
    // The normal first back-off (31–49 s) has passed, but Retry-After said an hour.
    clock.advance(Duration::from_secs(600));
    assert_eq!(a.engine.process_deliveries(10).await.unwrap().leased, 0);
    clock.advance(Duration::from_secs(3001));
    assert_eq!(a.engine.process_deliveries(10).await.unwrap().done, 1);
    assert_eq!(posts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_host_is_retried_with_back_off_then_dead_lettered() {
    let net = MemoryNetwork::with_seed(8);
    let (a, alice, clock) = sender(&net).await;
    let posts = host(&net, "down.test", |_| {
        answer(StatusCode::SERVICE_UNAVAILABLE)
    });
    send_to(&a, &alice, "http://down.test/inbox").await;
    let mut attempts = 0;
    // Ten-minute steps, at most a week.
    for _ in 0..1008 {
        let run = a.engine.process_deliveries(10).await.unwrap();
        attempts += run.leased;
        if a.pending().await == 0 {
            break;
        }
        clock.advance(Duration::from_secs(600));
    }
    assert_eq!(
        a.dead_deliveries().await,
        1,
        "given up after the last attempt"
    );
    assert_eq!(attempts, 16, "Mastodon's 16 attempts");
    // Fewer requests than attempts: the open circuit breaker skipped some.
    assert!(posts.load(Ordering::SeqCst) <= 16);
    let elapsed = a.engine.now().as_unix_millis()
        - fedi_storage::Clock::now(&support::start_clock()).as_unix_millis();
    let days = elapsed as f64 / 86_400_000.0;
    assert!((2.0..4.5).contains(&days), "retries spanned {days:.2} days");
}

/// Publishes actor `name` on `remote` (with `endpoints.sharedInbox` only when `shared`), makes
/// its inboxes answer `202`, and returns its id.
fn remote_actor(remote: &support::Remote, name: &str, shared: bool) -> String {
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let id = remote.actor(name, &key);
    if !shared {
        let path = format!("/users/{name}");
        let mut doc: serde_json::Value =
            serde_json::from_slice(&remote.docs.lock().unwrap()[&path].1).unwrap();
        doc.as_object_mut().unwrap().remove("endpoints");
        remote.put(&path, StatusCode::OK, serde_json::to_vec(&doc).unwrap());
    }
    remote.put(
        &format!("/users/{name}/inbox"),
        StatusCode::ACCEPTED,
        Vec::new(),
    );
    remote.put("/inbox", StatusCode::ACCEPTED, Vec::new());
    id.as_str().to_owned()
}

/// POSTs per (host, path) in the network's log.
fn posts_per_inbox(net: &MemoryNetwork) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for r in net.log() {
        if r.method == http::Method::POST {
            *out.entry((r.authority.clone(), r.path.clone()))
                .or_default() += 1;
        }
    }
    out
}

#[tokio::test]
async fn fan_out_sends_one_request_per_distinct_inbox() {
    let net = MemoryNetwork::with_seed(11);
    let (a, alice, _clock) = sender(&net).await;
    // shared1.test: three followers behind one shared inbox; personal.test: two followers
    // without a shared inbox; shared2.test: one follower.
    let shared1 = support::Remote::start(&net, "shared1.test");
    let personal = support::Remote::start(&net, "personal.test");
    let shared2 = support::Remote::start(&net, "shared2.test");
    let mut followers = Vec::new();
    for n in 0..3 {
        followers.push(remote_actor(&shared1, &format!("s{n}"), true));
    }
    for n in 0..2 {
        followers.push(remote_actor(&personal, &format!("p{n}"), false));
    }
    followers.push(remote_actor(&shared2, "t0", true));
    for (n, f) in followers.iter().enumerate() {
        // Fetching the actor indexes its inboxes, as when its Follow came in.
        a.engine
            .actor(f, &mut activitypub_core::engine::FetchBudget::new(5))
            .await
            .unwrap();
        a.engine
            .add_follower(alice.as_str(), f, n as u64 + 1)
            .await
            .unwrap();
    }
    let before = posts_per_inbox(&net);
    assert!(before.is_empty(), "no POST before the delivery: {before:?}");
    // Followers, plus two of them mentioned directly: still one request per inbox.
    let like = activitypub_core::builder::like(
        &a.new_id(&alice, "likes"),
        &alice,
        &activitypub_core::ObjectId::parse("http://x.test/notes/1").unwrap(),
    );
    let audience = Recipients::new()
        .followers_of(alice.as_str())
        .actor(followers[0].clone())
        .actor(followers[3].clone());
    let report = a.send(&alice, &like, audience).await;
    let mut inboxes = report.inboxes.clone();
    inboxes.sort();
    assert_eq!(
        inboxes,
        [
            "http://personal.test/users/p0/inbox",
            "http://personal.test/users/p1/inbox",
            "http://shared1.test/inbox",
            "http://shared2.test/inbox",
        ]
    );
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    let run = a.engine.process_deliveries(100).await.unwrap();
    assert_eq!((run.done, run.dead, run.retried), (4, 0, 0));
    let expected: BTreeMap<(String, String), usize> = [
        ("personal.test", "/users/p0/inbox"),
        ("personal.test", "/users/p1/inbox"),
        ("shared1.test", "/inbox"),
        ("shared2.test", "/inbox"),
    ]
    .into_iter()
    .map(|(h, p)| ((h.to_owned(), p.to_owned()), 1))
    .collect();
    assert_eq!(posts_per_inbox(&net), expected);
    // Nothing is left to send.
    assert_eq!(a.pending().await, 0);
    assert_eq!(a.engine.process_deliveries(100).await.unwrap().leased, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overall_delivery_concurrency_is_bounded() {
    let net = MemoryNetwork::with_seed(12);
    let clock = start_clock();
    let a = Instance::start_with(&net, "a.test", Backend::Memory, &clock, |c| {
        c.delivery.concurrency = 3;
        c.delivery.per_host_concurrency = 4;
    })
    .await;
    let alice = a.actor("alice", KeyAlgorithm::Ed25519).await;
    let hosts: Vec<String> = (0..8).map(|n| format!("h{n}.test")).collect();
    let counts: Vec<_> = hosts
        .iter()
        .map(|h| host(&net, h, |_| answer(StatusCode::ACCEPTED)))
        .collect();
    net.set_faults(Faults::none().with_latency(Latency::fixed(Duration::from_millis(20))));
    for h in &hosts {
        for n in 0..3 {
            send_to(&a, &alice, &format!("http://{h}/users/u{n}/inbox")).await;
        }
    }
    let run = a.engine.process_deliveries(100).await.unwrap();
    assert_eq!(run.done, 24);
    assert!(counts.iter().all(|c| c.load(Ordering::SeqCst) == 3));
    let stats = net.stats();
    assert_eq!(stats.requests, 24);
    // Across all hosts at once: never more than the global limit, though each host alone
    // would have allowed four.
    assert!(
        stats.peak_in_flight <= 3,
        "{} in flight > 3",
        stats.peak_in_flight
    );
    assert!(
        stats.peak_in_flight >= 2,
        "requests did run in parallel ({})",
        stats.peak_in_flight
    );
    for h in &hosts {
        assert!(net.host_stats(h).unwrap().peak_in_flight <= 3);
    }
}
