//! Custom emoji with real `woolly` processes: `woolly emoji add|import|list|remove` on a data
//! directory with no server running (the store opened directly) and while the server runs
//! (its admin endpoint), a folder and a `.tar.gz` pack imported (non-images ignored, existing
//! emoji skipped, an image over 256 KB refused with a clear message and exit status 1), and
//! a toot with `:shortcode:`s rendering on another `woolly serve` (127.0.0.2 → 127.0.0.3):
//! its `emojis` there point at that server's cached copies of the same images.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::media::png;
use common::{poll, run_bounded, Woolly, DELIVERY, WOOLLY};
use serde_json::{json, Value};

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn get_bytes(url: &str) -> Vec<u8> {
    let r = ureq::get(url).call().unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut out).unwrap();
    out
}

/// A `.tar.gz` of `(name, bytes)` files.
fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["shortcode"]))
        .collect()
}

#[test]
fn emoji_commands_work_offline_and_online_and_render_on_the_other_instance() {
    let mut a = Woolly::prepare("A", "127.0.0.2");
    let mut b = Woolly::prepare("B", "127.0.0.3");
    a.create_account("alice", false);
    let alice_token = a.create_token("alice");
    b.create_account("bob", false);
    let bob_token = b.create_token("bob");
    let work = a.config.parent().unwrap().join("emoji-files");
    std::fs::create_dir_all(work.join("pack/sub")).unwrap();
    let cat = png(24, 24, 30);
    let wave = png(20, 20, 90);
    std::fs::write(work.join("blobcat.png"), &cat).unwrap();
    std::fs::write(work.join("pack/wave.png"), &wave).unwrap();
    std::fs::write(work.join("pack/sub/party_time.gif"), png(8, 8, 1)).unwrap();
    std::fs::write(work.join("pack/readme.txt"), "not an emoji").unwrap();

    // No server: the store is opened directly.
    let out = a.cli(&[
        "emoji",
        "add",
        "blobcat",
        work.join("blobcat.png").to_str().unwrap(),
        "--category",
        "Blobs",
    ]);
    assert!(out.stdout.contains("added :blobcat:"), "{}", out.stdout);
    let out = a.cli(&["emoji", "import", work.join("pack").to_str().unwrap()]);
    assert!(out.stdout.contains("added :wave:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("2 added, 0 skipped, 0 failed"),
        "{}",
        out.stdout
    );
    // A pack: one new, one existing (skipped), one over 256 KB (refused: exit status 1).
    let mut big = png(8, 8, 5);
    big.resize(256 * 1024 + 10, 0);
    let pack = tar_gz(&[
        ("emoji/ablobfox.png", &png(16, 16, 70)),
        ("emoji/wave.png", &wave),
        ("emoji/huge.png", &big),
        ("emoji/LICENSE", b"CC0"),
    ]);
    std::fs::write(work.join("pack.tar.gz"), &pack).unwrap();
    let mut cmd = Command::new(WOOLLY);
    cmd.args(["emoji", "import"])
        .arg(work.join("pack.tar.gz"))
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(cmd, Duration::from_secs(120));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("added :ablobfox:"), "{out:?}");
    assert!(out.stdout.contains("skipped :wave: (it exists)"), "{out:?}");
    assert!(out.stderr.contains("256 KB"), "{out:?}");
    assert!(
        out.stdout.contains("1 added, 1 skipped, 1 failed"),
        "{out:?}"
    );
    let out = a.cli(&["emoji", "remove", "party_time"]);
    assert!(
        out.stdout.contains("removed :party_time:"),
        "{}",
        out.stdout
    );
    let out = a.cli(&["emoji", "remove", "party_time"]);
    assert!(
        out.stdout.contains(":party_time: does not exist"),
        "{}",
        out.stdout
    );
    let out = a.cli(&["emoji", "list"]);
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        listed,
        [":ablobfox:", ":blobcat:", ":wave:"],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(":blobcat:\tBlobs\t"), "{}", out.stdout);

    a.start();
    b.start();
    // With the server running: through its admin endpoint.
    let out = a.cli(&["emoji", "remove", "ablobfox"]);
    assert!(out.stdout.contains("removed :ablobfox:"), "{}", out.stdout);
    let anon = a.anon();
    let list = anon.get("/api/v1/custom_emojis").ok();
    assert_eq!(codes(&list), ["blobcat", "wave"]);
    assert_eq!(list[0]["category"], "Blobs");
    assert_eq!(get_bytes(&s(&list[0]["url"])), cat);

    // A toot with emoji, seen from B.
    let alice = a.api(&alice_token);
    let bob = b.api(&bob_token);
    let target = bob.resolve_account(&a.handle("alice"));
    let id = s(&target["id"]);
    bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll("the follow is accepted", DELIVERY, || {
        (bob.relationship(&id)["following"] == true).then_some(())
    });
    let posted = alice.post_status(":blobcat: waves :wave: at :nothing:", json!({}));
    assert_eq!(codes(&posted["emojis"]), ["blobcat", "wave"]);
    let uri = s(&posted["uri"]);
    let seen = poll("B: the toot with its emoji cached", DELIVERY, || {
        let st = bob
            .timeline("/api/v1/timelines/home")
            .into_iter()
            .find(|s| s["uri"].as_str() == Some(uri.as_str()))?;
        let emojis = st["emojis"].as_array()?.clone();
        let local = emojis.len() == 2
            && emojis
                .iter()
                .all(|e| e["url"].as_str().is_some_and(|u| u.starts_with(&b.base)));
        local.then_some(st)
    });
    assert_eq!(codes(&seen["emojis"]), ["blobcat", "wave"]);
    assert_eq!(get_bytes(&s(&seen["emojis"][0]["url"])), cat);
    assert_eq!(get_bytes(&s(&seen["emojis"][1]["url"])), wave);
    // B lists only its own (none).
    assert_eq!(b.anon().get("/api/v1/custom_emojis").ok(), json!([]));
}
