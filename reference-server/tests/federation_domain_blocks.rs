//! User-level domain blocks (`/api/v1/domain_blocks`) between two instances in process on
//! one in-memory network: blocking a domain ends the follows with it both ways on the wire
//! (`Undo` of the user's `Follow`, `Reject` of the domain's follows), and hides the domain
//! from the user's timelines and notifications (dismissing those it had); the list pages with
//! `Link`.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Method, Request, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

/// Activities POSTed to an instance, as received (JSON).
type Seen = Arc<Mutex<Vec<Value>>>;

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

/// A client API call with an optional form body: status, `Link` header and JSON body.
async fn api(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Option<String>, Value) {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        ser.append_pair(k, v);
    }
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let req = b.body(Bytes::from(ser.finish())).unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    let link = resp
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        resp.status(),
        link,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

async fn post(app: &App, account: u64, text: &str) -> reference_server::app::Status {
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

fn uris(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_user_domain_block_ends_follows_on_the_wire_and_hides_the_domain() {
    let net = MemoryNetwork::new();
    let (a, _) = instance(&net, "wool.test").await;
    let (b, seen_by_b) = instance(&net, "yarn.test").await;
    let alice = a.create_account("alice", None, false).await.unwrap();
    let ta = reference_server::api::create_token(&a, alice.id, "read write")
        .await
        .unwrap();
    let bob = b.create_account("bob", None, false).await.unwrap();
    let carol = b.create_account("carol", None, false).await.unwrap();

    // Alice and bob follow each other across instances.
    let bob_at_a = a
        .resolve_handle("bob@yarn.test", true)
        .await
        .unwrap()
        .unwrap();
    let alice_at_b = b
        .resolve_handle("alice@wool.test", true)
        .await
        .unwrap()
        .unwrap();
    a.follow(alice.id, bob_at_a.id).await.unwrap();
    b.follow(bob.id, alice_at_b.id).await.unwrap();
    pump(&[&a, &b]).await;
    assert!(a.is_following(alice.id, bob_at_a.id).await.unwrap());
    assert!(b.is_following(bob.id, alice_at_b.id).await.unwrap());
    let before = post(&b, bob.id, "hello from yarn").await;
    post(&b, carol.id, "@alice@wool.test early").await;
    pump(&[&a, &b]).await;
    let (_, _, notifications) = api(&a, Method::GET, "/api/v1/notifications", Some(&ta), &[]).await;
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notifications}"
    );
    let (_, _, home) = api(&a, Method::GET, "/api/v1/timelines/home", Some(&ta), &[]).await;
    assert!(uris(&home).contains(&before.uri), "{home}");

    // Alice blocks the domain.
    seen_by_b.lock().unwrap().clear();
    let (status, _, body) = api(
        &a,
        Method::POST,
        "/api/v1/domain_blocks",
        Some(&ta),
        &[("domain", "Yarn.Test")],
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    pump(&[&a, &b]).await;

    // On the wire: an Undo of alice's Follow of bob and a Reject of bob's Follow of alice.
    let seen = seen_by_b.lock().unwrap().clone();
    let undo = seen
        .iter()
        .find(|v| v["type"] == "Undo")
        .unwrap_or_else(|| panic!("no Undo in {seen:?}"));
    assert_eq!(undo["actor"], "http://wool.test/users/alice");
    assert_eq!(undo["object"]["type"], "Follow");
    assert_eq!(undo["object"]["object"], "http://yarn.test/users/bob");
    let reject = seen
        .iter()
        .find(|v| v["type"] == "Reject")
        .unwrap_or_else(|| panic!("no Reject in {seen:?}"));
    assert_eq!(reject["actor"], "http://wool.test/users/alice");
    assert_eq!(reject["object"]["type"], "Follow");
    assert_eq!(reject["object"]["actor"], "http://yarn.test/users/bob");
    // Both ends agree that no follow is left.
    assert!(!a.is_following(alice.id, bob_at_a.id).await.unwrap());
    assert!(!a.is_following(bob_at_a.id, alice.id).await.unwrap());
    assert!(!b.is_following(bob.id, alice_at_b.id).await.unwrap());
    assert!(!b.is_following(alice_at_b.id, bob.id).await.unwrap());

    // The domain is gone from alice's home and public timelines, and from her notifications
    // (those received before the block are dismissed, new ones never made).
    let (_, _, home) = api(&a, Method::GET, "/api/v1/timelines/home", Some(&ta), &[]).await;
    assert_eq!(home, json!([]));
    let (_, _, public) = api(&a, Method::GET, "/api/v1/timelines/public", Some(&ta), &[]).await;
    assert!(!uris(&public).contains(&before.uri), "{public}");
    let (_, _, anon) = api(&a, Method::GET, "/api/v1/timelines/public", None, &[]).await;
    assert!(uris(&anon).contains(&before.uri), "others still see it");
    let mention = post(&b, carol.id, "@alice@wool.test hi").await;
    pump(&[&a, &b]).await;
    assert!(a.status_by_uri(&mention.uri).await.unwrap().is_some());
    let (_, _, notifications) = api(&a, Method::GET, "/api/v1/notifications", Some(&ta), &[]).await;
    assert!(
        !notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notifications}"
    );
    let (_, _, rel) = api(
        &a,
        Method::GET,
        &format!("/api/v1/accounts/relationships?id[]={}", bob_at_a.id),
        Some(&ta),
        &[],
    )
    .await;
    assert_eq!(rel[0]["domain_blocking"], true);
    assert_eq!(rel[0]["following"], false);
    assert_eq!(rel[0]["followed_by"], false);

    // The list: strings, newest first, paged with `Link`.
    for d in ["one.example", "two.example"] {
        let (s, _, _) = api(
            &a,
            Method::POST,
            "/api/v1/domain_blocks",
            Some(&ta),
            &[("domain", d)],
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (status, link, list) = api(
        &a,
        Method::GET,
        "/api/v1/domain_blocks?limit=2",
        Some(&ta),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!(["two.example", "one.example"]));
    let link = link.expect("a Link header");
    let next = link
        .split(", ")
        .find(|p| p.ends_with("rel=\"next\""))
        .unwrap();
    let next = next.trim_start_matches('<').split('>').next().unwrap();
    let path = next.strip_prefix("http://wool.test").unwrap();
    let (_, _, rest) = api(&a, Method::GET, path, Some(&ta), &[]).await;
    assert_eq!(rest, json!(["yarn.test"]));

    // Unblocking: `{}`, and the domain is listed no more.
    let (status, _, body) = api(
        &a,
        Method::DELETE,
        "/api/v1/domain_blocks",
        Some(&ta),
        &[("domain", "yarn.test")],
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let (_, _, list) = api(&a, Method::GET, "/api/v1/domain_blocks", Some(&ta), &[]).await;
    assert_eq!(list, json!(["two.example", "one.example"]));
    let (_, _, public) = api(&a, Method::GET, "/api/v1/timelines/public", Some(&ta), &[]).await;
    assert!(uris(&public).contains(&before.uri));

    // Errors: a blank domain 422, no token 401, a token without write:blocks 403.
    let (status, _, body) = api(
        &a,
        Method::POST,
        "/api/v1/domain_blocks",
        Some(&ta),
        &[("domain", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Validation failed: Domain can't be blank");
    let (status, _, _) = api(&a, Method::GET, "/api/v1/domain_blocks", None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let read_only = reference_server::api::create_token(&a, alice.id, "read")
        .await
        .unwrap();
    let (status, _, _) = api(
        &a,
        Method::POST,
        "/api/v1/domain_blocks",
        Some(&read_only),
        &[("domain", "x.example")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
