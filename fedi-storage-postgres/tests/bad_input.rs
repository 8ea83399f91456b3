//! Bad input is refused without touching the database's state, and a corrupt row is
//! reported for itself alone.

use std::time::Duration;

use fedi_storage::*;

use crate::common::{database, store};

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_postgres_cannot_hold_are_invalid_arguments() {
    let db = database().await;
    let s = store(&db).await;
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Local, T0).unwrap();
    let invalid = |r: Result<()>| r.is_err_and(|e| e.is_invalid_argument());
    assert!(invalid(s.put_document("https://a.example/\0", &doc).await));
    assert!(invalid(
        s.insert("c", &CollectionItem::new(1, "m\0"))
            .await
            .map(drop)
    ));
    assert!(invalid(
        s.insert("", &CollectionItem::new(1, "m")).await.map(drop)
    ));
    assert!(invalid(s.kv_put("", b"k", b"v").await));
    assert!(invalid(s.kv_put("n\0s", b"k", b"v").await));
    assert!(invalid(
        s.enqueue("q", &NewJob::new("lane\0", vec![], T0))
            .await
            .map(drop)
    ));
    assert!(invalid(
        s.check_and_set("", T0, Duration::from_secs(1))
            .await
            .map(drop)
    ));
    assert!(invalid(s.count(&"x".repeat(70_000)).await.map(drop)));
    // A batch with one bad operation writes nothing.
    let batch = WriteBatch::new()
        .kv_put("ns", &b"k"[..], &b"v"[..])
        .insert("c", 1, "m\0");
    assert!(s
        .apply(&batch)
        .await
        .is_err_and(|e| e.is_invalid_argument()));
    assert_eq!(s.kv_get("ns", b"k").await.unwrap(), None);
    // NUL in free text is replaced, not refused.
    let id = s.enqueue("q", &NewJob::new("h", vec![], T0)).await.unwrap();
    let jobs = s
        .lease("q", &LeaseRequest::new(T0, Duration::from_secs(5), 1))
        .await
        .unwrap();
    assert_eq!(jobs[0].id, id);
    s.bury("q", &jobs[0].lease, "bad\0error", T0).await.unwrap();
    let dead = s.dead_letters("q", None, 10).await.unwrap();
    assert_eq!(dead[0].last_error, "bad\u{FFFD}error");
    // Lease tokens and ids out of range are simply not held.
    let forged = Lease::new(u64::MAX, u32::MAX, T0);
    assert!(s.ack("q", &forged).await.is_err_and(|e| e.is_lease_lost()));
    assert_eq!(s.ack_many("q", &[forged]).await.unwrap(), vec![false]);
    assert!(s
        .dead_letters("q", Some(u64::MAX), 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_row_is_corrupt_alone() {
    let db = database().await;
    let s = store(&db).await;
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Local, T0).unwrap();
    s.put_document("https://a.example/good", &doc)
        .await
        .unwrap();
    s.put_document("https://a.example/bad", &doc).await.unwrap();
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute(
            "UPDATE fedi_documents SET origin = 7 WHERE iri = 'https://a.example/bad'",
            &[],
        )
        .await
        .unwrap();
    assert!(s
        .get_document("https://a.example/bad")
        .await
        .is_err_and(|e| e.is_corrupt()));
    assert_eq!(
        s.get_document("https://a.example/good").await.unwrap(),
        Some(doc.clone())
    );
    // Writing the document again repairs it.
    s.put_document("https://a.example/bad", &doc).await.unwrap();
    assert_eq!(
        s.get_document("https://a.example/bad").await.unwrap(),
        Some(doc)
    );
}
