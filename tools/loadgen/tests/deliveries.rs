//! The deliveries the tool prepares are what a Mastodon server sends, and the federation
//! engine's inbox accepts them: digest, draft-cavage signature with the key fetched over HTTP
//! from the tool's actor server, origin checks, dedupe.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::{
    AddressPolicy, Engine, EngineConfig, InboxTarget, IpNet, KeyAlgorithm,
};
use base64::Engine as _;
use fedi_storage::memory::MemoryStore;
use sha2::Digest as _;
use woolly_loadgen::actors::{self, ActorServer};
use woolly_loadgen::client::Target;
use woolly_loadgen::inbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_deliveries_are_mastodon_shaped_and_accepted_by_the_engine() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let actors = actors::generate(&base, 2).unwrap();
    let server = ActorServer::start(listener, &actors).unwrap();
    // The engine is called in process: nothing listens on the target.
    let target = Target::parse("http://127.0.0.2:8080").await.unwrap();
    let ds = inbox::prepare(&target, "/inbox", &actors, "42", 0, 4).unwrap();

    // On the wire: Mastodon's header set, Host, SHA-256 Digest of the exact body.
    let d = &ds[0];
    let sig = d.headers["signature"].to_str().unwrap();
    assert!(
        sig.contains(&format!("keyId=\"{}\"", actors[0].key_id)),
        "{sig}"
    );
    assert!(sig.contains("algorithm=\"rsa-sha256\""), "{sig}");
    assert!(
        sig.contains("headers=\"(request-target) host date digest content-type\""),
        "{sig}"
    );
    assert_eq!(d.headers["host"], "127.0.0.2:8080");
    assert_eq!(d.headers["content-type"], "application/activity+json");
    let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&d.body));
    assert_eq!(
        d.headers["digest"].to_str().unwrap(),
        format!("SHA-256={digest}")
    );
    let body: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
    assert_eq!(body["type"], "Create");
    assert_eq!(body["actor"], actors[0].iri.as_str());
    assert_eq!(body["object"]["type"], "Note");
    assert_eq!(body["object"]["attributedTo"], actors[0].iri.as_str());
    assert_eq!(
        body["id"].as_str().unwrap(),
        format!("{}/statuses/4200000000/activity", actors[0].iri)
    );
    // Round-robin over the actors; every activity id distinct.
    assert_eq!(
        ds[1].activity_id,
        format!("{}/statuses/4200000001/activity", actors[1].iri)
    );
    let ids: HashSet<_> = ds.iter().map(|d| d.activity_id.clone()).collect();
    assert_eq!(ids.len(), 4);

    // The engine's inbox, fetching the keys from the actor server over loopback HTTP.
    let transport = HyperTransport::builder()
        .address_policy(AddressPolicy::public_only().allowing(IpNet::parse("127.0.0.0/8").unwrap()))
        .allow_http(true)
        .build()
        .unwrap();
    let mut config = EngineConfig::new("http://127.0.0.2:8080").unwrap();
    config.instance_key = KeyAlgorithm::Ed25519;
    let engine = Engine::builder(config)
        .store(Arc::new(MemoryStore::new()))
        .transport(Arc::new(transport))
        .build()
        .await
        .unwrap();
    let send = |d: &inbox::Delivery| {
        let (parts, _) = d.request().unwrap().into_parts();
        http::Request::from_parts(parts, d.body.clone())
    };
    for d in &ds {
        let r = engine.inbox(send(d), InboxTarget::Shared).await;
        assert_eq!(r.status(), 202, "{}", String::from_utf8_lossy(r.body()));
    }
    // One document fetch per actor: the keys were cached.
    assert_eq!(server.fetches(), 2);
    let again = engine
        .receive(send(&ds[0]), InboxTarget::Shared)
        .await
        .unwrap();
    assert!(again.duplicate);

    // A body changed after signing is refused.
    let mut bad = send(&ds[1]);
    *bad.body_mut() =
        bytes::Bytes::from(String::from_utf8_lossy(&ds[1].body).replace("Baa", "Moo"));
    let r = engine.inbox(bad, InboxTarget::Shared).await;
    assert_eq!(r.status(), 401, "{}", String::from_utf8_lossy(r.body()));
}
