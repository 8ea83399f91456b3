//! Remote actors as other servers change them: profile updates, key rotation, deletion.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const BOB: &str = "http://remote.test/users/bob";

struct Env {
    app: App,
    router: Router,
    docs: Arc<Mutex<HashMap<String, (StatusCode, Bytes)>>>,
}

fn person(name: &str, key: &http_sig::PrivateKey, key_id: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": BOB, "type": "Person", "preferredUsername": "bob", "name": name,
        "inbox": format!("{BOB}/inbox"), "followers": format!("{BOB}/followers"),
        "endpoints": {"sharedInbox": "http://remote.test/inbox"},
        "publicKey": {"id": key_id, "owner": BOB, "publicKeyPem": key.public_key().to_pem().unwrap()}
    })
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
    Env { app, router, docs }
}

impl Env {
    fn publish(&self, doc: &Value) {
        self.docs.lock().unwrap().insert(
            "/users/bob".into(),
            (StatusCode::OK, Bytes::from(doc.to_string())),
        );
    }
    async fn deliver(
        &self,
        activity: &Value,
        key: &http_sig::PrivateKey,
        key_id: &str,
    ) -> StatusCode {
        let body = activity.to_string().into_bytes();
        let (mut parts, ()) = Request::post("http://wool.test/inbox")
            .header("content-type", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        http_sig::sign_request(
            &mut parts,
            &body,
            key,
            &http_sig::SignOptions::cavage(key_id),
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
}

#[tokio::test]
async fn profile_updates_key_rotation_and_deletion_are_applied() {
    let e = env().await;
    let k1 = http_sig::PrivateKey::generate_ed25519().unwrap();
    let key1 = format!("{BOB}#main-key");
    e.publish(&person("Bob", &k1, &key1));
    let alice = e.app.create_account("alice", None, false).await.unwrap();
    // bob follows alice and posts.
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{BOB}#follows/1"),
        "type": "Follow", "actor": BOB, "object": alice.actor});
    assert_eq!(e.deliver(&follow, &k1, &key1).await, StatusCode::ACCEPTED);
    let note = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{BOB}/statuses/1/activity"),
        "type": "Create", "actor": BOB, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": format!("{BOB}/statuses/1"), "type": "Note", "attributedTo": BOB, "content": "<p>hi</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "published": "2026-11-22T10:00:00Z"}});
    assert_eq!(e.deliver(&note, &k1, &key1).await, StatusCode::ACCEPTED);
    let bob = e.app.account_by_iri(BOB).await.unwrap().unwrap();
    assert_eq!(bob.display_name, "Bob");
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/1"))
        .await
        .unwrap()
        .is_some());

    // A profile change arrives as Update(Person).
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{BOB}#updates/1"),
        "type": "Update", "actor": BOB, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": person("Bob the Ram", &k1, &key1)});
    assert_eq!(e.deliver(&update, &k1, &key1).await, StatusCode::ACCEPTED);
    assert_eq!(
        e.app
            .account_by_iri(BOB)
            .await
            .unwrap()
            .unwrap()
            .display_name,
        "Bob the Ram"
    );
    assert_eq!(
        e.app.account_by_iri(BOB).await.unwrap().unwrap().id,
        bob.id,
        "same account"
    );

    // Key rotation: bob's server now publishes a new key; a request signed with it is
    // accepted after one refetch, and the old key no longer works.
    let k2 = http_sig::PrivateKey::generate_ed25519().unwrap();
    e.publish(&person("Bob the Ram", &k2, &key1));
    let note2 = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{BOB}/statuses/2/activity"),
        "type": "Create", "actor": BOB, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": format!("{BOB}/statuses/2"), "type": "Note", "attributedTo": BOB, "content": "<p>new key</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(e.deliver(&note2, &k2, &key1).await, StatusCode::ACCEPTED);
    let mut note3 = note2.clone();
    note3["id"] = json!(format!("{BOB}/statuses/3/activity"));
    note3["object"]["id"] = json!(format!("{BOB}/statuses/3"));
    assert_eq!(
        e.deliver(&note3, &k1, &key1).await,
        StatusCode::UNAUTHORIZED
    );

    // The actor is deleted: its statuses and follows go.
    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{BOB}#delete"),
        "type": "Delete", "actor": BOB, "object": BOB, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(e.deliver(&delete, &k2, &key1).await, StatusCode::ACCEPTED);
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/1"))
        .await
        .unwrap()
        .is_none());
    assert!(e
        .app
        .status_by_uri(&format!("{BOB}/statuses/2"))
        .await
        .unwrap()
        .is_none());
    assert!(!e.app.is_following(bob.id, alice.id).await.unwrap());
    assert!(e.app.account_by_iri(BOB).await.unwrap().unwrap().deleted);
}

/// A remote profile's bio and field values are HTML from another server: they are stored
/// sanitized (the client API and the profile page show them as HTML), field names as text.
#[tokio::test]
async fn remote_bios_and_fields_are_sanitized() {
    let e = env().await;
    let k = http_sig::PrivateKey::generate_ed25519().unwrap();
    let key = format!("{BOB}#main-key");
    let mut doc = person("Bob", &k, &key);
    doc["summary"] =
        json!("<p>Wool <b>fan</b></p><script>alert(1)</script><img src=x onerror=alert(2)>");
    doc["attachment"] = json!([{"type": "PropertyValue", "name": "<script>n</script>",
        "value": "<a href=\"javascript:alert(3)\">site</a> <a href=\"https://bob.example/\">bob</a>"}]);
    e.publish(&doc);
    let bob = e.app.resolve_actor(BOB).await.unwrap();
    assert_eq!(bob.note, "<p>Wool <b>fan</b></p>");
    let (name, value) = &bob.fields[0];
    assert_eq!(name, "&lt;script&gt;n&lt;/script&gt;");
    assert!(!value.contains("javascript"), "{value}");
    assert!(value.contains("href=\"https://bob.example/\""), "{value}");
    assert!(value.starts_with("site "), "{value}");
    // The profile page carries no script from them.
    let page = e
        .router
        .handle(
            Request::get("http://wool.test/@bob@remote.test")
                .body(Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(
        !html.contains("<script>") && !html.contains("onerror"),
        "{html}"
    );
}
