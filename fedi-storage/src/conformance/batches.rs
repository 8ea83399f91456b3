//! Conformance cases for batches: atomicity, guards, groups of batches, races.

use std::time::Duration;

use futures::future::join_all;

use super::{at, scope};
use crate::*;

/// Batches apply across concerns atomically, or not at all.
pub async fn atomic_batches<S: Store + ?Sized>(store: &S) {
    let s = scope("batch");
    let alice = format!("https://example.com/{s}/users/alice");
    let bob = format!("https://remote.example/{s}/users/bob");
    let followers = format!("followers:{alice}");
    let following = format!("following:{bob}");
    let rel = format!("{alice}|{bob}");
    // Accepting a follow: relationship, followers and following together.
    let accept = WriteBatch::new()
        .kv_put(&s, rel.as_bytes(), &b"accepted"[..])
        .insert(&followers, 7, &bob)
        .insert(&following, 7, &alice)
        .enqueue(&s, NewJob::new("remote.example", b"Accept".to_vec(), at(0)));
    let out = store.apply(&accept).await.expect("apply");
    assert!(out.applied, "batch: applied");
    assert_eq!(out.job_ids.len(), 1, "batch: enqueued job id reported");
    assert_eq!(
        store.kv_get(&s, rel.as_bytes()).await.expect("get"),
        Some(b"accepted".to_vec()),
        "batch: kv written"
    );
    assert!(
        store.contains(&followers, &bob).await.expect("contains"),
        "batch: followers written"
    );
    assert!(
        store.contains(&following, &alice).await.expect("contains"),
        "batch: following written"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch: job enqueued"
    );

    // Several inserts into one collection within one batch are all counted.
    let many = (0..5u64).fold(WriteBatch::new(), |b, i| {
        b.insert(&followers, 100 + i, format!("{bob}/{i}"))
    });
    store
        .apply(&many.remove(&followers, &bob))
        .await
        .expect("apply");
    assert_eq!(
        store.count(&followers).await.expect("count"),
        5,
        "batch: counts see the batch's own writes"
    );

    // A batch with a failing operation writes nothing.
    let dead = format!("https://example.com/{s}/notes/deleted");
    store
        .delete_document(&dead, &Tombstone::new(at(0)))
        .await
        .expect("delete");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Remote, at(1))
        .expect("doc");
    let bad = WriteBatch::new()
        .kv_put(&s, &b"must-not-exist"[..], &b"x"[..])
        .insert(&followers, 1, "https://must.not/exist")
        .put_document(&dead, doc)
        .enqueue(&s, NewJob::new("x", vec![], at(0)));
    let err = store
        .apply(&bad)
        .await
        .expect_err("batch: must fail on the tombstoned IRI");
    assert!(
        err.is_tombstoned(),
        "batch: the error is Tombstoned, got {err:?}"
    );
    assert_eq!(
        store.kv_get(&s, b"must-not-exist").await.expect("get"),
        None,
        "batch: no kv write from a failed batch"
    );
    assert!(
        !store
            .contains(&followers, "https://must.not/exist")
            .await
            .expect("contains"),
        "batch: no insert from a failed batch"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch: no enqueue from a failed batch"
    );

    // Document put and delete in batches.
    let iri = format!("https://example.com/{s}/notes/1");
    let d = Document::from_json(
        &serde_json::json!({"type": "Note", "n": 1}),
        Origin::Local,
        at(1),
    )
    .expect("doc");
    store
        .apply(
            &WriteBatch::new()
                .put_document(&iri, d.clone())
                .kv_delete(&s, rel.as_bytes()),
        )
        .await
        .expect("apply");
    assert_eq!(
        store.get_document(&iri).await.expect("get"),
        Some(d),
        "batch: document put"
    );
    assert_eq!(
        store.kv_get(&s, rel.as_bytes()).await.expect("get"),
        None,
        "batch: kv delete"
    );
    store
        .apply(&WriteBatch::new().delete_document(&iri, Tombstone::new(at(2))))
        .await
        .expect("apply");
    assert!(
        store.is_tombstoned(&iri).await.expect("tombstone"),
        "batch: document delete tombstones"
    );

    // A guarded batch: applied once, then skipped.
    let guarded = WriteBatch::new()
        .unless_seen(
            format!("https://remote.example/{s}/activities/1"),
            at(0),
            Duration::from_secs(60),
        )
        .enqueue(&s, NewJob::new("remote.example", b"in".to_vec(), at(0)));
    assert!(
        store.apply(&guarded).await.expect("apply").applied,
        "batch: guarded batch applies the first time"
    );
    let again = store.apply(&guarded).await.expect("apply");
    assert!(
        !again.applied && again.job_ids.is_empty(),
        "batch: guarded batch is skipped for a seen id"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        2,
        "batch: only one job from the guarded batch"
    );
}

/// Concurrent guarded batches with one id: exactly one applies.
pub async fn batch_dedupe_race<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-race");
    let batch = WriteBatch::new()
        .unless_seen(
            format!("https://remote.example/{s}/a"),
            at(0),
            Duration::from_secs(60),
        )
        .enqueue(&s, NewJob::new("remote.example", b"in".to_vec(), at(0)));
    let results = join_all((0..16).map(|_| store.apply(&batch))).await;
    let applied = results
        .into_iter()
        .map(|r| r.expect("apply"))
        .filter(|o| o.applied)
        .count();
    assert_eq!(
        applied, 1,
        "batch race: exactly one of 16 concurrent guarded batches applies"
    );
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        1,
        "batch race: exactly one job enqueued"
    );
}

/// [`BatchStore::apply_many`]: batches applied in order, each as by `apply`, seeing the
/// batches before it; a failing batch fails alone.
pub async fn batch_groups<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-group");
    let ttl = Duration::from_secs(60);
    let id1 = format!("https://remote.example/{s}/activities/1");
    let id2 = format!("https://remote.example/{s}/activities/2");
    let coll = format!("followers:{s}");
    let dead = format!("https://example.com/{s}/notes/deleted");
    store
        .delete_document(&dead, &Tombstone::new(at(0)))
        .await
        .expect("delete");
    let doc = Document::from_json(&serde_json::json!({"type": "Note"}), Origin::Remote, at(1))
        .expect("doc");

    assert!(
        store.apply_many(&[]).await.expect("apply_many").is_empty(),
        "batch group: no batches, no results"
    );

    let batches = [
        // 0: applied.
        WriteBatch::new()
            .unless_seen(&id1, at(0), ttl)
            .enqueue(&s, NewJob::new("remote.example", b"one".to_vec(), at(0))),
        // 1: the same id as batch 0: not applied.
        WriteBatch::new()
            .unless_seen(&id1, at(0), ttl)
            .enqueue(&s, NewJob::new("remote.example", b"dup".to_vec(), at(0))),
        // 2: fails (a tombstoned IRI); its other writes must not happen.
        WriteBatch::new()
            .unless_seen(format!("{id2}/bad"), at(0), ttl)
            .kv_put(&s, &b"from-bad"[..], &b"x"[..])
            .insert(&coll, 1, "https://must.not/exist")
            .enqueue(&s, NewJob::new("x", b"bad".to_vec(), at(0)))
            .put_document(&dead, doc.clone()),
        // 3: applied, after the failure.
        WriteBatch::new()
            .unless_seen(&id2, at(0), ttl)
            .kv_put(&s, &b"from-good"[..], &b"y"[..])
            .insert(&coll, 2, "https://remote.example/users/bob")
            .enqueue(&s, NewJob::new("other.example", b"two".to_vec(), at(0))),
        // 4: sees batch 3's insert (the member moves, the count stays 1).
        WriteBatch::new().insert(&coll, 3, "https://remote.example/users/bob"),
    ];
    let results = store.apply_many(&batches).await.expect("apply_many");
    assert_eq!(results.len(), 5, "batch group: one result per batch");
    let first = results[0].as_ref().expect("batch group: batch 0 succeeds");
    assert!(
        first.applied && first.job_ids.len() == 1,
        "batch group: batch 0 applied with one job: {first:?}"
    );
    let second = results[1].as_ref().expect("batch group: batch 1 succeeds");
    assert!(
        !second.applied && second.job_ids.is_empty(),
        "batch group: batch 1 (same dedupe id as batch 0) is not applied: {second:?}"
    );
    let err = results[2]
        .as_ref()
        .expect_err("batch group: batch 2 fails on the tombstoned IRI");
    assert!(
        err.is_tombstoned(),
        "batch group: batch 2's error is Tombstoned, got {err:?}"
    );
    let fourth = results[3].as_ref().expect("batch group: batch 3 succeeds");
    assert!(
        fourth.applied && fourth.job_ids.len() == 1,
        "batch group: batch 3 applied with one job: {fourth:?}"
    );
    assert!(
        fourth.job_ids[0] > first.job_ids[0],
        "batch group: job ids increase in batch order"
    );
    assert!(
        results[4].as_ref().expect("batch 4").applied,
        "batch group: batch 4 applied"
    );

    // The effects: batches 0, 3 and 4, nothing of 1 and 2.
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        2,
        "batch group: the jobs of batches 0 and 3"
    );
    assert_eq!(
        store.count_lane(&s, "other.example").await.expect("count"),
        1,
        "batch group: batch 3's lane"
    );
    let jobs = store
        .lease(&s, &LeaseRequest::new(at(1), Duration::from_secs(30), 10))
        .await
        .expect("lease");
    let payloads: Vec<&[u8]> = jobs.iter().map(|j| &j.payload[..]).collect();
    assert_eq!(
        payloads,
        [&b"one"[..], &b"two"[..]],
        "batch group: exactly the jobs of the applied batches, in order"
    );
    assert_eq!(
        jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        [first.job_ids[0], fourth.job_ids[0]],
        "batch group: the reported job ids"
    );
    assert_eq!(
        store.kv_get(&s, b"from-bad").await.expect("get"),
        None,
        "batch group: no kv write from the failed batch"
    );
    assert_eq!(
        store.kv_get(&s, b"from-good").await.expect("get"),
        Some(b"y".to_vec()),
        "batch group: kv write from batch 3"
    );
    assert!(
        !store
            .contains(&coll, "https://must.not/exist")
            .await
            .expect("contains"),
        "batch group: no insert from the failed batch"
    );
    assert_eq!(
        store.count(&coll).await.expect("count"),
        1,
        "batch group: batch 4 moved batch 3's member"
    );
    assert_eq!(
        store
            .key_of(&coll, "https://remote.example/users/bob")
            .await
            .expect("key_of"),
        Some(3),
        "batch group: batch 4's key wins"
    );
    assert!(
        store.seen(&id1, at(1)).await.expect("seen")
            && store.seen(&id2, at(1)).await.expect("seen"),
        "batch group: the guards of applied batches are recorded"
    );
    assert!(
        !store
            .seen(&format!("{id2}/bad"), at(1))
            .await
            .expect("seen"),
        "batch group: the failed batch's guard is not recorded"
    );
    assert!(
        !store.check_and_set(&id1, at(1), ttl).await.expect("check"),
        "batch group: a later check sees the id"
    );

    // A batch sees an earlier batch's delete within the same call.
    let iri = format!("https://example.com/{s}/notes/1");
    let results = store
        .apply_many(&[
            WriteBatch::new().delete_document(&iri, Tombstone::new(at(2))),
            WriteBatch::new().put_document(&iri, doc),
        ])
        .await
        .expect("apply_many");
    assert!(
        results[0].as_ref().is_ok_and(|o| o.applied),
        "batch group: delete applied"
    );
    assert!(
        results[1].as_ref().is_err_and(|e| e.is_tombstoned()),
        "batch group: a put after a delete in the same call is refused: {:?}",
        results[1]
    );
    assert!(
        store.is_tombstoned(&iri).await.expect("tombstone"),
        "batch group: the tombstone is written"
    );

    // A group where every batch fails or is a duplicate writes nothing.
    let results = store
        .apply_many(&[
            WriteBatch::new()
                .unless_seen(&id1, at(1), ttl)
                .kv_put(&s, &b"late"[..], &b"z"[..]),
            WriteBatch::new()
                .kv_put(&s, &b"late"[..], &b"z"[..])
                .insert("", 1, "m"),
        ])
        .await
        .expect("apply_many");
    assert!(
        results[0].as_ref().is_ok_and(|o| !o.applied),
        "batch group: duplicate not applied"
    );
    assert!(
        results[1].as_ref().is_err_and(|e| e.is_invalid_argument()),
        "batch group: an empty collection name is an invalid argument: {:?}",
        results[1]
    );
    assert_eq!(
        store.kv_get(&s, b"late").await.expect("get"),
        None,
        "batch group: nothing written"
    );
}

/// Concurrent `apply_many` calls and `apply` calls guarded by the same ids: each id is
/// applied exactly once.
pub async fn batch_group_race<S: Store + ?Sized>(store: &S) {
    let s = scope("batch-group-race");
    let ttl = Duration::from_secs(60);
    let batch = |n: u64| {
        WriteBatch::new()
            .unless_seen(format!("https://remote.example/{s}/a/{n}"), at(0), ttl)
            .enqueue(
                &s,
                NewJob::new("remote.example", n.to_be_bytes().to_vec(), at(0)),
            )
    };
    // 8 groups over ids 0..8 in different orders, and 8 single applies.
    let groups: Vec<Vec<WriteBatch>> = (0..8u64)
        .map(|g| (0..8u64).map(|n| batch((n + g) % 8)).collect())
        .collect();
    let singles: Vec<WriteBatch> = (0..8u64).map(batch).collect();
    let (grouped, single) = futures::join!(
        join_all(groups.iter().map(|g| store.apply_many(g))),
        join_all(singles.iter().map(|b| store.apply(b))),
    );
    let mut applied = 0;
    for r in grouped {
        for o in r.expect("apply_many") {
            applied += usize::from(o.expect("batch").applied);
        }
    }
    for o in single {
        applied += usize::from(o.expect("apply").applied);
    }
    assert_eq!(applied, 8, "batch group race: each of 8 ids applied once");
    assert_eq!(
        store.count_pending(&s).await.expect("count"),
        8,
        "batch group race: one job per id"
    );
}
