//! The S3 media backend against a real S3-protocol server: `s3s-fs` (an S3 server keeping a
//! bucket as a directory) serving a temporary directory on 127.0.0.1, started inside the test
//! process and stopped at the end of each test. The backend passes the media conformance
//! suite, with and without a key prefix; the tests below check what is specific to S3.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fedi_storage::media::s3::{S3Config, S3MediaStore, PART_SIZE};
use fedi_storage::media::{conformance, ByteRange, ByteStream, MediaKey, MediaStore};
use fedi_storage::Error;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

const BUCKET: &str = "media-test";
const ACCESS_KEY: &str = "AKTESTWOOLLY";
const SECRET_KEY: &str = "test-secret-not-a-real-one";

/// Every test's bound: the whole of it, server included.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);

/// An S3 server on a loopback port, serving a temporary directory; stopped when dropped.
struct Server {
    addr: SocketAddr,
    root: tempfile::TempDir,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which aborts every connection task.
        self.accept.abort();
    }
}

impl Server {
    async fn start() -> Server {
        let root = tempfile::tempdir().unwrap();
        // s3s-fs keeps a bucket as a directory under its root.
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // s3s-fs writes an object's data and its metadata as two files, one after the other,
        // so two concurrent puts of one key could leave the data of one with the metadata of
        // the other; S3 writes both at once. Serving one request at a time gives the test
        // server S3's behaviour (the conformance suite's concurrent puts check it).
        let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
        let accept = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let lock = one_at_a_time.clone();
                let handler = hyper::service::service_fn(move |request| {
                    let service = service.clone();
                    let lock = lock.clone();
                    async move {
                        let _turn = lock.lock().await;
                        hyper::service::Service::call(&service, request).await
                    }
                });
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), handler)
                        .await;
                });
                // Reaps finished connections.
                while connections.try_join_next().is_some() {}
            }
        });
        Server { addr, root, accept }
    }

    fn config(&self) -> S3Config {
        let mut config = S3Config::new(BUCKET, "us-east-1", ACCESS_KEY, SECRET_KEY);
        config.endpoint = Some(format!("http://{}", self.addr));
        config.allow_http = true;
        config
    }
}

fn key(s: &str) -> MediaKey {
    MediaKey::new(s).unwrap()
}

fn body(parts: Vec<Vec<u8>>) -> ByteStream<'static> {
    Box::pin(futures::stream::iter(
        parts.into_iter().map(|p| Ok(Bytes::from(p))),
    ))
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `test` under [`TEST_TIMEOUT`].
async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("the test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backend_passes_media_conformance() {
    bounded(async {
        let server = Server::start().await;
        let store = S3MediaStore::open(server.config()).await.unwrap();
        conformance::run_all(&store).await;
        // Through `Arc<dyn MediaStore>` too, on the same bucket: the cases use fresh keys.
        let store: Arc<dyn MediaStore> = Arc::new(store);
        conformance::run_all(&*store).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_keeps_the_store_inside_it() {
    bounded(async {
        let server = Server::start().await;
        let mut config = server.config();
        config.prefix = Some("/woolly/media/".into());
        let store = S3MediaStore::open(config).await.unwrap();
        conformance::run_all(&store).await;

        // Outside the prefix: an object the prefixed store never lists nor reads.
        let root = S3MediaStore::open(server.config()).await.unwrap();
        let outside = key("woolly/other");
        root.put(&outside, body(vec![b"x".to_vec()]), 10)
            .await
            .unwrap();
        let k = key("avatars/a.png");
        store
            .put(&k, body(vec![b"png".to_vec()]), 10)
            .await
            .unwrap();
        // Stored under the prefix, in the bucket and on the server's disk.
        let seen = root.get(&key("woolly/media/avatars/a.png"), None).await;
        assert_eq!(&seen.unwrap().unwrap().bytes[..], b"png");
        assert!(server
            .root
            .path()
            .join(BUCKET)
            .join("woolly/media/avatars/a.png")
            .is_file());
        let all = store.list("", None, 10_000).await.unwrap();
        assert!(all.iter().any(|e| e.key == k));
        assert!(
            all.iter().all(|e| !e.key.as_str().starts_with("woolly/")),
            "keys are listed without the prefix"
        );
        assert_eq!(store.get(&key("other"), None).await.unwrap(), None);
        assert_eq!(store.list("oth", None, 10).await.unwrap(), vec![]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_go_up_in_parts() {
    bounded(async {
        let server = Server::start().await;
        let store = S3MediaStore::open(server.config()).await.unwrap();
        // Two full parts and a short last one.
        let data: Vec<u8> = (0..2 * PART_SIZE + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        let k = key("videos/big.mp4");
        let chunks = data.chunks(1 << 20).map(<[u8]>::to_vec).collect();
        let info = store
            .put(&k, body(chunks), data.len() as u64)
            .await
            .unwrap();
        assert_eq!(info.size, data.len() as u64);
        assert_eq!(info.etag, sha256_hex(&data));
        let head = store.head(&k).await.unwrap().unwrap();
        assert_eq!(head, info);
        // A range across the boundary of the first two parts.
        let start = PART_SIZE as u64 - 10;
        let got = store
            .get(&k, Some(ByteRange::inclusive(start, start + 19)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got.bytes[..], &data[start as usize..start as usize + 20]);
        assert_eq!(got.etag, info.etag);
        let whole = store.get(&k, None).await.unwrap().unwrap();
        assert!(whole.bytes[..] == data[..]);

        // Over the limit after it was spooled to disk: refused, the object intact.
        let err = store
            .put(
                &k,
                body(data.chunks(1 << 20).map(<[u8]>::to_vec).collect()),
                data.len() as u64 - 1,
            )
            .await
            .unwrap_err();
        assert!(err.is_too_large(), "{err}");
        // A long body that fails after the first part: nothing stored.
        let failing: ByteStream<'static> = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from(vec![1u8; PART_SIZE + 1])),
            Err(std::io::Error::other("client went away")),
        ]));
        let other = key("videos/failed.mp4");
        let err = store.put(&other, failing, u64::MAX).await.unwrap_err();
        assert!(err.is_upload_failed(), "{err}");
        assert_eq!(store.head(&other).await.unwrap(), None);
        assert_eq!(store.head(&k).await.unwrap().unwrap(), info);
        let listed = store.list("videos/", None, 10).await.unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_a_typed_error() {
    bounded(async {
        let server = Server::start().await;
        let mut wrong_secret = server.config();
        wrong_secret.secret_access_key = "not-the-secret".into();
        let mut wrong_key = server.config();
        wrong_key.access_key_id = "AKUNKNOWN".into();
        for config in [wrong_secret, wrong_key] {
            let err = S3MediaStore::open(config.clone()).await.unwrap_err();
            assert!(err.is_access_denied(), "{err}");
            assert!(!err.is_retryable(), "{err}");
            // Built without the check, every operation fails the same way.
            let store = S3MediaStore::new(config).unwrap();
            let k = key("a/b");
            let err = store
                .put(&k, body(vec![b"data".to_vec()]), 10)
                .await
                .unwrap_err();
            assert!(err.is_access_denied(), "{err}");
            let err = store.get(&k, None).await.unwrap_err();
            assert!(err.is_access_denied(), "{err}");
            let err = store.head(&k).await.unwrap_err();
            assert!(err.is_access_denied(), "{err}");
            let err = store.list("", None, 10).await.unwrap_err();
            assert!(err.is_access_denied(), "{err}");
        }
        // The right ones work, and nothing was written by the refused puts.
        let store = S3MediaStore::open(server.config()).await.unwrap();
        assert_eq!(store.list("", None, 10).await.unwrap(), vec![]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_or_a_bad_config_fails_to_open() {
    bounded(async {
        let server = Server::start().await;
        let mut config = server.config();
        config.bucket = "no-such-bucket".into();
        let err = S3MediaStore::open(config).await.unwrap_err();
        assert!(matches!(err, Error::Open(_)), "{err}");

        for prefix in ["../escape", "a//b", "bad prefix"] {
            let mut config = server.config();
            config.prefix = Some(prefix.into());
            let err = S3MediaStore::new(config).unwrap_err();
            assert!(matches!(err, Error::Open(_)), "{prefix}: {err}");
        }
        let mut config = server.config();
        config.endpoint = Some("not a url".into());
        let err = S3MediaStore::new(config).unwrap_err();
        assert!(matches!(err, Error::Open(_)), "{err}");
        // Plain HTTP refused unless allowed.
        let mut config = server.config();
        config.allow_http = false;
        let err = S3MediaStore::new(config).unwrap_err();
        assert!(matches!(err, Error::Open(_)), "{err}");
    })
    .await;
}

#[test]
fn url_for_uses_the_public_url_and_the_prefix() {
    let config = S3Config::new(BUCKET, "us-east-1", ACCESS_KEY, SECRET_KEY);
    let k = key("avatars/ab/cd.png");
    let store = S3MediaStore::new(config.clone()).unwrap();
    assert_eq!(store.url_for(&k), None);

    let mut public = config.clone();
    public.public_url = Some("https://media.example/".into());
    let store = S3MediaStore::new(public.clone()).unwrap();
    assert_eq!(
        store.url_for(&k).as_deref(),
        Some("https://media.example/avatars/ab/cd.png")
    );

    public.prefix = Some("woolly".into());
    let store = S3MediaStore::new(public).unwrap();
    assert_eq!(
        store.url_for(&k).as_deref(),
        Some("https://media.example/woolly/avatars/ab/cd.png")
    );
    // The secret never shows in debug output.
    assert!(!format!("{config:?}").contains(SECRET_KEY));
    assert!(!format!("{store:?}").contains(SECRET_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_etag_is_recorded_at_put_not_recomputed() {
    bounded(async {
        let server = Server::start().await;
        let store = S3MediaStore::open(server.config()).await.unwrap();
        let k = key("a/recorded.bin");
        let info = store
            .put(&k, body(vec![b"original".to_vec()]), 100)
            .await
            .unwrap();
        // The bytes change behind the store's back (same length); the metadata stays. `head`
        // answers from the metadata, without reading the object again.
        let file = server.root.path().join(BUCKET).join("a/recorded.bin");
        std::fs::write(&file, b"tampered").unwrap();
        let head = store.head(&k).await.unwrap().unwrap();
        assert_eq!(head.etag, sha256_hex(b"original"));
        assert_eq!(head, info);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_dropped_midway_sends_nothing() {
    bounded(async {
        let server = Server::start().await;
        let store = S3MediaStore::open(server.config()).await.unwrap();
        let k = key("a/dropped.bin");
        // Past one part (so it is being spooled to a file), then a stream that never ends.
        let first = Bytes::from(vec![7u8; PART_SIZE + 1]);
        let never_ending = futures::StreamExt::chain(
            futures::stream::iter([Ok(first)]),
            futures::stream::pending(),
        );
        let put = store.put(&k, Box::pin(never_ending), u64::MAX);
        let timed_out = tokio::time::timeout(Duration::from_millis(300), put).await;
        assert!(timed_out.is_err(), "the put waits for its body");
        assert_eq!(store.head(&k).await.unwrap(), None);
        assert_eq!(store.list("", None, 10).await.unwrap(), vec![]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_written_by_other_tools_are_hashed_on_read() {
    bounded(async {
        let server = Server::start().await;
        let store = S3MediaStore::open(server.config()).await.unwrap();
        // An object put into the bucket without the `sha256` metadata.
        let dir = server.root.path().join(BUCKET).join("imported");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("old.jpg"), b"imported bytes").unwrap();
        let k = key("imported/old.jpg");
        let head = store.head(&k).await.unwrap().unwrap();
        assert_eq!(head.size, 14);
        assert_eq!(head.etag, sha256_hex(b"imported bytes"));
        let got = store.get(&k, None).await.unwrap().unwrap();
        assert_eq!(got.etag, head.etag);
        let part = store
            .get(&k, Some(ByteRange::suffix(5)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&part.bytes[..], b"bytes");
        assert_eq!(part.etag, head.etag);
        assert!(store.delete(&k).await.unwrap());
        assert!(!store.delete(&k).await.unwrap());
    })
    .await;
}
