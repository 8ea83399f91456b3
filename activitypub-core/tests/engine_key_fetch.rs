//! Key fetches on first contact: concurrent requests signed with one unknown key share a
//! single fetch of the actor, and a failed fetch is not remembered.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use activitypub_core::engine::transport::memory::{Faults, Latency, MemoryNetwork};
use activitypub_core::engine::InboxTarget;
use activitypub_core::{Actor, ObjectId};
use bytes::Bytes;
use http::StatusCode;
use http_sig::{PrivateKey, Scheme};
use serde_json::json;
use support::{signed_post, start_clock, Backend, Instance, Remote};

/// How many deliveries arrive at once.
const BURST: usize = 32;

fn like(actor: &ObjectId<Actor>, n: usize) -> Vec<u8> {
    let a = actor.as_str();
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{a}/likes/{n}"),
        "type": "Like",
        "actor": a,
        "object": "http://wool.test/users/alice/statuses/1"
    }))
    .unwrap()
}

/// How many GETs of `path` reached `authority`.
fn gets(net: &MemoryNetwork, authority: &str, path: &str) -> usize {
    net.log()
        .iter()
        .filter(|r| r.authority == authority && r.method == http::Method::GET && r.path == path)
        .count()
}

/// Sends `BURST` deliveries from `actor` (signed with `key`, alternating the schemes) at the
/// same time, each on its own task; returns their statuses.
async fn burst(
    us: &Instance,
    actor: &ObjectId<Actor>,
    key: &PrivateKey,
    first: usize,
) -> Vec<StatusCode> {
    let key_id = format!("{}#main-key", actor.as_str());
    let now = us.engine.now().into();
    let mut tasks = Vec::new();
    for n in first..first + BURST {
        let scheme = if n % 2 == 0 {
            Scheme::Cavage
        } else {
            Scheme::Rfc9421
        };
        let req = signed_post(
            "http://wool.test/inbox",
            &like(actor, n),
            &key_id,
            key,
            scheme,
            now,
        );
        let engine = us.engine.clone();
        tasks.push(tokio::spawn(async move {
            engine.inbox(req, InboxTarget::Shared).await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let res: http::Response<Bytes> = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("a delivery answered within 30 s")
            .unwrap();
        statuses.push(res.status());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_an_unknown_actor_shares_one_key_fetch() {
    let net = MemoryNetwork::with_seed(11);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Sled, &clock).await;
    let remote = Remote::start(&net, "slow.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let carol = remote.actor("carol", &key);
    // The actor's server takes its time (100 to 400 ms): every request in the burst arrives
    // while the first fetch of the actor is in flight. (Without single flight, each request
    // fetched the actor, and one fetch storing the actor's keys while another read them back
    // made some of the valid deliveries fail with 401.)
    let slow = Latency::between(Duration::from_millis(100), Duration::from_millis(400));
    net.set_host_faults("slow.test", Faults::none().with_latency(slow));
    let statuses = burst(&us, &carol, &key, 0).await;
    assert_eq!(statuses, vec![StatusCode::ACCEPTED; BURST]);
    assert_eq!(
        gets(&net, "slow.test", "/users/carol"),
        1,
        "the actor was fetched once for the whole burst"
    );
    // All were queued, each once.
    assert_eq!(us.engine.process_inbox(100).await.unwrap().done, BURST);
    // Later deliveries use the cached key.
    let again = burst(&us, &carol, &key, BURST).await;
    assert_eq!(again, vec![StatusCode::ACCEPTED; BURST]);
    assert_eq!(gets(&net, "slow.test", "/users/carol"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_key_fetch_is_shared_but_not_remembered() {
    let net = MemoryNetwork::with_seed(12);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, "flaky.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let dave = remote.actor("dave", &key);
    // The actor's server fails (503) for now, slowly.
    net.set_host_faults(
        "flaky.test",
        Faults::none()
            .with_server_error(1.0)
            .with_latency(Latency::fixed(Duration::from_millis(300))),
    );
    let statuses = burst(&us, &dave, &key, 0).await;
    assert_eq!(statuses, vec![StatusCode::UNAUTHORIZED; BURST]);
    let failed = net.host_stats("flaky.test").unwrap().requests;
    assert_eq!(failed, 1, "one fetch for the burst, failed");
    // The server recovers: the next delivery fetches again and is accepted.
    net.set_host_faults("flaky.test", Faults::none());
    let statuses = burst(&us, &dave, &key, BURST).await;
    assert_eq!(statuses, vec![StatusCode::ACCEPTED; BURST]);
    assert_eq!(net.host_stats("flaky.test").unwrap().requests, failed + 1);
    assert_eq!(
        gets(&net, "flaky.test", "/users/dave"),
        2,
        "the failed GET, then one more"
    );
}
