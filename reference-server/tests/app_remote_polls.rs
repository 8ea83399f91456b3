//! Incoming `Question`s keep their options and counts: real documents of the shared corpus
//! (Mastodon, Pleroma, Misskey, read at run time) and fixtures written here in other servers'
//! shapes (`tests/fixtures/polls/<software>/`). Each becomes a status whose `poll` entity has
//! the document's option names and `replies.totalItems`, `multiple` from `anyOf`, the end
//! time, and `expired` for a closed or past poll. The expected values come from the files.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::{Actor, Object};
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use reference_server::{App, Config};
use serde_json::{json, Value};

fn read(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    match doc.get("object") {
        Some(o) if o.is_object() && doc["type"] == "Create" => o.clone(),
        _ => doc,
    }
}

fn corpus(path: &str) -> Value {
    read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus/objects")
            .join(path),
    )
}

fn fixture(path: &str) -> Value {
    read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/polls")
            .join(path),
    )
}

/// Stores `object` as a remote status (its author made from its `attributedTo`) on an
/// instance whose clock reads `now`, and returns its `Status` entity (anonymous).
async fn ingest(object: &Value, now: &str) -> Value {
    let t =
        time::OffsetDateTime::parse(now, &time::format_description::well_known::Rfc3339).unwrap();
    let clock = ManualClock::new(Timestamp::from_unix_millis(
        (t.unix_timestamp() * 1000) as u64,
    ));
    let app = App::with_clock(
        Config {
            base_url: "http://wool.test".into(),
            ..Config::default()
        },
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::new()),
        Some(Arc::new(clock)),
    )
    .await
    .unwrap();
    let author = object["attributedTo"].as_str().unwrap();
    let actor: Actor = serde_json::from_value(json!({
        "id": author,
        "type": "Person",
        "preferredUsername": "asker",
        "inbox": format!("{author}/inbox"),
        "followers": format!("{author}/followers"),
    }))
    .unwrap();
    let account = app.upsert_remote_account(&actor).await.unwrap();
    let o: Object = serde_json::from_value(object.clone()).unwrap();
    let s = app
        .ingest_remote_status(&o, Some(&account))
        .await
        .unwrap()
        .unwrap();
    let req = http::Request::get(format!("/api/v1/statuses/{}", s.id))
        .body(Bytes::new())
        .unwrap();
    let resp = reference_server::api::handle(&app, &req).await.unwrap();
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(resp.body()).unwrap()
}

/// The options (name, totalItems) and whether several may be chosen, from the document.
fn expected_options(object: &Value) -> (Value, bool) {
    let (list, multiple) = match object.get("oneOf") {
        Some(Value::Array(a)) if !a.is_empty() => (a, false),
        _ => (object["anyOf"].as_array().unwrap(), true),
    };
    let options = list
        .iter()
        .map(|o| json!({"title": o["name"], "votes_count": o["replies"]["totalItems"]}))
        .collect();
    (Value::Array(options), multiple)
}

async fn check(object: Value, now: &str, expired: bool, label: &str) -> Value {
    let st = ingest(&object, now).await;
    let p = &st["poll"];
    let (options, multiple) = expected_options(&object);
    assert_eq!(p["options"], options, "{label}: {p}");
    assert_eq!(p["multiple"], multiple, "{label}");
    assert_eq!(p["expired"], expired, "{label}");
    assert_eq!(p["id"], st["id"], "{label}: the poll's id is the status's");
    let votes: u64 = options
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes_count"].as_u64().unwrap())
        .sum();
    assert_eq!(p["votes_count"], votes, "{label}");
    assert!(p.get("voted").is_none(), "{label}: no viewer");
    if multiple {
        assert_eq!(p["voters_count"], object["votersCount"], "{label}");
    } else {
        assert_eq!(p["voters_count"], Value::Null, "{label}");
    }
    match object["endTime"].as_str() {
        Some(end) => assert_eq!(p["expires_at"], end, "{label}"),
        None => assert_eq!(p["expires_at"], Value::Null, "{label}"),
    }
    st
}

#[tokio::test]
async fn mastodon_question_from_the_corpus() {
    let o = corpus("mastodon/pleroma-fixture_mastodon-question-activity.json");
    let st = check(o, "2019-05-10T12:00:00Z", false, "mastodon").await;
    assert_eq!(
        st["content"],
        "<p>Why is Tenshi eating a corndog so cute?</p>"
    );
    // After its endTime it has ended.
    let o = corpus("mastodon/pleroma-fixture_mastodon-question-activity.json");
    check(o, "2019-05-12T00:00:00Z", true, "mastodon, later").await;
}

#[tokio::test]
async fn pleroma_closed_question_from_the_corpus() {
    let o = corpus("pleroma/pleroma-fixture_poll_original.json");
    let st = check(o, "2019-09-18T00:00:00Z", true, "pleroma (closed)").await;
    assert_eq!(
        st["poll"]["options"][0],
        json!({"title": "yes", "votes_count": 4})
    );
}

#[tokio::test]
async fn misskey_question_without_end_from_the_corpus() {
    let o = corpus("misskey/pleroma-fixture_misskey_poll_no_end_date.json");
    check(o, "2030-01-01T00:00:00Z", false, "misskey (no endTime)").await;
}

#[tokio::test]
async fn gotosocial_multiple_choice_question() {
    let o = fixture("gotosocial/question.json");
    check(o, "2021-11-02T00:00:00Z", true, "gotosocial (closed anyOf)").await;
}

#[tokio::test]
async fn mastodon_multiple_choice_question() {
    let o = fixture("mastodon/question_any_of.json");
    let st = check(o, "2099-01-01T13:00:00Z", false, "mastodon anyOf").await;
    assert_eq!(st["poll"]["voters_count"], 3);
    assert_eq!(st["poll"]["votes_count"], 6);
}
