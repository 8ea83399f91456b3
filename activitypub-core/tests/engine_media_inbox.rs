//! The inbox takes what Mastodon converts into statuses: a `Create` of a `Video`, `Audio`,
//! `Image`, `Event`, `Article` or `Page`, and a `Note` attributed to a list of actors when the
//! signer is among them — with real documents from the shared corpus, signed by a test key.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::path::PathBuf;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::InboxTarget;
use activitypub_core::{builder, media, AnyObject, ObjectId};
use http::StatusCode;
use http_sig::{PrivateKey, Scheme};
use serde_json::{json, Value};
use support::{signed_post, start_clock, Backend, Instance, Remote};

fn corpus(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/objects")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Sends `object` (a corpus object, its origin moved from `https://host` to `http://host`
/// so the in-memory network serves it) in a `Create` signed by `signer`; returns how many
/// inbox jobs ran to completion.
async fn deliver(object: Value, host: &str, signer: &str) -> (Instance, String, usize) {
    let net = MemoryNetwork::with_seed(7);
    let clock = start_clock();
    let us = Instance::start(&net, "wool.test", Backend::Memory, &clock).await;
    let remote = Remote::start(&net, host);
    let key = PrivateKey::generate_ed25519().unwrap();
    let actor: ObjectId<activitypub_core::Actor> = ObjectId::parse(signer).unwrap();
    let person =
        builder::PersonBuilder::new(&actor, "someone", &key.public_key().to_pem().unwrap())
            .unwrap()
            .build();
    remote.put(
        actor.url().path(),
        StatusCode::OK,
        serde_json::to_vec(&person).unwrap(),
    );
    let object_id = object["id"].as_str().unwrap().to_owned();
    let id = format!("{object_id}#create");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Create",
        "actor": signer,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": object,
    });
    let req = signed_post(
        "http://wool.test/inbox",
        &serde_json::to_vec(&create).unwrap(),
        &format!("{signer}#main-key"),
        &key,
        Scheme::Cavage,
        us.engine.now().into(),
    );
    let accepted = us.engine.receive(req, InboxTarget::Shared).await;
    assert!(accepted.is_ok(), "{object_id}: {accepted:?}");
    let run = us.engine.process_inbox(10).await.unwrap();
    (us, id, run.done)
}

/// The object of a corpus document (the document itself, or the object of its `Create`),
/// moved to plain http on the same host.
fn object_of(path: &str, host: &str) -> Value {
    let text = corpus(path).replace(&format!("https://{host}"), &format!("http://{host}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    match doc.get("object") {
        Some(o) if o.is_object() && doc["type"] == "Create" => o.clone(),
        _ => doc,
    }
}

async fn accepted_and_handled(path: &str, host: &str, kind: &str) {
    let object = object_of(path, host);
    assert_eq!(object["type"], kind, "{path}");
    let typed: AnyObject = serde_json::from_value(object.clone()).unwrap();
    let post = media::as_post(&typed).unwrap();
    assert!(post.converted || kind == "Note", "{path}");
    // The signer: the author Mastodon would pick (for a list, the first Person).
    let signer = media::author_of(&typed, "").unwrap();
    let (us, id, done) = deliver(object, host, signer.as_str()).await;
    assert_eq!(done, 1, "{path}: the job must be handled");
    assert_eq!(us.recorder.count(&id), 1, "{path}");
}

#[tokio::test]
async fn a_peertube_video_attributed_to_an_account_and_its_channel() {
    accepted_and_handled("peertube/video.json", "tilvids.com", "Video").await;
    accepted_and_handled(
        "peertube/pleroma-fixture_peertube-social.json",
        "peertube.social",
        "Video",
    )
    .await;
}

#[tokio::test]
async fn a_funkwhale_audio() {
    accepted_and_handled(
        "funkwhale/pleroma-fixture_funkwhale_audio.json",
        "channels.tests.funkwhale.audio",
        "Audio",
    )
    .await;
}

#[tokio::test]
async fn a_mobilizon_event() {
    accepted_and_handled("mobilizon/event.json", "rendezvous.nomagic.uk", "Event").await;
}

#[tokio::test]
async fn articles_and_pages() {
    accepted_and_handled(
        "plume/pleroma-fixture_baptiste.gelex.xyz-article.json",
        "baptiste.gelez.xyz",
        "Article",
    )
    .await;
    accepted_and_handled("lemmy/page.json", "enterprise.lemmy.ml", "Page").await;
}

#[tokio::test]
async fn an_image() {
    // Fedify's media fixture is an `Image` with no author: give it one on its origin.
    let mut object = object_of(
        "fedify/fixture_media.example.com_test-avatar.json",
        "media.example.com",
    );
    object["attributedTo"] = json!("http://media.example.com/users/pic");
    accepted_and_handled_value(object, "media.example.com", "Image").await;
}

#[tokio::test]
async fn a_note_attributed_to_a_list_that_names_the_signer() {
    // A Mastodon note, attributed as PeerTube attributes videos: the account and a group.
    let mut object = object_of(
        "mastodon/pleroma-fixture_mastodon-note-object.json",
        "mastodon.example.org",
    );
    let author = object["attributedTo"].as_str().unwrap().to_owned();
    object["attributedTo"] = json!([
        {"type": "Group", "id": "http://mastodon.example.org/groups/g"},
        {"type": "Person", "id": author},
    ]);
    let typed: AnyObject = serde_json::from_value(object.clone()).unwrap();
    assert_eq!(media::author_of(&typed, &author).unwrap().as_str(), author);
    let (us, id, done) = deliver(object.clone(), "mastodon.example.org", &author).await;
    assert_eq!(done, 1);
    assert_eq!(us.recorder.count(&id), 1);

    // A list without the signer, or with an actor of another origin, is still refused.
    object["attributedTo"] = json!(["http://mastodon.example.org/users/someone-else"]);
    let (_, id, done) = deliver(object.clone(), "mastodon.example.org", &author).await;
    assert_eq!(done, 0, "{id}");
    object["attributedTo"] = json!([author, "http://elsewhere.example/users/x"]);
    let (_, id, done) = deliver(object, "mastodon.example.org", &author).await;
    assert_eq!(done, 0, "{id}");
}

async fn accepted_and_handled_value(object: Value, host: &str, kind: &str) {
    assert_eq!(object["type"], kind);
    let typed: AnyObject = serde_json::from_value(object.clone()).unwrap();
    assert!(media::as_post(&typed).unwrap().converted);
    let signer = media::author_of(&typed, "").unwrap();
    let (us, id, done) = deliver(object, host, signer.as_str()).await;
    assert_eq!(done, 1);
    assert_eq!(us.recorder.count(&id), 1);
}
