//! The sled backend's queue journal: the conformance suite's queue cases on journaled queues,
//! the full suite with the inbox journaled, and the journal's own behaviour (segments freed
//! once handled, restarts, torn tails, group commit).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::*;

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn journaled(path: &std::path::Path, queues: JournalQueues) -> SledStore {
    // sled releases its file lock a moment after the last handle is dropped: retry, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match SledStore::open_with(
            SledConfig::new(path)
                .journal(queues.clone())
                .journal_segment_bytes(4096),
        ) {
            Ok(s) => return s,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("open {}: {e}", path.display()),
        }
    }
}

fn inbox() -> JournalQueues {
    JournalQueues::Named(vec!["inbox".into()])
}

async fn queue_cases(store: &SledStore) {
    conformance::queue_lease_and_ack(store).await;
    conformance::lease_expiry_and_redelivery(store).await;
    conformance::retries_and_dead_letters(store).await;
    conformance::lanes(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_conformance_cases_pass_on_journaled_queues_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let store = journaled(&db, JournalQueues::All);
        assert!(store.journals_queue("anything"));
        queue_cases(&store).await;
    }
    let store = journaled(&db, JournalQueues::All);
    queue_cases(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_with_the_inbox_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let store = journaled(&dir.path().join("db"), inbox());
    assert!(store.journals_queue("inbox") && !store.journals_queue("deliveries"));
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_enqueueing_into_a_journaled_queue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = journaled(&dir.path().join("db"), inbox());
    let batch = WriteBatch::new().enqueue("inbox", NewJob::new("h", b"x".to_vec(), T0));
    let err = store.apply(&batch).await.unwrap_err();
    assert!(err.is_invalid_argument(), "{err:?}");
    assert_eq!(store.count_pending("inbox").await.unwrap(), 0);
}

fn payload(i: u64) -> Vec<u8> {
    format!(
        "{{\"id\":\"https://b.example/a/{i}\",\"content\":\"{}\"}}",
        "x".repeat(300)
    )
    .into_bytes()
}

fn lease_all(now: Timestamp) -> LeaseRequest {
    LeaseRequest::new(now, Duration::from_secs(60), 10_000)
}

fn segment_files(db: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(db.join("journal").join("inbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_are_deleted_once_every_record_is_handled_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = journaled(&db, inbox());
    for i in 0..60 {
        store
            .enqueue("inbox", &NewJob::new("b.example", payload(i), T0))
            .await
            .unwrap();
    }
    let segs = segment_files(&db);
    assert!(
        segs.len() >= 5,
        "4 KiB segments of ~350-byte records: {segs:?}"
    );
    let jobs = store.lease("inbox", &lease_all(T0)).await.unwrap();
    assert_eq!(jobs.len(), 60);
    assert!(jobs
        .iter()
        .enumerate()
        .all(|(i, j)| j.payload == payload(i as u64)));
    // Everything but the first job of the first segment: that segment stays.
    let first = jobs[0].lease;
    let rest: Vec<Lease> = jobs[1..].iter().map(|j| j.lease).collect();
    assert!(store
        .ack_many("inbox", &rest)
        .await
        .unwrap()
        .iter()
        .all(|a| *a));
    let left = segment_files(&db);
    assert_eq!(
        left.len(),
        2,
        "the first segment (one record left) and the active one: {left:?}"
    );
    assert_eq!(left[0], segs[0]);
    assert_eq!(store.count_pending("inbox").await.unwrap(), 1);
    store.ack("inbox", &first).await.unwrap();
    assert_eq!(segment_files(&db), vec![segs.last().unwrap().clone()]);
    assert_eq!(store.count_pending("inbox").await.unwrap(), 0);
    // Ids go on increasing after a restart, though only the active segment is left.
    let last = jobs.last().unwrap().id;
    drop(store);
    let store = journaled(&db, inbox());
    let id = store
        .enqueue("inbox", &NewJob::new("b.example", payload(99), T0))
        .await
        .unwrap();
    assert!(id > last);
    let again = store.lease("inbox", &lease_all(T0)).await.unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_pending_records_and_counts_interrupted_leases() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = journaled(&db, inbox());
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            store
                .enqueue("inbox", &NewJob::new(format!("h{}", i % 2), payload(i), T0))
                .await
                .unwrap(),
        );
    }
    let jobs = store
        .lease("inbox", &LeaseRequest::new(T0, Duration::from_secs(30), 8))
        .await
        .unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), ids[..8]);
    store.ack("inbox", &jobs[0].lease).await.unwrap();
    let failed = store
        .retry(
            "inbox",
            &jobs[1].lease,
            "503",
            T0.saturating_add(Duration::from_secs(5)),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        failed,
        RetryOutcome::Rescheduled(T0.saturating_add(Duration::from_secs(5)))
    );
    drop(store);
    let store = journaled(&db, inbox());
    assert_eq!(store.count_pending("inbox").await.unwrap(), 19);
    assert_eq!(
        store.lane_counts("inbox").await.unwrap(),
        vec![("h0".to_string(), 9), ("h1".to_string(), 10)]
    );
    // Before the interrupted leases end: the twelve never leased, in order.
    let now = T0.saturating_add(Duration::from_secs(10));
    let first = store.lease("inbox", &lease_all(now)).await.unwrap();
    let got: Vec<(u64, u32)> = first.iter().map(|j| (j.id, j.attempts)).collect();
    let mut want: Vec<(u64, u32)> = ids[8..].iter().map(|id| (*id, 1)).collect();
    want.push((ids[1], 2));
    assert_eq!(
        got, want,
        "earliest due first: the unleased ones, then the retried job (due at 5 s)"
    );
    assert_eq!(first[12].last_error.as_deref(), Some("503"));
    // When they end, the six interrupted leases come back as second attempts.
    let later = T0.saturating_add(Duration::from_secs(30));
    let second = store.lease("inbox", &lease_all(later)).await.unwrap();
    let got: Vec<(u64, u32)> = second.iter().map(|j| (j.id, j.attempts)).collect();
    assert_eq!(got, ids[2..8].iter().map(|id| (*id, 2)).collect::<Vec<_>>());
    for j in first.iter().chain(&second) {
        assert_eq!(
            j.payload,
            payload(ids.iter().position(|i| *i == j.id).unwrap() as u64)
        );
        store.ack("inbox", &j.lease).await.unwrap();
    }
    assert_eq!(store.count_pending("inbox").await.unwrap(), 0);
    assert!(store
        .lease(
            "inbox",
            &lease_all(later.saturating_add(Duration::from_secs(999)))
        )
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_on_open_and_appends_go_on_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = journaled(&db, inbox());
    for i in 0..3 {
        store
            .enqueue("inbox", &NewJob::new("h", payload(i), T0))
            .await
            .unwrap();
    }
    drop(store);
    let seg = db
        .join("journal")
        .join("inbox")
        .join(segment_files(&db).pop().unwrap());
    let whole = std::fs::metadata(&seg).unwrap().len();
    // What a crash in the middle of an append leaves: a frame and part of a body; and, in a
    // second run, a whole frame whose body fails its checksum.
    for tail in [vec![0, 0, 1, 0, 1, 2, 3, 4, 0, 0, 0], {
        let mut t = vec![0, 0, 0, 30, 0xde, 0xad, 0xbe, 0xef];
        t.extend_from_slice(&[7; 30]);
        t
    }] {
        let mut bytes = std::fs::read(&seg).unwrap();
        bytes.truncate(whole as usize);
        bytes.extend_from_slice(&tail);
        std::fs::write(&seg, &bytes).unwrap();
        let store = journaled(&db, inbox());
        assert_eq!(
            std::fs::metadata(&seg).unwrap().len(),
            whole,
            "the tail is cut"
        );
        assert_eq!(store.count_pending("inbox").await.unwrap(), 3);
        drop(store);
    }
    let store = journaled(&db, inbox());
    let id = store
        .enqueue("inbox", &NewJob::new("h", payload(3), T0))
        .await
        .unwrap();
    let jobs = store.lease("inbox", &lease_all(T0)).await.unwrap();
    assert_eq!(jobs.len(), 4);
    assert_eq!(jobs[3].id, id);
    assert!(jobs
        .iter()
        .enumerate()
        .all(|(i, j)| j.payload == payload(i as u64)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enqueues_share_syncs_and_all_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = journaled(&db, inbox());
    let mut tasks = Vec::new();
    for t in 0..32u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..10u64 {
                ids.push(
                    store
                        .enqueue("inbox", &NewJob::new("h", payload(t * 100 + i), T0))
                        .await
                        .unwrap(),
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 320, "distinct ids");
    let jobs = store.lease("inbox", &lease_all(T0)).await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        all,
        "in id order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_restricted_lease_hands_a_long_backlog_to_sled_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = journaled(&dir.path().join("db"), inbox());
    let mut tasks = Vec::new();
    for t in 0..30u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..80u64 {
                let lane = if (t + i) % 2 == 0 { "even" } else { "odd" };
                store
                    .enqueue("inbox", &NewJob::new(lane, vec![1; 16], T0))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let odd = store
        .lease("inbox", &lease_all(T0).lane("odd"))
        .await
        .unwrap();
    assert_eq!(odd.len(), 1200);
    assert!(odd.iter().all(|j| j.lane == "odd" && j.attempts == 1));
    assert_eq!(
        store.lane_counts("inbox").await.unwrap(),
        vec![("even".to_string(), 1200), ("odd".to_string(), 1200)]
    );
    let even = store.lease("inbox", &lease_all(T0)).await.unwrap();
    assert_eq!(even.len(), 1200);
    assert!(even.iter().all(|j| j.lane == "even"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_journal_on_keeps_the_jobs_already_in_sled_and_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut old = Vec::new();
    {
        let store = journaled(&db, JournalQueues::None);
        for i in 0..3 {
            old.push(
                store
                    .enqueue("inbox", &NewJob::new("h", payload(i), T0))
                    .await
                    .unwrap(),
            );
        }
    }
    let store = journaled(&db, inbox());
    let mut new = Vec::new();
    for i in 3..5 {
        new.push(
            store
                .enqueue("inbox", &NewJob::new("h", payload(i), T0))
                .await
                .unwrap(),
        );
    }
    assert!(new[0] > *old.last().unwrap(), "{old:?} then {new:?}");
    assert_eq!(store.count_pending("inbox").await.unwrap(), 5);
    let jobs = store.lease("inbox", &lease_all(T0)).await.unwrap();
    let ids: Vec<u64> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, old.iter().chain(&new).copied().collect::<Vec<_>>());
    for (i, j) in jobs.iter().enumerate() {
        assert_eq!(j.payload, payload(i as u64));
    }
    let leases: Vec<Lease> = jobs.iter().map(|j| j.lease).collect();
    assert!(store
        .ack_many("inbox", &leases)
        .await
        .unwrap()
        .iter()
        .all(|a| *a));
    assert_eq!(store.count_pending("inbox").await.unwrap(), 0);
}
