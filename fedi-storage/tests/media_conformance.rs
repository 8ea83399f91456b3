//! The filesystem and memory media backends pass the media conformance suite, directly and
//! through `Arc<dyn MediaStore>`, and the filesystem one keeps its temporary files out of sight.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use fedi_storage::media::{conformance, fs::FsMediaStore, MediaKey, MediaStore};
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_backend_passes_media_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path().join("media")).await.unwrap();
    conformance::run_all(&store).await;
    // Every failed or refused put cleaned up after itself.
    assert_eq!(store.remove_temp_files().await.unwrap(), 0);
}

#[tokio::test]
async fn fs_backend_passes_media_conformance_as_dyn() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MediaStore> = Arc::new(FsMediaStore::open(dir.path()).await.unwrap());
    conformance::run_all(&*store).await;
    // Twice on the same store: the cases use fresh keys and tolerate other objects.
    conformance::run_all(&*store).await;
}

#[tokio::test]
async fn files_live_under_the_root_and_temporary_files_are_invisible() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path()).await.unwrap();
    let key = MediaKey::new("avatars/ab/cd.png").unwrap();
    let body = futures::stream::iter([Ok(Bytes::from_static(b"png"))]);
    store.put(&key, Box::pin(body), 10).await.unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("avatars/ab/cd.png")).unwrap(),
        b"png"
    );
    // A temporary file as a crash would leave it: not an object, not listed.
    std::fs::write(dir.path().join("avatars/ab/.tmp-1-1"), b"partial").unwrap();
    let listed = store.list("", None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, key);
    assert_eq!(store.remove_temp_files().await.unwrap(), 1);
    assert!(!dir.path().join("avatars/ab/.tmp-1-1").exists());
    assert_eq!(store.url_for(&key), None);
    let served = store.with_base_url("https://files.example/media/");
    assert_eq!(
        served.url_for(&key).as_deref(),
        Some("https://files.example/media/avatars/ab/cd.png")
    );
}

#[tokio::test]
async fn a_put_dropped_midway_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path()).await.unwrap();
    let key = MediaKey::new("a/b").unwrap();
    // One chunk, then a stream that never ends: the put waits until it is dropped.
    let body =
        futures::stream::iter([Ok(Bytes::from_static(b"part"))]).chain(futures::stream::pending());
    let put = store.put(&key, Box::pin(body), 100);
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(200), put).await;
    assert!(timed_out.is_err());
    assert_eq!(store.get(&key, None).await.unwrap(), None);
    assert_eq!(store.remove_temp_files().await.unwrap(), 0);
}

#[tokio::test]
async fn a_key_cannot_be_both_an_object_and_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path()).await.unwrap();
    let put = |k: &'static str, body: &'static [u8]| {
        let store = store.clone();
        async move {
            let key = MediaKey::new(k).unwrap();
            let body = futures::stream::iter([Ok(Bytes::from_static(body))]);
            store.put(&key, Box::pin(body), 100).await
        }
    };
    put("a", b"file").await.unwrap();
    let err = put("a/b", b"under a file").await.unwrap_err();
    assert!(err.is_invalid_key(), "{err}");
    put("d/e", b"in a directory").await.unwrap();
    let err = put("d", b"over a directory").await.unwrap_err();
    assert!(err.is_invalid_key(), "{err}");
    // Reads of such keys find nothing; the stored objects are untouched.
    for k in ["a/b", "d"] {
        let key = MediaKey::new(k).unwrap();
        assert_eq!(store.get(&key, None).await.unwrap(), None, "{k}");
        assert_eq!(store.head(&key).await.unwrap(), None, "{k}");
        assert!(!store.delete(&key).await.unwrap(), "{k}");
    }
    let a = store.get(&MediaKey::new("a").unwrap(), None).await.unwrap();
    assert_eq!(&a.unwrap().bytes[..], b"file");
    let listed: Vec<_> = store.list("", None, 10).await.unwrap();
    let keys: Vec<_> = listed.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a", "d/e"]);
    assert_eq!(store.remove_temp_files().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend_passes_media_conformance() {
    let store = fedi_storage::media::memory::MemoryMediaStore::new();
    conformance::run_all(&store).await;
    let dyn_store: Arc<dyn MediaStore> = Arc::new(store.clone());
    conformance::run_all(&*dyn_store).await;
    let served = store.with_base_url("https://files.example/m/");
    let key = MediaKey::new("x/y.png").unwrap();
    assert_eq!(
        served.url_for(&key).as_deref(),
        Some("https://files.example/m/x/y.png")
    );
    assert_eq!(store.url_for(&key), None);
}
