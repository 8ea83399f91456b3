//! Bad bytes on disk give a typed error for that record; the rest of the store stays readable.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fedi_storage::sled::{SledStore, TREE_NAME};
use fedi_storage::*;

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn doc_key(iri: &str) -> Vec<u8> {
    // The documented layout: tag byte `D` followed by the IRI.
    let mut k = vec![b'D'];
    k.extend_from_slice(iri.as_bytes());
    k
}

fn named(tag: u8, name: &str) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(&(name.len() as u16).to_be_bytes());
    k.extend_from_slice(name.as_bytes());
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_values_are_typed_errors_and_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let iris: Vec<String> = (0..5)
        .map(|i| format!("https://example.com/notes/{i}"))
        .collect();
    {
        let store = SledStore::open(&path).unwrap();
        for (i, iri) in iris.iter().enumerate() {
            let v = serde_json::json!({"id": iri, "type": "Note", "content": format!("note {i}")});
            store.put_json(iri, &v, Origin::Local, T0).await.unwrap();
        }
        for i in 0..4u64 {
            store
                .insert("outbox", &CollectionItem::new(i, format!("m{i}")))
                .await
                .unwrap();
            store
                .enqueue("deliveries", &NewJob::new("h", vec![i as u8], T0))
                .await
                .unwrap();
        }
        store
            .put_local_key(&LocalKeyPair::new(
                "k1",
                "alice",
                "ed25519",
                vec![1],
                "PEM",
                T0,
            ))
            .await
            .unwrap();
    }
    // Damage records directly in sled.
    {
        let db = ::sled::open(&path).unwrap();
        let tree = db.open_tree(TREE_NAME).unwrap();
        // A foreign value.
        tree.insert(doc_key(&iris[1]), &b"hello, not ours"[..])
            .unwrap();
        // A truncated value.
        let full = tree.get(doc_key(&iris[2])).unwrap().unwrap();
        tree.insert(doc_key(&iris[2]), &full[..full.len() / 2])
            .unwrap();
        // An empty value.
        tree.insert(doc_key(&iris[3]), &b""[..]).unwrap();
        // A value from an unknown format version.
        let mut v = full.to_vec();
        v[2] = 99;
        tree.insert(doc_key(&iris[4]), v).unwrap();
        // A collection member record and a job record.
        let mut mk = named(b'M', "outbox");
        mk.extend_from_slice(b"m2");
        tree.insert(mk, &[0xA7, 7, 1, 0][..]).unwrap();
        let mut jk = named(b'Q', "deliveries");
        jk.extend_from_slice(&2u64.to_be_bytes());
        let job = tree.get(&jk).unwrap().unwrap();
        tree.insert(jk, &job[..job.len() - 3]).unwrap();
        // A local key record with a wrong kind byte.
        let lk = named(b'K', "k1");
        let mut key = tree.get(&lk).unwrap().unwrap().to_vec();
        key[1] = 4;
        tree.insert(lk, key).unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(&path).unwrap();
    // The intact document reads.
    let good = store.get_json(&iris[0]).await.unwrap().unwrap();
    assert_eq!(good["content"], "note 0");
    // Each damaged one is a typed Corrupt error naming its key.
    for iri in &iris[1..] {
        let err = store
            .get_document(iri)
            .await
            .expect_err("damaged record must not decode");
        assert!(err.is_corrupt(), "{iri}: {err:?}");
        assert!(
            err.to_string().contains(iri.as_str()),
            "the error names the record: {err}"
        );
        assert!(store.tombstone(iri).await.unwrap_err().is_corrupt());
    }
    // A corrupt document can be overwritten (repaired) by a new put.
    let v = serde_json::json!({"type": "Note", "content": "repaired"});
    store
        .put_json(&iris[1], &v, Origin::Remote, T0)
        .await
        .unwrap();
    assert_eq!(store.get_json(&iris[1]).await.unwrap(), Some(v));

    // Collection: the damaged member record errors; paging and the others still work.
    assert!(store.key_of("outbox", "m2").await.unwrap_err().is_corrupt());
    assert_eq!(store.key_of("outbox", "m3").await.unwrap(), Some(3));
    let page = store
        .page("outbox", &PageRequest::newest(10))
        .await
        .unwrap();
    assert_eq!(page.members(), ["m3", "m2", "m1", "m0"]);
    assert_eq!(store.count("outbox").await.unwrap(), 4);

    // Queue: the damaged job is skipped; the others are leased and acknowledged.
    let jobs = store
        .lease(
            "deliveries",
            &LeaseRequest::new(T0, Duration::from_secs(30), 10),
        )
        .await
        .unwrap();
    let ids: Vec<u64> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![1, 3, 4]);
    for j in &jobs {
        store.ack("deliveries", &j.lease).await.unwrap();
    }

    // Keys: typed error.
    assert!(store.local_key("k1").await.unwrap_err().is_corrupt());
    assert!(store.local_keys_of("alice").await.unwrap_err().is_corrupt());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_log_file_does_not_panic() {
    // Cut the tail off sled's data file: opening must either succeed (the tail is lost) or
    // fail with an error; it must not panic, and what opens must read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = SledStore::open(&path).unwrap();
        for i in 0..200u64 {
            store
                .insert("c", &CollectionItem::new(i, format!("m{i}")))
                .await
                .unwrap();
        }
    }
    let data = path.join("db");
    let len = std::fs::metadata(&data).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&data).unwrap();
    f.set_len(len - len / 3).unwrap();
    drop(f);
    match SledStore::open(&path) {
        Ok(store) => {
            // Whatever survived reads, and is consistent: each insert updated the member, the
            // ordered entry and the count in one atomic batch, so they agree.
            let n = store.count("c").await.unwrap();
            let all = store.all_members("c", 50).await.unwrap();
            eprintln!("after truncation: {n} of 200 members survived");
            assert_eq!(n as usize, all.len());
            for item in &all {
                assert_eq!(item.member, format!("m{}", item.key));
                assert_eq!(
                    store.key_of("c", &item.member).await.unwrap(),
                    Some(item.key)
                );
            }
        }
        Err(e) => eprintln!("after truncation the store refused to open: {e}"),
    }
}
