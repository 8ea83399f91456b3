//! The streaming API: server-sent events and WebSocket, in process and over loopback.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use reference_server::api::streaming::{self, Stream};
use reference_server::app::notification_policy::{NotificationPolicy, PolicyAction};
use reference_server::App;
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// Reads the next event frame (skipping comments) of an SSE body, within two seconds.
async fn next_event(body: &mut reference_server::http::Body) -> (String, String) {
    let mut buf = String::new();
    for _ in 0..50 {
        let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
            .await
            .expect("an event within 2 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buf.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = buf
            .find("\n\n")
            .or_else(|| buf.starts_with(':').then(|| buf.find('\n').unwrap()))
        {
            let chunk: String = buf
                .drain(..end + if buf[end..].starts_with("\n\n") { 2 } else { 1 })
                .collect();
            if chunk.starts_with(':') {
                continue;
            }
            let mut lines = chunk.lines();
            let event = lines
                .next()
                .unwrap()
                .strip_prefix("event: ")
                .unwrap()
                .to_owned();
            let data = lines
                .next()
                .unwrap()
                .strip_prefix("data: ")
                .unwrap()
                .to_owned();
            return (event, data);
        }
    }
    panic!("no event in {buf:?}");
}

#[tokio::test]
async fn server_sent_events_carry_updates_notifications_edits_and_deletes() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let resp = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("user", None).unwrap()],
    );
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut public = streaming::sse_response(
        app.clone(),
        None,
        vec![Stream::parse("public/local", None).unwrap()],
    )
    .into_body();
    let mut tag = streaming::sse_response(
        app.clone(),
        None,
        vec![Stream::parse("hashtag", Some("#Wool")).unwrap()],
    )
    .into_body();

    let s = post(&app, &ta, json!({"status": "live #wool"})).await;
    let (event, data) = next_event(&mut body).await;
    assert_eq!(event, "update");
    let payload: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(payload["id"], s["id"]);
    assert_eq!(payload["content"], s["content"]);
    assert_eq!(payload["favourited"], false);
    let (event, data) = next_event(&mut public).await;
    assert_eq!(event, "update");
    assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["id"], s["id"]);
    assert_eq!(
        serde_json::from_str::<Value>(&next_event(&mut tag).await.1).unwrap()["id"],
        s["id"]
    );

    // Bob favourites: alice gets a notification.
    call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{}/favourite", s["id"].as_str().unwrap()),
        Some(&tb),
    )
    .await;
    let (event, data) = next_event(&mut body).await;
    assert_eq!(event, "notification");
    let n: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (n["type"].as_str(), n["account"]["acct"].as_str()),
        (Some("favourite"), Some("bob"))
    );

    // Edit, then delete.
    let id = s["id"].as_str().unwrap();
    json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
        json!({"status": "edited"}),
    )
    .await;
    let (event, data) = next_event(&mut body).await;
    assert_eq!(event, "status.update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["content"],
        "<p>edited</p>"
    );
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        next_event(&mut body).await,
        ("delete".to_owned(), id.to_owned())
    );
    // The public stream shows public statuses: it gets the edit and the delete too.
    let (event, data) = next_event(&mut public).await;
    assert_eq!(event, "status.update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["content"],
        "<p>edited</p>"
    );
    assert_eq!(
        next_event(&mut public).await,
        ("delete".to_owned(), id.to_owned())
    );
}

#[tokio::test]
async fn private_statuses_stay_off_other_streams() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, _) = user(&app, "bob").await;
    // Bob takes private mentions from strangers (Mastodon's default filters them).
    let policy = NotificationPolicy {
        for_private_mentions: PolicyAction::Accept,
        ..NotificationPolicy::default()
    };
    app.set_notification_policy(bob.id, &policy).await.unwrap();
    let mut bobs = streaming::sse_response(
        app.clone(),
        Some(bob.id),
        vec![Stream::parse("user", None).unwrap()],
    )
    .into_body();
    post(
        &app,
        &ta,
        json!({"status": "just mine", "visibility": "private"}),
    )
    .await;
    let mine = post(
        &app,
        &ta,
        json!({"status": "hi @bob", "visibility": "direct"}),
    )
    .await;
    // Bob is not a follower: the first never reaches him; the mention does, and notifies.
    let (event, data) = next_event(&mut bobs).await;
    assert_eq!(event, "update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        mine["id"]
    );
    let (event, _) = next_event(&mut bobs).await;
    assert_eq!(event, "notification");
    let _ = alice;
    assert!(Stream::parse("list", None).is_none());
    assert!(Stream::parse("hashtag", None).is_none());
}

async fn serve(app: App) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let app = app.clone();
                        async move {
                            let resp = streaming::streaming(&app, req).await.unwrap_or_else(|| {
                                let mut r = http::Response::new(
                                    http_body_util::Full::new(Bytes::new()).boxed(),
                                );
                                *r.status_mut() = StatusCode::NOT_FOUND;
                                r
                            });
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

/// A raw HTTP/1.1 GET; returns what arrived until `until` was seen (or the connection
/// closed), within two seconds.
async fn raw_get(addr: std::net::SocketAddr, path: &str, until: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: wool.test\r\nAccept: text/event-stream\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !String::from_utf8_lossy(&out).contains(until) {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("{e}"),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn over_loopback_errors_sse_and_websocket() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let addr = serve(app.clone()).await;

    let bad = raw_get(addr, "/api/v1/streaming/user?access_token=nope", "}").await;
    assert!(bad.starts_with("HTTP/1.1 401"), "{bad}");
    assert!(bad.contains("{\"error\":\"The access token is invalid\"}"));
    let anon = raw_get(addr, "/api/v1/streaming/user", "}").await;
    assert!(anon.starts_with("HTTP/1.1 401"), "{anon}");
    assert!(anon.contains("Missing access token"));
    let unknown = raw_get(addr, "/api/v1/streaming/nonsense", "}").await;
    assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
    // A list stream needs a list id, a user, and the user's own list.
    let no_list = raw_get(
        addr,
        &format!("/api/v1/streaming/list?access_token={ta}"),
        "}",
    )
    .await;
    assert!(no_list.starts_with("HTTP/1.1 400"), "{no_list}");
    assert!(no_list.contains("Unknown stream type"), "{no_list}");
    let anon_list = raw_get(addr, "/api/v1/streaming/list?list=1", "}").await;
    assert!(anon_list.starts_with("HTTP/1.1 401"), "{anon_list}");
    let others = raw_get(
        addr,
        &format!("/api/v1/streaming/list?list=1&access_token={ta}"),
        "}",
    )
    .await;
    assert!(others.starts_with("HTTP/1.1 401"), "{others}");
    assert!(
        others.contains("{\"error\":\"Not authorized to stream this list\"}"),
        "{others}"
    );
    let health = raw_get(addr, "/api/v1/streaming/health", "OK").await;
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("OK"),
        "{health}"
    );

    // SSE over the wire: post while the stream is open.
    let sse = {
        let app = app.clone();
        let ta = ta.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            post(&app, &ta, json!({"status": "on the wire"})).await
        })
    };
    let got = raw_get(
        addr,
        &format!("/api/v1/streaming/public?access_token={ta}"),
        "\n\n",
    )
    .await;
    let posted = sse.await.unwrap();
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream"));
    assert!(
        got.contains(&format!(
            "event: update\ndata: {{\"id\":\"{}\"",
            posted["id"].as_str().unwrap()
        )),
        "{got}"
    );

    // WebSocket: a stream from the query, another by subscribing.
    let (mut ws, resp) = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/api/v1/streaming?stream=user&access_token={ta}"
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws.send(Message::Text(
        json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"}).to_string(),
    ))
    .await
    .unwrap();
    ws.send(Message::Text(
        json!({"type": "subscribe", "stream": "nonsense"}).to_string(),
    ))
    .await
    .unwrap();
    let mut next_text = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("a message within 2 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    let err = next_text().await;
    assert_eq!(err["error"], "Unknown stream type");
    let s = post(&app, &ta, json!({"status": "websocket #rust"})).await;
    // One message per matching stream: the hashtag and the user's home.
    let mut streams = Vec::new();
    for _ in 0..2 {
        let m = next_text().await;
        assert_eq!(m["event"], "update");
        let payload: Value = serde_json::from_str(m["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["id"], s["id"]);
        assert_eq!(payload["account"]["acct"], "alice");
        streams.push(m["stream"].clone());
    }
    streams.sort_by_key(|v| v.to_string());
    assert_eq!(streams, vec![json!(["hashtag", "rust"]), json!(["user"])]);

    // After unsubscribing from the hashtag, only the user stream speaks; deletes and
    // notifications arrive too.
    ws.send(Message::Text(
        json!({"type": "unsubscribe", "stream": "hashtag", "tag": "rust"}).to_string(),
    ))
    .await
    .unwrap();
    let (_, tb) = user(&app, "bob").await;
    let sid = s["id"].as_str().unwrap();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        Some(&tb),
    )
    .await;
    let mut next_text = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("a message within 2 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    let n = next_text().await;
    assert_eq!(
        (n["event"].as_str(), n["stream"].clone()),
        (Some("notification"), json!(["user"]))
    );
    let payload: Value = serde_json::from_str(n["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["type"], "favourite");
    let later = post(&app, &ta, json!({"status": "no tag here"})).await;
    let m = next_text().await;
    assert_eq!(m["stream"], json!(["user"]));
    assert_eq!(
        serde_json::from_str::<Value>(m["payload"].as_str().unwrap()).unwrap()["id"],
        later["id"]
    );
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{sid}"),
        Some(&ta),
    )
    .await;
    let d = next_text().await;
    assert_eq!(
        (d["event"].as_str(), d["payload"].as_str()),
        (Some("delete"), Some(sid))
    );
}

/// Reads events until one is not in `skip`; returns it.
async fn next_event_except(
    body: &mut reference_server::http::Body,
    skip: &[&str],
) -> (String, String) {
    loop {
        let e = next_event(body).await;
        if !skip.contains(&e.0.as_str()) {
            return e;
        }
    }
}

#[tokio::test]
async fn notification_stream_carries_notifications_only() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let mut notes = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("user/notification", None).unwrap()],
    )
    .into_body();
    let mut home = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("user", None).unwrap()],
    )
    .into_body();

    // Alice posts, edits and deletes: her home stream hears all three, the notification
    // stream none of them.
    // (Events are rendered when read: each is awaited before the next action.)
    let s = post(&app, &ta, json!({"status": "first"})).await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(next_event(&mut home).await.0, "update");
    json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
        json!({"status": "first, edited"}),
    )
    .await;
    assert_eq!(next_event(&mut home).await.0, "status.update");
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        next_event(&mut home).await,
        ("delete".to_owned(), id.to_owned())
    );

    // Then bob favourites another post and carol follows: exactly two notifications, in
    // order, are the first two events of the notification stream.
    let s2 = post(&app, &ta, json!({"status": "second"})).await;
    let (event, data) = next_event(&mut home).await;
    assert_eq!(event, "update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        s2["id"]
    );
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{}/favourite", s2["id"].as_str().unwrap()),
        Some(&tb),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tc),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let (event, data) = next_event(&mut notes).await;
    assert_eq!(event, "notification");
    let n: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(n["type"], "favourite");
    assert_eq!(n["status"]["id"], s2["id"]);
    let (event, data) = next_event(&mut notes).await;
    assert_eq!(event, "notification");
    let n: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (n["type"].as_str(), n["account"]["acct"].as_str()),
        (Some("follow"), Some("carol"))
    );
    // The home stream got the same notifications.
    assert_eq!(next_event(&mut home).await.0, "notification");
    assert_eq!(next_event(&mut home).await.0, "notification");
}

#[tokio::test]
async fn deletes_reach_only_streams_that_could_show_the_status() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, _) = user(&app, "carol").await;
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let open = |viewer: Option<u64>, name: &str, tag: Option<&str>| {
        streaming::sse_response(app.clone(), viewer, vec![Stream::parse(name, tag).unwrap()])
            .into_body()
    };
    let mut public = open(None, "public", None);
    let mut local = open(None, "public/local", None);
    let mut tag = open(None, "hashtag", Some("wool"));
    let mut tag_local = open(None, "hashtag/local", Some("wool"));
    let mut bobs = open(Some(bob.id), "user", None);
    let mut carols = open(Some(carol.id), "user", None);

    // A followers-only post with the tag, then deleted: bob (a follower) sees both; the
    // public and hashtag streams see neither; carol sees nothing.
    let private = post(
        &app,
        &ta,
        json!({"status": "secret #wool", "visibility": "private"}),
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    assert_eq!(next_event(&mut bobs).await.0, "update");
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{pid}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        next_event(&mut bobs).await,
        ("delete".to_owned(), pid.to_owned())
    );
    // An unlisted one stays off the public streams too.
    let unlisted = post(
        &app,
        &ta,
        json!({"status": "quiet #wool", "visibility": "unlisted"}),
    )
    .await;
    let uid = unlisted["id"].as_str().unwrap();
    assert_eq!(next_event(&mut bobs).await.0, "update");
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{uid}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        next_event(&mut bobs).await,
        ("delete".to_owned(), uid.to_owned())
    );

    // Then a public post, deleted: its update and delete are the first events every public
    // stream sees, so nothing of the earlier ones leaked there.
    let public_post = post(&app, &ta, json!({"status": "loud #wool"})).await;
    let sid = public_post["id"].as_str().unwrap();
    let mut streams = [
        ("public", &mut public),
        ("public:local", &mut local),
        ("hashtag", &mut tag),
        ("hashtag:local", &mut tag_local),
        ("bob's home", &mut bobs),
    ];
    for (label, body) in streams.iter_mut() {
        let (event, data) = next_event(body).await;
        assert_eq!(event, "update", "{label}");
        assert_eq!(
            serde_json::from_str::<Value>(&data).unwrap()["id"],
            public_post["id"],
            "{label}"
        );
    }
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{sid}"),
        Some(&ta),
    )
    .await;
    for (label, body) in streams.iter_mut() {
        assert_eq!(
            next_event(body).await,
            ("delete".to_owned(), sid.to_owned()),
            "{label}"
        );
    }
    // Carol follows nobody: her home stream heard none of it. A mention reaches her; it
    // is the first thing she hears.
    let m = post(
        &app,
        &ta,
        json!({"status": "hi @carol", "visibility": "direct"}),
    )
    .await;
    let (event, data) = next_event(&mut carols).await;
    assert_eq!(event, "update");
    assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["id"], m["id"]);
    // Deleting the direct message reaches carol's home, not bob's (he was not addressed).
    let mid = m["id"].as_str().unwrap();
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{mid}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        next_event_except(&mut carols, &["notification"]).await,
        ("delete".to_owned(), mid.to_owned())
    );
    let later = post(
        &app,
        &ta,
        json!({"status": "for followers", "visibility": "private"}),
    )
    .await;
    let (event, data) = next_event(&mut bobs).await;
    assert_eq!(event, "update", "bob heard nothing of the direct message");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        later["id"]
    );
}

/// A connection subscribed to both `hashtag:local` and `hashtag` of one tag hears a remote
/// status with the tag (on `hashtag`), while a `hashtag:local` subscription alone does not.
#[tokio::test]
async fn a_remote_tagged_status_reaches_hashtag_but_not_hashtag_local() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let both = vec![
        Stream::parse("hashtag/local", Some("wool")).unwrap(),
        Stream::parse("hashtag", Some("wool")).unwrap(),
    ];
    let mut both = streaming::sse_response(app.clone(), None, both).into_body();
    let only_local = vec![Stream::parse("hashtag/local", Some("wool")).unwrap()];
    let mut only_local = streaming::sse_response(app.clone(), None, only_local).into_body();

    let actor: activitypub_core::Actor = serde_json::from_value(json!({
        "id": "https://far.example/users/zoe",
        "type": "Person",
        "preferredUsername": "zoe",
        "inbox": "https://far.example/users/zoe/inbox",
        "followers": "https://far.example/users/zoe/followers"
    }))
    .unwrap();
    let zoe = app.upsert_remote_account(&actor).await.unwrap();
    let note: activitypub_core::Object = serde_json::from_value(json!({
        "id": "https://far.example/users/zoe/statuses/1",
        "type": "Note",
        "attributedTo": "https://far.example/users/zoe",
        "content": "<p>remote <a href=\"https://far.example/tags/wool\" rel=\"tag\">#<span>wool</span></a></p>",
        "published": "2026-01-01T00:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://far.example/users/zoe/followers"],
        "tag": [{"type": "Hashtag", "href": "https://far.example/tags/wool", "name": "#wool"}]
    }))
    .unwrap();
    let remote = app
        .ingest_remote_status(&note, Some(&zoe))
        .await
        .unwrap()
        .unwrap();
    let (event, data) = next_event(&mut both).await;
    assert_eq!(event, "update");
    let got: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(got["id"], remote.id.to_string());
    assert_eq!(got["account"]["acct"], "zoe@far.example");

    // The local-only subscription's first event is a local status, not the remote one.
    let local = post(&app, &ta, json!({"status": "local #wool"})).await;
    let (event, data) = next_event(&mut only_local).await;
    assert_eq!(event, "update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        local["id"]
    );
}

#[tokio::test]
async fn websocket_list_and_direct_subscriptions() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let mut lists = Vec::new();
    for t in [&ta, &tc] {
        call(
            &app,
            Method::POST,
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(t),
        )
        .await;
        let l = json(
            &app,
            Method::POST,
            "/api/v1/lists",
            Some(t),
            json!({"title": "b"}),
        )
        .await;
        let id = l.body["id"].as_str().unwrap().to_owned();
        json(
            &app,
            Method::POST,
            &format!("/api/v1/lists/{id}/accounts"),
            Some(t),
            json!({"account_ids": [bob.id.to_string()]}),
        )
        .await;
        lists.push(id);
    }
    let (mine, carols) = (&lists[0], &lists[1]);
    let addr = serve(app.clone()).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/streaming?access_token={ta}"))
            .await
            .unwrap();
    // Someone else's list is refused; one's own (the id as a number) and `direct` are taken.
    ws.send(Message::Text(
        json!({"type": "subscribe", "stream": "list", "list": carols}).to_string(),
    ))
    .await
    .unwrap();
    let own = json!({"type": "subscribe", "stream": "list", "list": mine.parse::<u64>().unwrap()});
    ws.send(Message::Text(own.to_string())).await.unwrap();
    ws.send(Message::Text(
        json!({"type": "subscribe", "stream": "direct"}).to_string(),
    ))
    .await
    .unwrap();
    let mut next_text = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("a message within 2 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    let err = next_text().await;
    assert_eq!(
        err,
        json!({"error": "Not authorized to stream this list", "status": 401})
    );
    let s = post(&app, &tb, json!({"status": "listed"})).await;
    let m = next_text().await;
    assert_eq!(m["event"], "update");
    assert_eq!(m["stream"], json!(["list", mine]));
    let payload: Value = serde_json::from_str(m["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["id"], s["id"]);
    let d = post(
        &app,
        &tb,
        json!({"status": "@alice psst", "visibility": "direct"}),
    )
    .await;
    let m = next_text().await;
    assert_eq!(m["event"], "conversation");
    assert_eq!(m["stream"], json!(["direct"]));
    let payload: Value = serde_json::from_str(m["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["last_status"]["id"], d["id"]);
    assert_eq!(payload["unread"], true);
}
