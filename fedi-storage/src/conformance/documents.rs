//! Conformance cases for documents and tombstones.

use sha2::{Digest as _, Sha256};

use super::{at, scope};
use crate::*;

/// Documents: put, get, replace, metadata, bad arguments.
pub async fn documents<S: Store + ?Sized>(store: &S) {
    let s = scope("documents");
    let iri = format!("https://example.com/{s}/notes/1");
    assert!(
        store.get_document(&iri).await.expect("get").is_none(),
        "documents: a missing IRI reads as None"
    );
    let body = br#"{"id":"x","type":"Note","content":"caf\u00e9 \u2603"}"#.to_vec();
    let doc = Document::from_bytes(body.clone(), Origin::Remote, at(1))
        .expect("valid JSON")
        .with_fetched_at(at(0));
    store.put_document(&iri, &doc).await.expect("put");
    let got = store
        .get_document(&iri)
        .await
        .expect("get")
        .expect("documents: stored document must be found");
    assert_eq!(
        got.body, body,
        "documents: body bytes must come back exactly"
    );
    assert_eq!(got.meta.origin, Origin::Remote, "documents: origin kept");
    assert_eq!(
        got.meta.fetched_at,
        Some(at(0)),
        "documents: fetched_at kept"
    );
    assert_eq!(got.meta.stored_at, at(1), "documents: stored_at kept");
    let expected: [u8; 32] = Sha256::digest(&body).into();
    assert_eq!(
        got.meta.content_hash, expected,
        "documents: content hash is SHA-256 of the body"
    );

    let v2 = serde_json::json!({"id": "x", "type": "Note", "content": "edited"});
    store
        .put_json(&iri, &v2, Origin::Local, at(2))
        .await
        .expect("replace");
    assert_eq!(
        store.get_json(&iri).await.expect("get"),
        Some(v2),
        "documents: a put replaces the document"
    );
    assert!(
        !store.is_tombstoned(&iri).await.expect("tombstone"),
        "documents: a live document is not tombstoned"
    );

    assert!(
        Document::from_bytes(b"{not json".to_vec(), Origin::Local, at(0))
            .is_err_and(|e| e.is_invalid_argument()),
        "documents: a body that is not JSON is refused"
    );
    assert!(
        store
            .put_document("", &doc)
            .await
            .is_err_and(|e| e.is_invalid_argument()),
        "documents: an empty IRI is refused"
    );
}

/// Tombstones: deletion is remembered and refuses re-creation.
pub async fn tombstones<S: Store + ?Sized>(store: &S) {
    let s = scope("tombstones");
    let iri = format!("https://example.com/{s}/notes/1");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Local, at(0))
        .expect("doc");
    store.put_document(&iri, &doc).await.expect("put");
    let t = Tombstone::new(at(5)).with_former_type("Note");
    assert!(
        store.delete_document(&iri, &t).await.expect("delete"),
        "tombstones: deleting a stored document reports it existed"
    );
    assert!(
        store.get_document(&iri).await.expect("get").is_none(),
        "tombstones: a deleted document reads as None"
    );
    assert_eq!(
        store.tombstone(&iri).await.expect("tombstone"),
        Some(t.clone()),
        "tombstones: the tombstone is kept"
    );
    let err = store
        .put_document(&iri, &doc)
        .await
        .expect_err("tombstones: putting a tombstoned IRI must fail");
    assert!(
        err.is_tombstoned(),
        "tombstones: the error is Tombstoned, got {err:?}"
    );
    assert!(
        !store
            .delete_document(&iri, &Tombstone::new(at(9)))
            .await
            .expect("delete again"),
        "tombstones: deleting again reports nothing removed"
    );
    assert_eq!(
        store.tombstone(&iri).await.expect("tombstone"),
        Some(t),
        "tombstones: the first tombstone is kept"
    );

    let never = format!("https://example.com/{s}/notes/never-seen");
    assert!(
        !store
            .delete_document(&never, &Tombstone::new(at(1)))
            .await
            .expect("delete unknown"),
        "tombstones: deleting an unknown IRI reports nothing removed"
    );
    assert!(
        store.is_tombstoned(&never).await.expect("is_tombstoned"),
        "tombstones: an unknown deleted IRI is still tombstoned"
    );
    assert!(
        store
            .put_document(&never, &doc)
            .await
            .is_err_and(|e| e.is_tombstoned()),
        "tombstones: a Create after the Delete of an unknown IRI is refused"
    );
}
