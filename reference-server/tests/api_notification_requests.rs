//! Notification policies and requests as Mastodon 4.3 has them: strangers' private mentions
//! filtered by default and held in requests (not listed, not counted) until accepted
//! (listed again, and the sender's later notifications pass) or dismissed (deleted); `drop`
//! and `filter` for the other conditions; the v1 and v2 policy shapes; bulk actions; paging;
//! error paths.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use reference_server::App;
use serde_json::{json, Value};
use support::*;

async fn ok_call(app: &App, method: Method, path: &str, token: &str) -> Value {
    let a = call(app, method, path, Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
    a.body
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

async fn dm(app: &App, token: &str, text: &str) -> Value {
    post(app, token, json!({"status": text, "visibility": "direct"})).await
}

async fn listed(app: &App, token: &str, query: &str) -> Vec<Value> {
    let a = get(app, &format!("/api/v1/notifications{query}"), Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn strangers_private_mentions_wait_in_requests_until_accepted() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;

    // The default policy, in both shapes.
    let v2 = get(&app, "/api/v2/notifications/policy", Some(&ta)).await;
    assert_eq!(
        v2.body,
        json!({
            "for_not_following": "accept",
            "for_not_followers": "accept",
            "for_new_accounts": "accept",
            "for_private_mentions": "filter",
            "for_limited_accounts": "filter",
            "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
        })
    );
    let v1 = get(&app, "/api/v1/notifications/policy", Some(&ta)).await;
    assert_eq!(
        v1.body,
        json!({
            "filter_not_following": false,
            "filter_not_followers": false,
            "filter_new_accounts": false,
            "filter_private_mentions": true,
            "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
        })
    );

    // A public mention passes; two private ones from a stranger are held.
    post(&app, &tb, json!({"status": "@alice public"})).await;
    let d1 = dm(&app, &tb, "@alice psst").await;
    let d2 = dm(&app, &tb, "@alice psst again").await;
    let shown = listed(&app, &ta, "").await;
    assert_eq!(shown.len(), 1);
    assert!(shown[0].get("filtered").is_none());
    let v2 = get(&app, "/api/v2/notifications", Some(&ta)).await;
    assert_eq!(v2.body["notification_groups"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&app, "/api/v2/notifications/unread_count", Some(&ta))
            .await
            .body,
        json!({"count": 1})
    );
    let all = listed(&app, &ta, "?include_filtered=true").await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["filtered"], true);
    assert_eq!(all[0]["status"]["id"], d2["id"]);
    // Filtering by the sender shows them too (as Mastodon's `account_id`).
    assert_eq!(
        listed(&app, &ta, &format!("?account_id={}", bob.id))
            .await
            .len(),
        3
    );

    let reqs = get(&app, "/api/v1/notifications/requests", Some(&ta)).await;
    assert_eq!(reqs.status, StatusCode::OK);
    let list = reqs.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(
        keys_of(r),
        [
            "account",
            "created_at",
            "id",
            "last_status",
            "notifications_count",
            "updated_at"
        ]
    );
    assert_eq!(r["account"]["id"], bob.id.to_string());
    assert_eq!(r["notifications_count"], "2");
    assert_eq!(r["last_status"]["id"], d2["id"]);
    assert!(r["created_at"].as_str().unwrap().ends_with('Z'));
    let rid = r["id"].as_str().unwrap().to_owned();
    let one = get(
        &app,
        &format!("/api/v1/notifications/requests/{rid}"),
        Some(&ta),
    )
    .await;
    assert_eq!(one.body, *r);
    let summary = get(&app, "/api/v2/notifications/policy", Some(&ta)).await;
    assert_eq!(
        summary.body["summary"],
        json!({"pending_requests_count": 1, "pending_notifications_count": 2})
    );

    // Someone else cannot see or act on it.
    let (_, tz) = user(&app, "zoe").await;
    for (m, path) in [
        (Method::GET, format!("/api/v1/notifications/requests/{rid}")),
        (
            Method::POST,
            format!("/api/v1/notifications/requests/{rid}/accept"),
        ),
        (
            Method::POST,
            format!("/api/v1/notifications/requests/{rid}/dismiss"),
        ),
        (Method::GET, "/api/v1/notifications/requests/999".to_owned()),
        (
            Method::GET,
            "/api/v1/notifications/requests/nope".to_owned(),
        ),
    ] {
        let a = call(&app, m, &path, Some(&tz)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        a.error();
    }
    let (_, ro) = user_with(&app, "reader", false, "read:notifications").await;
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/notifications/requests/{rid}/accept"),
            Some(&ro)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Accepted: listed where they belong, and bob's next private mention passes.
    let ok = ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/requests/{rid}/accept"),
        &ta,
    )
    .await;
    assert_eq!(ok, json!({}));
    assert_eq!(
        ok_call(
            &app,
            Method::GET,
            "/api/v1/notifications/requests/merged",
            &ta
        )
        .await,
        json!({"merged": true})
    );
    let shown = listed(&app, &ta, "").await;
    assert_eq!(shown.len(), 3);
    assert_eq!(shown[0]["status"]["id"], d2["id"]);
    assert_eq!(shown[1]["status"]["id"], d1["id"]);
    assert!(shown[0].get("filtered").is_none());
    assert_eq!(
        get(
            &app,
            &format!("/api/v1/notifications/requests/{rid}"),
            Some(&ta)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    dm(&app, &tb, "@alice now we talk").await;
    assert_eq!(listed(&app, &ta, "").await.len(), 4);
    assert_eq!(
        get(&app, "/api/v1/notifications/requests", Some(&ta))
            .await
            .body,
        json!([])
    );
    let _ = alice;
}

#[tokio::test]
async fn dismissed_requests_delete_and_bulk_actions_touch_only_ones_own() {
    let app = instance().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (_zoe, tz) = user(&app, "zoe").await;
    let mut tokens = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        let (_, t) = user(&app, name).await;
        dm(&app, &t, "@alice hi").await;
        tokens.push(t);
    }
    // Zoe's own request, from bob.
    dm(&app, &tokens[0], "@zoe hi").await;
    let zoe_req = get(&app, "/api/v1/notifications/requests", Some(&tz))
        .await
        .body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Paging, newest first, with Link.
    let p1 = get(&app, "/api/v1/notifications/requests?limit=3", Some(&ta)).await;
    let page1 = p1.body.as_array().unwrap().clone();
    assert_eq!(
        page1
            .iter()
            .map(|r| r["account"]["username"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["erin", "dave", "carol"]
    );
    let link = p1.header("link").unwrap().to_owned();
    assert!(link.contains(&format!(
        "max_id={}>; rel=\"next\"",
        page1[2]["id"].as_str().unwrap()
    )));
    let rest = get(
        &app,
        &format!(
            "/api/v1/notifications/requests?limit=3&max_id={}",
            page1[2]["id"].as_str().unwrap()
        ),
        Some(&ta),
    )
    .await;
    assert_eq!(rest.body[0]["account"]["username"], "bob");
    let rid = |i: usize| page1[i]["id"].as_str().unwrap().to_owned();
    let bob_req = rest.body[0]["id"].as_str().unwrap().to_owned();

    // Dismissed: the request goes and its notifications with it.
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/requests/{}/dismiss", rid(0)),
        &ta,
    )
    .await;
    let all = listed(&app, &ta, "?include_filtered=true").await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|n| n["account"]["username"] != "erin"));

    // Bulk: accept dave's and carol's (zoe's and an unknown id are ignored).
    let a = form(
        &app,
        Method::POST,
        "/api/v1/notifications/requests/accept",
        Some(&ta),
        &[
            ("id[]", rid(1).as_str()),
            ("id[]", rid(2).as_str()),
            ("id[]", zoe_req.as_str()),
            ("id[]", "12345"),
        ],
    )
    .await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    let shown = listed(&app, &ta, "").await;
    let who: Vec<&str> = shown
        .iter()
        .map(|n| n["account"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["dave", "carol"]);
    assert_eq!(
        get(&app, "/api/v1/notifications/requests", Some(&tz))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "zoe's request is untouched"
    );
    // Bulk dismiss of bob's.
    let d = json(
        &app,
        Method::POST,
        "/api/v1/notifications/requests/dismiss",
        Some(&ta),
        json!({"id": [bob_req]}),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/api/v1/notifications/requests", Some(&ta))
            .await
            .body,
        json!([])
    );
    assert_eq!(listed(&app, &ta, "?include_filtered=true").await.len(), 2);
    // Dismissing one filtered notification updates its request's count.
    dm(&app, &tokens[0], "@zoe again").await;
    let zr = get(&app, "/api/v1/notifications/requests", Some(&tz)).await;
    assert_eq!(zr.body[0]["notifications_count"], "2");
    let held = listed(&app, &tz, "?include_filtered=true").await;
    for n in &held {
        ok_call(
            &app,
            Method::POST,
            &format!(
                "/api/v1/notifications/{}/dismiss",
                n["id"].as_str().unwrap()
            ),
            &tz,
        )
        .await;
        let left = get(&app, "/api/v1/notifications/requests", Some(&tz)).await;
        if n == held.last().unwrap() {
            assert_eq!(left.body, json!([]), "no mention left, no request");
        } else {
            assert_eq!(left.body[0]["notifications_count"], "1");
        }
    }
}

#[tokio::test]
async fn policies_filter_and_drop_and_replies_and_followed_accounts_pass() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;

    // A private mention answering alice's own private mention of bob is not a stranger's.
    let mine = dm(&app, &ta, "@bob are you there?").await;
    post(
        &app,
        &tb,
        json!({"status": "@alice yes", "visibility": "direct", "in_reply_to_id": mine["id"]}),
    )
    .await;
    assert_eq!(listed(&app, &ta, "").await.len(), 1);
    // A followed account's private mention passes.
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        &ta,
    )
    .await;
    dm(&app, &tb, "@alice followed now").await;
    assert_eq!(listed(&app, &ta, "").await.len(), 2);

    // v2 update: unknown values are 422 and change nothing.
    let bad = json(
        &app,
        Method::PATCH,
        "/api/v2/notifications/policy",
        Some(&ta),
        json!({"for_not_following": "maybe"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.error().contains("accept, filter, drop"));
    let (_, ro) = user_with(&app, "peek", false, "read:notifications").await;
    assert_eq!(
        json(
            &app,
            Method::PATCH,
            "/api/v2/notifications/policy",
            Some(&ro),
            json!({"for_not_following": "drop"}),
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let p = json(
        &app,
        Method::PATCH,
        "/api/v2/notifications/policy",
        Some(&ta),
        json!({"for_not_following": "drop", "for_limited_accounts": "accept"}),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.body["for_not_following"], "drop");
    assert_eq!(p.body["for_private_mentions"], "filter");
    assert_eq!(p.body["for_limited_accounts"], "accept");
    // Dropped: carol (not followed) leaves no trace; bob (followed) still passes.
    let s = post(&app, &ta, json!({"status": "fav me"})).await;
    let sid = s["id"].as_str().unwrap();
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        &tc,
    )
    .await;
    post(&app, &tc, json!({"status": "@alice public"})).await;
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        &tb,
    )
    .await;
    let all = listed(&app, &ta, "?include_filtered=true").await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|n| n["account"]["username"] == "bob"));

    // v1 update: booleans, `filter` or `accept`; the v2 view shows the result.
    let p = json(
        &app,
        Method::PUT,
        "/api/v1/notifications/policy",
        Some(&ta),
        json!({"filter_not_following": true, "filter_private_mentions": false}),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(
        keys_of(&p.body),
        [
            "filter_new_accounts",
            "filter_not_followers",
            "filter_not_following",
            "filter_private_mentions",
            "summary"
        ]
    );
    assert_eq!(p.body["filter_not_following"], true);
    assert_eq!(p.body["filter_private_mentions"], false);
    let v2 = get(&app, "/api/v2/notifications/policy", Some(&ta)).await;
    assert_eq!(v2.body["for_not_following"], "filter");
    assert_eq!(v2.body["for_private_mentions"], "accept");
    // Filtered but not a mention: hidden, and no request.
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/unfavourite"),
        &tc,
    )
    .await;
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        &tc,
    )
    .await;
    assert_eq!(listed(&app, &ta, "").await.len(), 3);
    let hidden = listed(&app, &ta, "?include_filtered=true&types[]=favourite").await;
    assert_eq!(hidden.len(), 2);
    assert_eq!(hidden[0]["filtered"], true);
    assert_eq!(
        hidden[0]["group_key"],
        format!("ungrouped-{}", hidden[0]["id"].as_str().unwrap())
    );
    assert_eq!(
        get(&app, "/api/v1/notifications/requests", Some(&ta))
            .await
            .body,
        json!([])
    );
    // A filtered mention makes a request.
    post(&app, &tc, json!({"status": "@alice hello again"})).await;
    let reqs = get(&app, "/api/v1/notifications/requests", Some(&ta)).await;
    assert_eq!(reqs.body[0]["account"]["username"], "carol");
    assert_eq!(reqs.body[0]["notifications_count"], "1");
    // Bad booleans are refused.
    let bad = json(
        &app,
        Method::PUT,
        "/api/v1/notifications/policy",
        Some(&ta),
        json!({"filter_new_accounts": "perhaps"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&app, "/api/v1/notifications/policy", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let _ = alice;
}

#[tokio::test]
async fn new_followers_and_new_accounts_count_as_strangers_for_a_while() {
    use std::sync::Arc;
    use std::time::Duration;

    use activitypub_core::engine::transport::memory::MemoryNetwork;
    use fedi_storage::memory::MemoryStore;
    use fedi_storage::{ManualClock, Timestamp};
    use reference_server::Config;

    let clock = ManualClock::new(Timestamp::from_unix_millis(1_800_000_000_000));
    let app = App::with_clock(
        Config {
            base_url: BASE.into(),
            ..Config::default()
        },
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let p = json(
        &app,
        Method::PATCH,
        "/api/v2/notifications/policy",
        Some(&ta),
        json!({"for_not_followers": "filter", "for_new_accounts": "filter"}),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        &tb,
    )
    .await;
    let day = Duration::from_secs(24 * 3600);
    // A follower of one day is not a follower yet (Mastodon's 3 days), and bob is new: the
    // follow itself and his mention are filtered.
    clock.advance(day);
    post(&app, &tb, json!({"status": "@alice one day in"})).await;
    assert_eq!(listed(&app, &ta, "").await.len(), 0);
    let held = listed(&app, &ta, "?include_filtered=true").await;
    let kinds: Vec<&str> = held.iter().map(|n| n["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["mention", "follow"]);
    // Four days in, bob follows for long enough, but is still a new account.
    clock.advance(day * 3);
    post(&app, &tb, json!({"status": "@alice four days in"})).await;
    assert_eq!(listed(&app, &ta, "").await.len(), 0);
    // A new account alice follows is not a stranger.
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        &ta,
    )
    .await;
    post(&app, &tb, json!({"status": "@alice followed"})).await;
    assert_eq!(listed(&app, &ta, "").await.len(), 1);
    // Past 30 days bob is no longer new; with alice no longer following him, only the
    // follower condition applies, and he has followed for a month.
    ok_call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/unfollow", bob.id),
        &ta,
    )
    .await;
    clock.advance(day * 30);
    post(&app, &tb, json!({"status": "@alice a month on"})).await;
    let shown = listed(&app, &ta, "").await;
    assert_eq!(shown.len(), 2);
    assert!(shown[0]["status"]["content"]
        .as_str()
        .unwrap()
        .contains("a month on"));
    let reqs = get(&app, "/api/v1/notifications/requests", Some(&ta)).await;
    assert_eq!(reqs.body[0]["notifications_count"], "2");
}
