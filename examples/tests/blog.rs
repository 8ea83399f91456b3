//! The blog example's core (its handler and its router, compiled from `blog.rs` itself) on the
//! in-memory network: a reader on another engine follows the blog, gets the Accept, and
//! receives what the blog publishes; `/publish` is refused unless the peer is on loopback.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../blog.rs"]
#[allow(dead_code)]
mod blog;

use std::sync::{Arc, Mutex};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, FetchBudget, InboxActivity, InboxTarget, KeyAlgorithm,
    Recipients,
};
use activitypub_core::{builder, Actor, Error, ObjectId};
use bytes::Bytes;
use fedi_storage::{memory::MemoryStore, ManualClock, Timestamp};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};

/// The reader's handler: records (type, activity JSON) of everything it is sent.
#[derive(Default)]
struct Reader(Mutex<Vec<(String, serde_json::Value)>>);

#[async_trait::async_trait]
impl ActivityHandler for Reader {
    async fn handle(&self, _engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let v = serde_json::to_value(&a.activity)?;
        self.0.lock().unwrap().push((a.kind().to_owned(), v));
        Ok(())
    }
}

fn config(base: &str) -> EngineConfig {
    let mut c = EngineConfig::new(base).unwrap();
    c.instance_key = KeyAlgorithm::Ed25519;
    c
}

async fn engine(
    net: &MemoryNetwork,
    clock: &ManualClock,
    base: &str,
    handler: Arc<dyn ActivityHandler>,
) -> Engine {
    Engine::builder(config(base))
        .store(Arc::new(MemoryStore::new()))
        .transport(Arc::new(net.clone()))
        .handler(handler)
        .clock(Arc::new(clock.clone()))
        .build()
        .await
        .unwrap()
}

/// Runs the example's router for a request, as its hyper loop does.
async fn call(engine: &Engine, req: Request<Bytes>, loopback: bool) -> Response<Bytes> {
    let res = blog::respond(engine, req.map(Full::new), loopback).await;
    let (parts, body) = res.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

fn post(url: &str, body: &str) -> Request<Bytes> {
    Request::post(url)
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

async fn run_queues(engines: &[&Engine]) {
    for _ in 0..10 {
        let mut leased = 0;
        for e in engines {
            leased += e.process_deliveries(100).await.unwrap().leased;
            leased += e.process_inbox(100).await.unwrap().leased;
        }
        if leased == 0 {
            return;
        }
    }
    panic!("queues did not settle");
}

#[tokio::test]
async fn the_blog_federates_with_a_reader_on_the_memory_network() {
    let net = MemoryNetwork::with_seed(51);
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_767_225_600_000));
    // The base URL with a trailing slash: the ids must still have one slash.
    let blog = engine(&net, &clock, "http://blog.test/", Arc::new(blog::Blog)).await;
    let me: ObjectId<Actor> = blog::at(&blog, "blog").unwrap();
    assert_eq!(me.as_str(), "http://blog.test/blog");
    blog.create_local_actor(&me, KeyAlgorithm::Ed25519)
        .await
        .unwrap();
    let served = blog.clone();
    net.serve("blog.test", move |req: Request<Bytes>| {
        let blog = served.clone();
        async move { call(&blog, req, false).await }
    });

    let seen = Arc::new(Reader::default());
    let reader = engine(&net, &clock, "http://reader.test", seen.clone()).await;
    let r: ObjectId<Actor> = ObjectId::parse("http://reader.test/users/r").unwrap();
    let key = reader
        .create_local_actor(&r, KeyAlgorithm::Ed25519)
        .await
        .unwrap();
    let person = serde_json::to_vec(
        &builder::PersonBuilder::new(&r, "r", &key.public_key_pem)
            .unwrap()
            .build(),
    )
    .unwrap();
    let reader2 = reader.clone();
    net.serve("reader.test", move |req: Request<Bytes>| {
        let (reader, person) = (reader2.clone(), person.clone());
        async move {
            match (req.method().as_str(), req.uri().path()) {
                ("GET", "/users/r") => Response::builder()
                    .header("content-type", "application/activity+json")
                    .body(Bytes::from(person))
                    .unwrap(),
                ("GET", "/actor") => {
                    let doc = reader.instance_actor_document().await.unwrap();
                    Response::builder()
                        .header("content-type", "application/activity+json")
                        .body(Bytes::from(serde_json::to_vec(&doc).unwrap()))
                        .unwrap()
                }
                ("POST", _) => reader.inbox(req, InboxTarget::Shared).await,
                _ => Response::builder().status(404).body(Bytes::new()).unwrap(),
            }
        }
    });

    // The reader finds the blog through WebFinger and its actor document.
    let wf = call(
        &blog,
        Request::get("http://blog.test/.well-known/webfinger?resource=acct:blog@blog.test")
            .body(Bytes::new())
            .unwrap(),
        false,
    )
    .await;
    assert_eq!(wf.status(), StatusCode::OK);
    let jrd: serde_json::Value = serde_json::from_slice(wf.body()).unwrap();
    assert!(jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "self" && l["href"] == "http://blog.test/blog"));
    let actor = reader
        .actor(me.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(
        actor.inbox.as_ref().unwrap().as_str(),
        "http://blog.test/blog/inbox"
    );
    assert!(actor.main_key().unwrap().public_key_pem.is_some());

    // Nothing to publish to yet; and only from loopback.
    let refused = call(&blog, post("http://blog.test/publish", "hi"), false).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let empty = call(&blog, post("http://blog.test/publish", "hi"), true).await;
    assert_eq!(empty.status(), StatusCode::ACCEPTED);
    assert_eq!(empty.body().as_ref(), b"queued for 0 inboxes\n");

    // Follow → Accept.
    let follow_id = ObjectId::parse("http://reader.test/users/r/follows/1").unwrap();
    let follow = serde_json::to_vec(&builder::follow(&follow_id, &r, &me)).unwrap();
    reader
        .deliver(&follow, &r, &Recipients::new().actor(me.as_str()))
        .await
        .unwrap();
    run_queues(&[&reader, &blog]).await;
    let kinds: Vec<String> = seen.0.lock().unwrap().iter().map(|k| k.0.clone()).collect();
    assert_eq!(kinds, ["Accept"]);

    // Publish from loopback → the reader gets the Create, with escaped HTML and clean ids.
    let res = call(
        &blog,
        post("http://blog.test/publish", "<b>wool</b> & more"),
        true,
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.body().as_ref(), b"queued for 1 inboxes\n");
    // A refused publish queues nothing.
    let refused = call(&blog, post("http://blog.test/publish", "spam"), false).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    run_queues(&[&reader, &blog]).await;
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (kind, create) = &seen[1];
    assert_eq!(kind, "Create");
    let note = &create["object"];
    assert_eq!(note["content"], "<p>&lt;b>wool&lt;/b> &amp; more</p>");
    assert_eq!(note["attributedTo"], "http://blog.test/blog");
    let id = note["id"].as_str().unwrap();
    assert!(id.starts_with("http://blog.test/posts/"), "{id}");
    assert!(!id["http://".len()..].contains("//"), "{id}");
    assert_eq!(create["id"].as_str().unwrap(), format!("{id}/activity"));
}
