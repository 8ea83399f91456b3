//! The attack table: one test per attack on the inbox and the fetcher.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::{Duration, SystemTime};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{InboxTarget, Rejection};
use activitypub_core::ObjectId;
use bytes::Bytes;
use fedi_storage::{ManualClock, Tombstone};
use http::StatusCode;
use http_sig::{PrivateKey, Scheme};
use serde_json::json;
use support::{signed_post, start_clock, Backend, Instance, Remote};

struct Setup {
    net: MemoryNetwork,
    clock: ManualClock,
    us: Instance,
    evil: Remote,
    mallory_key: PrivateKey,
    mallory: ObjectId<activitypub_core::Actor>,
}

async fn setup() -> Setup {
    let net = MemoryNetwork::with_seed(1);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let evil = Remote::start(&net, "evil.test");
    let mallory_key = PrivateKey::generate_ed25519().unwrap();
    let mallory = evil.actor("mallory", &mallory_key);
    Setup {
        net,
        clock,
        us,
        evil,
        mallory_key,
        mallory,
    }
}

impl Setup {
    fn now(&self) -> SystemTime {
        self.us.engine.now().into()
    }
    fn note_create(&self, n: u32) -> serde_json::Value {
        let m = self.mallory.as_str();
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{m}/statuses/{n}/activity"),
            "type": "Create",
            "actor": m,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": format!("{m}/statuses/{n}"),
                "type": "Note",
                "attributedTo": m,
                "content": "hello",
                "to": ["https://www.w3.org/ns/activitystreams#Public"]
            }
        })
    }
    fn sign(&self, body: &serde_json::Value) -> http::Request<Bytes> {
        let key_id = format!("{}#main-key", self.mallory.as_str());
        signed_post(
            "http://wool.test/inbox",
            &serde_json::to_vec(body).unwrap(),
            &key_id,
            &self.mallory_key,
            Scheme::Cavage,
            self.now(),
        )
    }
    async fn post(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<activitypub_core::engine::Accepted, activitypub_core::Error> {
        self.us.engine.receive(req, InboxTarget::Shared).await
    }
}

fn rejection(
    r: Result<activitypub_core::engine::Accepted, activitypub_core::Error>,
) -> (Rejection, StatusCode) {
    let e = r.expect_err("the request must be rejected");
    (e.rejection().expect("a rejection"), e.status())
}

#[tokio::test]
async fn an_honest_request_is_accepted_and_handled() {
    let s = setup().await;
    let body = s.note_create(1);
    let ok = s.post(s.sign(&body)).await.unwrap();
    assert!(!ok.duplicate);
    assert_eq!(ok.actor, s.mallory.as_str());
    let run = s.us.engine.process_inbox(10).await.unwrap();
    assert_eq!(run.done, 1);
    assert_eq!(s.us.recorder.count(body["id"].as_str().unwrap()), 1);
    // And as a response: 202 with an empty body.
    let resp =
        s.us.engine
            .inbox(s.sign(&s.note_create(2)), InboxTarget::Shared)
            .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn forged_signature() {
    let s = setup().await;
    // Signed with another key under mallory's key id.
    let other = PrivateKey::generate_ed25519().unwrap();
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&s.note_create(1)).unwrap(),
        &format!("{}#main-key", s.mallory.as_str()),
        &other,
        Scheme::Cavage,
        s.now(),
    );
    assert_eq!(
        rejection(s.post(req).await),
        (Rejection::Signature, StatusCode::UNAUTHORIZED)
    );
    // A signature header whose bytes were tampered with.
    let mut req = s.sign(&s.note_create(2));
    let sig = req.headers()["signature"]
        .to_str()
        .unwrap()
        .replace("signature=\"", "signature=\"AAAA");
    req.headers_mut().insert("signature", sig.parse().unwrap());
    assert_eq!(rejection(s.post(req).await).1, StatusCode::UNAUTHORIZED);
    // No signature at all.
    let mut req = s.sign(&s.note_create(3));
    req.headers_mut().remove("signature");
    assert_eq!(rejection(s.post(req).await).1, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signer_is_not_the_actor() {
    let s = setup().await;
    let bob_key = PrivateKey::generate_ed25519().unwrap();
    let bob = s.evil.actor("bob", &bob_key);
    let mut body = s.note_create(1);
    body["actor"] = json!(bob.as_str());
    // Signed by mallory (a valid signature) but claiming to be bob.
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::Forbidden, StatusCode::FORBIDDEN)
    );
}

#[tokio::test]
async fn object_from_another_origin() {
    let s = setup().await;
    let mut body = s.note_create(1);
    body["object"]["id"] = json!("http://victim.test/users/v/statuses/1");
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::Forbidden, StatusCode::FORBIDDEN)
    );
    // And an activity id on another origin than its actor.
    let mut body = s.note_create(2);
    body["id"] = json!("http://victim.test/activities/2");
    assert_eq!(
        rejection(s.post(s.sign(&body)).await).0,
        Rejection::Forbidden
    );
}

#[tokio::test]
async fn an_embedded_object_from_another_origin_is_refetched_not_trusted() {
    let s = setup().await;
    // An Announce embedding a forged copy of victim's post; victim's server has the real one.
    let victim = Remote::start(&s.net, "victim.test");
    let vkey = PrivateKey::generate_ed25519().unwrap();
    let v = victim.actor("v", &vkey);
    let real = json!({"id": format!("{}/statuses/1", v.as_str()), "type": "Note",
        "attributedTo": v.as_str(), "content": "the real words"});
    victim.put(
        "/users/v/statuses/1",
        StatusCode::OK,
        serde_json::to_vec(&real).unwrap(),
    );
    let mut forged = real.clone();
    forged["content"] = json!("words put in v's mouth");
    let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/boosts/1", s.mallory.as_str()), "type": "Announce",
        "actor": s.mallory.as_str(), "object": forged});
    s.post(s.sign(&body)).await.unwrap();
    s.us.engine.process_inbox(10).await.unwrap();
    // The handler got the object as its origin serves it.
    let objects = s.us.recorder.seen.lock().unwrap().objects.clone();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["content"], "the real words");
    let fetched = s
        .net
        .log()
        .iter()
        .filter(|r| r.path == "/users/v/statuses/1")
        .count();
    assert_eq!(fetched, 1, "the object was fetched from its origin");
}

#[tokio::test]
async fn replayed_activity_is_processed_once() {
    let s = setup().await;
    let body = s.note_create(1);
    let req = s.sign(&body);
    let (parts, bytes) = req.into_parts();
    let again = http::Request::from_parts(parts.clone(), bytes.clone());
    let first = s
        .post(http::Request::from_parts(parts, bytes))
        .await
        .unwrap();
    let second = s.post(again).await.unwrap();
    assert!(!first.duplicate);
    assert!(second.duplicate);
    s.us.engine.process_inbox(10).await.unwrap();
    assert_eq!(s.us.recorder.count(body["id"].as_str().unwrap()), 1);
    assert_eq!(s.us.engine.process_inbox(10).await.unwrap().leased, 0);
}

#[tokio::test]
async fn stale_date() {
    let s = setup().await;
    let old = s.now() - Duration::from_secs(2 * 3600);
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&s.note_create(1)).unwrap(),
        &format!("{}#main-key", s.mallory.as_str()),
        &s.mallory_key,
        Scheme::Cavage,
        old,
    );
    assert_eq!(
        rejection(s.post(req).await),
        (Rejection::Signature, StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn future_date() {
    let s = setup().await;
    let later = s.now() + Duration::from_secs(2 * 3600);
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let req = signed_post(
            "http://wool.test/inbox",
            &serde_json::to_vec(&s.note_create(1)).unwrap(),
            &format!("{}#main-key", s.mallory.as_str()),
            &s.mallory_key,
            scheme,
            later,
        );
        assert_eq!(
            rejection(s.post(req).await),
            (Rejection::Signature, StatusCode::UNAUTHORIZED)
        );
    }
    // No key was fetched for a request outside the window.
    assert_eq!(s.net.log().len(), 0);
}

#[tokio::test]
async fn digest_mismatch() {
    let s = setup().await;
    let req = s.sign(&s.note_create(1));
    let (parts, _) = req.into_parts();
    let tampered = serde_json::to_vec(&s.note_create(2)).unwrap();
    let req = http::Request::from_parts(parts, Bytes::from(tampered));
    assert_eq!(
        rejection(s.post(req).await),
        (Rejection::Digest, StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn missing_digest_on_post() {
    let s = setup().await;
    let mut req = s.sign(&s.note_create(1));
    req.headers_mut().remove("digest");
    assert_eq!(
        rejection(s.post(req).await),
        (Rejection::Digest, StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn oversized_body() {
    let s = setup().await;
    let mut body = s.note_create(1);
    body["object"]["content"] = json!("a".repeat(1 << 20));
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::TooLarge, StatusCode::PAYLOAD_TOO_LARGE)
    );
    // A Content-Length announcing more is refused before anything else is read.
    let mut req = s.sign(&s.note_create(2));
    req.headers_mut()
        .insert("content-length", "5000000".parse().unwrap());
    assert_eq!(rejection(s.post(req).await).0, Rejection::TooLarge);
}

#[tokio::test]
async fn deeply_nested_json() {
    let s = setup().await;
    let mut body = s.note_create(1);
    let mut nested = json!("x");
    for _ in 0..200 {
        nested = json!([nested]);
    }
    body["object"]["nested"] = nested;
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::BadRequest, StatusCode::BAD_REQUEST)
    );
    // Garbage that is not JSON at all.
    let req = signed_post(
        "http://wool.test/inbox",
        b"{not json",
        &format!("{}#main-key", s.mallory.as_str()),
        &s.mallory_key,
        Scheme::Cavage,
        s.now(),
    );
    assert_eq!(rejection(s.post(req).await).1, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_content_type() {
    let s = setup().await;
    let mut req = s.sign(&s.note_create(1));
    req.headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(
        rejection(s.post(req).await),
        (
            Rejection::UnsupportedMediaType,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        )
    );
}

#[tokio::test]
async fn not_an_activity() {
    let s = setup().await;
    let mut body = s.note_create(1);
    body.as_object_mut().unwrap().remove("id");
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::Unprocessable, StatusCode::UNPROCESSABLE_ENTITY)
    );
}

#[tokio::test]
async fn create_of_a_tombstoned_iri() {
    let s = setup().await;
    let body = s.note_create(1);
    let note_id = body["object"]["id"].as_str().unwrap();
    s.us.store
        .delete_document(note_id, &Tombstone::new(s.us.engine.now()))
        .await
        .unwrap();
    assert_eq!(
        rejection(s.post(s.sign(&body)).await),
        (Rejection::Gone, StatusCode::GONE)
    );
}

#[tokio::test]
async fn key_rotation() {
    let s = setup().await;
    // The old key is cached after a first request.
    s.post(s.sign(&s.note_create(1))).await.unwrap();
    // Mallory's server rotates the key.
    let new_key = PrivateKey::generate_ed25519().unwrap();
    s.evil.actor("mallory", &new_key);
    let key_id = format!("{}#main-key", s.mallory.as_str());
    let fetches_before = s.net.log().len();
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&s.note_create(2)).unwrap(),
        &key_id,
        &new_key,
        Scheme::Cavage,
        s.now(),
    );
    s.post(req)
        .await
        .expect("the new key is accepted after one refetch");
    assert_eq!(s.net.log().len(), fetches_before + 1, "exactly one refetch");
    // The old key no longer works.
    let old = s.sign(&s.note_create(3));
    assert_eq!(rejection(s.post(old).await).0, Rejection::Signature);
}

#[tokio::test]
async fn delete_from_an_actor_whose_key_is_gone() {
    let s = setup().await;
    // Mallory's account is deleted: the actor answers 410.
    s.evil.put("/users/mallory", StatusCode::GONE, Vec::new());
    let m = s.mallory.as_str();
    let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{m}#delete"), "type": "Delete", "actor": m, "object": m,
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let ok = s.post(s.sign(&body)).await.expect("accepted quietly");
    assert!(ok.actor_gone);
    s.us.engine.process_inbox(10).await.unwrap();
    assert_eq!(s.us.recorder.seen.lock().unwrap().gone, vec![m.to_owned()]);
    // A Delete of something else from a gone actor is not accepted.
    let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{m}#delete2"), "type": "Delete", "actor": m,
        "object": format!("{m}/statuses/1")});
    assert_eq!(
        rejection(s.post(s.sign(&body)).await).0,
        Rejection::Signature
    );
}

#[tokio::test]
async fn rfc9421_requests_are_accepted_and_remembered() {
    let s = setup().await;
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&s.note_create(1)).unwrap(),
        &format!("{}#main-key", s.mallory.as_str()),
        &s.mallory_key,
        Scheme::Rfc9421,
        s.now(),
    );
    let ok = s.post(req).await.unwrap();
    assert_eq!(ok.scheme.as_deref(), Some("rfc9421"));
    assert_eq!(s.us.engine.scheme_for("evil.test"), Scheme::Rfc9421);
    let _ = &s.clock;
}

/// Mastodon sends the `Add` / `Remove` of a pinned post without an `id`: it is accepted,
/// handled once, and a replay of the same bytes is a duplicate; a different id-less activity
/// is not.
#[tokio::test]
async fn activities_without_an_id_are_deduplicated_by_their_bytes() {
    let s = setup().await;
    let m = s.mallory.as_str();
    let add = |n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Add",
            "actor": m,
            "object": format!("{m}/statuses/{n}"),
            "target": format!("{m}/collections/featured"),
        })
    };
    let req = s.sign(&add(1));
    let (parts, bytes) = req.into_parts();
    let first = s
        .post(http::Request::from_parts(parts.clone(), bytes.clone()))
        .await
        .unwrap();
    let again = s
        .post(http::Request::from_parts(parts, bytes))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(
        first.activity_id.starts_with("urn:woolly:activity-sha256:"),
        "{}",
        first.activity_id
    );
    assert!(again.duplicate);
    assert_eq!(again.activity_id, first.activity_id);
    let other = s.post(s.sign(&add(2))).await.unwrap();
    assert!(!other.duplicate);
    assert_ne!(other.activity_id, first.activity_id);
    s.us.engine.process_inbox(10).await.unwrap();
    let adds =
        s.us.recorder
            .kinds()
            .iter()
            .filter(|k| k.as_str() == "Add")
            .count();
    assert_eq!(adds, 2, "each distinct Add handled exactly once");
    assert_eq!(s.us.engine.process_inbox(10).await.unwrap().leased, 0);
}
