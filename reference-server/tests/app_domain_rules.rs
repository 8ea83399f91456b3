//! The effects of instance-wide domain rules, seen from outside, with signed deliveries from
//! remote servers on the in-memory network (`remote_peer`):
//!
//! - allow-list mode refuses an unlisted domain at the inbox (`403`) and takes an allowed one;
//! - `reject_media` drops a domain's attachments (no media in the entity, no file fetched),
//!   while another domain's are kept;
//! - `silence` keeps a domain's posts out of the public timelines (new posts, and posts stored
//!   before the silence) but in a follower's home timeline;
//! - `suspend` refuses the domain at the inbox and hides what was stored before.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::app::instance_domains::{DomainBlockParams, Severity};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

use crate::api_support::{self as support};
use crate::remote_peer::{png, Env, PUBLIC};

async fn env_with(f: impl FnOnce(&mut Config)) -> Env {
    let net = MemoryNetwork::new();
    let mut config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    f(&mut config);
    let clock = ManualClock::new(Timestamp::now());
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(net.clone()),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let router = Router::new(app.clone());
    Env {
        app,
        router,
        net,
        clock,
        files: Arc::default(),
    }
}

fn note(id: &str, author: &str, text: &str, extra: Value) -> Value {
    let mut n = json!({
        "id": id, "type": "Note", "attributedTo": author,
        "to": [PUBLIC], "cc": [format!("{author}/followers")],
        "content": format!("<p>{text}</p>"), "published": "2026-12-01T10:00:00Z",
    });
    if let (Value::Object(n), Value::Object(e)) = (&mut n, extra) {
        n.extend(e);
    }
    n
}

fn create(object: &Value, actor: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#create", object["id"].as_str().unwrap()),
        "type": "Create", "actor": actor,
        "to": object["to"].clone(), "cc": object["cc"].clone(), "object": object,
    })
}

async fn public_uris(e: &Env, path: &str) -> Vec<String> {
    let v = e.get_json(path).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn allow_list_mode_refuses_unlisted_domains_at_the_inbox() {
    let e = env_with(|c| c.limited_federation = true).await;
    e.app.create_domain_allow("friends.test").await.unwrap();
    let friend = "http://friends.test/users/ann";
    let stranger = "http://strangers.test/users/bob";
    let fk = e.person(friend, json!({}));
    let sk = e.person(stranger, json!({}));
    let from_stranger = note(
        "http://strangers.test/notes/1",
        stranger,
        "hello",
        json!({}),
    );
    assert_eq!(
        e.deliver(&create(&from_stranger, stranger), &sk, stranger)
            .await,
        StatusCode::FORBIDDEN
    );
    assert!(e
        .app
        .status_by_uri("http://strangers.test/notes/1")
        .await
        .unwrap()
        .is_none());
    assert!(
        e.app.account_by_iri(stranger).await.unwrap().is_none(),
        "no key fetched, no account"
    );
    let from_friend = note("http://friends.test/notes/1", friend, "hello", json!({}));
    assert_eq!(
        e.deliver(&create(&from_friend, friend), &fk, friend).await,
        StatusCode::ACCEPTED
    );
    assert!(e
        .app
        .status_by_uri("http://friends.test/notes/1")
        .await
        .unwrap()
        .is_some());
    // Allowing the stranger's domain lets it in.
    e.app.create_domain_allow("strangers.test").await.unwrap();
    assert_eq!(
        e.deliver(&create(&from_stranger, stranger), &sk, stranger)
            .await,
        StatusCode::ACCEPTED
    );
    assert!(e
        .app
        .status_by_uri("http://strangers.test/notes/1")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn reject_media_drops_a_domains_attachments() {
    let e = env_with(|_| {}).await;
    let params = DomainBlockParams {
        severity: Some(Severity::Noop),
        reject_media: Some(true),
        ..DomainBlockParams::default()
    };
    e.app
        .create_domain_block("pics.test", &params)
        .await
        .unwrap();
    let image = |host: &str| {
        json!({"attachment": [{"type": "Document", "mediaType": "image/png",
            "url": format!("http://{host}/files/1.png"), "name": "a picture"}]})
    };
    let mut fetched = Vec::new();
    for host in ["pics.test", "other.test"] {
        let actor = format!("http://{host}/users/p");
        let key = e.person(&actor, json!({}));
        e.serve(
            &format!("http://{host}/files/1.png"),
            StatusCode::OK,
            "image/png",
            png(8, 8),
        );
        let n = note(
            &format!("http://{host}/notes/1"),
            &actor,
            "look",
            image(host),
        );
        assert_eq!(
            e.deliver(&create(&n, &actor), &key, &actor).await,
            StatusCode::ACCEPTED
        );
        let entity = e.status_entity(&format!("http://{host}/notes/1")).await;
        fetched.push(entity["media_attachments"].as_array().unwrap().len());
    }
    assert_eq!(
        fetched,
        [0, 1],
        "pics.test's media dropped, other.test's kept"
    );
    // Nothing of pics.test is fetched into the cache either.
    let s = e
        .app
        .status_by_uri("http://other.test/notes/1")
        .await
        .unwrap()
        .unwrap();
    let kept = e.status_entity(&s.uri).await;
    assert_eq!(
        kept["media_attachments"][0]["remote_url"],
        "http://other.test/files/1.png"
    );
    assert!(e.app.refuses_media_of("http://pics.test/files/1.png"));
    assert!(!e.app.refuses_media_of("http://other.test/files/1.png"));
}

#[tokio::test]
async fn silence_hides_from_public_timelines_but_not_from_followers() {
    let e = env_with(|_| {}).await;
    let loud = "http://loud.test/users/l";
    let key = e.person(loud, json!({}));
    // A post before the silence: public.
    let before = note("http://loud.test/notes/0", loud, "before", json!({}));
    assert_eq!(
        e.deliver(&create(&before, loud), &key, loud).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        public_uris(&e, "/api/v1/timelines/public").await,
        ["http://loud.test/notes/0"]
    );

    // Alice follows l (accepted by l's server).
    let (alice, token) = support::user(&e.app, "alice").await;
    let l = e.app.account_by_iri(loud).await.unwrap().unwrap();
    e.app.follow(alice.id, l.id).await.unwrap();
    let rows = e
        .app
        .store()
        .kv_scan("follows.by_uri", b"", None, 10)
        .await
        .unwrap();
    let follow_uri = String::from_utf8(rows[0].0.clone()).unwrap();
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://loud.test/accepts/1", "type": "Accept", "actor": loud,
        "object": {"id": follow_uri, "type": "Follow", "actor": alice_iri(&e, &alice.username),
                   "object": loud},
    });
    assert_eq!(e.deliver(&accept, &key, loud).await, StatusCode::ACCEPTED);
    assert!(e.app.is_following(alice.id, l.id).await.unwrap());

    // Silenced.
    let params = DomainBlockParams {
        severity: Some(Severity::Silence),
        ..DomainBlockParams::default()
    };
    e.app
        .create_domain_block("loud.test", &params)
        .await
        .unwrap();
    let after = note(
        "http://loud.test/notes/1",
        loud,
        "after",
        json!({"tag": [
        {"type": "Hashtag", "name": "#sheep", "href": "http://loud.test/tags/sheep"}]}),
    );
    assert_eq!(
        e.deliver(&create(&after, loud), &key, loud).await,
        StatusCode::ACCEPTED
    );

    // Out of the public timelines (the old post too), the tag's, the remote one.
    for path in [
        "/api/v1/timelines/public",
        "/api/v1/timelines/public?remote=true",
        "/api/v1/timelines/tag/sheep",
    ] {
        assert_eq!(public_uris(&e, path).await, Vec::<String>::new(), "{path}");
    }
    // In the follower's home, and on the account's page, unlisted.
    let home = support::get(&e.app, "/api/v1/timelines/home", Some(&token)).await;
    assert_eq!(home.status, StatusCode::OK);
    let uris: Vec<&str> = home
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["http://loud.test/notes/1"]);
    assert_eq!(home.body[0]["visibility"], "unlisted");
    let shown = e.status_entity("http://loud.test/notes/1").await;
    assert_eq!(shown["content"], "<p>after</p>");

    // Lifted: the old post is public again.
    let block = e.app.domain_blocks().await.unwrap().remove(0);
    e.app.remove_domain_block(block.id).await.unwrap();
    assert_eq!(
        public_uris(&e, "/api/v1/timelines/public").await,
        ["http://loud.test/notes/0"]
    );
}

fn alice_iri(e: &Env, name: &str) -> String {
    format!("{}/users/{name}", e.app.base())
}

#[tokio::test]
async fn suspend_refuses_at_the_inbox_and_hides_what_was_stored() {
    let e = env_with(|_| {}).await;
    let bad = "http://bad.test/users/b";
    let key = e.person(bad, json!({}));
    let old = note("http://bad.test/notes/0", bad, "old", json!({}));
    assert_eq!(
        e.deliver(&create(&old, bad), &key, bad).await,
        StatusCode::ACCEPTED
    );
    let s = e
        .app
        .status_by_uri("http://bad.test/notes/0")
        .await
        .unwrap()
        .unwrap();
    e.app
        .create_domain_block(
            "bad.test",
            &DomainBlockParams {
                severity: Some(Severity::Suspend),
                ..DomainBlockParams::default()
            },
        )
        .await
        .unwrap();
    let new = note("http://bad.test/notes/1", bad, "new", json!({}));
    assert_eq!(
        e.deliver(&create(&new, bad), &key, bad).await,
        StatusCode::FORBIDDEN
    );
    assert!(e
        .app
        .status_by_uri("http://bad.test/notes/1")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        public_uris(&e, "/api/v1/timelines/public").await,
        Vec::<String>::new()
    );
    let (_, token) = support::user(&e.app, "carol").await;
    let hidden = support::call(
        &e.app,
        Method::GET,
        &format!("/api/v1/statuses/{}", s.id),
        Some(&token),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}
