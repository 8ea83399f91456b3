//! The media benchmarks' client side against a small fake of the server's media API on
//! loopback: asynchronous uploads polled until ready, the synchronous upload whose `url` names
//! a file in the data directory, and checked GETs of that file.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use woolly_loadgen::client::{get, Target};
use woolly_loadgen::images::Kind;
use woolly_loadgen::load::closed_loop_checked;
use woolly_loadgen::media::{self, UploadOptions};

#[derive(Default)]
struct Fake {
    /// Polls left before each attachment is ready.
    pending: HashMap<String, u32>,
    next_id: u64,
    /// Bytes of every file part uploaded, in order.
    uploads: Vec<usize>,
}

/// Answers like the server: PNG uploads are processed at once (200), JPEG ones answer 202
/// and are ready on the third poll; `/media/file.bin` is `file`, `/media/short.bin` is
/// shorter.
async fn answer(
    fake: Arc<Mutex<Fake>>,
    file: Bytes,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let path = parts.uri.path().to_owned();
    let authed = parts.headers.get("authorization").map(|v| v.as_bytes()) == Some(b"Bearer t");
    let reply = |s: StatusCode, b: Bytes| {
        let mut r = Response::new(Full::new(b));
        *r.status_mut() = s;
        r
    };
    let json = |s, v: serde_json::Value| reply(s, Bytes::from(v.to_string()));
    match (parts.method.as_str(), path.as_str()) {
        ("POST", "/api/v2/media" | "/api/v1/media") => {
            if !authed {
                return reply(StatusCode::UNAUTHORIZED, Bytes::new());
            }
            let ct = parts.headers[http::header::CONTENT_TYPE].to_str().unwrap();
            let boundary = multer::parse_boundary(ct).unwrap();
            let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
            let mut m = multer::Multipart::new(stream, boundary);
            let mut png = false;
            while let Some(f) = m.next_field().await.unwrap() {
                if f.name() == Some("file") {
                    png = f.content_type().map(|t| t.to_string()).as_deref() == Some("image/png");
                    let n = f.bytes().await.unwrap().len();
                    fake.lock().unwrap().uploads.push(n);
                }
            }
            let mut f = fake.lock().unwrap();
            f.next_id += 1;
            let id = f.next_id.to_string();
            if path == "/api/v1/media" {
                let url = "http://example.invalid/media/file.bin";
                return json(StatusCode::OK, serde_json::json!({"id": id, "url": url}));
            }
            if png {
                return json(
                    StatusCode::OK,
                    serde_json::json!({"id": id, "url": "/media/p"}),
                );
            }
            f.pending.insert(id.clone(), 2);
            json(
                StatusCode::ACCEPTED,
                serde_json::json!({"id": id, "url": null}),
            )
        }
        ("GET", p) if p.starts_with("/api/v1/media/") => {
            let id = p.trim_start_matches("/api/v1/media/");
            let mut f = fake.lock().unwrap();
            match f.pending.get_mut(id) {
                None => reply(StatusCode::NOT_FOUND, Bytes::from_static(b"no such media")),
                Some(0) => json(StatusCode::OK, serde_json::json!({"id": id, "url": "/m"})),
                Some(n) => {
                    *n -= 1;
                    json(StatusCode::PARTIAL_CONTENT, serde_json::json!({"id": id}))
                }
            }
        }
        ("GET", "/media/file.bin") => reply(StatusCode::OK, file),
        ("GET", "/media/short.bin") => reply(StatusCode::OK, file.slice(1..)),
        _ => reply(StatusCode::NOT_FOUND, Bytes::new()),
    }
}

async fn start(file: Bytes) -> (Target, Arc<Mutex<Fake>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = Arc::new(Mutex::new(Fake::default()));
    let f = fake.clone();
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            let (f, file) = (f.clone(), file.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let (f, file) = (f.clone(), file.clone());
                    async move { Ok::<_, std::convert::Infallible>(answer(f, file, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    let target = Target::parse(&format!("http://{addr}")).await.unwrap();
    (target, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_polled_until_ready() {
    let (target, fake) = start(Bytes::new()).await;
    let mut inputs = BTreeMap::new();
    for (k, n) in [(Kind::Jpeg12mp, 3000), (Kind::Png4k, 2000)] {
        let body = media::upload_body(k.file_name(), k.content_type(), &vec![1u8; n]).unwrap();
        inputs.insert(k, body);
    }
    let mut o = UploadOptions::default();
    o.concurrency = 2;
    o.rounds = 2;
    o.poll = Duration::from_millis(5);
    o.ready_timeout = Duration::from_secs(20);
    let (results, errors) = media::run_uploads(&target, "t", &inputs, &o).await;
    assert!(errors.is_empty(), "{errors:?}");
    // Two rounds of each kind on each of the two connections.
    assert_eq!(results.len(), 8);
    for r in &results {
        match r.kind {
            Kind::Jpeg12mp => assert_eq!((r.status, r.polls), (202, 3)),
            _ => assert_eq!((r.status, r.polls, r.ready), (200, 0, r.answered)),
        }
        assert!(r.ready >= r.answered);
    }
    let mut sizes = fake.lock().unwrap().uploads.clone();
    sizes.sort_unstable();
    assert_eq!(sizes, [vec![2000; 4], vec![3000; 4]].concat());
    let (ready, _) = media::latencies_of(&results, Some(Kind::Jpeg12mp));
    assert_eq!(ready.len(), 4);

    // A bad token: every upload fails, with the answer in the error.
    let (results, errors) = media::run_uploads(&target, "wrong", &inputs, &o).await;
    assert!(results.is_empty());
    assert_eq!(errors.len(), 8);
    assert!(errors[0].contains("401"), "{}", errors[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_file_is_found_on_disk_and_checked() {
    let file = Bytes::from((0..100_000u32).map(|i| i as u8).collect::<Vec<u8>>());
    let (target, _) = start(file.clone()).await;
    let e = media::upload_sync(&target, "t", ("a.jpg", "image/jpeg"), b"jpeg")
        .await
        .unwrap();
    let path = media::media_path(&e.url.unwrap()).unwrap();
    assert_eq!(path, "/media/file.bin");
    let dir = tempfile::tempdir().unwrap();
    let local = media::local_file(dir.path(), &path).unwrap();
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(&local, &file).unwrap();

    let len = file.len();
    let check = move |s: StatusCode, b: &Bytes| {
        (s != StatusCode::OK || b.len() != len).then(|| "bad".to_owned())
    };
    for (p, rejected) in [("/media/file.bin", 0), ("/media/short.bin", 40)] {
        let t = target.clone();
        let r = closed_loop_checked(
            &target,
            4,
            move |i| (i < 40).then(|| get(&t, p, &[]).ok()).flatten(),
            check,
        )
        .await;
        assert_eq!((r.statuses.ok(), r.rejected), (40, rejected), "{p}");
        assert_eq!(r.all_ok(), rejected == 0);
    }
    let disk = media::read_file_loop(&local, 4, 40, len as u64).await;
    assert_eq!(disk.latencies.len(), 40);
}
