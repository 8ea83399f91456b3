//! A small fediverse server on the engine, for the engine's tests: actors, notes, a router
//! for the in-memory network, and a handler that follows Mastodon's basic behaviour.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use activitypub_core::builder;
use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, InboxActivity, InboxTarget, KeyAlgorithm, Recipients,
    DELIVERY_QUEUE, INBOX_QUEUE,
};
use activitypub_core::{Actor, AnyObject, Error, Kind, ObjectId, Visibility};
use bytes::Bytes;
use fedi_storage::{
    memory::MemoryStore, sled::SledStore, DocumentStoreExt, ManualClock, Origin, QueueStoreExt,
    Store, Timestamp, Tombstone,
};
use http::{Request, Response, StatusCode};

/// Which backend an instance stores in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sled,
    /// sled with the inbox queue in its journal (dedupe in the runner).
    SledJournal,
}

/// What the test handler saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// How many times each activity id was handled.
    pub handled: BTreeMap<String, usize>,
    /// (kind, activity id, signer) in handling order.
    pub log: Vec<(String, String, String)>,
    /// Actors reported gone.
    pub gone: Vec<String>,
    /// Objects of handled activities that could not be resolved.
    pub object_errors: Vec<String>,
    /// The resolved objects of handled activities, as JSON.
    pub objects: Vec<serde_json::Value>,
}

/// The handler: accepts follows, stores posts, applies deletes and undos.
#[derive(Default)]
pub struct Recorder {
    pub seen: Mutex<Seen>,
    accepts: std::sync::atomic::AtomicU64,
}

impl Recorder {
    pub fn count(&self, id: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .handled
            .get(id)
            .copied()
            .unwrap_or(0)
    }
    pub fn kinds(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .log
            .iter()
            .map(|l| l.0.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl ActivityHandler for Recorder {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let id = a
            .activity
            .id
            .as_ref()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default();
        {
            let mut s = self.seen.lock().unwrap();
            *s.handled.entry(id.clone()).or_default() += 1;
            s.log
                .push((a.kind().to_owned(), id.clone(), a.signer.clone()));
            if let Some(e) = &a.object_error {
                s.object_errors.push(e.clone());
            }
            if let Some(o) = &a.object {
                s.objects.push(o.to_value());
            }
        }
        let store = engine.store();
        let now = engine.now();
        match a.kind() {
            "Follow" => {
                let followed = a.activity.first_object().and_then(|o| o.id()).unwrap_or("");
                if engine.config().is_local(followed) {
                    engine
                        .add_follower(followed, &a.signer, now.as_unix_millis())
                        .await?;
                    let me: ObjectId<Actor> = ObjectId::parse(followed)?;
                    let n = self
                        .accepts
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let accept_id = ObjectId::parse(&format!("{followed}#accepts/follows/{n}"))?;
                    let follow = a.activity.clone();
                    let accept = builder::accept(&accept_id, &me, follow);
                    let bytes = serde_json::to_vec(&accept)?;
                    engine
                        .deliver(&bytes, &me, &Recipients::new().actor(a.signer.clone()))
                        .await?;
                }
            }
            "Undo" => {
                if let Some(AnyObject::Activity(inner)) = &a.object {
                    if inner.is(&Kind::Follow) {
                        if let Some(followed) = inner.first_object().and_then(|o| o.id()) {
                            engine.remove_follower(followed, &a.signer).await?;
                        }
                    }
                }
            }
            "Create" | "Update" => {
                if let Some(obj) = &a.object {
                    if let Some(oid) = obj.id.as_ref() {
                        let v = obj.to_value();
                        match store.put_json(oid.as_str(), &v, Origin::Remote, now).await {
                            Ok(()) => {}
                            Err(e) if e.is_tombstoned() => {
                                return Err(Error::handler_permanent("deleted"))
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
            "Delete" => {
                if let Some(oid) = a.activity.first_object().and_then(|o| o.id()) {
                    store.delete_document(oid, &Tombstone::new(now)).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn actor_gone(&self, _engine: &Engine, actor: &str) -> Result<(), Error> {
        self.seen.lock().unwrap().gone.push(actor.to_owned());
        Ok(())
    }
}

/// One server on the in-memory network.
pub struct Instance {
    pub host: String,
    pub base: String,
    pub engine: Engine,
    pub store: Arc<dyn Store>,
    pub recorder: Arc<Recorder>,
    /// Served actor documents by path.
    pub actors: Arc<Mutex<HashMap<String, Bytes>>>,
    counter: Mutex<u64>,
    _dir: Option<tempfile::TempDir>,
}

pub fn json_response(status: StatusCode, body: Bytes) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/activity+json")
        .body(body)
        .unwrap()
}

impl Instance {
    /// A server at `http://{host}` on `net`, with the given backend and clock.
    pub async fn start(
        net: &MemoryNetwork,
        host: &str,
        backend: Backend,
        clock: &ManualClock,
    ) -> Instance {
        Self::start_with(net, host, backend, clock, |_| {}).await
    }

    /// [`Instance::start`], with `configure` applied to the engine's configuration last.
    pub async fn start_with(
        net: &MemoryNetwork,
        host: &str,
        backend: Backend,
        clock: &ManualClock,
        configure: impl FnOnce(&mut EngineConfig),
    ) -> Instance {
        let (store, dir): (Arc<dyn Store>, _) = match backend {
            Backend::Memory => (Arc::new(MemoryStore::new()), None),
            Backend::Sled => {
                let dir = tempfile::tempdir().unwrap();
                (
                    Arc::new(SledStore::open(dir.path().join("db")).unwrap()),
                    Some(dir),
                )
            }
            Backend::SledJournal => {
                let dir = tempfile::tempdir().unwrap();
                let config = fedi_storage::sled::SledConfig::new(dir.path().join("db")).journal(
                    fedi_storage::sled::JournalQueues::Named(vec![INBOX_QUEUE.into()]),
                );
                (Arc::new(SledStore::open_with(config).unwrap()), Some(dir))
            }
        };
        let base = format!("http://{host}");
        let mut config = EngineConfig::new(&base).unwrap();
        config.instance_key = KeyAlgorithm::Ed25519;
        config.delivery.breaker_threshold = 3;
        config.delivery.breaker_pause = Duration::from_secs(600);
        configure(&mut config);
        let recorder = Arc::new(Recorder::default());
        let engine = Engine::builder(config)
            .store(store.clone())
            .transport(Arc::new(net.clone()))
            .handler(recorder.clone())
            .clock(Arc::new(clock.clone()))
            .build()
            .await
            .unwrap();
        let actors: Arc<Mutex<HashMap<String, Bytes>>> = Arc::default();
        let instance_doc =
            serde_json::to_vec(&engine.instance_actor_document().await.unwrap()).unwrap();
        actors
            .lock()
            .unwrap()
            .insert("/actor".into(), Bytes::from(instance_doc));
        let router_engine = engine.clone();
        let router_store = store.clone();
        let router_actors = actors.clone();
        let base2 = base.clone();
        net.serve(host, move |req: Request<Bytes>| {
            let engine = router_engine.clone();
            let store = router_store.clone();
            let actors = router_actors.clone();
            let base = base2.clone();
            async move { route(&engine, &*store, &actors, &base, req).await }
        });
        Instance {
            host: host.to_owned(),
            base,
            engine,
            store,
            recorder,
            actors,
            counter: Mutex::new(0),
            _dir: dir,
        }
    }

    /// Creates a local actor `name` (key pair in the engine; document served).
    pub async fn actor(&self, name: &str, algorithm: KeyAlgorithm) -> ObjectId<Actor> {
        let id: ObjectId<Actor> = ObjectId::parse(&format!("{}/users/{name}", self.base)).unwrap();
        let key = self
            .engine
            .create_local_actor(&id, algorithm)
            .await
            .unwrap();
        let doc = builder::PersonBuilder::new(&id, name, &key.public_key_pem)
            .unwrap()
            .build();
        self.actors.lock().unwrap().insert(
            format!("/users/{name}"),
            Bytes::from(serde_json::to_vec(&doc).unwrap()),
        );
        id
    }

    fn next(&self) -> u64 {
        let mut c = self.counter.lock().unwrap();
        *c += 1;
        *c
    }

    /// A fresh id under `actor`.
    pub fn new_id(&self, actor: &ObjectId<Actor>, what: &str) -> ObjectId<AnyObject> {
        ObjectId::parse(&format!("{}/{what}/{}", actor.as_str(), self.next())).unwrap()
    }

    /// Stores a local document (served by the router) and returns its bytes.
    pub async fn store_local(&self, id: &str, value: &serde_json::Value) {
        self.store
            .put_json(id, value, Origin::Local, self.engine.now())
            .await
            .unwrap();
    }

    /// Sends `activity` from `actor` to `audience` (storing it so it can be fetched).
    pub async fn send(
        &self,
        actor: &ObjectId<Actor>,
        activity: &activitypub_core::Activity,
        audience: Recipients,
    ) -> activitypub_core::engine::DeliveryReport {
        let v = serde_json::to_value(activity).unwrap();
        self.store_local(activity.id.as_ref().unwrap().as_str(), &v)
            .await;
        let bytes = serde_json::to_vec(&v).unwrap();
        self.engine.deliver(&bytes, actor, &audience).await.unwrap()
    }

    /// `actor` follows `other`.
    pub async fn follow(
        &self,
        actor: &ObjectId<Actor>,
        other: &ObjectId<Actor>,
    ) -> activitypub_core::Activity {
        let f = builder::follow(&self.new_id(actor, "follows"), actor, other);
        self.send(actor, &f, Recipients::new().actor(other.as_str()))
            .await;
        f
    }

    /// `actor` posts a public note to its followers; returns the Create.
    pub async fn post(&self, actor: &ObjectId<Actor>, text: &str) -> activitypub_core::Activity {
        let note_id = self.new_id(actor, "statuses");
        let followers = format!("{}/followers", actor.as_str());
        let note =
            builder::NoteBuilder::new(note_id.clone(), actor, &followers, text, Visibility::Public)
                .build();
        self.store_local(note_id.as_str(), &serde_json::to_value(&note).unwrap())
            .await;
        let create_id = ObjectId::parse(&format!("{}/activity", note_id.as_str())).unwrap();
        let create = builder::create(&create_id, note);
        self.send(
            actor,
            &create,
            Recipients::new().followers_of(actor.as_str()),
        )
        .await;
        create
    }

    pub async fn pending(&self) -> u64 {
        self.store.count_pending(DELIVERY_QUEUE).await.unwrap()
            + self.store.count_pending(INBOX_QUEUE).await.unwrap()
    }

    pub async fn dead_deliveries(&self) -> u64 {
        self.store.count_dead(DELIVERY_QUEUE).await.unwrap()
    }
}

async fn route(
    engine: &Engine,
    store: &dyn Store,
    actors: &Mutex<HashMap<String, Bytes>>,
    base: &str,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    if req.method() == http::Method::POST {
        if path == "/inbox" {
            return engine.inbox(req, InboxTarget::Shared).await;
        }
        if let Some(user) = path
            .strip_prefix("/users/")
            .and_then(|p| p.strip_suffix("/inbox"))
        {
            let target = InboxTarget::Actor(format!("{base}/users/{user}"));
            return engine.inbox(req, target).await;
        }
        return json_response(StatusCode::NOT_FOUND, Bytes::new());
    }
    if let Some(doc) = actors.lock().unwrap().get(&path) {
        return json_response(StatusCode::OK, doc.clone());
    }
    let iri = format!("{base}{path}");
    if store.is_tombstoned(&iri).await.unwrap_or(false) {
        return json_response(StatusCode::GONE, Bytes::new());
    }
    match store.get_document(&iri).await {
        Ok(Some(d)) if d.meta.origin == Origin::Local => {
            json_response(StatusCode::OK, Bytes::from(d.body.clone()))
        }
        _ => json_response(StatusCode::NOT_FOUND, Bytes::new()),
    }
}

/// Runs every instance's queues until none has pending work, advancing `clock` by `step`
/// whenever a pass did nothing (so retries come due). Bounded by `max_rounds`; returns the
/// rounds used.
pub async fn settle(
    instances: &[&Instance],
    clock: &ManualClock,
    step: Duration,
    max_rounds: usize,
) -> usize {
    for round in 0..max_rounds {
        let mut leased = 0;
        for i in instances {
            leased += i.engine.process_deliveries(1000).await.unwrap().leased;
            leased += i.engine.process_inbox(1000).await.unwrap().leased;
        }
        if leased == 0 {
            let mut pending = 0;
            for i in instances {
                pending += i.pending().await;
            }
            if pending == 0 {
                return round;
            }
            clock.advance(step);
        }
    }
    panic!("queues did not settle within {max_rounds} rounds");
}

/// A manual clock at a fixed start (2026-01-01), so runs with the same seed send the same
/// bytes.
pub fn start_clock() -> ManualClock {
    ManualClock::new(Timestamp::from_unix_millis(1_767_225_600_000))
}

/// A remote server run by the test itself: serves whatever documents the test puts there,
/// and signs requests by hand.
pub struct Remote {
    pub host: String,
    pub docs: Arc<Mutex<HashMap<String, (StatusCode, Bytes)>>>,
}

impl Remote {
    pub fn start(net: &MemoryNetwork, host: &str) -> Remote {
        let docs: Arc<Mutex<HashMap<String, (StatusCode, Bytes)>>> = Arc::default();
        let served = docs.clone();
        net.serve(host, move |req: Request<Bytes>| {
            let served = served.clone();
            async move {
                let found = served.lock().unwrap().get(req.uri().path()).cloned();
                match found {
                    Some((status, body)) => json_response(status, body),
                    None => json_response(StatusCode::NOT_FOUND, Bytes::new()),
                }
            }
        });
        Remote {
            host: host.to_owned(),
            docs,
        }
    }

    /// Publishes an actor `name` with `key` as its main key; returns its id.
    pub fn actor(&self, name: &str, key: &http_sig::PrivateKey) -> ObjectId<Actor> {
        let id: ObjectId<Actor> =
            ObjectId::parse(&format!("http://{}/users/{name}", self.host)).unwrap();
        let pem = key.public_key().to_pem().unwrap();
        let doc = builder::PersonBuilder::new(&id, name, &pem)
            .unwrap()
            .build();
        self.put(
            &format!("/users/{name}"),
            StatusCode::OK,
            serde_json::to_vec(&doc).unwrap(),
        );
        id
    }

    pub fn put(&self, path: &str, status: StatusCode, body: Vec<u8>) {
        self.docs
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, Bytes::from(body)));
    }
}

/// A POST of `body` to `url`, signed with `key` (key id `key_id`) as of `at`.
pub fn signed_post(
    url: &str,
    body: &[u8],
    key_id: &str,
    key: &http_sig::PrivateKey,
    scheme: http_sig::Scheme,
    at: std::time::SystemTime,
) -> Request<Bytes> {
    let mut parts = Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let opts = match scheme {
        http_sig::Scheme::Cavage => http_sig::SignOptions::cavage(key_id),
        _ => http_sig::SignOptions::rfc9421(key_id),
    };
    http_sig::sign_request(&mut parts, body, key, &opts, at).unwrap();
    Request::from_parts(parts, Bytes::copy_from_slice(body))
}
