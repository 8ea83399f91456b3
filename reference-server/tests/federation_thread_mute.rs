//! A muted thread stays muted for replies from other servers: replies that arrive without a
//! `conversation` (as many servers send them) join their parent's thread, so a reply to a
//! reply in a thread alice muted notifies her of nothing. A remote actor written for this
//! test signs its deliveries to an instance on an in-memory network.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const CARL: &str = "http://remote.test/users/carl";
const CARL_KEY: &str = "http://remote.test/users/carl#main-key";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn api(app: &App, method: &str, path: &str, token: &str) -> Value {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}: {:?}", resp.body());
    serde_json::from_slice(resp.body()).unwrap()
}

/// A reply by carl to `parent`, mentioning alice, with no `conversation`.
fn reply(n: u32, parent: &str, alice: &str) -> Value {
    let id = format!("{CARL}/statuses/{n}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": CARL,
        "to": [PUBLIC],
        "cc": [alice],
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": CARL,
            "inReplyTo": parent,
            "content": format!("<p>reply {n}</p>"),
            "published": "2026-01-01T00:00:00Z",
            "to": [PUBLIC],
            "cc": [alice],
            "tag": [{"type": "Mention", "href": alice, "name": "@alice@wool.test"}]
        }
    })
}

#[tokio::test]
async fn remote_replies_in_a_muted_thread_notify_nothing() {
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let pem = key.public_key().to_pem().unwrap();
    let actor = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": CARL,
        "type": "Person",
        "preferredUsername": "carl",
        "inbox": format!("{CARL}/inbox"),
        "outbox": format!("{CARL}/outbox"),
        "followers": format!("{CARL}/followers"),
        "publicKey": {"id": CARL_KEY, "owner": CARL, "publicKeyPem": pem}
    })
    .to_string();
    net.serve("remote.test", move |req: Request<Bytes>| {
        let body = (req.uri().path() == "/users/carl").then(|| actor.clone());
        async move {
            let mut r = Response::new(Bytes::from(body.clone().unwrap_or_default()));
            if body.is_none() {
                *r.status_mut() = StatusCode::NOT_FOUND;
            }
            r.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("application/activity+json"),
            );
            r
        }
    });
    let deliver = |activity: Value| {
        let router = router.clone();
        let app = app.clone();
        let key = key.clone();
        async move {
            let body = activity.to_string().into_bytes();
            let (mut parts, ()) = Request::post("http://wool.test/inbox")
                .header("content-type", "application/activity+json")
                .body(())
                .unwrap()
                .into_parts();
            http_sig::sign_request(
                &mut parts,
                &body,
                &key,
                &http_sig::SignOptions::cavage(CARL_KEY),
                SystemTime::now(),
            )
            .unwrap();
            let r = router
                .handle(Request::from_parts(parts, Bytes::from(body)), None)
                .await;
            assert_eq!(r.status(), StatusCode::ACCEPTED, "{:?}", r.body());
            let run = app.engine().process_inbox(10).await.unwrap();
            assert_eq!((run.done, run.dead), (1, 0), "handled");
        }
    };

    let alice = app
        .create_account("alice", Some("pw"), false)
        .await
        .unwrap();
    let token = reference_server::api::create_token(&app, alice.id, "read write")
        .await
        .unwrap();
    let root = app
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "a thread".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // carl replies: alice is notified.
    deliver(reply(1, &root.uri, &alice.actor)).await;
    let notes = api(&app, "GET", "/api/v1/notifications", &token).await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    let first = app
        .status_by_uri(&format!("{CARL}/statuses/1"))
        .await
        .unwrap()
        .unwrap();
    // The reply joined the thread's conversation.
    assert_eq!(first.conversation, root.conversation);

    // alice mutes the thread from carl's reply; his reply to his reply notifies nothing.
    let muted = api(
        &app,
        "POST",
        &format!("/api/v1/statuses/{}/mute", first.id),
        &token,
    )
    .await;
    assert_eq!(muted["muted"], true);
    let root_seen = api(
        &app,
        "GET",
        &format!("/api/v1/statuses/{}", root.id),
        &token,
    )
    .await;
    assert_eq!(root_seen["muted"], true);
    deliver(reply(2, &first.uri, &alice.actor)).await;
    let second = app
        .status_by_uri(&format!("{CARL}/statuses/2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.conversation, root.conversation);
    let notes = api(&app, "GET", "/api/v1/notifications", &token).await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    let seen = api(
        &app,
        "GET",
        &format!("/api/v1/statuses/{}", second.id),
        &token,
    )
    .await;
    assert_eq!(seen["muted"], true);
    assert_eq!(seen["content"], "<p>reply 2</p>");

    // A new thread of carl's mentioning alice still notifies her.
    let mut other = reply(3, &root.uri, &alice.actor);
    other["object"].as_object_mut().unwrap().remove("inReplyTo");
    deliver(other).await;
    let notes = api(&app, "GET", "/api/v1/notifications", &token).await;
    assert_eq!(notes.as_array().unwrap().len(), 2, "{notes}");
}
