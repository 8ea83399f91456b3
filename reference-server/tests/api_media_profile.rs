//! Media through the client API, in process: avatars and headers (resized as Mastodon does,
//! removable, default images that exist), the cleanup of unattached uploads by the test
//! clock, and the HTML pages with media (alt text, sensitive media behind a click).
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::json;
use support::media::*;
use support::*;

#[tokio::test]
async fn avatar_and_header_are_resized_and_removable() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let before = get(&app, "/api/v1/accounts/verify_credentials", Some(&t)).await;
    assert_eq!(
        before.body["avatar"],
        format!("{BASE}/avatars/original/missing.png")
    );
    assert_eq!(
        before.body["header_static"],
        format!("{BASE}/headers/original/missing.png")
    );
    // The default images exist.
    for (url, size) in [
        (before.body["avatar"].as_str().unwrap(), (400, 400)),
        (before.body["header"].as_str().unwrap(), (1500, 500)),
    ] {
        let f = fetch(&app, url).await;
        assert_eq!(f.status(), StatusCode::OK, "{url}");
        assert_eq!(f.headers()["content-type"], "image/png");
        let img = decoded(f.body());
        assert_eq!((img.width(), img.height()), size, "{url}");
    }
    let a = send_multipart(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        &[("display_name", "Alice")],
        &[
            ("avatar", "me.png", &png(900, 600)),
            ("header", "wide.png", &png(2000, 1000)),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["display_name"], "Alice");
    let avatar = a.body["avatar"].as_str().unwrap().to_owned();
    assert!(
        avatar.starts_with(&format!("{BASE}/media/accounts/")),
        "{avatar}"
    );
    assert_eq!(
        a.body["avatar_static"], a.body["avatar"],
        "a still image is its own static version"
    );
    let img = decoded(fetch(&app, &avatar).await.body());
    assert_eq!((img.width(), img.height()), (400, 400));
    let img = decoded(fetch(&app, a.body["header"].as_str().unwrap()).await.body());
    assert_eq!((img.width(), img.height()), (1500, 500));
    // Not an image: 422, the avatar unchanged.
    let bad = send_multipart(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        &[],
        &[("avatar", "x.png", b"nope")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = get(&app, "/api/v1/accounts/verify_credentials", Some(&t)).await;
    assert_eq!(now.body["avatar"], avatar.as_str());
    // Removed: the default again, and the file gone.
    let d = call(&app, Method::DELETE, "/api/v1/profile/avatar", Some(&t)).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert_eq!(
        d.body["avatar"],
        format!("{BASE}/avatars/original/missing.png")
    );
    assert!(d.body["header"]
        .as_str()
        .unwrap()
        .contains("/media/accounts/"));
    assert_eq!(fetch(&app, &avatar).await.status(), StatusCode::NOT_FOUND);
    let d = call(&app, Method::DELETE, "/api/v1/profile/header", Some(&t)).await;
    assert_eq!(
        d.body["header"],
        format!("{BASE}/headers/original/missing.png")
    );
}

#[tokio::test]
async fn unattached_uploads_older_than_a_day_are_swept() {
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_800_000_000_000));
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::new()),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let (_, t) = user(&app, "alice").await;
    let old = uploaded(&app, &t).await;
    let kept = uploaded(&app, &t).await;
    post(&app, &t, json!({"status": "kept", "media_ids": [kept]})).await;
    clock.advance(Duration::from_secs(23 * 3600));
    assert_eq!(
        app.sweep_unattached_media().await.unwrap(),
        0,
        "not a day old yet"
    );
    let young = uploaded(&app, &t).await;
    clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(app.sweep_unattached_media().await.unwrap(), 1);
    assert_eq!(
        get(&app, &format!("/api/v1/media/{old}"), Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("/api/v1/media/{young}"), Some(&t))
            .await
            .status,
        StatusCode::OK
    );
    let files: Vec<String> = app
        .media()
        .list("media_attachments/", None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key.to_string())
        .collect();
    assert!(files.iter().all(|k| !k.contains(&old)), "{files:?}");
    assert!(files.iter().any(|k| k.contains(&kept)) && files.iter().any(|k| k.contains(&young)));
    assert_eq!(app.sweep_unattached_media().await.unwrap(), 0);
}

#[tokio::test]
async fn pages_show_media_with_alt_text_and_sensitive_media_behind_a_click() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let m = upload_v1(&app, &t, &[("description", "A \"quoted\" <sheep>")]).await;
    let s = post(
        &app,
        &t,
        json!({"status": "look", "media_ids": [m.body["id"]]}),
    )
    .await;
    let router = Router::new(app.clone());
    let page = |path: String| {
        let router = router.clone();
        async move {
            let r = router
                .handle(http::Request::get(path).body(Bytes::new()).unwrap(), None)
                .await;
            String::from_utf8(r.body().to_vec()).unwrap()
        }
    };
    let html = page(format!("/@alice/{}", s["id"].as_str().unwrap())).await;
    let url = m.body["url"].as_str().unwrap();
    assert!(html.contains(&format!("src=\"{url}\"")), "{html}");
    assert!(
        html.contains("alt=\"A &quot;quoted&quot; &lt;sheep&gt;\""),
        "{html}"
    );
    assert!(!html.contains("<details class=\"sensitive\""));
    let m2 = uploaded(&app, &t).await;
    let s2 = post(
        &app,
        &t,
        json!({"status": "careful", "media_ids": [m2], "sensitive": true}),
    )
    .await;
    let html = page(format!("/@alice/{}", s2["id"].as_str().unwrap())).await;
    assert!(
        html.contains("<details class=\"sensitive\"><summary>"),
        "{html}"
    );
    let profile = page("/@alice".into()).await;
    assert!(
        profile.contains("missing.png"),
        "the avatar is shown: {profile}"
    );
}

/// The unattached list is in the store: uploads made before a restart are swept after it,
/// files too; what a crashed run left in the work directory is cleared when the instance
/// opens.
#[tokio::test]
async fn the_sweep_survives_a_restart() {
    use fedi_storage::media::fs::FsMediaStore;
    use fedi_storage::sled::SledStore;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_800_000_000_000));
    let open = |clock: ManualClock| {
        let data = data.clone();
        async move {
            let config = Config {
                base_url: BASE.into(),
                data_dir: data.clone(),
                ..Config::default()
            };
            let store = Arc::new(SledStore::open(data.join("db")).unwrap());
            let media = Arc::new(FsMediaStore::open(data.join("media")).await.unwrap());
            let app = App::with_media(
                config,
                store.clone(),
                media,
                Arc::new(MemoryNetwork::new()),
                Some(Arc::new(clock)),
            )
            .await
            .unwrap();
            (app, store)
        }
    };
    let (app, store) = open(clock.clone()).await;
    assert_eq!(app.media_work_dir(), data.join("media-work"));
    let (_, t) = user(&app, "alice").await;
    let id = uploaded(&app, &t).await;
    assert!(std::fs::read_dir(data.join("media/media_attachments"))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy() == id));
    store.flush().await.unwrap();
    drop(app);
    drop(store);
    // A crashed run's leftovers in the work directory.
    std::fs::write(data.join("media-work/upload-left-behind"), b"half").unwrap();

    clock.advance(Duration::from_secs(25 * 3600));
    let (app, _store) = open(clock.clone()).await;
    assert_eq!(std::fs::read_dir(app.media_work_dir()).unwrap().count(), 0);
    assert_eq!(app.sweep_unattached_media().await.unwrap(), 1);
    assert!(app
        .media()
        .list("media_attachments/", None, 10)
        .await
        .unwrap()
        .is_empty());
}

/// An animated GIF of `frames` frames.
fn animated_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for i in 0..frames {
            let img = RgbaImage::from_fn(width, height, |x, y| {
                Rgba([((x + i * 50) % 256) as u8, (y % 256) as u8, 40, 255])
            });
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                image::Delay::from_numer_denom_ms(100, 1),
            ))
            .unwrap();
        }
    }
    out
}

/// An animated avatar keeps its animation, and `avatar_static` is a still image of it.
#[tokio::test]
async fn an_animated_avatar_has_a_static_version() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let a = send_multipart(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        &[],
        &[("avatar", "spin.gif", &animated_gif(120, 120, 3))],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let (avatar, still) = (
        a.body["avatar"].as_str().unwrap(),
        a.body["avatar_static"].as_str().unwrap(),
    );
    assert_ne!(avatar, still);
    let animated = fetch(&app, avatar).await;
    assert_eq!(animated.status(), StatusCode::OK);
    assert_eq!(animated.headers()["content-type"], "image/gif");
    let frames =
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(animated.body().to_vec()))
            .map(|d| image::AnimationDecoder::into_frames(d).count())
            .unwrap();
    assert!(frames > 1, "{frames} frames");
    let img = decoded(fetch(&app, still).await.body());
    assert_eq!((img.width(), img.height()), (400, 400));
}
