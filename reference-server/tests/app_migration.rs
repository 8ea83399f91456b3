//! Account migration in process, against peers on the in-memory network: a `Move` from
//! another server (checked against the target's `alsoKnownAs`, fetched fresh; bad documents
//! ignored with nothing changed; local followers, lists, blocks and mutes moved; idempotent),
//! and a local account moving out (aliases on the actor, the `Move` on the wire, `movedTo`,
//! the profile page's redirect, no follows and no posting afterwards, the 30-day cooldown).

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::remote_peer::{env, Env};
use reference_server::app::RepliesPolicy;
use reference_server::Error;

/// What a peer received: path and body of each POST.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A peer host serving one actor whose document the test may change.
struct Peer {
    iri: String,
    key: http_sig::PrivateKey,
    doc: Arc<Mutex<Value>>,
    received: Received,
}

impl Peer {
    fn new(e: &Env, host: &str, username: &str) -> Peer {
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let iri = format!("http://{host}/users/{username}");
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                {"alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
                 "movedTo": {"@id": "as:movedTo", "@type": "@id"}}],
            "id": iri, "type": "Person", "preferredUsername": username,
            "url": format!("http://{host}/@{username}"),
            "inbox": format!("{iri}/inbox"),
            "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
            "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
                "publicKeyPem": key.public_key().to_pem().unwrap()}
        });
        let doc = Arc::new(Mutex::new(doc));
        let received: Received = Arc::default();
        let (d, r, path) = (doc.clone(), received.clone(), format!("/users/{username}"));
        e.net.serve(host, move |req: Request<Bytes>| {
            let (d, r, path) = (d.clone(), r.clone(), path.clone());
            async move {
                if req.method() == http::Method::POST {
                    let (parts, body) = req.into_parts();
                    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    r.lock().unwrap().push((parts.uri.path().to_owned(), v));
                    return Response::builder().status(202).body(Bytes::new()).unwrap();
                }
                if req.uri().path() == path {
                    let body = d.lock().unwrap().to_string();
                    return Response::builder()
                        .header("content-type", "application/activity+json")
                        .body(Bytes::from(body))
                        .unwrap();
                }
                Response::builder().status(404).body(Bytes::new()).unwrap()
            }
        });
        Peer {
            iri,
            key,
            doc,
            received,
        }
    }

    fn set(&self, key: &str, value: Value) {
        self.doc.lock().unwrap()[key] = value;
    }

    /// The types of what it received, in order.
    fn kinds(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| v["type"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    fn last(&self, kind: &str) -> Value {
        self.received
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(_, v)| v["type"] == kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {kind} received"))
    }

    async fn deliver(&self, e: &Env, activity: Value) -> StatusCode {
        e.deliver(&activity, &self.key, &self.iri).await
    }

    fn move_to(&self, target: Value, n: u32) -> Value {
        json!({"@context": "https://www.w3.org/ns/activitystreams",
               "id": format!("{}#moves/{n}", self.iri), "type": "Move",
               "actor": self.iri, "object": self.iri, "target": target})
    }
}

async fn deliveries(e: &Env) {
    e.app.engine().process_deliveries(100).await.unwrap();
}

/// `follower` (local) follows the peer, which accepts.
async fn follow_peer(e: &Env, follower: u64, peer: &Peer) -> u64 {
    let them = e.app.resolve_actor(&peer.iri).await.unwrap();
    e.app.follow(follower, them.id).await.unwrap();
    deliveries(e).await;
    let follow = peer.last("Follow");
    let accept = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#accepts/{}", peer.iri, follower), "type": "Accept",
        "actor": peer.iri, "object": follow["id"]});
    assert_eq!(peer.deliver(e, accept).await, StatusCode::ACCEPTED);
    assert!(e.app.is_following(follower, them.id).await.unwrap());
    them.id
}

#[tokio::test]
async fn a_move_from_another_server_moves_the_local_followers() {
    let e = env(30).await;
    let origin = Peer::new(&e, "old.test", "alice");
    let target = Peer::new(&e, "new.test", "alice2");
    let bob = e.app.create_account("bob", None, false).await.unwrap();
    let carol = e.app.create_account("carol", None, false).await.unwrap();
    let dave = e.app.create_account("dave", None, false).await.unwrap();
    let origin_id = follow_peer(&e, bob.id, &origin).await;
    let list = e
        .app
        .create_list(bob.id, "friends", RepliesPolicy::List, false)
        .await
        .unwrap();
    e.app
        .add_to_list(bob.id, list.id, &[origin_id])
        .await
        .unwrap();
    e.app.block(carol.id, origin_id).await.unwrap();
    e.app.mute(dave.id, origin_id, false, None).await.unwrap();
    let unchanged = |e: &Env| {
        let app = e.app.clone();
        async move {
            assert!(app.is_following(bob.id, origin_id).await.unwrap());
            let o = app.account(origin_id).await.unwrap();
            assert_eq!(o.migration.moved_to, None);
            assert_eq!(o.migration.moved_to_uri, None);
        }
    };

    // Bad documents from the network: no target, a target that is not a URI, one that
    // cannot be fetched, a target that is the origin, an object that is someone else.
    let mut no_target = origin.move_to(Value::Null, 1);
    no_target.as_object_mut().unwrap().remove("target");
    let bad = [
        no_target,
        origin.move_to(json!("not a uri"), 2),
        origin.move_to(json!(42), 3),
        origin.move_to(json!("http://gone.test/users/nobody"), 4),
        origin.move_to(json!(origin.iri), 5),
        json!({"@context": "https://www.w3.org/ns/activitystreams",
               "id": format!("{}#moves/6", origin.iri), "type": "Move", "actor": origin.iri,
               "object": target.iri, "target": target.iri}),
    ];
    for m in bad {
        let status = origin.deliver(&e, m.clone()).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{m}: {status}"
        );
        unchanged(&e).await;
    }
    // A target that does not list the origin: ignored.
    assert_eq!(
        origin
            .deliver(&e, origin.move_to(json!(target.iri), 7))
            .await,
        StatusCode::ACCEPTED
    );
    unchanged(&e).await;
    deliveries(&e).await;
    assert!(target.kinds().is_empty(), "{:?}", target.kinds());
    // (carol's block went to the origin.)
    assert_eq!(origin.kinds(), ["Follow", "Block"]);

    // A target that lists the origin but is suspended by its server: ignored.
    target.set("alsoKnownAs", json!([origin.iri]));
    target.set("suspended", json!(true));
    origin
        .deliver(&e, origin.move_to(json!(target.iri), 70))
        .await;
    unchanged(&e).await;
    target.set("suspended", json!(false));

    // The target lists the origin (fetched fresh: the copy stored above is stale).
    assert_eq!(
        origin
            .deliver(&e, origin.move_to(json!(target.iri), 8))
            .await,
        StatusCode::ACCEPTED
    );
    let target_id = e.app.account_by_iri(&target.iri).await.unwrap().unwrap().id;
    let moved = e.app.account(origin_id).await.unwrap();
    assert_eq!(moved.migration.moved_to, Some(target_id));
    assert_eq!(
        moved.migration.moved_to_uri.as_deref(),
        Some(target.iri.as_str())
    );
    // bob asked to follow the target and no longer follows the origin; his list moved.
    let rel = e.app.relationship(bob.id, target_id).await.unwrap();
    assert!(rel.requested && !rel.following, "{rel:?}");
    assert!(!e.app.is_following(bob.id, origin_id).await.unwrap());
    let in_list = e.app.lists_containing(bob.id, target_id).await.unwrap();
    assert_eq!(in_list.iter().map(|l| l.id).collect::<Vec<_>>(), [list.id]);
    assert!(e
        .app
        .lists_containing(bob.id, origin_id)
        .await
        .unwrap()
        .is_empty());
    // Blocks and mutes carried over (the mute keeps its notifications setting).
    assert!(e.app.blocks(carol.id, target_id).await.unwrap());
    assert!(e.app.mutes(dave.id, target_id).await.unwrap());
    assert!(!e.app.mutes_notifications(dave.id, target_id).await.unwrap());
    deliveries(&e).await;
    assert_eq!(target.kinds(), ["Follow", "Block"]);
    let follow = target.last("Follow");
    assert_eq!(follow["actor"], bob.actor);
    assert_eq!(follow["object"], target.iri);
    assert_eq!(origin.kinds(), ["Follow", "Block", "Undo"]);
    let undo = origin.last("Undo");
    assert_eq!(undo["object"]["type"], "Follow");
    assert_eq!(undo["object"]["object"], origin.iri);

    // The client entity shows `moved`, holding the target's account.
    let shown = e.get_json(&format!("/api/v1/accounts/{origin_id}")).await;
    assert_eq!(shown["moved"]["id"], target_id.to_string());
    assert_eq!(shown["moved"]["acct"], "alice2@new.test");
    assert_eq!(shown["moved"]["uri"], target.iri);
    assert!(shown["moved"].get("moved").is_none());

    // A repeated Move changes nothing and sends nothing.
    assert_eq!(
        origin
            .deliver(&e, origin.move_to(json!(target.iri), 9))
            .await,
        StatusCode::ACCEPTED
    );
    deliveries(&e).await;
    assert_eq!(target.kinds(), ["Follow", "Block"]);
    assert_eq!(origin.kinds(), ["Follow", "Block", "Undo"]);

    // The moved account takes no new follows (422).
    let erin = e.app.create_account("erin", None, false).await.unwrap();
    let refused = e.app.follow(erin.id, origin_id).await.unwrap_err();
    assert!(
        matches!(refused, Error::Unprocessable(ref m) if m.contains("has moved")),
        "{refused}"
    );
}

#[tokio::test]
async fn a_local_account_moves_out_once_the_target_lists_it() {
    let e = env(30).await;
    let alice = e.app.create_account("alice", None, false).await.unwrap();
    let old = Peer::new(&e, "old.test", "alice0");
    let fan = Peer::new(&e, "fan.test", "fan");
    let target = Peer::new(&e, "new.test", "alice2");
    let later = Peer::new(&e, "later.test", "alice3");
    // fan follows alice.
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#follows/1", fan.iri), "type": "Follow",
        "actor": fan.iri, "object": alice.actor});
    assert_eq!(fan.deliver(&e, follow).await, StatusCode::ACCEPTED);
    deliveries(&e).await;
    assert_eq!(fan.kinds(), ["Accept"]);

    // Aliases: by IRI, by a local handle, listed; the actor shows them, followers get an
    // Update.
    let bob = e.app.create_account("bob", None, false).await.unwrap();
    e.app.add_alias(alice.id, &old.iri).await.unwrap();
    let aliases = e.app.add_alias(alice.id, "@bob@wool.test").await.unwrap();
    assert_eq!(aliases, [old.iri.clone(), bob.actor.clone()]);
    assert_eq!(e.app.add_alias(alice.id, &old.iri).await.unwrap().len(), 2);
    let own = e.app.add_alias(alice.id, "alice").await.unwrap_err();
    assert!(matches!(own, Error::Unprocessable(_)), "{own}");
    assert_eq!(
        e.app.remove_alias(alice.id, "bob").await.unwrap(),
        vec![old.iri.clone()]
    );
    let gone = e.app.remove_alias(alice.id, "bob").await.unwrap_err();
    assert!(matches!(gone, Error::NotFound(_)), "{gone}");
    assert_eq!(
        e.app.aliases(alice.id).await.unwrap(),
        vec![old.iri.clone()]
    );
    let actor = actor_doc(&e, "alice").await;
    assert_eq!(actor["alsoKnownAs"], json!([old.iri]));
    assert!(actor.get("movedTo").is_none());
    let context = actor["@context"].to_string();
    assert!(
        context.contains(r#""alsoKnownAs":{"@id":"as:alsoKnownAs","@type":"@id"}"#),
        "{context}"
    );
    deliveries(&e).await;
    let update = fan.last("Update");
    assert_eq!(update["object"]["alsoKnownAs"], json!([old.iri]));

    // The target does not list alice: refused, nothing changes, nothing sent.
    let sent = fan.kinds().len();
    let refused = e.app.move_account(alice.id, &target.iri).await.unwrap_err();
    assert!(
        matches!(refused, Error::Unprocessable(ref m) if m.contains("alsoKnownAs")),
        "{refused}"
    );
    assert_eq!(
        e.app
            .account(alice.id)
            .await
            .unwrap()
            .migration
            .moved_to_uri,
        None
    );
    deliveries(&e).await;
    assert_eq!(fan.kinds().len(), sent);

    // It does now (fetched fresh): the move goes out. bob, a local follower, is moved at
    // once: he asks to follow the target and no longer follows alice.
    e.app.follow(bob.id, alice.id).await.unwrap();
    target.set("alsoKnownAs", json!([alice.actor]));
    let moved = e.app.move_account(alice.id, &target.iri).await.unwrap();
    let target_id = e.app.account_by_iri(&target.iri).await.unwrap().unwrap().id;
    assert_eq!(moved.migration.moved_to, Some(target_id));
    assert!(
        e.app
            .relationship(bob.id, target_id)
            .await
            .unwrap()
            .requested
    );
    assert!(!e.app.is_following(bob.id, alice.id).await.unwrap());
    assert_eq!(
        moved.migration.moved_to_uri.as_deref(),
        Some(target.iri.as_str())
    );
    deliveries(&e).await;
    let kinds = fan.kinds();
    assert_eq!(&kinds[sent..], ["Update", "Move"]);
    let mv = fan.last("Move");
    let id = mv["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with(&format!("{}#moves/", alice.actor)), "{id}");
    assert_eq!(
        mv,
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Move",
               "actor": alice.actor, "object": alice.actor, "target": target.iri})
    );
    assert_eq!(fan.last("Update")["object"]["movedTo"], target.iri);
    assert_eq!(target.kinds(), ["Follow"]);
    assert_eq!(target.last("Follow")["actor"], bob.actor);
    assert_eq!(actor_doc(&e, "alice").await["movedTo"], target.iri);

    // The profile page redirects to the target's.
    let page = e
        .router
        .handle(
            Request::get("http://wool.test/@alice")
                .header("accept", "text/html")
                .body(Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    assert_eq!(page.status(), StatusCode::FOUND);
    assert_eq!(page.headers()["location"], "http://new.test/@alice2");

    // No posting, no new followers (a Follow is rejected).
    let post = e
        .app
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "still here".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(post, Error::Unprocessable(ref m) if m.contains("cannot post")),
        "{post}"
    );
    let other = Peer::new(&e, "other.test", "olga");
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#follows/1", other.iri), "type": "Follow",
        "actor": other.iri, "object": alice.actor});
    other.deliver(&e, follow).await;
    deliveries(&e).await;
    assert_eq!(other.kinds(), ["Reject"]);

    // Cooldown: another move within 30 days is refused, allowed after.
    later.set("alsoKnownAs", json!([alice.actor]));
    let cooldown = e.app.move_account(alice.id, &later.iri).await.unwrap_err();
    assert!(
        matches!(cooldown, Error::Unprocessable(ref m) if m.contains("30 days")),
        "{cooldown}"
    );
    e.clock.advance(Duration::from_secs(29 * 24 * 3600));
    assert!(e.app.move_account(alice.id, &later.iri).await.is_err());
    e.clock.advance(Duration::from_secs(2 * 24 * 3600));
    let again = e.app.move_account(alice.id, &later.iri).await.unwrap();
    assert_eq!(
        again.migration.moved_to_uri.as_deref(),
        Some(later.iri.as_str())
    );
}

async fn actor_doc(e: &Env, name: &str) -> Value {
    let r = e
        .router
        .handle(
            Request::get(format!("http://wool.test/users/{name}"))
                .header("accept", "application/activity+json")
                .body(Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    serde_json::from_slice(&r.into_body()).unwrap()
}

#[tokio::test]
async fn remote_actors_aliases_and_moved_to_are_stored() {
    let e = env(30).await;
    let new = Peer::new(&e, "new.test", "carla");
    let old = Peer::new(&e, "old.test", "carla");
    new.set(
        "alsoKnownAs",
        json!([old.iri, "http://elsewhere.test/users/c"]),
    );
    let target = e.app.resolve_actor(&new.iri).await.unwrap();
    assert_eq!(
        target.migration.also_known_as,
        vec![old.iri.clone(), "http://elsewhere.test/users/c".to_owned()]
    );
    assert_eq!(target.migration.moved_to, None);
    // An Update of the old actor with `movedTo` (a known account): stored with its id.
    old.set("movedTo", json!(new.iri));
    let doc = old.doc.lock().unwrap().clone();
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#updates/1", old.iri), "type": "Update",
        "actor": old.iri, "object": doc});
    assert_eq!(old.deliver(&e, update).await, StatusCode::ACCEPTED);
    let moved = e.app.account_by_iri(&old.iri).await.unwrap().unwrap();
    assert_eq!(
        moved.migration.moved_to_uri.as_deref(),
        Some(new.iri.as_str())
    );
    assert_eq!(moved.migration.moved_to, Some(target.id));
    let shown = e.get_json(&format!("/api/v1/accounts/{}", moved.id)).await;
    assert_eq!(shown["moved"]["acct"], "carla@new.test");
    // A `movedTo` that is not a URI is not one.
    old.set("movedTo", json!("nowhere"));
    let doc = old.doc.lock().unwrap().clone();
    let update = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#updates/2", old.iri), "type": "Update",
        "actor": old.iri, "object": doc});
    old.deliver(&e, update).await;
    let after = e.app.account_by_iri(&old.iri).await.unwrap().unwrap();
    assert_eq!(
        after.migration,
        reference_server::app::migration::Migration::default(),
        "{after:?}"
    );
}
