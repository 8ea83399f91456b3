//! Conformance cases for the key-value space.

use super::scope;
use crate::*;

/// The key-value space: namespaces, prefix scans, paging with `after`.
pub async fn kv_prefix_scans<S: Store + ?Sized>(store: &S) {
    let ns = scope("kv");
    let ns2 = format!("{ns}2");
    for k in [
        "account:alice",
        "account:bob",
        "account:carol",
        "token:1",
        "token:2",
        "accounts",
    ] {
        store
            .kv_put(&ns, k.as_bytes(), format!("v-{k}").as_bytes())
            .await
            .expect("put");
    }
    store
        .kv_put(&ns2, b"account:zed", b"other")
        .await
        .expect("put");
    assert_eq!(
        store.kv_get(&ns, b"account:bob").await.expect("get"),
        Some(b"v-account:bob".to_vec()),
        "kv: get"
    );
    assert_eq!(
        store.kv_get(&ns, b"account:zed").await.expect("get"),
        None,
        "kv: namespaces are separate"
    );
    let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| {
        v.into_iter()
            .map(|(k, _)| String::from_utf8(k).expect("utf8"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", None, 10)
                .await
                .expect("scan")
        ),
        ["account:alice", "account:bob", "account:carol"],
        "kv: prefix scan in key order, nothing outside the prefix"
    );
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", Some(b"account:alice"), 1)
                .await
                .expect("scan")
        ),
        ["account:bob"],
        "kv: scan after a key, with a limit"
    );
    assert_eq!(
        keys(
            store
                .kv_scan(&ns, b"account:", Some(b"account:carol"), 10)
                .await
                .expect("scan")
        ),
        Vec::<String>::new(),
        "kv: scan after the last key"
    );
    assert_eq!(
        keys(store.kv_scan(&ns, b"", None, 100).await.expect("scan")).len(),
        6,
        "kv: empty prefix scans the namespace only"
    );
    let all = store.kv_scan(&ns, b"token:", None, 10).await.expect("scan");
    assert_eq!(
        all[1],
        (b"token:2".to_vec(), b"v-token:2".to_vec()),
        "kv: scan returns values"
    );
    assert!(
        store.kv_delete(&ns, b"token:1").await.expect("delete"),
        "kv: delete existing"
    );
    assert!(
        !store.kv_delete(&ns, b"token:1").await.expect("delete"),
        "kv: delete missing"
    );
    assert_eq!(
        keys(store.kv_scan(&ns, b"token:", None, 10).await.expect("scan")),
        ["token:2"],
        "kv: deleted key not scanned"
    );
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Account {
        name: String,
        locked: bool,
    }
    let acct = Account {
        name: "alice".into(),
        locked: true,
    };
    store
        .kv_put_json(&ns, b"json:alice", &acct)
        .await
        .expect("put json");
    assert_eq!(
        store
            .kv_get_json::<Account>(&ns, b"json:alice")
            .await
            .expect("get json"),
        Some(acct),
        "kv: JSON round trip"
    );
    assert!(
        store
            .kv_get_json::<Account>(&ns, b"account:bob")
            .await
            .is_err_and(|e| e.is_corrupt()),
        "kv: a record of the wrong shape is Corrupt"
    );
}

/// Multi-reads of the key-value space: [`KvStore::kv_get_many`] answers each key as
/// [`KvStore::kv_get`] does, in the order asked, and [`KvStoreExt::kv_get_many_json`] decodes
/// them.
pub async fn kv_multi_reads<S: Store + ?Sized>(store: &S) {
    let ns = scope("kv-many");
    let other = format!("{ns}-other");
    for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
        store
            .kv_put(&ns, k.as_bytes(), v.as_bytes())
            .await
            .expect("put");
    }
    store.kv_put(&other, b"d", b"4").await.expect("put");
    store.kv_put(&ns, b"e", b"").await.expect("put");
    assert_eq!(
        store.kv_get_many(&ns, &[]).await.expect("get_many"),
        Vec::<Option<Vec<u8>>>::new(),
        "kv_get_many: no keys, no answers"
    );
    let keys: [&[u8]; 7] = [b"c", b"missing", b"a", b"d", b"a", b"e", b"b"];
    let many = store.kv_get_many(&ns, &keys).await.expect("get_many");
    let mut one_by_one = Vec::new();
    for k in keys {
        one_by_one.push(store.kv_get(&ns, k).await.expect("get"));
    }
    assert_eq!(
        many,
        vec![
            Some(b"3".to_vec()),
            None,
            Some(b"1".to_vec()),
            None,
            Some(b"1".to_vec()),
            Some(Vec::new()),
            Some(b"2".to_vec()),
        ],
        "kv_get_many: one answer per key, in order; other namespaces are not read; an empty value is Some"
    );
    assert_eq!(many, one_by_one, "kv_get_many: the same as kv_get per key");
    store.kv_delete(&ns, b"a").await.expect("delete");
    assert_eq!(
        store
            .kv_get_many(&ns, &[b"a", b"b"])
            .await
            .expect("get_many"),
        vec![None, Some(b"2".to_vec())],
        "kv_get_many: a deleted key is gone"
    );

    store
        .kv_put_json(&ns, b"j1", &serde_json::json!({"n": 1}))
        .await
        .expect("put json");
    assert_eq!(
        store
            .kv_get_many_json::<serde_json::Value>(&ns, &[b"j1", b"nothing"])
            .await
            .expect("get_many_json"),
        vec![Some(serde_json::json!({"n": 1})), None],
        "kv_get_many_json: decoded, in order"
    );
    assert!(
        store
            .kv_get_many_json::<serde_json::Value>(&ns, &[b"j1", b"b", b"e"])
            .await
            .is_err_and(|e| e.is_corrupt()),
        "kv_get_many_json: a value that is not the expected JSON is Corrupt"
    );
}
