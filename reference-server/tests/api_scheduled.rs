//! Scheduled statuses: `scheduled_at` on a post, `/api/v1/scheduled_statuses`, the
//! publishing job, Mastodon's limits; in process on a manual clock. The restart test (a
//! real `woolly serve` stopped and started again) is in `serve_scheduled.rs`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

/// 2030-01-01T00:00:00Z.
const START_MS: u64 = 1_893_456_000_000;

async fn clocked(lead: Option<u64>) -> (App, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(START_MS));
    let mut config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    if let Some(l) = lead {
        config.schedule_min_lead_seconds = l;
    }
    // The limit tests schedule 300 statuses with one token, past the 300 requests in five
    // minutes a token may make.
    config.rate_limits.enabled = false;
    let app = App::with_clock(
        config,
        Arc::new(fedi_storage::memory::MemoryStore::new()),
        Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

fn at(ms_after_start: u64) -> String {
    reference_server::app::activitypub::rfc3339(START_MS + ms_after_start)
}

async fn schedule(app: &App, token: &str, body: Value) -> Answer {
    json(app, Method::POST, "/api/v1/statuses", Some(token), body).await
}

#[tokio::test]
async fn a_scheduled_status_has_mastodons_shape_and_is_posted_when_due() {
    let (app, clock) = clocked(None).await;
    let (alice, t) = user(&app, "alice").await;
    let media = media::uploaded(&app, &t).await;
    let a = schedule(
        &app,
        &t,
        json!({
            "status": "later, #rust",
            "scheduled_at": at(10 * 60_000),
            "visibility": "unlisted",
            "spoiler_text": "cw",
            "language": "en",
            "media_ids": [media],
        }),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.body,
        json!({
            "id": id,
            "scheduled_at": "2030-01-01T00:10:00Z",
            "params": {
                "text": "later, #rust",
                "poll": null,
                "media_ids": [media],
                "sensitive": false,
                "spoiler_text": "cw",
                "visibility": "unlisted",
                "in_reply_to_id": null,
                "language": "en",
                "application_id": null,
                "scheduled_at": null,
                "idempotency": null,
                "with_rate_limit": false,
            },
            "media_attachments": [a.body["media_attachments"][0].clone()],
        })
    );
    assert_eq!(a.body["media_attachments"][0]["id"], media.as_str());
    assert_eq!(a.body["media_attachments"][0]["type"], "image");

    // Listed and readable; nothing posted yet.
    let list = get(&app, "/api/v1/scheduled_statuses", Some(&t)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body, json!([a.body.clone()]));
    let one = get(&app, &format!("/api/v1/scheduled_statuses/{id}"), Some(&t)).await;
    assert_eq!(one.body, a.body);
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 0);
    let statuses = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    assert_eq!(statuses.body, json!([]));

    // Due: posted once, with its media, and gone from the list.
    clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 1);
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 0);
    let statuses = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    let posted = &statuses.body[0];
    assert_eq!(statuses.body.as_array().unwrap().len(), 1);
    assert_eq!(posted["content"], "<p>later, <a href=\"https://wool.test/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>rust</span></a></p>");
    assert_eq!(posted["visibility"], "unlisted");
    assert_eq!(posted["spoiler_text"], "cw");
    assert_eq!(posted["language"], "en");
    assert_eq!(posted["media_attachments"][0]["id"], media.as_str());
    assert_eq!(posted["created_at"], "2030-01-01T00:10:00Z");
    assert_eq!(posted["application"]["name"], "woolly");
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses", Some(&t)).await.body,
        json!([])
    );
    let gone = get(&app, &format!("/api/v1/scheduled_statuses/{id}"), Some(&t)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error(), "Record not found");
}

#[tokio::test]
async fn too_soon_past_and_bad_dates() {
    let (app, _) = clocked(None).await;
    let (_, t) = user(&app, "alice").await;
    // Under Mastodon's five minutes ahead: 422 with its message.
    let soon = schedule(
        &app,
        &t,
        json!({"status": "x", "scheduled_at": at(4 * 60_000)}),
    )
    .await;
    assert_eq!(soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        soon.error(),
        "Validation failed: Scheduled at The scheduled date must be in the future"
    );
    let ok = schedule(
        &app,
        &t,
        json!({"status": "x", "scheduled_at": at(5 * 60_000)}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // A time in the past posts at once (a `Status`), as on Mastodon.
    let past = schedule(
        &app,
        &t,
        json!({"status": "now", "scheduled_at": "2029-12-31T23:00:00Z"}),
    )
    .await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.body["content"], "<p>now</p>");
    // Not a date; blank text; another's parent.
    let bad = schedule(&app, &t, json!({"status": "x", "scheduled_at": "tomorrow"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let blank = schedule(
        &app,
        &t,
        json!({"status": " ", "scheduled_at": at(3_600_000)}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.error(), "Validation failed: Text can't be blank");
    let orphan = schedule(
        &app,
        &t,
        json!({"status": "x", "scheduled_at": at(3_600_000), "in_reply_to_id": "4242"}),
    )
    .await;
    assert_eq!(orphan.status, StatusCode::NOT_FOUND);
    // Someone else's media.
    let (_, tb) = user(&app, "bob").await;
    let bobs = media::uploaded(&app, &tb).await;
    let theirs = schedule(
        &app,
        &t,
        json!({"status": "x", "scheduled_at": at(3_600_000), "media_ids": [bobs]}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without write:statuses.
    let (_, reader) = user_with(&app, "reader", false, "read").await;
    let r = schedule(
        &app,
        &reader,
        json!({"status": "x", "scheduled_at": at(3_600_000)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_lead_time_is_a_setting() {
    let (app, clock) = clocked(Some(0)).await;
    let (alice, t) = user(&app, "alice").await;
    let a = schedule(
        &app,
        &t,
        json!({"status": "in a second", "scheduled_at": at(1_000)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.body["params"].is_object());
    clock.advance(Duration::from_secs(1));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 1);
    let s = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    assert_eq!(s.body[0]["content"], "<p>in a second</p>");
}

#[tokio::test]
async fn put_moves_only_the_time_and_delete_cancels() {
    let (app, clock) = clocked(None).await;
    let (alice, t) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let a = schedule(
        &app,
        &t,
        json!({"status": "move me", "scheduled_at": at(600_000)}),
    )
    .await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/scheduled_statuses/{id}");
    let moved = form(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        &[("scheduled_at", &at(7_200_000)), ("status", "ignored")],
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["scheduled_at"], "2030-01-01T02:00:00Z");
    assert_eq!(moved.body["params"]["text"], "move me");
    assert_eq!(moved.body["id"], id.as_str());
    // Too soon, or not a date: 422 and nothing changes.
    let soon = form(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        &[("scheduled_at", &at(60_000))],
    )
    .await;
    assert_eq!(soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        soon.error(),
        "Validation failed: Scheduled at The scheduled date must be in the future"
    );
    let blank = form(&app, Method::PUT, &path, Some(&t), &[]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        get(&app, &path, Some(&t)).await.body["scheduled_at"],
        "2030-01-01T02:00:00Z"
    );
    // At the old time nothing is posted; at the new one it is.
    clock.advance(Duration::from_secs(600));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 0);
    clock.advance(Duration::from_secs(6_600));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 1);

    // Someone else's: 404 for every method; unknown and non-numeric ids too.
    let b = schedule(
        &app,
        &t,
        json!({"status": "mine", "scheduled_at": at(9_000_000)}),
    )
    .await;
    let bid = b.body["id"].as_str().unwrap().to_owned();
    let bpath = format!("/api/v1/scheduled_statuses/{bid}");
    assert_eq!(
        get(&app, &bpath, Some(&tb)).await.status,
        StatusCode::NOT_FOUND
    );
    let put = form(
        &app,
        Method::PUT,
        &bpath,
        Some(&tb),
        &[("scheduled_at", &at(9_900_000))],
    )
    .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, Method::DELETE, &bpath, Some(&tb)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses/77", Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses/x", Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses", Some(&tb))
            .await
            .body,
        json!([])
    );
    // Scopes.
    let (_, reader) = user_with(&app, "reader", false, "read:statuses").await;
    assert_eq!(
        call(&app, Method::DELETE, &bpath, Some(&reader))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Cancelled: `{}`, gone, never posted.
    let d = call(&app, Method::DELETE, &bpath, Some(&t)).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body, json!({}));
    assert_eq!(
        get(&app, &bpath, Some(&t)).await.status,
        StatusCode::NOT_FOUND
    );
    clock.advance(Duration::from_secs(10_000));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 0);
    let s = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    assert_eq!(ids(&s.body).len(), 1);
}

#[tokio::test]
async fn listing_pages_with_link_headers() {
    let (app, _) = clocked(None).await;
    let (_, t) = user(&app, "alice").await;
    let mut made = Vec::new();
    for i in 0..5u64 {
        let a = schedule(
            &app,
            &t,
            json!({"status": format!("s{i}"), "scheduled_at": at(3_600_000 + i * 60_000)}),
        )
        .await;
        made.push(a.body["id"].as_str().unwrap().to_owned());
    }
    let p1 = get(&app, "/api/v1/scheduled_statuses?limit=2", Some(&t)).await;
    assert_eq!(ids(&p1.body), [made[4].clone(), made[3].clone()]);
    let link = p1.header("link").unwrap().to_owned();
    assert!(
        link.contains(&format!("max_id={}>; rel=\"next\"", made[3])),
        "{link}"
    );
    assert!(
        link.contains(&format!("min_id={}>; rel=\"prev\"", made[4])),
        "{link}"
    );
    let p2 = get(
        &app,
        &format!("/api/v1/scheduled_statuses?limit=2&max_id={}", made[3]),
        Some(&t),
    )
    .await;
    assert_eq!(ids(&p2.body), [made[2].clone(), made[1].clone()]);
    let fwd = get(
        &app,
        &format!("/api/v1/scheduled_statuses?limit=2&min_id={}", made[0]),
        Some(&t),
    )
    .await;
    assert_eq!(ids(&fwd.body), [made[2].clone(), made[1].clone()]);
}

#[tokio::test]
async fn mastodons_total_and_daily_limits() {
    let (app, _) = clocked(None).await;
    let (_, t) = user(&app, "alice").await;
    // 25 due on one day, then the 26th that day is refused; another day is fine.
    for i in 0..25u64 {
        let a = schedule(
            &app,
            &t,
            json!({"status": format!("d{i}"), "scheduled_at": at(3_600_000 + i * 1000)}),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{i}: {}", a.text);
    }
    let over = schedule(
        &app,
        &t,
        json!({"status": "26", "scheduled_at": at(7_200_000)}),
    )
    .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        over.error(),
        "Validation failed: You have exceeded the limit of 25 scheduled posts for today"
    );
    let next_day = schedule(
        &app,
        &t,
        json!({"status": "tomorrow", "scheduled_at": at(86_400_000 + 60_000)}),
    )
    .await;
    assert_eq!(next_day.status, StatusCode::OK, "{}", next_day.text);
    // Moving one of the 25 within its own day is allowed.
    let first = get(&app, "/api/v1/scheduled_statuses?limit=40", Some(&t)).await;
    let some_id = first.body[5]["id"].as_str().unwrap().to_owned();
    let moved = form(
        &app,
        Method::PUT,
        &format!("/api/v1/scheduled_statuses/{some_id}"),
        Some(&t),
        &[("scheduled_at", &at(10_000_000))],
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    // 300 in all: fill up on other days (25 a day), then the 301st is refused.
    let mut n = 26u64;
    let mut day = 2u64;
    while n < 300 {
        for i in 0..25u64 {
            if n == 300 {
                break;
            }
            let a = schedule(
                &app,
                &t,
                json!({"status": "fill", "scheduled_at": at(day * 86_400_000 + i * 1000)}),
            )
            .await;
            assert_eq!(a.status, StatusCode::OK, "{n}: {}", a.text);
            n += 1;
        }
        day += 1;
    }
    let over = schedule(
        &app,
        &t,
        json!({"status": "301", "scheduled_at": at(100 * 86_400_000)}),
    )
    .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        over.error(),
        "Validation failed: You have exceeded the limit of 300 scheduled posts"
    );
}

#[tokio::test]
async fn a_status_that_can_no_longer_be_posted_is_dropped() {
    let (app, clock) = clocked(None).await;
    let (alice, t) = user(&app, "alice").await;
    let parent = post(&app, &t, json!({"status": "parent"})).await;
    let pid = parent["id"].as_str().unwrap();
    let a = schedule(
        &app,
        &t,
        json!({"status": "reply", "in_reply_to_id": pid, "scheduled_at": at(600_000)}),
    )
    .await;
    assert_eq!(a.body["params"]["in_reply_to_id"], pid);
    let d = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{pid}"),
        Some(&t),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    clock.advance(Duration::from_secs(600));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 0);
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses", Some(&t)).await.body,
        json!([])
    );
    let s = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    assert_eq!(s.body, json!([]));
}

/// A poll scheduled with a status: its parameters shown as Mastodon keeps them, checked when
/// scheduling (a bad poll is `422` at once), and the poll ending `expires_in` after posting.
#[tokio::test]
async fn a_scheduled_poll_is_checked_kept_and_posted() {
    let (app, clock) = clocked(None).await;
    let (alice, t) = user(&app, "alice").await;
    let bad = schedule(
        &app,
        &t,
        json!({
            "status": "one option only",
            "scheduled_at": at(10 * 60_000),
            "poll": {"options": ["lonely"], "expires_in": 600},
        }),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(
        get(&app, "/api/v1/scheduled_statuses", Some(&t)).await.body,
        json!([])
    );

    let a = schedule(
        &app,
        &t,
        json!({
            "status": "tea or coffee?",
            "scheduled_at": at(10 * 60_000),
            "poll": {"options": ["tea", "coffee"], "expires_in": 600, "multiple": true},
        }),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        a.body["params"]["poll"],
        json!({"options": ["tea", "coffee"], "expires_in": "600", "multiple": true, "hide_totals": false})
    );

    clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(app.publish_due_scheduled().await.unwrap(), 1);
    let statuses = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses", alice.id),
        Some(&t),
    )
    .await;
    let poll = &statuses.body[0]["poll"];
    assert_eq!(poll["multiple"], true, "{poll}");
    assert_eq!(poll["expired"], false, "{poll}");
    // Ten minutes after posting, which was ten minutes after the start.
    assert_eq!(poll["expires_at"], "2030-01-01T00:20:00Z", "{poll}");
    assert_eq!(
        poll["options"],
        json!([{"title": "tea", "votes_count": 0}, {"title": "coffee", "votes_count": 0}])
    );
}
