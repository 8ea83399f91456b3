//! The archive job survives a crash of the real `woolly serve`: with an account of many
//! statuses (seeded straight into the store, as the load generator seeds), an archive is
//! requested, the server is killed (`SIGKILL`) while the job is part way through, and once
//! started again it finishes the archive, once: one file in the media store, with every
//! status. Then `woolly account export` writes the CSV files and the archive from the
//! store directly.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::Read;
use std::time::Duration;

use common::{poll, Woolly};
use fedi_storage::sled::{SledConfig, SledStore};
use fedi_storage::BatchStore;
use reference_server::app::bulk::Bulk;
use reference_server::app::model::{Status, StatusVisibility};
use serde_json::{json, Value};

/// Statuses seeded: enough that building takes a few seconds in a debug build.
const STATUSES: u64 = 20_000;

/// Seeds `STATUSES` unlisted statuses of local account `account` (actor `actor`) into the
/// stopped server's store.
fn seed(w: &Woolly, account: u64, actor: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store =
            SledStore::open_with(SledConfig::new(w.data_dir.join("db")).flush_on_write(false))
                .unwrap();
        let first_ms = 1_800_000_000_000u64;
        let mut batch = Bulk::new();
        for j in 0..STATUSES {
            let ms = first_ms + j * 10;
            let id = ms << 16;
            let uri = format!("{actor}/statuses/{id}");
            let status = Status {
                id,
                uri: uri.clone(),
                url: uri.clone(),
                account_id: account,
                content: format!("<p>Seeded status {j}, of an ordinary length for a toot.</p>"),
                text: Some(format!(
                    "Seeded status {j}, of an ordinary length for a toot."
                )),
                spoiler_text: String::new(),
                sensitive: false,
                visibility: StatusVisibility::Unlisted,
                language: Some("en".into()),
                in_reply_to_id: None,
                in_reply_to_uri: None,
                in_reply_to_account_id: None,
                reblog_of_id: None,
                mentions: Vec::new(),
                tags: Vec::new(),
                created_at: ms,
                edited_at: None,
                edits: Vec::new(),
                local: true,
                activity_uri: Some(format!("{uri}/activity")),
                conversation: None,
                media_ids: Vec::new(),
                poll: None,
                card_url: None,
                quote: None,
                emojis: Vec::new(),
            };
            batch = batch.received_status(&status, &[]).unwrap();
            if (j + 1) % 1000 == 0 {
                store
                    .apply(&std::mem::take(&mut batch).into_batch())
                    .await
                    .unwrap();
            }
        }
        store.flush().await.unwrap();
    });
}

/// The archive files in the data directory's media store.
fn archives(w: &Woolly) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![w.data_dir.join("media").join("backups")];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "zip") {
                out.push(p);
            }
        }
    }
    out
}

fn outbox_of(zip_bytes: Vec<u8>) -> Value {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut f = zip.by_name("outbox.json").unwrap();
    let mut text = Vec::new();
    f.read_to_end(&mut text).unwrap();
    serde_json::from_slice(&text).unwrap()
}

#[test]
fn an_archive_job_killed_midway_finishes_once_after_a_restart() {
    let mut w = Woolly::prepare("export", "127.0.0.1");
    w.create_account("alice", false);
    w.create_account("bob", false);
    let token = w.create_token("alice");
    w.start();
    let api = w.api(&token);
    let me = api.me();
    let alice: u64 = me["id"].as_str().unwrap().parse().unwrap();
    let bob = api
        .get_q("/api/v1/accounts/lookup", &[("acct", "bob")])
        .ok();
    api.post(
        &format!("/api/v1/accounts/{}/follow", bob["id"].as_str().unwrap()),
        json!({}),
    )
    .ok();
    assert!(w.stop());
    seed(&w, alice, &w.actor("alice"));

    w.start();
    let api = w.api(&token);
    let requested = api.post("/settings/export", json!({}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    // Killed once the job has written part of the outbox.
    let partway = poll("the job part way", Duration::from_secs(60), || {
        let s = api.get("/settings/export").ok();
        let done = s["progress"]["done"].as_u64().unwrap_or(0);
        (s["state"] == "processing" && done > 0).then_some(s)
    });
    w.signal("KILL");
    assert!(w.wait_exit(Duration::from_secs(10)).is_some());
    assert!(
        partway["progress"]["done"].as_u64().unwrap() < STATUSES,
        "killed before the end: {partway}"
    );
    assert!(archives(&w).is_empty(), "no archive stored before the kill");

    // Started again: the request is still there and the job finishes it (after its lease).
    w.start();
    let api = w.api(&token);
    let done = poll("the archive ready", Duration::from_secs(180), || {
        let s = api.get("/settings/export").ok();
        (s["state"] == "ready").then_some(s)
    });
    assert_eq!(
        done["progress"],
        json!({"done": STATUSES, "total": STATUSES})
    );
    assert_eq!(done["id"], requested.json["id"]);
    // One archive, and a second request within the week is refused.
    let files = archives(&w);
    assert_eq!(files.len(), 1, "{files:?}");
    let again = api.post("/settings/export", json!({}));
    assert_eq!(again.status, 422, "{}", again.text);
    assert!(w.stop());
    let outbox = outbox_of(std::fs::read(&files[0]).unwrap());
    assert_eq!(outbox["totalItems"], STATUSES);
    assert_eq!(
        outbox["orderedItems"].as_array().unwrap().len() as u64,
        STATUSES
    );
    assert_eq!(outbox["orderedItems"][0]["type"], "Create");
    assert!(
        outbox["orderedItems"][0]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("Seeded status 0,"),
        "oldest first"
    );

    // The command line, on the store directly.
    let out = w.data_dir.join("follows.csv");
    w.cli(&[
        "account",
        "export",
        "alice",
        "--what",
        "follows",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "Account address,Show boosts,Notify on new posts,Languages\nbob@{},true,false,\n",
            w.domain
        )
    );
    let zip_out = w.data_dir.join("archive.zip");
    w.cli(&[
        "account",
        "export",
        "alice",
        "--what",
        "archive",
        "--out",
        zip_out.to_str().unwrap(),
    ]);
    let outbox = outbox_of(std::fs::read(&zip_out).unwrap());
    assert_eq!(outbox["totalItems"], STATUSES);
}
