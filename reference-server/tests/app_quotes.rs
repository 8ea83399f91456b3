//! Quote posts in process, on the in-memory network:
//!
//! - incoming quotes in the shapes other servers send (fixtures under
//!   `tests/fixtures/quotes/<software>/`): Misskey's `quoteUrl` / `_misskey_quote` (the quoted
//!   post fetched, the quote pending as Mastodon 4.5 shows an unapproved one), Fedibird's
//!   `quoteUri` quoting its own author (accepted: FEP-044f's fast track), Mastodon 4.5's
//!   `quote` with a `quoteAuthorization` that checks out (accepted, the quoted status shown)
//!   and one that names another post (pending); a remote quote of a local public post is
//!   accepted;
//! - local quotes through the client API (`quoted_status_id`): the entity's `quote`, the
//!   inline `RE:` fallback, the outgoing `Note`'s `quote` / `quoteUri` / `_misskey_quote`, and
//!   the errors (unknown or invisible 404, a direct post 403, a malformed id).
#![allow(clippy::unwrap_used)]

use crate::api_support;

use std::path::PathBuf;
use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use api_support::{get, instance_with, json as send_json, post, user};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use reference_server::App;
use serde_json::{json, Value};

fn fixture(path: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/quotes")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Serves `docs` (by id) as ActivityStreams JSON on the in-memory network.
fn serve(net: &MemoryNetwork, docs: Vec<Value>) {
    let mut by_host: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for d in docs {
        let u = url::Url::parse(d["id"].as_str().unwrap()).unwrap();
        by_host
            .entry(u.host_str().unwrap().to_owned())
            .or_default()
            .push(d);
    }
    for (host, docs) in by_host {
        let docs = Arc::new(docs);
        net.serve(&host, move |req: Request<Bytes>| {
            let uri = req.uri().to_string();
            let found = docs.iter().find(|d| {
                let id = d["id"].as_str().unwrap();
                uri == id || url::Url::parse(id).unwrap().path() == req.uri().path()
            });
            let resp = match found {
                Some(d) => Response::builder()
                    .status(200)
                    .header("content-type", "application/activity+json")
                    .body(Bytes::from(d.to_string())),
                None => Response::builder().status(404).body(Bytes::new()),
            };
            async move { resp.unwrap() }
        });
    }
}

fn person(iri: &str, name: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": iri, "type": "Person", "preferredUsername": name,
        "inbox": format!("{iri}/inbox"),
    })
}

fn note(id: &str, author: &str, content: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id, "type": "Note", "attributedTo": author, "content": content,
        "published": "2026-11-29T09:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

/// Ingests `doc` as a post of its `attributedTo` (stored first); the status entity as
/// `token`'s account sees it.
async fn ingest(app: &App, doc: &Value, token: &str) -> Value {
    let author_iri = doc["attributedTo"].as_str().unwrap();
    let author = app.resolve_actor(author_iri).await.unwrap();
    let o: activitypub_core::Object = serde_json::from_value(doc.clone()).unwrap();
    let s = app
        .ingest_remote_status(&o, Some(&author))
        .await
        .unwrap()
        .unwrap();
    let a = get(app, &format!("/api/v1/statuses/{}", s.id), Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

#[tokio::test]
async fn incoming_quotes_in_other_servers_shapes() {
    let (app, net) = instance_with(|_| {}).await;
    let (me, token) = user(&app, "ann").await;
    let mut authorization = fixture("mastodon/quote_authorization.json");
    serve(
        &net,
        vec![
            person("http://misskey.test/users/9mk1", "mk"),
            person("http://fedibird.test/users/noe", "noe"),
            person("http://masto.test/users/mia", "mia"),
            person("http://origin.test/users/olga", "olga"),
            note(
                "http://origin.test/notes/9orig1",
                "http://origin.test/users/olga",
                "<p>the original</p>",
            ),
            note(
                "http://fedibird.test/users/noe/statuses/1001",
                "http://fedibird.test/users/noe",
                "<p>my earlier post</p>",
            ),
            authorization.clone(),
        ],
    );

    // Misskey: a legacy quote, the quoted post fetched, pending (nobody approved it).
    let v = ingest(&app, &fixture("misskey/quote_note.json"), &token).await;
    assert_eq!(
        v["quote"],
        json!({"state": "pending", "quoted_status": null})
    );
    let quoted = app
        .status_by_uri("http://origin.test/notes/9orig1")
        .await
        .unwrap()
        .expect("the quoted post was fetched");

    // Fedibird: quoting its own author: accepted, the quoted status shown.
    let v = ingest(&app, &fixture("fedibird/quote_note.json"), &token).await;
    assert_eq!(v["quote"]["state"], "accepted");
    let qs = &v["quote"]["quoted_status"];
    assert_eq!(qs["uri"], "http://fedibird.test/users/noe/statuses/1001");
    assert_eq!(qs["content"], "<p>my earlier post</p>");
    assert_eq!(qs["account"]["acct"], "noe@fedibird.test");
    // Inside a quoted status, a quote is shallow (none here).
    assert_eq!(qs["quote"], Value::Null);

    // Mastodon 4.5: `quote` with an authorization that names both posts.
    let v = ingest(&app, &fixture("mastodon/quote_note.json"), &token).await;
    assert_eq!(v["quote"]["state"], "accepted", "{}", v["quote"]);
    assert_eq!(v["quote"]["quoted_status"]["id"], quoted.id.to_string());
    assert_eq!(
        v["quote"]["quoted_status"]["uri"],
        "http://origin.test/notes/9orig1"
    );

    // An authorization for another post does not approve this one.
    let mut other = fixture("mastodon/quote_note.json");
    other["id"] = json!("http://masto.test/users/mia/statuses/115000000000000002");
    authorization["id"] = json!("http://origin.test/users/olga/quote_authorizations/2");
    other["quoteAuthorization"] = authorization["id"].clone();
    serve(&net, vec![authorization]);
    let v = ingest(&app, &other, &token).await;
    assert_eq!(
        v["quote"],
        json!({"state": "pending", "quoted_status": null})
    );

    // A remote quote of a local public post is accepted (this instance's own policy).
    let mine = post(&app, &token, json!({"status": "quote me"})).await;
    let mut q = note(
        "http://masto.test/users/mia/statuses/115000000000000003",
        "http://masto.test/users/mia",
        "<p>quoting ann</p>",
    );
    q["quote"] = mine["uri"].clone();
    let v = ingest(&app, &q, &token).await;
    assert_eq!(v["quote"]["state"], "accepted");
    assert_eq!(v["quote"]["quoted_status"]["id"], mine["id"]);
    assert_eq!(
        v["quote"]["quoted_status"]["account"]["id"],
        me.id.to_string()
    );
}

#[tokio::test]
async fn local_quotes_through_the_client_api() {
    let (app, _net) = instance_with(|_| {}).await;
    let (_, ann) = user(&app, "ann").await;
    let (_, bob) = user(&app, "bob").await;
    let original = post(&app, &ann, json!({"status": "original thought"})).await;
    let oid = original["id"].as_str().unwrap();
    let q = post(
        &app,
        &bob,
        json!({"status": "so true", "quoted_status_id": oid}),
    )
    .await;
    assert_eq!(q["quote"]["state"], "accepted");
    assert_eq!(q["quote"]["quoted_status"]["id"], oid);
    assert_eq!(q["quote"]["quoted_status"]["content"], original["content"]);
    let url = original["url"].as_str().unwrap();
    let shown = url.strip_prefix("https://").unwrap();
    assert_eq!(
        q["content"],
        format!(
            "<p>so true</p><p class=\"quote-inline\">RE: <a href=\"{url}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">{shown}</a></p>"
        )
    );
    assert_eq!(
        original["quote_approval"],
        json!({"automatic": ["public"], "manual": [], "current_user": "automatic"})
    );

    // The outgoing Note names the quoted post in every spelling peers read.
    let s = app
        .status(q["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    let doc = serde_json::to_value(app.note_document(&s).await.unwrap()).unwrap();
    for key in ["quote", "quoteUri", "_misskey_quote"] {
        assert_eq!(doc[key], original["uri"], "{key}: {doc}");
    }

    // Errors: unknown 404, another's direct post 404 (invisible), one's own direct 403, a
    // malformed id.
    let send = |token: &str, quoted: &str| {
        let app = app.clone();
        let token = token.to_owned();
        let quoted = quoted.to_owned();
        async move {
            send_json(
                &app,
                Method::POST,
                "/api/v1/statuses",
                Some(&token),
                json!({"status": "x", "quoted_status_id": quoted}),
            )
            .await
        }
    };
    assert_eq!(send(&bob, "99999").await.status, StatusCode::NOT_FOUND);
    let direct = post(
        &app,
        &ann,
        json!({"status": "secret", "visibility": "direct"}),
    )
    .await;
    let did = direct["id"].as_str().unwrap();
    assert_eq!(send(&bob, did).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&ann, did).await.status, StatusCode::FORBIDDEN);
    assert!(send(&bob, "abc").await.status.is_client_error());
}
