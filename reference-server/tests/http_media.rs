//! Media over a real socket: the server's accept loop on 127.0.0.1 with the instance's
//! router, an upload streamed through `POST /api/v1/media`, and the file served with its type,
//! length, strong ETag (`304` on `If-None-Match`), byte ranges (`206`, `416`), `HEAD`,
//! immutable caching, `nosniff` and a sandboxing CSP; an image over Mastodon's limit is a
//! `413`. The server is stopped through its shutdown future; every wait is bounded.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use image::{DynamicImage, ImageFormat, RgbImage};
use reference_server::http::{serve, Router};
use reference_server::{App, Config};
use serde_json::Value;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let b = "sOcKeTb0uNdArY";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nover a socket\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// Status, headers (lowercased names) and body of a request; 4xx and 5xx included.
fn request(
    req: ureq::Request,
    body: Option<(&str, &[u8])>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let result = match body {
        Some((ct, bytes)) => req.set("content-type", ct).send_bytes(bytes),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = resp.header(&n).unwrap_or("").to_owned();
            (n.to_ascii_lowercase(), v)
        })
        .collect();
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (status, headers, bytes)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_served_with_etags_ranges_and_safe_headers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let config = Config {
        base_url: base.clone(),
        ..Config::default()
    };
    let app = App::new(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::new()),
    )
    .await
    .unwrap();
    let alice = app.create_account("alice", None, false).await.unwrap();
    let token = reference_server::api::create_token(&app, alice.id, "read write")
        .await
        .unwrap();
    let read_only = reference_server::api::create_token(&app, alice.id, "read")
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        move |req, peer| {
            let router = router.clone();
            async move { router.handle_incoming(req, peer).await }
        },
        async move {
            let _ = stop_rx.await;
        },
        Duration::from_secs(5),
    ));

    let base2 = base.clone();
    let checks = tokio::task::spawn_blocking(move || {
        let base = base2;
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        let auth = format!("Bearer {token}");
        // Who uploads is checked before the body is read: no token, a token without
        // write:media.
        let (ct, body) = multipart(&png(8, 8));
        let (status, h, _) = request(
            agent.post(&format!("{base}/api/v1/media")),
            Some((&ct, &body)),
        );
        assert_eq!(status, 401);
        assert_eq!(header(&h, "connection"), Some("close"));
        let (status, _, _) = request(
            agent
                .post(&format!("{base}/api/v2/media"))
                .set("authorization", &format!("Bearer {read_only}")),
            Some((&ct, &body)),
        );
        assert_eq!(status, 403);
        // Even a body that is not multipart at all: refused for the token, not read (reading
        // it would have answered 400).
        let (status, _, _) = request(
            agent.post(&format!("{base}/api/v1/media")),
            Some((&ct, b"not multipart".as_slice())),
        );
        assert_eq!(status, 401);

        // Upload (streamed to the work directory by the server).
        let (ct, body) = multipart(&png(120, 80));
        let (status, _, bytes) = request(
            agent
                .post(&format!("{base}/api/v1/media"))
                .set("authorization", &auth),
            Some((&ct, &body)),
        );
        let m: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, 200, "{m}");
        assert_eq!(m["description"], "over a socket");
        let url = m["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("{base}/media/")), "{url}");

        // The whole file.
        let (status, h, file) = request(agent.get(&url), None);
        assert_eq!(status, 200);
        let ct = header(&h, "content-type").unwrap();
        assert!(ct == "image/png" || ct == "image/jpeg", "{ct}");
        assert_eq!(
            header(&h, "content-length"),
            Some(file.len().to_string().as_str())
        );
        assert_eq!(header(&h, "accept-ranges"), Some("bytes"));
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
        assert_eq!(
            header(&h, "content-security-policy"),
            Some("default-src 'none'; sandbox")
        );
        let etag = header(&h, "etag").unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.len() == 66,
            "a strong SHA-256 ETag: {etag}"
        );
        let img = image::load_from_memory(&file).unwrap();
        assert_eq!((img.width(), img.height()), (120, 80));

        // Conditional: 304 without a body.
        let (status, h, body) = request(agent.get(&url).set("if-none-match", &etag), None);
        assert_eq!(status, 304);
        assert!(body.is_empty());
        assert_eq!(header(&h, "etag"), Some(etag.as_str()));
        let (status, _, _) = request(agent.get(&url).set("if-none-match", "\"other\""), None);
        assert_eq!(status, 200);

        // Ranges.
        let size = file.len();
        let (status, h, part) = request(agent.get(&url).set("range", "bytes=0-9"), None);
        assert_eq!(status, 206);
        assert_eq!(part, file[..10]);
        assert_eq!(
            header(&h, "content-range"),
            Some(format!("bytes 0-9/{size}").as_str())
        );
        assert_eq!(header(&h, "content-length"), Some("10"));
        let (status, h, part) = request(agent.get(&url).set("range", "bytes=-5"), None);
        assert_eq!(status, 206);
        assert_eq!(part, file[size - 5..]);
        assert_eq!(
            header(&h, "content-range"),
            Some(format!("bytes {}-{}/{size}", size - 5, size - 1).as_str())
        );
        let (status, _, part) = request(
            agent
                .get(&url)
                .set("range", &format!("bytes={}-", size - 3)),
            None,
        );
        assert_eq!((status, part.as_slice()), (206, &file[size - 3..]));
        let (status, h, _) = request(
            agent.get(&url).set("range", &format!("bytes={size}-")),
            None,
        );
        assert_eq!(status, 416);
        assert_eq!(
            header(&h, "content-range"),
            Some(format!("bytes */{size}").as_str())
        );

        // HEAD: the headers, no body.
        let (status, h, body) = request(agent.head(&url), None);
        assert_eq!(status, 200);
        assert!(body.is_empty());
        assert_eq!(
            header(&h, "content-length"),
            Some(size.to_string().as_str())
        );

        // Unknown keys and keys that try to leave the store.
        for bad in [
            "/media/nothing/here.png",
            "/media/../etc/passwd",
            "/media/a/.hidden",
        ] {
            let (status, _, _) = request(agent.get(&format!("{base}{bad}")), None);
            assert_eq!(status, 404, "{bad}");
        }

        // An image over Mastodon's 16 MB limit: 413 (read to its end, then refused).
        let mut big = png(4, 4);
        big.resize(16 * 1024 * 1024 + 10, 0);
        let (ct, body) = multipart(&big);
        let (status, _, bytes) = request(
            agent
                .post(&format!("{base}/api/v2/media"))
                .set("authorization", &auth),
            Some((&ct, &body)),
        );
        let e: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, 413, "{e}");
        // Refused by the image limit after streaming, not by the collected-body limit.
        assert!(e["error"].as_str().unwrap().contains("16777216"), "{e}");

        // A body over the 16 MiB a collected request may have is streamed: a 17 MiB MP4 is
        // not refused for its size (it is junk after its header: 422, or stored as uploaded
        // where ffmpeg is missing).
        let mut video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
        video.resize(17 * 1024 * 1024, 0x55);
        let (ct, body) = multipart(&video);
        let (status, _, bytes) = request(
            agent
                .post(&format!("{base}/api/v1/media"))
                .set("authorization", &auth),
            Some((&ct, &body)),
        );
        assert!(
            status == 200 || status == 422,
            "{status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    });
    let outcome = tokio::time::timeout(Duration::from_secs(120), checks).await;
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("the server stops")
        .unwrap();
    outcome.expect("the checks finish in time").unwrap();
    // Nothing is left in the work directory.
    assert_eq!(std::fs::read_dir(app.media_work_dir()).unwrap().count(), 0);
}
