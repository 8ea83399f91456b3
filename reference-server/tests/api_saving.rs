//! Reading and saving: bookmarks, read markers and `unread_count`, thread mutes, in process
//! on exact JSON shapes. Scheduled statuses are in `api_scheduled.rs`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use serde_json::json;
use support::*;

async fn act(app: &reference_server::App, token: &str, id: &str, action: &str) -> Answer {
    call(
        app,
        Method::POST,
        &format!("/api/v1/statuses/{id}/{action}"),
        Some(token),
    )
    .await
}

/// The `max_id` or `min_id` of a `Link` header's `next` or `prev` link.
fn link_param(a: &Answer, rel: &str, param: &str) -> Option<String> {
    let link = a.header("link")?;
    let part = link
        .split(", ")
        .find(|p| p.ends_with(&format!("rel=\"{rel}\"")))?;
    let url = part.trim_start_matches('<').split('>').next()?;
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == param)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn bookmarks_are_listed_by_bookmark_time_with_link_paging() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            post(&app, &tb, json!({ "status": format!("post {i}") })).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Bookmarked in another order than posted: the list follows the bookmarks.
    let order = [&ids[3], &ids[0], &ids[4], &ids[1]];
    for id in order {
        let a = act(&app, &ta, id, "bookmark").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        assert_eq!(a.body["id"], id.as_str());
        assert_eq!(a.body["bookmarked"], true);
    }
    // Twice is the same as once.
    assert_eq!(
        act(&app, &ta, &ids[0], "bookmark").await.status,
        StatusCode::OK
    );

    let page1 = get(&app, "/api/v1/bookmarks?limit=2", Some(&ta)).await;
    assert_eq!(page1.status, StatusCode::OK, "{}", page1.text);
    assert_eq!(ids_of(&page1.body), [ids[1].clone(), ids[4].clone()]);
    assert!(page1
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["bookmarked"] == true));
    let link = page1.header("link").unwrap();
    assert!(
        link.starts_with("<https://wool.test/api/v1/bookmarks?limit=2&max_id="),
        "{link}"
    );
    assert!(
        link.contains("rel=\"next\"") && link.contains("rel=\"prev\""),
        "{link}"
    );
    // The cursor is the bookmark's id, not the status's.
    let next = link_param(&page1, "next", "max_id").unwrap();
    assert!(!ids.contains(&next), "{next}");
    let page2 = get(
        &app,
        &format!("/api/v1/bookmarks?limit=2&max_id={next}"),
        Some(&ta),
    )
    .await;
    assert_eq!(ids_of(&page2.body), [ids[0].clone(), ids[3].clone()]);
    let prev = link_param(&page2, "prev", "min_id").unwrap();
    let back = get(
        &app,
        &format!("/api/v1/bookmarks?limit=2&min_id={prev}"),
        Some(&ta),
    )
    .await;
    assert_eq!(ids_of(&back.body), [ids[1].clone(), ids[4].clone()]);

    // Bookmarks are private: bob's list is empty, and bob sees `bookmarked: false`.
    let bobs = get(&app, "/api/v1/bookmarks", Some(&tb)).await;
    assert_eq!(bobs.body, json!([]));
    assert!(bobs.header("link").is_none());
    let seen_by_bob = get(&app, &format!("/api/v1/statuses/{}", ids[3]), Some(&tb)).await;
    assert_eq!(seen_by_bob.body["bookmarked"], false);
    // Anonymous: no `bookmarked` key at all.
    let anon = get(&app, &format!("/api/v1/statuses/{}", ids[3]), None).await;
    assert!(anon.body.get("bookmarked").is_none(), "{}", anon.text);
    assert!(anon.body.get("muted").is_none(), "{}", anon.text);

    // Unbookmarking takes it out; the entity says so.
    let un = act(&app, &ta, &ids[4], "unbookmark").await;
    assert_eq!(un.status, StatusCode::OK);
    assert_eq!(un.body["bookmarked"], false);
    let all = get(&app, "/api/v1/bookmarks", Some(&ta)).await;
    assert_eq!(
        ids_of(&all.body),
        [ids[1].clone(), ids[0].clone(), ids[3].clone()]
    );
    // Unbookmarking what is not bookmarked is fine.
    assert_eq!(
        act(&app, &ta, &ids[2], "unbookmark").await.status,
        StatusCode::OK
    );

    // A deleted status disappears from the list.
    let del = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", ids[0]),
        Some(&tb),
    )
    .await;
    assert_eq!(del.status, StatusCode::OK);
    let all = get(&app, "/api/v1/bookmarks", Some(&ta)).await;
    assert_eq!(ids_of(&all.body), [ids[1].clone(), ids[3].clone()]);
}

fn ids_of(v: &serde_json::Value) -> Vec<String> {
    ids(v)
}

#[tokio::test]
async fn bookmarks_of_statuses_no_longer_visible_disappear() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let _ = alice;
    // alice follows bob and bookmarks his followers-only post.
    let f = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text);
    let private = post(
        &app,
        &tb,
        json!({"status": "friends only", "visibility": "private"}),
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    assert_eq!(act(&app, &ta, pid, "bookmark").await.status, StatusCode::OK);
    let list = get(&app, "/api/v1/bookmarks", Some(&ta)).await;
    assert_eq!(ids_of(&list.body), [pid.to_owned()]);
    // bob blocks alice: the post is out of her sight, and out of her bookmarks.
    let b = call(
        &app,
        Method::POST,
        &format!(
            "/api/v1/accounts/{}/block",
            app.account_by_acct("alice").await.unwrap().unwrap().id
        ),
        Some(&tb),
    )
    .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    let list = get(&app, "/api/v1/bookmarks", Some(&ta)).await;
    assert_eq!(list.body, json!([]));
    // Bookmarking it now is a 404; removing the old bookmark still works.
    assert_eq!(
        act(&app, &ta, pid, "bookmark").await.status,
        StatusCode::NOT_FOUND
    );
    let un = act(&app, &ta, pid, "unbookmark").await;
    assert_eq!(un.status, StatusCode::OK, "{}", un.text);
    assert_eq!(un.body["bookmarked"], false);
    // Unbookmarking a status not bookmarked and not visible: 404.
    assert_eq!(
        act(&app, &ta, pid, "unbookmark").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_boost_bookmarks_what_it_boosts() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let s = post(&app, &tb, json!({"status": "boost me"})).await;
    let sid = s["id"].as_str().unwrap();
    let boost = act(&app, &tc, sid, "reblog").await;
    let boost_id = boost.body["id"].as_str().unwrap();
    let a = act(&app, &ta, boost_id, "bookmark").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["id"], sid);
    let list = get(&app, "/api/v1/bookmarks", Some(&ta)).await;
    assert_eq!(ids_of(&list.body), [sid.to_owned()]);
    // The boost's entity carries the flag of what it boosts.
    let seen = get(&app, &format!("/api/v1/statuses/{boost_id}"), Some(&ta)).await;
    assert_eq!(seen.body["bookmarked"], true);
    assert_eq!(seen.body["reblog"]["bookmarked"], true);
}

#[tokio::test]
async fn bookmark_errors() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let (_, read_only) = user_with(&app, "reader", false, "read").await;
    let dm = post(
        &app,
        &tb,
        json!({"status": "secret", "visibility": "direct"}),
    )
    .await;
    let dm_id = dm["id"].as_str().unwrap();
    // Someone else's direct message: 404, as for an unknown id.
    let a = act(&app, &ta, dm_id, "bookmark").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.error(), "Record not found");
    assert_eq!(
        act(&app, &ta, "12345", "bookmark").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&app, &ta, "nope", "bookmark").await.status,
        StatusCode::NOT_FOUND
    );
    // Scopes: write:bookmarks to bookmark, read:bookmarks to list.
    let s = post(&app, &tb, json!({"status": "public"})).await;
    let sid = s["id"].as_str().unwrap();
    let a = act(&app, &read_only, sid, "bookmark").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let (_, writer) = user_with(&app, "writer", false, "write:bookmarks").await;
    assert_eq!(
        act(&app, &writer, sid, "bookmark").await.status,
        StatusCode::OK
    );
    let list = get(&app, "/api/v1/bookmarks", Some(&writer)).await;
    assert_eq!(list.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, "/api/v1/bookmarks", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/api/v1/bookmarks?max_id=abc", Some(&ta))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn markers_are_kept_per_timeline_with_versions() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    // None yet: `{}`, asked or not.
    let none = get(
        &app,
        "/api/v1/markers?timeline[]=home&timeline[]=notifications",
        Some(&ta),
    )
    .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body, json!({}));

    let set = form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        &[("home[last_read_id]", "103206804533200177")],
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let home = &set.body["home"];
    assert_eq!(home["last_read_id"], "103206804533200177");
    assert_eq!(home["version"], 0);
    assert!(home["updated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(set.body.as_object().unwrap().len(), 1, "{}", set.text);
    assert_eq!(home.as_object().unwrap().len(), 3, "{}", set.text);

    // Moving it bumps the version; JSON bodies work too; both at once.
    let moved = json(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        json!({"home": {"last_read_id": "103206804533200180"}, "notifications": {"last_read_id": 5}}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["home"]["version"], 1);
    assert_eq!(moved.body["notifications"]["version"], 0);
    assert_eq!(moved.body["notifications"]["last_read_id"], "5");
    // The same id again does not move it.
    let same = json(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        json!({"home": {"last_read_id": "103206804533200180"}}),
    )
    .await;
    assert_eq!(same.body["home"]["version"], 1);

    let only_home = get(&app, "/api/v1/markers?timeline[]=home", Some(&ta)).await;
    assert_eq!(only_home.body.as_object().unwrap().len(), 1);
    assert_eq!(only_home.body["home"]["last_read_id"], "103206804533200180");
    let both = get(
        &app,
        "/api/v1/markers?timeline[]=home&timeline[]=notifications&timeline[]=other",
        Some(&ta),
    )
    .await;
    assert_eq!(both.body.as_object().unwrap().len(), 2, "{}", both.text);
    assert_eq!(
        get(&app, "/api/v1/markers", Some(&ta)).await.body,
        json!({})
    );
    // Markers are per account.
    let bobs = get(&app, "/api/v1/markers?timeline[]=home", Some(&tb)).await;
    assert_eq!(bobs.body, json!({}));

    // Errors: a last_read_id that is not an id, scopes, no token.
    let bad = form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        &[("home[last_read_id]", "yesterday")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.error().contains("Last read id"), "{}", bad.text);
    let (_, reader) = user_with(&app, "reader", false, "read:statuses").await;
    let no_write = form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&reader),
        &[("home[last_read_id]", "1")],
    )
    .await;
    assert_eq!(no_write.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, "/api/v1/markers?timeline[]=home", Some(&reader))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/api/v1/markers", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unread_count_counts_from_the_notifications_marker() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(post(&app, &ta, json!({ "status": format!("mine {i}") })).await);
    }
    for s in &statuses {
        act(&app, &tb, s["id"].as_str().unwrap(), "favourite").await;
    }
    let count = |limit: Option<u32>| {
        let app = &app;
        let ta = &ta;
        async move {
            let path = match limit {
                Some(l) => format!("/api/v1/notifications/unread_count?limit={l}"),
                None => "/api/v1/notifications/unread_count".to_owned(),
            };
            let a = get(app, &path, Some(ta)).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.text);
            a.body
        }
    };
    assert_eq!(count(None).await, json!({"count": 4}));
    assert_eq!(count(Some(3)).await, json!({"count": 3}));
    let list = get(&app, "/api/v1/notifications", Some(&ta)).await;
    let ids = ids_of(&list.body);
    assert_eq!(ids.len(), 4);
    // Read up to the second newest: one unread.
    let set = form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        &[("notifications[last_read_id]", &ids[1])],
    )
    .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(count(None).await, json!({"count": 1}));
    // The v2 path answers the same.
    let v2 = get(&app, "/api/v2/notifications/unread_count", Some(&ta)).await;
    assert_eq!(v2.body, json!({"count": 1}));
    // All read; a new one makes it one again.
    form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        &[("notifications[last_read_id]", &ids[0])],
    )
    .await;
    assert_eq!(count(None).await, json!({"count": 0}));
    let s = post(&app, &ta, json!({"status": "one more"})).await;
    act(&app, &tb, s["id"].as_str().unwrap(), "reblog").await;
    assert_eq!(count(None).await, json!({"count": 1}));
    // The home marker does not matter to notifications.
    form(
        &app,
        Method::POST,
        "/api/v1/markers",
        Some(&ta),
        &[("home[last_read_id]", "1")],
    )
    .await;
    assert_eq!(count(None).await, json!({"count": 1}));
}

#[tokio::test]
async fn a_muted_thread_sends_no_notifications() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let root = post(&app, &ta, json!({"status": "a thread"})).await;
    let root_id = root["id"].as_str().unwrap();
    let reply = post(
        &app,
        &tb,
        json!({"status": "@alice first reply", "in_reply_to_id": root_id}),
    )
    .await;
    let reply_id = reply["id"].as_str().unwrap();
    let notifications = |app: &reference_server::App| {
        let app = app.clone();
        let ta = ta.clone();
        async move { get(&app, "/api/v1/notifications", Some(&ta)).await.body }
    };
    assert_eq!(notifications(&app).await.as_array().unwrap().len(), 1);

    // alice mutes the thread from a reply deep in it.
    let m = act(&app, &ta, reply_id, "mute").await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.text);
    assert_eq!(m.body["id"], reply_id);
    assert_eq!(m.body["muted"], true);
    // Every status of the thread shows it muted; another thread does not.
    let r = get(&app, &format!("/api/v1/statuses/{root_id}"), Some(&ta)).await;
    assert_eq!(r.body["muted"], true);
    let other = post(&app, &tb, json!({"status": "@alice elsewhere"})).await;
    assert_eq!(other["muted"], false);
    let before = notifications(&app).await.as_array().unwrap().len();
    assert_eq!(before, 2, "a mention outside the thread still notifies");
    // bob's view: not muted for him.
    let for_bob = get(&app, &format!("/api/v1/statuses/{root_id}"), Some(&tb)).await;
    assert_eq!(for_bob.body["muted"], false);

    // Replies, mentions, favourites and boosts in the thread: no notification.
    let deeper = post(
        &app,
        &tc,
        json!({"status": "@alice deeper", "in_reply_to_id": reply_id}),
    )
    .await;
    act(&app, &tb, root_id, "favourite").await;
    act(&app, &tc, root_id, "reblog").await;
    assert_eq!(notifications(&app).await.as_array().unwrap().len(), before);
    // The statuses are still there (only notifications are muted).
    let ctx = get(
        &app,
        &format!("/api/v1/statuses/{root_id}/context"),
        Some(&ta),
    )
    .await;
    assert_eq!(ctx.body["descendants"].as_array().unwrap().len(), 2);
    assert_eq!(ctx.body["descendants"][1]["id"], deeper["id"]);

    // Unmuted: notifications again.
    let u = act(&app, &ta, root_id, "unmute").await;
    assert_eq!(u.status, StatusCode::OK);
    assert_eq!(u.body["muted"], false);
    act(&app, &tc, root_id, "favourite").await;
    assert_eq!(
        notifications(&app).await.as_array().unwrap().len(),
        before + 1
    );

    // Errors: unknown id, someone else's direct message, scope.
    assert_eq!(
        act(&app, &ta, "999", "mute").await.status,
        StatusCode::NOT_FOUND
    );
    let dm = post(
        &app,
        &tb,
        json!({"status": "@carol secret", "visibility": "direct"}),
    )
    .await;
    let dm_id = dm["id"].as_str().unwrap();
    assert_eq!(
        act(&app, &ta, dm_id, "mute").await.status,
        StatusCode::NOT_FOUND
    );
    let (_, no_mutes) = user_with(&app, "nomutes", false, "read write:statuses").await;
    assert_eq!(
        act(&app, &no_mutes, root_id, "mute").await.status,
        StatusCode::FORBIDDEN
    );
    let (_, follow_scope) = user_with(&app, "followscope", false, "follow").await;
    assert_eq!(
        act(&app, &follow_scope, root_id, "mute").await.status,
        StatusCode::OK
    );
}
