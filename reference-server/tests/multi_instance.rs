//! Multi-instance federation: real `woolly serve` processes on 127.0.0.2, .3 and .4 (free
//! ports; handles carry the port), driven through the Mastodon client API over HTTP, as
//! users on three servers would.
//!
//! Each test starts its own three servers (the harness in `common/` stops them by PID, also
//! on panic) and checks a group of behaviours across them:
//!
//! - `follows_visibility_and_locked_accounts`: follow and accept, unfollow; locked accounts
//!   (request, approve, reject); each visibility's reach (home timelines, public and tag
//!   timelines, what a non-follower can fetch as ActivityPub JSON or resolve);
//! - `replies_boosts_favourites_edits_deletes`: replies and thread context across servers
//!   (a missing parent fetched), boosts of remote posts and unboosts, favourites and
//!   unfavourites, edit and delete propagation, and the notifications for each;
//! - `blocks_and_domain_blocks`: a user block (the blocked side loses the follow, its
//!   activities are dropped, posts stop reaching it) and an instance-level domain block made
//!   with `woolly domain-block add` while the server runs, then lifted.
//!
//! Deliveries are asynchronous: every check of a remote effect polls (bounded). A check that
//! something did NOT arrive first waits for a later delivery on the same path (a sentinel)
//! and then a grace period.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{cluster, poll, text_of, uris, Api, DELIVERY};
use serde_json::{json, Value};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// After a sentinel delivery arrived, how long to wait before concluding that an earlier one
/// was dropped.
const GRACE: Duration = Duration::from_secs(2);

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn contains(list: &[Value], uri: &str) -> bool {
    uris(list).iter().any(|u| u == uri)
}

/// `follower` follows `handle` (resolved on the follower's server) and the follow is accepted
/// (polled); returns the target's account id on the follower's server.
fn follow_accepted(follower: &Api, handle: &str) -> String {
    let target = follower.resolve_account(handle);
    let id = s(&target["id"]);
    let rel = follower
        .post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    assert_eq!(rel["id"], target["id"], "relationship is about the target");
    poll(
        &format!("{}: the follow of {handle} is accepted", follower.base),
        DELIVERY,
        || (follower.relationship(&id)["following"] == true).then_some(()),
    );
    id
}

#[test]
fn follows_visibility_and_locked_accounts() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false), ("lena", true)]),
        ("B", "127.0.0.3", &[("bob", false)]),
        ("C", "127.0.0.4", &[("carol", false)]),
    ]);
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let alice = a.api(&tokens[0][0]);
    let lena = a.api(&tokens[0][1]);
    let bob = b.api(&tokens[1][0]);
    let carol = c.api(&tokens[2][0]);

    // --- follow and accept --------------------------------------------------------------
    let me = alice.me();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["acct"], "alice");
    assert_eq!(me["url"], format!("{}/@alice", a.base));
    let alice_on_b = bob.resolve_account(&a.handle("alice"));
    assert_eq!(alice_on_b["acct"], a.handle("alice"));
    assert_eq!(alice_on_b["username"], "alice");
    assert_eq!(alice_on_b["url"], format!("{}/@alice", a.base));
    assert_eq!(alice_on_b["locked"], false);
    let alice_id_b = follow_accepted(&bob, &a.handle("alice"));
    assert_eq!(alice_id_b, s(&alice_on_b["id"]));
    // On A: bob is a follower, alice was notified.
    let alice_id = s(&me["id"]);
    let followers = alice
        .get(&format!("/api/v1/accounts/{alice_id}/followers"))
        .ok();
    let followers = followers.as_array().unwrap();
    assert_eq!(followers.len(), 1, "{followers:?}");
    assert_eq!(followers[0]["acct"], b.handle("bob"));
    let n = poll("A: alice's follow notification", DELIVERY, || {
        alice.notification("follow", &b.handle("bob"), None)
    });
    assert!(
        n["status"].is_null(),
        "a follow notification has no status: {n}"
    );
    // The followers collection, as ActivityPub (Mastodon publishes totalItems).
    let coll = a
        .anon()
        .fetch_ap(&format!("{}/followers", a.actor("alice")));
    assert_eq!(coll.status, 200, "{}", coll.text);
    assert_eq!(coll.json["totalItems"], 1, "{}", coll.text);
    // Counts on both sides.
    assert_eq!(alice.me()["followers_count"], 1);
    assert_eq!(bob.me()["following_count"], 1);

    // --- locked accounts: approve and reject -----------------------------------------------
    let lena_on_b = bob.resolve_account(&a.handle("lena"));
    assert_eq!(
        lena_on_b["locked"], true,
        "locked is federated: {lena_on_b}"
    );
    let lena_id_b = s(&lena_on_b["id"]);
    let rel = bob
        .post(&format!("/api/v1/accounts/{lena_id_b}/follow"), json!({}))
        .ok();
    assert_eq!(rel["following"], false, "{rel}");
    assert_eq!(rel["requested"], true, "{rel}");
    let request = poll("A: bob's follow request to lena", DELIVERY, || {
        lena.get("/api/v1/follow_requests")
            .ok()
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|x| x["acct"].as_str() == Some(&b.handle("bob")))
                    .cloned()
            })
    });
    poll("A: lena's follow_request notification", DELIVERY, || {
        lena.notification("follow_request", &b.handle("bob"), None)
    });
    // Nothing is accepted before lena says so.
    assert_eq!(bob.relationship(&lena_id_b)["following"], false);
    let rel = lena
        .post(
            &format!("/api/v1/follow_requests/{}/authorize", s(&request["id"])),
            json!({}),
        )
        .ok();
    assert_eq!(rel["followed_by"], true, "{rel}");
    poll("B: bob's follow of lena is accepted", DELIVERY, || {
        let r = bob.relationship(&lena_id_b);
        (r["following"] == true && r["requested"] == false).then_some(())
    });
    assert!(lena
        .get("/api/v1/follow_requests")
        .ok()
        .as_array()
        .unwrap()
        .is_empty());
    // carol asks too, and is rejected.
    let lena_id_c = s(&carol.resolve_account(&a.handle("lena"))["id"]);
    let rel = carol
        .post(&format!("/api/v1/accounts/{lena_id_c}/follow"), json!({}))
        .ok();
    assert_eq!(rel["requested"], true, "{rel}");
    let request = poll("A: carol's follow request to lena", DELIVERY, || {
        lena.get("/api/v1/follow_requests")
            .ok()
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|x| x["acct"].as_str() == Some(&c.handle("carol")))
                    .cloned()
            })
    });
    lena.post(
        &format!("/api/v1/follow_requests/{}/reject", s(&request["id"])),
        json!({}),
    )
    .ok();
    poll("C: carol's follow request is rejected", DELIVERY, || {
        let r = carol.relationship(&lena_id_c);
        (r["following"] == false && r["requested"] == false).then_some(())
    });
    // lena's followers-only post reaches bob (approved), not carol (rejected).
    let lp = lena.post_status("Only for the approved", json!({"visibility": "private"}));
    let lp_uri = s(&lp["uri"]);
    let on_b = poll("B: lena's private post in bob's home", DELIVERY, || {
        bob.home_status(&lp_uri)
    });
    assert_eq!(on_b["visibility"], "private");

    // --- each visibility's reach ------------------------------------------------------------
    let public = alice.post_status(
        "Hello fediverse #WoollyTag",
        json!({"visibility": "public", "language": "en"}),
    );
    let unlisted = alice.post_status("Quietly public", json!({"visibility": "unlisted"}));
    let private = alice.post_status("Followers only", json!({"visibility": "private"}));
    let direct = alice.post_status(
        &format!("@{} just between us", c.handle("carol")),
        json!({"visibility": "direct"}),
    );
    let cw = alice.post_status(
        "The ending of the film",
        json!({"visibility": "public", "spoiler_text": "spoilers", "sensitive": true}),
    );
    for (st, vis) in [
        (&public, "public"),
        (&unlisted, "unlisted"),
        (&private, "private"),
        (&direct, "direct"),
    ] {
        assert_eq!(st["visibility"], vis, "{st}");
        assert_eq!(st["account"]["acct"], "alice");
    }
    assert_eq!(public["language"], "en");
    assert_eq!(
        public["tags"][0]["name"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some("woollytag")
    );
    assert_eq!(direct["mentions"][0]["acct"], c.handle("carol"));
    let [pu, uu, vu, du, cwu] = [&public, &unlisted, &private, &direct, &cw].map(|x| s(&x["uri"]));
    assert_eq!(
        pu,
        format!("{}/statuses/{}", a.actor("alice"), s(&public["id"]))
    );

    // bob (follower): public, unlisted, private and the CW post; not the direct one.
    poll("B: bob's home has alice's posts", DELIVERY, || {
        let home = bob.timeline("/api/v1/timelines/home");
        [&pu, &uu, &vu, &cwu]
            .iter()
            .all(|u| contains(&home, u))
            .then_some(())
    });
    let home_b = bob.timeline("/api/v1/timelines/home");
    for st in &home_b {
        if st["uri"] == pu.as_str() {
            assert_eq!(st["visibility"], "public");
            assert_eq!(st["account"]["acct"], a.handle("alice"));
            assert_eq!(st["language"], "en");
            assert!(text_of(st["content"].as_str().unwrap()).contains("Hello fediverse"));
            assert_eq!(st["url"], format!("{}/@alice/{}", a.base, s(&public["id"])));
        } else if st["uri"] == uu.as_str() {
            assert_eq!(st["visibility"], "unlisted");
        } else if st["uri"] == vu.as_str() {
            assert_eq!(st["visibility"], "private");
        } else if st["uri"] == cwu.as_str() {
            assert_eq!(st["spoiler_text"], "spoilers");
            assert_eq!(st["sensitive"], true);
        }
    }
    // carol (mentioned non-follower): the direct post only. Its mention comes from an
    // account she does not follow, so (Mastodon 4.3's default policy) it waits in a
    // notification request; accepted, it is listed.
    let d_on_c = poll("C: the direct post in carol's home", DELIVERY, || {
        carol.home_status(&du)
    });
    assert_eq!(d_on_c["visibility"], "direct");
    assert_eq!(d_on_c["account"]["acct"], a.handle("alice"));
    let request = poll("C: a notification request from alice", DELIVERY, || {
        let list = carol.get("/api/v1/notifications/requests").ok();
        list.as_array()?
            .iter()
            .find(|r| r["account"]["acct"].as_str() == Some(&a.handle("alice")))
            .cloned()
    });
    assert_eq!(request["last_status"]["uri"], du.as_str());
    assert_eq!(request["notifications_count"], "1");
    assert!(carol
        .notification("mention", &a.handle("alice"), Some(&du))
        .is_none());
    carol
        .post(
            &format!(
                "/api/v1/notifications/requests/{}/accept",
                s(&request["id"])
            ),
            json!({}),
        )
        .ok();
    poll("C: carol's mention notification", DELIVERY, || {
        carol.notification("mention", &a.handle("alice"), Some(&du))
    });
    std::thread::sleep(GRACE);
    assert!(
        !contains(&bob.timeline("/api/v1/timelines/home"), &du),
        "bob got the direct post"
    );
    let home_c = carol.timeline("/api/v1/timelines/home");
    for u in [&pu, &uu, &vu] {
        assert!(
            !contains(&home_c, u),
            "carol (not a follower) got {u} in her home"
        );
    }
    // Public and tag timelines on B: the public post only.
    let fed = bob.timeline("/api/v1/timelines/public");
    assert!(
        contains(&fed, &pu),
        "public post missing from B's federated timeline"
    );
    for u in [&uu, &vu, &du] {
        assert!(!contains(&fed, u), "{u} is in B's federated timeline");
    }
    let remote = bob
        .get_q("/api/v1/timelines/public", &[("remote", "true")])
        .ok();
    assert!(contains(remote.as_array().unwrap(), &pu));
    let local = bob
        .get_q("/api/v1/timelines/public", &[("local", "true")])
        .ok();
    assert!(
        !contains(local.as_array().unwrap(), &pu),
        "a remote post in B's local timeline"
    );
    let tag = bob.timeline("/api/v1/timelines/tag/woollytag");
    assert!(
        contains(&tag, &pu),
        "public post missing from B's tag timeline"
    );
    assert!(!contains(&tag, &uu));
    // What a non-follower can fetch: anonymous ActivityPub GETs on A.
    let anon = a.anon();
    let note = anon.fetch_ap(&pu);
    assert_eq!(note.status, 200, "{}", note.text);
    assert!(
        note.content_type.starts_with("application/activity+json"),
        "{}",
        note.content_type
    );
    assert_eq!(note.json["id"], pu.as_str());
    assert_eq!(note.json["type"], "Note");
    assert_eq!(note.json["attributedTo"], a.actor("alice"));
    assert!(
        note.json["to"].as_array().unwrap().contains(&json!(PUBLIC)),
        "{}",
        note.text
    );
    let note = anon.fetch_ap(&uu);
    assert_eq!(note.status, 200, "{}", note.text);
    assert!(
        note.json["cc"].as_array().unwrap().contains(&json!(PUBLIC)),
        "{}",
        note.text
    );
    assert!(
        !note.json["to"].as_array().unwrap().contains(&json!(PUBLIC)),
        "{}",
        note.text
    );
    let note = anon.fetch_ap(&cwu);
    assert_eq!(note.json["summary"], "spoilers");
    assert_eq!(note.json["sensitive"], true);
    for u in [&vu, &du] {
        let r = anon.fetch_ap(u);
        assert_eq!(
            r.status, 404,
            "anonymous fetch of {u}: {} {}",
            r.status, r.text
        );
    }
    // The client API agrees for anonymous readers.
    assert_eq!(
        anon.get(&format!("/api/v1/statuses/{}", s(&private["id"])))
            .status,
        404
    );
    assert_eq!(
        anon.get(&format!("/api/v1/statuses/{}", s(&public["id"])))
            .status,
        200
    );
    // A non-follower server (C) resolving by URL: the public post yes, the private one no.
    let p_on_c = carol
        .resolve_status(&pu)
        .expect("C resolves the public post");
    assert_eq!(p_on_c["account"]["acct"], a.handle("alice"));
    assert!(
        carol.resolve_status(&vu).is_none(),
        "C fetched a followers-only post"
    );
    // The profile page links the ActivityPub actor.
    let page = anon.get("/@alice");
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(
        page.text.contains("application/activity+json"),
        "{}",
        page.text
    );

    // --- unfollow -------------------------------------------------------------------------
    bob.post(
        &format!("/api/v1/accounts/{alice_id_b}/unfollow"),
        json!({}),
    )
    .ok();
    poll("A: bob is no longer alice's follower", DELIVERY, || {
        alice
            .get(&format!("/api/v1/accounts/{alice_id}/followers"))
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
            .then_some(())
    });
    let after = alice.post_status("After the unfollow", json!({}));
    let after_uri = s(&after["uri"]);
    // Sentinel: lena's next post still reaches bob (same server pair).
    let sentinel = lena.post_status("Still following lena", json!({"visibility": "private"}));
    let sentinel_uri = s(&sentinel["uri"]);
    poll("B: lena's sentinel post", DELIVERY, || {
        bob.home_status(&sentinel_uri)
    });
    std::thread::sleep(GRACE);
    assert!(
        bob.home_status(&after_uri).is_none(),
        "a post after the unfollow reached bob"
    );
}

#[test]
fn replies_boosts_favourites_edits_deletes() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
        ("C", "127.0.0.4", &[("carol", false)]),
    ]);
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    let carol = c.api(&tokens[2][0]);
    follow_accepted(&bob, &a.handle("alice"));
    follow_accepted(&carol, &b.handle("bob"));

    let post = alice.post_status("A thread starts here", json!({}));
    let (p_id, p_uri) = (s(&post["id"]), s(&post["uri"]));
    let p_b = poll("B: alice's post in bob's home", DELIVERY, || {
        bob.home_status(&p_uri)
    });
    let p_id_b = s(&p_b["id"]);

    // --- a reply across servers ----------------------------------------------------------
    let reply = bob.post_status(
        &format!("@{} and it continues here", a.handle("alice")),
        json!({"in_reply_to_id": p_id_b}),
    );
    assert_eq!(reply["in_reply_to_id"], p_id_b.as_str());
    assert_eq!(reply["in_reply_to_account_id"], p_b["account"]["id"]);
    let r_uri = s(&reply["uri"]);
    let n = poll(
        "A: alice's mention notification for the reply",
        DELIVERY,
        || alice.notification("mention", &b.handle("bob"), Some(&r_uri)),
    );
    assert_eq!(n["status"]["in_reply_to_id"], p_id.as_str(), "{n}");
    assert_eq!(n["status"]["in_reply_to_account_id"], post["account"]["id"]);
    let ctx = alice.get(&format!("/api/v1/statuses/{p_id}/context")).ok();
    assert!(
        contains(ctx["descendants"].as_array().unwrap(), &r_uri),
        "{ctx}"
    );
    assert!(ctx["ancestors"].as_array().unwrap().is_empty());
    assert_eq!(
        alice.get(&format!("/api/v1/statuses/{p_id}")).ok()["replies_count"],
        1
    );
    // carol follows bob, not alice: the reply to alice stays out of her home (as Mastodon).
    // She resolves the reply by URL: C fetches it and its missing parent.
    let r_on_c = carol
        .resolve_status(&r_uri)
        .expect("C resolves bob's reply");
    let ctx = carol
        .get(&format!("/api/v1/statuses/{}/context", s(&r_on_c["id"])))
        .ok();
    let ancestors = ctx["ancestors"].as_array().unwrap();
    assert!(
        contains(ancestors, &p_uri),
        "C did not fetch the parent: {ctx}"
    );
    assert_eq!(r_on_c["in_reply_to_id"], ancestors[0]["id"]);

    // --- a boost of a remote post --------------------------------------------------------
    let wrapper = bob
        .post(&format!("/api/v1/statuses/{p_id_b}/reblog"), json!({}))
        .ok();
    assert_eq!(wrapper["reblog"]["uri"], p_uri.as_str(), "{wrapper}");
    assert_eq!(wrapper["reblog"]["reblogged"], true);
    assert_eq!(wrapper["account"]["acct"], "bob");
    poll("A: alice's reblog notification", DELIVERY, || {
        alice.notification("reblog", &b.handle("bob"), Some(&p_uri))
    });
    poll("A: reblogs_count 1", DELIVERY, || {
        (alice.get(&format!("/api/v1/statuses/{p_id}")).ok()["reblogs_count"] == 1).then_some(())
    });
    let rb = alice
        .get(&format!("/api/v1/statuses/{p_id}/reblogged_by"))
        .ok();
    assert_eq!(rb[0]["acct"], b.handle("bob"), "{rb}");
    // carol (follows bob) sees the boost in her home.
    let boost_on_c = poll("C: bob's boost in carol's home", DELIVERY, || {
        carol
            .timeline("/api/v1/timelines/home")
            .into_iter()
            .find(|x| x["reblog"]["uri"].as_str() == Some(&p_uri))
    });
    assert_eq!(boost_on_c["account"]["acct"], b.handle("bob"));
    assert_eq!(boost_on_c["reblog"]["account"]["acct"], a.handle("alice"));
    // A followers-only post cannot be boosted.
    let fo = alice.post_status("Not for boosting", json!({"visibility": "private"}));
    let fo_uri = s(&fo["uri"]);
    let fo_b = poll("B: the private post", DELIVERY, || bob.home_status(&fo_uri));
    let r = bob.post(
        &format!("/api/v1/statuses/{}/reblog", s(&fo_b["id"])),
        json!({}),
    );
    assert!(
        (400..500).contains(&r.status),
        "boosting a private post: {} {}",
        r.status,
        r.text
    );
    assert!(r.json["error"].is_string(), "{}", r.text);

    // --- a favourite -----------------------------------------------------------------------
    let fav = bob
        .post(&format!("/api/v1/statuses/{p_id_b}/favourite"), json!({}))
        .ok();
    assert_eq!(fav["favourited"], true);
    assert_eq!(fav["favourites_count"], 1);
    let n = poll("A: alice's favourite notification", DELIVERY, || {
        alice.notification("favourite", &b.handle("bob"), Some(&p_uri))
    });
    assert_eq!(n["status"]["id"], p_id.as_str());
    assert_eq!(n["account"]["url"], format!("{}/@bob", b.base));
    poll("A: favourites_count 1", DELIVERY, || {
        (alice.get(&format!("/api/v1/statuses/{p_id}")).ok()["favourites_count"] == 1).then_some(())
    });
    let fb = alice
        .get(&format!("/api/v1/statuses/{p_id}/favourited_by"))
        .ok();
    assert_eq!(fb[0]["acct"], b.handle("bob"), "{fb}");
    // Filtered notification listing.
    let only_fav = alice
        .get_q("/api/v1/notifications", &[("types[]", "favourite")])
        .ok();
    assert!(!only_fav.as_array().unwrap().is_empty());
    assert!(only_fav
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["type"] == "favourite"));

    // --- an edit -----------------------------------------------------------------------------
    let edited = alice
        .put(
            &format!("/api/v1/statuses/{p_id}"),
            json!({"status": "A thread starts here (edited)"}),
        )
        .ok();
    assert!(edited["edited_at"].is_string(), "{edited}");
    let e_on_b = poll("B: the edit arrives", DELIVERY, || {
        let st = bob.get(&format!("/api/v1/statuses/{p_id_b}")).ok();
        text_of(st["content"].as_str().unwrap_or_default())
            .contains("(edited)")
            .then_some(st)
    });
    assert!(e_on_b["edited_at"].is_string(), "{e_on_b}");
    let history = bob.get(&format!("/api/v1/statuses/{p_id_b}/history")).ok();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(!text_of(history[0]["content"].as_str().unwrap()).contains("(edited)"));
    assert!(text_of(history[1]["content"].as_str().unwrap()).contains("(edited)"));
    // bob boosted it: he is told about the edit.
    poll("B: bob's update notification", DELIVERY, || {
        bob.notification("update", &a.handle("alice"), Some(&p_uri))
    });

    // --- unfavourite, unboost ------------------------------------------------------------------
    bob.post(&format!("/api/v1/statuses/{p_id_b}/unfavourite"), json!({}))
        .ok();
    bob.post(&format!("/api/v1/statuses/{p_id_b}/unreblog"), json!({}))
        .ok();
    poll("A: counts back to 0", DELIVERY, || {
        let st = alice.get(&format!("/api/v1/statuses/{p_id}")).ok();
        (st["favourites_count"] == 0 && st["reblogs_count"] == 0).then_some(())
    });
    poll("C: the boost leaves carol's home", DELIVERY, || {
        (!carol
            .timeline("/api/v1/timelines/home")
            .iter()
            .any(|x| x["reblog"]["uri"].as_str() == Some(&p_uri)))
        .then_some(())
    });

    // --- a delete ------------------------------------------------------------------------------
    alice.delete(&format!("/api/v1/statuses/{p_id}")).ok();
    poll("B: the deleted post is gone", DELIVERY, || {
        (bob.get(&format!("/api/v1/statuses/{p_id_b}")).status == 404).then_some(())
    });
    assert!(bob.home_status(&p_uri).is_none());
    let gone = a.anon().fetch_ap(&p_uri);
    assert_eq!(gone.status, 410, "{}", gone.text);
    assert_eq!(gone.json["type"], "Tombstone", "{}", gone.text);
    // bob deletes his reply: it leaves A and C too.
    bob.delete(&format!("/api/v1/statuses/{}", s(&reply["id"])))
        .ok();
    poll("A: the reply is gone", DELIVERY, || {
        alice
            .notifications()
            .iter()
            .all(|n| n["status"]["uri"].as_str() != Some(&r_uri))
            .then_some(())
    });
    poll("C: the reply is gone", DELIVERY, || {
        (carol
            .get(&format!("/api/v1/statuses/{}", s(&r_on_c["id"])))
            .status
            == 404)
            .then_some(())
    });
}

#[test]
fn blocks_and_domain_blocks() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
        ("C", "127.0.0.4", &[("carol", false), ("dave", false)]),
    ]);
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    let carol = c.api(&tokens[2][0]);
    let dave = c.api(&tokens[2][1]);
    let alice_id_c = follow_accepted(&carol, &a.handle("alice"));
    follow_accepted(&dave, &a.handle("alice"));
    follow_accepted(&bob, &a.handle("alice"));
    let alice_id = s(&alice.me()["id"]);
    assert_eq!(alice.me()["followers_count"], 3);

    // --- alice blocks carol ------------------------------------------------------------------
    let carol_on_a = alice.resolve_account(&c.handle("carol"));
    let rel = alice
        .post(
            &format!("/api/v1/accounts/{}/block", s(&carol_on_a["id"])),
            json!({}),
        )
        .ok();
    assert_eq!(rel["blocking"], true, "{rel}");
    assert_eq!(
        rel["followed_by"], false,
        "the block removes carol's follow: {rel}"
    );
    let followers = alice
        .get(&format!("/api/v1/accounts/{alice_id}/followers"))
        .ok();
    assert!(!followers
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["acct"] == c.handle("carol").as_str()));
    // C learns of the Block: carol no longer follows alice.
    let rel = poll("C: carol's follow of alice is gone", DELIVERY, || {
        let r = carol.relationship(&alice_id_c);
        (r["following"] == false).then_some(r)
    });
    assert_eq!(
        rel["blocked_by"], true,
        "Mastodon shows blocked_by after a Block: {rel}"
    );
    // alice's posts stop reaching carol (dave on the same server is the sentinel).
    let post = alice.post_status("After blocking carol", json!({}));
    let p_uri = s(&post["uri"]);
    let p_on_c = poll("C: dave gets alice's post", DELIVERY, || {
        dave.home_status(&p_uri)
    });
    std::thread::sleep(GRACE);
    assert!(
        carol.home_status(&p_uri).is_none(),
        "a blocked account got the post"
    );
    // carol's interactions are dropped at A; dave's (after hers) arrive.
    let p_c_id = s(&p_on_c["id"]);
    let r = carol.post(&format!("/api/v1/statuses/{p_c_id}/favourite"), json!({}));
    assert!(
        r.status == 200 || (400..500).contains(&r.status),
        "{} {}",
        r.status,
        r.text
    );
    let carol_mention = carol.post_status(&format!("@{} hello?", a.handle("alice")), json!({}));
    let _ = carol_mention;
    dave.post(&format!("/api/v1/statuses/{p_c_id}/favourite"), json!({}))
        .ok();
    poll("A: dave's favourite arrives", DELIVERY, || {
        alice.notification("favourite", &c.handle("dave"), Some(&p_uri))
    });
    std::thread::sleep(GRACE);
    let notes = alice.notifications();
    assert!(
        !notes
            .iter()
            .any(|n| n["account"]["acct"] == c.handle("carol").as_str() && n["type"] != "follow"),
        "a blocked account's activity reached alice: {notes:?}"
    );
    assert_eq!(
        alice
            .get(&format!("/api/v1/statuses/{}", s(&post["id"])))
            .ok()["favourites_count"],
        1
    );

    // --- A blocks C's domain while running -------------------------------------------------------
    let out = a.cli(&["domain-block", "add", &c.ip]);
    let _ = out;
    let list = a.cli(&["domain-block", "list"]);
    assert!(
        list.stdout.contains(&c.ip),
        "domain-block list: {}",
        list.stdout
    );
    // Nothing more reaches C: bob (B) is the sentinel.
    let post2 = alice.post_status("After blocking the domain", json!({}));
    let p2_uri = s(&post2["uri"]);
    poll("B: bob gets the post", DELIVERY, || {
        bob.home_status(&p2_uri)
    });
    std::thread::sleep(GRACE);
    // Checked at the end, so that the inbound half below runs either way.
    let leaked_to_blocked_domain = dave.home_status(&p2_uri).is_some();
    // And nothing from C is accepted: dave's mention is dropped, bob's (after it) arrives.
    let dm = dave.post_status(
        &format!("@{} from a blocked domain", a.handle("alice")),
        json!({}),
    );
    let dm_uri = s(&dm["uri"]);
    let bm = bob.post_status(
        &format!("@{} from an open domain", a.handle("alice")),
        json!({}),
    );
    let bm_uri = s(&bm["uri"]);
    poll("A: bob's mention", DELIVERY, || {
        alice.notification("mention", &b.handle("bob"), Some(&bm_uri))
    });
    std::thread::sleep(GRACE);
    assert!(
        alice
            .notification("mention", &c.handle("dave"), Some(&dm_uri))
            .is_none(),
        "a mention from a blocked domain reached alice"
    );
    // Lifted: dave's next mention arrives.
    a.cli(&["domain-block", "remove", &c.ip]);
    let list = a.cli(&["domain-block", "list"]);
    assert!(
        !list.stdout.contains(&c.ip),
        "domain-block list: {}",
        list.stdout
    );
    let dm2 = dave.post_status(&format!("@{} and now?", a.handle("alice")), json!({}));
    let dm2_uri = s(&dm2["uri"]);
    poll(
        "A: dave's mention after the domain block is lifted",
        DELIVERY,
        || alice.notification("mention", &c.handle("dave"), Some(&dm2_uri)),
    );
    // An account made while the server runs (through the admin endpoint) works at once.
    a.create_account("erin", false);
    let erin = a.api(&a.create_token("erin"));
    assert_eq!(erin.me()["username"], "erin");
    assert!(
        !leaked_to_blocked_domain,
        "a post was delivered to a blocked domain after `woolly domain-block add`"
    );
}
