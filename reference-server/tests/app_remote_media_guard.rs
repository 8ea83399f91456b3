//! The remote media cache fetches through the server's real transport, so its SSRF guard
//! applies: a remote attachment on a loopback address is not fetched (no connection is even
//! made) unless `allow_private_address` opens loopback, and then it is.
#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fedi_storage::memory::MemoryStore;
use reference_server::cli::serve::transport;
use reference_server::{App, Config};
use serde_json::json;

/// A one-file HTTP server on 127.0.0.1 serving a PNG to every request; counts connections.
fn picture_server() -> (String, Arc<AtomicUsize>) {
    let img = image::RgbImage::from_fn(16, 8, |x, y| image::Rgb([x as u8 * 16, y as u8 * 32, 0]));
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/a.png", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&png);
        }
    });
    (url, hits)
}

/// An instance on the real transport (`allow` = its `allow_private_address`) with a remote
/// status whose one attachment is at `file`; the attachment's id.
async fn instance_with_attachment(allow: &[&str], file: &str) -> (App, u64) {
    let config = Config {
        base_url: "http://wool.test".into(),
        allow_private_address: allow.iter().map(|s| (*s).to_owned()).collect(),
        ..Config::default()
    };
    let net = Arc::new(transport(&config).unwrap());
    let app = App::new(config, Arc::new(MemoryStore::new()), net)
        .await
        .unwrap();
    let actor: activitypub_core::Actor = serde_json::from_value(json!({
        "id": "http://remote.test/users/bob", "type": "Person", "preferredUsername": "bob",
        "inbox": "http://remote.test/users/bob/inbox",
    }))
    .unwrap();
    let bob = app.upsert_remote_account(&actor).await.unwrap();
    let note: activitypub_core::Object = serde_json::from_value(json!({
        "id": "http://remote.test/users/bob/statuses/1", "type": "Note",
        "attributedTo": "http://remote.test/users/bob", "content": "<p>look</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "attachment": [{"type": "Document", "mediaType": "image/png", "url": file}],
    }))
    .unwrap();
    let status = app
        .ingest_remote_status(&note, Some(&bob))
        .await
        .unwrap()
        .unwrap();
    (app, status.media_ids[0])
}

#[tokio::test]
async fn private_addresses_are_not_fetched_unless_allowed() {
    let (url, hits) = picture_server();
    let (app, id) = instance_with_attachment(&[], &url).await;
    assert!(
        app.cache_media(id).await.is_err(),
        "loopback must be refused"
    );
    let m = app.media_attachment(id).await.unwrap();
    assert!(m.file.is_none());
    assert_eq!(m.remote_url.as_deref(), Some(url.as_str()));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no connection to a private address"
    );

    let (app, id) = instance_with_attachment(&["127.0.0.0/8"], &url).await;
    // The background job may have cached it already; either way it ends cached.
    let _ = app.cache_media(id).await.unwrap();
    let m = app.media_attachment(id).await.unwrap();
    let key = m.file.unwrap().key;
    assert!(key.starts_with("cache/media_attachments/"), "{key}");
    assert!(hits.load(Ordering::SeqCst) >= 1);
}
