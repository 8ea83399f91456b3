//! The inbox on a journaled queue (sled with `SledConfig::journal`): duplicates are answered
//! by the in-memory filter on the request path, and the runner's check against the store's
//! dedupe set handles each activity once even when a duplicate slipped past the filter (after
//! a restart, which empties it) or sits in the same pass.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::sync::{Arc, Mutex};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, InboxActivity, InboxTarget, KeyAlgorithm, INBOX_QUEUE,
};
use activitypub_core::Error;
use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::{DedupeStore, ManualClock, QueueStore, QueueStoreExt, Store, StoreInfo};
use http_sig::{PrivateKey, Scheme};
use serde_json::json;
use support::{signed_post, start_clock, Remote};

#[derive(Default)]
struct Counting {
    handled: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl ActivityHandler for Counting {
    async fn handle(&self, _engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let id = a.activity.id.as_ref().unwrap().as_str().to_owned();
        let bad = id.contains("bad");
        self.handled.lock().unwrap().push(id);
        if bad {
            return Err(Error::handler_permanent("refused"));
        }
        Ok(())
    }
}

fn open(path: &std::path::Path) -> Arc<SledStore> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let config = SledConfig::new(path).journal(JournalQueues::Named(vec![INBOX_QUEUE.into()]));
        match SledStore::open_with(config) {
            Ok(s) => return Arc::new(s),
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open: {e}"),
        }
    }
}

async fn engine(
    net: &MemoryNetwork,
    store: Arc<SledStore>,
    clock: &ManualClock,
    handler: Arc<Counting>,
) -> Engine {
    let mut config = EngineConfig::new("http://wool.test").unwrap();
    config.instance_key = KeyAlgorithm::Ed25519;
    let store: Arc<dyn Store> = store;
    Engine::builder(config)
        .store(store)
        .transport(Arc::new(net.clone()))
        .handler(handler)
        .clock(Arc::new(clock.clone()))
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_activity_is_handled_once_across_the_filter_the_runner_and_a_restart() {
    let net = MemoryNetwork::with_seed(7);
    let clock = start_clock();
    let remote = Remote::start(&net, "far.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let m = remote.actor("m", &key);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let like = |n: u32| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/{n}", m.as_str()),
            "type": "Like",
            "actor": m.as_str(),
            "object": "http://wool.test/notes/1",
        }))
        .unwrap()
    };
    let post = |engine: &Engine, body: &[u8]| {
        signed_post(
            "http://wool.test/inbox",
            body,
            &format!("{}#main-key", m.as_str()),
            &key,
            Scheme::Cavage,
            engine.now().into(),
        )
    };
    let handler = Arc::new(Counting::default());
    {
        let store = open(&db);
        assert!(store.journals_queue(INBOX_QUEUE));
        let engine = engine(&net, store.clone(), &clock, handler.clone()).await;
        let first = engine
            .receive(post(&engine, &like(1)), InboxTarget::Shared)
            .await
            .unwrap();
        assert!(!first.duplicate);
        // The filter answers the duplicate on the request path: nothing is appended.
        let again = engine
            .receive(post(&engine, &like(1)), InboxTarget::Shared)
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 1);
        // Not recorded in the store's dedupe set before the runner handles it.
        assert!(!store.seen(&first.activity_id, engine.now()).await.unwrap());
        let run = engine.process_inbox(10).await.unwrap();
        assert_eq!((run.leased, run.done, run.duplicates), (1, 1, 0));
        assert!(store.seen(&first.activity_id, engine.now()).await.unwrap());
        // Like 2 is accepted, not yet handled, when the process stops.
        let second = engine
            .receive(post(&engine, &like(2)), InboxTarget::Shared)
            .await
            .unwrap();
        assert!(!second.duplicate);
    }
    let store = open(&db);
    let engine = engine(&net, store.clone(), &clock, handler.clone()).await;
    // After the restart the filter is empty: like 1 and like 2 are accepted again (twice for
    // like 2, so that two copies sit in one pass), and the runner sorts them out.
    for body in [like(1), like(2)] {
        let a = engine
            .receive(post(&engine, &body), InboxTarget::Shared)
            .await
            .unwrap();
        assert!(!a.duplicate, "the filter was emptied by the restart");
    }
    assert!(
        engine
            .receive(post(&engine, &like(2)), InboxTarget::Shared)
            .await
            .unwrap()
            .duplicate
    );
    assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 3);
    let run = engine.process_inbox(10).await.unwrap();
    assert_eq!((run.leased, run.done, run.duplicates), (3, 1, 2), "{run:?}");
    assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 0);
    let mut handled = handler.handled.lock().unwrap().clone();
    handled.sort();
    assert_eq!(
        handled,
        vec![
            format!("{}/likes/1", m.as_str()),
            format!("{}/likes/2", m.as_str())
        ],
        "each activity handled exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_dedupe_entries_and_old_dead_letters_are_collected() {
    let net = MemoryNetwork::with_seed(8);
    let clock = start_clock();
    let remote = Remote::start(&net, "far.test");
    let key = PrivateKey::generate_ed25519().unwrap();
    let m = remote.actor("m", &key);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let handler = Arc::new(Counting::default());
    let engine = engine(&net, store.clone(), &clock, handler.clone()).await;
    let mut ids = Vec::new();
    for name in ["good", "bad"] {
        let body = serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/{name}", m.as_str()),
            "type": "Like",
            "actor": m.as_str(),
            "object": "http://wool.test/notes/1",
        }))
        .unwrap();
        let req = signed_post(
            "http://wool.test/inbox",
            &body,
            &format!("{}#main-key", m.as_str()),
            &key,
            Scheme::Cavage,
            engine.now().into(),
        );
        ids.push(
            engine
                .receive(req, InboxTarget::Shared)
                .await
                .unwrap()
                .activity_id,
        );
    }
    let run = engine.process_inbox(10).await.unwrap();
    assert_eq!((run.done, run.dead), (1, 1));
    assert_eq!(store.count_dead(INBOX_QUEUE).await.unwrap(), 1);
    // Nothing has expired yet.
    assert_eq!(engine.collect_expired().await.unwrap(), (0, 0));
    for id in &ids {
        assert!(store.seen(id, engine.now()).await.unwrap(), "{id} recorded");
    }
    // Past the dedupe time to live and the dead letters' retention (both 7 days).
    clock.advance(std::time::Duration::from_secs(7 * 86_400 + 1));
    assert_eq!(engine.collect_expired().await.unwrap(), (2, 1));
    assert_eq!(store.count_dead(INBOX_QUEUE).await.unwrap(), 0);
    assert_eq!(engine.collect_expired().await.unwrap(), (0, 0));
}
