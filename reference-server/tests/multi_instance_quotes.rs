//! Quotes across two real `woolly serve` processes (on 127.0.0.2 and .3): bob on B quotes
//! alice's public post from A; the quote reaches A as a quote (Mastodon 4.5's `quote` with
//! the quoted status, accepted since the quoted post is A's own public post), with the
//! inline `RE:` fallback in the content for clients that do not show quotes. B's quote is
//! pending until A answers B's `QuoteRequest` with an `Accept` whose `result` is a
//! `QuoteAuthorization` served by A; then it is accepted on B too, and B's `Note` names the
//! authorization.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{cluster, poll, Api, DELIVERY};
use serde_json::{json, Value};

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn follow_accepted(follower: &Api, handle: &str) {
    let target = follower.resolve_account(handle);
    let id = s(&target["id"]);
    follower
        .post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll(
        &format!("{}: the follow of {handle} is accepted", follower.base),
        DELIVERY,
        || (follower.relationship(&id)["following"] == true).then_some(()),
    );
}

#[test]
fn a_quote_arrives_as_a_quote() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);
    follow_accepted(&bob, &a.handle("alice"));
    follow_accepted(&alice, &b.handle("bob"));

    let post = alice.post_status("A post worth quoting", json!({}));
    let p_uri = s(&post["uri"]);
    let p_b = poll("B: alice's post in bob's home", DELIVERY, || {
        bob.home_status(&p_uri)
    });
    let quote = bob.post_status("Quoting alice", json!({"quoted_status_id": s(&p_b["id"])}));
    // On B the quote of a remote post waits for A's approval, asked with a QuoteRequest.
    assert_eq!(quote["quote"]["state"], "pending", "{}", quote["quote"]);
    let q_uri = s(&quote["uri"]);
    let q_id = s(&quote["id"]);
    let approved = poll("B: A approves bob's quote", DELIVERY, || {
        let v = bob.get(&format!("/api/v1/statuses/{q_id}")).ok();
        (v["quote"]["state"] == "accepted").then_some(v)
    });
    assert_eq!(approved["quote"]["quoted_status"]["uri"], p_uri.as_str());
    // B's Note names the authorization, which A serves.
    let note = b.anon().fetch_ap(&q_uri).ok();
    assert_eq!(note["quote"], p_uri.as_str(), "{note}");
    let auth_iri = s(&note["quoteAuthorization"]);
    assert!(
        auth_iri.starts_with(&format!("{p_uri}/quote_authorizations/")),
        "{auth_iri}"
    );
    let auth = a.anon().fetch_ap(&auth_iri).ok();
    assert_eq!(auth["type"], "QuoteAuthorization");
    assert_eq!(auth["attributedTo"], a.actor("alice").as_str());
    assert_eq!(auth["interactingObject"], q_uri.as_str());
    assert_eq!(auth["interactionTarget"], p_uri.as_str());

    let q_a = poll("A: bob's quote in alice's home", DELIVERY, || {
        alice.home_status(&q_uri)
    });
    assert_eq!(q_a["quote"]["state"], "accepted", "{}", q_a["quote"]);
    let quoted = &q_a["quote"]["quoted_status"];
    assert_eq!(quoted["id"], post["id"]);
    assert_eq!(quoted["uri"], p_uri.as_str());
    assert_eq!(quoted["content"], post["content"]);
    assert_eq!(quoted["account"]["acct"], "alice");
    let content = s(&q_a["content"]);
    assert!(
        content.contains("class=\"quote-inline\"") && content.contains(&s(&post["url"])),
        "{content}"
    );
}
