//! The filesystem media backend's ETag cache: an ETag never outlives the version of the file
//! it was computed from, and the cache stays within its bound.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use fedi_storage::media::{fs::FsMediaStore, MediaKey, MediaStore};
use futures::stream;
use sha2::{Digest, Sha256};

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn put(store: &FsMediaStore, key: &MediaKey, content: &[u8]) -> String {
    let body = stream::iter([Ok::<_, std::io::Error>(Bytes::copy_from_slice(content))]);
    store.put(key, Box::pin(body), u64::MAX).await.unwrap().etag
}

/// The ETag `head` and `get` give now (asserting they agree).
async fn etag_now(store: &FsMediaStore, key: &MediaKey) -> String {
    let info = store.head(key).await.unwrap().unwrap();
    let object = store.get(key, None).await.unwrap().unwrap();
    assert_eq!(info.etag, object.etag);
    assert_eq!(
        object.etag,
        sha_hex(&object.bytes),
        "the ETag names the bytes read"
    );
    object.etag
}

#[tokio::test]
async fn an_overwritten_object_of_the_same_size_gets_a_new_etag() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path()).await.unwrap();
    let key = MediaKey::new("a/object.bin").unwrap();
    let first = vec![1u8; 64 * 1024];
    let second = vec![2u8; 64 * 1024];
    let third = vec![3u8; 64 * 1024];

    put(&store, &key, &first).await;
    assert_eq!(etag_now(&store, &key).await, sha_hex(&first));
    assert_eq!(etag_now(&store, &key).await, sha_hex(&first), "cached");
    assert_eq!(store.cached_etags(), 1);

    // A put renames a new file over the key (a new inode, same size).
    put(&store, &key, &second).await;
    assert_eq!(etag_now(&store, &key).await, sha_hex(&second));

    // Written in place by someone else (same inode, same size, new times). After more than a
    // tick of the kernel's file clock: within one, the times may not change (a documented
    // limit of the cache).
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    std::fs::write(dir.path().join("a/object.bin"), &third).unwrap();
    assert_eq!(etag_now(&store, &key).await, sha_hex(&third));
}

#[tokio::test]
async fn the_etag_cache_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsMediaStore::open(dir.path())
        .await
        .unwrap()
        .with_etag_cache(3);
    for i in 0..10u8 {
        let key = MediaKey::new(format!("k/{i}.bin")).unwrap();
        let content = vec![i; 1000];
        put(&store, &key, &content).await;
        assert_eq!(etag_now(&store, &key).await, sha_hex(&content));
        assert!(store.cached_etags() <= 3, "{} cached", store.cached_etags());
    }
    assert_eq!(store.cached_etags(), 3);
    // Evicted entries are hashed again, correctly.
    for i in 0..10u8 {
        let key = MediaKey::new(format!("k/{i}.bin")).unwrap();
        assert_eq!(etag_now(&store, &key).await, sha_hex(&vec![i; 1000]));
    }
    assert_eq!(store.cached_etags(), 3);

    let none = FsMediaStore::open(dir.path())
        .await
        .unwrap()
        .with_etag_cache(0);
    let key = MediaKey::new("k/0.bin").unwrap();
    assert_eq!(etag_now(&none, &key).await, sha_hex(&[0u8; 1000]));
    assert_eq!(none.cached_etags(), 0);
}
