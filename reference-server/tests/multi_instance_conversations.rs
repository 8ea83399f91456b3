//! Direct messages and lists across servers: two real `woolly serve` processes on
//! 127.0.0.2 and .3 (the harness in `common/` stops them by PID), driven through the
//! client API over HTTP.
//!
//! - `a_direct_message_is_a_conversation_on_both_ends`: a direct message from A becomes a
//!   conversation for its author on A and, once delivered, an unread one for its recipient
//!   on B; the reply from B joins the same conversation on both ends; a deleted message
//!   leaves the conversation on the other end.
//! - `remote_posts_reach_list_timelines`: a remote account followed and put in a list on A:
//!   its new posts arrive in the list's timeline.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{cluster, poll, Api, DELIVERY};
use serde_json::{json, Value};

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// `api`'s conversations.
fn conversations(api: &Api) -> Vec<Value> {
    api.get("/api/v1/conversations")
        .ok()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_direct_message_is_a_conversation_on_both_ends() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    let bob_handle = b.handle("bob");
    let alice_handle = a.handle("alice");
    alice.resolve_account(&bob_handle);

    let dm = alice.post_status(
        &format!("@{bob_handle} just between us"),
        json!({"visibility": "direct"}),
    );
    let uri = s(&dm["uri"]);
    // On A: alice's conversation with bob, read.
    let mine = conversations(&alice);
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["unread"], false);
    assert_eq!(mine[0]["accounts"][0]["acct"], bob_handle);
    assert_eq!(mine[0]["last_status"]["id"], dm["id"]);
    let alice_conversation = s(&mine[0]["id"]);

    // On B, once delivered: bob's unread conversation with alice.
    let theirs = poll("B: bob's conversation with alice", DELIVERY, || {
        conversations(&bob).into_iter().next()
    });
    assert_eq!(theirs["unread"], true);
    assert_eq!(theirs["accounts"][0]["acct"], alice_handle);
    assert_eq!(theirs["last_status"]["uri"], uri);
    assert_eq!(theirs["last_status"]["visibility"], "direct");
    let bob_conversation = s(&theirs["id"]);

    // Bob replies: the same conversation on both ends.
    let reply = bob.post_status(
        &format!("@{alice_handle} received"),
        json!({"visibility": "direct", "in_reply_to_id": theirs["last_status"]["id"]}),
    );
    let theirs = conversations(&bob);
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(s(&theirs[0]["id"]), bob_conversation);
    assert_eq!(theirs[0]["unread"], false);
    assert_eq!(theirs[0]["last_status"]["id"], reply["id"]);
    let reply_uri = s(&reply["uri"]);
    let mine = poll("A: the reply joins alice's conversation", DELIVERY, || {
        let list = conversations(&alice);
        (list.first()?["last_status"]["uri"].as_str() == Some(reply_uri.as_str())).then_some(list)
    });
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(s(&mine[0]["id"]), alice_conversation);
    assert_eq!(mine[0]["unread"], true);
    // Read on A.
    let read = alice
        .post(
            &format!("/api/v1/conversations/{alice_conversation}/read"),
            json!({}),
        )
        .ok();
    assert_eq!(read["unread"], false);

    // Bob deletes his reply: alice's conversation falls back to her message.
    bob.delete(&format!("/api/v1/statuses/{}", s(&reply["id"])))
        .ok();
    poll(
        "A: the deleted reply leaves the conversation",
        DELIVERY,
        || {
            let list = conversations(&alice);
            (list.first()?["last_status"]["uri"].as_str() == Some(uri.as_str())).then_some(())
        },
    );
}

#[test]
fn remote_posts_reach_list_timelines() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    let bob_on_a = alice.resolve_account(&b.handle("bob"));
    let bob_id = s(&bob_on_a["id"]);
    alice
        .post(&format!("/api/v1/accounts/{bob_id}/follow"), json!({}))
        .ok();
    poll("A: alice follows bob", DELIVERY, || {
        (alice.relationship(&bob_id)["following"] == true).then_some(())
    });
    let list = alice
        .post("/api/v1/lists", json!({"title": "B folks"}))
        .ok();
    let list_id = s(&list["id"]);
    alice
        .post(
            &format!("/api/v1/lists/{list_id}/accounts"),
            json!({"account_ids": [bob_id]}),
        )
        .ok();
    let members = alice.get(&format!("/api/v1/lists/{list_id}/accounts")).ok();
    assert_eq!(members[0]["acct"], b.handle("bob"));

    let post = bob.post_status("for my followers' lists", json!({}));
    let uri = s(&post["uri"]);
    let path = format!("/api/v1/timelines/list/{list_id}");
    let got = poll("A: bob's post in alice's list", DELIVERY, || {
        alice
            .timeline(&path)
            .into_iter()
            .find(|s| s["uri"].as_str() == Some(uri.as_str()))
    });
    assert_eq!(got["account"]["acct"], b.handle("bob"));
    let lists = alice.get(&format!("/api/v1/accounts/{bob_id}/lists")).ok();
    assert_eq!(lists, json!([list]));
}
