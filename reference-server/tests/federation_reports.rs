//! Reports across servers, on the in-memory network: `Flag`s in the shapes Mastodon,
//! Misskey and Pleroma send become reports the admin API shows; malformed ones are refused
//! and leave nothing; a report with `forward` sends a `Flag` from the instance actor,
//! signed, with Mastodon's shape.
#![allow(clippy::unwrap_used)]

use crate::remote_peer::{env, Env};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use fedi_storage::PageRequest;
use http::{Request, Response, StatusCode};
use reference_server::app::moderation::{NewReport, Report, ReportFilter};
use reference_server::app::Account;
use serde_json::{json, Value};

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/moderation")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn corpus(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fixture with its placeholders filled in.
fn fill(text: &str, actor: &str, account: &str, status: &str) -> Value {
    let host = {
        let u = url::Url::parse(actor).unwrap();
        format!("{}://{}", u.scheme(), u.host_str().unwrap())
    };
    serde_json::from_str(
        &text
            .replace("{{ACTOR_HOST}}", &host)
            .replace("{{ACTOR}}", actor)
            .replace("{{ACCOUNT}}", account)
            .replace("{{STATUS}}", status)
            .replace("{{LOCAL_HOST}}", "http://wool.test"),
    )
    .unwrap()
}

async fn all_reports(e: &Env) -> Vec<Report> {
    let mut out = Vec::new();
    for resolved in [false, true] {
        let filter = ReportFilter {
            resolved,
            ..ReportFilter::default()
        };
        let (list, _) = e
            .app
            .admin_reports(filter, &PageRequest::newest(100))
            .await
            .unwrap();
        out.extend(list);
    }
    out
}

/// Alice with a post, and a moderator's token.
async fn local(e: &Env) -> (Account, String, String) {
    let alice = e.app.create_account("alice", None, false).await.unwrap();
    let m = e.app.create_account("mod", None, false).await.unwrap();
    e.app
        .set_role(m.id, reference_server::app::Role::Moderator)
        .await
        .unwrap();
    let token = reference_server::api::create_token(&e.app, m.id, "read admin:read admin:write")
        .await
        .unwrap();
    let s = e
        .app
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "a post".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (alice, s.uri, token)
}

async fn admin_get(e: &Env, token: &str, path: &str) -> Value {
    let r = e
        .router
        .handle(
            Request::get(format!("http://wool.test{path}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    serde_json::from_slice(r.body()).unwrap()
}

#[tokio::test]
async fn flags_from_mastodon_misskey_and_pleroma_become_reports() {
    let e = env(30).await;
    let (alice, status_uri, token) = local(&e).await;
    let status = e.app.status_by_uri(&status_uri).await.unwrap().unwrap();
    let cases = [
        (
            "http://mastodon.example/actor",
            corpus("objects/mastodon/flag.json"),
            "Please take a look at this user and their posts",
        ),
        (
            "http://misskey.example/users/9abcdef",
            fixture("misskey/flag.json"),
            "Spam from your server\n(reported from misskey.example)",
        ),
        (
            "http://pleroma.example/internal/fetch",
            fixture("pleroma/flag.json"),
            "harassment",
        ),
    ];
    for (i, (actor, text, comment)) in cases.into_iter().enumerate() {
        let key = e.person(actor, json!({"type": "Application"}));
        // Mastodon's Flag (from the corpus) names the reported account and two posts.
        let text = text
            .replace("https://mastodon.example", "http://mastodon.example")
            .replace("https://example.com/users/1", "{{ACCOUNT}}")
            .replace("https://example.com/posts/380590", "{{STATUS}}")
            .replace(
                "https://example.com/posts/380591",
                "http://wool.test/users/alice/statuses/1",
            );
        let flag = fill(&text, actor, &alice.actor, &status_uri);
        assert_eq!(
            e.deliver(&flag, &key, actor).await,
            StatusCode::ACCEPTED,
            "{actor}"
        );
        let reports = all_reports(&e).await;
        assert_eq!(reports.len(), i + 1, "{actor}");
        let r = &reports[0];
        let reporter = e.app.account_by_iri(actor).await.unwrap().unwrap();
        assert_eq!(r.account_id, reporter.id);
        assert_eq!(r.target_account_id, alice.id);
        assert_eq!(r.status_ids, vec![status.id], "{actor}");
        assert_eq!(r.comment, comment);
        assert_eq!(r.uri.as_deref(), flag["id"].as_str());
        assert!(!r.forwarded);
        // The same Flag again files nothing more.
        assert_eq!(e.deliver(&flag, &key, actor).await, StatusCode::ACCEPTED);
        assert_eq!(all_reports(&e).await.len(), i + 1);
    }
    // Profile and status pages name them too (as Mastodon reads them).
    let actor = "http://pages.example/actor";
    let key = e.person(actor, json!({"type": "Application"}));
    let flag = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://pages.example/flags/1", "type": "Flag", "actor": actor,
        "content": "by page", "object": ["http://wool.test/@alice",
            format!("http://wool.test/@alice/{}", status.id)]});
    assert_eq!(e.deliver(&flag, &key, actor).await, StatusCode::ACCEPTED);
    let reports = all_reports(&e).await;
    assert_eq!(reports.len(), 4);
    assert_eq!(reports[0].target_account_id, alice.id);
    assert_eq!(reports[0].status_ids, vec![status.id]);
    e.app
        .set_report_resolved(reports[0].id, None, true)
        .await
        .unwrap();
    // The admin API shows them, newest first, with the remote reporter.
    let list = admin_get(&e, &token, "/api/v1/admin/reports").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["account"]["domain"], "pleroma.example");
    assert_eq!(list[0]["account"]["role"], Value::Null);
    assert_eq!(list[0]["target_account"]["username"], "alice");
    assert_eq!(list[0]["statuses"][0]["uri"], status_uri);
    assert_eq!(
        list[2]["account"]["account"]["acct"],
        "actor@mastodon.example"
    );
    // Staff were notified once (later reports on alice came while the first was open).
    let n = admin_get(&e, &token, "/api/v1/notifications").await;
    assert_eq!(n.as_array().unwrap().len(), 1);
    assert_eq!(n[0]["type"], "admin.report");
    assert_eq!(n[0]["account"]["acct"], "actor@mastodon.example");
}

#[tokio::test]
async fn flags_from_a_domain_with_reject_reports_are_dropped() {
    use reference_server::app::instance_domains::{DomainBlockParams, Severity};
    let e = env(30).await;
    let (alice, status_uri, _token) = local(&e).await;
    e.app
        .create_domain_block(
            "noisy.example",
            &DomainBlockParams {
                severity: Some(Severity::Noop),
                reject_reports: Some(true),
                ..DomainBlockParams::default()
            },
        )
        .await
        .unwrap();
    let flag_from = |actor: &str, n: u32| {
        json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/flags/{n}"), "type": "Flag", "actor": actor,
            "content": "spam", "object": [alice.actor.clone(), status_uri.clone()]})
    };
    // The delivery is accepted (a noop block refuses nothing else), the report dropped.
    let noisy = "http://noisy.example/users/troll";
    let key = e.person(noisy, json!({}));
    assert_eq!(
        e.deliver(&flag_from(noisy, 1), &key, noisy).await,
        StatusCode::ACCEPTED
    );
    assert!(all_reports(&e).await.is_empty());
    // Another domain's report is filed.
    let calm = "http://calm.example/users/carol";
    let key = e.person(calm, json!({}));
    assert_eq!(
        e.deliver(&flag_from(calm, 1), &key, calm).await,
        StatusCode::ACCEPTED
    );
    let reports = all_reports(&e).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].target_account_id, alice.id);
}

#[tokio::test]
async fn malformed_flags_are_refused_and_leave_nothing() {
    let e = env(30).await;
    let (alice, status_uri, _token) = local(&e).await;
    let actor = "http://bad.example/users/mallory";
    let key = e.person(actor, json!({}));
    // A first delivery makes the actor known (fetching it is not part of the runs below).
    let hello = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#hello"), "type": "Flag", "actor": actor,
        "object": "http://elsewhere.example/x"});
    assert_eq!(e.deliver(&hello, &key, actor).await, StatusCode::ACCEPTED);
    for (name, refused) in [
        ("no-object", true),
        ("objects-without-ids", true),
        ("unknown-objects", false),
    ] {
        let flag = fill(
            &fixture(&format!("malformed/{name}.json")),
            actor,
            &alice.actor,
            &status_uri,
        );
        // The inbox takes it (it is signed and well-formed JSON); the handler refuses it
        // with a permanent error (dead-lettered, never retried) or ignores it (it names
        // nothing here): no panic, no report.
        let (status, run) = deliver_and_run(&e, &flag, &key, actor).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{name}");
        assert_eq!(run.leased, 1, "{name}: {run:?}");
        assert_eq!(run.retried, 0, "{name}: {run:?}");
        if refused {
            assert_eq!(run.dead, 1, "{name}: {run:?}");
        } else {
            assert_eq!(run.done, 1, "{name}: {run:?}");
        }
        assert!(all_reports(&e).await.is_empty(), "{name}");
    }
    // The typed errors, seen directly.
    use reference_server::app::moderation::flag::{flag_object_ids, FlagError};
    let parse = |v: Value| -> activitypub_core::Activity { serde_json::from_value(v).unwrap() };
    let no_object = parse(json!({"type": "Flag", "actor": actor}));
    assert_eq!(flag_object_ids(&no_object), Err(FlagError::NoObject));
    let no_ids = parse(json!({"type": "Flag", "actor": actor, "object": [{"type": "Note"}]}));
    assert_eq!(flag_object_ids(&no_ids), Err(FlagError::NoIds));
    let many: Vec<String> = (0..201)
        .map(|i| format!("http://wool.test/users/x{i}"))
        .collect();
    let too_many = parse(json!({"type": "Flag", "actor": actor, "object": many}));
    assert_eq!(flag_object_ids(&too_many), Err(FlagError::TooManyObjects));
    // Nothing was stored for the staff either.
    assert!(all_reports(&e).await.is_empty());
}

/// Delivers `activity` signed by `signer`'s key to the shared inbox, then runs the inbox
/// queue once: the inbox's answer and what the run did.
async fn deliver_and_run(
    e: &Env,
    activity: &Value,
    key: &http_sig::PrivateKey,
    signer: &str,
) -> (StatusCode, activitypub_core::engine::QueueRun) {
    let body = activity.to_string().into_bytes();
    let (mut parts, ()) = Request::post("http://wool.test/inbox")
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts();
    http_sig::sign_request(
        &mut parts,
        &body,
        key,
        &http_sig::SignOptions::cavage(format!("{signer}#main-key")),
        SystemTime::now(),
    )
    .unwrap();
    let status = e
        .router
        .handle(Request::from_parts(parts, Bytes::from(body)), None)
        .await
        .status();
    let run = e.app.engine().process_inbox(100).await.unwrap();
    (status, run)
}

/// What a remote host received: path, headers and body of each POST.
type Received = Arc<Mutex<Vec<(String, http::HeaderMap, Bytes)>>>;

/// A remote server at `host` serving one actor `username` (with a personal inbox and a
/// shared one) and recording what is posted to it: the actor, its key and what it received.
fn capturing_host(e: &Env, host: &str, username: &str) -> (String, http_sig::PrivateKey, Received) {
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let iri = format!("http://{host}/users/{username}");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": iri, "type": "Person", "preferredUsername": username,
        "inbox": format!("{iri}/inbox"),
        "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
        "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
            "publicKeyPem": key.public_key().to_pem().unwrap()}
    })
    .to_string();
    let path = format!("/users/{username}");
    let received: Received = Arc::default();
    let r = received.clone();
    e.net.serve(host, move |req: Request<Bytes>| {
        let doc = doc.clone();
        let r = r.clone();
        let path = path.clone();
        async move {
            if req.method() == http::Method::POST {
                let (parts, body) = req.into_parts();
                r.lock()
                    .unwrap()
                    .push((parts.uri.path().to_owned(), parts.headers, body));
                return Response::builder().status(202).body(Bytes::new()).unwrap();
            }
            if req.uri().path() == path {
                return Response::builder()
                    .header("content-type", "application/activity+json")
                    .body(Bytes::from(doc))
                    .unwrap();
            }
            Response::builder().status(404).body(Bytes::new()).unwrap()
        }
    });
    (iri, key, received)
}

/// Bob at `peer.test`, recording what he is sent.
fn peer(e: &Env) -> (String, Received) {
    let (iri, _, received) = capturing_host(e, "peer.test", "bob");
    (iri, received)
}

#[tokio::test]
async fn a_forwarded_report_sends_a_signed_flag_from_the_instance_actor() {
    let e = env(30).await;
    let (alice, _, _) = local(&e).await;
    let (bob_iri, received) = peer(&e);
    let bob = e.app.resolve_actor(&bob_iri).await.unwrap();
    let r = e
        .app
        .create_report(
            alice.id,
            NewReport {
                target_account_id: bob.id,
                comment: "Spam from your user".into(),
                category: Some("spam".into()),
                forward: true,
                ..NewReport::default()
            },
        )
        .await
        .unwrap();
    assert!(r.forwarded);
    e.app.engine().process_deliveries(100).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one Flag, to Bob's inbox");
    let (path, headers, body) = &got[0];
    assert_eq!(path, "/users/bob/inbox");
    let flag: Value = serde_json::from_slice(body).unwrap();
    let uri = r.uri.clone().unwrap();
    assert!(uri.starts_with("http://wool.test/"), "{uri}");
    assert_eq!(
        flag,
        json!({
            "@context": flag["@context"],
            "id": uri,
            "type": "Flag",
            "actor": "http://wool.test/actor",
            "content": "Spam from your user",
            "object": [bob_iri],
            "to": bob_iri,
        })
    );
    // Signed by the instance actor's key, as served at /actor.
    let actor = e.get_json("/actor").await;
    let signature = headers["signature"].to_str().unwrap();
    assert!(
        signature.contains("keyId=\"http://wool.test/actor#main-key\""),
        "{signature}"
    );
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let public = http_sig::PublicKey::from_pem(pem).unwrap();
    let mut req = Request::post(format!("http://peer.test{path}"))
        .body(())
        .unwrap();
    *req.headers_mut() = headers.clone();
    let (parts, ()) = req.into_parts();
    let verified = http_sig::verify_request(
        &parts,
        body,
        &http_sig::VerifyPolicy::default(),
        SystemTime::now(),
        |id| (id == "http://wool.test/actor#main-key").then(|| public.clone()),
    );
    assert!(verified.is_ok(), "{verified:?}");

    // Without `forward`, or about a local account, nothing is sent.
    e.app
        .create_report(
            alice.id,
            NewReport {
                target_account_id: bob.id,
                ..NewReport::default()
            },
        )
        .await
        .unwrap();
    let carol = e.app.create_account("carol", None, false).await.unwrap();
    let local_report = e
        .app
        .create_report(
            alice.id,
            NewReport {
                target_account_id: carol.id,
                forward: true,
                ..NewReport::default()
            },
        )
        .await
        .unwrap();
    assert!(!local_report.forwarded);
    assert_eq!(local_report.uri, None);
    // `forward_to_domains` without the target's domain: not sent to its server.
    let not_origin = e
        .app
        .create_report(
            alice.id,
            NewReport {
                target_account_id: bob.id,
                forward: true,
                forward_to_domains: Some(vec!["elsewhere.example".into()]),
                ..NewReport::default()
            },
        )
        .await
        .unwrap();
    assert!(!not_origin.forwarded);
    e.app.engine().process_deliveries(100).await.unwrap();
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_forwarded_reply_also_goes_to_the_servers_it_replies_to() {
    let e = env(30).await;
    let (alice, _, _) = local(&e).await;
    let (bob, bob_key, to_bob) = capturing_host(&e, "peer.test", "bob");
    let (carol, carol_key, to_carol) = capturing_host(&e, "other.test", "carol");
    let note = |id: &str, by: &str, reply: Option<&str>| {
        json!({"id": id, "type": "Note", "attributedTo": by, "content": "<p>hi</p>",
               "published": "2026-12-07T10:00:00Z", "inReplyTo": reply,
               "to": [crate::remote_peer::PUBLIC]})
    };
    let c1 = format!("{carol}/statuses/1");
    let b1 = format!("{bob}/statuses/1");
    e.create(&note(&c1, &carol, None), &carol, &carol_key).await;
    e.create(&note(&b1, &bob, Some(&c1)), &bob, &bob_key).await;
    let reply = e.app.status_by_uri(&b1).await.unwrap().unwrap();
    let bob_account = e.app.account_by_iri(&bob).await.unwrap().unwrap();
    let file = |domains: Option<Vec<String>>| NewReport {
        target_account_id: bob_account.id,
        status_ids: vec![reply.id],
        comment: "reply spam".into(),
        forward: true,
        forward_to_domains: domains,
        ..NewReport::default()
    };
    // Only the target's server by default.
    e.app.create_report(alice.id, file(None)).await.unwrap();
    e.app.engine().process_deliveries(100).await.unwrap();
    assert_eq!(to_bob.lock().unwrap().len(), 1);
    assert!(to_carol.lock().unwrap().is_empty());
    // Both when both domains are chosen: the same Flag, to each inbox.
    let r = e
        .app
        .create_report(
            alice.id,
            file(Some(vec!["peer.test".into(), "OTHER.test".into()])),
        )
        .await
        .unwrap();
    assert!(r.forwarded);
    e.app.engine().process_deliveries(100).await.unwrap();
    let to_bob = to_bob.lock().unwrap().clone();
    let to_carol = to_carol.lock().unwrap().clone();
    assert_eq!(to_bob.len(), 2);
    assert_eq!(to_carol.len(), 1);
    assert_eq!(to_carol[0].0, "/users/carol/inbox");
    let flag: Value = serde_json::from_slice(&to_carol[0].2).unwrap();
    assert_eq!(flag, serde_json::from_slice::<Value>(&to_bob[1].2).unwrap());
    assert_eq!(flag["object"], json!([bob, b1]));
    assert_eq!(flag["id"].as_str(), r.uri.as_deref());
}
