//! Account migration between three real `woolly serve` processes, driven by the command
//! line (`woolly account alias|move`, through each running server's admin endpoint) and the
//! client API: alice on A moves to alice2 on B, who lists her as an alias; bob on C, who
//! followed alice@A (and had her in a list), follows alice2@B afterwards without doing
//! anything, no longer follows alice@A, and his list holds alice2@B. A move to a target that
//! does not list the origin is refused; the moved account cannot post or be followed, and
//! its profile page redirects to the new one.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use crate::common;

use common::{cluster, poll, run_bounded, DELIVERY, WOOLLY};
use serde_json::json;

#[test]
fn alice_moves_from_a_to_b_and_bob_on_c_follows_her_there() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("alice2", false)]),
        ("C", "127.0.0.4", &[("bob", false)]),
    ]);
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let alice = a.api(&tokens[0][0]);
    let bob = c.api(&tokens[2][0]);

    // bob follows alice@A and puts her in a list.
    let alice_on_c = bob.resolve_account(&a.handle("alice"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.post(&format!("/api/v1/accounts/{alice_on_c}/follow"), json!({}))
        .ok();
    poll("C: bob follows alice@A", DELIVERY, || {
        (bob.relationship(&alice_on_c)["following"] == true).then_some(())
    });
    let list = bob.post("/api/v1/lists", json!({"title": "friends"})).ok();
    let list_id = list["id"].as_str().unwrap().to_owned();
    let added = bob.post(
        &format!("/api/v1/lists/{list_id}/accounts"),
        json!({"account_ids": [alice_on_c]}),
    );
    assert_eq!(added.status, 200, "{}", added.text);

    // B's alice2 does not list alice yet: the move is refused and nothing changes.
    let handle2 = format!("@{}", b.handle("alice2"));
    let mut refused = Command::new(WOOLLY);
    refused
        .args(["account", "move", "alice", &handle2])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(refused, std::time::Duration::from_secs(60));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("alsoKnownAs"), "{}", out.stderr);
    let actor = alice.fetch_ap(&a.actor("alice")).ok();
    assert!(actor.get("movedTo").is_none(), "{actor}");

    // alice2 adds alice@A as an alias (WebFinger), then alice moves.
    let out = b.cli(&[
        "account",
        "alias",
        "add",
        "alice2",
        &format!("@{}", a.handle("alice")),
    ]);
    assert_eq!(out.stdout.trim(), a.actor("alice"), "{}", out.stdout);
    let out = b.cli(&["account", "alias", "list", "alice2"]);
    assert_eq!(out.stdout.trim(), a.actor("alice"));
    let actor2 = alice.fetch_ap(&b.actor("alice2")).ok();
    assert_eq!(actor2["alsoKnownAs"], json!([a.actor("alice")]));
    let out = a.cli(&["account", "move", "alice", &handle2]);
    assert!(out.stdout.contains("moved to"), "{}", out.stdout);
    assert!(out.stdout.contains(&b.actor("alice2")), "{}", out.stdout);

    // On C, bob follows alice2@B without doing anything, and no longer follows alice@A.
    let alice2_on_c = bob.resolve_account(&b.handle("alice2"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    poll("C: bob follows alice2@B", DELIVERY, || {
        (bob.relationship(&alice2_on_c)["following"] == true).then_some(())
    });
    let old = bob.relationship(&alice_on_c);
    assert_eq!(old["following"], false, "{old}");
    assert_eq!(old["requested"], false, "{old}");
    let members = bob.get(&format!("/api/v1/lists/{list_id}/accounts")).ok();
    let ids: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [alice2_on_c.as_str()]);
    // B sees bob among alice2's followers; A no longer among alice's.
    let alice2 = b.api(&tokens[1][0]);
    let me2 = alice2.me();
    assert_eq!(me2["followers_count"], 1, "{me2}");
    poll("A: bob's Undo arrived", DELIVERY, || {
        (alice.me()["followers_count"] == 0).then_some(())
    });
    // C shows alice@A as moved, to alice2@B.
    let shown = bob.get(&format!("/api/v1/accounts/{alice_on_c}")).ok();
    assert_eq!(shown["moved"]["acct"], b.handle("alice2"), "{shown}");
    assert_eq!(shown["moved"]["id"], alice2_on_c);

    // On A: the actor keeps answering, with movedTo; the page redirects; no posting, no
    // new follows (422).
    let actor = alice.fetch_ap(&a.actor("alice")).ok();
    assert_eq!(actor["movedTo"], b.actor("alice2"), "{actor}");
    let page = a.anon().get("/@alice");
    assert_eq!(page.status, 302, "{}", page.text);
    let me = alice.me();
    assert_eq!(me["moved"]["uri"], b.actor("alice2"), "{me}");
    let post = alice.post("/api/v1/statuses", json!({"status": "still here"}));
    assert_eq!(post.status, 422, "{}", post.text);
    assert!(
        post.json["error"].as_str().unwrap().contains("moved"),
        "{}",
        post.text
    );
    let again = bob.post(&format!("/api/v1/accounts/{alice_on_c}/follow"), json!({}));
    assert_eq!(again.status, 422, "{}", again.text);
    assert!(
        again.json["error"].as_str().unwrap().contains("moved"),
        "{}",
        again.text
    );

    // Cooldown: a second move within 30 days is refused.
    let mut second = Command::new(WOOLLY);
    second
        .args(["account", "move", "alice", &handle2])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(second, std::time::Duration::from_secs(60));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("30 days"), "{}", out.stderr);
}
