//! Rate limits, in process, on a manual clock (no test sleeps): the `X-RateLimit-*` headers
//! on every client-API answer, `Remaining` counting down, Mastodon's `429` past the limit and
//! the count starting again once the clock passes the window; tokens and client addresses
//! counted apart; per-account families (statuses, follows, uploads); failed sign-ins per
//! address and per account; the inbox's bucket per remote host; the counters' memory bound.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{Clock, ManualClock, Timestamp};
use http::{Method, Request, StatusCode};
use reference_server::http::Router;
use reference_server::limits::Rate;
use reference_server::{App, Config};
use serde_json::{json, Value};

use crate::api_support::{self as support, Answer};
use crate::remote_peer;

/// 2026-12-07T18:00:00Z, the start of a window of any period of minutes.
const T0: u64 = 1_796_666_400_000;

/// An instance at `https://wool.test` on a manual clock at [`T0`], with `f` applied to its
/// configuration.
async fn instance(f: impl FnOnce(&mut Config)) -> (App, Router, ManualClock, MemoryNetwork) {
    let mut config = Config {
        base_url: "https://wool.test".into(),
        ..Config::default()
    };
    f(&mut config);
    let clock = ManualClock::new(Timestamp::from_unix_millis(T0));
    let net = MemoryNetwork::new();
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(net.clone()),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app.clone(), Router::new(app), clock, net)
}

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40_000)
}

/// A request through the router from `from`, with a bearer `token`, extra `headers` and a
/// form `body` (a POST when given).
async fn send(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    from: &str,
    form: Option<&[(&str, &str)]>,
) -> Answer {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match form {
        Some(fields) => {
            b = b.header("content-type", "application/x-www-form-urlencoded");
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                ser.append_pair(k, v);
            }
            Bytes::from(ser.finish())
        }
        None => Bytes::new(),
    };
    let resp = router.handle(b.body(body).unwrap(), Some(peer(from))).await;
    let (parts, body) = resp.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(router: &Router, path: &str, token: Option<&str>, from: &str) -> Answer {
    send(router, Method::GET, path, token, from, None).await
}

/// `(Limit, Remaining, Reset)` of an answer.
fn quota(a: &Answer) -> (u32, u32, String) {
    let n = |h: &str| {
        a.header(h)
            .unwrap_or_else(|| panic!("no {h} on {} {}", a.status, a.text))
            .parse::<u32>()
            .unwrap()
    };
    (
        n("x-ratelimit-limit"),
        n("x-ratelimit-remaining"),
        a.header("x-ratelimit-reset").unwrap().to_owned(),
    )
}

/// Checks a `429` as Mastodon answers it.
fn assert_too_many(a: &Answer, limit: u32, reset: &str) {
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    assert_eq!(a.body, json!({"error": "Too many requests"}));
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(quota(a), (limit, 0, reset.to_owned()));
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

#[tokio::test]
async fn every_api_answer_counts_down_and_429_until_the_window_ends() {
    let (app, router, clock, _) = instance(|c| {
        c.rate_limits.api_per_token = Rate::new(5, 60);
    })
    .await;
    let (_, token) = support::user(&app, "alice").await;
    let reset = "2026-12-07T18:01:00.000000Z";
    // Answers of every kind carry the headers: 200, 404, 422.
    let a = get(
        &router,
        "/api/v1/accounts/verify_credentials",
        Some(&token),
        "192.0.2.1",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(quota(&a), (5, 4, reset.to_owned()));
    let a = get(&router, "/api/v1/statuses/99999", Some(&token), "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(quota(&a), (5, 3, reset.to_owned()));
    let a = send(
        &router,
        Method::POST,
        "/api/v1/statuses",
        Some(&token),
        "192.0.2.1",
        Some(&[("status", "")]),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(quota(&a), (5, 2, reset.to_owned()));
    clock.advance(Duration::from_secs(30));
    for left in [1, 0] {
        let a = get(&router, "/api/v1/timelines/home", Some(&token), "192.0.2.1").await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(quota(&a), (5, left, reset.to_owned()));
    }
    // Past the limit: 429, whatever the endpoint, from any address.
    let a = get(&router, "/api/v1/timelines/home", Some(&token), "192.0.2.1").await;
    assert_too_many(&a, 5, reset);
    assert_eq!(a.header("retry-after"), Some("30"));
    let a = get(&router, "/api/v1/instance", Some(&token), "198.51.100.7").await;
    assert_too_many(&a, 5, reset);
    // In-process callers without an address are counted by token too.
    let a = support::get(&app, "/api/v1/timelines/home", Some(&token)).await;
    assert_too_many(&a, 5, reset);
    // The next window starts again.
    clock.advance(Duration::from_secs(30));
    let a = get(&router, "/api/v1/timelines/home", Some(&token), "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(quota(&a), (5, 4, "2026-12-07T18:02:00.000000Z".to_owned()));
    // Pages and federation answers are not the client API: no headers.
    let page = router
        .handle(
            Request::get("/users/alice")
                .header("accept", "application/activity+json")
                .body(Bytes::new())
                .unwrap(),
            Some(peer("192.0.2.1")),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn addresses_and_tokens_are_counted_apart() {
    let (app, router, clock, _) = instance(|c| {
        c.rate_limits.api_per_ip = Rate::new(3, 300);
        c.rate_limits.api_per_token = Rate::new(4, 300);
        c.rate_limits.api_per_account = Rate::new(6, 300);
    })
    .await;
    let (_, alice) = support::user(&app, "alice").await;
    let alice2 = reference_server::api::create_token(
        &app,
        app.account_by_acct("alice").await.unwrap().unwrap().id,
        "read",
    )
    .await
    .unwrap();
    let (_, bob) = support::user(&app, "bob").await;
    let reset = "2026-12-07T18:05:00.000000Z";
    // Without a token, per address.
    for left in [2, 1, 0] {
        let a = get(&router, "/api/v1/timelines/public", None, "192.0.2.1").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        assert_eq!(quota(&a), (3, left, reset.to_owned()));
    }
    assert_too_many(
        &get(&router, "/api/v1/timelines/public", None, "192.0.2.1").await,
        3,
        reset,
    );
    // Another address has its own count; X-Forwarded-For is not believed by default.
    let a = get(&router, "/api/v1/timelines/public", None, "192.0.2.2").await;
    assert_eq!(quota(&a), (3, 2, reset.to_owned()));
    let mut spoofed = Request::get("/api/v1/timelines/public")
        .header("x-forwarded-for", "203.0.113.50")
        .body(Bytes::new())
        .unwrap();
    spoofed
        .extensions_mut()
        .insert(reference_server::limits::Peer(peer("192.0.2.1")));
    let r = router.handle(spoofed, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // IPv6 counts by /64.
    for (ip, left) in [
        ("2001:db8::1", 2),
        ("2001:db8::ffff:1", 1),
        ("2001:db8:0:1::1", 2),
    ] {
        let a = get(&router, "/api/v1/timelines/public", None, ip).await;
        assert_eq!(quota(&a).1, left, "{ip}");
    }
    // A token from the throttled address is counted by token, not by address.
    let a = get(&router, "/api/v1/timelines/home", Some(&alice), "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(quota(&a), (4, 3, reset.to_owned()));
    let a = get(&router, "/api/v1/timelines/home", Some(&bob), "192.0.2.1").await;
    assert_eq!(quota(&a), (4, 3, reset.to_owned()));
    for left in [2, 1, 0] {
        let a = get(&router, "/api/v1/timelines/home", Some(&alice), "192.0.2.1").await;
        assert_eq!(quota(&a), (4, left, reset.to_owned()));
    }
    assert_too_many(
        &get(&router, "/api/v1/timelines/home", Some(&alice), "192.0.2.1").await,
        4,
        reset,
    );
    // Her second token has its own count, but her account's (6) is shared by both: it has
    // counted her first token's 4 (the refused request stopped at the token's limit).
    for left in [1, 0] {
        let a = get(
            &router,
            "/api/v1/timelines/home",
            Some(&alice2),
            "192.0.2.9",
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(quota(&a), (6, left, reset.to_owned()));
    }
    assert_too_many(
        &get(
            &router,
            "/api/v1/timelines/home",
            Some(&alice2),
            "192.0.2.9",
        )
        .await,
        6,
        reset,
    );
    // All of it ends with the window.
    clock.advance(Duration::from_secs(300));
    let a = get(&router, "/api/v1/timelines/public", None, "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(quota(&a).1, 2);
    let a = get(&router, "/api/v1/timelines/home", Some(&alice), "192.0.2.1").await;
    assert_eq!(quota(&a).1, 3);
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let (_, router, _, _) = instance(|c| {
        c.trusted_proxies = vec!["10.0.0.0/8".into()];
        c.rate_limits.api_per_ip = Rate::new(2, 60);
    })
    .await;
    let from_proxy = |client: &str| {
        let mut r = Request::get("/api/v1/instance")
            .header("x-forwarded-for", format!("{client}, 10.1.2.3"))
            .body(Bytes::new())
            .unwrap();
        r.extensions_mut()
            .insert(reference_server::limits::Peer(peer("10.9.9.9")));
        r
    };
    for left in ["1", "0"] {
        let r = router.handle(from_proxy("203.0.113.1"), None).await;
        assert_eq!(r.headers()["x-ratelimit-remaining"], left);
    }
    let r = router.handle(from_proxy("203.0.113.1"), None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = router.handle(from_proxy("203.0.113.2"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "1");
}

#[tokio::test]
async fn statuses_follows_and_uploads_are_limited_per_account() {
    let (app, router, clock, _) = instance(|c| {
        c.rate_limits.statuses = Rate::new(2, 3 * 3600);
        c.rate_limits.follows = Rate::new(1, 86_400);
        c.rate_limits.media_uploads = Rate::new(1, 1800);
    })
    .await;
    let (_, token) = support::user(&app, "alice").await;
    let (bob, _) = support::user(&app, "bob").await;
    let (carol, _) = support::user(&app, "carol").await;
    let reset = "2026-12-07T21:00:00.000000Z";
    let post = |text: &'static str| {
        let router = router.clone();
        let token = token.clone();
        async move {
            send(
                &router,
                Method::POST,
                "/api/v1/statuses",
                Some(&token),
                "192.0.2.1",
                Some(&[("status", text)]),
            )
            .await
        }
    };
    // A refused post is taken back.
    assert_eq!(post("").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = post("one").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // The headers show the limit closest to being reached: 2 statuses in 3 hours.
    assert_eq!(quota(&a), (2, 1, reset.to_owned()));
    assert_eq!(quota(&post("two").await), (2, 0, reset.to_owned()));
    assert_too_many(&post("three").await, 2, reset);
    // A scheduled status is not a status yet (Mastodon counts it when it is posted).
    let scheduled = send(
        &router,
        Method::POST,
        "/api/v1/statuses",
        Some(&token),
        "192.0.2.1",
        Some(&[
            ("status", "later"),
            ("scheduled_at", "2026-12-07T19:00:00Z"),
        ]),
    )
    .await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text);
    assert!(scheduled.body["params"].is_object(), "{}", scheduled.text);
    // Other requests go on.
    let a = get(&router, "/api/v1/timelines/home", Some(&token), "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(quota(&a).0, 300);

    // Follows: one a day.
    let follow = |id: u64| {
        let router = router.clone();
        let token = token.clone();
        async move {
            send(
                &router,
                Method::POST,
                &format!("/api/v1/accounts/{id}/follow"),
                Some(&token),
                "192.0.2.1",
                Some(&[]),
            )
            .await
        }
    };
    let a = follow(999_999).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "not counted");
    let a = follow(bob.id).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(quota(&a), (1, 0, "2026-12-08T00:00:00.000000Z".to_owned()));
    assert_too_many(&follow(carol.id).await, 1, "2026-12-08T00:00:00.000000Z");

    // Uploads: one in 30 minutes.
    let png = support::media::png(4, 4);
    let files: &[(&str, &str, &[u8])] = &[("file", "image/png", &png)];
    let upload = || {
        support::media::send_multipart(
            &app,
            Method::POST,
            "/api/v1/media",
            Some(&token),
            &[],
            files,
        )
    };
    let a = upload().await;
    assert!(a.status.is_success(), "{}", a.text);
    assert_eq!(quota(&a), (1, 0, "2026-12-07T18:30:00.000000Z".to_owned()));
    assert_too_many(&upload().await, 1, "2026-12-07T18:30:00.000000Z");
    clock.advance(Duration::from_secs(1800));
    assert!(upload().await.status.is_success());
}

/// The fields of a password grant for `user`/`password`.
async fn password_client(app: &App) -> (String, String) {
    let a = support::form(
        app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", "Test Client"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    (
        a.body["client_id"].as_str().unwrap().to_owned(),
        a.body["client_secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address_and_per_account() {
    let (app, router, clock, _) = instance(|c| {
        c.password_grant = true;
        c.rate_limits.login_failures_per_ip = Rate::new(3, 300);
        c.rate_limits.login_failures_per_account = Rate::new(5, 3600);
    })
    .await;
    support::user(&app, "alice").await;
    let (cid, secret) = password_client(&app).await;
    let sign_in = |password: &'static str, from: &'static str| {
        let (router, cid, secret) = (router.clone(), cid.clone(), secret.clone());
        async move {
            send(
                &router,
                Method::POST,
                "/oauth/token",
                None,
                from,
                Some(&[
                    ("grant_type", "password"),
                    ("client_id", &cid),
                    ("client_secret", &secret),
                    ("username", "alice"),
                    ("password", password),
                    ("scope", "read"),
                ]),
            )
            .await
        }
    };
    for _ in 0..3 {
        let a = sign_in("wrong", "192.0.2.1").await;
        assert_eq!(a.body["error"], "invalid_grant", "{}", a.text);
    }
    // That address is refused now, even with the right password.
    let a = sign_in("alice-password", "192.0.2.1").await;
    assert_too_many(&a, 3, "2026-12-07T18:05:00.000000Z");
    // Another address signs in.
    let a = sign_in("alice-password", "192.0.2.2").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.body["access_token"].is_string());
    // Two more failures elsewhere reach the account's limit (5 an hour): every address is
    // refused for that account until the hour ends, but not for others.
    for from in ["192.0.2.3", "192.0.2.4"] {
        assert_eq!(sign_in("wrong", from).await.body["error"], "invalid_grant");
    }
    assert_too_many(
        &sign_in("alice-password", "192.0.2.5").await,
        5,
        "2026-12-07T19:00:00.000000Z",
    );
    // The sign-in form throttles the same way.
    let authorize = send(
        &router,
        Method::POST,
        "/oauth/authorize",
        None,
        "192.0.2.6",
        Some(&[
            ("client_id", &cid),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("response_type", "code"),
            ("scope", "read"),
            ("username", "alice"),
            ("password", "alice-password"),
        ]),
    )
    .await;
    assert_eq!(
        authorize.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        authorize.text
    );
    assert!(authorize.text.contains("Too many failed sign-in attempts"));
    // Never for good: after the window, the right password works from the first address.
    clock.advance(Duration::from_secs(3600));
    let a = sign_in("alice-password", "192.0.2.1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

/// A signed `Create` of a new note from `actor` (on the instance's clock) to the shared inbox.
async fn deliver(
    env: &remote_peer::Env,
    key: &http_sig::PrivateKey,
    actor: &str,
    n: u32,
) -> Answer {
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/activities/{n}"),
        "type": "Create",
        "actor": actor,
        "to": [remote_peer::PUBLIC],
        "object": {
            "id": format!("{actor}/notes/{n}"), "type": "Note", "attributedTo": actor,
            "to": [remote_peer::PUBLIC], "content": format!("note {n}"),
            "published": "2026-12-07T18:00:00Z"
        }
    });
    let body = activity.to_string().into_bytes();
    let (mut parts, ()) = Request::post("https://wool.test/inbox")
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts();
    http_sig::sign_request(
        &mut parts,
        &body,
        key,
        &http_sig::SignOptions::cavage(format!("{actor}#main-key")),
        SystemTime::from(env.clock.now()),
    )
    .unwrap();
    let resp = env
        .router
        .handle(
            Request::from_parts(parts, Bytes::from(body)),
            Some(peer("203.0.113.1")),
        )
        .await;
    let (parts, body) = resp.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[tokio::test]
async fn the_inbox_takes_a_burst_per_host_then_answers_429_with_retry_after() {
    let (app, router, clock, net) = instance(|c| {
        c.rate_limits.inbox_per_host = Rate::new(5, 10);
    })
    .await;
    let env = remote_peer::Env {
        app,
        router,
        net,
        clock,
        files: Arc::default(),
    };
    let bob = "https://remote.example/users/bob";
    let bob_key = env.person(bob, json!({}));
    let eve = "https://other.example/users/eve";
    let eve_key = env.person(eve, json!({}));
    // A burst within the bucket is accepted.
    for n in 0..5 {
        let a = deliver(&env, &bob_key, bob, n).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{n}: {}", a.text);
    }
    // Beyond it: 429 with Retry-After (one delivery refills in 2 s), before any work.
    let a = deliver(&env, &bob_key, bob, 5).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    assert_eq!(a.header("retry-after"), Some("2"));
    // Another host is not affected.
    assert_eq!(
        deliver(&env, &eve_key, eve, 0).await.status,
        StatusCode::ACCEPTED
    );
    // After Retry-After, bob is accepted again; the refused activity was not stored.
    env.clock.advance(Duration::from_secs(2));
    assert_eq!(
        deliver(&env, &bob_key, bob, 5).await.status,
        StatusCode::ACCEPTED
    );
    env.app.engine().process_inbox(100).await.unwrap();
    assert!(env
        .app
        .status_by_uri(&format!("{bob}/notes/5"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        deliver(&env, &bob_key, bob, 6).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_forged_signature_does_not_use_up_a_hosts_bucket() {
    let (app, router, clock, net) = instance(|c| {
        c.rate_limits.inbox_per_host = Rate::new(2, 60);
    })
    .await;
    let env = remote_peer::Env {
        app,
        router,
        net,
        clock,
        files: Arc::default(),
    };
    let bob = "https://remote.example/users/bob";
    env.person(bob, json!({}));
    let forger = http_sig::PrivateKey::generate_ed25519().unwrap();
    for n in 0..10 {
        let a = deliver(&env, &forger, bob, n).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.text);
    }
    assert_eq!(env.app.limits().inbox.tracked(), 0);
}

#[tokio::test]
async fn many_addresses_do_not_grow_the_counters_past_their_bound() {
    let (app, router, _, _) = instance(|c| {
        c.rate_limits.max_tracked = 100;
    })
    .await;
    for i in 0..2_000u32 {
        let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        let a = get(&router, "/api/v1/instance", None, &ip).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(quota(&a).1, 299);
    }
    assert!(app.limits().api_per_ip.tracked() <= 100);
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let (_, router, _, _) = instance(|c| {
        c.rate_limits.enabled = false;
        c.rate_limits.api_per_ip = Rate::new(1, 60);
    })
    .await;
    for _ in 0..3 {
        let a = get(&router, "/api/v1/instance", None, "192.0.2.1").await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.header("x-ratelimit-limit").is_none());
    }
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_whatever_their_outcome() {
    let (_, router, clock, _) = instance(|c| {
        c.registrations = reference_server::config::Registrations::Open;
        c.rate_limits.sign_ups = Rate::new(1, 1800);
    })
    .await;
    let sign_up = |from: &'static str, name: &'static str| {
        let router = router.clone();
        async move {
            send(
                &router,
                Method::POST,
                "/api/v1/accounts",
                None,
                from,
                Some(&[
                    ("username", name),
                    ("email", "someone@example.org"),
                    ("password", "a long enough password"),
                    ("agreement", "true"),
                    ("locale", "en"),
                ]),
            )
            .await
        }
    };
    // Counted before anything else, as Rack::Attack counts (this one lacks an app token).
    let first = sign_up("192.0.2.1", "newcomer").await;
    assert_ne!(
        first.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        first.text
    );
    assert_too_many(
        &sign_up("192.0.2.1", "newcomer2").await,
        1,
        "2026-12-07T18:30:00.000000Z",
    );
    assert_ne!(
        sign_up("192.0.2.2", "newcomer3").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    clock.advance(Duration::from_secs(1800));
    assert_ne!(
        sign_up("192.0.2.1", "newcomer4").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
