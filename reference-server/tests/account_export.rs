//! Account exports (issue #19), in process on a manual clock: the CSV files read back by a
//! small parser of this file's own (not the app's writer), with Mastodon's exact headers,
//! local and remote addresses and list titles that need quoting; the archive requested over
//! HTTP, built by the durable job, opened with the `zip` crate and its JSON checked; the
//! once-a-week rule, the weekly removal, and another account's archive answering `404`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use fedi_storage::media::MediaKey;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::app::bulk::Bulk;
use reference_server::app::model::{Account, FollowRecord};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

const START_MS: u64 = 1_893_456_000_000;

async fn clocked() -> (App, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(START_MS));
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let app = App::with_clock(
        config,
        Arc::new(fedi_storage::memory::MemoryStore::new()),
        Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

/// A remote account followed by `follower`, written as the load generator's seeding does.
async fn followed_remote(app: &App, follower: &Account, id: u64, name: &str, host: &str) -> u64 {
    let actor = format!("https://{host}/users/{name}");
    let account = Account {
        id,
        username: name.into(),
        domain: Some(host.into()),
        actor: actor.clone(),
        url: format!("https://{host}/@{name}"),
        inbox: Some(format!("{actor}/inbox")),
        shared_inbox: Some(format!("https://{host}/inbox")),
        followers_url: Some(format!("{actor}/followers")),
        display_name: name.into(),
        note: String::new(),
        note_source: String::new(),
        locked: false,
        bot: false,
        fields: Vec::new(),
        avatar: None,
        header: None,
        avatar_file: None,
        header_file: None,
        created_at: START_MS - 1000,
        discoverable: false,
        deleted: false,
        emojis: Vec::new(),
        role: Default::default(),
        moderation: Default::default(),
        migration: Default::default(),
    };
    let follow = FollowRecord {
        uri: format!("{}#follows/{id}", follower.actor),
        accepted: true,
        created_at: START_MS - 500,
    };
    let batch = Bulk::new()
        .remote_account(&account)
        .unwrap()
        .accepted_follow(follower.id, id, &follow)
        .unwrap()
        .into_batch();
    app.store().apply(&batch).await.unwrap();
    id
}

/// RFC 4180 records, parsed here by hand: fields split on commas outside quotes, `""` inside
/// quotes is one quote, records end with `\n`.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the file ends with a newline"
    );
    rows
}

async fn csv_of(app: &App, token: &str, file: &str) -> (String, Vec<Vec<String>>) {
    let a = get(app, &format!("/settings/exports/{file}"), Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{file}: {}", a.text);
    assert_eq!(a.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        a.header("content-disposition"),
        Some(format!("attachment; filename=\"{file}\"").as_str())
    );
    let rows = parse_csv(&a.text);
    (a.text, rows)
}

fn row(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

async fn act(app: &App, token: &str, path: &str, body: Value) -> Value {
    let a = json(app, Method::POST, path, Some(token), body).await;
    assert!(a.status.is_success(), "{path}: {} {}", a.status, a.text);
    a.body
}

#[tokio::test]
async fn csv_exports_in_mastodons_formats() {
    let app = instance().await;
    let (alice, token) = user(&app, "alice").await;
    let (bob, _) = user(&app, "bob").await;
    let (carol, carol_token) = user(&app, "carol").await;
    let remote = followed_remote(&app, &alice, 7 << 16, "zed", "remote.example").await;

    // Follows: bob (local) and zed (remote); carol follows alice.
    act(
        &app,
        &token,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        json!({}),
    )
    .await;
    act(
        &app,
        &carol_token,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        json!({}),
    )
    .await;
    let (text, rows) = csv_of(&app, &token, "follows.csv").await;
    assert!(
        text.starts_with("Account address,Show boosts,Notify on new posts,Languages\n"),
        "{text}"
    );
    assert_eq!(
        rows[0],
        row(&[
            "Account address",
            "Show boosts",
            "Notify on new posts",
            "Languages"
        ])
    );
    let mut follows = rows[1..].to_vec();
    follows.sort();
    assert_eq!(
        follows,
        vec![
            row(&["bob@wool.test", "true", "false", ""]),
            row(&["zed@remote.example", "true", "false", ""]),
        ]
    );
    assert!(text.contains("\nbob@wool.test,true,false,\n"), "{text}");

    let (_, rows) = csv_of(&app, &token, "followers.csv").await;
    assert_eq!(
        rows,
        vec![
            row(&[
                "Account address",
                "Show boosts",
                "Notify on new posts",
                "Languages"
            ]),
            row(&["carol@wool.test", "true", "false", ""]),
        ]
    );

    // Lists: titles with a comma and quotes are quoted.
    let title = r#"Friends, "close" ones"#;
    let list = act(&app, &token, "/api/v1/lists", json!({"title": title})).await;
    let list_id = list["id"].as_str().unwrap().to_owned();
    act(
        &app,
        &token,
        &format!("/api/v1/lists/{list_id}/accounts"),
        json!({"account_ids": [bob.id.to_string(), remote.to_string()]}),
    )
    .await;
    act(&app, &token, "/api/v1/lists", json!({"title": "Empty"})).await;
    let (text, rows) = csv_of(&app, &token, "lists.csv").await;
    assert!(
        text.contains(r#""Friends, ""close"" ones",bob@wool.test"#),
        "{text}"
    );
    let mut rows = rows;
    rows.sort();
    assert_eq!(
        rows,
        vec![
            row(&[title, "bob@wool.test"]),
            row(&[title, "zed@remote.example"]),
        ]
    );

    // Blocks (no header), mutes (header, hide notifications).
    act(
        &app,
        &token,
        &format!("/api/v1/accounts/{}/block", carol.id),
        json!({}),
    )
    .await;
    let (text, rows) = csv_of(&app, &token, "blocks.csv").await;
    assert_eq!(text, "carol@wool.test\n");
    assert_eq!(rows, vec![row(&["carol@wool.test"])]);
    act(
        &app,
        &token,
        &format!("/api/v1/accounts/{}/mute", bob.id),
        json!({"notifications": false}),
    )
    .await;
    act(
        &app,
        &token,
        &format!("/api/v1/accounts/{remote}/mute"),
        json!({}),
    )
    .await;
    let (text, rows) = csv_of(&app, &token, "mutes.csv").await;
    assert!(
        text.starts_with("Account address,Hide notifications\n"),
        "{text}"
    );
    let mut mutes = rows[1..].to_vec();
    mutes.sort();
    assert_eq!(
        mutes,
        vec![
            row(&["bob@wool.test", "false"]),
            row(&["zed@remote.example", "true"]),
        ]
    );

    // Domain blocks and bookmarks: one column, no header.
    act(
        &app,
        &token,
        "/api/v1/domain_blocks",
        json!({"domain": "spam.example"}),
    )
    .await;
    let (text, _) = csv_of(&app, &token, "domain_blocks.csv").await;
    assert_eq!(text, "spam.example\n");
    let s1 = post(&app, &token, json!({"status": "first"})).await;
    let s2 = post(&app, &carol_token, json!({"status": "carol's"})).await;
    for s in [&s1, &s2] {
        act(
            &app,
            &token,
            &format!("/api/v1/statuses/{}/bookmark", s["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    }
    let (_, rows) = csv_of(&app, &token, "bookmarks.csv").await;
    assert_eq!(
        rows,
        vec![
            row(&[s2["uri"].as_str().unwrap()]),
            row(&[s1["uri"].as_str().unwrap()]),
        ],
        "newest bookmark first, as Mastodon"
    );

    // Errors: an unknown file, no token, a token without `read`.
    assert_eq!(
        get(&app, "/settings/exports/passwords.csv", Some(&token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/settings/exports/follows.csv", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (_, write_only) = user_with(&app, "dave", false, "write").await;
    assert_eq!(
        get(&app, "/settings/exports/follows.csv", Some(&write_only))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

fn zip_entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut f = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name} in the archive: {e}"));
    let mut out = Vec::new();
    f.read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn the_archive_is_built_by_the_job_once_a_week_and_removed_after_a_week() {
    let (app, clock) = clocked().await;
    let (alice, token) = user(&app, "alice").await;
    let (_, bob_token) = user(&app, "bob").await;

    // An avatar, two statuses (one with a picture), a boost of bob's, a favourite and a
    // bookmark.
    let profile = support::media::send_multipart(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&token),
        &[],
        &[("avatar", "me.png", &support::media::png(90, 60))],
    )
    .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    let avatar_url = profile.body["avatar"].as_str().unwrap().to_owned();
    let media_id = support::media::uploaded(&app, &token).await;
    let with_media = post(
        &app,
        &token,
        json!({"status": "with a picture", "media_ids": [media_id]}),
    )
    .await;
    let plain = post(
        &app,
        &token,
        json!({"status": "plain, private", "visibility": "private"}),
    )
    .await;
    let bobs = post(&app, &bob_token, json!({"status": "bob's"})).await;
    let bobs_id = bobs["id"].as_str().unwrap();
    act(
        &app,
        &token,
        &format!("/api/v1/statuses/{bobs_id}/reblog"),
        json!({}),
    )
    .await;
    act(
        &app,
        &token,
        &format!("/api/v1/statuses/{bobs_id}/favourite"),
        json!({}),
    )
    .await;
    act(
        &app,
        &token,
        &format!(
            "/api/v1/statuses/{}/bookmark",
            plain["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;

    // Nothing requested yet.
    let state = get(&app, "/settings/export", Some(&token)).await;
    assert_eq!(state.status, StatusCode::OK);
    assert_eq!(state.body["state"], "none");

    let requested = json(
        &app,
        Method::POST,
        "/settings/export",
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(requested.status, StatusCode::ACCEPTED, "{}", requested.text);
    assert_eq!(requested.body["state"], "pending");
    assert_eq!(requested.body["ready"], false);
    assert_eq!(requested.body["url"], Value::Null);
    let id = requested.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        requested.body["requested_at"],
        reference_server::app::activitypub::rfc3339(START_MS)
    );
    // Not ready: the file is not there yet.
    assert_eq!(
        get(
            &app,
            &format!("/settings/exports/archive/{id}"),
            Some(&token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // A second request within the week is refused.
    clock.advance(Duration::from_secs(6 * 24 * 3600));
    let again = json(
        &app,
        Method::POST,
        "/settings/export",
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    assert!(
        again.error().contains("once every 7 days"),
        "{}",
        again.text
    );

    // The job builds it.
    assert_eq!(app.run_export_jobs(10).await.unwrap(), 1);
    let state = get(&app, "/settings/export", Some(&token)).await.body;
    assert_eq!(state["state"], "ready", "{state}");
    assert_eq!(state["ready"], true);
    assert_eq!(state["progress"], json!({"done": 3, "total": 3}));
    let url = format!("{BASE}/settings/exports/archive/{id}");
    assert_eq!(state["url"], url.as_str());

    // Only its owner may download it.
    let other = get(
        &app,
        &format!("/settings/exports/archive/{id}"),
        Some(&bob_token),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, "/settings/exports/archive/nope", Some(&token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let req = http::Request::get(format!("/settings/exports/archive/{id}"))
        .header("authorization", format!("Bearer {token}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let resp = reference_server::api::handle(&app, &req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.into_body().to_vec();
    assert_eq!(state["size"], bytes.len() as u64);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();

    // outbox.json: Creates with the Note embedded, the Announce, oldest first.
    let outbox: Value = serde_json::from_slice(&zip_entry(&mut zip, "outbox.json")).unwrap();
    assert_eq!(outbox["id"], "outbox.json");
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 3);
    assert!(outbox["@context"].is_array(), "{}", outbox["@context"]);
    let items = outbox["orderedItems"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Create", "Create", "Announce"]);
    for i in items {
        assert!(i.get("@context").is_none(), "no @context per item: {i}");
        assert_eq!(i["actor"], alice.actor.as_str());
    }
    assert_eq!(items[0]["object"]["type"], "Note");
    assert_eq!(items[0]["object"]["id"], with_media["uri"]);
    assert_eq!(items[1]["object"]["id"], plain["uri"]);
    assert_eq!(items[2]["object"], bobs["uri"]);
    let attachment = &items[0]["object"]["attachment"][0];
    assert_eq!(attachment["type"], "Document");
    let path = attachment["url"].as_str().unwrap();
    assert!(path.starts_with("media_attachments/"), "{path}");
    // The file in the archive is the stored original, byte for byte.
    let stored = app
        .media()
        .get(&MediaKey::new(path).unwrap(), None)
        .await
        .unwrap()
        .unwrap()
        .bytes;
    assert_eq!(zip_entry(&mut zip, path), stored.to_vec());
    let served = support::media::fetch(
        &app,
        with_media["media_attachments"][0]["url"].as_str().unwrap(),
    )
    .await;
    assert_eq!(served.into_body().to_vec(), stored.to_vec());

    // likes.json, bookmarks.json: URIs.
    let likes: Value = serde_json::from_slice(&zip_entry(&mut zip, "likes.json")).unwrap();
    assert_eq!(likes["id"], "likes.json");
    assert_eq!(likes["type"], "OrderedCollection");
    assert_eq!(likes["totalItems"], 1);
    assert_eq!(likes["orderedItems"], json!([bobs["uri"]]));
    let marks: Value = serde_json::from_slice(&zip_entry(&mut zip, "bookmarks.json")).unwrap();
    assert_eq!(marks["id"], "bookmarks.json");
    assert_eq!(marks["orderedItems"], json!([plain["uri"]]));

    // actor.json: the actor, pointing at the files beside it.
    let actor: Value = serde_json::from_slice(&zip_entry(&mut zip, "actor.json")).unwrap();
    assert_eq!(actor["id"], alice.actor.as_str());
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "alice");
    assert_eq!(actor["outbox"], "outbox.json");
    assert_eq!(actor["likes"], "likes.json");
    assert_eq!(actor["bookmarks"], "bookmarks.json");
    assert!(actor["publicKey"]["publicKeyPem"].is_string());
    assert_eq!(actor["icon"]["url"], "avatar.png");
    let avatar = support::media::fetch(&app, &avatar_url).await;
    assert_eq!(avatar.status(), StatusCode::OK);
    assert_eq!(
        zip_entry(&mut zip, "avatar.png"),
        avatar.into_body().to_vec()
    );
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");

    // The job ran once: nothing is left to run, and the file is not at /media/.
    assert_eq!(app.run_export_jobs(10).await.unwrap(), 0);

    // A week after the request a new one may be made; the first archive stays until a week
    // after it was ready, then the job runner removes it.
    clock.advance(Duration::from_secs(24 * 3600 + 60));
    let second = json(
        &app,
        Method::POST,
        "/settings/export",
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(second.status, StatusCode::ACCEPTED, "{}", second.text);
    assert_eq!(
        app.run_export_jobs(10).await.unwrap(),
        1,
        "the second build"
    );
    assert_eq!(
        get(
            &app,
            &format!("/settings/exports/archive/{id}"),
            Some(&token)
        )
        .await
        .status,
        StatusCode::OK,
        "the first one is kept for a week"
    );
    clock.advance(Duration::from_secs(6 * 24 * 3600));
    assert_eq!(app.run_export_jobs(10).await.unwrap(), 1, "the removal");
    assert_eq!(
        get(
            &app,
            &format!("/settings/exports/archive/{id}"),
            Some(&token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let listed = app.media().list("backups/", None, 10).await.unwrap();
    assert_eq!(
        listed.len(),
        1,
        "only the second archive's file is left: {listed:?}"
    );
}

#[tokio::test]
async fn archive_files_are_not_served_as_media() {
    let (app, _clock) = clocked().await;
    let (_, token) = user(&app, "alice").await;
    json(
        &app,
        Method::POST,
        "/settings/export",
        Some(&token),
        json!({}),
    )
    .await;
    app.run_export_jobs(10).await.unwrap();
    let listed = app.media().list("backups/", None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    let key = listed[0].key.as_str().to_owned();
    let served = support::media::fetch(&app, &format!("/media/{key}")).await;
    assert_eq!(served.status(), StatusCode::NOT_FOUND);
}
