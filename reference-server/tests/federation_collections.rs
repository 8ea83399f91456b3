//! The collections the federation endpoints serve, whole: outbox, followers, following,
//! featured and the instance actor's outbox, each as an `OrderedCollection` and (where it is
//! paged) as an `OrderedCollectionPage`. Every document is compared in full, and its keys in
//! the order Mastodon's collection serializer writes them (`id`, `type`, `totalItems`, `next`,
//! `prev`, `partOf`, `first`, `last`, `orderedItems`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::PageRequest;
use http::{Request, Response};
use reference_server::app::{List, NewStatus, Status, StatusVisibility};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const BASE: &str = "http://wool.test";
const AS: &str = "https://www.w3.org/ns/activitystreams";
const ALICE: &str = "http://wool.test/users/alice";

async fn env() -> (App, Router) {
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    (app, router)
}

/// The body of a `200` answer to an unsigned ActivityPub GET, with its keys in order.
async fn get(router: &Router, path: &str) -> (Value, Vec<String>) {
    let req = Request::get(format!("{BASE}{path}"))
        .header("accept", "application/activity+json")
        .body(Bytes::new())
        .unwrap();
    let r: Response<Bytes> = router.handle(req, None).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/activity+json; charset=utf-8"
    );
    let v: Value = serde_json::from_slice(r.body()).unwrap();
    let keys = v.as_object().unwrap().keys().cloned().collect();
    (v, keys)
}

/// Embedded items start with `id` and `type`, as Mastodon writes them (no `@context`).
fn assert_embedded_keys(items: &Value) {
    for item in items.as_array().unwrap().iter().filter(|i| i.is_object()) {
        let keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .take(2)
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "type"], "{item}");
    }
}

fn post(text: &str, visibility: StatusVisibility) -> NewStatus {
    NewStatus {
        text: text.into(),
        visibility: Some(visibility),
        ..NewStatus::default()
    }
}

/// A document as the collections embed it: without its `@context`.
fn embedded<T: serde::Serialize>(doc: &T) -> Value {
    let mut v = serde_json::to_value(doc).unwrap();
    v.as_object_mut().unwrap().remove("@context");
    v
}

async fn outbox_item(app: &App, s: &Status) -> Value {
    if s.reblog_of_id.is_some() {
        embedded(&app.announce_document(s).await.unwrap())
    } else {
        embedded(&app.create_document(s).await.unwrap())
    }
}

#[tokio::test]
async fn outbox_collection_and_pages() {
    let (app, router) = env().await;
    let alice = app.create_account("alice", None, false).await.unwrap();
    let bob = app.create_account("bob", None, false).await.unwrap();
    let mut posts = Vec::new();
    for i in 0..20 {
        let s = app
            .post_status(
                alice.id,
                post(&format!("post {i}"), StatusVisibility::Public),
            )
            .await
            .unwrap();
        posts.push(s);
    }
    let hidden = app
        .post_status(alice.id, post("followers only", StatusVisibility::Private))
        .await
        .unwrap();
    let theirs = app
        .post_status(bob.id, post("bob's", StatusVisibility::Public))
        .await
        .unwrap();
    let boost = app.reblog(alice.id, theirs.id).await.unwrap();

    let (c, keys) = get(&router, "/users/alice/outbox").await;
    assert_eq!(
        c,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/outbox"),
            "type": "OrderedCollection",
            "totalItems": 22,
            "first": format!("{ALICE}/outbox?page=true"),
            "last": format!("{ALICE}/outbox?min_id=0&page=true"),
        })
    );
    assert_eq!(
        keys,
        ["@context", "id", "type", "totalItems", "first", "last"]
    );

    // The newest 20 statuses: the boost, the followers-only post (not shown to an anonymous
    // fetch, but on the page), and the 18 newest public posts.
    let raw = app
        .page(&List::StatusesOf(alice.id), &PageRequest::newest(20))
        .await
        .unwrap();
    let mut items = vec![outbox_item(&app, &boost).await];
    for s in posts.iter().rev().take(18) {
        items.push(outbox_item(&app, s).await);
    }
    let (p, keys) = get(&router, "/users/alice/outbox?page=true").await;
    assert_eq!(
        p,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/outbox?page=true"),
            "type": "OrderedCollectionPage",
            "next": format!("{ALICE}/outbox?max_id={}&page=true", raw.next_max_id().unwrap()),
            "prev": format!("{ALICE}/outbox?min_id={}&page=true", raw.prev_min_id().unwrap()),
            "partOf": format!("{ALICE}/outbox"),
            "orderedItems": items,
        })
    );
    assert!(raw.members().contains(&hidden.id.to_string().as_str()));
    assert_embedded_keys(&p["orderedItems"]);
    assert_eq!(
        keys,
        [
            "@context",
            "id",
            "type",
            "next",
            "prev",
            "partOf",
            "orderedItems"
        ]
    );

    // The older page: the two oldest posts, no `next` (fewer than a page).
    let query = format!("max_id={}&page=true", raw.next_max_id().unwrap());
    let (older, keys) = get(&router, &format!("/users/alice/outbox?{query}")).await;
    assert_eq!(
        older,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/outbox?{query}"),
            "type": "OrderedCollectionPage",
            "prev": format!("{ALICE}/outbox?min_id={}&page=true", posts[1].id),
            "partOf": format!("{ALICE}/outbox"),
            "orderedItems": [outbox_item(&app, &posts[1]).await, outbox_item(&app, &posts[0]).await],
        })
    );
    assert_eq!(
        keys,
        ["@context", "id", "type", "prev", "partOf", "orderedItems"]
    );

    // Past the oldest: an empty page, no links.
    let query = format!("max_id={}&page=true", posts[0].id);
    let (empty, keys) = get(&router, &format!("/users/alice/outbox?{query}")).await;
    assert_eq!(
        empty,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/outbox?{query}"),
            "type": "OrderedCollectionPage",
            "partOf": format!("{ALICE}/outbox"),
            "orderedItems": [],
        })
    );
    assert_eq!(keys, ["@context", "id", "type", "partOf", "orderedItems"]);
}

#[tokio::test]
async fn followers_and_following_with_their_pages() {
    let (app, router) = env().await;
    let alice = app.create_account("alice", None, false).await.unwrap();
    let bob = app.create_account("bob", None, false).await.unwrap();
    let carol = app.create_account("carol", None, false).await.unwrap();
    app.follow(bob.id, alice.id).await.unwrap();
    app.follow(carol.id, alice.id).await.unwrap();

    let (c, keys) = get(&router, "/users/alice/followers").await;
    assert_eq!(
        c,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/followers"),
            "type": "OrderedCollection",
            "totalItems": 2,
            "first": format!("{ALICE}/followers?page=true"),
        })
    );
    assert_eq!(keys, ["@context", "id", "type", "totalItems", "first"]);

    let raw = app
        .page(&List::Followers(alice.id), &PageRequest::newest(40))
        .await
        .unwrap();
    let (p, keys) = get(&router, "/users/alice/followers?page=true").await;
    assert_eq!(
        p,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/followers?page=true"),
            "type": "OrderedCollectionPage",
            "totalItems": 2,
            "prev": format!("{ALICE}/followers?min_id={}&page=true", raw.prev_min_id().unwrap()),
            "partOf": format!("{ALICE}/followers"),
            "orderedItems": [carol.actor, bob.actor],
        })
    );
    assert_eq!(
        keys,
        [
            "@context",
            "id",
            "type",
            "totalItems",
            "prev",
            "partOf",
            "orderedItems"
        ]
    );

    let (g, keys) = get(&router, "/users/alice/following").await;
    assert_eq!(
        g,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/following"),
            "type": "OrderedCollection",
            "totalItems": 0,
            "first": format!("{ALICE}/following?page=true"),
        })
    );
    assert_eq!(keys, ["@context", "id", "type", "totalItems", "first"]);
    let (gp, keys) = get(&router, "/users/alice/following?page=1").await;
    assert_eq!(
        gp,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/following?page=1"),
            "type": "OrderedCollectionPage",
            "totalItems": 0,
            "partOf": format!("{ALICE}/following"),
            "orderedItems": [],
        })
    );
    assert_eq!(
        keys,
        [
            "@context",
            "id",
            "type",
            "totalItems",
            "partOf",
            "orderedItems"
        ]
    );
}

#[tokio::test]
async fn featured_embeds_public_pins_and_lists_followers_only_ones_by_id() {
    let (app, router) = env().await;
    let alice = app.create_account("alice", None, false).await.unwrap();
    let public = app
        .post_status(alice.id, post("public", StatusVisibility::Public))
        .await
        .unwrap();
    let private = app
        .post_status(alice.id, post("followers only", StatusVisibility::Private))
        .await
        .unwrap();
    let unlisted = app
        .post_status(alice.id, post("unlisted", StatusVisibility::Unlisted))
        .await
        .unwrap();
    app.pin(alice.id, public.id).await.unwrap();
    app.pin(alice.id, private.id).await.unwrap();
    app.pin(alice.id, unlisted.id).await.unwrap();

    let (f, keys) = get(&router, "/users/alice/collections/featured").await;
    // Newest pin first.
    assert_eq!(
        f,
        json!({
            "@context": AS,
            "id": format!("{ALICE}/collections/featured"),
            "type": "OrderedCollection",
            "totalItems": 3,
            "orderedItems": [
                embedded(&app.note_document(&unlisted).await.unwrap()),
                private.uri,
                embedded(&app.note_document(&public).await.unwrap()),
            ],
        })
    );
    assert_eq!(
        keys,
        ["@context", "id", "type", "totalItems", "orderedItems"]
    );

    // Nothing pinned: an empty collection, items included.
    app.create_account("bob", None, false).await.unwrap();
    let (empty, _) = get(&router, "/users/bob/collections/featured").await;
    assert_eq!(
        empty,
        json!({
            "@context": AS,
            "id": "http://wool.test/users/bob/collections/featured",
            "type": "OrderedCollection",
            "totalItems": 0,
            "orderedItems": [],
        })
    );
}

#[tokio::test]
async fn the_instance_actor_outbox_is_empty() {
    let (_app, router) = env().await;
    let (o, keys) = get(&router, "/actor/outbox").await;
    assert_eq!(
        o,
        json!({
            "@context": AS,
            "id": "http://wool.test/actor/outbox",
            "type": "OrderedCollection",
            "totalItems": 0,
            "orderedItems": [],
        })
    );
    assert_eq!(
        keys,
        ["@context", "id", "type", "totalItems", "orderedItems"]
    );
}
