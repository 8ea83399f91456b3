//! Error paths across the client API: every endpoint answers a missing or bad token, a
//! missing scope and an unknown id with the right status and a JSON `{"error": …}`.
#![allow(clippy::unwrap_used)]

#[path = "api_support/mod.rs"]
mod support;

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
    ("GET", "/api/v1/preferences", "read"),
    ("GET", "/api/v1/lists", "read"),
    ("GET", "/api/v1/markers", "read"),
    ("POST", "/api/v1/media", "write"),
];

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
        let bad = call(&app, method(m), &path, Some("no-such-token")).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{m} {path}");
        bad.error();
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
        serde_json::json!({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}),
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
