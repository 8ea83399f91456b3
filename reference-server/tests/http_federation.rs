//! The federation endpoints, in process: the router over an instance on a memory store, and a
//! hand-made remote actor (`bob@remote.test`, key generated at test time) on an in-memory
//! network. Checks exact bytes and headers on the wire.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::app::NewStatus;
use reference_server::app::StatusVisibility;
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

const BASE: &str = "http://wool.test";
const BOB: &str = "http://remote.test/users/bob";
const BOB_KEY: &str = "http://remote.test/users/bob#main-key";

struct Env {
    app: App,
    router: Router,
    bob_key: http_sig::PrivateKey,
}

async fn env(authorized_fetch: bool) -> Env {
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: BASE.into(),
        authorized_fetch,
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let served = router.clone();
    net.serve("wool.test", move |req: Request<Bytes>| {
        let r = served.clone();
        async move { r.handle(req, None).await }
    });
    let bob_key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let pem = bob_key.public_key().to_pem().unwrap();
    // A remote Person in the shape Mastodon publishes (written for this test).
    let bob_doc = Bytes::from(
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": BOB,
            "type": "Person",
            "preferredUsername": "bob",
            "inbox": "http://remote.test/users/bob/inbox",
            "outbox": "http://remote.test/users/bob/outbox",
            "followers": "http://remote.test/users/bob/followers",
            "endpoints": {"sharedInbox": "http://remote.test/inbox"},
            "publicKey": {"id": BOB_KEY, "owner": BOB, "publicKeyPem": pem}
        })
        .to_string(),
    );
    net.serve("remote.test", move |req: Request<Bytes>| {
        let doc = bob_doc.clone();
        async move {
            if req.method() == http::Method::GET && req.uri().path() == "/users/bob" {
                Response::builder()
                    .header("content-type", "application/activity+json")
                    .body(doc)
                    .unwrap()
            } else {
                Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .body(Bytes::new())
                    .unwrap()
            }
        }
    });
    Env {
        app,
        router,
        bob_key,
    }
}

impl Env {
    async fn get(&self, path: &str, accept: &str) -> Response<Bytes> {
        let req = Request::get(format!("{BASE}{path}"))
            .header("accept", accept)
            .body(Bytes::new())
            .unwrap();
        self.router.handle(req, None).await
    }

    /// A GET signed by bob (draft-cavage, as Mastodon signs fetches).
    async fn signed_get(&self, path: &str) -> Response<Bytes> {
        let (mut parts, ()) = Request::get(format!("{BASE}{path}"))
            .header("accept", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        http_sig::sign_request(
            &mut parts,
            b"",
            &self.bob_key,
            &http_sig::SignOptions::cavage(BOB_KEY),
            SystemTime::now(),
        )
        .unwrap();
        self.router
            .handle(Request::from_parts(parts, Bytes::new()), None)
            .await
    }

    /// A POST of `activity` to `path`, signed by bob with `scheme`.
    async fn deliver(&self, path: &str, activity: &Value, rfc9421: bool) -> Response<Bytes> {
        let body = activity.to_string().into_bytes();
        let (mut parts, ()) = Request::post(format!("{BASE}{path}"))
            .header("content-type", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        let options = if rfc9421 {
            http_sig::SignOptions::rfc9421(BOB_KEY)
        } else {
            http_sig::SignOptions::cavage(BOB_KEY)
        };
        http_sig::sign_request(
            &mut parts,
            &body,
            &self.bob_key,
            &options,
            SystemTime::now(),
        )
        .unwrap();
        self.router
            .handle(Request::from_parts(parts, Bytes::from(body)), None)
            .await
    }
}

fn header<'a>(r: &'a Response<Bytes>, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn body_json(r: &Response<Bytes>) -> Value {
    serde_json::from_slice(r.body()).unwrap()
}

fn body_text(r: &Response<Bytes>) -> &str {
    std::str::from_utf8(r.body()).unwrap()
}

fn post(text: &str, visibility: StatusVisibility) -> NewStatus {
    NewStatus {
        text: text.into(),
        visibility: Some(visibility),
        ..NewStatus::default()
    }
}

#[tokio::test]
async fn webfinger_answers_mastodons_jrd() {
    let e = env(false).await;
    e.app.create_account("alice", None, false).await.unwrap();
    let r = e
        .get(
            "/.well-known/webfinger?resource=acct%3Aalice%40wool.test",
            "application/jrd+json",
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        "application/jrd+json; charset=utf-8"
    );
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    assert_eq!(
        body_text(&r),
        concat!(
            r#"{"subject":"acct:alice@wool.test","aliases":["http://wool.test/@alice","http://wool.test/users/alice"],"#,
            r#""links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"http://wool.test/@alice"},"#,
            r#"{"rel":"self","type":"application/activity+json","href":"http://wool.test/users/alice"},"#,
            r#"{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"http://wool.test/authorize_interaction?uri={uri}"}]}"#
        )
    );
    // The actor URL as resource gives the same subject; case-insensitive user part.
    let by_url = e
        .get(
            "/.well-known/webfinger?resource=http%3A%2F%2Fwool.test%2Fusers%2Falice",
            "*/*",
        )
        .await;
    assert_eq!(by_url.body(), r.body());
    let upper = e
        .get(
            "/.well-known/webfinger?resource=acct:ALICE@wool.test",
            "*/*",
        )
        .await;
    assert_eq!(upper.status(), 200);
    // The instance actor.
    let inst = e
        .get(
            "/.well-known/webfinger?resource=acct:wool.test@wool.test",
            "*/*",
        )
        .await;
    assert_eq!(inst.status(), 200);
    let j = body_json(&inst);
    assert_eq!(j["subject"], "acct:wool.test@wool.test");
    assert_eq!(j["links"][1]["href"], "http://wool.test/actor");
    // Unknown, other domain, malformed.
    for (q, status) in [
        ("resource=acct:nobody@wool.test", 404),
        ("resource=acct:alice@other.test", 404),
        ("resource=mailto%3Aalice%40wool.test", 404),
        ("resource=", 400),
        ("", 400),
    ] {
        let r = e.get(&format!("/.well-known/webfinger?{q}"), "*/*").await;
        assert_eq!(r.status(), status, "{q}");
    }
}

#[tokio::test]
async fn host_meta_and_nodeinfo() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    e.app
        .post_status(a.id, post("hello", StatusVisibility::Public))
        .await
        .unwrap();
    let hm = e.get("/.well-known/host-meta", "*/*").await;
    assert_eq!(hm.status(), 200);
    assert_eq!(
        header(&hm, "content-type"),
        "application/xrd+xml; charset=utf-8"
    );
    assert!(body_text(&hm)
        .contains(r#"template="http://wool.test/.well-known/webfinger?resource={uri}""#));
    let d = e.get("/.well-known/nodeinfo", "*/*").await;
    assert_eq!(d.status(), 200);
    assert_eq!(
        body_text(&d),
        r#"{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"http://wool.test/nodeinfo/2.1"},{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"http://wool.test/nodeinfo/2.0"}]}"#
    );
    let n21 = e.get("/nodeinfo/2.1", "*/*").await;
    assert_eq!(
        header(&n21, "content-type"),
        r#"application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#""#
    );
    let j = body_json(&n21);
    assert_eq!(j["version"], "2.1");
    assert_eq!(j["software"]["name"], "woolly");
    assert_eq!(j["protocols"], json!(["activitypub"]));
    assert_eq!(j["openRegistrations"], false);
    assert_eq!(j["usage"]["users"]["total"], 1);
    assert_eq!(j["usage"]["users"]["activeMonth"], 1);
    assert_eq!(j["usage"]["localPosts"], 1);
    let n20 = body_json(&e.get("/nodeinfo/2.0", "*/*").await);
    assert_eq!(n20["version"], "2.0");
    assert!(n20["software"].get("repository").is_none());
}

#[tokio::test]
async fn actor_document_and_content_negotiation() {
    let e = env(false).await;
    e.app.create_account("alice", None, true).await.unwrap();
    for accept in [
        "application/activity+json",
        r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
    ] {
        let r = e.get("/users/alice", accept).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            header(&r, "content-type"),
            "application/activity+json; charset=utf-8"
        );
        assert_eq!(header(&r, "vary"), "Accept");
        let j = body_json(&r);
        assert_eq!(j["id"], "http://wool.test/users/alice");
        assert_eq!(j["type"], "Person");
        assert_eq!(j["preferredUsername"], "alice");
        assert_eq!(j["inbox"], "http://wool.test/users/alice/inbox");
        assert_eq!(j["outbox"], "http://wool.test/users/alice/outbox");
        assert_eq!(j["followers"], "http://wool.test/users/alice/followers");
        assert_eq!(j["following"], "http://wool.test/users/alice/following");
        assert_eq!(
            j["featured"],
            "http://wool.test/users/alice/collections/featured"
        );
        assert_eq!(j["endpoints"]["sharedInbox"], "http://wool.test/inbox");
        assert_eq!(j["manuallyApprovesFollowers"], true);
        assert_eq!(j["url"], "http://wool.test/@alice");
        assert_eq!(
            j["publicKey"]["id"],
            "http://wool.test/users/alice#main-key"
        );
        assert_eq!(j["publicKey"]["owner"], "http://wool.test/users/alice");
        let pem = j["publicKey"]["publicKeyPem"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        // The key is usable by an independent parser.
        http_sig::PublicKey::from_pem(pem).unwrap();
    }
    // The same URL for a browser is the profile page.
    let html = e
        .get("/users/alice", "text/html,application/xhtml+xml,*/*;q=0.8")
        .await;
    assert_eq!(html.status(), 200);
    assert_eq!(header(&html, "content-type"), "text/html; charset=utf-8");
    let page = body_text(&html);
    assert!(page.contains(
        r#"<link rel="alternate" type="application/activity+json" href="http://wool.test/users/alice">"#
    ));
    assert!(page.contains("<title>alice (@alice@wool.test)</title>"));
    // /@alice: HTML by default, the actor for ActivityPub clients.
    assert_eq!(
        header(&e.get("/@alice", "*/*").await, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        body_json(&e.get("/@alice", "application/activity+json").await)["type"],
        "Person"
    );
    // Unknown users.
    assert_eq!(
        e.get("/users/nobody", "application/activity+json")
            .await
            .status(),
        404
    );
    assert_eq!(e.get("/@nobody", "text/html").await.status(), 404);
    // The instance actor.
    let inst = body_json(&e.get("/actor", "application/activity+json").await);
    assert_eq!(inst["type"], "Application");
    assert_eq!(inst["id"], "http://wool.test/actor");
}

#[tokio::test]
async fn status_pages_and_objects() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    let s = e
        .app
        .post_status(
            a.id,
            NewStatus {
                text: "the <b>plot</b> twist".into(),
                spoiler_text: "spoilers <script>".into(),
                visibility: Some(StatusVisibility::Public),
                ..NewStatus::default()
            },
        )
        .await
        .unwrap();
    let note_path = format!("/users/alice/statuses/{}", s.id);
    let note = e.get(&note_path, "application/activity+json").await;
    assert_eq!(note.status(), 200);
    let j = body_json(&note);
    assert_eq!(j["type"], "Note");
    assert_eq!(j["id"], format!("{BASE}{note_path}"));
    assert_eq!(j["summary"], "spoilers <script>");
    assert!(j.get("@context").is_some());
    let act = body_json(
        &e.get(
            &format!("{note_path}/activity"),
            "application/activity+json",
        )
        .await,
    );
    assert_eq!(act["type"], "Create");
    assert_eq!(act["object"]["id"], format!("{BASE}{note_path}"));

    let page = e.get(&format!("/@alice/{}", s.id), "text/html").await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(html.contains(&format!(
        r#"<link rel="alternate" type="application/activity+json" href="{BASE}{note_path}">"#
    )));
    assert!(html.contains("<details><summary>spoilers &lt;script&gt;</summary>"));
    assert!(html.contains("the &lt;b&gt;plot&lt;/b&gt; twist"));
    assert!(!html.contains("<script>"));
    // The home page lists it; the profile page too.
    assert!(body_text(&e.get("/", "text/html").await).contains("<details><summary>spoilers"));
    assert!(body_text(&e.get("/@alice", "text/html").await).contains("plot"));
}

#[tokio::test]
async fn profile_page_escapes_what_the_account_wrote() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    e.app
        .update_profile(
            a.id,
            Some("<script>alert(1)</script>".into()),
            Some("bio <script>alert(2)</script> & more".into()),
            Some(true),
            Some(vec![("<b>k</b>".into(), "<i>v</i>\"".into())]),
        )
        .await
        .unwrap();
    let page = e.get("/@alice", "text/html").await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    for raw in ["<script", "<b>", "<i>"] {
        assert!(!html.contains(raw), "{raw} in {html}");
    }
    let name = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let bio = "bio &lt;script&gt;alert(2)&lt;/script&gt; &amp; more";
    for needle in [
        format!("<title>{name} (@alice@wool.test)</title>"),
        format!("<h1>{name}</h1>"),
        format!("<div class=\"note\"><p>{bio}</p></div>"),
        format!("<meta name=\"description\" content=\"{bio}\">"),
        "<dt>&lt;b&gt;k&lt;/b&gt;</dt><dd>&lt;i&gt;v&lt;/i&gt;&quot;</dd>".to_owned(),
    ] {
        assert!(html.contains(&needle), "{needle} missing from {html}");
    }
}

#[tokio::test]
async fn deleted_status_is_gone_with_a_tombstone() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    let s = e
        .app
        .post_status(a.id, post("soon gone", StatusVisibility::Public))
        .await
        .unwrap();
    e.app.delete_status(a.id, s.id).await.unwrap();
    let path = format!("/users/alice/statuses/{}", s.id);
    let r = e.get(&path, "application/activity+json").await;
    assert_eq!(r.status(), 410);
    assert_eq!(
        header(&r, "content-type"),
        "application/activity+json; charset=utf-8"
    );
    let j = body_json(&r);
    assert_eq!(j["type"], "Tombstone");
    assert_eq!(j["id"], format!("{BASE}{path}"));
    assert_eq!(j["formerType"], "Note");
    assert!(j["deleted"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        e.get(&format!("/@alice/{}", s.id), "text/html")
            .await
            .status(),
        410
    );
    // Never existed: 404.
    assert_eq!(
        e.get("/users/alice/statuses/12345", "application/activity+json")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn followers_only_needs_a_signed_fetch_by_a_follower() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    let s = e
        .app
        .post_status(a.id, post("for my followers", StatusVisibility::Private))
        .await
        .unwrap();
    let path = format!("/users/alice/statuses/{}", s.id);
    // Anonymous, and signed by a non-follower: 404, on the object and on its activity.
    assert_eq!(
        e.get(&path, "application/activity+json").await.status(),
        404
    );
    assert_eq!(e.signed_get(&path).await.status(), 404);
    assert_eq!(
        e.signed_get(&format!("{path}/activity")).await.status(),
        404
    );
    assert_eq!(
        e.get(&format!("/@alice/{}", s.id), "text/html")
            .await
            .status(),
        404
    );

    // bob follows (a signed delivery to alice's inbox), the engine handles it.
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://remote.test/follows/1",
        "type": "Follow",
        "actor": BOB,
        "object": "http://wool.test/users/alice"
    });
    let r = e.deliver("/users/alice/inbox", &follow, false).await;
    assert_eq!(r.status(), 202, "{}", body_text(&r));
    e.app.engine().process_inbox(10).await.unwrap();
    let bob = e.app.account_by_iri(BOB).await.unwrap().unwrap();
    assert!(e.app.is_following(bob.id, a.id).await.unwrap());

    let ok = e.signed_get(&path).await;
    assert_eq!(ok.status(), 200, "{}", body_text(&ok));
    assert_eq!(header(&ok, "cache-control"), "private");
    let j = body_json(&ok);
    assert_eq!(j["type"], "Note");
    assert_eq!(j["to"], json!(["http://wool.test/users/alice/followers"]));
    assert_eq!(
        body_json(&e.signed_get(&format!("{path}/activity")).await)["type"],
        "Create"
    );
    // Still 404 without the signature.
    assert_eq!(
        e.get(&path, "application/activity+json").await.status(),
        404
    );

    // The followers collection shows bob.
    let f = body_json(
        &e.get("/users/alice/followers", "application/activity+json")
            .await,
    );
    assert_eq!(f["type"], "OrderedCollection");
    assert_eq!(f["totalItems"], 1);
    assert_eq!(
        f["first"],
        "http://wool.test/users/alice/followers?page=true"
    );
    let p = body_json(
        &e.get(
            "/users/alice/followers?page=true",
            "application/activity+json",
        )
        .await,
    );
    assert_eq!(p["type"], "OrderedCollectionPage");
    assert_eq!(p["partOf"], "http://wool.test/users/alice/followers");
    assert_eq!(p["orderedItems"], json!([BOB]));
    let g = body_json(
        &e.get("/users/alice/following", "application/activity+json")
            .await,
    );
    assert_eq!(g["totalItems"], 0);
}

#[tokio::test]
async fn outbox_pages_public_and_unlisted_activities() {
    let e = env(false).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    let p1 = e
        .app
        .post_status(a.id, post("one", StatusVisibility::Public))
        .await
        .unwrap();
    let p2 = e
        .app
        .post_status(a.id, post("two", StatusVisibility::Unlisted))
        .await
        .unwrap();
    e.app
        .post_status(a.id, post("three", StatusVisibility::Private))
        .await
        .unwrap();
    e.app.pin(a.id, p1.id).await.unwrap();
    let o = body_json(
        &e.get("/users/alice/outbox", "application/activity+json")
            .await,
    );
    assert_eq!(o["type"], "OrderedCollection");
    assert_eq!(o["totalItems"], 3);
    assert_eq!(o["first"], "http://wool.test/users/alice/outbox?page=true");
    let page = body_json(
        &e.get("/users/alice/outbox?page=true", "application/activity+json")
            .await,
    );
    assert_eq!(page["type"], "OrderedCollectionPage");
    let items = page["orderedItems"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["object"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [p2.uri.as_str(), p1.uri.as_str()]);
    assert!(items.iter().all(|i| i["type"] == "Create"));
    assert!(items.iter().all(|i| i.get("@context").is_none()));
    // An older page from max_id is empty.
    let older = body_json(
        &e.get(
            &format!("/users/alice/outbox?max_id={}&page=true", p1.id),
            "application/activity+json",
        )
        .await,
    );
    assert_eq!(older["orderedItems"], json!([]));
    // Featured: the pinned Note.
    let f = body_json(
        &e.get(
            "/users/alice/collections/featured",
            "application/activity+json",
        )
        .await,
    );
    assert_eq!(f["totalItems"], 1);
    assert_eq!(f["orderedItems"][0]["id"], p1.uri.as_str());
    assert_eq!(f["orderedItems"][0]["type"], "Note");
}

#[tokio::test]
async fn authorized_fetch_refuses_unsigned_gets() {
    let e = env(true).await;
    let a = e.app.create_account("alice", None, false).await.unwrap();
    let s = e
        .app
        .post_status(a.id, post("hi", StatusVisibility::Public))
        .await
        .unwrap();
    let status_path = format!("/users/alice/statuses/{}", s.id);
    for path in [
        "/users/alice",
        "/users/alice/outbox",
        "/users/alice/followers",
        status_path.as_str(),
    ] {
        let r = e.get(path, "application/activity+json").await;
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(body_json(&r)["error"], "Request not signed");
        let signed = e.signed_get(path).await;
        assert_eq!(signed.status(), 200, "{path}: {}", body_text(&signed));
    }
    // A signature that does not verify: 401 too.
    let (mut parts, ()) = Request::get(format!("{BASE}/users/alice"))
        .header("accept", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts();
    let other = http_sig::PrivateKey::generate_ed25519().unwrap();
    http_sig::sign_request(
        &mut parts,
        b"",
        &other,
        &http_sig::SignOptions::cavage(BOB_KEY),
        SystemTime::now(),
    )
    .unwrap();
    let bad = e
        .router
        .handle(Request::from_parts(parts, Bytes::new()), None)
        .await;
    assert_eq!(bad.status(), 401);
    // Web pages stay public (they show only public posts).
    assert_eq!(e.get("/users/alice", "text/html").await.status(), 200);
    // Discovery and the instance actor stay public.
    for path in [
        "/.well-known/webfinger?resource=acct:alice@wool.test",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
        "/actor",
    ] {
        assert_eq!(
            e.get(path, "application/activity+json").await.status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn inboxes_accept_signed_deliveries_and_refuse_bad_ones() {
    let e = env(false).await;
    e.app.create_account("alice", None, false).await.unwrap();
    let like = |n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("http://remote.test/likes/{n}"),
            "type": "Like",
            "actor": BOB,
            "object": "http://wool.test/users/alice/statuses/1"
        })
    };
    // Signed: 202, both schemes, both inboxes.
    let r = e.deliver("/inbox", &like(1), false).await;
    assert_eq!(r.status(), 202, "{}", body_text(&r));
    let r = e.deliver("/users/alice/inbox", &like(2), true).await;
    assert_eq!(r.status(), 202, "{}", body_text(&r));
    // Unsigned: 401.
    let unsigned = Request::post(format!("{BASE}/inbox"))
        .header("content-type", "application/activity+json")
        .body(Bytes::from(like(3).to_string()))
        .unwrap();
    let r = e.router.handle(unsigned, None).await;
    assert_eq!(r.status(), 401);
    // Wrong content type: 415.
    let html = Request::post(format!("{BASE}/inbox"))
        .header("content-type", "text/html")
        .body(Bytes::from(like(4).to_string()))
        .unwrap();
    assert_eq!(e.router.handle(html, None).await.status(), 415);
    // Too large: 413.
    let big = Request::post(format!("{BASE}/users/alice/inbox"))
        .header("content-type", "application/activity+json")
        .body(Bytes::from(vec![b' '; (1 << 20) + 1]))
        .unwrap();
    assert_eq!(e.router.handle(big, None).await.status(), 413);
    // No such local actor: 404.
    let r = e.deliver("/users/nobody/inbox", &like(5), false).await;
    assert_eq!(r.status(), 404);
    // GET of an inbox is not allowed here.
    assert_eq!(
        e.get("/inbox", "application/activity+json").await.status(),
        404
    );
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let e = env(false).await;
    let pre = Request::builder()
        .method("OPTIONS")
        .uri(format!("{BASE}/api/v1/timelines/public"))
        .header("origin", "https://client.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(Bytes::new())
        .unwrap();
    let r = e.router.handle(pre, None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    assert_eq!(header(&r, "access-control-allow-headers"), "authorization");
    assert!(header(&r, "access-control-allow-methods").contains("POST"));
    let pre = Request::builder()
        .method("OPTIONS")
        .uri(format!("{BASE}/oauth/token"))
        .body(Bytes::new())
        .unwrap();
    assert_eq!(e.router.handle(pre, None).await.status(), 204);
    // Plain requests under /api and /.well-known carry the header; pages do not.
    let r = e.get("/api/v1/no-such-endpoint", "application/json").await;
    assert_eq!(r.status(), 404);
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    let r = e.get("/.well-known/nodeinfo", "*/*").await;
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    let r = e.get("/", "text/html").await;
    assert_eq!(header(&r, "access-control-allow-origin"), "");
}
