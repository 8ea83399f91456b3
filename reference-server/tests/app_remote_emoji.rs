//! Custom emoji from other servers, in process on the in-memory network: `Emoji` tags of
//! posts and profiles in Mastodon's, Pleroma/Akkoma's and Misskey's shapes (from the shared
//! corpus, read at run time, and fixtures in `tests/fixtures/emoji/`) are kept per domain,
//! shown in `emojis`, cached (the entity's `url` then local) within the 256 KB limit, and
//! expire with the media cache; emoji reactions (`EmojiReact`, Misskey's `Like` with
//! `_misskey_reaction`) count as favourites and their `Undo` takes them back.
#![allow(clippy::unwrap_used)]

use crate::remote_peer;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use remote_peer::{env, png, Env, PUBLIC};
use serde_json::{json, Value};

const BOB: &str = "http://remote.test/users/bob";

fn fixture(path: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/emoji")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn corpus(path: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/objects")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// A note of bob's with `content` and these tags.
fn note(n: u32, content: &str, tags: Value) -> Value {
    json!({
        "id": format!("{BOB}/statuses/{n}"), "type": "Note", "attributedTo": BOB,
        "content": content, "to": [PUBLIC], "published": "2026-11-22T10:00:00Z", "tag": tags,
    })
}

/// The `Emoji` tags of a corpus document, moved to `remote.test`, its images served there.
fn emoji_tags_of(e: &Env, doc: &Value, image: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    let tags = match &doc["tag"] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    for (i, t) in tags.into_iter().enumerate() {
        if t["type"] != "Emoji" {
            continue;
        }
        let mut t = t.clone();
        let url = format!("http://remote.test/emoji/{i}");
        e.serve(&url, StatusCode::OK, "image/png", image.to_vec());
        t["icon"]["url"] = json!(url);
        out.push(t);
    }
    out
}

/// Polls (bounded) until emoji `i` of a status shows a cached URL.
async fn cached_emoji(e: &Env, uri: &str, i: usize) -> Value {
    let start = Instant::now();
    loop {
        let st = e.status_entity(uri).await;
        let em = st["emojis"][i].clone();
        if em["url"].as_str().is_some_and(|u| {
            u.starts_with("http://wool.test/media/cache/custom_emojis/remote.test/")
        }) {
            return em;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not cached: {st}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn emoji_tags_of_every_shape_are_shown_and_cached() {
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    let image = png(16, 16);
    // Mastodon (a whole Emoji document of the corpus), Pleroma/Akkoma (no mediaType, the
    // epoch as `updated`), Misskey/Sharkey (an extension-less URL): from real documents.
    let mastodon = corpus("mastodon/kitsune-fixture_corteximplant.com_emoji_8933.json");
    let pleroma = corpus("pleroma/person.json");
    let sharkey = corpus("sharkey/kitsune-fixture_grimgreenfo.rest_users_9p6m3t2wmolj08kq.json");
    let mut tags = vec![mastodon.clone()];
    tags.extend(emoji_tags_of(&e, &pleroma, &image).into_iter().take(1));
    tags.extend(emoji_tags_of(&e, &sharkey, &image).into_iter().take(1));
    tags[0]["icon"]["url"] = json!("http://remote.test/emoji/mastodon.png");
    e.serve(
        "http://remote.test/emoji/mastodon.png",
        StatusCode::OK,
        "image/png",
        image.clone(),
    );
    let names: Vec<String> = tags
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "{tags:?}");
    let content = format!("<p>{} and {} then {}</p>", names[0], names[1], names[2]);
    let n = note(1, &content, json!(tags));
    e.create(&n, BOB, &key).await;
    let uri = n["id"].as_str().unwrap();
    let st = e.status_entity(uri).await;
    let shown: Vec<&str> = st["emojis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["shortcode"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = names.iter().map(|n| n.trim_matches(':')).collect();
    assert_eq!(shown, expected, "{st}");
    for i in 0..3 {
        let em = cached_emoji(&e, uri, i).await;
        let keys: Vec<&str> = em.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["shortcode", "url", "static_url", "visible_in_picker"]
        );
        assert_eq!(em["visible_in_picker"], false);
        assert_eq!(em["url"], em["static_url"]);
        let path = em["url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://wool.test")
            .unwrap();
        let r = e
            .router
            .handle(Request::get(path).body(Bytes::new()).unwrap(), None)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.body().as_ref(), image.as_slice());
    }
    // Remote emoji are not the instance's own.
    assert_eq!(e.get_json("/api/v1/custom_emojis").await, json!([]));

    // The cache expires with the media cache: the remote URL shows again.
    e.clock.advance(Duration::from_secs(8 * 24 * 3600));
    assert!(e.app.sweep_media_cache().await.unwrap() >= 3);
    let st = e.status_entity(uri).await;
    assert_eq!(
        st["emojis"][0]["url"],
        "http://remote.test/emoji/mastodon.png"
    );
}

#[tokio::test]
async fn bad_emoji_images_keep_their_remote_urls_and_unnamed_tags_are_dropped() {
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    let mut big = png(8, 8);
    big.resize(256 * 1024 + 1, 0);
    e.serve(
        "http://remote.test/e/big.png",
        StatusCode::OK,
        "image/png",
        big,
    );
    e.serve(
        "http://remote.test/e/page.png",
        StatusCode::OK,
        "text/html",
        "<html></html>",
    );
    e.serve(
        "http://remote.test/e/ok.png",
        StatusCode::OK,
        "image/png",
        png(8, 8),
    );
    let tag = |name: &str, url: &str| json!({"type": "Emoji", "name": format!(":{name}:"), "icon": {"type": "Image", "url": url}});
    let n = note(
        2,
        "<p>:big_one: :html_one: :fine:</p>",
        json!([
            tag("big_one", "http://remote.test/e/big.png"),
            tag("html_one", "http://remote.test/e/page.png"),
            tag("fine", "http://remote.test/e/ok.png"),
            tag("unused", "http://remote.test/e/ok.png"),
            {"type": "Emoji", "name": ":no_icon:"},
            {"type": "Hashtag", "name": "#fine", "href": "http://remote.test/tags/fine"},
        ]),
    );
    e.create(&n, BOB, &key).await;
    let uri = n["id"].as_str().unwrap();
    let fine = cached_emoji(&e, uri, 2).await;
    assert_eq!(fine["shortcode"], "fine");
    let st = e.status_entity(uri).await;
    assert_eq!(st["emojis"].as_array().unwrap().len(), 3, "{st}");
    assert_eq!(st["emojis"][0]["url"], "http://remote.test/e/big.png");
    assert_eq!(st["emojis"][1]["url"], "http://remote.test/e/page.png");
    // Caching them again fails the same way (over 256 KB; not an image), changing nothing.
    let big = e.app.cache_emoji("remote.test/big_one").await.unwrap_err();
    assert!(big.to_string().contains("262144"), "{big}");
    assert!(e.app.cache_emoji("remote.test/html_one").await.is_err());
    // The unnamed tag and the one without an image were not kept.
    assert!(e
        .app
        .cache_emoji("remote.test/unused")
        .await
        .is_ok_and(|c| !c));
    assert!(e
        .app
        .cache_emoji("remote.test/no_icon")
        .await
        .is_ok_and(|c| !c));
}

#[tokio::test]
async fn remote_profiles_show_their_emoji() {
    let e = env(7).await;
    e.serve(
        "http://remote.test/e/cat.png",
        StatusCode::OK,
        "image/png",
        png(8, 8),
    );
    // GoToSocial's shape (from the corpus), on bob's name and bio.
    let gts = corpus("gotosocial/account_to_aswith_emoji.json");
    let mut tag = gts["tag"]
        .as_array()
        .map(|a| a[0].clone())
        .unwrap_or_else(|| gts["tag"].clone());
    assert_eq!(tag["type"], "Emoji");
    let name = tag["name"].as_str().unwrap().to_owned();
    tag["icon"]["url"] = json!("http://remote.test/e/cat.png");
    let key = e.person(
        BOB,
        json!({"name": format!("Bob {name}"), "summary": "<p>plain</p>", "tag": [tag]}),
    );
    let n = note(3, "<p>hello</p>", json!([]));
    e.create(&n, BOB, &key).await;
    let st = e.status_entity(n["id"].as_str().unwrap()).await;
    assert_eq!(st["emojis"], json!([]));
    assert_eq!(
        st["account"]["emojis"][0]["shortcode"],
        name.trim_matches(':'),
        "{st}"
    );
}

#[tokio::test]
async fn emoji_reactions_count_as_favourites() {
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    let (alice, _) = {
        let a = e.app.create_account("alice", None, false).await.unwrap();
        (a, ())
    };
    let s = e
        .app
        .post_status(
            alice.id,
            reference_server::app::NewStatus {
                text: "react to me".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let path = format!("/api/v1/statuses/{}", s.id);
    // Pleroma's EmojiReact, in the corpus fixture's shape.
    let mut react = corpus("pleroma/pleroma-fixture_emoji-reaction.json");
    react["actor"] = json!(BOB);
    react["id"] = json!(format!("{BOB}#reactions/1"));
    react["object"] = json!(s.uri);
    react.as_object_mut().unwrap().remove("signature");
    assert_eq!(e.deliver(&react, &key, BOB).await, StatusCode::ACCEPTED);
    assert_eq!(e.get_json(&path).await["favourites_count"], 1);
    // Its Undo.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#reactions/1/undo"), "type": "Undo", "actor": BOB, "object": react,
    });
    assert_eq!(e.deliver(&undo, &key, BOB).await, StatusCode::ACCEPTED);
    assert_eq!(e.get_json(&path).await["favourites_count"], 0);
    // Misskey's Like with `_misskey_reaction` (the corpus fixture's shape).
    let mut like = corpus("misskey/pleroma-fixture_misskey-like.json");
    like["actor"] = json!(BOB);
    like["id"] = json!(format!("{BOB}/likes/1"));
    like["object"] = json!(s.uri);
    assert_eq!(e.deliver(&like, &key, BOB).await, StatusCode::ACCEPTED);
    let st = e.get_json(&path).await;
    assert_eq!(st["favourites_count"], 1);
    let n = e
        .get_json(&format!("/api/v1/statuses/{}/favourited_by", s.id))
        .await;
    assert_eq!(n[0]["acct"], "bob@remote.test");
}

#[tokio::test]
async fn fixtures_of_other_servers_keep_their_emoji() {
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    e.serve(
        "http://remote.test/e/x.png",
        StatusCode::OK,
        "image/png",
        png(8, 8),
    );
    for (i, software) in ["mastodon", "pleroma", "misskey"].into_iter().enumerate() {
        let mut n = fixture(&format!("{software}/note.json"));
        n["id"] = json!(format!("{BOB}/statuses/fixture-{i}"));
        n["attributedTo"] = json!(BOB);
        e.create(&n, BOB, &key).await;
        let st = e.status_entity(n["id"].as_str().unwrap()).await;
        assert_eq!(
            st["emojis"].as_array().unwrap().len(),
            1,
            "{software}: {st}"
        );
        assert_eq!(st["emojis"][0]["shortcode"], "blobfox", "{software}");
    }
}
