//! Link preview cards, made from pages served by a real HTTP server on 127.0.0.1 and fetched
//! through the server's real transport (so through its SSRF guard, opened to loopback by
//! `allow_private_address`):
//!
//! - a local post gets the card of its first link (not the hashtag), with OpenGraph's title,
//!   description, image (cached here, with its blurhash and size), alt text, site name, author,
//!   language and publication time: the exact `PreviewCard` JSON in the status and at
//!   `/api/v1/statuses/:id/card`; a second post to the same URL reuses the card without
//!   reading the page again;
//! - oEmbed discovery after a redirect: a `video` card with the player's HTML sanitized;
//! - no card for a plain-text answer, a page past the size cap, a page with no title, a post
//!   with media, or a loopback page when loopback is not allowed (no connection made);
//! - a remote post's mention link is skipped, its first other link gets the card;
//! - the media cache sweep clears the card's cached image (the entity shows the remote URL);
//! - `fediverse:creator` names a fediverse account as the author (found by WebFinger on the
//!   site, its actor fetched) only when that actor's `attributionDomains` holds the page's
//!   domain: `authors[0].account` is that account, else `null`.
#![allow(clippy::unwrap_used)]

use crate::api_support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_support::{get, media, post, user};
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::StatusCode;
use reference_server::cli::serve::transport;
use reference_server::{App, Config};
use serde_json::{json, Value};

type Pages = Arc<Mutex<HashMap<String, (u16, String, Vec<u8>)>>>;

/// An HTTP server on 127.0.0.1 answering each path from `pages` (status, extra headers
/// including the content type, body), counting requests per path.
struct Site {
    base: String,
    pages: Pages,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Site {
    fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pages: Pages = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (p, h) = (pages.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                *h.lock().unwrap().entry(path.clone()).or_default() += 1;
                let pages = p.lock().unwrap();
                let found = pages
                    .get(&path)
                    .or_else(|| pages.get(path.split('?').next().unwrap_or_default()));
                let (status, headers, body) = found.cloned().unwrap_or((
                    404,
                    "Content-Type: text/plain\r\n".into(),
                    Vec::new(),
                ));
                drop(pages);
                let head = format!(
                    "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Site { base, pages, hits }
    }

    fn serve(&self, path: &str, status: u16, content_type: &str, body: impl Into<Vec<u8>>) {
        self.pages.lock().unwrap().insert(
            path.into(),
            (
                status,
                format!("Content-Type: {content_type}\r\n"),
                body.into(),
            ),
        );
    }

    fn redirect(&self, path: &str, to: &str) {
        self.pages.lock().unwrap().insert(
            path.into(),
            (302, format!("Location: {to}\r\n"), Vec::new()),
        );
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// An instance on the real transport; `loopback` opens 127.0.0.0/8 to it.
async fn instance(loopback: bool, clock: Option<ManualClock>) -> App {
    let config = Config {
        base_url: "http://wool.test".into(),
        allow_private_address: if loopback {
            vec!["127.0.0.0/8".into()]
        } else {
            Vec::new()
        },
        ..Config::default()
    };
    let net = Arc::new(transport(&config).unwrap());
    App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        net,
        clock.map(|c| Arc::new(c) as Arc<dyn fedi_storage::Clock>),
    )
    .await
    .unwrap()
}

/// A file served by the instance (through the router).
async fn file(app: &App, url: &str) -> http::Response<bytes::Bytes> {
    let path = url.strip_prefix("http://wool.test").unwrap_or(url);
    reference_server::http::Router::new(app.clone())
        .handle(
            http::Request::get(path).body(bytes::Bytes::new()).unwrap(),
            None,
        )
        .await
}

/// The status entity once its card is there (bounded wait for the background job).
async fn with_card(app: &App, id: &str, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = get(app, &format!("/api/v1/statuses/{id}"), Some(token)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        if !a.body["card"].is_null() {
            return a.body;
        }
        if Instant::now() >= deadline {
            let again = app.fetch_card_for(id.parse().unwrap()).await;
            panic!("no card came ({again:?}): {}", a.text);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ARTICLE: &str = r#"<!DOCTYPE html>
<html lang="en-GB"><head>
<meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="Wool &amp; you">
<meta property="og:description" content="All about   wool.">
<meta property="og:image" content="/img.png">
<meta property="og:image:alt" content="A ball of wool">
<meta property="og:site_name" content="Woolpedia">
<meta name="author" content="Ann Author">
<meta property="article:published_time" content="2026-11-30T10:00:00Z">
<link rel="canonical" href="/article">
</head><body><p>Text</p></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_post_gets_the_card_of_its_first_link() {
    let site = Site::start();
    site.serve("/article", 200, "text/html; charset=utf-8", ARTICLE);
    site.serve("/img.png", 200, "image/png", media::png(800, 400));
    let app = instance(true, None).await;
    let (_, token) = user(&app, "ann").await;
    let text = format!(
        "#wool see {} and {}",
        site.url("/article"),
        site.url("/other")
    );
    let s = post(&app, &token, json!({ "status": text })).await;
    let id = s["id"].as_str().unwrap();
    let s = with_card(&app, id, &token).await;
    let card = &s["card"];
    let keys: Vec<&str> = card
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "url",
            "title",
            "description",
            "language",
            "type",
            "author_name",
            "author_url",
            "provider_name",
            "provider_url",
            "html",
            "width",
            "height",
            "image",
            "image_description",
            "embed_url",
            "blurhash",
            "published_at",
            "authors"
        ]
    );
    let image = card["image"].as_str().unwrap();
    assert!(
        image.starts_with("http://wool.test/media/cache/preview_cards/"),
        "{image}"
    );
    let file = file(&app, image).await;
    assert_eq!(file.status(), StatusCode::OK);
    let decoded = media::decoded(file.body());
    assert!(decoded.width() < 800 && decoded.width() > 0);
    assert!(card["blurhash"].as_str().is_some_and(|b| b.len() > 5));
    let mut rest = card.clone();
    for k in ["image", "blurhash"] {
        rest.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(
        rest,
        json!({
            "url": site.url("/article"),
            "title": "Wool & you",
            "description": "All about wool.",
            "language": "en",
            "type": "link",
            "author_name": "Ann Author",
            "author_url": "",
            "provider_name": "Woolpedia",
            "provider_url": "",
            "html": "",
            "width": decoded.width(),
            "height": decoded.height(),
            "image_description": "A ball of wool",
            "embed_url": "",
            "published_at": "2026-11-30T10:00:00Z",
            "authors": [{"name": "Ann Author", "url": "", "account": null}],
        })
    );
    assert_eq!(site.hits("/other"), 0, "only the first link is read");

    // The deprecated endpoint answers the card itself.
    let a = get(&app, &format!("/api/v1/statuses/{id}/card"), Some(&token)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(&a.body, card);

    // A second post to the same URL reuses the card: the page is not read again.
    assert_eq!(site.hits("/article"), 1);
    let s2 = post(
        &app,
        &token,
        json!({ "status": format!("again {}", site.url("/article")) }),
    )
    .await;
    let s2 = with_card(&app, s2["id"].as_str().unwrap(), &token).await;
    assert_eq!(&s2["card"], card);
    assert_eq!(site.hits("/article"), 1);
    assert_eq!(site.hits("/img.png"), 1);

    // No link: `{}`; an unknown status: 404.
    let plain = post(&app, &token, json!({ "status": "no links here" })).await;
    let a = get(
        &app,
        &format!("/api/v1/statuses/{}/card", plain["id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    let a = get(&app, "/api/v1/statuses/12345/card", Some(&token)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oembed_is_discovered_after_a_redirect() {
    let site = Site::start();
    site.redirect("/watch", "/video");
    site.serve(
        "/video",
        200,
        "text/html",
        r#"<html><head><title>Page title</title>
        <link rel="alternate" type="application/json+oembed" href="/oembed.json"></head></html>"#,
    );
    site.serve(
        "/oembed.json",
        200,
        "application/json",
        json!({
            "version": "1.0", "type": "video", "title": "A video",
            "author_name": "Vid Maker", "author_url": "/@maker",
            "provider_name": "Tube", "provider_url": "/",
            "thumbnail_url": "/thumb.png", "width": 480, "height": 270,
            "html": "<iframe src=\"https://tube.test/embed/1\" width=\"480\" height=\"270\" onload=\"x()\"></iframe><script>alert(1)</script>",
        })
        .to_string(),
    );
    site.serve("/thumb.png", 200, "image/png", media::png(64, 36));
    let app = instance(true, None).await;
    let (_, token) = user(&app, "ann").await;
    let s = post(
        &app,
        &token,
        json!({ "status": format!("watch {}", site.url("/watch")) }),
    )
    .await;
    let s = with_card(&app, s["id"].as_str().unwrap(), &token).await;
    let card = &s["card"];
    assert_eq!(card["type"], "video");
    assert_eq!(card["url"], site.url("/video"));
    assert_eq!(card["title"], "A video");
    assert_eq!(card["author_name"], "Vid Maker");
    assert_eq!(card["author_url"], site.url("/@maker"));
    assert_eq!(card["provider_name"], "Tube");
    assert_eq!(card["provider_url"], site.url("/"));
    assert_eq!(
        (card["width"].as_u64(), card["height"].as_u64()),
        (Some(480), Some(270))
    );
    assert_eq!(
        card["html"],
        r#"<iframe src="https://tube.test/embed/1" width="480" height="270"></iframe>"#
    );
    assert!(card["image"]
        .as_str()
        .unwrap()
        .starts_with("http://wool.test/media/cache/preview_cards/"));
    assert_eq!(
        card["authors"],
        json!([{"name": "Vid Maker", "url": site.url("/@maker"), "account": null}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_make_no_card() {
    let site = Site::start();
    site.serve("/notes.txt", 200, "text/plain", "<title>not html</title>");
    let mut big = String::from("<html><head><title>Big</title></head><body>");
    big.push_str(&"x".repeat(1024 * 1024 + 10));
    site.serve("/big", 200, "text/html", big);
    site.serve(
        "/untitled",
        200,
        "text/html",
        "<html><body><p>hi</p></body></html>",
    );
    site.serve("/gone", 404, "text/html", "<title>Not found</title>");
    site.serve("/article", 200, "text/html", ARTICLE);
    let app = instance(true, None).await;
    let (me, token) = user(&app, "ann").await;
    for path in ["/notes.txt", "/big", "/untitled", "/gone"] {
        let s = app
            .post_status(
                me.id,
                reference_server::app::NewStatus {
                    text: format!("see {}", site.url(path)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let got = app.fetch_card_for(s.id).await;
        assert!(!matches!(got, Ok(Some(_))), "{path}: {got:?}");
        let a = get(&app, &format!("/api/v1/statuses/{}", s.id), Some(&token)).await;
        assert_eq!(a.body["card"], Value::Null, "{path}");
        assert!(site.hits(path) >= 1, "{path} was asked for");
    }
    // A post with media gets no card.
    let media_id = media::uploaded(&app, &token).await;
    let s = post(
        &app,
        &token,
        json!({ "status": format!("pic {}", site.url("/article")), "media_ids": [media_id] }),
    )
    .await;
    let id: u64 = s["id"].as_str().unwrap().parse().unwrap();
    assert!(app.fetch_card_for(id).await.unwrap().is_none());
    assert_eq!(site.hits("/article"), 0);

    // Loopback is not reached at all unless allowed.
    let closed = instance(false, None).await;
    let (me, _) = user(&closed, "bob").await;
    let s = closed
        .post_status(
            me.id,
            reference_server::app::NewStatus {
                text: format!("see {}", site.url("/article")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(closed.fetch_card_for(s.id).await.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        site.hits("/article"),
        0,
        "no connection to a private address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_post_skips_its_mention_link_and_the_sweep_clears_the_image() {
    let site = Site::start();
    site.serve("/article", 200, "text/html", ARTICLE);
    site.serve("/img.png", 200, "image/png", media::png(120, 60));
    site.serve("/@carl", 200, "text/html", "<title>Carl's profile</title>");
    let clock = ManualClock::new(Timestamp::now());
    let app = instance(true, Some(clock.clone())).await;
    let (_, token) = user(&app, "ann").await;
    let actor: activitypub_core::Actor = serde_json::from_value(json!({
        "id": "http://remote.test/users/bob", "type": "Person", "preferredUsername": "bob",
        "inbox": "http://remote.test/users/bob/inbox",
    }))
    .unwrap();
    let bob = app.upsert_remote_account(&actor).await.unwrap();
    let carl: activitypub_core::Actor = serde_json::from_value(json!({
        "id": "http://remote.test/users/carl", "type": "Person", "preferredUsername": "carl",
        "inbox": "http://remote.test/users/carl/inbox", "url": site.url("/@carl"),
    }))
    .unwrap();
    app.upsert_remote_account(&carl).await.unwrap();
    let note: activitypub_core::Object = serde_json::from_value(json!({
        "id": "http://remote.test/users/bob/statuses/1", "type": "Note",
        "attributedTo": "http://remote.test/users/bob",
        "content": format!(
            "<p><span class=\"h-card\"><a href=\"{carl}\">@carl</a></span> read <a href=\"{a}\">this</a></p>",
            carl = site.url("/@carl"),
            a = site.url("/article"),
        ),
        "tag": [{"type": "Mention", "href": "http://remote.test/users/carl", "name": "@carl@remote.test"}],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }))
    .unwrap();
    let s = app
        .ingest_remote_status(&note, Some(&bob))
        .await
        .unwrap()
        .unwrap();
    let v = with_card(&app, &s.id.to_string(), &token).await;
    assert_eq!(v["card"]["title"], "Wool & you");
    assert_eq!(site.hits("/@carl"), 0, "the mention is not a card");
    let image = v["card"]["image"].as_str().unwrap().to_owned();
    assert!(
        image.starts_with("http://wool.test/media/cache/"),
        "{image}"
    );

    // Past the retention, the cached image goes and the remote one shows.
    clock.advance(Duration::from_secs(8 * 24 * 3600));
    assert!(app.sweep_media_cache().await.unwrap() >= 1);
    let v = get(&app, &format!("/api/v1/statuses/{}", s.id), Some(&token)).await;
    assert_eq!(v.body["card"]["image"], site.url("/img.png"));
    assert_eq!(file(&app, &image).await.status(), StatusCode::NOT_FOUND);
}

/// The actor document of `user` on `site`, letting pages on `domains` name it.
fn actor(site: &Site, user: &str, domains: &[&str]) -> String {
    let id = site.url(&format!("/users/{user}"));
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": id,
        "type": "Person",
        "preferredUsername": user,
        "name": format!("{user} the writer"),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "url": id,
        "attributionDomains": domains,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fediverse_creator_names_an_account_that_allows_the_domain() {
    let site = Site::start();
    let host = site.base.trim_start_matches("http://").to_owned();
    let ip = host.split(':').next().unwrap().to_owned();
    // One WebFinger answer for both handles: each resource names its own actor.
    for user in ["writer", "stranger"] {
        let domains = if user == "writer" {
            vec![ip.as_str()]
        } else {
            vec!["elsewhere.example"]
        };
        site.serve(
            &format!("/users/{user}"),
            200,
            "application/activity+json",
            actor(&site, user, &domains),
        );
        let page = format!(
            r#"<html><head><title>By {user}</title>
<meta name="fediverse:creator" content="@{user}@{host}"></head><body></body></html>"#
        );
        site.serve(&format!("/by-{user}"), 200, "text/html", page);
    }
    let app = instance(true, None).await;
    let (_, token) = user(&app, "reader").await;
    for (user, allowed) in [("writer", true), ("stranger", false)] {
        let jrd = json!({
            "subject": format!("acct:{user}@{host}"),
            "links": [{"rel": "self", "type": "application/activity+json",
                       "href": site.url(&format!("/users/{user}"))}],
        });
        site.serve(
            "/.well-known/webfinger",
            200,
            "application/jrd+json",
            jrd.to_string(),
        );
        let s = post(
            &app,
            &token,
            json!({ "status": format!("read {}", site.url(&format!("/by-{user}"))) }),
        )
        .await;
        let s = with_card(&app, s["id"].as_str().unwrap(), &token).await;
        let author = &s["card"]["authors"][0];
        if allowed {
            assert_eq!(
                author["account"]["acct"],
                format!("{user}@{host}"),
                "{author}"
            );
            assert_eq!(
                author["account"]["url"],
                site.url(&format!("/users/{user}")).as_str()
            );
        } else {
            assert_eq!(author["account"], Value::Null, "{author}");
        }
    }
}
