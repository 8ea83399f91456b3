//! Pins federate as Mastodon's do: pinning sends `Add` (object: the Note, target: the actor's
//! `featured` collection) to followers, unpinning sends `Remove`; received ones update the
//! remote account's pinned statuses. Two instances in process on one in-memory network, and a
//! hand-made remote actor for what another server may send.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Method, Request, Response, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

/// Activities POSTed to an instance, as received (JSON).
type Seen = Arc<Mutex<Vec<Value>>>;

/// An instance at `http://{host}` on `net`, recording the activities POSTed to it.
async fn instance(net: &MemoryNetwork, host: &str) -> (App, Seen) {
    let config = Config {
        base_url: format!("http://{host}"),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    net.serve(host, move |req: Request<Bytes>| {
        let r = router.clone();
        let log = log.clone();
        async move {
            if req.method() == Method::POST {
                if let Ok(v) = serde_json::from_slice::<Value>(req.body()) {
                    log.lock().unwrap().push(v);
                }
            }
            r.handle(req, None).await
        }
    });
    (app, seen)
}

/// Runs both instances' delivery and inbox queues until neither has anything left.
async fn pump(apps: &[&App]) {
    for _ in 0..20 {
        let mut work = 0;
        for app in apps {
            let d = app.engine().process_deliveries(100).await.unwrap();
            let i = app.engine().process_inbox(100).await.unwrap();
            assert_eq!((d.dead, i.dead), (0, 0), "nothing fails");
            work += d.leased + i.leased;
        }
        if work == 0 {
            return;
        }
    }
    panic!("the queues did not drain");
}

/// A client API call.
async fn api(app: &App, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::new())
        .unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    let status = resp.status();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

/// A public status by `account` with `text`.
async fn post(
    app: &reference_server::App,
    account: u64,
    text: &str,
) -> reference_server::app::Status {
    app.post_status(
        account,
        reference_server::app::NewStatus {
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A served document as `application/activity+json`, or `404` without one.
fn doc_response(doc: Option<String>) -> Response<Bytes> {
    match doc {
        Some(d) => Response::builder()
            .header("content-type", "application/activity+json")
            .body(Bytes::from(d))
            .unwrap(),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Bytes::new())
            .unwrap(),
    }
}

fn uris(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pin_and_unpin_reach_followers_on_another_instance() {
    let net = MemoryNetwork::new();
    let (a, _) = instance(&net, "wool.test").await;
    let (b, seen_by_b) = instance(&net, "yarn.test").await;
    let alice = a.create_account("alice", None, false).await.unwrap();
    let ta = reference_server::api::create_token(&a, alice.id, "read write")
        .await
        .unwrap();
    let bob = b.create_account("bob", None, false).await.unwrap();
    let tb = reference_server::api::create_token(&b, bob.id, "read")
        .await
        .unwrap();

    // Bob follows alice across instances.
    let alice_at_b = b
        .resolve_handle("alice@wool.test", true)
        .await
        .unwrap()
        .unwrap();
    b.follow(bob.id, alice_at_b.id).await.unwrap();
    pump(&[&a, &b]).await;
    assert!(b.is_following(bob.id, alice_at_b.id).await.unwrap());

    // Alice posts twice (bob receives both), then pins the first.
    let first = post(&a, alice.id, "pin me").await;
    let second = post(&a, alice.id, "not me").await;
    pump(&[&a, &b]).await;
    let pinned_path = format!("/api/v1/accounts/{}/statuses?pinned=true", alice_at_b.id);
    let (status, list) = api(&b, Method::GET, &pinned_path, &tb).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]), "nothing pinned yet");

    seen_by_b.lock().unwrap().clear();
    let (status, pinned) = api(
        &a,
        Method::POST,
        &format!("/api/v1/statuses/{}/pin", first.id),
        &ta,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pinned}");
    assert_eq!(pinned["pinned"], true);
    pump(&[&a, &b]).await;

    // What arrived at bob's instance: one Add in Mastodon's shape.
    let adds: Vec<Value> = seen_by_b
        .lock()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "Add")
        .cloned()
        .collect();
    assert_eq!(adds.len(), 1, "{adds:?}");
    let add = &adds[0];
    assert_eq!(add["actor"], "http://wool.test/users/alice");
    assert_eq!(add["object"], first.uri);
    assert_eq!(
        add["target"],
        "http://wool.test/users/alice/collections/featured"
    );
    assert!(add["id"]
        .as_str()
        .unwrap()
        .starts_with("http://wool.test/users/alice#add/"));
    // Nothing else, in this order: Mastodon's AddSerializer members, plus an id.
    assert_eq!(
        keys(add),
        ["@context", "id", "type", "actor", "object", "target"]
    );
    assert_eq!(add["@context"], "https://www.w3.org/ns/activitystreams");
    // The target is what alice's actor publishes as `featured`.
    let actor = b.store().get_document(&alice.actor).await.unwrap();
    assert_eq!(
        actor.unwrap().deserialize::<Value>().unwrap()["featured"],
        add["target"]
    );

    // On bob's instance, alice's pinned statuses show it (and only it).
    let (_, list) = api(&b, Method::GET, &pinned_path, &tb).await;
    assert_eq!(uris(&list), vec![first.uri.clone()]);
    // Pinning again sends nothing more.
    seen_by_b.lock().unwrap().clear();
    api(
        &a,
        Method::POST,
        &format!("/api/v1/statuses/{}/pin", first.id),
        &ta,
    )
    .await;
    pump(&[&a, &b]).await;
    assert!(seen_by_b.lock().unwrap().is_empty());

    // Pin the second too, then unpin the first: a Remove, and only the second stays.
    api(
        &a,
        Method::POST,
        &format!("/api/v1/statuses/{}/pin", second.id),
        &ta,
    )
    .await;
    pump(&[&a, &b]).await;
    let (_, list) = api(&b, Method::GET, &pinned_path, &tb).await;
    assert_eq!(uris(&list), vec![second.uri.clone(), first.uri.clone()]);
    seen_by_b.lock().unwrap().clear();
    let (status, unpinned) = api(
        &a,
        Method::POST,
        &format!("/api/v1/statuses/{}/unpin", first.id),
        &ta,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unpinned["pinned"], false);
    pump(&[&a, &b]).await;
    let removes: Vec<Value> = seen_by_b.lock().unwrap().clone();
    assert_eq!(removes.len(), 1, "{removes:?}");
    assert_eq!(removes[0]["type"], "Remove");
    assert_eq!(
        keys(&removes[0]),
        ["@context", "id", "type", "actor", "object", "target"]
    );
    assert!(removes[0]["id"]
        .as_str()
        .unwrap()
        .starts_with("http://wool.test/users/alice#remove/"));
    assert_eq!(removes[0]["object"], first.uri);
    assert_eq!(
        removes[0]["target"],
        "http://wool.test/users/alice/collections/featured"
    );
    let (_, list) = api(&b, Method::GET, &pinned_path, &tb).await;
    assert_eq!(uris(&list), vec![second.uri.clone()]);
    // Unpinning what is not pinned sends nothing.
    seen_by_b.lock().unwrap().clear();
    api(
        &a,
        Method::POST,
        &format!("/api/v1/statuses/{}/unpin", first.id),
        &ta,
    )
    .await;
    pump(&[&a, &b]).await;
    assert!(seen_by_b.lock().unwrap().is_empty());
}

const CARL: &str = "http://remote.test/users/carl";
const CARL_KEY: &str = "http://remote.test/users/carl#main-key";
/// The members of a received document, in the order they arrived.
fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

const CARL_FEATURED: &str = "http://remote.test/users/carl/collections/featured";

/// A remote actor in Mastodon's shape (written for this test), its key, and one instance.
struct Remote {
    app: App,
    router: Router,
    key: http_sig::PrivateKey,
}

impl Remote {
    async fn new() -> Remote {
        let net = MemoryNetwork::new();
        let (app, _) = instance(&net, "wool.test").await;
        let router = Router::new(app.clone());
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let pem = key.public_key().to_pem().unwrap();
        let note = |n: u32, author: &str| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("http://remote.test/users/carl/statuses/{n}"),
                "type": "Note",
                "attributedTo": author,
                "content": format!("<p>note {n}</p>"),
                "published": "2026-01-01T00:00:00Z",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": ["http://remote.test/users/carl/followers"]
            })
        };
        let docs: Vec<(String, Value)> = vec![
            (
                "/users/carl".into(),
                json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": CARL,
                    "type": "Person",
                    "preferredUsername": "carl",
                    "inbox": "http://remote.test/users/carl/inbox",
                    "outbox": "http://remote.test/users/carl/outbox",
                    "followers": "http://remote.test/users/carl/followers",
                    "featured": CARL_FEATURED,
                    "publicKey": {"id": CARL_KEY, "owner": CARL, "publicKeyPem": pem}
                }),
            ),
            ("/users/carl/statuses/1".into(), note(1, CARL)),
            ("/users/carl/statuses/2".into(), note(2, CARL)),
        ];
        net.serve("remote.test", move |req: Request<Bytes>| {
            let doc = docs
                .iter()
                .find(|(p, _)| p == req.uri().path())
                .map(|(_, d)| d.to_string());
            async move { doc_response(doc) }
        });
        Remote { app, router, key }
    }

    /// Delivers `activity`, signed by carl, to the shared inbox, and runs the inbox queue.
    async fn deliver(&self, activity: Value) {
        let body = activity.to_string().into_bytes();
        let (mut parts, ()) = Request::post("http://wool.test/inbox")
            .header("content-type", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        http_sig::sign_request(
            &mut parts,
            &body,
            &self.key,
            &http_sig::SignOptions::cavage(CARL_KEY),
            SystemTime::now(),
        )
        .unwrap();
        let r = self
            .router
            .handle(Request::from_parts(parts, Bytes::from(body)), None)
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED, "{:?}", r.body());
        let run = self.app.engine().process_inbox(10).await.unwrap();
        assert_eq!((run.done, run.dead), (1, 0), "handled");
    }

    async fn pinned(&self) -> Vec<String> {
        let carl = self.app.account_by_iri(CARL).await.unwrap().unwrap();
        let req = Request::get(format!("/api/v1/accounts/{}/statuses?pinned=true", carl.id))
            .body(Bytes::new())
            .unwrap();
        let resp = reference_server::api::handle(&self.app, &req)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        uris(&serde_json::from_slice(resp.body()).unwrap())
    }
}

fn featured(kind: &str, n: u32, object: &str, target: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://remote.test/users/carl#{}/{n}", kind.to_lowercase()),
        "type": kind,
        "actor": CARL,
        "object": object,
        "target": target
    })
}

/// `featured` as Mastodon sends it: without an `id`.
fn featured_without_id(kind: &str, object: &str, target: &str) -> Value {
    let mut v = featured(kind, 0, object, target);
    v.as_object_mut().map(|o| o.remove("id"));
    v
}

#[tokio::test]
async fn received_add_and_remove_update_a_remote_accounts_pins() {
    let r = Remote::new().await;
    let s1 = "http://remote.test/users/carl/statuses/1";
    let s2 = "http://remote.test/users/carl/statuses/2";
    // An Add of a status never seen: it is fetched, and pinned.
    r.deliver(featured("Add", 1, s1, CARL_FEATURED)).await;
    assert_eq!(r.pinned().await, vec![s1.to_owned()]);
    let stored = r.app.status_by_uri(s1).await.unwrap().unwrap();
    assert_eq!(stored.content, "<p>note 1</p>");
    // The same Add again (another id) pins it once.
    r.deliver(featured("Add", 2, s1, CARL_FEATURED)).await;
    assert_eq!(r.pinned().await, vec![s1.to_owned()]);
    // Another target (not carl's featured collection) changes nothing.
    r.deliver(featured(
        "Add",
        3,
        s2,
        "http://remote.test/users/carl/collections/other",
    ))
    .await;
    r.deliver(featured(
        "Add",
        4,
        s2,
        "http://remote.test/users/carl/followers",
    ))
    .await;
    assert_eq!(r.pinned().await, vec![s1.to_owned()]);
    // A status of someone else (a local one) is not carl's to pin.
    let alice = r.app.create_account("alice", None, false).await.unwrap();
    let mine = post(&r.app, alice.id, "mine").await;
    r.deliver(featured("Add", 5, &mine.uri, CARL_FEATURED))
        .await;
    assert_eq!(r.pinned().await, vec![s1.to_owned()]);
    // A second pin, then Remove of the first.
    // Mastodon's own Add / Remove carry no id.
    r.deliver(featured_without_id("Add", s2, CARL_FEATURED))
        .await;
    assert_eq!(r.pinned().await, vec![s2.to_owned(), s1.to_owned()]);
    r.deliver(featured_without_id("Remove", s1, CARL_FEATURED))
        .await;
    assert_eq!(r.pinned().await, vec![s2.to_owned()]);
    // A Remove with another target is ignored.
    r.deliver(featured(
        "Remove",
        8,
        s2,
        "http://remote.test/users/carl/collections/other",
    ))
    .await;
    assert_eq!(r.pinned().await, vec![s2.to_owned()]);
}

/// A followers-only status can be pinned (as on Mastodon since 3.5): its `Add` goes to the
/// followers only (the status's own audience, not the accounts it mentions); the follower's
/// instance shows the pin to the follower; the published `featured` collection lists it by
/// id only, embedding the public pins.
#[tokio::test]
async fn followers_only_pins_reach_followers_only() {
    let net = MemoryNetwork::new();
    let (a, _) = instance(&net, "wool.test").await;
    let (b, seen_by_b) = instance(&net, "yarn.test").await;
    let (c, seen_by_c) = instance(&net, "felt.test").await;
    let alice = a.create_account("alice", None, false).await.unwrap();
    let ta = reference_server::api::create_token(&a, alice.id, "read write")
        .await
        .unwrap();
    let bob = b.create_account("bob", None, false).await.unwrap();
    let tb = reference_server::api::create_token(&b, bob.id, "read")
        .await
        .unwrap();
    c.create_account("carol", None, false).await.unwrap();

    // Bob follows alice; carol does not, but is mentioned in the followers-only post.
    let alice_at_b = b
        .resolve_handle("alice@wool.test", true)
        .await
        .unwrap()
        .unwrap();
    b.follow(bob.id, alice_at_b.id).await.unwrap();
    pump(&[&a, &b, &c]).await;
    assert!(b.is_following(bob.id, alice_at_b.id).await.unwrap());
    let public = post(&a, alice.id, "for everyone").await;
    let private = a
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "for followers, and @carol@felt.test".into(),
                visibility: Some(reference_server::app::StatusVisibility::Private),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    pump(&[&a, &b, &c]).await;
    // Both received the followers-only Create (bob follows, carol is mentioned).
    for (who, seen) in [("bob", &seen_by_b), ("carol", &seen_by_c)] {
        assert!(
            seen.lock()
                .unwrap()
                .iter()
                .any(|v| v["type"] == "Create" && v["object"]["id"] == private.uri),
            "{who} got the Create"
        );
    }
    seen_by_b.lock().unwrap().clear();
    seen_by_c.lock().unwrap().clear();

    for s in [&public, &private] {
        let (status, pinned) = api(
            &a,
            Method::POST,
            &format!("/api/v1/statuses/{}/pin", s.id),
            &ta,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{pinned}");
        assert_eq!(pinned["pinned"], true);
    }
    pump(&[&a, &b, &c]).await;
    let adds: Vec<Value> = seen_by_b
        .lock()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "Add")
        .cloned()
        .collect();
    let mut objects: Vec<&str> = adds.iter().filter_map(|v| v["object"].as_str()).collect();
    objects.sort();
    let mut expected = vec![public.uri.as_str(), private.uri.as_str()];
    expected.sort();
    assert_eq!(objects, expected, "{adds:?}");
    assert!(
        seen_by_c.lock().unwrap().is_empty(),
        "nothing for a non-follower: {:?}",
        seen_by_c.lock().unwrap()
    );

    // On bob's instance, bob sees both pins.
    let pinned_path = format!("/api/v1/accounts/{}/statuses?pinned=true", alice_at_b.id);
    let (_, list) = api(&b, Method::GET, &pinned_path, &tb).await;
    let mut got = uris(&list);
    got.sort();
    let mut want = vec![public.uri.clone(), private.uri.clone()];
    want.sort();
    assert_eq!(got, want);

    // The featured collection: the public pin embedded, the followers-only one by id.
    let req = Request::get("http://wool.test/users/alice/collections/featured")
        .header("accept", "application/activity+json")
        .body(Bytes::new())
        .unwrap();
    let resp = Router::new(a.clone()).handle(req, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let featured: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(featured["totalItems"], 2);
    let items = featured["orderedItems"].as_array().unwrap();
    assert!(
        items.contains(&Value::String(private.uri.clone())),
        "{featured}"
    );
    let embedded: Vec<&Value> = items.iter().filter(|i| i.is_object()).collect();
    assert_eq!(embedded.len(), 1, "{featured}");
    assert_eq!(embedded[0]["id"], public.uri);
    assert!(
        !featured.to_string().contains("for followers"),
        "{featured}"
    );
}

const DORA: &str = "http://remote.test/users/dora";
const DORA_FEATURED: &str = "http://remote.test/users/dora/collections/featured";

/// A Note by `author` at `http://{host}/users/dora/statuses/{n}`, in Mastodon's shape.
fn dora_note(host: &str, n: u32, author: &str) -> Value {
    json!({
        "id": format!("http://{host}/users/dora/statuses/{n}"),
        "type": "Note",
        "attributedTo": author,
        "content": format!("<p>dora {n}</p>"),
        "published": "2026-01-01T00:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["http://remote.test/users/dora/followers"]
    })
}

/// An account discovered for the first time brings its pins along: its `featured`
/// collection (an `OrderedCollection` with `orderedItems`, as Mastodon serves it) is read in
/// the background, its own statuses pinned in the collection's order, others' ignored, and an
/// embedded status claiming another origin fetched from there rather than trusted. Reading
/// the collection again unpins what it no longer lists.
#[tokio::test]
async fn a_discovered_account_brings_its_featured_collection() {
    let net = MemoryNetwork::new();
    let (app, _) = instance(&net, "wool.test").await;
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let pem = key.public_key().to_pem().unwrap();
    let d1 = "http://remote.test/users/dora/statuses/1";
    let d2 = "http://remote.test/users/dora/statuses/2";
    let spoofed = "http://other.test/users/dora/statuses/3";
    let not_hers = "http://remote.test/users/dora/statuses/4";
    let collection = Arc::new(Mutex::new(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": DORA_FEATURED,
        "type": "OrderedCollection",
        "totalItems": 4,
        "orderedItems": [
            dora_note("remote.test", 1, DORA),
            d2,
            dora_note("other.test", 3, DORA),
            not_hers
        ]
    })));
    let fetched = Arc::new(Mutex::new(Vec::<String>::new()));
    let docs: Vec<(String, Value)> = vec![
        (
            "/users/dora".into(),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": DORA,
                "type": "Person",
                "preferredUsername": "dora",
                "inbox": "http://remote.test/users/dora/inbox",
                "outbox": "http://remote.test/users/dora/outbox",
                "followers": "http://remote.test/users/dora/followers",
                "featured": DORA_FEATURED,
                "publicKey": {"id": format!("{DORA}#main-key"), "owner": DORA, "publicKeyPem": pem}
            }),
        ),
        (
            "/users/dora/statuses/2".into(),
            dora_note("remote.test", 2, DORA),
        ),
        (
            "/users/dora/statuses/4".into(),
            dora_note("remote.test", 4, "http://remote.test/users/carl"),
        ),
    ];
    let (c, f) = (collection.clone(), fetched.clone());
    net.serve("remote.test", move |req: Request<Bytes>| {
        let path = req.uri().path().to_owned();
        f.lock().unwrap().push(format!("http://remote.test{path}"));
        let doc = if format!("http://remote.test{path}") == DORA_FEATURED {
            Some(c.lock().unwrap().to_string())
        } else {
            docs.iter()
                .find(|(p, _)| *p == path)
                .map(|(_, d)| d.to_string())
        };
        async move { doc_response(doc) }
    });
    let f = fetched.clone();
    net.serve("other.test", move |req: Request<Bytes>| {
        f.lock()
            .unwrap()
            .push(format!("http://other.test{}", req.uri().path()));
        async move { doc_response(None) }
    });

    let dora = app.resolve_actor(DORA).await.unwrap();
    let pinned = |app: App| async move {
        let req = Request::get(format!("/api/v1/accounts/{}/statuses?pinned=true", dora.id))
            .body(Bytes::new())
            .unwrap();
        let resp = reference_server::api::handle(&app, &req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        uris(&serde_json::from_slice(resp.body()).unwrap())
    };
    // The pins are read in the background: wait for them (bounded).
    let mut got = Vec::new();
    for _ in 0..250 {
        got = pinned(app.clone()).await;
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(got, vec![d1.to_owned(), d2.to_owned()]);
    let stored = app.status_by_uri(d1).await.unwrap().unwrap();
    assert_eq!(
        stored.content, "<p>dora 1</p>",
        "the embedded Note was taken"
    );
    let seen = fetched.lock().unwrap().clone();
    assert!(seen.contains(&DORA_FEATURED.to_owned()), "{seen:?}");
    assert!(
        !seen.contains(&d1.to_owned()),
        "same origin, not refetched: {seen:?}"
    );
    assert!(
        seen.contains(&spoofed.to_owned()),
        "other origin refetched: {seen:?}"
    );
    assert!(app.status_by_uri(spoofed).await.unwrap().is_none());
    assert!(
        pinned(app.clone()).await.iter().all(|u| u != not_hers),
        "another author's status is not dora's pin"
    );

    // dora unpins 1: reading the collection again unpins it here too.
    collection.lock().unwrap()["orderedItems"] = json!([d2]);
    let account = app.account_by_iri(DORA).await.unwrap().unwrap();
    assert_eq!(app.sync_featured(&account).await.unwrap(), 1);
    assert_eq!(pinned(app.clone()).await, vec![d2.to_owned()]);
}

/// Accounts found together have their `featured` collections read at most
/// `FEATURED_SYNCS_AT_ONCE` at a time, and every one is read.
#[tokio::test]
async fn featured_collections_are_read_a_few_at_a_time() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let net = MemoryNetwork::new();
    let (app, _) = instance(&net, "wool.test").await;
    let (now, max, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (n, m, d) = (now.clone(), max.clone(), done.clone());
    net.serve("many.test", move |_req: Request<Bytes>| {
        let (n, m, d) = (n.clone(), m.clone(), d.clone());
        async move {
            let running = n.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(running, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            n.fetch_sub(1, Ordering::SeqCst);
            d.fetch_add(1, Ordering::SeqCst);
            doc_response(Some(
                json!({"type": "OrderedCollection", "totalItems": 0, "orderedItems": []})
                    .to_string(),
            ))
        }
    });
    let accounts = 12;
    for i in 0..accounts {
        let actor: activitypub_core::Actor = serde_json::from_value(json!({
            "id": format!("http://many.test/users/u{i}"),
            "type": "Person",
            "preferredUsername": format!("u{i}"),
            "inbox": format!("http://many.test/users/u{i}/inbox"),
            "featured": format!("http://many.test/users/u{i}/collections/featured")
        }))
        .unwrap();
        app.upsert_remote_account(&actor).await.unwrap();
    }
    for _ in 0..500 {
        if done.load(Ordering::SeqCst) >= accounts {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        done.load(Ordering::SeqCst),
        accounts,
        "every collection read"
    );
    let max = max.load(Ordering::SeqCst);
    assert!(
        (2..=reference_server::app::pins::FEATURED_SYNCS_AT_ONCE).contains(&max),
        "at most {} at once, and concurrently: {max}",
        reference_server::app::pins::FEATURED_SYNCS_AT_ONCE
    );
}
