//! Remote accounts and suspension: an actor its own server serves with `suspended: true` is
//! hidden as Mastodon hides it, and a remote account suspended here loses its content and
//! has its activities refused at the inbox (until it is unsuspended).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::app::{Action, Role, Undo};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const BOB: &str = "http://remote.test/users/bob";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

struct Env {
    app: App,
    router: Router,
    docs: Arc<Mutex<HashMap<String, (StatusCode, Bytes)>>>,
    key: http_sig::PrivateKey,
}

fn person(key: &http_sig::PrivateKey, suspended: bool) -> Value {
    let mut p = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": BOB, "type": "Person", "preferredUsername": "bob", "name": "Bob",
        "summary": "<p>wool</p>",
        "inbox": format!("{BOB}/inbox"), "followers": format!("{BOB}/followers"),
        "endpoints": {"sharedInbox": "http://remote.test/inbox"},
        "publicKey": {"id": format!("{BOB}#main-key"), "owner": BOB,
            "publicKeyPem": key.public_key().to_pem().unwrap()}
    });
    if suspended {
        p["suspended"] = json!(true);
        p["name"] = json!("bob");
        p["summary"] = json!("");
    }
    p
}

fn note(n: u32) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}/statuses/{n}/activity"), "type": "Create", "actor": BOB, "to": [PUBLIC],
        "object": {"id": format!("{BOB}/statuses/{n}"), "type": "Note", "attributedTo": BOB,
            "content": format!("<p>note {n}</p>"), "to": [PUBLIC]}})
}

async fn env() -> Env {
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let docs: Arc<Mutex<HashMap<String, (StatusCode, Bytes)>>> = Arc::default();
    let served = docs.clone();
    net.serve("remote.test", move |req: Request<Bytes>| {
        let found = served.lock().unwrap().get(req.uri().path()).cloned();
        async move {
            let (status, body) = found.unwrap_or((StatusCode::ACCEPTED, Bytes::new()));
            Response::builder()
                .status(status)
                .header("content-type", "application/activity+json")
                .body(body)
                .unwrap()
        }
    });
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let e = Env {
        app,
        router,
        docs,
        key,
    };
    e.publish(&person(&e.key, false));
    e
}

impl Env {
    fn publish(&self, doc: &Value) {
        self.docs.lock().unwrap().insert(
            "/users/bob".into(),
            (StatusCode::OK, Bytes::from(doc.to_string())),
        );
    }
    async fn deliver(&self, activity: &Value) -> StatusCode {
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
            &http_sig::SignOptions::cavage(format!("{BOB}#main-key")),
            SystemTime::now(),
        )
        .unwrap();
        let status = self
            .router
            .handle(Request::from_parts(parts, Bytes::from(body)), None)
            .await
            .status();
        self.app.engine().process_inbox(100).await.unwrap();
        status
    }
    async fn api(&self, path: &str) -> Value {
        let req = Request::get(format!("http://wool.test{path}"))
            .body(Bytes::new())
            .unwrap();
        let resp = self.router.handle(req, None).await;
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null)
    }
}

fn uris(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_actor_suspended_by_its_server_is_hidden() {
    let e = env().await;
    assert_eq!(e.deliver(&note(1)).await, StatusCode::ACCEPTED);
    let public = e.api("/api/v1/timelines/public").await;
    assert_eq!(uris(&public), vec![format!("{BOB}/statuses/1")]);
    // Its server suspends it and says so in an Update of the actor.
    let doc = person(&e.key, true);
    e.publish(&doc);
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#updates/1"), "type": "Update", "actor": BOB, "to": [PUBLIC],
        "object": doc});
    assert_eq!(e.deliver(&update).await, StatusCode::ACCEPTED);
    let bob = e.app.account_by_iri(BOB).await.unwrap().unwrap();
    assert!(bob.moderation.origin_suspended);
    assert_eq!(e.api("/api/v1/timelines/public").await, json!([]));
    let shown = e.api(&format!("/api/v1/accounts/{}", bob.id)).await;
    assert_eq!(shown["suspended"], true);
    assert_eq!(shown["display_name"], "");
    assert_eq!(shown["note"], "");
    let s = e
        .app
        .status_by_uri(&format!("{BOB}/statuses/1"))
        .await
        .unwrap()
        .unwrap();
    let one = e.api(&format!("/api/v1/statuses/{}", s.id)).await;
    assert_eq!(one["error"], "Record not found");
    // Lifted by its server: shown again.
    let doc = person(&e.key, false);
    e.publish(&doc);
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#updates/2"), "type": "Update", "actor": BOB, "to": [PUBLIC],
        "object": doc});
    assert_eq!(e.deliver(&update).await, StatusCode::ACCEPTED);
    let public = e.api("/api/v1/timelines/public").await;
    assert_eq!(uris(&public), vec![format!("{BOB}/statuses/1")]);
}

#[tokio::test]
async fn a_remote_account_suspended_here_loses_its_content_and_is_refused() {
    let e = env().await;
    let alice = e.app.create_account("alice", None, false).await.unwrap();
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#follows/1"), "type": "Follow", "actor": BOB, "object": alice.actor});
    assert_eq!(e.deliver(&follow).await, StatusCode::ACCEPTED);
    assert_eq!(e.deliver(&note(1)).await, StatusCode::ACCEPTED);
    let bob = e.app.account_by_iri(BOB).await.unwrap().unwrap();
    assert!(e.app.is_following(bob.id, alice.id).await.unwrap());

    let suspended = e
        .app
        .moderate(Role::Moderator, bob.id, Action::Suspend)
        .await
        .unwrap();
    assert!(suspended.moderation.suspended_at.is_some());
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/1"))
        .await
        .unwrap()
        .is_none());
    assert!(!e.app.is_following(bob.id, alice.id).await.unwrap());
    // Its deliveries are refused at the inbox.
    assert_eq!(e.deliver(&note(2)).await, StatusCode::FORBIDDEN);
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/2"))
        .await
        .unwrap()
        .is_none());
    // `disable` is for local logins only.
    let err = e
        .app
        .moderate(Role::Owner, bob.id, Action::Disable)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Unsuspended: accepted again.
    e.app
        .unmoderate(Role::Owner, bob.id, Undo::Unsuspend)
        .await
        .unwrap();
    assert_eq!(e.deliver(&note(3)).await, StatusCode::ACCEPTED);
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/3"))
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_suspended_local_account_takes_no_new_followers() {
    let e = env().await;
    let alice = e.app.create_account("alice", None, false).await.unwrap();
    e.app
        .moderate(Role::Owner, alice.id, Action::Suspend)
        .await
        .unwrap();
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#follows/9"), "type": "Follow", "actor": BOB, "object": alice.actor});
    assert_eq!(e.deliver(&follow).await, StatusCode::ACCEPTED);
    let bob = e.app.account_by_iri(BOB).await.unwrap().unwrap();
    assert!(!e.app.is_following(bob.id, alice.id).await.unwrap());
}
