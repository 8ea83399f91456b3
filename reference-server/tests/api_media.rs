//! Media through the client API, in process: uploads (v1 awaited, v2 in the background),
//! their shapes, description and focus, errors, deletion, attaching to statuses with
//! Mastodon's rules, edits, `only_media` and the instance's limits. The images are encoded at
//! test time by the `image` crate. Avatars, headers, the cleanup job and pages:
//! `api_media_profile.rs`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::time::Duration;

use fedi_storage::KvStoreExt;
use http::{Method, StatusCode};
use reference_server::App;
use serde_json::{json, Value};
use support::media::*;
use support::*;

#[tokio::test]
async fn v1_upload_is_processed_and_shaped_like_mastodons() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let a = upload_v1(
        &app,
        &t,
        &[("description", "A gradient"), ("focus", "-0.5,0.25")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let m = &a.body;
    for key in [
        "id",
        "type",
        "url",
        "preview_url",
        "remote_url",
        "preview_remote_url",
        "text_url",
        "meta",
        "description",
        "blurhash",
    ] {
        assert!(m.get(key).is_some(), "{key} missing: {m}");
    }
    assert!(m["id"].is_string());
    assert_eq!(m["type"], "image");
    assert_eq!(m["description"], "A gradient");
    assert!(m["remote_url"].is_null() && m["text_url"].is_null());
    assert_eq!(m["meta"]["focus"], json!({"x": -0.5, "y": 0.25}));
    assert_eq!(m["meta"]["original"]["width"], 64);
    assert_eq!(m["meta"]["original"]["height"], 48);
    assert!(m["blurhash"].as_str().is_some_and(|b| !b.is_empty()));
    let url = m["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{BASE}/media/media_attachments/{}/original.",
            m["id"].as_str().unwrap()
        )),
        "{url}"
    );
    // The file is served, and is the picture.
    let file = fetch(&app, url).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(file.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/"));
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    let img = decoded(file.body());
    assert_eq!((img.width(), img.height()), (64, 48));
    let preview = fetch(&app, m["preview_url"].as_str().unwrap()).await;
    assert_eq!(preview.status(), StatusCode::OK);
    // GET gives the same entity, 200 once processed.
    let got = get(
        &app,
        &format!("/api/v1/media/{}", m["id"].as_str().unwrap()),
        Some(&t),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(&got.body, m);
}

#[tokio::test]
async fn v2_upload_answers_202_while_processing_then_get_gives_200() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let a = send_multipart(
        &app,
        Method::POST,
        "/api/v2/media",
        Some(&t),
        &[("description", "later")],
        &[("file", "p.png", &png(300, 200))],
    )
    .await;
    // Processing runs in the background: the answer comes before it is done (202, `url`
    // null), unless it was already done (200).
    match a.status {
        StatusCode::ACCEPTED => assert!(a.body["url"].is_null(), "{}", a.text),
        StatusCode::OK => assert!(a.body["url"].is_string()),
        other => panic!("{other}: {}", a.text),
    }
    assert_eq!(a.body["description"], "later");
    let id = a.body["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let g = get(&app, &format!("/api/v1/media/{id}"), Some(&t)).await;
        match g.status {
            StatusCode::OK => {
                assert!(g.body["url"].is_string());
                assert_eq!(g.body["meta"]["original"]["width"], 300);
                break;
            }
            StatusCode::PARTIAL_CONTENT => assert!(g.body["url"].is_null()),
            other => panic!("{other}: {}", g.text),
        }
        assert!(std::time::Instant::now() < deadline, "still processing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An upload case: token, text fields, file parts, the status expected.
type Case<'a> = (
    Option<&'a str>,
    Vec<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str, &'a [u8])>,
    StatusCode,
);

#[tokio::test]
async fn upload_errors_have_mastodons_statuses() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let (_, read_only) = user_with(&app, "reader", false, "read").await;
    let picture = png(8, 8);
    let cases: Vec<Case> = vec![
        // No token, a token without write:media.
        (
            None,
            vec![],
            vec![("file", "a.png", &picture)],
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(&read_only),
            vec![],
            vec![("file", "a.png", &picture)],
            StatusCode::FORBIDDEN,
        ),
        // No file.
        (
            Some(&t),
            vec![("description", "x")],
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // Not media: text, HTML, SVG.
        (
            Some(&t),
            vec![],
            vec![("file", "a.png", b"just some text")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&t),
            vec![],
            vec![("file", "a.png", b"<html><script>alert(1)</script></html>")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&t),
            vec![],
            vec![(
                "file",
                "a.svg",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // Focus out of range or malformed.
        (
            Some(&t),
            vec![("focus", "1.5,0")],
            vec![("file", "a.png", &picture)],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&t),
            vec![("focus", "left")],
            vec![("file", "a.png", &picture)],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (i, (token, text, files, want)) in cases.into_iter().enumerate() {
        for path in ["/api/v1/media", "/api/v2/media"] {
            let a = send_multipart(&app, Method::POST, path, token, &text, &files).await;
            assert_eq!(a.status, want, "case {i} {path}: {}", a.text);
            a.error();
        }
    }
    // A PNG cut short: v1 says so at once; v2 takes it (202) and GET says so once processed.
    let cut = &picture[..40];
    let a = send_multipart(
        &app,
        Method::POST,
        "/api/v1/media",
        Some(&t),
        &[],
        &[("file", "a.png", cut)],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    a.error();
    let a = send_multipart(
        &app,
        Method::POST,
        "/api/v2/media",
        Some(&t),
        &[],
        &[("file", "a.png", cut)],
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let path = format!("/api/v1/media/{}", a.body["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let g = get(&app, &path, Some(&t)).await;
        if g.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(g.error().contains("could not be processed"), "{}", g.text);
            break;
        }
        assert_eq!(g.status, StatusCode::PARTIAL_CONTENT, "{}", g.text);
        assert!(std::time::Instant::now() < deadline, "still processing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A description of 1,500 characters is taken, 1,501 is not.
    let long = "é".repeat(1_500);
    let a = upload_v1(&app, &t, &[("description", &long)]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let longer = "é".repeat(1_501);
    let a = upload_v1(&app, &t, &[("description", &longer)]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.error().contains("1500"), "{}", a.text);
    // Nothing half-written stays in the work directory.
    assert_eq!(std::fs::read_dir(app.media_work_dir()).unwrap().count(), 0);
}

#[tokio::test]
async fn put_and_delete_unattached_media() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let id = uploaded(&app, &t).await;
    let path = format!("/api/v1/media/{id}");
    let put = form(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        &[("description", "Now described"), ("focus", "0.1,-1")],
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["description"], "Now described");
    assert_eq!(put.body["meta"]["focus"], json!({"x": 0.1, "y": -1.0}));
    let bad = form(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        &[("description", &"x".repeat(1_501))],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = form(&app, Method::PUT, &path, Some(&t), &[("focus", "0,2")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another account's media is not found; neither is an unknown id.
    for (p, tok) in [
        (path.as_str(), &tb),
        ("/api/v1/media/12345", &t),
        ("/api/v1/media/abc", &t),
    ] {
        assert_eq!(
            get(&app, p, Some(tok)).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
        assert_eq!(
            call(&app, Method::DELETE, p, Some(tok)).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
        let put = form(&app, Method::PUT, p, Some(tok), &[("description", "x")]).await;
        assert_eq!(put.status, StatusCode::NOT_FOUND, "{p}");
    }
    let url = put.body["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&app, &url).await.status(), StatusCode::OK);
    let del = call(&app, Method::DELETE, &path, Some(&t)).await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.text);
    assert_eq!(del.body, json!({}));
    assert_eq!(
        get(&app, &path, Some(&t)).await.status,
        StatusCode::NOT_FOUND
    );
    // Its files went with it.
    assert_eq!(fetch(&app, &url).await.status(), StatusCode::NOT_FOUND);
    assert!(app
        .media()
        .list("media_attachments/", None, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn statuses_take_media_with_mastodons_rules() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let m1 = uploaded(&app, &t).await;
    let m2 = uploaded(&app, &t).await;
    // A post with media may have no text; attachments keep their order.
    let s = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "", "media_ids": [m2, m1], "sensitive": true}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(s.body["sensitive"], true);
    let attached: Vec<&str> = s.body["media_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(attached, [m2.as_str(), m1.as_str()]);
    assert_eq!(s.body["media_attachments"][0]["type"], "image");
    // The same through a form, and read back.
    let got = get(
        &app,
        &format!("/api/v1/statuses/{}", s.body["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(got.body["media_attachments"], s.body["media_attachments"]);
    // Attached media leave the upload endpoints (as on Mastodon) and cannot be deleted.
    assert_eq!(
        get(&app, &format!("/api/v1/media/{m1}"), Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let del = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/media/{m1}"),
        Some(&t),
    )
    .await;
    assert_eq!(del.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(del.error().contains("used by a status"));

    // Used twice, another's, unknown, not a number, five: 422 and no status.
    let mine = uploaded(&app, &t).await;
    let bobs = uploaded(&app, &tb).await;
    let five: Vec<String> = futures::future::join_all((0..5).map(|_| uploaded(&app, &t))).await;
    for (ids, why) in [
        (vec![m1.clone()], "not found or already attached"),
        (vec![bobs.clone()], "not found or already attached"),
        (vec!["999".to_owned()], "not found or already attached"),
        (vec!["x".to_owned()], "not found or already attached"),
        (five.clone(), "more than 4"),
    ] {
        let a = json(
            &app,
            Method::POST,
            "/api/v1/statuses",
            Some(&t),
            json!({"status": "try", "media_ids": ids}),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ids:?}: {}",
            a.text
        );
        assert!(a.error().contains(why), "{}", a.text);
    }
    // No text and no media is still blank.
    let blank = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": " "}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Media still processing cannot be attached.
    let processing = app.next_test_id();
    app.store()
        .kv_put_json(
            "media",
            processing.to_string().as_bytes(),
            &json!({"id": processing, "account_id": id_num(&s.body["account"]), "kind": "image", "state": "processing", "created_at": 1}),
        )
        .await
        .unwrap();
    let a = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "wait", "media_ids": [processing.to_string()]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.error().contains("not finished processing"), "{}", a.text);
    // Bob's upload is his to post; Alice's spare one is still hers.
    let b = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&tb),
        json!({"media_ids[]": [bobs]}),
    )
    .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(
        get(&app, &format!("/api/v1/media/{mine}"), Some(&t))
            .await
            .status,
        StatusCode::OK
    );

    // Deleting the status deletes its media, files too.
    let url = s.body["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(fetch(&app, &url).await.status(), StatusCode::OK);
    let d = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", s.body["id"].as_str().unwrap()),
        Some(&t),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["media_attachments"].as_array().unwrap().len(), 2);
    assert_eq!(fetch(&app, &url).await.status(), StatusCode::NOT_FOUND);
}

fn id_num(v: &Value) -> u64 {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// Test-only ids for records written directly.
trait TestIds {
    fn next_test_id(&self) -> u64;
}

impl TestIds for App {
    fn next_test_id(&self) -> u64 {
        (self.now().as_unix_millis() << 16) | 0xfff0
    }
}

#[tokio::test]
async fn edits_replace_media_and_describe_it_and_history_shows_each_version() {
    let app = instance().await;
    let (_, t) = user(&app, "alice").await;
    let m1 = uploaded(&app, &t).await;
    let m2 = uploaded(&app, &t).await;
    let s = post(&app, &t, json!({"status": "first", "media_ids": [m1]})).await;
    let sid = s["id"].as_str().unwrap();
    let path = format!("/api/v1/statuses/{sid}");
    // Text only: the media stay.
    let e = json(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        json!({"status": "second"}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    assert_eq!(e.body["media_attachments"][0]["id"], m1.as_str());
    // New media, with a description set through media_attributes.
    let e = json(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        json!({"status": "", "media_ids": [m1, m2], "media_attributes": [{"id": m2, "description": "the second", "focus": "0.5,0.5"}]}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    let media = e.body["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(media[1]["description"], "the second");
    assert_eq!(media[1]["meta"]["focus"], json!({"x": 0.5, "y": 0.5}));
    // Another status cannot take them.
    let other = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "x", "media_ids": [m2]}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Removing all media of a status with no text is blank.
    let blank = json(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        json!({"status": "", "media_ids": []}),
    )
    .await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.text
    );
    let e = json(
        &app,
        Method::PUT,
        &path,
        Some(&t),
        json!({"status": "text again", "media_ids": []}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    assert_eq!(e.body["media_attachments"], json!([]));
    let history = get(&app, &format!("{path}/history"), Some(&t)).await;
    let counts: Vec<usize> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["media_attachments"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [1, 1, 2, 0]);
}

#[tokio::test]
async fn only_media_filters_account_statuses_and_timelines() {
    let app = instance().await;
    let (alice, t) = user(&app, "alice").await;
    let mut with_media = Vec::new();
    for i in 0..3 {
        let m = uploaded(&app, &t).await;
        let s = post(
            &app,
            &t,
            json!({"status": format!("picture {i} #sheep"), "media_ids": [m]}),
        )
        .await;
        with_media.push(s["id"].as_str().unwrap().to_owned());
        for j in 0..4 {
            post(&app, &t, json!({"status": format!("words {i}.{j} #sheep")})).await;
        }
    }
    with_media.reverse();
    for path in [
        format!("/api/v1/accounts/{}/statuses", alice.id),
        "/api/v1/timelines/public".to_owned(),
        "/api/v1/timelines/public?local=true".to_owned(),
        "/api/v1/timelines/tag/sheep".to_owned(),
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let all = get(&app, &format!("{path}{sep}only_media=true"), Some(&t)).await;
        assert_eq!(all.status, StatusCode::OK, "{path}");
        assert_eq!(ids(&all.body), with_media, "{path}");
        // Paging walks the media statuses, two at a time.
        let first = get(
            &app,
            &format!("{path}{sep}only_media=true&limit=2"),
            Some(&t),
        )
        .await;
        assert_eq!(ids(&first.body), with_media[..2].to_vec(), "{path}");
        let link = first.header("link").unwrap().to_owned();
        let next = link.split('<').nth(1).unwrap().split('>').next().unwrap();
        let second = get(&app, next.strip_prefix(BASE).unwrap(), Some(&t)).await;
        assert_eq!(
            ids(&second.body),
            with_media[2..].to_vec(),
            "{path}: {next}"
        );
        let unfiltered = get(&app, &format!("{path}{sep}only_media=false"), Some(&t)).await;
        assert_eq!(unfiltered.body.as_array().unwrap().len(), 15, "{path}");
    }
}

#[tokio::test]
async fn instance_reports_the_real_limits_and_types() {
    let app = instance().await;
    for path in ["/api/v1/instance", "/api/v2/instance"] {
        let i = get(&app, path, None).await;
        let c = &i.body["configuration"];
        let media = &c["media_attachments"];
        let types: Vec<&str> = media["supported_mime_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for t in [
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
        ] {
            assert!(types.contains(&t), "{path}: {t}");
        }
        assert!(!types
            .iter()
            .any(|t| t.contains("svg") || t.contains("html")));
        assert_eq!(media["image_size_limit"], 16 * 1024 * 1024);
        assert_eq!(media["video_size_limit"], 99 * 1024 * 1024);
        assert_eq!(media["image_matrix_limit"], 33_177_600);
        assert_eq!(media["video_matrix_limit"], 8_294_400);
        assert_eq!(media["video_frame_rate_limit"], 120);
        assert_eq!(media["description_limit"], 1_500);
        assert_eq!(c["statuses"]["max_media_attachments"], 4);
    }
}
