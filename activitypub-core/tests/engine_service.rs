//! The `tower::Service` wrapper around the inbox answers requests in process.
//! (Feature `tower`: `cargo test -p activitypub-core --features tower --test integration engine_service::`;
//! `cargo test --workspace` turns it on through the examples crate.)
#![cfg(feature = "tower")]
#![allow(clippy::unwrap_used)]

use crate::support;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{InboxService, InboxTarget};
use bytes::Bytes;
use http::StatusCode;
use http_sig::{PrivateKey, Scheme};
use serde_json::json;
use support::{signed_post, start_clock, Backend, Instance, Remote};
use tower_service::Service;

#[tokio::test]
async fn the_inbox_service_answers_in_process() {
    let net = MemoryNetwork::with_seed(41);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, "far.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let m = remote.actor("m", &key);
    let mut svc = InboxService::new(us.engine.clone(), InboxTarget::Shared);
    std::future::poll_fn(|cx| svc.poll_ready(cx)).await.unwrap();

    let id = format!("{}/likes/1", m.as_str());
    let body = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Like",
        "actor": m.as_str(),
        "object": "http://wool.test/notes/1",
    }))
    .unwrap();
    let signed = |body: &[u8]| {
        signed_post(
            "http://wool.test/inbox",
            body,
            &format!("{}#main-key", m.as_str()),
            &key,
            Scheme::Cavage,
            us.engine.now().into(),
        )
    };
    // A signed activity: 202, queued durably, handled from the queue.
    let resp = svc.call(signed(&body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(us.engine.process_inbox(10).await.unwrap().done, 1);
    assert_eq!(us.recorder.count(&id), 1);
    assert_eq!(us.recorder.kinds(), ["Like"]);

    // Rejections are responses too, never service errors.
    let mut unsigned = signed(&body);
    unsigned.headers_mut().remove("signature");
    let resp = svc.call(unsigned).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let mut wrong_type = signed(&body);
    wrong_type
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(
        svc.call(wrong_type).await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let get = http::Request::builder()
        .method("GET")
        .uri("http://wool.test/inbox")
        .body(Bytes::new())
        .unwrap();
    assert!(svc.call(get).await.unwrap().status().is_client_error());
    // A clone of the service is the same inbox: a replay through it is deduplicated.
    let mut clone = svc.clone();
    let resp = clone.call(signed(&body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(us.engine.process_inbox(10).await.unwrap().leased, 0);
    assert_eq!(us.recorder.count(&id), 1, "handled once");
}
