//! Polls through the client API: made with a status (form and JSON encodings), Mastodon's
//! `Poll` entity, voting and its errors, hidden totals, the closing job and its `poll`
//! notifications. One instance in process, on a clock that moves only when told to.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

/// An instance on a manual clock.
async fn clocked() -> (App, ManualClock) {
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_800_000_000_000));
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

async fn poll_post(app: &App, token: &str, poll: Value) -> Value {
    post(app, token, json!({"status": "Which one?", "poll": poll})).await
}

async fn vote(app: &App, token: &str, id: &str, choices: &[&str]) -> Answer {
    let fields: Vec<(&str, &str)> = choices.iter().map(|c| ("choices[]", *c)).collect();
    form(
        app,
        Method::POST,
        &format!("/api/v1/polls/{id}/votes"),
        Some(token),
        &fields,
    )
    .await
}

#[tokio::test]
async fn a_poll_made_with_form_fields_has_mastodons_entity() {
    let (app, _clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let a = form(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&ta),
        &[
            ("status", "Tea or coffee?"),
            ("poll[options][]", "tea"),
            ("poll[options][]", "coffee"),
            ("poll[expires_in]", "300"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let id = a.body["id"].as_str().unwrap();
    let expected = json!({
        "id": id,
        "expires_at": "2027-01-15T08:05:00Z",
        "expired": false,
        "multiple": false,
        "votes_count": 0,
        "voters_count": null,
        "options": [
            {"title": "tea", "votes_count": 0},
            {"title": "coffee", "votes_count": 0},
        ],
        "emojis": [],
        "voted": true,
        "own_votes": [],
    });
    assert_eq!(a.body["poll"], expected);
    // The poll on its own, for its author and for nobody in particular.
    let got = get(&app, &format!("/api/v1/polls/{id}"), Some(&ta)).await;
    assert_eq!(got.body, expected);
    let anon = get(&app, &format!("/api/v1/polls/{id}"), None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(anon.body.get("voted").is_none() && anon.body.get("own_votes").is_none());
    // The instance says what polls may be.
    let instance = get(&app, "/api/v2/instance", None).await;
    assert_eq!(
        instance.body["configuration"]["polls"],
        json!({"max_options": 4, "max_characters_per_option": 50,
               "min_expiration": 300, "max_expiration": 2_629_746})
    );
}

#[tokio::test]
async fn poll_limits_are_422() {
    let (app, _clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let cases = [
        json!({"options": ["only"], "expires_in": 300}),
        json!({"options": ["a", "b", "c", "d", "e"], "expires_in": 300}),
        json!({"options": ["a", "x".repeat(51)], "expires_in": 300}),
        json!({"options": ["a", "a"], "expires_in": 300}),
        json!({"options": ["a", ""], "expires_in": 300}),
        json!({"options": ["a", "b"], "expires_in": 299}),
        json!({"options": ["a", "b"], "expires_in": 2_629_747}),
        json!({"options": ["a", "b"]}),
        json!("not an object"),
    ];
    for poll in cases {
        let a = json(
            &app,
            Method::POST,
            "/api/v1/statuses",
            Some(&ta),
            json!({"status": "?", "poll": poll}),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{poll}: {}",
            a.text
        );
        assert!(a.error().starts_with("Validation failed") || a.error().starts_with("poll"));
    }
    // At the limits it is fine: 4 options of 50 characters, a month.
    let ok = poll_post(
        &app,
        &ta,
        json!({"options": ["a".repeat(50), "b", "c", "d"], "expires_in": 2_629_746, "multiple": true}),
    )
    .await;
    assert_eq!(ok["poll"]["multiple"], true);
    assert_eq!(ok["poll"]["voters_count"], 0);
    // Not with media.
    let media = support::media::uploaded(&app, &ta).await;
    let a = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&ta),
        json!({"status": "?", "media_ids": [media],
               "poll": {"options": ["a", "b"], "expires_in": 300}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    // Nothing was posted by the refused ones.
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&ta)).await;
    assert_eq!(me.body["statuses_count"], 1);
}

#[tokio::test]
async fn voting_counts_and_refuses_what_mastodon_refuses() {
    let (app, clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (_bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    let s = poll_post(
        &app,
        &ta,
        json!({"options": ["a", "b", "c"], "expires_in": 600}),
    )
    .await;
    let id = s["id"].as_str().unwrap();

    let v = vote(&app, &tb, id, &["1"]).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);
    assert_eq!(v.body["votes_count"], 1);
    assert_eq!(v.body["voted"], true);
    assert_eq!(v.body["own_votes"], json!([1]));
    assert_eq!(
        v.body["options"],
        json!([{"title": "a", "votes_count": 0}, {"title": "b", "votes_count": 1},
               {"title": "c", "votes_count": 0}])
    );
    // Errors: again, several in a one-choice poll, unknown option, none, own poll.
    for (token, choices, msg) in [
        (&tb, vec!["0"], "You have already voted on this poll"),
        (&tc, vec!["0", "1"], "You have already voted on this poll"),
        (&tc, vec!["3"], "The chosen vote option does not exist"),
        (&tc, vec!["x"], "The chosen vote option does not exist"),
        (&tc, vec![], "Choices can't be blank"),
        (&ta, vec!["0"], "You cannot vote in your own polls"),
    ] {
        let a = vote(&app, token, id, &choices).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{choices:?}");
        assert_eq!(a.error(), format!("Validation failed: {msg}"));
    }
    // Unknown poll, a status without one, no token, a read-only token.
    assert_eq!(
        vote(&app, &tc, "999", &["0"]).await.status,
        StatusCode::NOT_FOUND
    );
    let plain = post(&app, &ta, json!({"status": "no poll"})).await;
    let plain_id = plain["id"].as_str().unwrap();
    assert_eq!(
        vote(&app, &tc, plain_id, &["0"]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("/api/v1/polls/{plain_id}"), Some(&tc))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/polls/{id}/votes"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let (_dave, td) = user_with(&app, "dave", false, "read").await;
    assert_eq!(
        vote(&app, &td, id, &["0"]).await.status,
        StatusCode::FORBIDDEN
    );
    // A poll in a status one cannot see is not found.
    let private = post(
        &app,
        &ta,
        json!({"status": "followers only", "visibility": "private",
               "poll": {"options": ["a", "b"], "expires_in": 600}}),
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    assert_eq!(
        vote(&app, &tc, pid, &["0"]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("/api/v1/polls/{pid}"), Some(&tc))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Carol's vote is counted; the status entity carries the same poll.
    assert_eq!(vote(&app, &tc, id, &["1"]).await.status, StatusCode::OK);
    let seen = get(&app, &format!("/api/v1/statuses/{id}"), Some(&tc)).await;
    assert_eq!(seen.body["poll"]["votes_count"], 2);
    assert_eq!(seen.body["poll"]["own_votes"], json!([1]));

    // Ten minutes later it has ended: no more votes.
    clock.advance(Duration::from_secs(601));
    let (_erin, te) = user(&app, "erin").await;
    let a = vote(&app, &te, id, &["0"]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.error(), "Validation failed: The poll has already ended");
    let p = get(&app, &format!("/api/v1/polls/{id}"), Some(&te)).await;
    assert_eq!(p.body["expired"], true);
    assert_eq!(p.body["voted"], false);
    assert_eq!(p.body["own_votes"], json!([]));
}

#[tokio::test]
async fn multiple_choice_and_hidden_totals() {
    let (app, clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (_bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    let s = poll_post(
        &app,
        &ta,
        json!({"options": ["a", "b", "c"], "expires_in": 300, "multiple": true, "hide_totals": true}),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    let v = vote(&app, &tb, id, &["0", "2", "2"]).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);
    assert_eq!(v.body["own_votes"], json!([0, 2]));
    assert_eq!(v.body["votes_count"], 2);
    assert_eq!(v.body["voters_count"], 1);
    assert_eq!(
        v.body["options"],
        json!([{"title": "a", "votes_count": null}, {"title": "b", "votes_count": null},
               {"title": "c", "votes_count": null}])
    );
    vote(&app, &tc, id, &["2"]).await;
    clock.advance(Duration::from_secs(301));
    let p = get(&app, &format!("/api/v1/polls/{id}"), Some(&tc)).await;
    assert_eq!(p.body["votes_count"], 3);
    assert_eq!(p.body["voters_count"], 2);
    assert_eq!(
        p.body["options"],
        json!([{"title": "a", "votes_count": 1}, {"title": "b", "votes_count": 0},
               {"title": "c", "votes_count": 2}])
    );
}

#[tokio::test]
async fn closing_notifies_the_author_and_the_voters_once() {
    let (app, clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (_bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    let s = poll_post(&app, &ta, json!({"options": ["a", "b"], "expires_in": 300})).await;
    let id = s["id"].as_str().unwrap();
    vote(&app, &tb, id, &["0"]).await;
    // Only the coalesced result update is due (3 s after the vote); nothing is notified.
    clock.advance(Duration::from_secs(5));
    assert_eq!(app.run_poll_jobs(10).await.unwrap(), 1);
    assert_eq!(app.run_poll_jobs(10).await.unwrap(), 0);
    let n = get(&app, "/api/v1/notifications", Some(&ta)).await;
    assert_eq!(n.body, json!([]));
    clock.advance(Duration::from_secs(300));
    assert_eq!(app.run_poll_jobs(10).await.unwrap(), 1);
    for (token, who) in [(&ta, "alice"), (&tb, "bob")] {
        let n = get(&app, "/api/v1/notifications", Some(token)).await;
        let list = n.body.as_array().unwrap();
        assert_eq!(list.len(), 1, "{who}: {}", n.text);
        assert_eq!(list[0]["type"], "poll");
        assert_eq!(list[0]["account"]["acct"], "alice");
        assert_eq!(list[0]["status"]["id"], id);
        assert_eq!(list[0]["status"]["poll"]["expired"], true);
    }
    let n = get(&app, "/api/v1/notifications", Some(&tc)).await;
    assert_eq!(n.body, json!([]), "carol did not vote");
    assert_eq!(app.run_poll_jobs(10).await.unwrap(), 0, "the job ran once");
}
