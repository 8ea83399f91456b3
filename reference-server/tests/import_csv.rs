//! Imports of Mastodon's CSV files (`/settings/imports`, `app::import`) between two instances
//! in process on one in-memory network: files in Mastodon's formats (fixtures under
//! `tests/fixtures/import/mastodon/`) become real follows, blocks, mutes, lists, domain blocks
//! and bookmarks, remote accounts resolved with WebFinger and followed on the wire; bad rows
//! are skipped or failed with a reason; bad files are refused with 413/415/422;
//! `overwrite` undoes what the file does not hold.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Method, Request, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::Value;

use crate::api_support::media::multipart;

/// Activities POSTed to an instance, as received (JSON).
pub(crate) type Seen = Arc<Mutex<Vec<Value>>>;

/// An instance on `host` of `net`, and the activities POSTed to it (also used by
/// `portability_round_trip`).
pub(crate) async fn instance(net: &MemoryNetwork, host: &str) -> (App, Seen) {
    let config = Config {
        base_url: format!("http://{host}"),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
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

/// Runs every import job, delivery and inbox job of `apps` until none is left.
pub(crate) async fn pump(apps: &[&App]) {
    for _ in 0..200 {
        let mut work = 0;
        for app in apps {
            work += app.run_import_jobs(10).await.unwrap();
            let d = app.engine().process_deliveries(100).await.unwrap();
            let i = app.engine().process_inbox(100).await.unwrap();
            work += d.leased + i.leased;
        }
        if work == 0 {
            return;
        }
    }
    panic!("the queues did not drain");
}

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/mastodon")
        .join(name);
    std::fs::read(p).unwrap()
}

/// `POST /settings/imports`: status and JSON body.
async fn upload(
    app: &App,
    token: &str,
    kind: &str,
    mode: &str,
    data: &[u8],
) -> (StatusCode, Value) {
    let (ct, body) = multipart(
        &[("type", kind), ("mode", mode)],
        &[("data", "file.csv", data)],
    );
    let req = Request::post("/settings/imports")
        .header("content-type", ct)
        .header("authorization", format!("Bearer {token}"))
        .body(body)
        .unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    (
        resp.status(),
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

async fn get(app: &App, token: &str, path: &str) -> (StatusCode, Bytes) {
    let req = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::new())
        .unwrap();
    let resp = reference_server::api::handle(app, &req).await.unwrap();
    (resp.status(), resp.body().clone())
}

async fn show(app: &App, token: &str, id: &str) -> Value {
    let (s, b) = get(app, token, &format!("/settings/imports/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    serde_json::from_slice(&b).unwrap()
}

struct Two {
    a: App,
    b: App,
    seen_by_b: Seen,
    alice: u64,
    token: String,
    bob: u64,
    carol: u64,
}

/// `alice` on `wool.test`; `bob` and `carol` on `yarn.test`.
async fn two() -> Two {
    let net = MemoryNetwork::new();
    let (a, _) = instance(&net, "wool.test").await;
    let (b, seen_by_b) = instance(&net, "yarn.test").await;
    let alice = a.create_account("alice", None, false).await.unwrap();
    let token = reference_server::api::create_token(&a, alice.id, "read write follow")
        .await
        .unwrap();
    let bob = b.create_account("bob", None, false).await.unwrap();
    let carol = b.create_account("carol", None, false).await.unwrap();
    Two {
        a,
        b,
        seen_by_b,
        alice: alice.id,
        token,
        bob: bob.id,
        carol: carol.id,
    }
}

async fn followers_on_b(t: &Two, of: u64) -> Vec<String> {
    let list = reference_server::app::List::Followers(of);
    let members = t.b.all_members(&list, 100).await.unwrap();
    let mut out = Vec::new();
    for m in members {
        let a = t.b.account(m.member.parse().unwrap()).await.unwrap();
        out.push(a.acct());
    }
    out
}

#[tokio::test]
async fn a_mastodon_follows_file_becomes_real_follows_on_the_other_instance() {
    let t = two().await;
    let (status, v) = upload(
        &t.a,
        &t.token,
        "following",
        "merge",
        &fixture("following_accounts.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["type"], "following");
    assert_eq!(v["mode"], "merge");
    assert_eq!(v["state"], "scheduled");
    assert_eq!(v["total_items"], 4);
    assert_eq!(v["skipped_items"], 1, "`not an address` is skipped at once");
    let id = v["id"].as_str().unwrap().to_owned();
    pump(&[&t.a, &t.b]).await;

    let v = show(&t.a, &t.token, &id).await;
    assert_eq!(v["state"], "finished");
    assert_eq!(
        (
            &v["processed_items"],
            &v["imported_items"],
            &v["failed_items"],
            &v["skipped_items"]
        ),
        (&4.into(), &2.into(), &1.into(), &1.into())
    );
    let failures = v["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0]["line"], 4);
    assert_eq!(failures[0]["result"], "failed");
    assert!(
        failures[0]["reason"]
            .as_str()
            .unwrap()
            .contains("nobody@yarn.test"),
        "{}",
        failures[0]
    );
    assert_eq!(failures[1]["line"], 5);
    assert_eq!(failures[1]["result"], "skipped");
    assert_eq!(
        failures[1]["reason"],
        "malformed account address: \"not an address\""
    );
    // The follows are real on yarn.test: a `Follow` each, accepted.
    assert_eq!(followers_on_b(&t, t.bob).await, ["alice@wool.test"]);
    assert_eq!(followers_on_b(&t, t.carol).await, ["alice@wool.test"]);
    let follows = t
        .seen_by_b
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "Follow")
        .count();
    assert_eq!(follows, 2);
    let bob_here = t.a.account_by_acct("bob@yarn.test").await.unwrap().unwrap();
    assert!(t.a.is_following(t.alice, bob_here.id).await.unwrap());

    // failures.csv: the failed row in the file's own format (the skipped one cannot be).
    let (s, body) = get(
        &t.a,
        &t.token,
        &format!("/settings/imports/{id}/failures.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        "Account address,Show boosts,Notify on new posts,Languages\nnobody@yarn.test,true,false,\n"
    );

    // Importing the bare list (CRLF) again sends nothing twice: both are followed already.
    let (status, v) = upload(
        &t.a,
        &t.token,
        "follows",
        "merge",
        &fixture("following_accounts_bare.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    pump(&[&t.a, &t.b]).await;
    let v = show(&t.a, &t.token, v["id"].as_str().unwrap()).await;
    assert_eq!(v["imported_items"], 2);
    let follows = t
        .seen_by_b
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "Follow")
        .count();
    assert_eq!(follows, 2, "no second Follow");
}

#[tokio::test]
async fn overwrite_unfollows_and_unblocks_what_the_file_does_not_hold() {
    let t = two().await;
    upload(
        &t.a,
        &t.token,
        "following",
        "merge",
        &fixture("following_accounts_bare.csv"),
    )
    .await;
    pump(&[&t.a, &t.b]).await;
    assert_eq!(followers_on_b(&t, t.carol).await, ["alice@wool.test"]);
    // Overwrite with bob only: carol is unfollowed (an `Undo` on the wire).
    let (s, v) = upload(&t.a, &t.token, "following", "overwrite", b"bob@yarn.test\n").await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(v["mode"], "overwrite");
    pump(&[&t.a, &t.b]).await;
    assert_eq!(followers_on_b(&t, t.bob).await, ["alice@wool.test"]);
    assert!(followers_on_b(&t, t.carol).await.is_empty());
    assert!(t
        .seen_by_b
        .lock()
        .unwrap()
        .iter()
        .any(|a| a["type"] == "Undo" && a["object"]["type"] == "Follow"));

    // Blocks: merge both, then overwrite with carol only.
    upload(
        &t.a,
        &t.token,
        "blocks",
        "merge",
        &fixture("blocked_accounts.csv"),
    )
    .await;
    pump(&[&t.a, &t.b]).await;
    let bob = t.a.account_by_acct("bob@yarn.test").await.unwrap().unwrap();
    let carol =
        t.a.account_by_acct("carol@yarn.test")
            .await
            .unwrap()
            .unwrap();
    assert!(t.a.blocks(t.alice, bob.id).await.unwrap());
    assert!(t.a.blocks(t.alice, carol.id).await.unwrap());
    upload(&t.a, &t.token, "blocks", "overwrite", b"carol@yarn.test\n").await;
    pump(&[&t.a, &t.b]).await;
    assert!(!t.a.blocks(t.alice, bob.id).await.unwrap());
    assert!(t.a.blocks(t.alice, carol.id).await.unwrap());
    let blocks = t
        .seen_by_b
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "Block")
        .count();
    assert_eq!(blocks, 2, "one Block each, none sent twice");
}

#[tokio::test]
async fn lists_mutes_and_domain_blocks_are_imported() {
    let t = two().await;
    let (s, v) = upload(&t.a, &t.token, "lists", "merge", &fixture("lists.csv")).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    pump(&[&t.a, &t.b]).await;
    let lists = t.a.lists_of(t.alice).await.unwrap();
    let titles: Vec<&str> = lists.iter().map(|l| l.title.as_str()).collect();
    assert_eq!(titles, ["Friends, family and others", "Work"]);
    let members = |id: u64| {
        let a = t.a.clone();
        async move {
            let list = reference_server::app::List::ListAccounts(id);
            let mut m: Vec<String> = Vec::new();
            for i in a.all_members(&list, 100).await.unwrap() {
                m.push(a.account(i.member.parse().unwrap()).await.unwrap().acct());
            }
            m.sort();
            m
        }
    };
    assert_eq!(
        members(lists[0].id).await,
        ["bob@yarn.test", "carol@yarn.test"]
    );
    assert_eq!(members(lists[1].id).await, ["carol@yarn.test"]);
    // Members are followed first, as on Mastodon.
    assert_eq!(followers_on_b(&t, t.bob).await, ["alice@wool.test"]);

    // Overwrite: `Work` is deleted, the other list holds bob only.
    upload(
        &t.a,
        &t.token,
        "lists",
        "overwrite",
        b"\"Friends, family and others\",bob@yarn.test\n",
    )
    .await;
    pump(&[&t.a, &t.b]).await;
    let lists = t.a.lists_of(t.alice).await.unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(members(lists[0].id).await, ["bob@yarn.test"]);

    // Mutes (a BOM, CRLF), with Hide notifications.
    let (s, v) = upload(
        &t.a,
        &t.token,
        "muting",
        "merge",
        &fixture("muted_accounts.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    pump(&[&t.a, &t.b]).await;
    let bob = t.a.account_by_acct("bob@yarn.test").await.unwrap().unwrap();
    let carol =
        t.a.account_by_acct("carol@yarn.test")
            .await
            .unwrap()
            .unwrap();
    assert!(t.a.mutes_notifications(t.alice, bob.id).await.unwrap());
    assert!(t.a.mutes(t.alice, carol.id).await.unwrap());
    assert!(!t.a.mutes_notifications(t.alice, carol.id).await.unwrap());

    // Domain blocks: two done, one skipped.
    let (s, v) = upload(
        &t.a,
        &t.token,
        "domain_blocking",
        "merge",
        &fixture("blocked_domains.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    pump(&[&t.a, &t.b]).await;
    let v = show(&t.a, &t.token, v["id"].as_str().unwrap()).await;
    assert_eq!(
        (&v["imported_items"], &v["skipped_items"]),
        (&2.into(), &1.into())
    );
    let (_, body) = get(&t.a, &t.token, "/api/v1/domain_blocks").await;
    let mut domains: Vec<String> = serde_json::from_slice(&body).unwrap();
    domains.sort();
    assert_eq!(domains, ["evil.example", "spam.example"]);
}

#[tokio::test]
async fn bookmarks_are_resolved_by_uri_or_fail_with_a_reason() {
    let t = two().await;
    let s =
        t.b.post_status(
            t.bob,
            reference_server::app::NewStatus {
                text: "wool".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut file = s.uri.clone().into_bytes();
    file.push(b'\n');
    file.extend(fixture("bookmarks.csv"));
    let (st, v) = upload(&t.a, &t.token, "bookmarks", "merge", &file).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    pump(&[&t.a, &t.b]).await;
    let v = show(&t.a, &t.token, v["id"].as_str().unwrap()).await;
    assert_eq!(
        (&v["imported_items"], &v["failed_items"]),
        (&1.into(), &1.into())
    );
    assert_eq!(v["failures"][0]["line"], 2);
    let (_, body) = get(&t.a, &t.token, "/api/v1/bookmarks").await;
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list[0]["uri"], s.uri.as_str());
}

#[tokio::test]
async fn bad_files_are_refused_before_any_job() {
    let t = two().await;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "following",
            vec![b'a'; 3 << 20],
            StatusCode::PAYLOAD_TOO_LARGE,
            "over the limit",
        ),
        (
            "following",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not UTF-8 text",
        ),
        (
            "blocks",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty",
        ),
        (
            "domain_blocking",
            fixture("following_accounts.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "are not those of a domain_blocking import",
        ),
        (
            "following",
            fixture("muted_accounts.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "are not those of a following import",
        ),
        (
            "blocks",
            "bob@yarn.test\n".repeat(20_001).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "more than 20000 rows",
        ),
        (
            "statuses",
            b"x\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Type must be one of",
        ),
    ];
    for (kind, data, status, message) in cases {
        let (s, v) = upload(&t.a, &t.token, kind, "merge", &data).await;
        assert_eq!(s, status, "{kind}: {v}");
        assert!(
            v["error"].as_str().unwrap().contains(message),
            "{kind}: {v}"
        );
    }
    let (s, v) = upload(&t.a, &t.token, "blocks", "replace", b"bob@yarn.test\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        t.a.imports_of(t.alice).await.unwrap().is_empty(),
        "nothing stored"
    );
    assert_eq!(t.a.run_import_jobs(10).await.unwrap(), 0, "no job queued");

    // Without `data`: 422; a read-only token: 403; someone else's import: 404.
    let (ct, body) = multipart(&[("type", "blocks")], &[]);
    let req = Request::post("/settings/imports")
        .header("content-type", ct)
        .header("authorization", format!("Bearer {}", t.token))
        .body(body)
        .unwrap();
    let resp = reference_server::api::handle(&t.a, &req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let dave = t.a.create_account("dave", None, false).await.unwrap();
    let read_only = reference_server::api::create_token(&t.a, dave.id, "read")
        .await
        .unwrap();
    let (s, _) = upload(&t.a, &read_only, "blocks", "merge", b"bob@yarn.test\n").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, v) = upload(&t.a, &t.token, "blocks", "merge", b"bob@yarn.test\n").await;
    let id = v["id"].as_str().unwrap();
    let (s, _) = get(&t.a, &read_only, &format!("/settings/imports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = get(&t.a, &t.token, "/settings/imports").await;
    assert_eq!(s, StatusCode::OK);
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["type"], "blocking");
    let (_, body) = get(&t.a, &read_only, "/settings/imports").await;
    assert_eq!(body.as_ref(), b"[]", "only one's own imports");
    let (s, _) = get(&t.a, &t.token, "/settings/imports/12345").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // failures.csv is not there before the import is finished, as on Mastodon.
    let (s, _) = get(
        &t.a,
        &t.token,
        &format!("/settings/imports/{id}/failures.csv"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A chunk run again, as after a crash between its actions and the write of its outcomes
/// (the import's record and rows put back as they were before it, its job queued again),
/// finds every action done and sends nothing twice.
#[tokio::test]
async fn a_chunk_run_again_after_a_crash_does_nothing_twice() {
    use fedi_storage::NewJob;
    let t = two().await;
    let store = t.a.store().clone();
    let sent = |kind: &str| {
        t.seen_by_b
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == kind)
            .count()
    };
    let file = b"bob@yarn.test\ncarol@yarn.test\n";
    for (kind, activity) in [("following", "Follow"), ("blocking", "Block")] {
        let (_, v) = upload(&t.a, &t.token, kind, "merge", file).await;
        let id = v["id"].as_str().unwrap().to_owned();
        let before = store
            .kv_get("imports", id.as_bytes())
            .await
            .unwrap()
            .unwrap();
        let rows = store
            .kv_scan("imports.rows", format!("{id}:").as_bytes(), None, 10)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        pump(&[&t.a, &t.b]).await;
        assert_eq!(sent(activity), 2, "{kind}");

        // The "crash": the import as it was before its chunk, its job queued again.
        store
            .kv_put("imports", id.as_bytes(), &before)
            .await
            .unwrap();
        for (k, v) in &rows {
            store.kv_put("imports.rows", k, v).await.unwrap();
        }
        let payload =
            serde_json::to_vec(&serde_json::json!({ "import": id.parse::<u64>().unwrap() }))
                .unwrap();
        store
            .enqueue("app.imports", &NewJob::new("import", payload, t.a.now()))
            .await
            .unwrap();
        pump(&[&t.a, &t.b]).await;
        let v = show(&t.a, &t.token, &id).await;
        assert_eq!(v["state"], "finished");
        assert_eq!(
            (&v["processed_items"], &v["imported_items"]),
            (&2.into(), &2.into()),
            "{kind}: {v}"
        );
        assert_eq!(sent(activity), 2, "{kind}: no {activity} sent twice");
    }
}
