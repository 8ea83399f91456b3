//! The instance's custom emoji, in process: added and removed through the admin operations
//! (what `woolly emoji` runs), their checks (shortcode, type from the bytes, Mastodon's
//! 256 KB limit, duplicates), `GET /api/v1/custom_emojis` on exact JSON, `:shortcode:` in a
//! toot, a display name and a bio becoming `emojis` in the entities and `Emoji` tags in the
//! `Note` and `Person` the server publishes, and the files served from the media store.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use base64::Engine as _;
use http::{Method, StatusCode};
use reference_server::http::admin::{execute, AdminRequest};
use reference_server::App;
use serde_json::{json, Value};
use support::media::{fetch, png};
use support::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn add(app: &App, shortcode: &str, bytes: &[u8], category: Option<&str>) -> Value {
    execute(
        app,
        AdminRequest::AddEmoji {
            shortcode: shortcode.into(),
            category: category.map(str::to_owned),
            image: b64(bytes),
            replace: false,
        },
    )
    .await
    .unwrap()
}

async fn add_err(app: &App, shortcode: &str, bytes: &[u8]) -> String {
    execute(
        app,
        AdminRequest::AddEmoji {
            shortcode: shortcode.into(),
            category: None,
            image: b64(bytes),
            replace: false,
        },
    )
    .await
    .unwrap_err()
    .to_string()
}

fn gif() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([200, 10, 10, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Gif).unwrap();
    out.into_inner()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([10, 200, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn custom_emojis_are_added_listed_and_removed() {
    let app = instance().await;
    let empty = get(&app, "/api/v1/custom_emojis", None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!([]));

    let cat = png(16, 16);
    let added = add(&app, "blobcat", &cat, Some("Blobs")).await;
    assert_eq!(added["shortcode"], "blobcat");
    assert_eq!(added["category"], "Blobs");
    assert_eq!(added["content_type"], "image/png");
    add(&app, "party_parrot", &gif(), None).await;

    let list = get(&app, "/api/v1/custom_emojis", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let url = list.body[0]["url"].as_str().unwrap().to_owned();
    let gif_url = list.body[1]["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{BASE}/media/custom_emojis/blobcat/")) && url.ends_with(".png"),
        "{url}"
    );
    assert!(gif_url.ends_with(".gif"), "{gif_url}");
    // Mastodon's shape: `category` only when the emoji has one.
    assert_eq!(
        list.body,
        json!([
            {"shortcode": "blobcat", "url": url, "static_url": url,
             "visible_in_picker": true, "category": "Blobs"},
            {"shortcode": "party_parrot", "url": gif_url, "static_url": gif_url,
             "visible_in_picker": true},
        ])
    );
    // The file is served from the media store, as uploaded.
    let file = fetch(&app, &url).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.body().as_ref(), cat.as_slice());

    // The admin listing.
    let listed = execute(&app, AdminRequest::ListEmoji).await.unwrap();
    let codes: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["blobcat", "party_parrot"]);

    // Removal deletes the record and the file.
    let removed = execute(
        &app,
        AdminRequest::RemoveEmoji {
            shortcode: ":blobcat:".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(removed, json!({"shortcode": "blobcat", "removed": true}));
    let again = execute(
        &app,
        AdminRequest::RemoveEmoji {
            shortcode: "blobcat".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(again["removed"], false);
    assert_eq!(fetch(&app, &url).await.status(), StatusCode::NOT_FOUND);
    let list = get(&app, "/api/v1/custom_emojis", None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["shortcode"], "party_parrot");
}

#[tokio::test]
async fn bad_emoji_are_refused_with_clear_errors() {
    let app = instance().await;
    let ok = png(8, 8);
    assert!(add_err(&app, "a", &ok).await.contains("not a shortcode"));
    assert!(add_err(&app, "blob-cat", &ok)
        .await
        .contains("not a shortcode"));
    assert!(add_err(&app, "blobcat", &jpeg())
        .await
        .contains("is image/jpeg, not PNG, GIF or WebP"));
    assert!(add_err(
        &app,
        "blobcat",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
    )
    .await
    .contains("not PNG, GIF or WebP"));
    // Mastodon's 256 KB limit: one byte over is refused.
    let mut big = png(8, 8);
    big.resize(256 * 1024 + 1, 0);
    let e = add_err(&app, "big", &big).await;
    assert!(e.contains("the limit is 256 KB"), "{e}");
    let mut at_limit = png(8, 8);
    at_limit.resize(256 * 1024, 0);
    add(&app, "at_limit", &at_limit, None).await;
    // A duplicate is refused unless replaced.
    add(&app, "blobcat", &ok, Some("Blobs")).await;
    assert!(add_err(&app, "blobcat", &ok)
        .await
        .contains("already exists"));
    let replaced = execute(
        &app,
        AdminRequest::AddEmoji {
            shortcode: "blobcat".into(),
            category: None,
            image: b64(&gif()),
            replace: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(replaced["content_type"], "image/gif");
    assert_eq!(replaced["category"], "Blobs");
    // Bad base64 is a bad request.
    let e = execute(
        &app,
        AdminRequest::AddEmoji {
            shortcode: "x_x".into(),
            category: None,
            image: "***".into(),
            replace: false,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    let list = get(&app, "/api/v1/custom_emojis", None).await;
    let codes: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["at_limit", "blobcat"]);
}

#[tokio::test]
async fn shortcodes_in_toots_and_profiles_become_emojis_and_tags() {
    let app = instance().await;
    let (alice, t) = user(&app, "alice").await;
    add(&app, "blobcat", &png(16, 16), None).await;
    add(&app, "ablobwave", &gif(), Some("Blobs")).await;
    let list = get(&app, "/api/v1/custom_emojis", None).await;
    let wave_url = list.body[0]["url"].as_str().unwrap().to_owned();
    let cat_url = list.body[1]["url"].as_str().unwrap().to_owned();

    // Unknown shortcodes and ones not bounded by non-word characters name nothing.
    let st = post(
        &app,
        &t,
        json!({"status": "hi :blobcat: :nope: x:ablobwave: (:blobcat:)", "spoiler_text": ":ablobwave:"}),
    )
    .await;
    assert_eq!(
        st["emojis"],
        json!([
            {"shortcode": "ablobwave", "url": wave_url, "static_url": wave_url, "visible_in_picker": true},
            {"shortcode": "blobcat", "url": cat_url, "static_url": cat_url, "visible_in_picker": true},
        ])
    );
    // The same from a read, and in a timeline page.
    let id = st["id"].as_str().unwrap();
    let read = get(&app, &format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(read.body["emojis"], st["emojis"]);
    let home = get(&app, "/api/v1/timelines/home", Some(&t)).await;
    assert_eq!(home.body[0]["emojis"], st["emojis"]);

    // The Note: one `Emoji` tag each, Mastodon's shape, and the `Emoji` term in @context.
    let s = app.status(id.parse().unwrap()).await.unwrap();
    let note = serde_json::to_value(app.status_document(&s).await.unwrap()).unwrap();
    let tags: Vec<&Value> = note["tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "Emoji")
        .collect();
    assert_eq!(tags.len(), 2, "{note}");
    let cat_tag = tags.iter().find(|t| t["name"] == ":blobcat:").unwrap();
    let keys: Vec<&str> = cat_tag
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "type", "name", "updated", "icon"]);
    assert_eq!(cat_tag["id"], format!("{BASE}/emojis/blobcat"));
    assert_eq!(
        cat_tag["icon"],
        json!({"type": "Image", "mediaType": "image/png", "url": cat_url})
    );
    let updated = cat_tag["updated"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(updated, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{updated}"
    );
    assert_eq!(note["@context"][1]["Emoji"], "toot:Emoji", "{note}");
    // The tag's `id` serves the `Emoji` document, as Mastodon's `/emojis/{id}` does.
    let doc = fetch(&app, &format!("{BASE}/emojis/blobcat")).await;
    assert_eq!(doc.status(), StatusCode::OK);
    let doc: Value = serde_json::from_slice(doc.body()).unwrap();
    let mut expected = (*cat_tag).clone();
    expected.as_object_mut().unwrap().insert(
        "@context".into(),
        json!(["https://www.w3.org/ns/activitystreams",
               {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}]),
    );
    assert_eq!(doc, expected);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[0], "@context");
    for missing in ["/emojis/nope", "/emojis/a-b"] {
        assert_eq!(
            fetch(&app, &format!("{BASE}{missing}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    // A toot without emoji has no `Emoji` term, as Mastodon's.
    let plain = post(&app, &t, json!({"status": "no emoji here"})).await;
    let s = app
        .status(plain["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    let note = serde_json::to_value(app.status_document(&s).await.unwrap()).unwrap();
    assert!(note["@context"][1].get("Emoji").is_none(), "{note}");
    assert_eq!(plain["emojis"], json!([]));

    // An edit recomputes them.
    let edited = json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&t),
        json!({"status": "now only :blobcat:", "spoiler_text": ""}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["emojis"].as_array().unwrap().len(), 1);
    assert_eq!(edited.body["emojis"][0]["shortcode"], "blobcat");

    // Display name and bio.
    let me = form(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        &[
            ("display_name", "Alice :blobcat:"),
            ("note", "I wave :ablobwave:"),
        ],
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let codes: Vec<&str> = me.body["emojis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["blobcat", "ablobwave"]);
    assert!(me.body["emojis"][0].get("category").is_none());
    let shown = get(&app, &format!("/api/v1/accounts/{}", alice.id), None).await;
    assert_eq!(shown.body["emojis"], me.body["emojis"]);
    let a = app.account(alice.id).await.unwrap();
    let person = serde_json::to_value(app.actor_document(&a).await.unwrap()).unwrap();
    let names: Vec<&str> = person["tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "Emoji")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [":blobcat:", ":ablobwave:"], "{person}");

    // A removed emoji is no longer shown.
    execute(
        &app,
        AdminRequest::RemoveEmoji {
            shortcode: "blobcat".into(),
        },
    )
    .await
    .unwrap();
    let read = get(&app, &format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(read.body["emojis"], json!([]));
}
