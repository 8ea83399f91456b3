//! Fetching: content type, origin of the returned id, refetch by id, redirects, budgets,
//! reply chains and collections walked with loops, the actor cache.
#![allow(clippy::unwrap_used)]

use crate::support;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{FetchBudget, FetchErrorKind, RemoteItem};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;
use support::{start_clock, Backend, Instance, Remote};

async fn setup() -> (MemoryNetwork, Instance, Remote) {
    let net = MemoryNetwork::with_seed(9);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, "far.test");
    (net, us, remote)
}

fn note(id: &str, reply_to: Option<&str>) -> Vec<u8> {
    let mut n = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Note",
        "attributedTo": "http://far.test/users/f", "content": "x"});
    if let Some(r) = reply_to {
        n["inReplyTo"] = json!(r);
    }
    serde_json::to_vec(&n).unwrap()
}

#[tokio::test]
async fn the_fetched_id_must_be_on_the_fetched_origin() {
    let (_net, us, remote) = setup().await;
    remote.put(
        "/notes/1",
        StatusCode::OK,
        note("http://victim.test/notes/1", None),
    );
    let err = us
        .engine
        .fetch("http://far.test/notes/1", &mut FetchBudget::new(5))
        .await
        .unwrap_err();
    assert!(err.is_fetch(FetchErrorKind::OriginMismatch), "{err}");
}

#[tokio::test]
async fn a_different_id_on_the_same_origin_is_fetched_again_by_id() {
    let (net, us, remote) = setup().await;
    remote.put(
        "/alias/1",
        StatusCode::OK,
        note("http://far.test/notes/1", None),
    );
    remote.put(
        "/notes/1",
        StatusCode::OK,
        note("http://far.test/notes/1", None),
    );
    let f = us
        .engine
        .fetch("http://far.test/alias/1", &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(f.id, "http://far.test/notes/1");
    let paths: Vec<String> = net.log().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.ends_with(&["/alias/1".to_owned(), "/notes/1".to_owned()]),
        "{paths:?}"
    );
}

#[tokio::test]
async fn json_that_is_not_activitystreams_is_refused() {
    let net = MemoryNetwork::with_seed(10);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    net.serve("files.test", |_req: Request<Bytes>| async move {
        Response::builder()
            .header("content-type", "application/json")
            .body(Bytes::from(note("http://files.test/upload.json", None)))
            .unwrap()
    });
    let err = us
        .engine
        .fetch("http://files.test/upload.json", &mut FetchBudget::new(5))
        .await
        .unwrap_err();
    assert!(err.is_fetch(FetchErrorKind::ContentType), "{err}");
}

#[tokio::test]
async fn redirects_are_followed_a_few_times_only() {
    let net = MemoryNetwork::with_seed(11);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    // Every path redirects to the next number, forever.
    net.serve("loop.test", |req: Request<Bytes>| async move {
        let n: u32 = req
            .uri()
            .path()
            .trim_start_matches('/')
            .parse()
            .unwrap_or(0);
        Response::builder()
            .status(302)
            .header("location", format!("/{}", n + 1))
            .body(Bytes::new())
            .unwrap()
    });
    let err = us
        .engine
        .fetch("http://loop.test/0", &mut FetchBudget::new(50))
        .await
        .unwrap_err();
    assert!(err.is_fetch(FetchErrorKind::Redirect), "{err}");
    let max = us.engine.config().max_redirects;
    assert_eq!(
        net.host_stats("loop.test").unwrap().requests as usize,
        max + 1
    );
}

#[tokio::test]
async fn reply_chains_are_walked_with_a_loop_and_a_budget() {
    let (net, us, remote) = setup().await;
    // A chain of 1,000 replies: far deeper than any recursion would survive unoptimized.
    for i in 1..=1000u32 {
        let parent = (i > 1).then(|| format!("http://far.test/notes/{}", i - 1));
        remote.put(
            &format!("/notes/{i}"),
            StatusCode::OK,
            note(&format!("http://far.test/notes/{i}"), parent.as_deref()),
        );
    }
    let mut budget = FetchBudget::new(10);
    let chain = us
        .engine
        .fetch_reply_chain("http://far.test/notes/1000", &mut budget, |_| false)
        .await;
    assert_eq!(chain.len(), 10);
    assert_eq!(budget.remaining(), 0);
    assert_eq!(
        chain[9].id.as_ref().unwrap().as_str(),
        "http://far.test/notes/991"
    );
    // It stops at the first known object.
    let mut budget = FetchBudget::new(100);
    let chain = us
        .engine
        .fetch_reply_chain("http://far.test/notes/1000", &mut budget, |iri| {
            iri.ends_with("/notes/995")
        })
        .await;
    assert_eq!(chain.len(), 5);
    // And at a cycle.
    remote.put(
        "/notes/a",
        StatusCode::OK,
        note("http://far.test/notes/a", Some("http://far.test/notes/b")),
    );
    remote.put(
        "/notes/b",
        StatusCode::OK,
        note("http://far.test/notes/b", Some("http://far.test/notes/a")),
    );
    let before = net.log().len();
    let chain = us
        .engine
        .fetch_reply_chain(
            "http://far.test/notes/a",
            &mut FetchBudget::new(100),
            |_| false,
        )
        .await;
    assert_eq!(chain.len(), 2);
    assert_eq!(net.log().len() - before, 2);
}

#[tokio::test]
async fn collections_are_read_page_by_page_within_limits() {
    let (_net, us, remote) = setup().await;
    let collection = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://far.test/c", "type": "OrderedCollection", "totalItems": 30,
        "first": "http://far.test/c/page1"});
    remote.put(
        "/c",
        StatusCode::OK,
        serde_json::to_vec(&collection).unwrap(),
    );
    for p in 1..=3 {
        let items: Vec<String> = (0..10)
            .map(|i| format!("http://far.test/users/u{}", (p - 1) * 10 + i))
            .collect();
        let mut page = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("http://far.test/c/page{p}"), "type": "OrderedCollectionPage",
            "partOf": "http://far.test/c", "orderedItems": items});
        if p < 3 {
            page["next"] = json!(format!("http://far.test/c/page{}", p + 1));
        }
        remote.put(
            &format!("/c/page{p}"),
            StatusCode::OK,
            serde_json::to_vec(&page).unwrap(),
        );
    }
    let all = us
        .engine
        .fetch_collection_items("http://far.test/c", 100, &mut FetchBudget::new(10))
        .await
        .unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(all[0].id(), "http://far.test/users/u0");
    assert_eq!(all[29].id(), "http://far.test/users/u29");
    assert!(all.iter().all(|i| i.embedded().is_none()));
    let some = us
        .engine
        .fetch_collection_items("http://far.test/c", 15, &mut FetchBudget::new(10))
        .await
        .unwrap();
    assert_eq!(some.len(), 15);
    // Out of budget after two requests (the collection and its first page).
    let err = us
        .engine
        .fetch_collection_items("http://far.test/c", 100, &mut FetchBudget::new(2))
        .await
        .unwrap_err();
    assert!(err.is_fetch(FetchErrorKind::Budget), "{err}");
}

/// The origin rule for embedded items, in one place: an object embedded by a page on its own
/// origin is kept; one embedded by a page on another origin is only a reference to fetch
/// (nothing is fetched while listing); one without an `id` is left out.
#[tokio::test]
async fn collection_items_follow_the_origin_rule() {
    let (net, us, remote) = setup().await;
    let n = |id: &str| serde_json::from_slice::<serde_json::Value>(&note(id, None)).unwrap();
    let mut anonymous = n("http://far.test/x");
    anonymous.as_object_mut().unwrap().remove("id");
    let collection = json!({"@context": "https://www.w3.org/ns/activitystreams",
    "id": "http://far.test/users/f/collections/featured", "type": "OrderedCollection",
    "totalItems": 5, "orderedItems": [
        n("http://far.test/notes/1"),
        n("http://victim.test/notes/2"),
        anonymous,
        "http://victim.test/notes/3",
        n("http://far.test/notes/4"),
    ]});
    remote.put(
        "/users/f/collections/featured",
        StatusCode::OK,
        serde_json::to_vec(&collection).unwrap(),
    );
    let before = net.log().len();
    let items = us
        .engine
        .fetch_collection_items(
            "http://far.test/users/f/collections/featured",
            4,
            &mut FetchBudget::new(5),
        )
        .await
        .unwrap();
    // One request: the collection itself.
    assert_eq!(net.log().len() - before, 1);
    let ids: Vec<&str> = items.iter().map(RemoteItem::id).collect();
    assert_eq!(
        ids,
        [
            "http://far.test/notes/1",
            "http://victim.test/notes/2",
            "http://victim.test/notes/3",
            "http://far.test/notes/4",
        ]
    );
    let kept: Vec<bool> = items.iter().map(|i| i.embedded().is_some()).collect();
    assert_eq!(kept, [true, false, false, true]);
    assert_eq!(
        items[0].embedded().and_then(|o| o.content.as_deref()),
        Some("x")
    );
    assert!(matches!(items[1], RemoteItem::Reference(_)));
}

/// A page on another origin than the collection speaks for its own origin only: what it
/// embeds from the collection's origin is a reference.
#[tokio::test]
async fn a_page_on_another_origin_speaks_only_for_its_own() {
    let (net, us, remote) = setup().await;
    let other = Remote::start(&net, "pages.test");
    let n = |id: &str| serde_json::from_slice::<serde_json::Value>(&note(id, None)).unwrap();
    remote.put(
        "/c",
        StatusCode::OK,
        serde_json::to_vec(&json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": "http://far.test/c", "type": "OrderedCollection",
            "first": "http://pages.test/p1"}))
        .unwrap(),
    );
    other.put(
        "/p1",
        StatusCode::OK,
        serde_json::to_vec(&json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": "http://pages.test/p1", "type": "OrderedCollectionPage",
            "partOf": "http://far.test/c",
            "orderedItems": [n("http://far.test/notes/1"), n("http://pages.test/notes/2")]}))
        .unwrap(),
    );
    let items = us
        .engine
        .fetch_collection_items("http://far.test/c", 10, &mut FetchBudget::new(5))
        .await
        .unwrap();
    let kept: Vec<(&str, bool)> = items
        .iter()
        .map(|i| (i.id(), i.embedded().is_some()))
        .collect();
    assert_eq!(
        kept,
        [
            ("http://far.test/notes/1", false),
            ("http://pages.test/notes/2", true)
        ]
    );
}

#[tokio::test]
async fn the_actor_cache_serves_fresh_actors_without_a_request() {
    let (net, us, remote) = setup().await;
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let f = remote.actor("f", &key);
    let a1 = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    let n = net.log().len();
    let a2 = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(net.log().len(), n, "served from the store");
    assert_eq!(a1, a2);
    // Its key is cached too: no request to resolve it.
    let (_, owner) = us
        .engine
        .public_key(
            &format!("{}#main-key", f.as_str()),
            false,
            &mut FetchBudget::new(0),
        )
        .await
        .unwrap();
    assert_eq!(owner, f.as_str());
    // A gone actor answers Gone.
    remote.put("/users/g", StatusCode::GONE, Vec::new());
    let err = us
        .engine
        .actor("http://far.test/users/g", &mut FetchBudget::new(5))
        .await
        .unwrap_err();
    assert!(err.is_gone());
}

#[tokio::test]
async fn a_stale_cached_actor_is_refetched_and_a_fresh_one_is_not() {
    let net = MemoryNetwork::with_seed(21);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, "far.test");
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let f = remote.actor("f", &key);
    let gets = || {
        net.log()
            .iter()
            .filter(|r| r.authority == "far.test" && r.path == "/users/f")
            .count()
    };
    let refresh = us.engine.config().actor_refresh_age;
    assert_eq!(refresh, std::time::Duration::from_secs(86_400));
    let first = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(gets(), 1);
    assert_eq!(first.name.as_deref(), None);
    // The remote renames the actor; the cached copy is still fresh a minute before the
    // refresh age, so the old copy is served without a request.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&remote.docs.lock().unwrap()["/users/f"].1).unwrap();
    doc["name"] = json!("Renamed");
    remote.put(
        "/users/f",
        StatusCode::OK,
        serde_json::to_vec(&doc).unwrap(),
    );
    clock.advance(refresh - std::time::Duration::from_secs(60));
    let cached = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(gets(), 1, "fresh: served from the store");
    assert_eq!(cached, first);
    // Two minutes later it is older than the refresh age: fetched again, once.
    clock.advance(std::time::Duration::from_secs(120));
    let refreshed = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(gets(), 2, "stale: refetched");
    assert_eq!(refreshed.name.as_deref(), Some("Renamed"));
    // The refetch restarted the age: the next read is from the store again.
    let again = us
        .engine
        .actor(f.as_str(), &mut FetchBudget::new(5))
        .await
        .unwrap();
    assert_eq!(gets(), 2);
    assert_eq!(again.name.as_deref(), Some("Renamed"));
}
