//! Mutes with a duration and Mastodon's `notifications` flag, in process on a manual clock:
//! expiry applied when read, `mute_expires_at` in the muted accounts list, statuses hidden
//! while notifications still arrive when `notifications` is false.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

const START_MS: u64 = 1_893_456_000_000;

async fn clocked() -> (App, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(START_MS));
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
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

async fn act(app: &App, token: &str, target: u64, action: &str, body: Value) -> Answer {
    json(
        app,
        Method::POST,
        &format!("/api/v1/accounts/{target}/{action}"),
        Some(token),
        body,
    )
    .await
}

async fn home_ids(app: &App, token: &str) -> Vec<String> {
    ids(&get(app, "/api/v1/timelines/home", Some(token)).await.body)
}

async fn mention_senders(app: &App, token: &str) -> Vec<String> {
    get(app, "/api/v1/notifications?types[]=mention", Some(token))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["account"]["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_timed_mute_expires_by_the_clock_and_notifications_false_keeps_notifications() {
    let (app, clock) = clocked().await;
    let (_, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, tc) = user(&app, "carol").await;
    for target in [bob.id, carol.id] {
        assert_eq!(
            act(&app, &ta, target, "follow", json!({})).await.status,
            StatusCode::OK
        );
    }
    let before = post(&app, &tb, json!({"status": "before"})).await;

    // Bob for an hour, his notifications still wanted; Carol until unmuted, notifications too.
    let a = act(
        &app,
        &ta,
        bob.id,
        "mute",
        json!({"duration": 3600, "notifications": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        (&a.body["muting"], &a.body["muting_notifications"]),
        (&json!(true), &json!(false))
    );
    let a = act(&app, &ta, carol.id, "mute", json!({})).await;
    assert_eq!(
        (&a.body["muting"], &a.body["muting_notifications"]),
        (&json!(true), &json!(true))
    );
    let mutes = get(&app, "/api/v1/mutes", Some(&ta)).await;
    assert_eq!(mutes.status, StatusCode::OK);
    let listed: Vec<(Value, Value)> = mutes
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["username"].clone(), a["mute_expires_at"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (json!("carol"), Value::Null),
            (json!("bob"), json!("2030-01-01T01:00:00Z"))
        ]
    );
    // `mute_expires_at` comes last, after the account's own keys, as Mastodon's serializer.
    let keys: Vec<&String> = mutes.body[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.last().unwrap().as_str(), "mute_expires_at");

    // While muted: statuses leave the home timeline; bob's mention still notifies, carol's not.
    let during = post(&app, &tb, json!({"status": "@alice during"})).await;
    post(&app, &tc, json!({"status": "@alice from carol"})).await;
    let home = home_ids(&app, &ta).await;
    assert!(!home.contains(&before["id"].as_str().unwrap().to_owned()));
    assert!(!home.contains(&during["id"].as_str().unwrap().to_owned()));
    assert_eq!(mention_senders(&app, &ta).await, ["bob"]);

    // An hour later the mute is over, with no job having run: it is applied when read.
    clock.advance(Duration::from_secs(3601));
    let home = home_ids(&app, &ta).await;
    assert!(home.contains(&before["id"].as_str().unwrap().to_owned()));
    let rel = get(
        &app,
        &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(rel.body[0]["muting"], false);
    assert_eq!(rel.body[0]["muting_notifications"], false);
    let mutes = get(&app, "/api/v1/mutes", Some(&ta)).await;
    assert_eq!(mutes.body.as_array().unwrap().len(), 1);
    assert_eq!(mutes.body[0]["username"], "carol");
    post(&app, &tb, json!({"status": "@alice after"})).await;
    assert_eq!(mention_senders(&app, &ta).await, ["bob", "bob"]);

    // Muting again replaces the mute: `duration` 0 is until unmuted.
    let a = act(&app, &ta, bob.id, "mute", json!({"duration": 0})).await;
    assert_eq!(a.body["muting_notifications"], true);
    let mutes = get(&app, "/api/v1/mutes", Some(&ta)).await;
    assert_eq!(mutes.body[0]["username"], "bob");
    assert_eq!(mutes.body[0]["mute_expires_at"], Value::Null);
    assert_eq!(mutes.body.as_array().unwrap().len(), 2);

    // Errors: unknown account 404, oneself 422, a bad duration 400, no write scope 403.
    assert_eq!(
        act(&app, &ta, 999, "mute", json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&ta)).await;
    let me_id: u64 = me.body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        act(&app, &ta, me_id, "mute", json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        act(&app, &ta, bob.id, "mute", json!({"duration": "soon"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let (_, read_only) = user_with(&app, "dave", false, "read").await;
    assert_eq!(
        act(&app, &read_only, bob.id, "mute", json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
