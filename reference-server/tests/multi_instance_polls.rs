//! Polls between two real `woolly serve` processes (127.0.0.2 and .3, free ports), driven
//! through the client API over HTTP: a poll on A is answered from B, and the results reach
//! both (B's votes are counted on A; A's coalesced result `Update` brings all counts, a vote made
//! on A included, to B).
//! Closing (five minutes at least) is covered in process by `federation_polls.rs`.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{cluster, poll, DELIVERY};
use serde_json::{json, Value};

#[test]
fn a_poll_is_answered_from_the_other_instance_and_results_reach_both() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false), ("dave", false)]),
        ("B", "127.0.0.3", &[("bob", false), ("carol", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let alice = a.api(&tokens[0][0]);
    let dave = a.api(&tokens[0][1]);
    let bob = b.api(&tokens[1][0]);
    let carol = b.api(&tokens[1][1]);
    let target = bob.resolve_account(&a.handle("alice"));
    let id = target["id"].as_str().unwrap().to_owned();
    bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll("B: bob follows alice", DELIVERY, || {
        (bob.relationship(&id)["following"] == true).then_some(())
    });

    let post = alice.post_status(
        "Cats or dogs?",
        json!({"poll": {"options": ["cats", "dogs", "both"], "expires_in": 3600, "multiple": true}}),
    );
    let uri = post["uri"].as_str().unwrap().to_owned();
    let poll_a = post["poll"]["id"].as_str().unwrap().to_owned();
    let on_b = poll("B: the poll in bob's home", DELIVERY, || {
        bob.home_status(&uri)
    });
    assert_eq!(on_b["poll"]["multiple"], true);
    assert_eq!(
        on_b["poll"]["options"],
        json!([{"title": "cats", "votes_count": 0}, {"title": "dogs", "votes_count": 0},
               {"title": "both", "votes_count": 0}])
    );
    let poll_b = on_b["poll"]["id"].as_str().unwrap().to_owned();

    // Bob and carol vote on B.
    let v = bob
        .post(
            &format!("/api/v1/polls/{poll_b}/votes"),
            json!({"choices": ["0", "2"]}),
        )
        .ok();
    assert_eq!(v["own_votes"], json!([0, 2]));
    let v = carol
        .post(
            &format!("/api/v1/polls/{poll_b}/votes"),
            json!({"choices": ["2"]}),
        )
        .ok();
    assert_eq!(v["own_votes"], json!([2]));
    let again = carol.post(
        &format!("/api/v1/polls/{poll_b}/votes"),
        json!({"choices": ["1"]}),
    );
    assert_eq!(again.status, 422);

    // Dave votes on A (B learns of it only from A's result update).
    let v = dave
        .post(
            &format!("/api/v1/polls/{poll_a}/votes"),
            json!({"choices": ["1"]}),
        )
        .ok();
    assert_eq!(v["own_votes"], json!([1]));

    // A counts them all.
    let expected = json!([{"title": "cats", "votes_count": 1}, {"title": "dogs", "votes_count": 1},
                          {"title": "both", "votes_count": 2}]);
    let on_a = poll("A: both votes counted", DELIVERY, || {
        let p = alice.get(&format!("/api/v1/polls/{poll_a}")).ok();
        (p["options"] == expected).then_some(p)
    });
    assert_eq!(on_a["voters_count"], 3);
    assert_eq!(on_a["votes_count"], 4);
    // The votes did not become statuses on A.
    let public: Vec<Value> = alice.timeline("/api/v1/timelines/public");
    assert_eq!(public.len(), 1, "{public:?}");

    // A's result update reaches B.
    let on_b = poll("B: alice's counts", DELIVERY, || {
        let p = bob.get(&format!("/api/v1/polls/{poll_b}")).ok();
        (p["options"] == expected && p["voters_count"] == 3).then_some(p)
    });
    assert_eq!(on_b["own_votes"], json!([0, 2]));
    let st = bob.get(&format!("/api/v1/statuses/{poll_b}")).ok();
    assert_eq!(st["edited_at"], Value::Null, "new counts are not an edit");
}
