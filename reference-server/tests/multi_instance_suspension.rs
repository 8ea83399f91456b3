//! Suspension between two real `woolly serve` processes, driven by the command line
//! (`woolly admin accounts …`, through the running server's admin endpoint) and the client
//! API over HTTP: A suspends its local account alice, whom bob on B follows. The `Update` of
//! the suspended actor reaches B (alice shows as suspended there and her post leaves bob's
//! home); once A deletes alice's data, B gets the `Delete` of the actor and removes her
//! posts, and alice's actor answers `410`. The command line also checks roles and the
//! refusal of admin scopes to an account without one.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use crate::common;

use common::{cluster, poll, run_bounded, DELIVERY, WOOLLY};
use serde_json::{json, Value};

#[test]
fn a_suspended_account_is_updated_then_deleted_on_the_follower_instance() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let bob = b.api(&tokens[1][0]);

    // Roles: a token with admin scopes is refused to alice (no role), given to an admin.
    let mut refused = Command::new(WOOLLY);
    refused
        .args(["token", "create", "alice", "--scopes", "read admin:read"])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(refused, std::time::Duration::from_secs(60));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("admin scopes"), "{}", out.stderr);
    let made = a.cli(&["account", "create", "olive", "--role", "owner"]);
    assert!(made.stdout.contains("role owner"), "{}", made.stdout);
    a.cli(&["account", "role", "olive", "admin"]);
    let token = a.cli(&[
        "token",
        "create",
        "olive",
        "--scopes",
        "read admin:read admin:write",
    ]);
    let olive = a.api(token.stdout.trim());
    assert_eq!(olive.me()["role"]["name"], "Admin");

    // bob follows alice; alice posts.
    let target = bob.resolve_account(&a.handle("alice"));
    let alice_on_b = target["id"].as_str().unwrap().to_owned();
    bob.post(&format!("/api/v1/accounts/{alice_on_b}/follow"), json!({}))
        .ok();
    poll("B: bob follows alice", DELIVERY, || {
        (bob.relationship(&alice_on_b)["following"] == true).then_some(())
    });
    let post = alice.post_status("Baa from A", json!({}));
    let uri = post["uri"].as_str().unwrap().to_owned();
    poll("B: alice's post in bob's home", DELIVERY, || {
        bob.home_status(&uri)
    });

    // A suspends alice from the command line: B learns it from the Update of her actor.
    let out = a.cli(&["admin", "accounts", "action", "alice", "--type", "suspend"]);
    assert!(out.stdout.contains("suspended"), "{}", out.stdout);
    let listed = a.cli(&[
        "admin",
        "accounts",
        "list",
        "--local",
        "--status",
        "suspended",
    ]);
    assert!(listed.stdout.contains("\talice\t"), "{}", listed.stdout);
    poll("B: alice shows as suspended", DELIVERY, || {
        let shown = bob.get(&format!("/api/v1/accounts/{alice_on_b}")).ok();
        (shown["suspended"] == true).then_some(())
    });
    assert!(bob.home_status(&uri).is_none(), "her post left bob's home");
    let actor = bob.fetch_ap(&a.actor("alice"));
    assert_eq!(actor.status, 200);
    assert_eq!(actor.json["suspended"], true);
    // The admin API on A shows it.
    let listed: Value = olive
        .get("/api/v2/admin/accounts?origin=local&status=suspended")
        .ok();
    assert_eq!(listed[0]["username"], "alice", "{listed}");

    // A deletes her data: the Delete of the actor reaches B, which removes her posts.
    let on_b_before = b.cli(&["admin", "accounts", "show", &a.handle("alice")]);
    assert!(on_b_before.stdout.contains("\"deleted\": false"));
    let path = format!(
        "/api/v1/admin/accounts/{}",
        listed[0]["id"].as_str().unwrap()
    );
    let deleted = olive.delete(&path).ok();
    assert_eq!(deleted["suspended"], true);
    poll("B: alice's account deleted", DELIVERY, || {
        let out = b.cli(&["admin", "accounts", "show", &a.handle("alice")]);
        out.stdout.contains("\"deleted\": true").then_some(())
    });
    assert!(bob.resolve_status(&uri).is_none(), "her post is gone on B");
    let gone = bob.fetch_ap(&a.actor("alice"));
    assert_eq!(gone.status, 410, "{:?}", gone.text);
}
