//! Media across servers: two real `woolly serve` processes on 127.0.0.2 and .3 (the harness
//! in `common/` allows loopback peers with `allow_private_address = ["127.0.0.0/8"]` and
//! stops the servers by PID), driven through the client API over HTTP.
//!
//! - `attachments_arrive_and_are_cached`: a post with two images (PNGs encoded here) with
//!   descriptions and a focal point arrives on the follower's server with its attachments,
//!   blurhash and focal point; that server fetches and serves its own copy (the entity's `url`
//!   is on it, `remote_url` on the origin) of the same dimensions; an edit of a description
//!   reaches it as an `Update`.
//! - `avatar_change_reaches_followers`: an avatar uploaded with `update_credentials` reaches
//!   the follower's server, which shows it from its cache.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::media::{bytes_of, dimensions, png, send_multipart};
use common::{cluster, poll, Api, DELIVERY};
use serde_json::{json, Value};

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// `follower` follows `handle` and the follow is accepted; the target's id there.
fn follow_accepted(follower: &Api, handle: &str) -> String {
    let target = follower.resolve_account(handle);
    let id = s(&target["id"]);
    follower
        .post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll(
        &format!("the follow of {handle} is accepted"),
        DELIVERY,
        || (follower.relationship(&id)["following"] == true).then_some(()),
    );
    id
}

/// The status with `uri` in `api`'s home timeline.
fn home_status(api: &Api, uri: &str) -> Option<Value> {
    api.timeline("/api/v1/timelines/home")
        .into_iter()
        .find(|s| s["uri"].as_str() == Some(uri))
}

#[test]
fn attachments_arrive_and_are_cached() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    follow_accepted(&bob, &a.handle("alice"));

    // Two images with descriptions; the first with a focal point.
    let (first, second) = (png(96, 64, 10), png(40, 72, 200));
    let m1 = send_multipart(
        "POST",
        &format!("{}/api/v1/media", a.base),
        &tokens[0][0],
        &[("description", "A red gradient"), ("focus", "0.5,-0.25")],
        ("file", "one.png", &first),
    );
    let m2 = send_multipart(
        "POST",
        &format!("{}/api/v1/media", a.base),
        &tokens[0][0],
        &[("description", "A blue gradient")],
        ("file", "two.png", &second),
    );
    let posted = alice.post_status(
        "Two pictures",
        json!({ "media_ids": [s(&m1["id"]), s(&m2["id"])] }),
    );
    let uri = s(&posted["uri"]);
    let sent = posted["media_attachments"].as_array().unwrap().clone();
    assert_eq!(sent.len(), 2, "{posted}");

    // The Note as other servers read it carries Mastodon's attachment Documents.
    let note = alice.fetch_ap(&uri).ok();
    let docs = note["attachment"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{note}");
    assert_eq!(docs[0]["type"], "Document");
    assert_eq!(docs[0]["mediaType"], "image/png");
    assert_eq!(docs[0]["url"], sent[0]["url"]);
    assert_eq!(docs[0]["name"], "A red gradient");
    assert_eq!(docs[0]["blurhash"], sent[0]["blurhash"]);
    assert_eq!(docs[0]["focalPoint"], json!([0.5, -0.25]));
    assert_eq!(docs[0]["width"], 96);
    assert_eq!(docs[0]["height"], 64);
    assert_eq!(docs[1]["name"], "A blue gradient");

    // On B: the status with its attachments, cached there.
    let seen = poll("B: the post with two cached attachments", DELIVERY, || {
        let st = home_status(&bob, &uri)?;
        let media = st["media_attachments"].as_array()?.clone();
        let cached = media.len() == 2
            && media
                .iter()
                .all(|m| m["url"].as_str().is_some_and(|u| u.starts_with(&b.base)));
        cached.then_some(media)
    });
    for (got, want) in seen.iter().zip(&sent) {
        assert_eq!(got["type"], "image");
        assert_eq!(got["remote_url"], want["url"], "remote_url is the original");
        assert_eq!(got["description"], want["description"]);
        assert_eq!(got["blurhash"], want["blurhash"]);
        assert!(got["blurhash"].as_str().is_some_and(|h| h.len() > 5));
    }
    assert_eq!(seen[0]["meta"]["focus"], json!({ "x": 0.5, "y": -0.25 }));
    // Its copy: served by B, the same picture.
    for (got, original) in seen.iter().zip([&first, &second]) {
        let url = s(&got["url"]);
        assert!(url.starts_with(&b.base), "{url}");
        assert_eq!(dimensions(&bytes_of(&url)), dimensions(original));
        let preview = s(&got["preview_url"]);
        assert!(preview.starts_with(&b.base), "{preview}");
        let (pw, ph) = dimensions(&bytes_of(&preview));
        assert!(pw > 0 && ph > 0);
    }

    // An edit of a description federates as an Update.
    let st_id = s(&posted["id"]);
    alice
        .put(
            &format!("/api/v1/statuses/{st_id}"),
            json!({
                "status": "Two pictures (described better)",
                "media_ids": [s(&m1["id"]), s(&m2["id"])],
                "media_attributes": [
                    { "id": s(&m1["id"]), "description": "A gradient from black to red" }
                ],
            }),
        )
        .ok();
    poll("B: the new description", DELIVERY, || {
        let st = home_status(&bob, &uri)?;
        let m = st["media_attachments"].as_array()?.first()?.clone();
        (m["description"] == "A gradient from black to red"
            && m["url"].as_str().is_some_and(|u| u.starts_with(&b.base)))
        .then_some(())
    });
}

#[test]
fn avatar_change_reaches_followers() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let bob = b.api(&tokens[1][0]);
    let alice_id_b = follow_accepted(&bob, &a.handle("alice"));
    let before = bob.get(&format!("/api/v1/accounts/{alice_id_b}")).ok();

    let avatar = png(300, 200, 77);
    let me = send_multipart(
        "PATCH",
        &format!("{}/api/v1/accounts/update_credentials", a.base),
        &tokens[0][0],
        &[("display_name", "Alice with a face")],
        ("avatar", "face.png", &avatar),
    );
    let own_avatar = s(&me["avatar"]);
    assert!(own_avatar.starts_with(&a.base), "{me}");

    // The actor document carries it as `icon`.
    let actor = a.anon().fetch_ap(&a.actor("alice")).ok();
    assert_eq!(actor["icon"]["type"], "Image", "{actor}");
    assert_eq!(actor["icon"]["url"], own_avatar.as_str());

    let shown = poll("B: alice's new avatar from B's cache", DELIVERY, || {
        let acc = bob.get(&format!("/api/v1/accounts/{alice_id_b}")).ok();
        let url = s(&acc["avatar"]);
        (acc["display_name"] == "Alice with a face" && url.starts_with(&b.base)).then_some(acc)
    });
    assert_ne!(shown["avatar"], before["avatar"]);
    assert!(s(&shown["avatar_static"]).starts_with(&b.base));
    // The same picture as A serves (both cropped to 400×400 as Mastodon does).
    let theirs = dimensions(&bytes_of(&own_avatar));
    let ours = dimensions(&bytes_of(&s(&shown["avatar"])));
    assert_eq!(ours, theirs);
}
