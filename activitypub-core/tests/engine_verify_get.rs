//! `Engine::verify_get`: who signed a GET (authorized fetch), with the inbox's key cache,
//! shared key fetches, key-rotation refetch and URI rebuilding.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::{Duration, SystemTime};

use activitypub_core::engine::transport::memory::{Faults, Latency, MemoryNetwork};
use activitypub_core::engine::{Rejection, SignedBy};
use activitypub_core::{Actor, ObjectId};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_sig::{PrivateKey, Scheme, SignOptions};
use support::{start_clock, Backend, Instance, Remote};

struct Setup {
    net: MemoryNetwork,
    us: Instance,
    remote: Remote,
    bob_key: PrivateKey,
    bob: ObjectId<Actor>,
}

async fn setup() -> Setup {
    let net = MemoryNetwork::with_seed(21);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, "remote.test");
    let bob_key = PrivateKey::generate_ed25519().unwrap();
    let bob = remote.actor("bob", &bob_key);
    Setup {
        net,
        us,
        remote,
        bob_key,
        bob,
    }
}

impl Setup {
    fn now(&self) -> SystemTime {
        self.us.engine.now().into()
    }
    fn key_id(&self) -> String {
        format!("{}#main-key", self.bob.as_str())
    }
    /// A GET of `url` signed with `key` under bob's key id, as of `at`.
    fn get(&self, url: &str, key: &PrivateKey, scheme: Scheme, at: SystemTime) -> Request<Bytes> {
        self.signed(http::Method::GET, url, key, scheme, at)
    }
    /// A request of `method` to `url`, signed with `key` under bob's key id, as of `at`.
    fn signed(
        &self,
        method: http::Method,
        url: &str,
        key: &PrivateKey,
        scheme: Scheme,
        at: SystemTime,
    ) -> Request<Bytes> {
        let (mut parts, ()) = Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        let opts = match scheme {
            Scheme::Cavage => SignOptions::cavage(self.key_id()),
            _ => SignOptions::rfc9421(self.key_id()),
        };
        http_sig::sign_request(&mut parts, b"", key, &opts, at).unwrap();
        Request::from_parts(parts, Bytes::new())
    }
    /// How many GETs of bob's actor document reached remote.test.
    fn bob_fetches(&self) -> usize {
        self.net
            .log()
            .iter()
            .filter(|r| r.authority == "remote.test" && r.path == "/users/bob")
            .count()
    }
}

/// Asserts `got` names bob's key, bob and `scheme`.
fn check(got: &SignedBy, s: &Setup, scheme: Scheme) {
    assert_eq!(got.key_id, s.key_id());
    assert_eq!(got.actor, s.bob.as_str());
    assert_eq!(got.scheme, scheme);
}

fn rejection(r: Result<Option<SignedBy>, activitypub_core::Error>) -> (Rejection, StatusCode) {
    let e = r.expect_err("the request must be refused");
    (e.rejection().expect("a rejection"), e.status())
}

#[tokio::test]
async fn a_cavage_get_from_an_unknown_key_is_verified_after_one_fetch() {
    let s = setup().await;
    let req = s.get(
        "http://wool.test/users/alice",
        &s.bob_key,
        Scheme::Cavage,
        s.now(),
    );
    let got = s.us.engine.verify_get(&req).await.unwrap().expect("signed");
    check(&got, &s, Scheme::Cavage);
    assert_eq!(s.bob_fetches(), 1, "the unknown key was fetched");
    // Again: from the cache.
    let got = s.us.engine.verify_get(&req).await.unwrap().expect("signed");
    check(&got, &s, Scheme::Cavage);
    assert_eq!(s.bob_fetches(), 1);
}

#[tokio::test]
async fn an_rfc9421_get_is_verified_also_in_origin_form() {
    let s = setup().await;
    let req = s.get(
        "http://wool.test/users/alice/outbox?page=true",
        &s.bob_key,
        Scheme::Rfc9421,
        s.now(),
    );
    let got = s.us.engine.verify_get(&req).await.unwrap().expect("signed");
    check(&got, &s, Scheme::Rfc9421);
    // As a server receives it: origin-form URI and a Host header. The URI is rebuilt with
    // the base URL's scheme (http here), as the inbox does, so @target-uri matches.
    let (mut parts, body) = req.into_parts();
    parts.uri = "/users/alice/outbox?page=true".parse().unwrap();
    parts
        .headers
        .insert("host", http::HeaderValue::from_static("wool.test"));
    let req = Request::from_parts(parts, body);
    let got = s.us.engine.verify_get(&req).await.unwrap().expect("signed");
    check(&got, &s, Scheme::Rfc9421);
    // A HEAD is a fetch too.
    let head = s.signed(
        http::Method::HEAD,
        "http://wool.test/users/alice",
        &s.bob_key,
        Scheme::Cavage,
        s.now(),
    );
    let got =
        s.us.engine
            .verify_get(&head)
            .await
            .unwrap()
            .expect("signed");
    check(&got, &s, Scheme::Cavage);
    // A GET's signature does not verify as a HEAD: the method is covered.
    let (mut parts, body) = s
        .get(
            "http://wool.test/users/alice",
            &s.bob_key,
            Scheme::Cavage,
            s.now(),
        )
        .into_parts();
    parts.method = http::Method::HEAD;
    let head = Request::from_parts(parts, body);
    assert_eq!(
        rejection(s.us.engine.verify_get(&head).await),
        (Rejection::Signature, StatusCode::UNAUTHORIZED)
    );
    // (A cached key that fails is fetched again once, in case it rotated.)
    assert_eq!(s.bob_fetches(), 2);
}

#[tokio::test]
async fn a_bad_signature_is_401_after_one_refetch() {
    let s = setup().await;
    let good = s.get(
        "http://wool.test/users/alice",
        &s.bob_key,
        Scheme::Cavage,
        s.now(),
    );
    s.us.engine
        .verify_get(&good)
        .await
        .unwrap()
        .expect("signed");
    assert_eq!(s.bob_fetches(), 1);
    // Signed with another key under bob's key id.
    let other = PrivateKey::generate_ed25519().unwrap();
    let bad = s.get(
        "http://wool.test/users/alice",
        &other,
        Scheme::Cavage,
        s.now(),
    );
    assert_eq!(
        rejection(s.us.engine.verify_get(&bad).await),
        (Rejection::Signature, StatusCode::UNAUTHORIZED)
    );
    // The cached key failed: fetched again once (it might have rotated), still no match.
    assert_eq!(s.bob_fetches(), 2);
    // A tampered signature on the path: the signed URI is not the one requested.
    let (mut parts, body) = good.into_parts();
    parts.uri = "http://wool.test/users/admin".parse().unwrap();
    let moved = Request::from_parts(parts, body);
    assert_eq!(
        rejection(s.us.engine.verify_get(&moved).await).0,
        Rejection::Signature
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again() {
    let s = setup().await;
    let old = s.get(
        "http://wool.test/users/alice",
        &s.bob_key,
        Scheme::Cavage,
        s.now(),
    );
    s.us.engine.verify_get(&old).await.unwrap().expect("signed");
    // bob's server rotates the key; the engine still has the old one cached.
    let new_key = PrivateKey::generate_ed25519().unwrap();
    s.remote.actor("bob", &new_key);
    let req = s.get(
        "http://wool.test/users/alice",
        &new_key,
        Scheme::Rfc9421,
        s.now(),
    );
    let got = s.us.engine.verify_get(&req).await.unwrap().expect("signed");
    check(&got, &s, Scheme::Rfc9421);
    assert_eq!(s.bob_fetches(), 2);
}

#[tokio::test]
async fn a_stale_get_is_refused_without_a_fetch() {
    let s = setup().await;
    let two_hours_ago = s.now() - Duration::from_secs(2 * 3600);
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let req = s.get(
            "http://wool.test/users/alice",
            &s.bob_key,
            scheme,
            two_hours_ago,
        );
        assert_eq!(
            rejection(s.us.engine.verify_get(&req).await),
            (Rejection::Signature, StatusCode::UNAUTHORIZED),
            "{scheme:?}"
        );
    }
    assert_eq!(s.bob_fetches(), 0, "no key is fetched for a stale request");
    // From the future (beyond the allowed skew): refused too.
    let later = s.now() + Duration::from_secs(2 * 3600);
    let req = s.get(
        "http://wool.test/users/alice",
        &s.bob_key,
        Scheme::Cavage,
        later,
    );
    assert_eq!(
        rejection(s.us.engine.verify_get(&req).await).0,
        Rejection::Signature
    );
    assert_eq!(s.bob_fetches(), 0);
}

#[tokio::test]
async fn unsigned_requests_are_anonymous_and_other_methods_refused() {
    let s = setup().await;
    let plain = Request::get("http://wool.test/users/alice")
        .header("accept", "application/activity+json")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(s.us.engine.verify_get(&plain).await.unwrap(), None);
    // A bearer token is not an HTTP signature.
    let bearer = Request::get("http://wool.test/users/alice")
        .header("authorization", "Bearer abc")
        .body(())
        .unwrap();
    assert_eq!(s.us.engine.verify_get(&bearer).await.unwrap(), None);
    // A malformed signature header is a signature that does not verify.
    let garbled = Request::get("http://wool.test/users/alice")
        .header("signature", "keyId=")
        .body(())
        .unwrap();
    assert_eq!(
        rejection(s.us.engine.verify_get(&garbled).await).0,
        Rejection::Signature
    );
    let post = Request::post("http://wool.test/inbox")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        rejection(s.us.engine.verify_get(&post).await),
        (Rejection::BadRequest, StatusCode::BAD_REQUEST)
    );
    assert_eq!(s.bob_fetches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_gets_with_an_unknown_key_share_one_fetch() {
    let s = setup().await;
    s.net.set_host_faults(
        "remote.test",
        Faults::none().with_latency(Latency::fixed(Duration::from_millis(200))),
    );
    let mut tasks = Vec::new();
    for n in 0..16 {
        let req = s.get(
            &format!("http://wool.test/users/alice/statuses/{n}"),
            &s.bob_key,
            if n % 2 == 0 {
                Scheme::Cavage
            } else {
                Scheme::Rfc9421
            },
            s.now(),
        );
        let engine = s.us.engine.clone();
        tasks.push(tokio::spawn(async move { engine.verify_get(&req).await }));
    }
    for t in tasks {
        let got = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("answered within 30 s")
            .unwrap();
        assert_eq!(got.unwrap().expect("signed").actor, s.bob.as_str());
    }
    assert_eq!(s.bob_fetches(), 1);
}
