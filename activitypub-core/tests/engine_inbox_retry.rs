//! The inbox queue: a handler's retryable error is retried with back-off until it succeeds.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, InboxActivity, InboxTarget, KeyAlgorithm, INBOX_QUEUE,
};
use activitypub_core::Error;
use fedi_storage::{memory::MemoryStore, QueueStoreExt, Store};
use http_sig::{PrivateKey, Scheme};
use serde_json::json;
use support::{signed_post, start_clock, Remote};

/// Fails with a retryable error the first `failures` times, then succeeds; records the
/// activity id and the engine time of every call.
struct Flaky {
    failures: usize,
    calls: Mutex<Vec<(String, u64)>>,
}

#[async_trait::async_trait]
impl ActivityHandler for Flaky {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let id = a.activity.id.as_ref().unwrap().as_str().to_owned();
        let mut calls = self.calls.lock().unwrap();
        calls.push((id, engine.now().as_unix_millis()));
        if calls.len() <= self.failures {
            Err(Error::handler("database busy"))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_retryable_handler_error_is_retried_until_it_succeeds() {
    let net = MemoryNetwork::with_seed(31);
    let clock = start_clock();
    let remote = Remote::start(&net, "far.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let m = remote.actor("m", &key);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let handler = Arc::new(Flaky {
        failures: 2,
        calls: Mutex::default(),
    });
    let mut config = EngineConfig::new("http://wool.test").unwrap();
    config.instance_key = KeyAlgorithm::Ed25519;
    let engine = Engine::builder(config)
        .store(store.clone())
        .transport(Arc::new(net.clone()))
        .handler(handler.clone())
        .clock(Arc::new(clock.clone()))
        .build()
        .await
        .unwrap();
    let activity_id = format!("{}/likes/1", m.as_str());
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Like",
        "actor": m.as_str(),
        "object": "http://wool.test/notes/1",
    });
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&body).unwrap(),
        &format!("{}#main-key", m.as_str()),
        &key,
        Scheme::Cavage,
        engine.now().into(),
    );
    engine.receive(req, InboxTarget::Shared).await.unwrap();
    assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 1);

    // First attempt: the handler fails, the job is put back with a back-off.
    let run = engine.process_inbox(10).await.unwrap();
    assert_eq!((run.leased, run.retried, run.done, run.dead), (1, 1, 0, 0));
    // Not due yet: nothing runs until the clock moves.
    assert_eq!(engine.process_inbox(10).await.unwrap().leased, 0);
    assert_eq!(handler.calls.lock().unwrap().len(), 1);

    // Ten-second steps until the queue is empty (bounded).
    let mut done = 0;
    for _ in 0..100 {
        clock.advance(Duration::from_secs(10));
        let run = engine.process_inbox(10).await.unwrap();
        assert_eq!(run.dead, 0);
        done += run.done;
        if store.count_pending(INBOX_QUEUE).await.unwrap() == 0 {
            break;
        }
    }
    assert_eq!(done, 1, "succeeded on the third attempt");
    assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 0);
    assert_eq!(store.count_dead(INBOX_QUEUE).await.unwrap(), 0);
    let calls = handler.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls.iter().all(|(id, _)| *id == activity_id));
    // Each retry waited at least the first back-off step ((n+1)^4 + 15 s).
    for w in calls.windows(2) {
        assert!(w[1].1 - w[0].1 >= 16_000, "{calls:?}");
    }
    // Done means done: later passes do not call the handler again.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(engine.process_inbox(10).await.unwrap().leased, 0);
    assert_eq!(handler.calls.lock().unwrap().len(), 3);
}
