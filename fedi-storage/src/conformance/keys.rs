//! Conformance cases for local key pairs and the remote key cache.

use std::time::Duration;

use super::{at, scope};
use crate::*;

/// Local key pairs and the remote key cache.
pub async fn keys<S: Store + ?Sized>(store: &S) {
    let s = scope("keys");
    let alice = format!("https://example.com/{s}/users/alice");
    let rsa = LocalKeyPair::new(
        format!("{alice}#main-key"),
        &alice,
        "rsa-sha256",
        vec![1, 2, 3],
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        at(0),
    );
    let ed = LocalKeyPair::new(
        format!("{alice}#ed25519-key"),
        &alice,
        "ed25519",
        vec![4, 5],
        "-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----\n",
        at(1),
    );
    store.put_local_key(&rsa).await.expect("put");
    store.put_local_key(&ed).await.expect("put");
    assert_eq!(
        store.local_key(&rsa.key_id).await.expect("get"),
        Some(rsa.clone()),
        "keys: local key round trip"
    );
    let mine = store.local_keys_of(&alice).await.expect("list");
    assert_eq!(
        mine,
        vec![ed.clone(), rsa.clone()],
        "keys: both keys of the owner, ordered by key id"
    );
    assert!(
        store
            .local_key("https://example.com/nope#k")
            .await
            .expect("get")
            .is_none(),
        "keys: unknown local key"
    );

    let bob = format!("https://remote.example/{s}/users/bob");
    let k1 =
        RemoteKey::new(format!("{bob}#main-key"), &bob, "PEM1", at(10)).with_parsed(vec![9, 9]);
    let k2 = RemoteKey::new(format!("{bob}#other"), &bob, "PEM2", at(10));
    store.put_remote_key(&k1).await.expect("put");
    store.put_remote_key(&k2).await.expect("put");
    assert_eq!(
        store.remote_key(&k1.key_id).await.expect("get"),
        Some(k1.clone()),
        "keys: remote key round trip"
    );
    assert!(
        store
            .fresh_remote_key(&k1.key_id, at(100), Duration::from_secs(90))
            .await
            .expect("fresh")
            .is_some(),
        "keys: fresh within max age"
    );
    assert!(
        store
            .fresh_remote_key(&k1.key_id, at(101), Duration::from_secs(90))
            .await
            .expect("fresh")
            .is_none(),
        "keys: stale after max age"
    );
    assert!(
        store
            .invalidate_remote_key(&k1.key_id)
            .await
            .expect("invalidate"),
        "keys: invalidating a cached key reports true"
    );
    assert!(
        !store
            .invalidate_remote_key(&k1.key_id)
            .await
            .expect("invalidate"),
        "keys: invalidating again reports false"
    );
    assert!(
        store.remote_key(&k1.key_id).await.expect("get").is_none(),
        "keys: invalidated key is gone"
    );
    store.put_remote_key(&k1).await.expect("put");
    assert_eq!(
        store
            .invalidate_remote_keys_of(&bob)
            .await
            .expect("invalidate all"),
        2,
        "keys: both of the owner's keys dropped"
    );
    assert!(
        store.remote_key(&k2.key_id).await.expect("get").is_none(),
        "keys: owner's keys are gone"
    );
    // A key that changes owner is listed under the new owner only.
    let carol = format!("https://remote.example/{s}/users/carol");
    let moved = RemoteKey::new(k2.key_id.clone(), &carol, "PEM3", at(20));
    store.put_remote_key(&k2).await.expect("put");
    store.put_remote_key(&moved).await.expect("put");
    assert_eq!(
        store
            .invalidate_remote_keys_of(&bob)
            .await
            .expect("invalidate"),
        0,
        "keys: old owner no longer has the key"
    );
    assert_eq!(
        store
            .invalidate_remote_keys_of(&carol)
            .await
            .expect("invalidate"),
        1,
        "keys: new owner has it"
    );
}
