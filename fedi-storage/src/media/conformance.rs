//! The media conformance suite: async test cases every [`MediaStore`] must pass.
//!
//! Call [`run_all`] from a test with a store; every case uses keys under a prefix of its own,
//! so a store that already holds other objects is fine. Each case panics with a message
//! naming the case and the expectation that failed.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let dir = tempfile::tempdir().expect("temp dir");
//! let store = fedi_storage::media::fs::FsMediaStore::open(dir.path()).await.expect("open");
//! fedi_storage::media::conformance::run_all(&store).await;
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{fs::hex, ByteRange, ByteStream, MediaKey, MediaStore, MAX_KEY_LEN};

static RUN: AtomicU64 = AtomicU64::new(0);

/// A unique key prefix for one case.
fn scope(case: &str) -> String {
    format!(
        "mconf{}-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed),
        case
    )
}

fn key(s: &str) -> MediaKey {
    MediaKey::new(s).unwrap_or_else(|e| panic!("test key {s:?} refused: {e}"))
}

/// A stream of the given chunks.
fn chunks(parts: Vec<Vec<u8>>) -> ByteStream<'static> {
    Box::pin(futures::stream::iter(
        parts.into_iter().map(|p| Ok(Bytes::from(p))),
    ))
}

/// Deterministic test content of `len` bytes, varied by `seed`.
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Puts `data` in chunks of `chunk` bytes, with a generous limit.
async fn put_all<S: MediaStore + ?Sized>(store: &S, k: &MediaKey, data: &[u8], chunk: usize) {
    let parts = data.chunks(chunk.max(1)).map(<[u8]>::to_vec).collect();
    let info = store
        .put(k, chunks(parts), data.len() as u64 + 1)
        .await
        .unwrap_or_else(|e| panic!("put {k}: {e}"));
    assert_eq!(info.size, data.len() as u64, "put {k}: size");
    assert_eq!(info.etag, sha256_hex(data), "put {k}: etag is the SHA-256");
}

async fn read_all<S: MediaStore + ?Sized>(store: &S, k: &MediaKey) -> Option<Vec<u8>> {
    store
        .get(k, None)
        .await
        .unwrap_or_else(|e| panic!("get {k}: {e}"))
        .map(|o| o.bytes.to_vec())
}

/// Runs every case.
pub async fn run_all<S: MediaStore + ?Sized>(store: &S) {
    round_trip(store).await;
    overwrite(store).await;
    limit_exceeded(store).await;
    failing_stream(store).await;
    ranges(store).await;
    etags(store).await;
    delete(store).await;
    list_paging(store).await;
    invalid_keys(store).await;
    concurrent_puts(store).await;
}

/// Small, empty and multi-chunk bodies come back byte for byte, with `head` agreeing.
pub async fn round_trip<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("round-trip");
    let cases = [
        ("small", content(11, 1), 64),
        ("empty", Vec::new(), 1),
        ("multi", content(300_000, 2), 7_919),
        ("one-byte-chunks", content(1_000, 3), 1),
    ];
    for (name, data, chunk) in cases {
        let k = key(&format!("{p}/{name}.bin"));
        assert_eq!(read_all(store, &k).await, None, "round_trip: absent first");
        assert_eq!(store.head(&k).await.expect("head"), None, "round_trip");
        put_all(store, &k, &data, chunk).await;
        let got = store.get(&k, None).await.expect("get").expect("stored");
        assert_eq!(got.bytes.len(), data.len(), "round_trip {name}: length");
        assert!(got.bytes[..] == data[..], "round_trip {name}: bytes differ");
        assert_eq!(got.size, data.len() as u64, "round_trip {name}");
        assert_eq!(got.span, (0, data.len() as u64), "round_trip {name}");
        assert_eq!(got.etag, sha256_hex(&data), "round_trip {name}");
        let head = store.head(&k).await.expect("head").expect("stored");
        assert_eq!(head.size, data.len() as u64, "round_trip {name}: head");
        assert_eq!(head.etag, got.etag, "round_trip {name}: head etag");
    }
    // A key may be deep; its parent need not exist before.
    let deep = key(&format!("{p}/a/b/c/d/e.txt"));
    put_all(store, &deep, b"deep", 4).await;
    assert_eq!(read_all(store, &deep).await.as_deref(), Some(&b"deep"[..]));
}

/// A second put replaces the object whole.
pub async fn overwrite<S: MediaStore + ?Sized>(store: &S) {
    let k = key(&format!("{}/x", scope("overwrite")));
    let long = content(50_000, 4);
    put_all(store, &k, &long, 4_096).await;
    put_all(store, &k, b"short", 2).await;
    assert_eq!(
        read_all(store, &k).await.as_deref(),
        Some(&b"short"[..]),
        "overwrite: the shorter new content replaces the old entirely"
    );
    let head = store.head(&k).await.expect("head").expect("stored");
    assert_eq!(head.size, 5, "overwrite");
    assert_eq!(head.etag, sha256_hex(b"short"), "overwrite");
}

/// Over the limit: `TooLarge`, nothing stored, an earlier object intact. At the limit: fine.
pub async fn limit_exceeded<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("limit");
    let k = key(&format!("{p}/new"));
    let err = store
        .put(&k, chunks(vec![content(600, 5), content(600, 6)]), 1_000)
        .await
        .expect_err("limit_exceeded: 1200 bytes with a limit of 1000");
    assert!(err.is_too_large(), "limit_exceeded: {err}");
    assert_eq!(read_all(store, &k).await, None, "limit_exceeded: nothing");
    assert_eq!(store.list(&p, None, 10).await.expect("list"), vec![]);

    let kept = key(&format!("{p}/kept"));
    put_all(store, &kept, b"original", 3).await;
    let err = store
        .put(&kept, chunks(vec![content(2_000, 7)]), 100)
        .await
        .expect_err("limit_exceeded: over the limit");
    assert!(err.is_too_large(), "limit_exceeded: {err}");
    assert_eq!(
        read_all(store, &kept).await.as_deref(),
        Some(&b"original"[..]),
        "limit_exceeded: the earlier object is intact"
    );

    let exact = key(&format!("{p}/exact"));
    let info = store
        .put(&exact, chunks(vec![content(100, 8)]), 100)
        .await
        .expect("limit_exceeded: exactly the limit is allowed");
    assert_eq!(info.size, 100, "limit_exceeded");
    let listed: Vec<_> = store.list(&p, None, 10).await.expect("list");
    let names: Vec<_> = listed.iter().map(|e| e.key.as_str().to_owned()).collect();
    assert_eq!(
        names,
        [format!("{p}/exact"), format!("{p}/kept")],
        "limit_exceeded: only the stored objects are listed"
    );
}

/// A stream that fails midway: `Upload` error, nothing stored, an earlier object intact.
pub async fn failing_stream<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("failing");
    let failing = || -> ByteStream<'static> {
        Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from(content(10_000, 9))),
            Ok(Bytes::from(content(10_000, 10))),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "client went away",
            )),
            Ok(Bytes::from_static(b"never read")),
        ]))
    };
    let k = key(&format!("{p}/new"));
    let err = store
        .put(&k, failing(), 1 << 20)
        .await
        .expect_err("failing_stream: the stream failed");
    assert!(err.is_upload_failed(), "failing_stream: {err}");
    assert_eq!(read_all(store, &k).await, None, "failing_stream: nothing");
    assert_eq!(store.head(&k).await.expect("head"), None, "failing_stream");

    let kept = key(&format!("{p}/kept"));
    put_all(store, &kept, b"before", 6).await;
    let err = store
        .put(&kept, failing(), 1 << 20)
        .await
        .expect_err("failing_stream: the stream failed");
    assert!(err.is_upload_failed(), "failing_stream: {err}");
    assert_eq!(
        read_all(store, &kept).await.as_deref(),
        Some(&b"before"[..]),
        "failing_stream: the earlier object is intact"
    );
    let listed = store.list(&p, None, 10).await.expect("list");
    assert_eq!(listed.len(), 1, "failing_stream: only kept: {listed:?}");
    assert_eq!(listed[0].size, 6, "failing_stream");
}

/// Byte ranges as in HTTP: first bytes, middle, open-ended, suffix, exact end, and the
/// unsatisfiable ones.
pub async fn ranges<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("ranges");
    let k = key(&format!("{p}/r"));
    let data = content(1_000, 11);
    put_all(store, &k, &data, 333).await;
    let cases: [(ByteRange, (u64, u64)); 8] = [
        (ByteRange::inclusive(0, 9), (0, 10)),
        (ByteRange::inclusive(100, 199), (100, 200)),
        (ByteRange::inclusive(999, 999), (999, 1_000)),
        (ByteRange::inclusive(990, 5_000), (990, 1_000)),
        (ByteRange::from_start(900), (900, 1_000)),
        (ByteRange::from_start(0), (0, 1_000)),
        (ByteRange::suffix(10), (990, 1_000)),
        (ByteRange::suffix(5_000), (0, 1_000)),
    ];
    for (range, (start, end)) in cases {
        let got = store
            .get(&k, Some(range))
            .await
            .unwrap_or_else(|e| panic!("ranges {range:?}: {e}"))
            .expect("stored");
        assert_eq!(got.span, (start, end), "ranges {range:?}: span");
        assert!(
            got.bytes[..] == data[start as usize..end as usize],
            "ranges {range:?}: bytes"
        );
        assert_eq!(got.size, 1_000, "ranges {range:?}: total size");
        assert_eq!(got.etag, sha256_hex(&data), "ranges {range:?}: etag");
    }
    for range in [
        ByteRange::inclusive(1_000, 1_000),
        ByteRange::inclusive(5_000, 6_000),
        ByteRange::inclusive(10, 9),
        ByteRange::from_start(1_000),
        ByteRange::suffix(0),
    ] {
        let err = store
            .get(&k, Some(range))
            .await
            .expect_err("ranges: unsatisfiable");
        assert!(err.is_range_not_satisfiable(), "ranges {range:?}: {err}");
    }
    let empty = key(&format!("{p}/empty"));
    put_all(store, &empty, b"", 1).await;
    for range in [ByteRange::from_start(0), ByteRange::suffix(1)] {
        let err = store
            .get(&empty, Some(range))
            .await
            .expect_err("ranges: nothing to select in an empty object");
        assert!(err.is_range_not_satisfiable(), "ranges {range:?}: {err}");
    }
    let absent = key(&format!("{p}/absent"));
    let got = store.get(&absent, Some(ByteRange::from_start(0))).await;
    assert!(matches!(got, Ok(None)), "ranges: absent key is None");
}

/// The ETag depends on the content only.
pub async fn etags<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("etags");
    let (a, b, c) = (
        key(&format!("{p}/a")),
        key(&format!("{p}/b")),
        key(&format!("{p}/c")),
    );
    let data = content(5_000, 12);
    put_all(store, &a, &data, 1_000).await;
    put_all(store, &b, &data, 17).await;
    let mut other = data.clone();
    other[2_500] ^= 1;
    put_all(store, &c, &other, 1_000).await;
    let etag =
        |k: MediaKey| async move { store.head(&k).await.expect("head").expect("stored").etag };
    let (ea, eb, ec) = (etag(a.clone()).await, etag(b).await, etag(c).await);
    assert_eq!(ea, eb, "etags: same content, same etag");
    assert_ne!(ea, ec, "etags: one bit differs, the etag differs");
    assert_eq!(ea.len(), 64, "etags: SHA-256 hex");
    put_all(store, &a, &data, 5_000).await;
    assert_eq!(etag(a).await, ea, "etags: stable across a rewrite");
}

/// Delete removes the object and says whether there was one.
pub async fn delete<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("delete");
    let k = key(&format!("{p}/d"));
    assert!(!store.delete(&k).await.expect("delete"), "delete: absent");
    put_all(store, &k, b"bye", 3).await;
    assert!(store.delete(&k).await.expect("delete"), "delete: present");
    assert_eq!(read_all(store, &k).await, None, "delete: gone");
    assert_eq!(store.head(&k).await.expect("head"), None, "delete: gone");
    assert!(!store.delete(&k).await.expect("delete"), "delete: again");
    assert_eq!(store.list(&p, None, 10).await.expect("list"), vec![]);
    put_all(store, &k, b"again", 5).await;
    assert_eq!(read_all(store, &k).await.as_deref(), Some(&b"again"[..]));
}

/// Listing by string prefix, in key order, paged with `after` and `limit`.
pub async fn list_paging<S: MediaStore + ?Sized>(store: &S) {
    let p = scope("list");
    // In key (string) order: '-' and '.' sort before '/', so "a-b" and "a.c" come before
    // "a/1", and "a/3/x" before "ab".
    let names = [
        "a-b", "a.c", "a/1", "a/2", "a/3/x", "a/3/y", "ab", "b/1", "b/2", "c",
    ];
    for (i, name) in names.iter().enumerate() {
        put_all(store, &key(&format!("{p}/{name}")), &content(i + 1, 13), 4).await;
    }
    let mut all = Vec::new();
    let mut after: Option<MediaKey> = None;
    loop {
        let page = store
            .list(&format!("{p}/"), after.as_ref(), 3)
            .await
            .expect("list");
        assert!(page.len() <= 3, "list_paging: limit");
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        all.extend(page);
    }
    let got: Vec<_> = all.iter().map(|e| e.key.as_str().to_owned()).collect();
    let want: Vec<_> = names.iter().map(|n| format!("{p}/{n}")).collect();
    assert_eq!(got, want, "list_paging: every key once, in order");
    for (i, entry) in all.iter().enumerate() {
        assert_eq!(
            entry.size,
            i as u64 + 1,
            "list_paging: size of {}",
            entry.key
        );
    }
    let keys = |prefix: String| async move {
        let page = store.list(&prefix, None, 100).await.expect("list");
        page.into_iter()
            .map(|e| e.key.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(format!("{p}/a")).await,
        names[..7]
            .iter()
            .map(|n| format!("{p}/{n}"))
            .collect::<Vec<_>>(),
        "list_paging: a string prefix"
    );
    assert_eq!(
        keys(format!("{p}/b/")).await,
        [format!("{p}/b/1"), format!("{p}/b/2")]
    );
    assert_eq!(
        keys(format!("{p}/a/3/")).await,
        [format!("{p}/a/3/x"), format!("{p}/a/3/y")]
    );
    assert_eq!(keys(format!("{p}/zzz")).await, Vec::<String>::new());
    assert_eq!(keys(format!("{p}/a//")).await, Vec::<String>::new());
    let none = store.list(&format!("{p}/"), None, 0).await.expect("list");
    assert!(none.is_empty(), "list_paging: a zero limit");
    let err = store
        .list("é", None, 10)
        .await
        .expect_err("list_paging: a prefix no key can start with");
    assert!(err.is_invalid_key(), "list_paging: {err}");
}

/// Keys that could escape a root directory, or are otherwise malformed, are refused.
pub async fn invalid_keys<S: MediaStore + ?Sized>(store: &S) {
    let too_long = "a".repeat(MAX_KEY_LEN + 1);
    let long_segment = "b".repeat(300);
    let bad = [
        "",
        "../x",
        "a/../../x",
        "..",
        ".",
        "/abs",
        "a//b",
        "a/./b",
        "a/",
        ".hidden",
        "a/.tmp-1",
        "a\\b",
        "a b",
        "caf\u{e9}",
        "a\0b",
        "C:x/y?z",
        too_long.as_str(),
        long_segment.as_str(),
    ];
    for k in bad {
        let err = MediaKey::new(k).expect_err("invalid_keys: refused");
        assert!(err.is_invalid_key(), "invalid_keys {k:?}: {err}");
        assert!(err.is_invalid_argument(), "invalid_keys {k:?}: {err}");
    }
    for k in ["a", "a/b.c", "A-Z_0.9/x", "x..y", &"c".repeat(200)] {
        MediaKey::new(k).unwrap_or_else(|e| panic!("invalid_keys: {k:?} is valid: {e}"));
    }
    // A key is no path: a valid key is stored and read back under its own name.
    let k = key(&format!("{}/x..y", scope("invalid-keys")));
    put_all(store, &k, b"dots", 4).await;
    assert_eq!(read_all(store, &k).await.as_deref(), Some(&b"dots"[..]));
}

/// Concurrent puts of one key leave one whole version, never a mix.
pub async fn concurrent_puts<S: MediaStore + ?Sized>(store: &S) {
    let k = key(&format!("{}/c", scope("concurrent")));
    let versions: Vec<Vec<u8>> = (0..8u8).map(|i| content(40_000, 100 + i)).collect();
    let puts = versions.iter().map(|v| {
        let parts = v.chunks(1_000).map(<[u8]>::to_vec).collect();
        store.put(&k, chunks(parts), 1 << 20)
    });
    for result in futures::future::join_all(puts).await {
        result.expect("concurrent_puts: every put succeeds");
    }
    let got = store.get(&k, None).await.expect("get").expect("stored");
    assert!(
        versions.iter().any(|v| v[..] == got.bytes[..]),
        "concurrent_puts: the object is one whole version"
    );
    assert_eq!(got.etag, sha256_hex(&got.bytes), "concurrent_puts: etag");
}
