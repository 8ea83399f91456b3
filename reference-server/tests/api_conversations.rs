//! Conversations built from direct messages, their endpoints and error paths, and the
//! `direct` and `list` streams.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::BodyExt;
use reference_server::api::streaming::{self, Stream};
use serde_json::{json, Value};
use support::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn dm(text: &str) -> Value {
    json!({"status": text, "visibility": "direct"})
}

/// The next event of an SSE body (skipping comments), within two seconds.
async fn next_event(body: &mut reference_server::http::Body) -> (String, Value) {
    let mut buf = String::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
            .await
            .expect("an event within 2 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buf.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = buf.find('\n') {
            let line: String = buf.drain(..=end).collect();
            if let Some(event) = line.strip_prefix("event: ") {
                let event = event.trim().to_owned();
                while !buf.contains("\n\n") {
                    let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
                        .await
                        .unwrap()
                        .unwrap()
                        .unwrap();
                    if let Ok(d) = frame.into_data() {
                        buf.push_str(std::str::from_utf8(&d).unwrap());
                    }
                }
                let data = buf.lines().next().unwrap().strip_prefix("data: ").unwrap();
                let payload =
                    serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.into()));
                return (event, payload);
            }
        }
    }
}

#[tokio::test]
async fn direct_messages_make_conversations() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;

    let first = post(&app, &ta, dm("@bob a secret")).await;
    let mine = get(&app, "/api/v1/conversations", Some(&ta)).await;
    assert_eq!(mine.status, StatusCode::OK);
    let c = &mine.body[0];
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["accounts", "id", "last_status", "unread"]);
    assert_eq!(c["unread"], false);
    assert_eq!(ids(&c["accounts"]), vec![bob.id.to_string()]);
    assert_eq!(c["accounts"][0]["acct"], "bob");
    assert_eq!(c["last_status"]["id"], first["id"]);
    assert_eq!(c["last_status"]["visibility"], "direct");
    let theirs = get(&app, "/api/v1/conversations", Some(&tb)).await;
    let bc = theirs.body[0].clone();
    assert_eq!(bc["unread"], true);
    assert_eq!(ids(&bc["accounts"]), vec![alice.id.to_string()]);
    assert_eq!(bc["last_status"]["id"], first["id"]);
    assert_ne!(bc["id"], c["id"], "one conversation per account");
    // Not a participant: nothing.
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&tc)).await.body,
        json!([])
    );
    // Not direct: no conversation.
    post(&app, &ta, json!({"status": "@bob in public"})).await;
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&tb))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A reply in the thread joins the same conversation on both sides.
    let reply = post(
        &app,
        &tb,
        json!({"status": "@alice got it", "visibility": "direct", "in_reply_to_id": id(&first)}),
    )
    .await;
    let mine = get(&app, "/api/v1/conversations", Some(&ta)).await;
    assert_eq!(ids(&mine.body), vec![id(c)]);
    assert_eq!(mine.body[0]["unread"], true);
    assert_eq!(mine.body[0]["last_status"]["id"], reply["id"]);
    let theirs = get(&app, "/api/v1/conversations", Some(&tb)).await;
    assert_eq!(ids(&theirs.body), vec![id(&bc)]);
    assert_eq!(theirs.body[0]["unread"], false);

    // Read: the conversation, unread no more.
    let path = format!("/api/v1/conversations/{}", id(c));
    let read = call(&app, Method::POST, &format!("{path}/read"), Some(&ta)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["id"], c["id"]);
    assert_eq!(read.body["unread"], false);
    assert_eq!(read.body["last_status"]["id"], reply["id"]);
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&ta)).await.body[0]["unread"],
        false
    );

    // Someone else's conversation, an unknown one, a malformed id: 404.
    for p in [
        path.clone(),
        "/api/v1/conversations/424242".into(),
        "/api/v1/conversations/x".into(),
    ] {
        let a = call(&app, Method::POST, &format!("{p}/read"), Some(&tb)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(a.error(), "Record not found");
        let a = call(&app, Method::DELETE, &p, Some(&tb)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{p}");
    }
    // Scopes: read:statuses to list, write:conversations to change.
    let (_, writer) = user_with(&app, "writer", false, "write:conversations").await;
    let (_, reader) = user_with(&app, "reader", false, "read:statuses").await;
    let a = get(&app, "/api/v1/conversations", Some(&writer)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error(), "This action is outside the authorized scopes");
    let a = call(&app, Method::DELETE, &path, Some(&reader)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, "/api/v1/conversations", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Delete hides it for its owner only; a new message starts a new one.
    let a = call(&app, Method::DELETE, &path, Some(&ta)).await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&ta)).await.body,
        json!([])
    );
    assert_eq!(
        ids(&get(&app, "/api/v1/conversations", Some(&tb)).await.body),
        vec![id(&bc)]
    );
    post(
        &app,
        &tb,
        json!({"status": "@alice still there?", "visibility": "direct", "in_reply_to_id": id(&reply)}),
    )
    .await;
    let mine = get(&app, "/api/v1/conversations", Some(&ta)).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    assert_ne!(mine.body[0]["id"], c["id"]);
    assert_eq!(mine.body[0]["unread"], true);
}

#[tokio::test]
async fn conversations_page_and_follow_deletions() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let (_, _) = user(&app, "dave").await;
    let with_bob = post(&app, &ta, dm("@bob one")).await;
    let with_carol = post(&app, &ta, dm("@carol two")).await;
    let with_both = post(&app, &ta, dm("@bob @carol three")).await;
    // Writing to oneself: the conversation shows the writer.
    let alone = post(&app, &ta, dm("note to self")).await;
    let all = get(&app, "/api/v1/conversations", Some(&ta)).await;
    let last: Vec<Value> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_status"]["id"].clone())
        .collect();
    assert_eq!(
        last,
        vec![
            alone["id"].clone(),
            with_both["id"].clone(),
            with_carol["id"].clone(),
            with_bob["id"].clone()
        ]
    );
    assert_eq!(all.body[0]["accounts"][0]["acct"], "alice");
    let accts: Vec<&str> = all.body[1]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["acct"].as_str().unwrap())
        .collect();
    assert_eq!(accts.len(), 2);
    assert!(accts.contains(&"bob") && accts.contains(&"carol"));

    // Paged by last status, with Link headers.
    let p1 = get(&app, "/api/v1/conversations?limit=2", Some(&ta)).await;
    assert_eq!(p1.body.as_array().unwrap().len(), 2);
    let link = p1.header("link").unwrap();
    assert!(
        link.starts_with(&format!(
            "<https://wool.test/api/v1/conversations?limit=2&max_id={}>; rel=\"next\"",
            id(&with_both)
        )),
        "{link}"
    );
    let p2 = get(
        &app,
        &format!("/api/v1/conversations?limit=2&max_id={}", id(&with_both)),
        Some(&ta),
    )
    .await;
    let p2_last: Vec<Value> = p2
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_status"]["id"].clone())
        .collect();
    assert_eq!(
        p2_last,
        vec![with_carol["id"].clone(), with_bob["id"].clone()]
    );

    // A reply moves its conversation to the top; deleting it moves it back.
    let reply = post(
        &app,
        &tb,
        json!({"status": "@alice ok", "visibility": "direct", "in_reply_to_id": id(&with_bob)}),
    )
    .await;
    let top = get(&app, "/api/v1/conversations?limit=1", Some(&ta)).await;
    assert_eq!(top.body[0]["last_status"]["id"], reply["id"]);
    let a = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", id(&reply)),
        Some(&tb),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let top = get(&app, "/api/v1/conversations?limit=1", Some(&ta)).await;
    assert_eq!(top.body[0]["last_status"]["id"], alone["id"]);
    // Deleting a conversation's only status removes the conversation.
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", id(&with_carol)),
        Some(&ta),
    )
    .await;
    let carols = get(&app, "/api/v1/conversations", Some(&tc)).await;
    assert_eq!(carols.body.as_array().unwrap().len(), 1);
    assert_eq!(carols.body[0]["last_status"]["id"], with_both["id"]);
}

#[tokio::test]
async fn blocked_senders_start_no_conversation() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", alice.id),
        Some(&tb),
    )
    .await;
    post(&app, &ta, dm("@bob hello?")).await;
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&tb)).await.body,
        json!([])
    );
    assert_eq!(
        get(&app, "/api/v1/conversations", Some(&ta))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn direct_and_list_streams() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, _) = user(&app, "carol").await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&ta),
    )
    .await;
    let list = json(
        &app,
        Method::POST,
        "/api/v1/lists",
        Some(&ta),
        json!({"title": "b"}),
    )
    .await;
    let list_id = id(&list.body);
    json(
        &app,
        Method::POST,
        &format!("/api/v1/lists/{list_id}/accounts"),
        Some(&ta),
        json!({"account_ids": [bob.id.to_string()]}),
    )
    .await;

    assert!(Stream::parse("list", Some("x")).is_none());
    let mut direct = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("direct", None).unwrap()],
    )
    .into_body();
    let mut listed = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("list", Some(&list_id)).unwrap()],
    )
    .into_body();
    // Carol's direct stream hears nothing of alice's conversation.
    let mut carols = streaming::sse_response(
        app.clone(),
        Some(carol.id),
        vec![Stream::parse("direct", None).unwrap()],
    )
    .into_body();

    let s = post(&app, &tb, json!({"status": "to the list"})).await;
    let (event, payload) = next_event(&mut listed).await;
    assert_eq!(event, "update");
    assert_eq!(payload["id"], s["id"]);

    let d = post(&app, &tb, dm("@alice psst")).await;
    let (event, payload) = next_event(&mut direct).await;
    assert_eq!(event, "conversation");
    assert_eq!(payload["unread"], true);
    assert_eq!(payload["last_status"]["id"], d["id"]);
    assert_eq!(payload["accounts"][0]["acct"], "bob");
    let convs = get(&app, "/api/v1/conversations", Some(&ta)).await;
    assert_eq!(payload["id"], convs.body[0]["id"]);
    // The direct message did not reach the list stream: the next list event is the delete.
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", id(&s)),
        Some(&tb),
    )
    .await;
    let (event, payload) = next_event(&mut listed).await;
    assert_eq!(event, "delete");
    assert_eq!(
        payload,
        json!(s["id"].as_str().unwrap().parse::<u64>().unwrap())
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), carols.frame())
            .await
            .map(|f| f.unwrap().unwrap().into_data().unwrap().starts_with(b":"))
            .unwrap_or(true),
        "carol hears nothing but the opening comment"
    );
}
