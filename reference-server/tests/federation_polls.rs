//! Polls across two instances in process on one in-memory network (sharing a manual clock):
//! the `Question` followers receive, votes sent back as `Note`s to the author only and
//! counted there (never as statuses), one coalesced `Update(Question)` for several votes, the
//! closing `Update` and the `poll` notifications on both sides; and hand-signed remote votes:
//! counted once per voter and option, one option in a one-choice poll, none after the end.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, Request, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

/// Activities POSTed to an instance, as received (JSON).
type Seen = Arc<Mutex<Vec<Value>>>;

async fn instance(net: &MemoryNetwork, host: &str, clock: &ManualClock) -> (App, Seen) {
    let config = Config {
        base_url: format!("http://{host}"),
        ..Config::default()
    };
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(net.clone()),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let router = Router::new(app.clone());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    net.serve(host, move |req: Request<Bytes>| {
        let r = router.clone();
        let log = log.clone();
        async move {
            if req.method() == Method::POST {
                if let Ok(v) = serde_json::from_slice::<Value>(req.body()) {
                    log.lock().unwrap().push(v);
                }
            }
            r.handle(req, None).await
        }
    });
    (app, seen)
}

async fn pump(apps: &[&App]) {
    for _ in 0..20 {
        let mut work = 0;
        for app in apps {
            let d = app.engine().process_deliveries(100).await.unwrap();
            let i = app.engine().process_inbox(100).await.unwrap();
            assert_eq!((d.dead, i.dead), (0, 0), "nothing fails");
            work += d.leased + i.leased;
        }
        if work == 0 {
            return;
        }
    }
    panic!("the queues did not drain");
}

async fn api(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    let status = resp.status();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

fn of_type(seen: &Seen, kind: &str) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == kind)
        .cloned()
        .collect()
}

async fn local_user(app: &App, name: &str) -> (u64, String) {
    let a = app.create_account(name, None, false).await.unwrap();
    let t = reference_server::api::create_token(app, a.id, "read write follow")
        .await
        .unwrap();
    (a.id, t)
}

#[tokio::test]
async fn a_poll_is_answered_from_another_instance_and_results_reach_both() {
    let net = MemoryNetwork::new();
    let clock = ManualClock::new(Timestamp::now());
    let (a, seen_by_a) = instance(&net, "wool.test", &clock).await;
    let (b, seen_by_b) = instance(&net, "yarn.test", &clock).await;
    let (_alice, ta) = local_user(&a, "alice").await;
    let mut voters = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let (id, t) = local_user(&b, name).await;
        let alice_at_b = b
            .resolve_handle("alice@wool.test", true)
            .await
            .unwrap()
            .unwrap();
        b.follow(id, alice_at_b.id).await.unwrap();
        voters.push(t);
    }
    pump(&[&a, &b]).await;

    // Alice asks; her followers' instance receives a Question.
    let (status, s) = api(
        &a,
        Method::POST,
        "/api/v1/statuses",
        &ta,
        json!({"status": "Yes or no?", "poll": {"options": ["yes", "no"], "expires_in": 300}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let poll_id_a = s["id"].as_str().unwrap().to_owned();
    pump(&[&a, &b]).await;
    let creates = of_type(&seen_by_b, "Create");
    let q = &creates.last().unwrap()["object"];
    assert_eq!(q["type"], "Question");
    assert_eq!(
        q["oneOf"],
        json!([
            {"type": "Note", "name": "yes", "replies": {"type": "Collection", "totalItems": 0}},
            {"type": "Note", "name": "no", "replies": {"type": "Collection", "totalItems": 0}},
        ])
    );
    assert!(q.get("anyOf").is_none());
    assert_eq!(q["votersCount"], 0);
    assert_eq!(q["endTime"], s["poll"]["expires_at"]);
    assert!(q.get("closed").is_none());
    let uri = q["id"].as_str().unwrap().to_owned();

    // Bob sees it on his instance, votes there; the vote goes to alice only.
    let (_, home) = api(
        &b,
        Method::GET,
        "/api/v1/timelines/home",
        &voters[0],
        Value::Null,
    )
    .await;
    let remote = home
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uri"] == uri.as_str())
        .unwrap()
        .clone();
    let poll_id_b = remote["poll"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        remote["poll"]["options"],
        json!([{"title": "yes", "votes_count": 0}, {"title": "no", "votes_count": 0}])
    );
    assert_eq!(remote["poll"]["expires_at"], s["poll"]["expires_at"]);
    let vote_path = format!("/api/v1/polls/{poll_id_b}/votes");
    let (status, v) = api(
        &b,
        Method::POST,
        &vote_path,
        &voters[0],
        json!({"choices": [0]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["own_votes"], json!([0]));
    assert_eq!(v["votes_count"], 1);
    pump(&[&a, &b]).await;
    let votes = of_type(&seen_by_a, "Create");
    assert_eq!(votes.len(), 1, "{votes:?}");
    let note = &votes[0]["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["name"], "yes");
    assert_eq!(note["inReplyTo"], uri.as_str());
    assert_eq!(note["attributedTo"], "http://yarn.test/users/bob");
    assert_eq!(votes[0]["to"], json!(["http://wool.test/users/alice"]));
    assert!(note.get("content").is_none() && note.get("cc").is_none());
    // Counted at alice's, and not a status.
    let (_, p) = api(
        &a,
        Method::GET,
        &format!("/api/v1/polls/{poll_id_a}"),
        &ta,
        Value::Null,
    )
    .await;
    assert_eq!(p["votes_count"], 1, "{p}");
    assert_eq!(p["options"][0]["votes_count"], 1);
    let note_id = note["id"].as_str().unwrap();
    assert!(a.status_by_uri(note_id).await.unwrap().is_none());
    let (_, public) = api(
        &a,
        Method::GET,
        "/api/v1/timelines/public",
        &ta,
        Value::Null,
    )
    .await;
    assert_eq!(
        public.as_array().unwrap().len(),
        1,
        "only the poll: {public}"
    );

    // Carol and dave vote before the result update goes out: one Update carries all three.
    for t in &voters[1..] {
        let (status, _) = api(&b, Method::POST, &vote_path, t, json!({"choices": ["1"]})).await;
        assert_eq!(status, StatusCode::OK);
    }
    pump(&[&a, &b]).await;
    seen_by_b.lock().unwrap().clear();
    clock.advance(Duration::from_secs(4));
    assert_eq!(
        a.run_poll_jobs(10).await.unwrap(),
        1,
        "one coalesced update job"
    );
    pump(&[&a, &b]).await;
    let updates = of_type(&seen_by_b, "Update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    let q = &updates[0]["object"];
    assert_eq!(q["type"], "Question");
    assert_eq!(q["oneOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(q["oneOf"][1]["replies"]["totalItems"], 2);
    assert_eq!(q["votersCount"], 3);
    // Bob's instance shows alice's counts, and it is not an edit.
    let (_, p) = api(
        &b,
        Method::GET,
        &format!("/api/v1/polls/{poll_id_b}"),
        &voters[1],
        Value::Null,
    )
    .await;
    assert_eq!(
        p["options"],
        json!([{"title": "yes", "votes_count": 1}, {"title": "no", "votes_count": 2}])
    );
    assert_eq!(p["own_votes"], json!([1]));
    let (_, st) = api(
        &b,
        Method::GET,
        &format!("/api/v1/statuses/{poll_id_b}"),
        &voters[1],
        Value::Null,
    )
    .await;
    assert_eq!(st["edited_at"], Value::Null);

    // It ends: the closing Update reaches bob's instance; everyone is told.
    seen_by_b.lock().unwrap().clear();
    clock.advance(Duration::from_secs(300));
    assert_eq!(a.run_poll_jobs(10).await.unwrap(), 1);
    assert_eq!(b.run_poll_jobs(10).await.unwrap(), 1);
    pump(&[&a, &b]).await;
    let updates = of_type(&seen_by_b, "Update");
    assert_eq!(updates.len(), 1);
    assert!(updates[0]["object"]["closed"].is_string(), "{}", updates[0]);
    let (_, p) = api(
        &b,
        Method::GET,
        &format!("/api/v1/polls/{poll_id_b}"),
        &voters[0],
        Value::Null,
    )
    .await;
    assert_eq!(p["expired"], true);
    let (_, n) = api(
        &a,
        Method::GET,
        "/api/v1/notifications?types[]=poll",
        &ta,
        Value::Null,
    )
    .await;
    assert_eq!(n.as_array().unwrap().len(), 1, "{n}");
    assert_eq!(n[0]["type"], "poll");
    assert_eq!(n[0]["status"]["poll"]["expired"], true);
    for t in &voters {
        let (_, n) = api(&b, Method::GET, "/api/v1/notifications", t, Value::Null).await;
        let polls: Vec<&Value> = n
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["type"] == "poll")
            .collect();
        assert_eq!(polls.len(), 1, "{n}");
        assert_eq!(polls[0]["status"]["uri"], uri.as_str());
    }
}

/// Remote actors `names` on `host` (served on `net`, each with an Ed25519 key), for
/// hand-made deliveries.
fn remote_actor(
    net: &MemoryNetwork,
    host: &str,
    names: &[&str],
) -> Vec<(String, http_sig::PrivateKey)> {
    let mut docs = std::collections::HashMap::new();
    let mut out = Vec::new();
    for name in names {
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let iri = format!("http://{host}/users/{name}");
        docs.insert(
            format!("/users/{name}"),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": iri, "type": "Person", "preferredUsername": name,
                "inbox": format!("{iri}/inbox"),
                "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
                    "publicKeyPem": key.public_key().to_pem().unwrap()}
            })
            .to_string(),
        );
        out.push((iri, key));
    }
    let docs = Arc::new(docs);
    net.serve(host, move |req: Request<Bytes>| {
        let doc = docs.get(req.uri().path()).cloned();
        async move {
            match doc {
                Some(d) => http::Response::builder()
                    .header("content-type", "application/activity+json")
                    .body(Bytes::from(d))
                    .unwrap(),
                None => http::Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .body(Bytes::new())
                    .unwrap(),
            }
        }
    });
    out
}

/// Delivers a vote `Note` (`name`, `inReplyTo` the question) from `actor`, signed at the
/// app's time; `n` makes the ids unique.
async fn deliver_vote(
    app: &App,
    actor: &(String, http_sig::PrivateKey),
    question: &str,
    name: &str,
    n: u32,
) {
    let (iri, key) = actor;
    let vote = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{iri}#votes/{n}/activity"), "type": "Create", "actor": iri,
        "to": ["http://wool.test/users/alice"],
        "object": {"id": format!("{iri}#votes/{n}"), "type": "Note", "name": name,
            "attributedTo": iri, "to": ["http://wool.test/users/alice"], "inReplyTo": question},
    });
    let body = vote.to_string().into_bytes();
    let (mut parts, ()) = Request::post("http://wool.test/inbox")
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts();
    let at = std::time::UNIX_EPOCH + Duration::from_millis(app.now().as_unix_millis());
    http_sig::sign_request(
        &mut parts,
        &body,
        key,
        &http_sig::SignOptions::cavage(format!("{iri}#main-key")),
        at,
    )
    .unwrap();
    let resp = Router::new(app.clone())
        .handle(Request::from_parts(parts, Bytes::from(body)), None)
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    pump(&[app]).await;
    assert!(
        app.status_by_uri(&format!("{iri}#votes/{n}"))
            .await
            .unwrap()
            .is_none(),
        "a vote is never a status"
    );
}

#[tokio::test]
async fn remote_votes_count_once_per_voter_and_option_and_only_while_open() {
    let net = MemoryNetwork::new();
    let clock = ManualClock::new(Timestamp::now());
    let (a, _) = instance(&net, "wool.test", &clock).await;
    let (_alice, ta) = local_user(&a, "alice").await;
    let voters = remote_actor(&net, "voters.test", &["v1", "v2", "v3"]);
    let mut polls = Vec::new();
    for multiple in [false, true] {
        let (status, s) = api(
            &a,
            Method::POST,
            "/api/v1/statuses",
            &ta,
            json!({"status": "?", "poll": {"options": ["a", "b"], "expires_in": 300, "multiple": multiple}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{s}");
        polls.push((
            s["id"].as_str().unwrap().to_owned(),
            s["uri"].as_str().unwrap().to_owned(),
        ));
    }
    let counts = |p: Value| -> (Vec<u64>, Value) {
        (
            p["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["votes_count"].as_u64().unwrap())
                .collect(),
            p["voters_count"].clone(),
        )
    };
    let get = |id: String| {
        let a = a.clone();
        let ta = ta.clone();
        async move {
            api(
                &a,
                Method::GET,
                &format!("/api/v1/polls/{id}"),
                &ta,
                Value::Null,
            )
            .await
            .1
        }
    };
    // One choice: v1's "a" twice (two activities), then "b": counted once, "b" ignored.
    let (one, one_uri) = &polls[0];
    deliver_vote(&a, &voters[0], one_uri, "a", 1).await;
    deliver_vote(&a, &voters[0], one_uri, "a", 2).await;
    deliver_vote(&a, &voters[0], one_uri, "b", 3).await;
    deliver_vote(&a, &voters[1], one_uri, "b", 4).await;
    assert_eq!(counts(get(one.clone()).await), (vec![1, 1], Value::Null));
    // Several choices: v1 picks both (one Note each), again "a": two votes, one voter.
    let (many, many_uri) = &polls[1];
    deliver_vote(&a, &voters[0], many_uri, "a", 5).await;
    deliver_vote(&a, &voters[0], many_uri, "b", 6).await;
    deliver_vote(&a, &voters[0], many_uri, "a", 7).await;
    assert_eq!(counts(get(many.clone()).await), (vec![1, 1], json!(1)));
    // After the end nothing counts.
    clock.advance(Duration::from_secs(301));
    deliver_vote(&a, &voters[2], one_uri, "a", 8).await;
    deliver_vote(&a, &voters[2], many_uri, "b", 9).await;
    assert_eq!(counts(get(one.clone()).await), (vec![1, 1], Value::Null));
    assert_eq!(counts(get(many.clone()).await), (vec![1, 1], json!(1)));
    // One coalesced update per poll was queued, and each poll closes once.
    assert_eq!(a.run_poll_jobs(10).await.unwrap(), 4);
    assert_eq!(a.run_poll_jobs(10).await.unwrap(), 0);
}
