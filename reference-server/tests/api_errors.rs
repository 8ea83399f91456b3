//! Error paths across the client API: every endpoint answers a missing or bad token, a
//! missing scope and an unknown id with the right status and a JSON `{"error": …}`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use support::*;

/// Endpoints that need a signed-in user, and the scope family they need.
const USER_ENDPOINTS: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/accounts/verify_credentials", "read"),
    ("PATCH", "/api/v1/accounts/update_credentials", "write"),
    ("GET", "/api/v1/accounts/relationships?id[]=1", "read"),
    ("GET", "/api/v1/accounts/search?q=a", "read"),
    ("POST", "/api/v1/accounts/{account}/follow", "write"),
    ("POST", "/api/v1/accounts/{account}/unfollow", "write"),
    ("POST", "/api/v1/accounts/{account}/block", "write"),
    ("POST", "/api/v1/accounts/{account}/unblock", "write"),
    ("POST", "/api/v1/accounts/{account}/mute", "write"),
    ("POST", "/api/v1/accounts/{account}/unmute", "write"),
    ("GET", "/api/v1/follow_requests", "read"),
    (
        "POST",
        "/api/v1/follow_requests/{account}/authorize",
        "write",
    ),
    ("POST", "/api/v1/follow_requests/{account}/reject", "write"),
    ("GET", "/api/v1/blocks", "read"),
    ("GET", "/api/v1/mutes", "read"),
    ("POST", "/api/v1/statuses", "write"),
    ("DELETE", "/api/v1/statuses/{status}", "write"),
    ("PUT", "/api/v1/statuses/{status}", "write"),
    ("GET", "/api/v1/statuses/{status}/source", "read"),
    ("POST", "/api/v1/statuses/{status}/favourite", "write"),
    ("POST", "/api/v1/statuses/{status}/unfavourite", "write"),
    ("POST", "/api/v1/statuses/{status}/reblog", "write"),
    ("POST", "/api/v1/statuses/{status}/unreblog", "write"),
    ("POST", "/api/v1/statuses/{status}/pin", "write"),
    ("POST", "/api/v1/statuses/{status}/unpin", "write"),
    ("GET", "/api/v1/timelines/home", "read"),
    ("GET", "/api/v1/favourites", "read"),
    ("GET", "/api/v1/notifications", "read"),
    ("GET", "/api/v2/notifications", "read"),
    ("GET", "/api/v1/notifications/unread_count", "read"),
    ("GET", "/api/v1/notifications/1", "read"),
    ("POST", "/api/v1/notifications/1/dismiss", "write"),
    ("POST", "/api/v1/notifications/clear", "write"),
    ("GET", "/api/v2/notifications/follow-1", "read"),
    ("GET", "/api/v2/notifications/follow-1/accounts", "read"),
    ("POST", "/api/v2/notifications/follow-1/dismiss", "write"),
    ("GET", "/api/v2/notifications/unread_count", "read"),
    ("GET", "/api/v2/notifications/policy", "read"),
    ("PATCH", "/api/v2/notifications/policy", "write"),
    ("PUT", "/api/v1/notifications/policy", "write"),
    ("GET", "/api/v1/notifications/requests", "read"),
    ("GET", "/api/v1/notifications/requests/1", "read"),
    ("POST", "/api/v1/notifications/requests/1/accept", "write"),
    ("POST", "/api/v1/notifications/requests/accept", "write"),
    ("GET", "/api/v1/preferences", "read"),
    ("GET", "/api/v1/lists", "read"),
    ("GET", "/api/v1/markers", "read"),
    ("POST", "/api/v1/media", "write"),
];

/// Doorkeeper's challenge on a `401` for a missing or unknown token.
const INVALID_TOKEN_CHALLENGE: &str = "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", \
     error_description=\"The access token is invalid\"";

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

#[tokio::test]
async fn tokens_and_scopes_on_every_user_endpoint() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, read_only) = user_with(&app, "reader", false, "read").await;
    let (_, write_only) = user_with(&app, "writer", false, "write").await;
    let (_, push_only) = user_with(&app, "pusher", false, "push").await;
    let s = post(&app, &ta, serde_json::json!({"status": "x"})).await;
    for (m, path, family) in USER_ENDPOINTS {
        let path = path
            .replace("{account}", &alice.id.to_string())
            .replace("{status}", s["id"].as_str().unwrap());
        let none = call(&app, method(m), &path, None).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{m} {path}: {}",
            none.text
        );
        assert_eq!(none.error(), "The access token is invalid", "{m} {path}");
        assert_eq!(
            none.header("www-authenticate"),
            Some(INVALID_TOKEN_CHALLENGE),
            "{m} {path}"
        );
        let bad = call(&app, method(m), &path, Some("no-such-token")).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{m} {path}");
        assert_eq!(bad.error(), "The access token is invalid", "{m} {path}");
        assert_eq!(
            bad.header("www-authenticate"),
            Some(INVALID_TOKEN_CHALLENGE),
            "{m} {path}"
        );
        let wrong = if *family == "read" {
            &write_only
        } else {
            &read_only
        };
        let out = call(&app, method(m), &path, Some(wrong)).await;
        assert_eq!(
            out.status,
            StatusCode::FORBIDDEN,
            "{m} {path}: {}",
            out.text
        );
        assert_eq!(out.error(), "This action is outside the authorized scopes");
        let challenge = out.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with(
                "Bearer realm=\"Doorkeeper\", error=\"insufficient_scope\", \
                 error_description=\"Access to this resource requires scope \\\""
            ) && challenge.contains(family),
            "{m} {path}: {challenge}"
        );
        let push = call(&app, method(m), &path, Some(&push_only)).await;
        assert_eq!(push.status, StatusCode::FORBIDDEN, "{m} {path}");
    }
}

/// Endpoints taking an id, with a token that may use them.
const ID_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/api/v1/accounts/{id}"),
    ("GET", "/api/v1/accounts/{id}/statuses"),
    ("GET", "/api/v1/accounts/{id}/followers"),
    ("GET", "/api/v1/accounts/{id}/following"),
    ("POST", "/api/v1/accounts/{id}/follow"),
    ("POST", "/api/v1/accounts/{id}/block"),
    ("POST", "/api/v1/accounts/{id}/mute"),
    ("POST", "/api/v1/follow_requests/{id}/authorize"),
    ("GET", "/api/v1/statuses/{id}"),
    ("PUT", "/api/v1/statuses/{id}"),
    ("DELETE", "/api/v1/statuses/{id}"),
    ("GET", "/api/v1/statuses/{id}/context"),
    ("GET", "/api/v1/statuses/{id}/favourited_by"),
    ("GET", "/api/v1/statuses/{id}/reblogged_by"),
    ("GET", "/api/v1/statuses/{id}/history"),
    ("GET", "/api/v1/statuses/{id}/source"),
    ("POST", "/api/v1/statuses/{id}/favourite"),
    ("POST", "/api/v1/statuses/{id}/reblog"),
    ("POST", "/api/v1/statuses/{id}/pin"),
    ("GET", "/api/v1/notifications/{id}"),
    ("POST", "/api/v1/notifications/{id}/dismiss"),
    ("GET", "/api/v1/notifications/requests/{id}"),
    ("POST", "/api/v1/notifications/requests/{id}/accept"),
    ("POST", "/api/v1/notifications/requests/{id}/dismiss"),
];

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_json() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    for (m, path) in ID_ENDPOINTS {
        for id in ["987654321", "not-a-number"] {
            let p = path.replace("{id}", id);
            let a = call(&app, method(m), &p, Some(&t)).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{m} {p}: {}", a.text);
            assert_eq!(a.error(), "Record not found", "{m} {p}");
        }
    }
}

#[tokio::test]
async fn bad_parameters_are_400_or_422_json() {
    let app = instance().await;
    let (alice, t) = user(&app, "alice").await;
    for p in [
        "/api/v1/timelines/public?limit=x",
        "/api/v1/timelines/public?local=perhaps",
        "/api/v1/timelines/home?since_id=-1",
        format!(
            "/api/v1/accounts/{}/statuses?exclude_replies=maybe",
            alice.id
        )
        .as_str(),
        format!("/api/v1/accounts/{}/followers?max_id=z", alice.id).as_str(),
        "/api/v1/notifications?account_id=abc",
        "/api/v2/search?q=a&limit=lots",
        "/api/v1/accounts/lookup",
    ] {
        let a = get(&app, p, Some(&t)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{p}: {}", a.text);
        a.error();
    }
    let a = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        serde_json::json!({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 60}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    a.error();
    let a = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        serde_json::json!({"status": "x", "scheduled_at": "not a date"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    a.error();
    // A limit beyond the maximum is clamped, not refused.
    let a = get(&app, "/api/v1/timelines/public?limit=1000", Some(&t)).await;
    assert_eq!(a.status, StatusCode::OK);
    // Wrong methods on known paths are JSON 404s, never HTML.
    let a = call(&app, Method::DELETE, "/api/v1/timelines/home", Some(&t)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    a.error();
}

/// Serves the instance's router on a loopback port (hyper, as `woolly serve` does).
async fn serve_loopback(app: &reference_server::App) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = reference_server::http::Router::new(app.clone());
    tokio::spawn(reference_server::http::serve(
        listener,
        move |req, peer| {
            let router = router.clone();
            async move { router.handle_incoming(req, peer).await }
        },
        std::future::pending::<()>(),
        std::time::Duration::from_secs(1),
    ));
    addr
}

/// One raw HTTP/1.1 GET with `Connection: close`; the whole answer as text.
async fn raw_get(addr: std::net::SocketAddr, path: &str, auth: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: wool.test\r\n{auth}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The value of header `name` (case-insensitive) in a raw answer.
fn raw_header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next().unwrap();
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn token_errors_carry_doorkeeper_challenges_on_the_wire() {
    let app = instance().await;
    let (_, write_only) = user_with(&app, "writer", false, "write").await;
    let (_, read_only) = user_with(&app, "reader", false, "read").await;
    let addr = serve_loopback(&app).await;

    // No token, and an unknown one: 401, Mastodon's body, the invalid_token challenge.
    for auth in [None, Some("Bearer no-such-token")] {
        let a = raw_get(addr, "/api/v1/timelines/home", auth).await;
        assert!(a.starts_with("HTTP/1.1 401 "), "{a}");
        assert_eq!(
            raw_header(&a, "www-authenticate"),
            Some(
                "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", \
                 error_description=\"The access token is invalid\""
            ),
            "{a}"
        );
        assert!(
            a.ends_with("\r\n\r\n{\"error\":\"The access token is invalid\"}"),
            "{a}"
        );
        assert!(raw_header(&a, "content-type")
            .unwrap()
            .starts_with("application/json"));
    }

    // A token without the scope: 403, Mastodon's body, the insufficient_scope challenge
    // naming the scopes that would do.
    let a = raw_get(
        addr,
        "/api/v1/timelines/home",
        Some(&format!("Bearer {write_only}")),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 403 "), "{a}");
    assert_eq!(
        raw_header(&a, "www-authenticate"),
        Some(
            "Bearer realm=\"Doorkeeper\", error=\"insufficient_scope\", \
             error_description=\"Access to this resource requires scope \\\"read read:statuses\\\".\""
        ),
        "{a}"
    );
    assert!(
        a.ends_with("\r\n\r\n{\"error\":\"This action is outside the authorized scopes\"}"),
        "{a}"
    );
    // A family scope is named alone.
    let a = raw_get(
        addr,
        "/api/v1/announcements",
        Some(&format!("Bearer {write_only}")),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 403 "), "{a}");
    assert!(
        raw_header(&a, "www-authenticate").unwrap().ends_with(
            "error_description=\"Access to this resource requires scope \\\"read\\\".\""
        ),
        "{a}"
    );

    // Successes and other errors carry no challenge.
    let a = raw_get(
        addr,
        "/api/v1/timelines/home",
        Some(&format!("Bearer {read_only}")),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 200 "), "{a}");
    assert_eq!(raw_header(&a, "www-authenticate"), None, "{a}");
    let a = raw_get(
        addr,
        "/api/v1/statuses/987654321",
        Some(&format!("Bearer {read_only}")),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 404 "), "{a}");
    assert_eq!(raw_header(&a, "www-authenticate"), None, "{a}");
}

/// The ids an answer names: an entity's, a list's, a context's or a search's.
fn what(v: &serde_json::Value) -> Vec<String> {
    if v.is_array() {
        ids(v)
    } else if v.get("ancestors").is_some() {
        [ids(&v["ancestors"]), ids(&v["descendants"])].concat()
    } else if v.get("accounts").is_some() {
        [ids(&v["accounts"]), ids(&v["statuses"])].concat()
    } else {
        vec![v["id"].as_str().unwrap().to_owned()]
    }
}

/// Endpoints where a token is optional: anonymous readers get them, a bad token is `401`, a
/// token without `read` is `403`, a granular `read:*` token is enough.
#[tokio::test]
async fn optional_token_endpoints_refuse_bad_and_out_of_scope_tokens() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, write_only) = user_with(&app, "writer", false, "write follow push").await;
    let (_, granular) = user_with(
        &app,
        "granular",
        false,
        "read:statuses read:accounts read:search",
    )
    .await;
    let s = post(&app, &ta, serde_json::json!({"status": "hello #wool"})).await;
    let sid = s["id"].as_str().unwrap();
    let reply = post(
        &app,
        &ta,
        serde_json::json!({"status": "and more", "in_reply_to_id": sid}),
    )
    .await;
    let rid = reply["id"].as_str().unwrap();
    let endpoints = [
        format!("/api/v1/statuses/{sid}"),
        format!("/api/v1/statuses/{rid}/context"),
        format!("/api/v1/accounts/{}", alice.id),
        "/api/v1/accounts/lookup?acct=alice".to_owned(),
        "/api/v1/timelines/tag/wool".to_owned(),
        "/api/v2/search?q=alice".to_owned(),
    ];
    for path in &endpoints {
        let anon = get(&app, path, None).await;
        assert_eq!(anon.status, StatusCode::OK, "{path}: {}", anon.text);
        let g = get(&app, path, Some(&granular)).await;
        assert_eq!(g.status, StatusCode::OK, "{path}: {}", g.text);
        assert_eq!(
            what(&g.body),
            what(&anon.body),
            "{path}: the same entities for a reader"
        );

        let bad = get(&app, path, Some("no-such-token")).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{path}: {}", bad.text);
        assert_eq!(bad.error(), "The access token is invalid", "{path}");
        assert_eq!(
            bad.header("www-authenticate"),
            Some(INVALID_TOKEN_CHALLENGE),
            "{path}"
        );
        // Not a bearer token at all.
        let b = send(
            &app,
            http::Request::get(path.as_str())
                .header("authorization", "Token abc")
                .body(bytes::Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(b.status, StatusCode::UNAUTHORIZED, "{path}: {}", b.text);
        assert_eq!(b.error(), "The access token is invalid", "{path}");

        let out = get(&app, path, Some(&write_only)).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN, "{path}: {}", out.text);
        assert_eq!(
            out.error(),
            "This action is outside the authorized scopes",
            "{path}"
        );
        assert!(
            out.header("www-authenticate")
                .unwrap_or_default()
                .contains("error=\"insufficient_scope\""),
            "{path}"
        );
    }
    // What each one answered, for a reader.
    let one = get(&app, &endpoints[0], None).await;
    assert_eq!(one.body["id"], s["id"]);
    let ctx = get(&app, &endpoints[1], None).await;
    assert_eq!(ids(&ctx.body["ancestors"]), vec![sid.to_owned()]);
    assert_eq!(ctx.body["descendants"], serde_json::json!([]));
    let acc = get(&app, &endpoints[2], None).await;
    assert_eq!(acc.body["acct"], "alice");
    let look = get(&app, &endpoints[3], None).await;
    assert_eq!(look.body["id"], alice.id.to_string());
    let tag = get(&app, &endpoints[4], None).await;
    assert_eq!(ids(&tag.body), vec![sid.to_owned()]);
    let found = get(&app, &endpoints[5], None).await;
    assert_eq!(found.body["accounts"][0]["acct"], "alice");

    // Unknown ids and names: 404 JSON, with and without a token.
    for path in [
        "/api/v1/statuses/987654321",
        "/api/v1/statuses/987654321/context",
        "/api/v1/statuses/abc/context",
        "/api/v1/accounts/987654321",
        "/api/v1/accounts/abc",
        "/api/v1/accounts/lookup?acct=nobody",
        "/api/v1/accounts/lookup?acct=nobody@wool.test",
    ] {
        for token in [None, Some(ta.as_str())] {
            let a = get(&app, path, token).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
            assert_eq!(a.error(), "Record not found", "{path}");
        }
    }
    // A private status is a 404 to those who may not see it, as Mastodon hides it.
    let private = post(
        &app,
        &ta,
        serde_json::json!({"status": "mine", "visibility": "private"}),
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/statuses/{pid}"),
        format!("/api/v1/statuses/{pid}/context"),
    ] {
        let a = get(&app, &path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert_eq!(a.error(), "Record not found");
        let a = get(&app, &path, Some(&granular)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert_eq!(get(&app, &path, Some(&ta)).await.status, StatusCode::OK);
    }

    // Bad parameters: 4xx JSON.
    for (path, token, status, error) in [
        (
            "/api/v1/accounts/lookup",
            None,
            StatusCode::BAD_REQUEST,
            "acct is missing",
        ),
        (
            "/api/v1/accounts/lookup?acct=",
            Some(ta.as_str()),
            StatusCode::BAD_REQUEST,
            "acct is missing",
        ),
        (
            "/api/v1/timelines/tag/wool?limit=x",
            None,
            StatusCode::BAD_REQUEST,
            "limit: not a valid number: \"x\"",
        ),
        (
            "/api/v1/timelines/tag/wool?local=perhaps",
            Some(ta.as_str()),
            StatusCode::BAD_REQUEST,
            "local: not a boolean: \"perhaps\"",
        ),
        (
            "/api/v1/timelines/tag/wool?max_id=z",
            None,
            StatusCode::BAD_REQUEST,
            "max_id: not a valid number: \"z\"",
        ),
        (
            "/api/v2/search",
            Some(ta.as_str()),
            StatusCode::BAD_REQUEST,
            "q is missing",
        ),
        (
            "/api/v2/search?q=a&type=toots",
            None,
            StatusCode::BAD_REQUEST,
            "type: one of accounts, statuses, hashtags, not \"toots\"",
        ),
        (
            "/api/v2/search?q=a&resolve=maybe",
            Some(ta.as_str()),
            StatusCode::BAD_REQUEST,
            "resolve: not a boolean: \"maybe\"",
        ),
        // Paging and resolving need a signed-in user, as on Mastodon.
        (
            "/api/v2/search?q=a&offset=5",
            None,
            StatusCode::UNAUTHORIZED,
            "Search queries pagination is not supported without authentication",
        ),
        (
            "/api/v2/search?q=a@b.test&resolve=true",
            None,
            StatusCode::UNAUTHORIZED,
            "Search queries that resolve remote resources are not supported without authentication",
        ),
    ] {
        let a = get(&app, path, token).await;
        assert_eq!(a.status, status, "{path}: {}", a.text);
        assert_eq!(a.error(), error, "{path}");
    }
    // With a user, paging is allowed.
    let a = get(&app, "/api/v2/search?q=alice&offset=5", Some(&ta)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["accounts"], serde_json::json!([]));
}
