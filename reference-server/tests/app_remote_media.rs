//! Remote media in the instance, in process on the in-memory network:
//!
//! - real documents of the shared corpus (PeerTube `Video`, Pixelfed note, Funkwhale `Audio`,
//!   Mobilizon `Event`, Lemmy `Page`, Plume `Article`, GoToSocial and Pleroma notes with
//!   attachments) delivered in a signed `Create` each become a status in the client API,
//!   with the text, content warning and attachments the file says (values read from the
//!   files at run time);
//! - the cache: a remote image is fetched, stored under `cache/` and served here (the
//!   entity's `url` local, `remote_url` the original); an HTML page, an SVG and a file over
//!   the size limit are refused and the entity keeps the remote URL; the retention cleanup
//!   deletes the copy and the entity shows the remote URL again; remote avatars are cached
//!   and a new avatar replaces the old copy.
#![allow(clippy::unwrap_used)]

use crate::remote_peer;

use std::io::Cursor;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use activitypub_core::{media, AnyObject};
use fedi_storage::media::MediaKey;
use http::StatusCode;
use remote_peer::{env, png, Env, PUBLIC};
use serde_json::{json, Value};

fn corpus(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/objects")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The object of a corpus document (itself, or the object of its `Create`), moved from
/// `https://host` to `http://host` so that the in-memory network serves its origin.
fn object_of(path: &str, host: &str) -> Value {
    let text = corpus(path).replace(&format!("https://{host}"), &format!("http://{host}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    match doc.get("object") {
        Some(o) if o.is_object() && doc["type"] == "Create" => o.clone(),
        _ => doc,
    }
}

/// Text of HTML: tags dropped, the common entities decoded, whitespace collapsed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn string(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}

/// The page a converted object links to, read from the file: the `text/html` `url` entry,
/// else the `url` string, else the id.
fn page_of(o: &Value) -> String {
    let html = |l: &Value| {
        let t = l["mediaType"].as_str().or(l["mimeType"].as_str());
        t.is_some_and(|t| t.starts_with("text/html"))
    };
    match &o["url"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .find(|l| html(l))
            .and_then(|l| l["href"].as_str())
            .or(a.first().and_then(|l| l.as_str().or(l["href"].as_str())))
            .unwrap()
            .to_owned(),
        Value::Object(l) => l["href"].as_str().unwrap().to_owned(),
        _ => o["id"].as_str().unwrap().to_owned(),
    }
}

/// The URL of an attachment as the file gives it (string, `Link`, or its first entry).
fn attachment_url(a: &Value) -> String {
    let raw = match &a["url"] {
        Value::String(s) => s.clone(),
        Value::Object(l) => l["href"].as_str().unwrap().to_owned(),
        Value::Array(l) => l[0].as_str().or(l[0]["href"].as_str()).unwrap().to_owned(),
        _ => a["href"].as_str().or(a.as_str()).unwrap().to_owned(),
    };
    url::Url::parse(&raw).unwrap().to_string()
}

/// Delivers a corpus object and checks the status the API shows against the file.
async fn corpus_post(path: &str, host: &str) -> Value {
    let e = env(7).await;
    let mut object = object_of(path, host);
    // Addressing is not under test here: make it public so the anonymous API shows it.
    let public = [&object["to"], &object["cc"]].iter().any(|v| {
        v.as_str() == Some(PUBLIC) || v.as_array().is_some_and(|a| a.contains(&json!(PUBLIC)))
    });
    if !public {
        object["cc"] = json!([PUBLIC]);
    }
    let typed: AnyObject = serde_json::from_value(object.clone()).unwrap();
    let signer = media::author_of(&typed, "").unwrap().as_str().to_owned();
    let key = e.person(&signer, json!({}));
    e.create(&object, &signer, &key).await;
    let uri = object["id"].as_str().unwrap();
    let st = e.status_entity(uri).await;
    let kind = object["type"].as_str().unwrap();
    let converted = kind != "Note";

    // The text: `content`, else (converted) `name`; a converted object links its page.
    let content = text_of(st["content"].as_str().unwrap());
    let expected = string(&object["content"])
        .or_else(|| converted.then(|| string(&object["name"])).flatten())
        .map(|t| text_of(&t));
    // (An old Lemmy page has neither: its text is only the link to its page.)
    assert!(
        expected.is_some() || converted,
        "{path}: a note without text"
    );
    if let Some(expected) = expected {
        let start: String = expected.chars().take(40).collect();
        assert!(
            content.contains(&start),
            "{path}: {content:?} should contain {start:?}"
        );
    }
    if converted {
        let page = page_of(&object);
        assert!(
            st["content"]
                .as_str()
                .unwrap()
                .contains(&format!("href=\"{page}\"")),
            "{path}: the page {page} is linked: {}",
            st["content"]
        );
    }
    // The content warning: `summary`.
    let cw = string(&object["summary"])
        .map(|s| text_of(&s))
        .unwrap_or_default();
    assert_eq!(st["spoiler_text"], cw, "{path}");

    // The attachments: each of the file's media, with its URL and description.
    let media = st["media_attachments"].as_array().unwrap().clone();
    let listed: Vec<Value> = match &object["attachment"] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    if !listed.is_empty() {
        assert_eq!(media.len(), listed.len(), "{path}: {media:?}");
        for (got, want) in media.iter().zip(&listed) {
            assert_eq!(got["remote_url"], attachment_url(want), "{path}");
            // Not cached (its host is not served): the entity shows the remote URL.
            assert_eq!(got["url"], got["remote_url"], "{path}");
            let description = string(&want["name"]).or_else(|| string(&want["summary"]));
            assert_eq!(got["description"], json!(description), "{path}");
            if let Some(h) = want["blurhash"].as_str() {
                assert_eq!(got["blurhash"], h, "{path}");
            }
            if let Some(f) = want["focalPoint"].as_array() {
                assert_eq!(got["meta"]["focus"]["x"].as_f64(), f[0].as_f64(), "{path}");
                assert_eq!(got["meta"]["focus"]["y"].as_f64(), f[1].as_f64(), "{path}");
            }
        }
    }
    st
}

#[tokio::test]
async fn a_peertube_video_is_a_status_with_its_video_and_thumbnail() {
    let path = "peertube/video.json";
    let st = corpus_post(path, "tilvids.com").await;
    let object = object_of(path, "tilvids.com");
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{st}");
    assert_eq!(media[0]["type"], "video");
    // One of the file's MP4 renditions, with one of its thumbnails as the preview.
    let text = object.to_string();
    let video = media[0]["remote_url"].as_str().unwrap();
    assert!(video.ends_with(".mp4") && text.contains(video), "{video}");
    let preview = media[0]["preview_remote_url"].as_str().unwrap();
    let icons: Vec<&str> = object["icon"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["url"].as_str())
        .collect();
    assert!(icons.contains(&preview), "{preview} in {icons:?}");
    // Attributed to the account and its channel: the account is the author.
    assert_eq!(
        st["account"]["url"],
        "http://tilvids.com/accounts/thelinuxexperiment"
    );
}

#[tokio::test]
async fn a_pixelfed_note_keeps_its_image() {
    corpus_post(
        "pixelfed/pixelfed-test_note_pixelfed-social_2018.json",
        "pixelfed.social",
    )
    .await;
}

#[tokio::test]
async fn a_funkwhale_audio_is_a_status_with_its_sound() {
    let path = "funkwhale/pleroma-fixture_funkwhale_audio.json";
    let st = corpus_post(path, "channels.tests.funkwhale.audio").await;
    let object = object_of(path, "channels.tests.funkwhale.audio");
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{st}");
    assert_eq!(media[0]["type"], "audio");
    let ogg = object["url"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mimeType"] == "audio/ogg")
        .and_then(|l| l["href"].as_str())
        .unwrap();
    assert_eq!(
        media[0]["remote_url"],
        url::Url::parse(ogg).unwrap().to_string()
    );
}

#[tokio::test]
async fn a_mobilizon_event_is_a_status() {
    corpus_post("mobilizon/event.json", "rendezvous.nomagic.uk").await;
}

#[tokio::test]
async fn a_lemmy_page_and_a_plume_article_are_statuses() {
    corpus_post("lemmy/page.json", "enterprise.lemmy.ml").await;
    corpus_post(
        "plume/pleroma-fixture_baptiste.gelex.xyz-article.json",
        "baptiste.gelez.xyz",
    )
    .await;
}

#[tokio::test]
async fn a_lemmy_page_shows_its_image() {
    // Lemmy's thumbnail is the Page's `image`; with no attachment it is shown as one.
    let path = "lemmy/pleroma-fixture_lemmy-page.json";
    let st = corpus_post(path, "enterprise.lemmy.ml").await;
    let object = object_of(path, "enterprise.lemmy.ml");
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{st}");
    assert_eq!(media[0]["type"], "image");
    assert_eq!(media[0]["remote_url"], object["image"]["url"]);
    // An attachment Link at the same URL as `image` is that image.
    let st = corpus_post("lemmy/page.json", "enterprise.lemmy.ml").await;
    assert_eq!(st["media_attachments"][0]["type"], "image", "{st}");
}

#[tokio::test]
async fn gotosocial_and_pleroma_notes_keep_their_attachments() {
    corpus_post(
        "gotosocial/status_with_tags_to_asfrom_db.json",
        "localhost:8080",
    )
    .await;
    let st = corpus_post(
        "pleroma/pixelfed-test_create_pleroma-site_2018.json",
        "pleroma.site",
    )
    .await;
    assert_eq!(st["media_attachments"].as_array().unwrap().len(), 2);
}

const BOB: &str = "http://remote.test/users/bob";

/// A note of bob's with these attachments, delivered; its status entity.
async fn note_with(e: &Env, key: &http_sig::PrivateKey, n: u32, attachments: Value) -> Value {
    let uri = format!("{BOB}/statuses/{n}");
    let note = json!({
        "id": uri, "type": "Note", "attributedTo": BOB, "content": "<p>pictures</p>",
        "to": [PUBLIC], "published": "2026-11-22T10:00:00Z", "attachment": attachments,
    });
    e.create(&note, BOB, key).await;
    e.status_entity(&uri).await
}

/// Polls (bounded) until the attachment `i` of status `uri` is cached; its entity.
async fn cached(e: &Env, uri: &str, i: usize) -> Value {
    let start = Instant::now();
    loop {
        let st = e.status_entity(uri).await;
        let m = st["media_attachments"][i].clone();
        if m["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://wool.test/media/cache/"))
        {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not cached in time: {m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn remote_files_are_cached_checked_and_expire() {
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    let picture = png(120, 80);
    e.serve(
        "http://files.test/a.png",
        StatusCode::OK,
        "image/png",
        picture.clone(),
    );
    e.serve(
        "http://files.test/page.png",
        StatusCode::OK,
        "text/html; charset=utf-8",
        "<html><body>not a picture</body></html>",
    );
    e.serve(
        "http://files.test/c.svg",
        StatusCode::OK,
        "image/svg+xml",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    );
    // Over Mastodon's 16 MB image limit.
    let mut big = png(10, 10);
    big.resize(17 * 1024 * 1024, 0);
    e.serve(
        "http://files.test/big.png",
        StatusCode::OK,
        "image/png",
        big,
    );
    let st = note_with(
        &e,
        &key,
        1,
        json!([
            {"type": "Document", "mediaType": "image/png", "url": "http://files.test/a.png",
             "name": "A gradient", "focalPoint": [0.25, 0.5]},
            {"type": "Document", "mediaType": "image/png", "url": "http://files.test/page.png"},
            {"type": "Document", "mediaType": "image/svg+xml", "url": "http://files.test/c.svg"},
            {"type": "Document", "mediaType": "image/png", "url": "http://files.test/big.png"},
        ]),
    )
    .await;
    let uri = st["uri"].as_str().unwrap().to_owned();
    let media = st["media_attachments"].as_array().unwrap().clone();
    assert_eq!(media.len(), 4, "{st}");

    // The picture: cached and served here, the same image; a blurhash made here.
    let a = cached(&e, &uri, 0).await;
    assert_eq!(a["remote_url"], "http://files.test/a.png");
    assert_eq!(a["description"], "A gradient");
    assert!(a["blurhash"].as_str().is_some_and(|h| h.len() > 5), "{a}");
    let (status, body) = e.get(a["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let img = image::load_from_memory(&body).unwrap();
    assert_eq!((img.width(), img.height()), (120, 80));
    assert!(a["preview_url"]
        .as_str()
        .unwrap()
        .starts_with("http://wool.test/media/cache/"));

    // The others are refused; their entities keep the remote URLs.
    for (i, url) in [
        (1, "http://files.test/page.png"),
        (2, "http://files.test/c.svg"),
        (3, "http://files.test/big.png"),
    ] {
        let id: u64 = media[i]["id"].as_str().unwrap().parse().unwrap();
        assert!(
            e.app.cache_media(id).await.is_err(),
            "{url} must be refused"
        );
        let st = e.status_entity(&uri).await;
        assert_eq!(st["media_attachments"][i]["url"], url);
        assert_eq!(st["media_attachments"][i]["remote_url"], url);
    }

    // Retention: after 8 days the copy goes, the record stays with its remote URL.
    let id: u64 = a["id"].as_str().unwrap().parse().unwrap();
    let record = e.app.media_attachment(id).await.unwrap();
    let file_key = record.file.as_ref().unwrap().key.clone();
    assert!(file_key.starts_with("cache/"), "{file_key}");
    e.clock.advance(Duration::from_secs(6 * 24 * 3600));
    assert_eq!(
        e.app.sweep_media_cache().await.unwrap(),
        0,
        "young copies stay"
    );
    e.clock.advance(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(e.app.sweep_media_cache().await.unwrap(), 1);
    assert!(e
        .app
        .media()
        .head(&MediaKey::new(&file_key).unwrap())
        .await
        .unwrap()
        .is_none());
    let st = e.status_entity(&uri).await;
    assert_eq!(st["media_attachments"][0]["url"], "http://files.test/a.png");
    assert_eq!(st["media_attachments"][0]["description"], "A gradient");
}

#[tokio::test]
async fn retention_zero_keeps_cached_files() {
    let e = env(0).await;
    let key = e.person(BOB, json!({}));
    e.serve(
        "http://files.test/a.png",
        StatusCode::OK,
        "image/png",
        png(30, 20),
    );
    let st = note_with(
        &e,
        &key,
        2,
        json!({"type": "Image", "mediaType": "image/png", "url": "http://files.test/a.png"}),
    )
    .await;
    let a = cached(&e, st["uri"].as_str().unwrap(), 0).await;
    e.clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(e.app.sweep_media_cache().await.unwrap(), 0);
    let st = e.status_entity(st["uri"].as_str().unwrap()).await;
    assert_eq!(st["media_attachments"][0]["url"], a["url"]);
}

/// Polls (bounded) until the account entity's avatar is a cached copy other than `not`.
async fn cached_avatar(e: &Env, id: u64, not: &str) -> Value {
    let start = Instant::now();
    loop {
        let (_, body) = e.get(&format!("/api/v1/accounts/{id}")).await;
        let acc: Value = serde_json::from_slice(&body).unwrap();
        let url = acc["avatar"].as_str().unwrap_or_default();
        if url.starts_with("http://wool.test/media/cache/") && url != not {
            return acc;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not cached in time: {acc}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn remote_avatars_and_headers_are_kept_cached_and_replaced() {
    let e = env(7).await;
    e.serve(
        "http://files.test/face1.png",
        StatusCode::OK,
        "image/png",
        png(64, 64),
    );
    e.serve(
        "http://files.test/face2.png",
        StatusCode::OK,
        "image/png",
        png(50, 80),
    );
    e.serve(
        "http://files.test/banner.png",
        StatusCode::OK,
        "image/png",
        png(300, 100),
    );
    let key = e.person(
        BOB,
        json!({
            "icon": {"type": "Image", "mediaType": "image/png", "url": "http://files.test/face1.png"},
            // A header as a bare URL (some servers send it so).
            "image": "http://files.test/banner.png",
        }),
    );
    let bob = e.app.resolve_actor(BOB).await.unwrap();
    assert_eq!(bob.avatar.as_deref(), Some("http://files.test/face1.png"));
    assert_eq!(bob.header.as_deref(), Some("http://files.test/banner.png"));
    let acc = cached_avatar(&e, bob.id, "").await;
    let first = acc["avatar"].as_str().unwrap().to_owned();
    let (status, body) = e.get(&first).await;
    assert_eq!(status, StatusCode::OK);
    let img = image::load_from_memory(&body).unwrap();
    assert_eq!(img.width(), img.height(), "cropped square as an avatar");
    // The header too, in time.
    let start = Instant::now();
    loop {
        let (_, body) = e.get(&format!("/api/v1/accounts/{}", bob.id)).await;
        let acc: Value = serde_json::from_slice(&body).unwrap();
        if acc["header"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://wool.test/media/cache/"))
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "header not cached: {acc}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A new avatar in an Update: the old copy is deleted, the new one cached.
    let old_key = e
        .app
        .account(bob.id)
        .await
        .unwrap()
        .avatar_file
        .unwrap()
        .key;
    let mut person: Value =
        serde_json::from_slice(&e.files.lock().unwrap()["remote.test/users/bob"].2).unwrap();
    person["icon"] =
        json!({"type": "Image", "mediaType": "image/png", "url": "http://files.test/face2.png"});
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}#updates/1"), "type": "Update", "actor": BOB,
        "to": [PUBLIC], "object": person,
    });
    assert_eq!(e.deliver(&update, &key, BOB).await, StatusCode::ACCEPTED);
    let acc = cached_avatar(&e, bob.id, &first).await;
    assert_ne!(acc["avatar"], first.as_str());
    assert!(e
        .app
        .media()
        .head(&MediaKey::new(&old_key).unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_remote_animated_gif_is_cached_as_gifv() {
    use image::codecs::gif::{GifEncoder, Repeat};
    if reference_server::media::av::tools().is_none() {
        eprintln!("SKIPPED a_remote_animated_gif_is_cached_as_gifv: ffmpeg/ffprobe not on PATH");
        return;
    }
    let mut gif = Vec::new();
    {
        let mut enc = GifEncoder::new(Cursor::new(&mut gif));
        enc.set_repeat(Repeat::Infinite).unwrap();
        for i in 0..4u32 {
            let img = image::RgbaImage::from_fn(40, 30, |x, y| {
                image::Rgba([(x * 6 + i * 50) as u8, (y * 8) as u8, 90, 255])
            });
            let delay = image::Delay::from_numer_denom_ms(100, 1);
            enc.encode_frame(image::Frame::from_parts(img, 0, 0, delay))
                .unwrap();
        }
    }
    let e = env(7).await;
    let key = e.person(BOB, json!({}));
    e.serve(
        "http://files.test/anim.gif",
        StatusCode::OK,
        "image/gif",
        gif,
    );
    let st = note_with(
        &e,
        &key,
        3,
        json!([{"type": "Document", "mediaType": "image/gif", "url": "http://files.test/anim.gif"}]),
    )
    .await;
    let m = cached(&e, st["uri"].as_str().unwrap(), 0).await;
    // As the processed file is: an H.264 video, typed gifv as Mastodon types it.
    assert_eq!(m["type"], "gifv", "{m}");
    assert!(m["url"].as_str().unwrap().ends_with(".mp4"), "{m}");
}
